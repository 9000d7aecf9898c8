"""Where the time of a first fit in a fresh process goes (nutpie, Chinchilla, 4 x 1,000 draws).

Times, in this process: importing bayeslaws (PyMC, PyTensor, nutpie), nutpie's PyTensor step
(graph rewrites and loading PyTensor's numba cache), numba compiling nutpie's two C callbacks
(log density with gradient, and the expansion to the user-facing parameters) and sampling.
Run it twice: the first run also fills PyTensor's on-disk numba cache.

Run: ``.venv/bin/python benchmarks/compile_profile.py``
"""

from __future__ import annotations

import time

START = time.perf_counter()

import numba  # noqa: E402
import nutpie.compile_pymc as nutpie_compile  # noqa: E402

import bayeslaws as bl  # noqa: E402
from bayeslaws.datasets import chinchilla  # noqa: E402

IMPORTED = time.perf_counter()
PHASES: dict[str, float] = {}


def _timed(name: str, function):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            PHASES[name] = PHASES.get(name, 0.0) + time.perf_counter() - start
    return wrapper


def _timed_cfunc(*args, **kwargs):
    decorator = _real_cfunc(*args, **kwargs)
    return _timed("numba C callbacks (logp+gradient, expand)", decorator)


_real_cfunc = numba.cfunc


def main() -> int:
    nutpie_compile._make_functions = _timed("PyTensor graph and cached numba kernels",
                                            nutpie_compile._make_functions)
    numba.cfunc = _timed_cfunc
    start = time.perf_counter()
    fit = bl.fit("chinchilla", chinchilla(), x={"N": "N", "D": "D"}, y="loss", random_seed=0,
                 progressbar=False)
    total = time.perf_counter() - start
    sampling = float(fit.config["sampling_seconds"])
    rows = {"import bayeslaws (PyMC, PyTensor, nutpie)": IMPORTED - START, **PHASES,
            "sampling (nutpie.sample)": sampling}
    rows["rest of bl.fit (data checks, model, trace, diagnostics)"] = (
        total - sum(PHASES.values()) - sampling)
    whole = time.perf_counter() - START
    for name, seconds in rows.items():
        print(f"{seconds:6.2f} s  {100 * seconds / whole:4.0f}%  {name}")
    print(f"{whole:6.2f} s  total; {whole / sampling:.1f}x the sampling time")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
