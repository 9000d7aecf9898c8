"""Posterior geometry of the ``sigmoid`` law on Pythia tasks: correlations on the sampling scale.

For each task (zero-shot ``acc``, as ``benchmarks/defaults.py``'s ``pythia`` family) it fits the
law (4 chains x 500 draws, seed 1) and prints the posterior summary and correlation matrix of
the sampled coordinates -- ``logit_c`` (ceiling on (chance, 1)), ``log_k``, ``log_x0c`` (log
x0 minus the data's centre), ``log_phi`` -- and of the accuracies at the smallest and largest
x (``a_lo``, ``a_hi``) and the logit of the rise at the centre (``b_c``), with the medians of
the divergent draws. The previous defaults are ``--fit-options`` with ``OLD_DEFAULTS``'s
priors and ``"target_accept": 0.9``.

Usage::

    python benchmarks/sigmoid_geometry.py --tasks winogrande mmlu_avg_57_subjects logiqa \
        --old-defaults
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bayeslaws as bl  # noqa: E402
from benchmarks.defaults import pythia_cases  # noqa: E402

#: The sigmoid's default priors before issue 14 on the Pythia sizes (centre 20.7765, log span
#: 5.144), with the package's target_accept for low-rank adaptation.
OLD_DEFAULTS = {"priors": {"ceiling": {"distribution": "Beta", "alpha": 2.0, "beta": 1.0},
                           "k": {"distribution": "LogNormal", "mu": -0.251569, "sigma": 1.0},
                           "x0": {"distribution": "LogNormal", "mu": 20.7765,
                                  "sigma": 3.0865}},
                "target_accept": 0.9}


def geometry(case: dict, options: dict) -> str:
    kwargs = {**case["kwargs"], **options}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = bl.fit("sigmoid", case["data"], random_seed=1, progressbar=False, draws=500,
                     tune=500, **kwargs)
    diag = fit.diagnostics()
    post = fit.posterior
    k, x0, c = (post[n].values.ravel() for n in ("k", "x0", "ceiling"))
    chance = case["kwargs"]["law_options"]["chance"]
    logx = np.log(case["data"]["params"].to_numpy())
    lo, hi, centre = logx.min(), logx.max(), logx.mean()
    rise = lambda t: 1.0 / (1.0 + np.exp(-t))  # noqa: E731
    table = pd.DataFrame({
        "logit_c": np.log((c - chance) / (1 - c)), "log_k": np.log(k),
        "log_x0c": np.log(x0) - centre, "a_lo": chance + (c - chance) * rise(k * (lo - np.log(x0))),
        "a_hi": chance + (c - chance) * rise(k * (hi - np.log(x0))),
        "b_c": k * (centre - np.log(x0))})
    if "phi" in post:
        table["log_phi"] = np.log(post["phi"].values.ravel())
    lines = [f"## {case['case']}: max R-hat {diag.max_rhat:.4f}, min bulk ESS "
             f"{diag.min_ess_bulk:.0f}, {diag.divergences} divergences", "",
             table.describe(percentiles=[0.05, 0.5, 0.95]).round(3).to_string(), "",
             table.corr().round(2).to_string(), ""]
    diverging = fit.trace["sample_stats"]["diverging"].values.ravel().astype(bool)
    if diverging.any():
        lines += ["medians of the divergent draws:", table[diverging].median().round(3)
                  .to_string(), ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", nargs="+",
                        default=["winogrande", "mmlu_avg_57_subjects", "logiqa", "arc_challenge"])
    parser.add_argument("--fit-options", default="{}", help="JSON of extra bl.fit options")
    parser.add_argument("--old-defaults", action="store_true",
                        help="the sigmoid's priors and target_accept before issue 14")
    args = parser.parse_args(argv)
    options = {**(OLD_DEFAULTS if args.old_defaults else {}), **json.loads(args.fit_options)}
    for case in pythia_cases():
        if case["case"] in args.tasks:
            print(geometry(case, options), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
