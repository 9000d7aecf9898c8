"""Pooling the discrepancy scale across the curves of a study: simulated families of curves.

Alone, a curve's ``tau`` is learned from 4 leave-future-out cuts inside its 15 runs, too few to
tell a law that extrapolates well from one that bends a little: on the right law ``tau`` is
mostly set by its HalfNormal(0.05) prior and widens the 90% intervals by ~85%
(``benchmarks/discrepancy.py``). :func:`bayeslaws.discrepancy.pool_tau` learns it from every
curve of a study: ``"complete"`` (one ``tau``), ``"partial"`` (``tau_j ~ HalfNormal(s)``, the
population scale ``s`` learned; sd of ``log s`` in its prior 1 or 2), ``"none"`` (each alone).

Curves: those of ``benchmarks/discrepancy_variants.py`` (same cache: truth ``0.5 + 20
x^-0.25``, 15 fitted runs, 5 held out up to 1.05 decades beyond). A *right* curve is the
``saturating_power_law`` fitted to it, a *wrong* curve the straight ``power_law``. A family is
``--size`` curves drawn without replacement from a pool: all right, all wrong, or half each
(``mixed``); ``--families`` families per kind. ``plain`` is the fit without discrepancy;
``scale`` the posterior mean of the population scale ``s`` (the prior's 0.05 unless partial).
``mean bend (probe)`` is item 3's probe, not in the package (:func:`mean_bend`): a signed
mean bend shared by the family's curves, ``scale`` its posterior mean.
The forecasts are those of :class:`bayeslaws.discrepancy.Discrepant` (one bend ``c ~ N(0,
tau^2)`` per draw times ``d (S + d)``), from the cached plain draws.

Seeds are split: pooling is chosen on the "tune" pool (right seeds 0-19, wrong 0-24) and
confirmed on the "confirm" pool (right 20-39, wrong 25-49).

Usage (fills the cache first if needed, about 7 min; then seconds)::

    python benchmarks/discrepancy_pooled.py
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from bayeslaws.calibration import LEVELS, calibration_scores, draw_intervals
from bayeslaws.discrepancy import CUTS, growth, pool_tau

sys.path.insert(0, str(Path(__file__).parent))
from discrepancy_variants import collect  # noqa: E402  (the same cache of fits and refits)

POOLS = {"tune": {"right": range(0, 20), "wrong": range(0, 25)},
         "confirm": {"right": range(20, 40), "wrong": range(25, 50)}}
LAW = {"right": "saturating_power_law", "wrong": "power_law"}
MODES = {"plain": (None, 1.0), "none": ("none", 1.0), "complete": ("complete", 1.0),
         "partial": ("partial", 1.0), "partial, sd 2": ("partial", 2.0)}


def load_case(seed: int, kind: str, cache: Path) -> dict:
    case = dict(np.load(collect(seed, LAW[kind], cache)))
    errors = pd.DataFrame({c: case[f"e_{c}"] for c in ("cut", "span", "distance",
                                                       "residual", "sd")})
    case["errors"] = errors[np.isin(np.round(errors["cut"], 3), CUTS)].reset_index(drop=True)
    return case


def forecast(case: dict, taus: np.ndarray, probs: np.ndarray, seed: int) -> dict:
    """Scores of the cached draws times ``exp(c g)``, ``c ~ N(0, tau^2)``, ``tau`` from its
    posterior (as :meth:`Discrepant.predictive_draws`)."""
    rng = np.random.default_rng(seed)
    draws = case["log_draws"]
    tau = rng.choice(taus, size=draws.shape[0], p=probs)
    bend = tau * rng.standard_normal(draws.shape[0])
    values = np.exp(draws + bend[:, None] * growth(case["d"], case["span"])[None, :])
    median, intervals = draw_intervals(values, LEVELS)
    out = calibration_scores(case["y"], median, intervals)
    out["rmsle"] = float(np.sqrt(np.mean((np.log(median) - np.log(case["y"])) ** 2)))
    out["tau"] = float(taus @ probs)
    ratio = np.log(case["y"] / median)  # where the held-out runs lie against the median
    out["above_median"], out["log_bias"] = float(np.mean(ratio > 0)), float(np.mean(ratio))
    return out


BENDS = np.linspace(-0.2, 0.2, 161)
TAU_GRID = np.linspace(0.0, 0.4, 401)


def mean_bend(errors: dict) -> tuple[np.ndarray, dict]:
    """Item 3's probe (not in the package): a signed mean bend ``m`` shared by the curves,
    ``c = m + tau_j eps`` (prior ``m ~ N(0, 0.1)``, ``tau_j ~ HalfNormal(0.05)`` per curve).
    Per cut ``r ~ N(m g, diag(s^2) + tau^2 g g')``. Returns the posterior of ``m`` on
    :data:`BENDS` and per curve the joint posterior of ``(m, tau_j)``, shape (bends, taus)."""
    t2 = TAU_GRID[None, :] ** 2
    m = BENDS[:, None]
    joint, marginal = {}, np.zeros(BENDS.size)
    for key, e in errors.items():
        g = growth(e["distance"], e["span"])
        r, s2, cut = e["residual"].to_numpy(), e["sd"].to_numpy() ** 2, e["cut"].to_numpy()
        ll = np.zeros((BENDS.size, TAU_GRID.size))
        for k in np.unique(cut):
            i = cut == k
            a, b0, q0 = (np.sum(g[i] ** 2 / s2[i]), np.sum(g[i] * r[i] / s2[i]),
                         np.sum(r[i] ** 2 / s2[i]))
            b, q = b0 - m * a, q0 - 2 * m * b0 + m ** 2 * a
            ll += -0.5 * (np.log1p(t2 * a) + q - t2 * b ** 2 / (1 + t2 * a))
        ll += -0.5 * (TAU_GRID[None, :] / 0.05) ** 2
        joint[key] = ll
        top = ll.max()
        marginal += top + np.log(np.exp(ll - top).sum(axis=1))
    log_m = marginal - 0.5 * (BENDS / 0.1) ** 2
    pm = np.exp(log_m - log_m.max())
    pm /= pm.sum()
    out = {}
    for key, ll in joint.items():
        cond = np.exp(ll - ll.max(axis=1, keepdims=True))
        cond /= cond.sum(axis=1, keepdims=True)  # p(tau_j | m, data_j)
        out[key] = pm[:, None] * cond
    return pm, out


def forecast_bend(case: dict, joint: np.ndarray, seed: int) -> dict:
    """As :func:`forecast`, the bend ``c = m + tau eps`` drawn from ``joint`` (m, tau)."""
    rng = np.random.default_rng(seed)
    draws = case["log_draws"]
    pick = rng.choice(joint.size, size=draws.shape[0], p=joint.ravel())
    m, tau = BENDS[pick // TAU_GRID.size], TAU_GRID[pick % TAU_GRID.size]
    bend = m + tau * rng.standard_normal(draws.shape[0])
    values = np.exp(draws + bend[:, None] * growth(case["d"], case["span"])[None, :])
    median, intervals = draw_intervals(values, LEVELS)
    out = calibration_scores(case["y"], median, intervals)
    out["rmsle"] = float(np.sqrt(np.mean((np.log(median) - np.log(case["y"])) ** 2)))
    out["tau"] = float(tau.mean())
    ratio = np.log(case["y"] / median)
    out["above_median"], out["log_bias"] = float(np.mean(ratio > 0)), float(np.mean(ratio))
    out["scale"] = float(m.mean())  # here: the mean bend
    return out


def families(pool: dict, kind: str, size: int, count: int, rng) -> list[list[tuple]]:
    out = []
    for _ in range(count):
        if kind == "mixed":
            members = [("right", int(s)) for s in rng.choice(pool["right"], size // 2,
                                                             replace=False)]
            members += [("wrong", int(s)) for s in rng.choice(pool["wrong"], size - size // 2,
                                                              replace=False)]
        else:
            members = [(kind, int(s)) for s in rng.choice(pool[kind], size, replace=False)]
        out.append(members)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, nargs="+", default=[8, 4],
                        help="curves per family (one run per size)")
    parser.add_argument("--families", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/discrepancy_pooled"))
    parser.add_argument("--cache", type=Path,
                        default=Path("benchmarks/results/discrepancy_variants/cache"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    args.cache.mkdir(parents=True, exist_ok=True)
    warnings.simplefilter("ignore")
    start = time.time()
    cases = {(kind, s): load_case(s, kind, args.cache)
             for split in POOLS.values() for kind, seeds in split.items() for s in seeds}
    rows = []
    for size in args.size:
        rng = np.random.default_rng(size)
        for split, pool in POOLS.items():
            for family_kind in ("right", "wrong", "mixed"):
                for f, members in enumerate(families(pool, family_kind, size, args.families,
                                                     rng)):
                    errors = {m: cases[m]["errors"] for m in members}
                    for mode, (pooling, sd) in MODES.items():
                        if pooling is None:  # the plain fit: tau 0
                            taus, probs = np.zeros(1), {m: np.ones(1) for m in members}
                            scale = 0.0
                        else:
                            taus, probs, population = pool_tau(errors, pooling,
                                                               population_sd=sd)
                            scale = float(population["scales"] @ population["probs"])
                        for m in members:
                            scores = forecast(cases[m], taus, probs[m], seed=m[1])
                            rows.append({"size": size, "split": split, "family": family_kind,
                                         "index": f, "curve": m[0], "seed": m[1],
                                         "mode": mode, **scores, "scale": scale})
                    _, joints = mean_bend(errors)
                    for m in members:
                        rows.append({"size": size, "split": split, "family": family_kind,
                                     "index": f, "curve": m[0], "seed": m[1],
                                     "mode": "mean bend (probe)",
                                     **forecast_bend(cases[m], joints[m], seed=m[1])})
    per_curve = pd.DataFrame(rows)
    per_curve.to_csv(args.out / "per_curve.csv", index=False)
    cols = ["coverage_50", "coverage_90", "coverage_95", "msce", "rmsle", "width_90", "tau",
            "scale", "above_median", "log_bias"]
    table = (per_curve.groupby(["size", "split", "family", "curve", "mode"])[cols].mean()
             .reindex([*MODES, "mean bend (probe)"], level="mode"))
    text = (f"# Pooled discrepancy\n\n`python benchmarks/discrepancy_pooled.py --size "
            f"{' '.join(map(str, args.size))} --families {args.families}` "
            f"({time.time() - start:.0f} s). Means over the curves of {args.families} "
            "families per kind (family = its kind of curves; curve = right or wrong law) of "
            "the held-out scores.\n\n```\n" + table.round(3).to_string() + "\n```\n")
    (args.out / "results.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
