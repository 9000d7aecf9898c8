"""numpyro on whatever device JAX sees (GPU when present): vectorised chains, device and timing.

Run from the repository root (on a GPU machine with ``jax[cuda]`` installed)::

    .venv/bin/python benchmarks/gpu_check.py [--chains 4] [--draws 1000]

Fits the Chinchilla law to the 240 approach-3 points twice with ``sampler="numpyro"`` (numpyro's
NUTS with ``chain_method="vectorized"``, as :mod:`bayeslaws.sampling` sets it) and prints the JAX
backend and devices, the wall time of the first fit (including JIT compilation) and of the
second, the pure sampling time and the minimum bulk ESS. Writes
``benchmarks/results/gpu_check.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "gpu_check.json"))
    args = parser.parse_args(argv)

    import jax

    import bayeslaws as bl
    from bayeslaws.datasets import chinchilla

    df = chinchilla()
    report = {"backend": jax.default_backend(), "devices": [str(d) for d in jax.devices()],
              "chains": args.chains, "draws": args.draws, "chain_method": "vectorized"}
    for label in ("first", "second"):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = bl.fit("chinchilla", df, x={"N": "N", "D": "D"}, y="loss", sampler="numpyro",
                         chains=args.chains, draws=args.draws, tune=args.draws, random_seed=0,
                         progressbar=False)
        report[f"{label}_fit_seconds"] = time.perf_counter() - start
        report[f"{label}_sampling_seconds"] = fit.config["sampling_seconds"]
    report["min_bulk_ess"] = fit.diagnostics().min_ess_bulk
    report["max_rhat"] = fit.diagnostics().max_rhat
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
