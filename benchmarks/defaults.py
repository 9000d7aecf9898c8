"""Reliability of bayeslaws' default settings on every real fit the shared data allow.

Each case is one ``bl.fit(law, data, ...)`` with no sampler option at all -- what a new user
runs. Cases:

- ``revisiting``: the 92 learning curves of Alabdulmohsin et al. 2022 (training points only)
  with the benchmark's laws m1, m2, m3, m4, bnsl (1 and 2 breaks; m4 since session 15, so
  the earlier result folders have none); ``saturating_power_law`` is
  left out, being m2 under other parameter names (:mod:`models/saturating_power_law.py`);
- ``chinchilla``: Epoch's digitised Chinchilla runs, 240 (the 5 highest losses dropped, as the
  replication did) and all 245, with ``chinchilla``;
- ``gadre``: Gadre et al.'s three training sets x eight eval losses with ``overtraining`` and
  ``chinchilla``;
- ``pythia``: the nine Pythia tasks, final checkpoints, accuracy against parameters with
  ``sigmoid`` (beta-binomial counts where the stderr gives the number of questions, Beta
  noise for MMLU's average);
- ``bnsl4digit``: 4-digit addition (fit split) with ``bnsl``, 1 break;
- ``simulated``: a U-shape (bnsl, 1 break) and a double descent (bnsl, 2 breaks; the case
  with a second mode) from ``case_studies/bnsl_4digit.py``'s truths, three seeds each.

Per fit: max R-hat, min bulk and tail ESS, divergent transitions, chains stuck in a worse mode,
max Pareto k, p_loo, wall time, and whether it meets the goal (R-hat <= 1.01, bulk ESS >= 400,
divergences < 0.1% of draws). Defaults are chosen on the ``decide`` split (revisiting IC and LM,
Chinchilla, Gadre RedPajama, simulated) and confirmed on the ``confirm`` split (revisiting NMT
and BB, Gadre C4 and RefinedWeb, Pythia, 4-digit addition), which was not looked at while
deciding.

Usage::

    python benchmarks/defaults.py --out benchmarks/results/defaults/after
    python benchmarks/defaults.py --split decide --out /tmp/decide
    python benchmarks/defaults.py --fit-options '{"likelihood": "lognormal"}' --out /tmp/ln
    python benchmarks/defaults.py --quick --out /tmp/q      # one case per family (tests)
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
import warnings
import zlib
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bayeslaws as bl  # noqa: E402
from bayeslaws.datasets import chinchilla, data_dir  # noqa: E402
from bayeslaws.simulate import simulate  # noqa: E402
from benchmarks.revisiting import KEY, load_curves  # noqa: E402
from benchmarks.tables import markdown  # noqa: E402

REVISITING_LAWS = {"m1": ("m1", {}), "m2": ("m2", {}), "m3": ("m3", {}), "m4": ("m4", {}),
                   "bnsl1": ("bnsl", {"breaks": 1}), "bnsl2": ("bnsl", {"breaks": 2})}
DECIDE_DOMAINS = ("IC", "LM")
GADRE_DECIDE = "rpj"
PYTHIA_CHANCE = {"arc_challenge": 0.25, "arc_easy": 0.25, "lambada_openai": 0.0, "logiqa": 0.25,
                 "piqa": 0.5, "sciq": 0.25, "winogrande": 0.5, "wsc": 0.5,
                 "mmlu_avg_57_subjects": 0.25}
SIMULATED = {
    "U-shape": (1, {"a": 0.05, "b": 0.2, "c0": -0.3, "c1": 0.8, "d1": 3e4, "f1": 0.3},
                np.geomspace(1e3, 1e7, 20)),
    "double descent": (2, {"a": 0.05, "b": 5.0, "c0": 0.5, "c1": -1.0, "d1": 1e4, "f1": 0.2,
                           "c2": 1.2, "d2": 1e5, "f2": 0.2}, np.geomspace(1e2, 1e7, 24)),
}
#: Goal per fit (issue: >= 97% of real fits meet it).
RHAT_MAX, ESS_MIN, DIVERGENT_MAX = 1.01, 400, 0.001


#: Curves per revisiting domain (``--max-curves``; ``None``: all 92).
MAX_CURVES: int | None = None


def revisiting_cases() -> Iterator[dict]:
    frame = load_curves()
    seen: dict[str, int] = {}
    for key, curve in frame.groupby(list(KEY)):
        seen[key[0]] = seen.get(key[0], 0) + 1
        if MAX_CURVES is not None and seen[key[0]] > MAX_CURVES:
            continue
        train = curve[curve["Training"] == 1].sort_values("Seen Examples")
        data = pd.DataFrame({"x": train["Seen Examples"].to_numpy(dtype=float),
                             "y": train["Loss"].to_numpy(dtype=float)})
        split = "decide" if key[0] in DECIDE_DOMAINS else "confirm"
        for label, (law, options) in REVISITING_LAWS.items():
            yield {"family": f"revisiting {key[0]}", "case": "/".join(map(str, key)),
                   "split": split, "law": label, "law_name": law, "data": data,
                   "kwargs": {"x": "x", "y": "y", "law_options": options or None}}


def chinchilla_cases() -> Iterator[dict]:
    for drop in (5, 0):
        data = chinchilla(drop_highest=drop)
        yield {"family": "chinchilla", "case": f"{len(data)} runs", "split": "decide",
               "law": "chinchilla", "law_name": "chinchilla", "data": data,
               "kwargs": {"x": {"N": "N", "D": "D"}, "y": "loss"}}


def gadre_cases() -> Iterator[dict]:
    frame = pd.read_csv(data_dir() / "gadre-overtraining" / "gadre_models_losses.csv")
    evals = [c[len("loss_"):] for c in frame.columns
             if c.startswith("loss_") and not c.startswith(("loss_lo95_", "loss_hi95_"))]
    for dataset, part in frame.groupby("dataset"):
        split = "decide" if dataset == GADRE_DECIDE else "confirm"
        for loss in evals:
            data = part[["N_params", "D_tokens", f"loss_{loss}"]].dropna().reset_index(drop=True)
            for law in ("overtraining", "chinchilla"):
                yield {"family": "gadre", "case": f"{dataset}/{loss}", "split": split,
                       "law": law, "law_name": law, "data": data,
                       "kwargs": {"x": {"N": "N_params", "D": "D_tokens"}, "y": f"loss_{loss}"}}


def pythia_fit(task: str, part: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Data and ``bl.fit`` options of one Pythia task's rows (one metric and shot count): the
    final checkpoint of each size, the task's chance rate, beta-binomial counts where the stderr
    gives the number of questions, else Beta noise."""
    part = part[part["step"] == part["step"].max()]
    data = pd.DataFrame({"params": part["nominal_params"].astype(float),
                         "accuracy": part["value"].astype(float)}).reset_index(drop=True)
    kwargs = {"x": "params", "y": "accuracy",
              "law_options": {"chance": PYTHIA_CHANCE.get(task, 0.0)}}
    stderr = part["stderr"].to_numpy(dtype=float)
    if np.all(np.isfinite(stderr) & (stderr > 0)):
        acc = data["accuracy"].to_numpy()
        data["questions"] = np.round(acc * (1 - acc) / stderr**2)
        kwargs.update(likelihood="betabinomial", extra={"trials": "questions"})
    else:
        kwargs.update(likelihood="beta")
    return data, kwargs


def pythia_cases() -> Iterator[dict]:
    frame = pd.read_csv(data_dir() / "pythia-evals" / "pythia_v1_benchmarks_long.csv")
    rows = frame[(frame["metric"] == "acc") & (frame["shots"] == 0)]
    for task, part in rows.groupby("task"):
        data, kwargs = pythia_fit(task, part)
        yield {"family": "pythia", "case": task, "split": "confirm", "law": "sigmoid",
               "law_name": "sigmoid", "data": data, "kwargs": kwargs}


def bnsl_cases() -> Iterator[dict]:
    frame = pd.read_csv(data_dir() / "bnsl-4digit" / "bnsl_4digit_addition.csv")
    train = frame[frame["split"] == "fit"].reset_index(drop=True)
    yield {"family": "bnsl4digit", "case": "4-digit addition", "split": "confirm",
           "law": "bnsl1", "law_name": "bnsl", "data": train,
           "kwargs": {"x": "train_dataset_size", "y": "test_cross_entropy",
                      "law_options": {"breaks": 1}}}
    for name, (breaks, truth, x) in SIMULATED.items():
        law = bl.get_law("bnsl", breaks=breaks)
        for seed in range(3):
            data = simulate(law, truth, {"x": x}, sigma=0.02, random_seed=seed)
            yield {"family": "simulated", "case": f"{name} seed {seed}", "split": "decide",
                   "law": f"bnsl{breaks}", "law_name": "bnsl", "data": data,
                   "kwargs": {"x": "x", "y": "y", "law_options": {"breaks": breaks}}}


FAMILIES = {"revisiting": revisiting_cases, "chinchilla": chinchilla_cases,
            "gadre": gadre_cases, "pythia": pythia_cases, "bnsl": bnsl_cases}


def run_case(case: dict) -> dict:
    """Fit one case at default settings (plus ``case["options"]``); the row of the table."""
    kwargs = {k: v for k, v in case["kwargs"].items() if v is not None}
    kwargs.update(case.get("options") or {})
    row = {k: case[k] for k in ("family", "case", "split", "law")}
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = bl.fit(case["law_name"], case["data"], random_seed=case["seed"],
                         progressbar=False, **kwargs)
            diag = fit.diagnostics()
        except Exception as err:  # noqa: BLE001 -- every failure is a row of the table
            return {**row, "error": f"{type(err).__name__}: {err}"[:300],
                    "seconds": time.perf_counter() - start}
    draws = diag.draws
    row.update({
        "n": fit.observations.n, "likelihood": fit.spec.likelihood.name,
        "max_rhat": diag.max_rhat, "min_ess_bulk": diag.min_ess_bulk,
        "min_ess_tail": float(diag.table["ess_tail"].min()), "divergences": diag.divergences,
        "stuck": len(diag.stuck_chains), "max_pareto_k": diag.max_pareto_k,
        # stuck chains dropped for a stacking weight below 0.01 (bayeslaws.chains)
        "dropped": len(getattr(fit.settings, "chain_drop", {}).get("dropped", [])),
        "p_loo": diag.p_loo, "n_params": diag.n_parameters,
        "sampling_seconds": fit.settings.sampling_seconds,
        "seconds": time.perf_counter() - start,
        "retries": len(getattr(fit.settings, "attempts", ()) or ()),
        "init": fit.settings.init,
        "warnings": " | ".join(sorted({str(w.message)[:90] for w in caught})),
    })
    row["ok"] = bool(row["max_rhat"] <= RHAT_MAX and row["min_ess_bulk"] >= ESS_MIN
                     and row["divergences"] < DIVERGENT_MAX * draws)
    return row


def cases(families, split: str, quick: bool, options: dict, seed: int) -> list[dict]:
    out = []
    for name in families:
        family = list(FAMILIES[name]())
        if quick:
            family = family[:1]
        out += [c for c in family if split == "all" or c["split"] == split]
    for case in out:  # a seed per case, the same whichever cases run with it
        key = f"{case['family']}/{case['case']}/{case['law']}".encode()
        case.update(options=options, seed=seed + zlib.crc32(key) % 1_000_000)
        if quick:
            case["options"] = {**options, "draws": 100, "tune": 100, "chains": 2}
    # one law after another: each worker compiles a law's model once and reuses it
    return sorted(out, key=lambda c: (c["law_name"], json.dumps(c["kwargs"].get("law_options"),
                                                               sort_keys=True, default=str)))


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    fitted = table[table.get("error", pd.Series(index=table.index)).isna()] \
        if "error" in table else table
    groups = fitted.groupby(["split", "family", "law"])
    out = groups.agg(fits=("ok", "size"), ok=("ok", "mean"), max_rhat=("max_rhat", "max"),
                     median_rhat=("max_rhat", "median"), min_ess=("min_ess_bulk", "min"),
                     divergent_fits=("divergences", lambda d: int((d > 0).sum())),
                     stuck_fits=("stuck", lambda s: int((s > 0).sum())),
                     dropped_fits=("dropped", lambda s: int((s > 0).sum())),
                     k_above_07=("max_pareto_k", lambda k: int((k > 0.7).sum())),
                     median_s=("seconds", "median")).reset_index()
    out["ok"] = (100 * out["ok"]).round(1)
    return out


def _dropped(part: pd.DataFrame) -> str:
    if "dropped" not in part or not (part["dropped"] > 0).any():
        return ""
    return (f"; {int((part['dropped'] > 0).sum())} had stuck chains dropped by stacking "
            f"({int((part['ok'] & (part['dropped'] > 0)).sum())} of them meet the goal)")


def report(table: pd.DataFrame, command: str) -> str:
    errors = table[table["error"].notna()] if "error" in table else table.iloc[:0]
    fitted = table.drop(errors.index)
    lines = ["# Reliability of the default settings", "", f"Command: `{command}`", ""]
    for split in ("decide", "confirm"):
        part = fitted[fitted["split"] == split]
        if len(part):
            lines.append(f"- {split}: {int(part['ok'].sum())} of {len(part)} fits meet the goal "
                         f"({100 * part['ok'].mean():.1f}%; goal >= 97%); "
                         f"{int((part['stuck'] > 0).sum())} with a stuck chain"
                         f"{_dropped(part)}.")
    real = fitted[fitted["family"] != "simulated"]
    if len(real):
        lines.append(f"- all real fits: {int(real['ok'].sum())} of {len(real)} "
                     f"({100 * real['ok'].mean():.1f}%).")
    lines += ["", "Goal per fit: R-hat <= 1.01, bulk ESS >= 400, divergent transitions < 0.1% of "
              "draws. `ok` is the percentage of fits meeting it.", "",
              markdown(summarise(fitted)), ""]
    failed = fitted[~fitted["ok"].astype(bool)]
    if len(failed) or len(errors):
        lines += ["## Fits that miss the goal", ""]
        columns = ["split", "family", "case", "law", "max_rhat", "min_ess_bulk", "divergences",
                   "stuck", "dropped", "warnings"]
        lines += [markdown(failed[columns].head(60)), ""]
        if len(errors):
            lines += [markdown(errors[["family", "case", "law", "error"]]), ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", nargs="+", default=list(FAMILIES), choices=list(FAMILIES))
    parser.add_argument("--split", default="all", choices=("all", "decide", "confirm"))
    parser.add_argument("--fit-options", default="{}", help="JSON of extra bl.fit options")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="one case per family, tiny runs")
    parser.add_argument("--max-curves", type=int, default=None,
                        help="first N revisiting curves per domain (default: all)")
    parser.add_argument("--only-failed", type=Path, default=None,
                        help="a per_fit.csv: rerun only the fits that missed the goal there")
    parser.add_argument("--only-passed", type=Path, default=None,
                        help="a per_fit.csv: rerun only the fits that met the goal there")
    parser.add_argument("--before", type=Path, default=None,
                        help="a per_fit.csv to compare with, on the cases both ran")
    parser.add_argument("--laws", nargs="+", default=None,
                        help="only these laws (as named in the table: m1, bnsl1, ...)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "defaults")
    args = parser.parse_args(argv)
    global MAX_CURVES
    MAX_CURVES = args.max_curves
    todo = cases(args.families, args.split, args.quick, json.loads(args.fit_options), args.seed)
    if args.laws is not None:
        todo = [c for c in todo if c["law"] in args.laws]
    if args.only_failed is not None:
        failed = pd.read_csv(args.only_failed)
        failed = failed[~failed["ok"].fillna(False).astype(bool)]
        keys = set(zip(failed["family"], failed["case"], failed["law"], strict=True))
        todo = [c for c in todo if (c["family"], c["case"], c["law"]) in keys]
    if args.only_passed is not None:
        passed = pd.read_csv(args.only_passed)
        passed = passed[passed["ok"].fillna(False).astype(bool)]
        keys = set(zip(passed["family"], passed["case"], passed["law"], strict=True))
        todo = [c for c in todo if (c["family"], c["case"], c["law"]) in keys]
    print(f"{len(todo)} fits", flush=True)
    if args.workers > 1:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(args.workers, mp_context=context) as pool:
            rows = list(pool.map(run_case, todo, chunksize=4))
    else:
        rows = [run_case(c) for c in todo]
    write_results(pd.DataFrame(rows), args.out, "benchmarks/defaults.py", argv, args.before)
    return 0


def write_results(table: pd.DataFrame, out: Path, script: str, argv, before: Path | None) -> None:
    """``per_fit.csv`` and ``results.md`` (with the command line, and the comparison with
    ``before``'s per_fit.csv if given) in ``out``; the report is also printed."""
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "per_fit.csv", index=False)
    command = f"python {script} " + " ".join(argv if argv is not None else sys.argv[1:])
    text = report(table, command)
    if before is not None:
        text += "\n" + side_by_side(pd.read_csv(before), table)
    (out / "results.md").write_text(text)
    print(text)


def side_by_side(before: pd.DataFrame, after: pd.DataFrame) -> str:
    """Share of fits meeting the goal before and after, on the cases both ran."""
    key = ["split", "family", "case", "law"]
    both = before[key + ["ok"]].merge(after[key + ["ok"]], on=key, suffixes=("_before", "_after"))
    both = both.dropna(subset=["ok_before", "ok_after"])
    for column in ("ok_before", "ok_after"):
        both[column] = both[column].astype(bool)
    rows = both.groupby(["split", "family", "law"])[["ok_before", "ok_after"]].mean()
    rows = (100 * rows).round(1).reset_index()
    rows.insert(3, "fits", both.groupby(["split", "family", "law"]).size().to_numpy())
    lines = ["## Before and after, the same cases", ""]
    for split in ("decide", "confirm"):
        part = both[(both["split"] == split) & (both["family"] != "simulated")]
        if len(part):
            lines.append(f"- {split}, real data: {100 * part['ok_before'].mean():.1f}% -> "
                         f"{100 * part['ok_after'].mean():.1f}% of {len(part)} fits.")
    return "\n".join(lines + ["", markdown(rows), ""])


if __name__ == "__main__":
    raise SystemExit(main())
