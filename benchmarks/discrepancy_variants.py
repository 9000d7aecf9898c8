"""Which way of learning the discrepancy covers? Variants scored on the same fits and refits.

Same simulation as ``benchmarks/discrepancy.py`` (truth ``0.5 + 20 x^-0.25``, 15 fitted runs,
5 held out up to 1.05 decades beyond; the straight ``power_law`` is the wrong law, the
``saturating_power_law`` the right one). Per seed and law the script fits once, draws the plain
forecast of the held-out runs (log y) and computes the leave-future-out errors inside the
fitted runs at 9 cut points (:func:`bayeslaws.discrepancy.forecast_errors`, cuts 0.5-0.9); it
caches these, and then scores every variant of the discrepancy from the cache (no more
sampling): how the forecast error's scale grows with the distance ``d`` beyond the runs (and the
span ``S`` the runs cover, in decades), which cuts it is learned from, its prior, and whether a
signed drift is learned too. Forecast draws are ``log y + delta``, ``delta`` drawn from the
variant's posterior predictive.

Seeds are split: the variant is chosen on the "tune" seeds and confirmed on the "confirm"
seeds (reported separately, so that nothing is tuned to the seeds it is judged on).

Usage::

    python benchmarks/discrepancy_variants.py --seeds 50 --control-seeds 20
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import bayeslaws as bl
from bayeslaws.calibration import LEVELS, calibration_scores, draw_intervals
from bayeslaws.discrepancy import forecast_errors, log10_scale
from bayeslaws.simulate import simulate

TRUTH = {"E": 0.5, "A": 20.0, "alpha": 0.25}
SAMPLING = {"chains": 2, "draws": 500, "tune": 500, "progressbar": False}
ALL_CUTS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)
CUTS = {"late": (0.6, 0.7, 0.8, 0.9), "all": ALL_CUTS, "last": (0.7, 0.75, 0.8, 0.85, 0.9)}
GRID = np.linspace(0.0, 2.0, 401)


def collect(seed: int, law: str, cache: Path) -> Path:
    path = cache / f"{law}_{seed}.npz"
    if path.exists():
        return path
    data = simulate("saturating_power_law", TRUTH, {"x": np.geomspace(1e3, 1e7, 20)},
                    sigma=0.02, random_seed=seed)
    train, held = data.iloc[:15].reset_index(drop=True), data.iloc[15:].reset_index(drop=True)
    fit = bl.fit(law, train, x="x", y="y", random_seed=seed, **SAMPLING)
    _, draws = fit.predictive_draws(held[["x"]], random_seed=seed)
    errors = forecast_errors(fit, ALL_CUTS, random_seed=seed)
    ref = log10_scale(fit, fit.data())
    np.savez(path, log_draws=np.log(draws), y=held["y"].to_numpy(),
             d=log10_scale(fit, held[["x"]]) - ref.max(), span=ref.max() - ref.min(),
             **{f"e_{c}": errors[c].to_numpy(dtype=float) for c in errors.columns})
    return path


# -- variants -------------------------------------------------------------------------------
def growth(kind: str, d: np.ndarray, span: np.ndarray) -> np.ndarray:
    """How the forecast error's sd grows: linear in decades, in spans, or with curvature."""
    if kind == "decades":
        return d
    if kind == "spans":
        return d / span
    if kind == "curvature":  # a straight fit of a curve bent by c per decade^2, over S decades
        return d * (span + d)
    raise ValueError(kind)


def log_prior(kind: str, scale: float, taus: np.ndarray) -> np.ndarray:
    if kind == "halfnormal":
        return -0.5 * (taus / scale) ** 2
    if kind == "halfcauchy":
        return -np.log1p((taus / scale) ** 2)
    raise ValueError(kind)


def coherent_log_likelihood(r, s2, g, cut) -> np.ndarray:
    """Log likelihood on :data:`GRID` of one bend per cut: ``r = c_k g + e``, ``c_k ~ N(0,
    tau^2)``, ``e ~ N(0, s^2)``, i.e. per cut ``r ~ N(0, diag(s^2) + tau^2 g g')`` (the
    forecasts of one refit miss together; Sherman-Morrison for the rank-one term)."""
    total = np.zeros(GRID.size)
    t2 = GRID ** 2
    for k in np.unique(cut):
        m = cut == k
        a = np.sum(g[m] ** 2 / s2[m])
        b = np.sum(g[m] * r[m] / s2[m])
        q = np.sum(r[m] ** 2 / s2[m])
        total += -0.5 * (np.sum(np.log(s2[m])) + np.log1p(t2 * a) + q - t2 * b ** 2
                         / (1 + t2 * a))
    return total


def posterior(errors: dict, variant: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grid posterior over (tau, drift): ``r ~ N(m g, s^2 + tau^2 g^2)``; ``m`` is 0 unless
    the variant learns a drift (prior N(0, 0.1)); ``coherent`` variants use
    :func:`coherent_log_likelihood` instead."""
    keep = np.isin(np.round(errors["cut"], 3), CUTS[variant["cuts"]])
    r, s, g, cut = (errors[k][keep] for k in ("residual", "sd", "g", "cut"))
    ok = np.isfinite(r) & np.isfinite(s) & (s > 0)
    r, s2, g, cut = r[ok], s[ok] ** 2, g[ok], cut[ok]
    if variant.get("coherent"):
        logp = coherent_log_likelihood(r, s2, g, cut)
        logp = logp + log_prior(variant["prior"], variant["scale"], GRID)
        w = np.exp(logp - logp.max())
        return GRID, np.zeros(1), (w / w.sum())[:, None]
    drifts = np.linspace(-1.0, 1.0, 201) if variant.get("drift") else np.zeros(1)
    var = s2[None, :] + GRID[:, None] ** 2 * g[None, :] ** 2
    resid = r[None, None, :] - drifts[None, :, None] * g[None, None, :]
    logp = -0.5 * np.sum(np.log(var)[:, None, :] + resid ** 2 / var[:, None, :], axis=2)
    logp = logp + log_prior(variant["prior"], variant["scale"], GRID)[:, None]
    if variant.get("drift"):
        logp = logp - 0.5 * (drifts / 0.1) ** 2
    w = np.exp(logp - logp.max())
    return GRID, drifts, w / w.sum()


def score_variant(case: dict, variant: dict, seed: int) -> dict:
    errors = {k[2:]: case[k] for k in case if k.startswith("e_")}
    errors["g"] = growth(variant["growth"], errors["distance"], errors["span"])
    taus, drifts, w = posterior(errors, variant)
    g = growth(variant["growth"], case["d"], case["span"])
    rng = np.random.default_rng(seed)
    draws = case["log_draws"]
    pick = rng.choice(w.size, size=draws.shape[0], p=w.ravel())
    tau, drift = taus[pick // drifts.size], drifts[pick % drifts.size]
    delta = (drift[:, None] + tau[:, None] * rng.standard_normal(draws.shape)) * g[None, :]
    values = np.exp(draws + delta)
    median, intervals = draw_intervals(values, LEVELS)
    out = calibration_scores(case["y"], median, intervals)
    out["rmsle"] = float(np.sqrt(np.mean((np.log(median) - np.log(case["y"])) ** 2)))
    out["tau"] = float(tau.mean())
    return out


VARIANTS = {
    "none": None,
    "decades (now)": {"growth": "decades", "cuts": "late", "prior": "halfnormal", "scale": 0.1},
    "decades, all cuts": {"growth": "decades", "cuts": "all", "prior": "halfnormal",
                          "scale": 0.1},
    "decades, half-Cauchy": {"growth": "decades", "cuts": "late", "prior": "halfcauchy",
                             "scale": 0.1},
    "spans": {"growth": "spans", "cuts": "late", "prior": "halfnormal", "scale": 0.3},
    "spans, all cuts": {"growth": "spans", "cuts": "all", "prior": "halfnormal", "scale": 0.3},
    "curvature": {"growth": "curvature", "cuts": "late", "prior": "halfnormal", "scale": 0.05},
    "curvature, all cuts": {"growth": "curvature", "cuts": "all", "prior": "halfnormal",
                            "scale": 0.05},
    "curvature, half-Cauchy": {"growth": "curvature", "cuts": "late", "prior": "halfcauchy",
                               "scale": 0.05},
    "curvature, cuts 0.7-0.9": {"growth": "curvature", "cuts": "last",
                                "prior": "halfnormal", "scale": 0.05},
    "curvature, coherent": {"growth": "curvature", "cuts": "late", "prior": "halfnormal",
                            "scale": 0.05, "coherent": True},
    "curvature, coherent, all cuts": {"growth": "curvature", "cuts": "all",
                                      "prior": "halfnormal", "scale": 0.05, "coherent": True},
    "curvature, coherent, half-Cauchy": {"growth": "curvature", "cuts": "late",
                                         "prior": "halfcauchy", "scale": 0.05,
                                         "coherent": True},
    "curvature, coherent, prior 0.02": {"growth": "curvature", "cuts": "late",
                                        "prior": "halfnormal", "scale": 0.02,
                                        "coherent": True},
    "curvature, coherent, prior 0.1": {"growth": "curvature", "cuts": "late",
                                       "prior": "halfnormal", "scale": 0.1, "coherent": True},
    "decades, coherent": {"growth": "decades", "cuts": "late", "prior": "halfnormal",
                          "scale": 0.1, "coherent": True},
    "decades + drift": {"growth": "decades", "cuts": "late", "prior": "halfnormal",
                        "scale": 0.1, "drift": True},
    "curvature + drift": {"growth": "curvature", "cuts": "late", "prior": "halfnormal",
                          "scale": 0.05, "drift": True},
}


def score_all(cases: list[tuple[int, str, Path]]) -> pd.DataFrame:
    rows = []
    for seed, law, path in cases:
        case = dict(np.load(path))
        for name, variant in VARIANTS.items():
            if variant is None:
                median, intervals = draw_intervals(np.exp(case["log_draws"]), LEVELS)
                scores = calibration_scores(case["y"], median, intervals)
                scores["rmsle"] = float(np.sqrt(np.mean((np.log(median) - np.log(case["y"]))
                                                        ** 2)))
                scores["tau"] = 0.0
            else:
                scores = score_variant(case, variant, seed)
            rows.append({"seed": seed, "law": law, "variant": name, **scores})
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--control-seeds", type=int, default=20)
    parser.add_argument("--tune-seeds", type=int, default=25,
                        help="seeds 0..n-1 choose the variant, the others confirm it")
    parser.add_argument("--out", type=Path,
                        default=Path("benchmarks/results/discrepancy_variants"))
    args = parser.parse_args(argv)
    cache = args.out / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    warnings.simplefilter("ignore")
    start = time.time()
    cases = []
    for seed, law in [(s, "power_law") for s in range(args.seeds)] + [
            (s, "saturating_power_law") for s in range(args.control_seeds)]:
        cases.append((seed, law, collect(seed, law, cache)))
        print(f"{law} seed {seed}: {time.time() - start:.0f} s", flush=True)
    per_seed = score_all(cases)
    per_seed["seeds"] = np.where(per_seed["seed"] < args.tune_seeds, "tune", "confirm")
    per_seed.to_csv(args.out / "per_seed.csv", index=False)
    cols = ["coverage_50", "coverage_90", "coverage_95", "msce", "rmsle", "width_90", "tau"]
    order = list(VARIANTS)
    table = (per_seed.groupby(["law", "seeds", "variant"])[cols].mean()
             .reindex(order, level="variant"))
    text = (f"# Discrepancy variants\n\n`python benchmarks/discrepancy_variants.py --seeds "
            f"{args.seeds} --control-seeds {args.control_seeds} --tune-seeds {args.tune_seeds}`"
            f" ({time.time() - start:.0f} s). Means over seeds of the held-out scores; tune = "
            f"seeds 0-{args.tune_seeds - 1}, confirm = the others.\n\n```\n"
            + table.round(3).to_string() + "\n```\n")
    (args.out / "results.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
