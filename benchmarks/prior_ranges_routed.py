"""Prior predictive range of the routed (mixture-of-experts) laws on a SIMULATED sweep.

No routed sweep is in ../shared/data, so the data are simulated: dense sizes N 1e7-1.3e9 (6
sizes) x expert counts E 1-512 (powers of 2), loss from the ``routed_saturating`` law at
illustrative coefficients of the order Clark et al. (arXiv:2202.01169) report (natural logs:
a = -0.085, b = -0.10, c = 0.004, d = 2.56, E_start = 1.8, E_max = 200; not the paper's
table), with 0.5% multiplicative noise. For each law the 90% band of its prior curves
(``kind="mean"``, 1000 draws) is compared with the data's range, as in
``benchmarks/prior_ranges.py``.

Usage::

    PYTHONPATH=. python benchmarks/prior_ranges_routed.py
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bayeslaws as bl  # noqa: E402

#: Illustrative truth of the simulated sweep (see module docstring).
TRUTH = {"a": -0.085, "b": -0.10, "c": 0.004, "d": 2.56, "E_start": 1.8, "E_max": 200.0}
SIZES = np.geomspace(1e7, 1.3e9, 6)
EXPERTS = 2.0 ** np.arange(10)


def sweep(seed: int = 0, noise: float = 0.005, truth=None) -> pd.DataFrame:
    """The simulated sweep: one run per (N, E), loss from ``routed_saturating``."""
    n, e = (g.ravel() for g in np.meshgrid(SIZES, EXPERTS))
    law = bl.get_law("routed_saturating")
    mean = law.mean(truth or TRUTH, {"N": n, "E": e})
    rng = np.random.default_rng(seed)
    loss = mean * np.exp(noise * rng.standard_normal(n.size))
    return pd.DataFrame({"N": n, "E": e, "loss": loss})


def band(law: str, data: pd.DataFrame, draws: int = 1000) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check = bl.prior_predictive(law, data, x={"N": "N", "E": "E"}, y="loss", draws=draws,
                                    random_seed=0)
    y = check.observations.y
    lo, med, hi = np.nanquantile(check.draws, [0.05, 0.5, 0.95], axis=0)
    return {"law": law, "lower_ratio": float(np.min(lo) / y.min()),
            "upper_ratio": float(np.max(hi) / y.max()),
            "median_low": float(np.min(med) / y.min()),
            "median_high": float(np.max(med) / y.max())}


def main() -> int:
    data = sweep()
    table = pd.DataFrame([band(law, data) for law in ("routed", "routed_saturating")])
    print(f"simulated sweep: {len(data)} runs, loss {data['loss'].min():.3f}-"
          f"{data['loss'].max():.3f}")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
