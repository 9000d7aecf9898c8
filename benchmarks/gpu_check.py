"""numpyro on whatever device JAX sees (GPU when present): vectorised chains, device and timing.

Run from the repository root (on a GPU machine with ``jax[cuda]`` installed)::

    .venv/bin/python benchmarks/gpu_check.py [--chains 4] [--draws 1000]

Two cases, each fitted twice with ``sampler="numpyro"`` (numpyro's NUTS with
``chain_method="vectorized"``, as :mod:`bayeslaws.sampling` sets it) and once with PyMC's own
NUTS on the CPU (``sampler="pymc"``) for reference:

- ``chinchilla`` on the 240 approach-3 points of ``<data>/chinchilla-epoch`` (the demo's
  simulated 81-run grid where the shared data are absent, e.g. on a machine the data do not
  travel to; the report says which);
- ``m4`` on a simulated learning curve (the recovery case of ``tests/helpers.py``, seed 1): its
  implicit equation is solved by a PyTensor scan, which the JAX backend must compile too.

Per fit: the JAX backend and devices, wall time (the first numpyro fit includes JIT
compilation), pure sampling time, divergences, max R-hat, min bulk ESS and the posterior
medians; per case the largest difference between the numpyro and PyMC medians in units of the
posterior sd (two samplers of one posterior agree within Monte Carlo error, about 0.1 sd at
these ESS). Writes ``benchmarks/results/gpu_check.json``.
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


def cases() -> dict[str, tuple[str, object, dict, str, str]]:
    """``{case: (law, data, x mapping, y column, description of the data)}``."""
    from bayeslaws.datasets import chinchilla
    from bayeslaws.exceptions import DataError
    from bayeslaws.simulate import demo_data
    from tests.helpers import simulate_case

    try:
        runs, source, x = chinchilla(), "Chinchilla approach-3 points (240, real)", \
            {"N": "N", "D": "D"}
    except DataError as err:  # the shared data did not travel with the checkout
        runs, source = demo_data(), f"demo grid (81 runs, simulated; real data absent: {err})"
        x = {"N": "params", "D": "tokens"}
    return {"chinchilla": ("chinchilla", runs, x, "loss", source),
            "m4": ("m4", simulate_case("m4", 1), {"x": "x"}, "y",
                   "simulated m4 curve (tests/helpers.py CASES['m4'], seed 1)")}


def one_fit(law, data, x, y, sampler, args) -> tuple[dict, object]:
    import bayeslaws as bl

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = bl.fit(law, data, x=x, y=y, sampler=sampler,
                     chains=args.chains, draws=args.draws, tune=args.draws, random_seed=0,
                     progressbar=False)
    diag = fit.diagnostics()
    row = {"sampler": sampler, "fit_seconds": time.perf_counter() - start,
           "sampling_seconds": fit.config["sampling_seconds"],
           "divergences": int(diag.divergences), "max_rhat": float(diag.max_rhat),
           "min_bulk_ess": float(diag.min_ess_bulk)}
    return row, fit


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--cases", nargs="+", choices=("chinchilla", "m4"),
                        default=["chinchilla", "m4"],
                        help="which cases (m4's scan took 233 s per numpyro fit on an H200)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "gpu_check.json"))
    args = parser.parse_args(argv)

    import jax

    report = {"backend": jax.default_backend(), "devices": [str(d) for d in jax.devices()],
              "jax": jax.__version__, "chains": args.chains, "draws": args.draws,
              "chain_method": "vectorized", "cases": {}}
    for case, (law, data, x, y, source) in cases().items():
        if case not in args.cases:
            continue
        rows, fits = [], {}
        for label, sampler in (("numpyro first", "numpyro"), ("numpyro second", "numpyro"),
                               ("pymc", "pymc")):
            row, fits[sampler] = one_fit(law, data, x, y, sampler, args)
            rows.append({"run": label, **row})
            print(case, json.dumps(rows[-1]), flush=True)
        gpu, cpu = (fits[s].summary() for s in ("numpyro", "pymc"))
        params = list(gpu.index.intersection(cpu.index))
        gap = ((gpu.loc[params, "median"] - cpu.loc[params, "median"]).abs()
               / cpu.loc[params, "sd"])
        report["cases"][case] = {
            "law": law, "data": source, "fits": rows,
            "medians_numpyro": gpu.loc[params, "median"].to_dict(),
            "medians_pymc": cpu.loc[params, "median"].to_dict(),
            "max_median_gap_in_sd": float(gap.max()), "worst_parameter": str(gap.idxmax())}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2, default=float))
    print(json.dumps(report, indent=2, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
