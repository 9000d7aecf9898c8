"""nutpie's low-rank mass-matrix adaptation against its diagonal one, on every catalogue law.

Each law is fitted to the simulated data of its recovery test (``tests/test_recovery.py``), the
three bnsl cases, the real Chinchilla data and a hierarchical fit (``tests/helpers.py``),
at the package's default settings (4 chains x 1,000 draws after 1,000 tuning steps), once with
``adaptation="diag"`` (nutpie's default, at the law's own target_accept or nutpie's 0.8) and
once with ``adaptation="low_rank"`` (at the law's own target_accept or 0.9). Both fits of a law
use the same compiled model, compiled by a short fit beforehand, so the seconds are sampling
only. The results set bayeslaws' defaults: ``low_rank`` for single-curve fits, ``diag`` for
hierarchical ones.

Printed per fit: sampling seconds, the minimum bulk ESS over the law's parameters, ESS per
second, leapfrog steps per draw, divergences, the largest R-hat and, for simulated data,
whether every true parameter lies inside the 90% interval.

Run: ``.venv/bin/python benchmarks/adaptation.py [--seeds 1 2] [--out results/adaptation.md]``
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bayeslaws as bl  # noqa: E402
from bayeslaws import sampling  # noqa: E402
from bayeslaws.catalogue import get_law  # noqa: E402
from bayeslaws.simulate import simulate  # noqa: E402
from benchmarks.tables import markdown  # noqa: E402
from tests import helpers  # noqa: E402
from tests import test_recovery as recovery  # noqa: E402

SETTINGS = {"chains": 4, "draws": 1000, "tune": 1000, "progressbar": False}
ADAPTATIONS = ("diag", "low_rank")


def _catalogue_case(case: str, seed: int):
    options, truth, inputs, likelihood, extra, _ = helpers.CASES[case]
    data = helpers.simulate_case(case, seed)
    args = (helpers.LAW_OF.get(case, case), data)
    kwargs = {"x": {k: k for k in inputs}, "y": "y", "likelihood": likelihood,
              "law_options": options, "extra": {k: k for k in extra} or None}
    return args, kwargs, truth


def _bnsl_case(case: str, seed: int):
    breaks, truth, x, sigma = recovery.BNSL_CASES[case]
    data = simulate(get_law("bnsl", breaks=breaks), truth, {"x": x}, sigma=sigma,
                    random_seed=seed)
    return ("bnsl", data), {"x": "x", "y": "y", "law_options": {"breaks": breaks}}, truth


def _chinchilla(seed: int):
    from bayeslaws.datasets import chinchilla

    return ("chinchilla", chinchilla()), {"x": {"N": "N", "D": "D"}, "y": "loss"}, None


def _hierarchical(seed: int):
    data = helpers.simulate_groups(seed)
    return (("saturating_power_law", data),
            {"x": "x", "y": "loss", "group": "family"}, None)


def cases() -> dict:
    """name -> function of a seed returning (positional args, keyword args, truth or None)."""
    out = {c: (lambda s, c=c: _catalogue_case(c, s)) for c in helpers.CASES}
    out.update({f"bnsl_{c}": (lambda s, c=c: _bnsl_case(c, s)) for c in recovery.BNSL_CASES})
    out["chinchilla (real data)"] = _chinchilla
    out["saturating_power_law, hierarchical (5 groups)"] = _hierarchical
    return out


def measure(fit, truth) -> dict:
    names = list(fit.spec.parameter_names)
    table = fit.diagnostics().table
    seconds = float(fit.config["sampling_seconds"])
    ess = float(table.loc[[n for n in table.index if n.split("[")[0] in names],
                          "ess_bulk"].min())
    steps = float(fit.trace["sample_stats"]["n_steps"].mean())
    row = {"seconds": seconds, "min_bulk_ess": ess, "ess_per_s": ess / seconds,
           "steps_per_draw": steps, "divergences": fit.diagnostics().divergences,
           "max_rhat": fit.diagnostics().max_rhat,
           "target_accept": fit.config["target_accept"] or 0.8}
    if truth is not None:
        row["truth_in_90"] = not recovery.covered(fit, truth)
    return row


def run(seeds: list[int], only: list[str] | None = None) -> pd.DataFrame:
    rows = []
    for name, make in cases().items():
        if only and name not in only:
            continue
        for seed in seeds:
            args, kwargs, truth = make(seed)
            with warnings.catch_warnings():  # compile first: both rows then time sampling only
                warnings.simplefilter("ignore")
                bl.fit(*args, **kwargs, chains=1, draws=20, tune=20, progressbar=False)
            law = bl.get_law(args[0], **(kwargs.get("law_options") or {}))
            default = sampling.resolve_adaptation("nutpie", None, law.adaptation,
                                                  grouped="group" in kwargs)
            for adaptation in ADAPTATIONS:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    fit = bl.fit(*args, **kwargs, **SETTINGS, random_seed=seed,
                                 adaptation=adaptation)
                rows.append({"law": name, "seed": seed, "adaptation": adaptation,
                             "default": "yes" if adaptation == default else "",
                             **measure(fit, truth)})
                print(rows[-1], flush=True)
    return pd.DataFrame(rows)


def _pairs(table: pd.DataFrame, default: str) -> pd.DataFrame:
    """One row per (law, seed) whose default is ``default``: both adaptations side by side."""
    keys = table.loc[(table["adaptation"] == default) & (table["default"] == "yes"),
                     ["law", "seed"]]
    chosen = table.merge(keys, on=["law", "seed"])
    return chosen.pivot_table(index=["law", "seed"], columns="adaptation",
                              values=["ess_per_s", "divergences", "max_rhat"])


def report(table: pd.DataFrame, argv: list[str]) -> str:
    lines = [
        "# nutpie mass-matrix adaptation: low_rank against diag",
        "",
        f"Command: `.venv/bin/python benchmarks/adaptation.py {' '.join(argv)}`",
        f"Load average at end: {tuple(round(v, 2) for v in os.getloadavg())}; "
        f"{os.cpu_count()} CPU cores. Same compiled model for both rows of a law; "
        "`default` marks bayeslaws' choice for that law.",
        "",
        markdown(table),
        "",
    ]
    for default in ADAPTATIONS[::-1]:
        wide = _pairs(table, default)
        if wide.empty:
            continue
        gain = wide[("ess_per_s", "low_rank")] / wide[("ess_per_s", "diag")]
        lines.append(
            f"- Fits where `{default}` is the default ({len(wide)}): ESS per second low_rank / "
            f"diag median {np.median(gain):.2f}x (range {gain.min():.2f}-{gain.max():.2f}x); "
            f"divergences diag {int(wide[('divergences', 'diag')].sum())}, low_rank "
            f"{int(wide[('divergences', 'low_rank')].sum())}; largest R-hat diag "
            f"{wide[('max_rhat', 'diag')].max():.3f}, low_rank "
            f"{wide[('max_rhat', 'low_rank')].max():.3f}."
        )
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument("--only", nargs="+", help="case names to run (default: all)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/adaptation.md"))
    args = parser.parse_args(argv)
    text = report(run(args.seeds, args.only), sys.argv[1:] if argv is None else argv)
    Path(args.out).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
