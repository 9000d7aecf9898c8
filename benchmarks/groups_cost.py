"""Cost of the ArviZ groups added to every fit (issue 17): seconds and saved-file bytes.

Run from the repository root::

    .venv/bin/python benchmarks/groups_cost.py

On the Chinchilla approach-3 data (240 runs) with a posterior of 4 chains x 1,000 fixed
draws around the replication's parameters (no sampling: the cost of the groups does not depend
on where the draws come from), it times :func:`bayeslaws.groups.with_predictive_groups`
(posterior predictive, 500 prior draws, prior predictive; the first call includes compiling
PyMC's prior draws, the second is timed too) and compares the saved file with and without the
groups (``fit.save(path, predictive=False)``).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    from bayeslaws.datasets import chinchilla
    from bayeslaws.groups import with_predictive_groups
    from tests.helpers import chinchilla_draws, fixed_draws_fit

    df = chinchilla()
    fit = fixed_draws_fit("chinchilla", chinchilla_draws(n=4000, spread=0.02),
                          df.rename(columns={"loss": "y"}), {"N": "N", "D": "D"}, chains=4)
    seconds = []
    for seed in (0, 1):
        start = time.perf_counter()
        tree = with_predictive_groups(fit.trace, fit.spec, fit.observations, seed)
        seconds.append(time.perf_counter() - start)
    fit.trace = tree
    with tempfile.TemporaryDirectory() as tmp:
        full = fit.save(Path(tmp) / "full.nc").stat().st_size
        small = fit.save(Path(tmp) / "small.nc", predictive=False).stat().st_size
    print(f"runs {len(df)}, posterior 4 x 1000 draws")
    print(f"with_predictive_groups: first call {seconds[0]:.2f} s, second {seconds[1]:.2f} s")
    print(f"saved file: {full / 1e6:.2f} MB with the groups, {small / 1e6:.2f} MB without "
          f"(predictive=False)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
