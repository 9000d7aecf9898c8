"""Case study: one hierarchical fit per domain of the revisiting-NSL benchmark vs per-curve fits.

Data: ``../shared/data/revisiting-nsl`` (Alabdulmohsin et al. 2022): learning curves of loss
against examples seen, in four domains (IC image classification error, NMT log-perplexity, LM
log-loss, BB BIG-bench), with the benchmark's own split -- ``Training == 1`` points are fitted,
``Training == 0`` points (larger x) are the extrapolation targets. The language file's exact
duplicate rows are dropped.

Per domain, two ways to fit the law ``saturating_power_law`` (the benchmark's M2,
``y = E + A x^-alpha``):

* ``per-curve``: one ``bl.fit`` per learning curve (a task x model pair);
* ``hierarchical``: one ``bl.fit(..., group="curve")`` of all the domain's curves, every
  parameter (``E``, ``A``, ``alpha`` and the noise ``sigma``) varying by curve and partially
  pooled towards the domain's population. The group is the curve: in IC and BB a curve is one
  task (with one model each in BB), in NMT and LM the domain has one task and the curves are its
  models, so "task as group" is taken as "curve as group" throughout.

Both are scored as the benchmark scores extrapolation, on the held-out points of every curve:
RMSE of log loss of the posterior-predictive median (the benchmark's metric, per curve, then
averaged over curves), log predictive density of log loss per held-out point, and the coverage
of 90% predictive intervals.

Run: ``python case_studies/revisiting_hierarchical.py [--domains NMT LM BB IC]
[--max-curves 0] [--draws 500] [--tau-scales 0.5 2]
[--out case_studies/reports/revisiting_hierarchical.md]``
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import bayeslaws as bl
from bayeslaws.datasets import data_dir

LAW = "saturating_power_law"
DOMAINS = ("NMT", "LM", "BB", "IC")
PROB = 0.9
VARYING = ("E", "A", "alpha", "sigma")
PER_CURVE = "per-curve"


def load() -> pd.DataFrame:
    """Both benchmark files, duplicates dropped, with a ``curve`` label per task x model."""
    folder = data_dir() / "revisiting-nsl"
    frames = [pd.read_csv(folder / name) for name in ("benchmark.vision.csv",
                                                      "benchmark.lang.csv")]
    frame = pd.concat(frames, ignore_index=True).drop_duplicates().reset_index(drop=True)
    frame["curve"] = frame["Task"].astype(str) + " | " + frame["Model"].astype(str)
    return frame.rename(columns={"Seen Examples": "x", "Loss": "loss"})


def scores(curve: str, test: pd.DataFrame, draws: np.ndarray, lpd: np.ndarray) -> dict:
    """Benchmark metrics of one curve's held-out points from predictive draws ``(S, points)``."""
    log_truth = np.log(test["loss"].to_numpy())
    median = np.median(draws, axis=0)
    lo, hi = np.quantile(draws, [(1 - PROB) / 2, (1 + PROB) / 2], axis=0)
    truth = test["loss"].to_numpy()
    return {
        "curve": curve, "points": len(test),
        "rmse_log": float(np.sqrt(np.mean((np.log(median) - log_truth) ** 2))),
        "lpd": float(np.mean(lpd)),
        "covered": int(((lo <= truth) & (truth <= hi)).sum()),
    }


def fit_domain(frame: pd.DataFrame, domain: str, settings: dict, max_curves: int,
               tau_scales: tuple[float, ...] = (0.5,)) -> tuple[pd.DataFrame, dict]:
    """Per-curve fits and one hierarchical fit per tau scale of one domain; per-curve scores."""
    from bayeslaws.compare import log_predictive_density

    part = frame[frame["Domain"] == domain]
    curves = sorted(part["curve"].unique())
    if max_curves:
        curves = curves[:max_curves]
    part = part[part["curve"].isin(curves)]
    train = part[part["Training"] == 1].reset_index(drop=True)
    test = part[part["Training"] == 0].reset_index(drop=True)
    curves = [c for c in curves if (test["curve"] == c).any() and (train["curve"] == c).sum() > 4]
    rows = []
    info = {"domain": domain, "curves": len(curves), "train_points": int(
        train["curve"].isin(curves).sum()), "test_points": int(test["curve"].isin(curves).sum()),
        "methods": {}}
    start = time.perf_counter()
    problems = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bl.SamplerWarning)  # counted below instead
        for i, curve in enumerate(curves):
            fit = bl.fit(LAW, train[train["curve"] == curve], x="x", y="loss",
                         **{**settings, "random_seed": settings["random_seed"] + i})
            problems += bool(fit.diagnostics().problems)
            held = test[test["curve"] == curve]
            _, draws = fit.predictive_draws(held[["x"]], random_seed=i)
            rows.append({"method": PER_CURVE,
                         **scores(curve, held, draws, log_predictive_density(fit, held))})
    info["methods"][PER_CURVE] = {"seconds": time.perf_counter() - start,
                                  "health": f"{problems}/{len(curves)} fits with warnings"}
    for tau in tau_scales:
        method = f"hierarchical, tau_scale {tau:g}"
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", bl.SamplerWarning)
            hier = bl.fit(LAW, train[train["curve"].isin(curves)], x="x", y="loss",
                          group="curve", varying=list(VARYING), tau_scale=tau, **settings)
        diag = hier.diagnostics()
        info["methods"][method] = {
            "seconds": time.perf_counter() - start,
            "health": f"{diag.divergences} divergences, R-hat {diag.max_rhat:.3f}, "
                      f"bulk ESS {diag.min_ess_bulk:.0f}"}
        for i, curve in enumerate(curves):
            held = test[test["curve"] == curve]
            _, draws = hier.predictive_draws(held[["x"]], group=curve, random_seed=i)
            rows.append({"method": method,
                         **scores(curve, held, draws, hier.log_density(held, group=curve))})
    return pd.DataFrame(rows).assign(domain=domain), info


def report(results: pd.DataFrame, infos: list[dict], args, seconds: float) -> str:
    lines = [
        "# Revisiting neural scaling laws: hierarchical fit per domain vs per-curve fits",
        "",
        f"Command: `python case_studies/revisiting_hierarchical.py --domains "
        f"{' '.join(args.domains)} --max-curves {args.max_curves} --draws {args.draws} "
        f"--tune {args.tune} --chains {args.chains} --seed {args.seed} --tau-scales "
        f"{' '.join(f'{t:g}' for t in args.tau_scales)}` ({seconds:.0f} s).",
        "",
        f"Law `{LAW}` (the benchmark's M2). `per-curve`: one fit per learning curve; "
        "`hierarchical`: one fit per domain with `group=\"curve\"` and every parameter "
        f"({', '.join(VARYING)}) partially pooled over the domain's curves, with a "
        "HalfNormal(tau_scale) prior on each between-curve sd (0.5 is the package default; a "
        "larger scale pools less). Scored on the benchmark's held-out points "
        "(`Training == 0`): RMSE of log loss of the predictive median per curve (mean and "
        "median over curves; the benchmark's metric), the share of curves where the "
        "hierarchical RMSE is lower than the per-curve one, mean log predictive density of log "
        f"loss per held-out point, and {int(PROB * 100)}% interval coverage over all held-out "
        "points.",
        "",
        "| domain | curves | held-out points | method | mean RMSE log | median RMSE log | "
        "better than per-curve (curves) | mean lpd | 90% coverage |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    found = []
    for info in infos:
        domain = info["domain"]
        part = results[results["domain"] == domain]
        per = part[part["method"] == PER_CURVE].set_index("curve")
        for method in info["methods"]:
            table = part[part["method"] == method].set_index("curve")
            better = "" if method == PER_CURVE else \
                f"{(table['rmse_log'] < per.loc[table.index, 'rmse_log']).mean():.0%}"
            weights = table["points"]
            lines.append(
                f"| {domain} | {info['curves']} | {info['test_points']} | {method} | "
                f"{table['rmse_log'].mean():.4f} | {table['rmse_log'].median():.4f} | {better} | "
                f"{np.average(table['lpd'], weights=weights):.2f} | "
                f"{table['covered'].sum() / weights.sum():.0%} |"
            )
            if method != PER_CURVE:
                h, p = table["rmse_log"].mean(), per["rmse_log"].mean()
                found.append(
                    f"- {domain}, {method}: {'better' if h < p else 'worse'} than per-curve "
                    f"fits on average (mean RMSE of log loss {h:.4f} vs {p:.4f}, "
                    f"{100 * (h / p - 1):+.0f}%).")
    lines += ["", "Findings (computed from the table):", "", *found]
    lines += ["", "Sampling time and health (per-curve: fits with any sampler warning; "
              "hierarchical: divergences, worst R-hat and smallest bulk ESS over all its "
              "parameters):", "", "| domain | method | seconds | health |", "|---|---|---|---|"]
    for info in infos:
        for method, m in info["methods"].items():
            lines.append(f"| {info['domain']} | {method} | {m['seconds']:.0f} | {m['health']} |")
    lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", nargs="+", default=list(DOMAINS), choices=DOMAINS)
    parser.add_argument("--max-curves", type=int, default=0,
                        help="first N curves of each domain (0: all)")
    parser.add_argument("--draws", type=int, default=500)
    parser.add_argument("--tune", type=int, default=500)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tau-scales", nargs="+", type=float, default=[0.5],
                        help="one hierarchical fit per HalfNormal scale of the between-curve sds")
    parser.add_argument("--out", default=str(Path(__file__).parent / "reports"
                                              / "revisiting_hierarchical.md"))
    args = parser.parse_args(argv)
    settings = {"draws": args.draws, "tune": args.tune, "chains": args.chains,
                "random_seed": args.seed, "progressbar": False}
    frame = load()
    start = time.perf_counter()
    parts, infos = [], []
    for domain in args.domains:
        part, info = fit_domain(frame, domain, settings, args.max_curves,
                                tuple(args.tau_scales))
        parts.append(part)
        infos.append(info)
        print(info, flush=True)
    results = pd.concat(parts, ignore_index=True)
    text = report(results, infos, args, time.perf_counter() - start)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    results.to_csv(out.with_suffix(".csv"), index=False)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
