"""Extrapolation benchmark on the Revisiting-Neural-Scaling-Laws learning curves.

Data: ``<data>/revisiting-nsl`` (Alabdulmohsin et al. 2022, arXiv:2209.06640): 92 learning
curves in four domains (IC, NMT, LM, BB), loss against examples seen; the ``Training`` column
splits each curve into fitting points (1) and held-out points at larger x (0). The language
file's exact duplicate rows are dropped.

For every curve, :func:`bayeslaws.backtest` fits each law on the training points and scores the
forecast of the held-out points; with several laws the stacked average (weights by PSIS-LOO on
the training points) is scored too. Per domain and law the report gives the benchmark's own
metric -- RMSE of log-loss on the held-out points, per curve, averaged over curves -- plus the
held-out ELPD (sum over curves), the mean log predictive density per point, the share of
held-out points inside the central 50%, 60%, ..., 99% predictive intervals, MSCE (NSL-PFN's
calibration metric) and the median 90% width, beside NSL-PFN's published numbers.
``--criterion lfo`` stacks by leave-future-out weights, ``--discrepancy`` scores every law with
the discrepancy term (:mod:`bayeslaws.discrepancy`). The script's defaults (LOO, no
discrepancy) keep the earlier runs reproducible; ``bl.backtest``'s own defaults
(``criterion="auto"``, ``discrepancy="auto"``) are ``--criterion auto --discrepancy`` on these
curves (every law here is on a log link).

Results are appended per curve to ``per_curve.csv`` in the output folder (``--resume`` skips
curves already there), and ``results.md`` is rewritten after each curve, so a long run can be
read while it goes.

Usage::

    python benchmarks/revisiting.py                       # all 92 curves
    python benchmarks/revisiting.py --all --chains 4 --draws 1000 --tune 1000 \
        --criterion lfo --discrepancy --out benchmarks/results/revisiting_lfo_discrepancy
    python benchmarks/revisiting.py --skip 8 --curves 8   # curves 9-16 (2 per domain)
    python benchmarks/revisiting.py --quick               # 2 curves, small sampling (tests)
    python benchmarks/revisiting.py --curves 8 --out /tmp/rev8
    python benchmarks/revisiting.py --curves 8 --laws saturating_power_law bnsl1 \
        --chains 4 --draws 1000 --tune 1000 --criterion lfo --discrepancy
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
from bayeslaws.backtest import STACKED
from bayeslaws.datasets import data_dir

#: Laws of the benchmark: name -> law spec for :func:`bayeslaws.backtest`.
LAWS = {
    "m1": {"law": "m1"},
    "m2": {"law": "m2"},
    "m3": {"law": "m3"},
    "m4": {"law": "m4"},
    "saturating_power_law": {"law": "saturating_power_law"},
    "bnsl1": {"law": "bnsl", "law_options": {"breaks": 1}},
    "bnsl2": {"law": "bnsl", "law_options": {"breaks": 2}},
}
DOMAINS = ("IC", "NMT", "LM", "BB")
KEY = ("Domain", "Task", "Model")
X, Y = "Seen Examples", "Loss"


def load_curves(root: Path | None = None) -> pd.DataFrame:
    """Both files of the benchmark, duplicates of the language file dropped."""
    folder = (root or data_dir()) / "revisiting-nsl"
    vision = pd.read_csv(folder / "benchmark.vision.csv")
    lang = pd.read_csv(folder / "benchmark.lang.csv").drop_duplicates()
    return pd.concat([vision, lang], ignore_index=True)


def curve_order(frame: pd.DataFrame) -> list[tuple]:
    """Curves interleaved across domains (IC, NMT, LM, BB, IC, ...), so any prefix is mixed."""
    keys = {d: sorted(k for k in frame.groupby(list(KEY)).groups if k[0] == d)
            for d in DOMAINS}
    order = []
    for i in range(max(len(v) for v in keys.values())):
        order += [keys[d][i] for d in DOMAINS if i < len(keys[d])]
    return order


def available_laws(names) -> tuple[dict, list[str]]:
    """The benchmark's laws present in the catalogue, and the names of those that are not."""
    catalogue = set(bl.law_names())
    present = {n: LAWS[n] for n in names if LAWS[n]["law"] in catalogue}
    return present, [n for n in names if n not in present]


def run_curve(curve: pd.DataFrame, laws: dict, sampling: dict, seed: int, keep: list | None = None,
              **options) -> list[dict]:
    """Backtest every law (and the stacked average) on one curve; one row per law. With
    ``keep``, the backtest's table is appended to it (for :func:`pool_rows`)."""
    curve = curve.sort_values(X).reset_index(drop=True)
    mask = curve["Training"].to_numpy() == 0
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            table = bl.backtest(laws, curve, x=X, y=Y, holdout=mask, errors="skip",
                                random_seed=seed, **options, **sampling)
        except bl.BayesLawsError as err:  # the stacked step failed: score laws alone
            table = bl.backtest(laws, curve, x=X, y=Y, holdout=mask, errors="skip",
                                stacked=False, random_seed=seed, **options, **sampling)
            table["error"] = table["error"].fillna("") + f" (no stacked row: {err})"
    seconds = time.perf_counter() - start
    if keep is not None:
        keep.append((curve, mask, table))
    rows = []
    points = table.attrs.get("points", pd.DataFrame())
    for law, row in table.iterrows():
        rows.append({"law": law, **row.to_dict(), **_side(points, law), "seconds": seconds,
                     "warnings": len(caught)})
    return rows


def _side(points: pd.DataFrame, law: str) -> dict:
    """Where the held-out points lie against the forecast's median: ``above_median`` (share
    above it; 0.5 for an unbiased median) and ``log_bias`` (mean ``log(y / median)``)."""
    if not len(points) or law not in set(points["law"]):
        return {}
    part = points[points["law"] == law]
    ratio = np.log(part["y"].to_numpy(dtype=float) / part["median"].to_numpy(dtype=float))
    return {"above_median": float(np.mean(ratio > 0)), "log_bias": float(np.mean(ratio))}


def pool_rows(kept: list, rows: list[dict], pooling: str, seed_of: dict) -> list[dict]:
    """The rows of a ``--discrepancy`` run rescored with ``tau`` pooled per domain and law
    across the run's curves (:func:`bayeslaws.discrepancy.pool_tau`): the same fits, each
    curve's leave-future-out errors, its own bend; the stacked row with the same weights."""
    from bayeslaws.backtest import _forecast, _heldout_at
    from bayeslaws.compare import Average
    from bayeslaws.discrepancy import ERROR_COLUMNS, Discrepant, pool_tau

    by_name = {" / ".join(str(k) for k in _key(c)): (c, m, t) for c, m, t in kept}
    empty = pd.DataFrame(columns=list(ERROR_COLUMNS), dtype=float)
    pooled_models: dict = {}
    for domain in DOMAINS:
        names = [n for n, (c, _, _) in by_name.items() if c["Domain"].iloc[0] == domain]
        laws = {law for n in names for law in by_name[n][2].attrs["models"]}
        for law in laws:
            members = {n: by_name[n][2].attrs["models"][law] for n in names
                       if law in by_name[n][2].attrs["models"]}
            errors = {n: m.errors if m.errors is not None else empty for n, m in members.items()}
            taus, probs, _ = pool_tau(errors, pooling)
            for n, m in members.items():
                pooled_models[(n, law)] = Discrepant(m.fit, taus, probs[n], errors=errors[n])
    out = []
    for row in rows:
        name, law = row["curve"], row["law"]
        curve, mask, table = by_name[name]
        heldout = curve.loc[mask].reset_index(drop=True)
        fits = table.attrs["fits"]
        if law == STACKED:
            models = {k: pooled_models[(name, k)] for k in fits}
            weights = {k: float(table.loc[k, "weight"]) for k in fits}
            model = Average(models, weights)
            at = _heldout_at(list(fits.values()), {i: c for f in fits.values()
                                                   for i, c in f.settings.columns.items()},
                             heldout)
        elif (name, law) in pooled_models:
            model = pooled_models[(name, law)]
            at = _heldout_at([model.fit], model.fit.settings.columns, heldout)
        else:
            out.append(dict(row))
            continue
        scores, points = _forecast(model, at, heldout, Y, [p / 100 for p in LEVELS],
                                   seed_of[name])
        new = {**row, **scores, **_side(points.assign(law=law), law)}
        if law != STACKED:
            new["tau"] = model.tau
        out.append(new)
    return out


def _key(curve: pd.DataFrame) -> tuple:
    return tuple(curve[k].iloc[0] for k in KEY)


#: Coverage levels scored (those of NSL-PFN's MSCE).
LEVELS = (50, 60, 70, 80, 90, 95, 99)
#: NSL-PFN's published numbers on this split (Lee et al., ICML 2025, arXiv:2505.23032), as
#: quoted in issue 15: RMSLE per curve, mean log-likelihood, MSCE; NLP = NMT, LM, BB pooled.
PUBLISHED = {"IC": {"rmsle": 0.028, "msce": 0.051, "ll": 3.33},
             "NLP (NMT, LM, BB)": {"rmsle": 0.019, "msce": 0.115}}


def summarise(per_curve: pd.DataFrame) -> pd.DataFrame:
    """Per domain and law: mean/median RMSE of log-loss, ELPD, mean log predictive density
    (``ll``: mean over curves of the per-point mean), pooled coverage at every level scored,
    MSCE (of the pooled coverage, and mean over curves), median 90% width, curves won."""
    ok = per_curve[per_curve["rmsle"].notna()].copy()
    levels = [p for p in LEVELS if f"coverage_{p}" in ok.columns]
    for p in levels:
        ok[f"covered_{p}"] = ok[f"coverage_{p}"] * ok["n_heldout"]
    singles = ok[ok["law"] != STACKED]
    best = singles.loc[singles.groupby("curve")["rmsle"].idxmin(), ["curve", "law"]]
    best = best.merge(ok[["curve", "Domain"]].drop_duplicates(), on="curve")
    wins = best.groupby(["Domain", "law"]).size()
    grouped = ok.groupby(["Domain", "law"])
    columns = {
        "curves": grouped.size(),
        "rmse_log_mean": grouped["rmsle"].mean(),
        "rmse_log_median": grouped["rmsle"].median(),
        "elpd": grouped["elpd"].sum(),
        "ll": grouped["elpd_mean"].mean(),
    }
    for p in levels:
        columns[f"coverage_{p}"] = grouped[f"covered_{p}"].sum() / grouped["n_heldout"].sum()
    table = pd.DataFrame(columns)
    if len(levels) > 2:
        table["msce_pooled"] = sum((table[f"coverage_{p}"] - p / 100) ** 2
                                   for p in levels) / len(levels)
    if "msce" in ok.columns:
        table["msce_mean"] = grouped["msce"].mean()
    if "width_90" in ok.columns:
        table["width_90"] = grouped["width_90"].median()
    if "above_median" in ok.columns:  # share of held-out points above the forecast's median
        table["above_median"] = ((ok["above_median"] * ok["n_heldout"]).groupby(
            [ok["Domain"], ok["law"]]).sum() / grouped["n_heldout"].sum())
        table["log_bias"] = grouped["log_bias"].mean()
    table["best_single"] = wins
    table["best_single"] = table["best_single"].fillna(0).astype(int)
    return table


def _fmt(frame: pd.DataFrame) -> str:
    def cell(v):
        if isinstance(v, float | np.floating):
            return f"{v:.4g}"
        return str(v)

    cols = [frame.index.name or ""] + list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for idx, row in frame.iterrows():
        lines.append("| " + " | ".join([str(idx)] + [cell(v) for v in row]) + " |")
    return "\n".join(lines)


def goals(summary: pd.DataFrame) -> list[str]:
    """The issue's goals, checked per domain on the run's numbers."""
    out = []
    for domain in summary.index.get_level_values(0).unique():
        part = summary.loc[domain]
        singles = part.drop(index=STACKED, errors="ignore")
        if STACKED in part.index and len(singles):
            best = singles["rmse_log_mean"].idxmin()
            s, b = part.loc[STACKED, "rmse_log_mean"], singles.loc[best, "rmse_log_mean"]
            verdict = "met" if s <= b else "NOT met"
            out.append(f"- {domain}: stacked mean RMSE {s:.4g} vs best single law ({best}) "
                       f"{b:.4g} -> 'stacked at least as accurate': {verdict}.")
        cov = part["coverage_90"]
        inside = cov[(cov >= 0.85) & (cov <= 0.95)].index.tolist()
        out.append(f"- {domain}: 90% coverage within [0.85, 0.95] for {inside or 'no law'}; "
                   "all: " + ", ".join(f"{k} {v:.2f}" for k, v in cov.items()) + ".")
        if "coverage_50" in part:
            cov = part["coverage_50"]
            inside = cov[(cov >= 0.40) & (cov <= 0.60)].index.tolist()
            out.append(f"- {domain}: 50% coverage within [0.40, 0.60] for {inside or 'no law'}.")
        if "msce_mean" in part:  # per curve, then averaged (as NSL-PFN scores it)
            good = part.index[part["msce_mean"] <= 0.03].tolist()
            out.append(f"- {domain}: MSCE (per-curve mean) <= 0.03 for {good or 'no law'}; "
                       f"best {part['msce_mean'].min():.3f} ({part['msce_mean'].idxmin()}).")
        target = 0.028 if domain == "IC" else 0.019
        good = part.index[part["rmse_log_mean"] <= target].tolist()
        out.append(f"- {domain}: RMSLE <= {target} (NSL-PFN) for {good or 'no law'}.")
    return out


def write_report(per_curve: pd.DataFrame, out: Path, command: str, missing: list[str],
                 sampling: dict, total_curves: int) -> Path:
    summary = summarise(per_curve)
    done = per_curve["curve"].nunique()
    lines = [
        "# Revisiting-NSL extrapolation benchmark (bayeslaws.backtest)", "",
        f"Command: `{command}`", "",
        f"Curves done: {done} of {total_curves}. Sampling per fit: {sampling}.",
        f"Laws not in the catalogue (skipped): {missing or 'none'}.", "",
        "Metric: RMSE of log-loss on each curve's held-out points (Training == 0), averaged "
        "over curves (mean and median); ELPD summed over held-out points of all curves; "
        "coverage_p = share of held-out points (pooled over curves) inside the central p% "
        "predictive interval; msce_pooled = mean over levels of (coverage - p)^2, "
        "msce_mean = per-curve MSCE averaged; width_90 = median relative 90% width; "
        "best_single = curves on which the law had the lowest RMSE among single laws.", "",
    ]
    for domain in DOMAINS:
        if domain in summary.index.get_level_values(0):
            lines += [f"## {domain}", "", _fmt(summary.loc[domain]), ""]
    lines += ["## NSL-PFN's published numbers (for comparison)", "",
              "| domain | RMSLE | MSCE | LL |", "|---|---|---|---|"]
    lines += [f"| {d} | {v['rmsle']} | {v['msce']} | {v.get('ll', '-')} |"
              for d, v in PUBLISHED.items()]
    lines += ["", "LL here is the mean log predictive density of log y per held-out point "
              "(bayeslaws' elpd_mean), averaged over curves; NSL-PFN's LL may be defined on "
              "another scale, so compare it with care.", ""]
    lines += ["## Goals", ""] + goals(summary) + [""]
    errs = per_curve[per_curve["error"].fillna("") != ""]
    if len(errs):
        lines += ["## Fits that failed", "",
                  _fmt(errs[["curve", "law", "error"]].set_index("curve")), ""]
    path = out / "results.md"
    path.write_text("\n".join(lines))
    summary.to_csv(out / "summary.csv")
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--curves", type=int, help="only the first N curves (domains mixed)")
    parser.add_argument("--skip", type=int, default=0,
                        help="leave out the first N curves of the interleaved order (with "
                             "--curves: a later subset, e.g. --skip 8 --curves 8)")
    parser.add_argument("--all", action="store_true",
                        help="every curve (92; the default without --curves/--skip)")
    parser.add_argument("--quick", action="store_true",
                        help="2 curves, chains=2 draws=200 tune=300, laws saturating_power_law "
                             "and bnsl1 (a smoke run)")
    parser.add_argument("--laws", nargs="+", default=list(LAWS), choices=list(LAWS))
    parser.add_argument("--draws", type=int, default=500)
    parser.add_argument("--tune", type=int, default=500)
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "revisiting"))
    parser.add_argument("--resume", action="store_true", help="skip curves in per_curve.csv")
    parser.add_argument("--criterion", choices=("auto", "loo", "lfo"), default="loo",
                        help="stacking weights by leave-one-out or leave-future-out")
    parser.add_argument("--discrepancy", action="store_true",
                        help="score every law with the discrepancy term")
    parser.add_argument("--pooling", nargs="+", choices=("partial", "complete", "none"),
                        help="with --discrepancy: also rescore with tau pooled per domain and "
                             "law across the run's curves (report in <out>/pooled_<pooling>)")
    parser.add_argument("--report-only", metavar="COMMAND",
                        help="rewrite results.md from the out folder's per_curve.csv (COMMAND: "
                             "the command that produced it, for the report)")
    args = parser.parse_args(argv)
    if args.quick:
        args.curves = args.curves or 2
        args.draws, args.tune = 200, 300
        if args.laws == list(LAWS):
            args.laws = ["saturating_power_law", "bnsl1"]
    sampling = {"chains": args.chains, "draws": args.draws, "tune": args.tune}
    laws, missing = available_laws(args.laws)
    if not laws:
        print(f"none of the laws {args.laws} is in the catalogue", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    csv = out / "per_curve.csv"
    if args.report_only:
        per_curve = pd.read_csv(csv)
        print(write_report(per_curve, out, args.report_only, missing, sampling,
                           per_curve["curve"].nunique()))
        return 0
    if args.all and (args.curves or args.skip):
        parser.error("--all runs every curve; leave out --curves and --skip")
    if args.pooling and (not args.discrepancy or args.resume):
        parser.error("--pooling needs --discrepancy, and all curves in one run (no --resume)")
    frame = load_curves()
    order = curve_order(frame)[args.skip:]
    if args.curves:
        order = order[: args.curves]
    previous = pd.read_csv(csv) if args.resume and csv.exists() else pd.DataFrame()
    done = set(previous["curve"]) if len(previous) else set()
    if not args.resume and csv.exists():
        csv.unlink()
    command = "python benchmarks/revisiting.py " + " ".join(argv or sys.argv[1:])
    groups = frame.groupby(list(KEY))
    rows = previous.to_dict("records")
    report = None
    kept, seed_of = ([] if args.pooling else None), {}
    for i, key in enumerate(order):
        name = " / ".join(str(k) for k in key)
        if name in done:
            continue
        curve = groups.get_group(key)
        seed_of[name] = args.seed + 1000 * (i + args.skip)
        new = run_curve(curve, laws, sampling, seed_of[name], keep=kept,
                        criterion=args.criterion, discrepancy=args.discrepancy)
        for row in new:
            row.update({"curve": name, "Domain": key[0], "Task": key[1], "Model": key[2]})
        rows += new
        pd.DataFrame(new).to_csv(csv, mode="a", header=not csv.exists(), index=False)
        report = write_report(pd.DataFrame(rows), out, command, missing, sampling, len(order))
        best = min((r for r in new if r["law"] != STACKED and pd.notna(r.get("rmsle"))),
                   key=lambda r: r["rmsle"], default=None)
        print(f"[{i + 1}/{len(order)}] {name}: {new[0]['seconds']:.0f}s"
              + (f", best {best['law']} rmse {best['rmsle']:.4f}" if best else ""), flush=True)
    print(f"report: {report or 'nothing new to run'}")
    for pooling in args.pooling or ():
        pooled_out = out / f"pooled_{pooling}"
        pooled_out.mkdir(exist_ok=True)
        pooled = pd.DataFrame(pool_rows(kept, rows, pooling, seed_of))
        pooled.to_csv(pooled_out / "per_curve.csv", index=False)
        path = write_report(pooled, pooled_out, command, missing, sampling, len(order))
        print(f"pooled report: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
