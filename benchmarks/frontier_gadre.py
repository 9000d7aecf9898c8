"""Frontier fit on real runs: loss against compute on Gadre et al.'s RedPajama sweep.

Gadre et al. (arXiv:2403.08540) train each size at token multipliers M = 5-640, so at a given
compute C = 6 N D most runs are off the compute frontier (under- or over-trained). A
``saturating_power_law`` of C4 validation loss against C is fitted to the 33 runs below 1e21
FLOPs under three likelihoods (``lognormal``, ``studentt``, ``frontier``) at default sampling
settings, and its curve (``kind="mean"``) is compared with the two held-out runs above 1e21:
the 6.9B model at M = 20 (near compute-optimal: on the frontier) and the 1.4B model at M = 640
(over-trained: above it).

Usage::

    PYTHONPATH=. python benchmarks/frontier_gadre.py
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bayeslaws as bl  # noqa: E402
from bayeslaws.datasets import data_dir  # noqa: E402

SPLIT = 1e21


def main() -> int:
    runs = pd.read_csv(data_dir() / "gadre-overtraining" / "gadre_models_losses.csv")
    runs = runs[runs["dataset"] == "rpj"].dropna(subset=["loss_c4_val"])
    fit_runs, held = runs[runs["C_flops_6ND"] < SPLIT], runs[runs["C_flops_6ND"] > SPLIT]
    rows = []
    for likelihood in ("lognormal", "studentt", "frontier"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = bl.fit("saturating_power_law", fit_runs, x={"x": "C_flops_6ND"},
                         y="loss_c4_val", likelihood=likelihood, random_seed=0,
                         progressbar=False)
        curve = fit.predict({"x": held["C_flops_6ND"].to_numpy()}, kind="mean", prob=0.9)
        diag = fit.diagnostics()
        for (_, run), (_, row) in zip(held.iterrows(), curve.iterrows(), strict=True):
            rows.append({
                "likelihood": likelihood,
                "held-out run": f"{run['N_params'] / 1e9:.1f}B, M={run['token_multiplier_M']:g}",
                "observed": run["loss_c4_val"], "curve median": row["median"],
                "90% interval": f"[{row['lower']:.3f}, {row['upper']:.3f}]",
                "relative error": (row["median"] - run["loss_c4_val"]) / run["loss_c4_val"],
                "divergences": diag.divergences, "max R-hat": round(diag.max_rhat, 3)})
        if likelihood == "frontier":
            share = fit.summary(prob=0.9).loc[["off", "gap"], ["median", "eti90_lower",
                                                               "eti90_upper"]]
    print(f"{len(fit_runs)} fitted runs (C < {SPLIT:g}), {len(held)} held out")
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print("frontier: share of runs off the frontier and mean excess of log loss")
    print(share.to_string(float_format=lambda v: f"{v:.3f}"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
