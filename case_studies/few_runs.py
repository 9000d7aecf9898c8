"""Few runs: what will the big run give, and which extra small run tells most for its cost?

Gadre et al.'s 5-run protocol (RedPajama, C4 validation loss; law ``overtraining``):

1. the forecast of the held-out 1.4B (M=640) and 6.9B (M=20) runs under the default priors and
   under the informed priors learned without Gadre's data
   (``bl.InformedPriors(without="gadre")``);
2. how much of each posterior the priors carry (``fit.prior_vs_posterior()``);
3. which of the other small RedPajama runs to train next for the 6.9B forecast, per FLOP
   (``bl.next_run``, greedy batch of 3), and its plot;
4. the replay benchmark's plot (``benchmarks/design.py``), if it has been run.

Writes ``case_studies/reports/few_runs.md`` and its figures.

Usage::

    python case_studies/few_runs.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bayeslaws as bl  # noqa: E402
from benchmarks import gadre  # noqa: E402
from benchmarks.tables import markdown  # noqa: E402

REPORTS = ROOT / "case_studies" / "reports"
LAW = "overtraining"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sampling (smoke run)")
    parser.add_argument("--out", default=str(REPORTS / "few_runs.md"))
    args = parser.parse_args(argv)
    settings = ({"chains": 1, "draws": 150, "tune": 150} if args.quick else
                {"chains": 4, "draws": 1000, "tune": 1000, "target_accept": 0.95})
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    frame = gadre.load()
    targets = frame.loc[gadre.target_mask(frame)].reset_index(drop=True)
    protocol = frame.loc[gadre.protocol_mask(frame)].reset_index(drop=True)
    text = ["# Few runs: Gadre et al.'s 5-run protocol under default and informed priors", "",
            f"Command: `python case_studies/few_runs.py {' '.join(argv or sys.argv[1:])}`; "
            f"law `{LAW}`, sampling {settings}.", ""]
    fits, rows = {}, []
    for label, priors in (("default", None),
                          ("informed without Gadre", bl.InformedPriors(without="gadre"))):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fits[label] = bl.fit(LAW, protocol, x=gadre.X, y=gadre.Y, priors=priors,
                                 allow_few_runs=True, random_seed=0, progressbar=False,
                                 **settings)
        few = [str(w.message) for w in caught if issubclass(w.category, bl.FewRunsWarning)]
        for row in gadre.score_targets(fits[label], targets, LAW, label):
            rows.append({"priors": label, **{k: row[k] for k in (
                "target", "loss", "median", "lower_90", "upper_90", "rel_error",
                "covered_90", "published_rel_error")}})
    text += ["## Forecasts of the held-out runs", "", markdown(
        __import__("pandas").DataFrame(rows), digits=4), ""]
    if few:
        text += [f"The fit warns (FewRunsWarning): *{few[0]}*", ""]
    for label, fit in fits.items():
        table = fit.prior_vs_posterior()
        text += [f"## How much the priors carry ({label})", "",
                 "sd_ratio: posterior sd / prior sd (of the log for positive parameters); "
                 "near 1 the prior carries the parameter.", "",
                 markdown(table, index=True, digits=3), ""]
    pool = frame[frame["N_params"].isin(gadre.SMALL_SIZES)]
    pool = pool[~pool["name"].isin(protocol["name"])]
    six = targets[targets["N_params"] > 5e9].iloc[0]
    ranked = bl.next_run(fits["default"], pool, {"N": six["N_params"], "D": six["D_tokens"]},
                         k=3)
    columns = ["name", "N_params", "token_multiplier_M", "cost", "relative_reduction", "score",
               "ess", "batch"]
    text += ["## Which run next (default-prior fit, target 6.9B at M=20, cost 6ND)", "",
             markdown(ranked[columns].head(10), digits=3), "",
             f"Greedy batch of 3: {[pool.loc[i, 'name'] for i in ranked.attrs['batch']]}.", ""]
    figure = out.with_name(out.stem + "_next_run.png")
    bl.plot_next_run(ranked).figure.savefig(figure, dpi=120)
    text += [f"![next run]({figure.name})", ""]
    replay = ROOT / "benchmarks" / "results" / "design" / "replay.png"
    if replay.exists():
        text += ["## Replay (benchmarks/design.py)", "",
                 "See `benchmarks/results/design/results.md`.", "",
                 f"![replay]({Path('../../benchmarks/results/design/replay.png')})", ""]
    out.write_text("\n".join(text))
    print("\n".join(text[:20]))
    print(f"report: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
