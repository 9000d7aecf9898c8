"""A recovery case of tests/helpers.py (``CASES``) over several seeds: divergences, R-hat, ESS
and which true parameters fall outside the 90% interval, at the package's default sampling.

The recovery test fits one seed; this shows whether what it finds is typical. Each seed
simulates new data (``tests.helpers.simulate_case``) and fits with that seed.

Usage::

    python benchmarks/recovery_seeds.py --case m4 --seeds 6
    python benchmarks/recovery_seeds.py --case m4 --seeds 6 --fit-options '{"target_accept": 0.95}'
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.helpers import CASES  # noqa: E402
from tests.test_recovery import DEFAULT_SETTINGS, covered, fit_case  # noqa: E402


def run(case: str, seeds: int, options: dict) -> pd.DataFrame:
    """One row per seed."""
    rows = []
    for seed in range(seeds):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = fit_case(case, seed=seed, **{**DEFAULT_SETTINGS, **options})
        diag = fit.diagnostics()
        missed = covered(fit, CASES[case][1])
        rows.append({"seed": seed, "divergences": int(diag.divergences),
                     "max_rhat": round(float(diag.max_rhat), 4),
                     "min_ess_bulk": round(float(diag.min_ess_bulk)),
                     "outside_90": ", ".join(missed) or "-"})
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", required=True, choices=sorted(CASES))
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--fit-options", default="{}", help="JSON of extra bl.fit options")
    args = parser.parse_args(argv)
    print(run(args.case, args.seeds, json.loads(args.fit_options)).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
