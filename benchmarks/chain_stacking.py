"""Does dropping stuck chains by stacking (``bl.fit``'s ``stuck_chains="drop"``) improve forecasts?

For each revisiting learning curve and bnsl law (the fits of ``benchmarks/defaults.py``, same
seeds), fit once with ``stuck_chains="keep"``; where a chain is stuck and stacking gives it weight
below 0.01, build the fit ``"drop"`` would have made from the same draws
(``bayeslaws.chains.drop_stuck``) and score both on the curve's held-out points (``Training ==
0``, the larger x): RMSLE of the predictive median, mean log predictive density, 50% and 90%
coverage and MSCE (``bl.backtest``'s scores). Writes ``results.md`` and ``per_fit.csv``.

```
python benchmarks/chain_stacking.py --split decide --laws bnsl1 \
    --cases-from benchmarks/results/defaults/bnsl1_drop/per_fit.csv \
    --out benchmarks/results/chain_stacking/decide
python benchmarks/chain_stacking.py --split confirm --laws bnsl1 bnsl2 \
    --out benchmarks/results/chain_stacking/confirm
python benchmarks/chain_stacking.py --split decide --laws bnsl2 \
    --cases-from benchmarks/results/defaults/after7/per_fit.csv \
    --out benchmarks/results/chain_stacking/bnsl2
```
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
import warnings
import zlib
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bayeslaws as bl  # noqa: E402
from bayeslaws import chains  # noqa: E402
from bayeslaws.backtest import _forecast  # noqa: E402
from bayeslaws.calibration import LEVELS  # noqa: E402
from bayeslaws.result import Fit  # noqa: E402
from benchmarks.defaults import DECIDE_DOMAINS, REVISITING_LAWS  # noqa: E402
from benchmarks.revisiting import KEY, load_curves  # noqa: E402
from benchmarks.tables import markdown  # noqa: E402

SCORES = ("rmsle", "elpd_mean", "coverage_50", "coverage_90", "msce")


def curves(split: str, wanted: set[str] | None):
    for key, curve in load_curves().groupby(list(KEY)):
        name = "/".join(map(str, key))
        in_split = (key[0] in DECIDE_DOMAINS) == (split == "decide")
        if in_split and (wanted is None or name in wanted):
            yield key[0], name, curve


def one(domain: str, name: str, curve: pd.DataFrame, label: str, seed: int) -> dict | None:
    law, options = REVISITING_LAWS[label]
    train = curve[curve["Training"] == 1].sort_values("Seen Examples")
    heldout = curve[curve["Training"] == 0]
    data = pd.DataFrame({"x": train["Seen Examples"].to_numpy(float),
                         "y": train["Loss"].to_numpy(float)})
    held = pd.DataFrame({"x": heldout["Seen Examples"].to_numpy(float),
                         "y": heldout["Loss"].to_numpy(float)})
    if not len(held):
        return None
    case_seed = seed + zlib.crc32(f"revisiting {domain}/{name}/{label}".encode()) % 1_000_000
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            kept = bl.fit(law, data, x="x", y="y", law_options=options or None,
                          random_seed=case_seed, progressbar=False, stuck_chains="keep")
        except bl.BayesLawsError as err:  # e.g. too few runs for bnsl2
            print(f"{name} {label}: {err}", flush=True)
            return None
        trace, record = chains.drop_stuck(kept.trace)
        row = {"domain": domain, "case": name, "law": label, "stuck": len(
            kept.diagnostics().stuck_chains), "dropped": len(record.dropped),
            "weights": " ".join(f"{w:.3f}" for w in record.weights)}
        if not record.dropped:
            return {**row, "seconds": time.perf_counter() - start}
        dropped = Fit(trace, kept.spec, kept.settings.replace(
            stuck_chains="drop", chain_drop=dataclasses.asdict(record)))
        at = held[["x"]]
        for tag, fit in (("keep", kept), ("drop", dropped)):
            scores, _ = _forecast(fit, at, held, "y", LEVELS, seed=0)
            row.update({f"{s}_{tag}": scores[s] for s in SCORES})
            row[f"rhat_{tag}"] = fit.diagnostics().max_rhat
    return {**row, "seconds": time.perf_counter() - start}


def report(table: pd.DataFrame, command: str) -> str:
    both = table[table["dropped"] > 0]
    lines = ["# Dropping stuck chains by stacking: forecasts", "", f"Command: `{command}`", "",
             f"- {len(table)} fits; {int((table['stuck'] > 0).sum())} with a stuck chain; "
             f"{len(both)} with a chain stacking gives weight < 0.01 (dropped).", ""]
    if len(both):
        summary = pd.DataFrame({s: [both[f"{s}_keep"].mean(), both[f"{s}_drop"].mean()]
                                for s in (*SCORES, "rhat")}, index=["keep", "drop"])
        better = {s: int((both[f"{s}_drop"] < both[f"{s}_keep"]).sum()) for s in ("rmsle",)}
        better["elpd_mean"] = int((both["elpd_mean_drop"] > both["elpd_mean_keep"]).sum())
        lines += ["Mean over the fits with a dropped chain (the same draws, with and without it):",
                  "", markdown(summary.reset_index(names="chains")), "",
                  f"- drop has the lower RMSLE on {better['rmsle']} of {len(both)} fits and the "
                  f"higher mean log predictive density on {better['elpd_mean']}.", "",
                  markdown(both.drop(columns=["seconds"])), ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("decide", "confirm"), default="decide")
    parser.add_argument("--laws", nargs="+", default=["bnsl1", "bnsl2"])
    parser.add_argument("--cases-from", help="a defaults.py per_fit.csv: only its cases (of the "
                        "laws run) with a dropped chain, or a stuck one if it has no 'dropped'")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="benchmarks/results/chain_stacking")
    args = parser.parse_args(argv)
    wanted = None
    if args.cases_from:
        done = pd.read_csv(args.cases_from)
        done = done[done["law"].isin(args.laws)]
        wanted = set(done.loc[done["dropped" if "dropped" in done else "stuck"] > 0, "case"])
    rows = [row for domain, name, curve in curves(args.split, wanted) for label in args.laws
            if (row := one(domain, name, curve, label, args.seed)) is not None]
    table = pd.DataFrame(rows)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "per_fit.csv", index=False)
    command = "python benchmarks/chain_stacking.py " + " ".join(argv or sys.argv[1:])
    (out / "results.md").write_text(report(table, command))
    print(report(table, command))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
