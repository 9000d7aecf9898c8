"""Leave-one-study-out evaluation of ``priors="informed"`` against the default priors.

For each study, few-run fits of its units under the default priors and under the informed
priors learned WITHOUT that study (``bl.InformedPriors(without=study)``), scored on runs at
larger scale than any fitted run:

* ``chinchilla``: law ``chinchilla`` on 8 runs evenly spread (in the order of compute) over the
  30% of runs with the least compute; scored on the 10% with the most compute;
* ``gadre``: the published 5-run protocol (``benchmarks/gadre.py``) for each training set
  (c4_original, rpj, rw_original; C4 validation loss), laws ``overtraining`` and ``chinchilla``;
  scored on every run of 1.4B or 6.9B parameters (3 per training set: 1.4B at M=20, one
  over-trained 1.4B run and 6.9B at M=20);
* ``revisiting``: law ``saturating_power_law`` on 6 fitting points (``Training == 1``, evenly
  spread in order of x) of each learning curve used to learn the priors; scored on the curve's
  held-out points (``Training == 0``).

Per fit: mean held-out log predictive density (``fit.log_density``, of log y), mean absolute
relative error of the posterior-predictive median and the share of held-out runs inside the 90%
interval. Writes ``benchmarks/results/informed/loso.csv`` and ``loso.md``.

Usage::

    python benchmarks/informed_loso.py        # about 3 minutes on 2 cores
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bayeslaws as bl  # noqa: E402
from bayeslaws import datasets  # noqa: E402
from benchmarks import gadre  # noqa: E402
from benchmarks.informed_priors import REVISITING, revisiting_curves  # noqa: E402
from benchmarks.tables import markdown  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "informed"
OUT = RESULTS
SAMPLING = {"chains": 2, "draws": 500, "tune": 800, "target_accept": 0.95,
            "progressbar": False}


def _spread(frame: pd.DataFrame, k: int) -> pd.DataFrame:
    return frame.iloc[np.unique(np.linspace(0, len(frame) - 1, k).astype(int))]


def cases() -> list[dict]:
    """study, case label, law, fitted runs, held-out runs, x and y columns."""
    out = []
    chin = datasets.chinchilla().sort_values("C").reset_index(drop=True)
    n = len(chin)
    out.append({"study": "chinchilla", "case": "chinchilla 8 small runs", "law": "chinchilla",
                "fit": _spread(chin.iloc[: int(0.3 * n)], 8), "held": chin.iloc[int(0.9 * n):],
                "x": {"N": "N", "D": "D"}, "y": "loss"})
    runs = pd.read_csv(datasets.data_dir() / "gadre-overtraining" / "gadre_models_losses.csv")
    for name in ("c4_original", "rpj", "rw_original"):
        frame = runs[runs["dataset"] == name].reset_index(drop=True)
        for law in ("overtraining", "chinchilla"):
            out.append({"study": "gadre", "case": f"gadre {name} 5-run protocol", "law": law,
                        "fit": frame.loc[gadre.protocol_mask(frame)],
                        "held": frame[frame["N_params"] > 1e9], "x": gadre.X,
                        "y": gadre.Y})
    curves = revisiting_curves()
    for domain, count in REVISITING.items():
        keys = curves[curves["Domain"] == domain][["Task", "Model"]].drop_duplicates()
        for _, key in _spread(keys, count).iterrows():
            rows = curves[(curves["Domain"] == domain) & (curves["Task"] == key["Task"])
                          & (curves["Model"] == key["Model"])].sort_values("Seen Examples")
            out.append({"study": "revisiting",
                        "case": f"revisiting {domain}/{key['Task']}/{key['Model']} 6 points",
                        "law": "saturating_power_law",
                        "fit": _spread(rows[rows["Training"] == 1], 6),
                        "held": rows[rows["Training"] == 0], "x": "Seen Examples",
                        "y": "Loss"})
    return out


def score(fit: bl.Fit, case: dict) -> dict:
    held = case["held"]
    x = case["x"] if isinstance(case["x"], dict) else {"x": case["x"]}
    at = {name: held[column].to_numpy() for name, column in x.items()}
    table = fit.predict(at, prob=0.9)
    truth = held[case["y"]].to_numpy()
    return {"elpd_mean": float(np.mean(fit.log_density(held))),
            "abs_rel_error": float(np.mean(np.abs(table["median"] - truth) / truth)),
            "coverage_90": float(np.mean((table["lower"] <= truth) & (truth <= table["upper"]))),
            "width_90_rel": float(np.mean((table["upper"] - table["lower"]) / truth))}


def report(table: pd.DataFrame) -> None:
    """Write ``loso.md`` from the per-case table."""
    metrics = ["elpd_mean", "abs_rel_error", "coverage_90", "width_90_rel"]
    per_study = table.groupby(["study", "priors"])[metrics].mean().unstack("priors")
    per_study.columns = [f"{metric} {priors}" for metric, priors in per_study.columns]
    paired = table.pivot_table(index=["study", "case", "law"], columns="priors",
                               values="elpd_mean")
    better = (paired["informed"] - paired["default"]).groupby("study").agg(
        ["mean", "min", "max", lambda d: float((d > 0).mean())])
    better.columns = ["elpd gain mean", "min", "max", "share of cases improved"]
    text = ["# Leave-one-study-out: informed priors (learned without the study) vs defaults", "",
            f"Command: `python benchmarks/informed_loso.py {' '.join(sys.argv[1:])}`; sampling "
            f"per fit {SAMPLING}.", "",
            "Per study, mean over its cases (elpd_mean: mean held-out log predictive density "
            "per run, of log y; higher is better; abs_rel_error of the posterior-predictive "
            "median; coverage and relative width of the 90% interval):", "",
            markdown(per_study, index=True, digits=4), "",
            "Gain in elpd_mean (informed - default) per case, by study:", "",
            markdown(better, index=True, digits=4), "",
            "Every case:", "", markdown(table, digits=4), ""]
    (OUT / "loso.md").write_text("\n".join(text))
    print("\n".join(text[:14]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--use", default="exponent,noise,floor",
                        help="populations applied (InformedPriors(use=...))")
    parser.add_argument("--exponents", default="auto",
                        help="exponent population (InformedPriors(exponents=...)): auto (by "
                             "the input's axis), scale, curve or pooled")
    parser.add_argument("--out", default=str(RESULTS), help="folder of loso.csv, loso.md")
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite loso.md from loso.csv without refitting")
    args = parser.parse_args(argv)
    global OUT
    OUT = Path(args.out)
    use = tuple(args.use.split(","))
    if args.report_only:
        report(pd.read_csv(OUT / "loso.csv"))
        return 0
    rows = []
    for k, case in enumerate(cases()):
        for label, priors in (("default", None),
                              ("informed", bl.InformedPriors(without=case["study"], use=use,
                                                             exponents=args.exponents))):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit = bl.fit(case["law"], case["fit"], x=case["x"], y=case["y"], priors=priors,
                             allow_few_runs=True, random_seed=args.seed + k, **SAMPLING)
            diag = fit.diagnostics()
            rows.append({"study": case["study"], "case": case["case"], "law": case["law"],
                         "priors": label, "n_fit": len(case["fit"]),
                         "n_heldout": len(case["held"]), **score(fit, case),
                         "divergences": diag.divergences, "max_rhat": diag.max_rhat})
            print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    OUT.mkdir(parents=True, exist_ok=True)
    table.to_csv(OUT / "loso.csv", index=False)
    report(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
