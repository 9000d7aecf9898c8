"""Divergences of the ``frontier`` likelihood on Gadre et al.'s RedPajama runs, by prior.

The fit of ``benchmarks/frontier_gadre.py`` (``saturating_power_law`` of C4 loss against
C = 6ND, the 33 runs below 1e21 FLOPs, default sampling: nutpie, 4 chains x 1,000 draws) under
``likelihood="frontier"`` with different priors on its parameters (this law samples with
low-rank adaptation, hence ``target_accept`` 0.9 by default; an explicit 0.9 gave the same
draws). Where the divergences sit
(``--where``) locates the funnel: a high off-frontier share ``off`` with a small on-frontier
noise ``sigma`` (few runs on the frontier, which the law must then pass through within
``sigma``). Each variant reports the divergences per seed, the posterior of ``off``, ``sigma``
and ``gap`` and the curve's relative error at the held-out 6.9B M=20 run.

Usage::

    PYTHONPATH=. python benchmarks/frontier_divergences.py [--variants a b ...] [--seeds 0 1]
        [--target-accept 0.95] [--where]
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bayeslaws as bl  # noqa: E402
from bayeslaws.datasets import data_dir  # noqa: E402

SPLIT = 1e21
#: The on-frontier noise priors compared: the package's noise prior (``noise_prior()``, the
#: frontier default before issue 18's fix) and the narrower one that is the default now.
SIGMA_WIDE = bl.Prior("LogNormal", mu=math.log(0.01), sigma=1.2)
SIGMA_NARROW = bl.Prior("LogNormal", mu=math.log(0.01), sigma=0.6)
#: Prior variants: name -> priors passed to bl.fit (each stated in full, so that a later
#: change of the defaults does not change what a variant means).
VARIANTS = {
    "sigma_ln12": {"sigma": SIGMA_WIDE},
    "off_beta22": {"sigma": SIGMA_WIDE, "off": bl.Prior("Beta", alpha=2.0, beta=2.0)},
    "sigma_ln06": {"sigma": SIGMA_NARROW},
}


def runs() -> tuple[pd.DataFrame, pd.DataFrame]:
    table = pd.read_csv(data_dir() / "gadre-overtraining" / "gadre_models_losses.csv")
    table = table[table["dataset"] == "rpj"].dropna(subset=["loss_c4_val"])
    return table[table["C_flops_6ND"] < SPLIT], table[table["C_flops_6ND"] > SPLIT]


def one(variant: str, seed: int, where: bool = False, target_accept: float | None = None) -> dict:
    fit_runs, held = runs()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = bl.fit("saturating_power_law", fit_runs, x={"x": "C_flops_6ND"},
                     y="loss_c4_val", likelihood="frontier", priors=VARIANTS[variant],
                     random_seed=seed, progressbar=False, target_accept=target_accept)
    target = held[held["token_multiplier_M"] == 20]
    curve = fit.predict({"x": target["C_flops_6ND"].to_numpy()}, kind="mean")
    table = fit.summary(prob=0.9)
    diverging = fit.trace["sample_stats"]["diverging"].values.ravel()
    row = {"variant": variant, "seed": seed, "target_accept": fit.settings.target_accept,
           "divergences": int(diverging.sum()),
           "draws": diverging.size, "max R-hat": round(fit.diagnostics().max_rhat, 3),
           "error 6.9B M=20": float(curve["median"].iloc[0] / target["loss_c4_val"].iloc[0] - 1)}
    for name in ("off", "sigma", "gap"):
        row[name] = (f"{table.loc[name, 'median']:.3g} [{table.loc[name, 'eti90_lower']:.3g}, "
                     f"{table.loc[name, 'eti90_upper']:.3g}]")
    if where and diverging.any():
        for name in ("off", "sigma"):
            values = fit.posterior[name].values.ravel()
            row[f"{name} at divergences"] = float(np.median(values[diverging]))
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--target-accept", type=float, default=None,
                        help="NUTS target acceptance (default: the fit's, 0.9 for this law)")
    parser.add_argument("--where", action="store_true",
                        help="median off and sigma of the divergent draws")
    args = parser.parse_args(argv)
    rows = [one(v, s, args.where, args.target_accept) for v in args.variants for s in args.seeds]
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format=lambda v: f"{v:+.4f}"))
    print(table.groupby("variant")[["divergences", "draws"]].sum().to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
