"""nutpie's numba vs JAX backend on the Chinchilla model, each in a fresh process.

Run ``.venv/bin/python benchmarks/speed_backends.py numba`` and ``... jax`` (one process each, so
each pays its own first compile). Prints setup, compile and two samplings (4 x 1000) in seconds
and the minimum bulk ESS.
"""

from __future__ import annotations

import sys
import time


def main(backend: str) -> None:
    start = time.perf_counter()
    import arviz as az
    import nutpie

    from bayeslaws.datasets import chinchilla
    from bayeslaws.model import build_model, data_values
    from bayeslaws.spec import prepare_fit

    spec, obs = prepare_fit("chinchilla", chinchilla(), {"N": "N", "D": "D"}, "loss")
    model = build_model(spec, data_values(spec, obs))
    t1 = time.perf_counter()
    kwargs = {"backend": "jax", "gradient_backend": "jax"} if backend == "jax" else {}
    compiled = nutpie.compile_pymc_model(model, var_names=list(spec.parameter_names), **kwargs)
    t2 = time.perf_counter()
    times = []
    for seed in (1, 2):
        begin = time.perf_counter()
        trace = nutpie.sample(compiled, draws=1000, tune=1000, chains=4, seed=seed,
                              progress_bar=False)
        times.append(time.perf_counter() - begin)
    ess = az.ess(trace, var_names=list(spec.parameter_names), method="bulk")
    low = min(float(ess[v]) for v in ess.data_vars)
    print(f"{backend}: setup {t1 - start:.1f} s, compile {t2 - t1:.1f} s, sampling "
          f"{times[0]:.1f} s / {times[1]:.1f} s, min bulk ESS {low:.0f}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "numba")
