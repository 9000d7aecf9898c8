"""Where the time of ``bl.backtest`` at its defaults goes, and the same against another checkout.

``bl.backtest`` at its defaults (``criterion="auto"``: leave-future-out stacking where the
runs allow it; ``discrepancy="auto"``; 4 chains x 1,000 draws) refits every law several times
(the LFO refits and the discrepancy's cuts) and then scores the held-out runs. This script runs
it on revisiting curves after one warm-up curve (compilation) and splits each curve's wall time
into sampling (nutpie's sampler), scoring of held-out runs (``log_density`` of the fits, the
discrepancy and the stacked average) and the rest, with ``cProfile``.

``--against PATH`` runs the same curves, in the same command, with ``bayeslaws`` imported from
another checkout (e.g. ``git worktree add /tmp/base HEAD~1``), one after the other, and prints
the ratios; the tables of both runs are written to ``--out``.

Usage::

    python benchmarks/backtest_time.py --curves 2 --laws saturating_power_law bnsl1
    python benchmarks/backtest_time.py --curves 3 --against /tmp/base \
        --out benchmarks/results/backtest_time
    python benchmarks/backtest_time.py --domain IC --curves 2 --against /tmp/base
    python benchmarks/backtest_time.py --plain --curves 4 --laws m1 m2 m3 saturating_power_law \
        bnsl1 bnsl2 --against /tmp/base
"""

from __future__ import annotations

import argparse
import cProfile
import json
import math
import os
import pstats
import subprocess
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Profiled functions whose cumulative time is reported, by (file suffix, function name).
STAGES = {
    "sampling": ("nutpie/sample.py", "wait"),
    "scoring": ("bayeslaws/backtest.py", "_forecast"),
    "lfo": ("bayeslaws/lfo.py", "lfo"),
    "discrepancy_refits": ("bayeslaws/discrepancy.py", "forecast_errors"),
}


def _cumulative(stats: pstats.Stats, suffix: str, name: str) -> float:
    return sum(row[3] for (file, _, func), row in stats.stats.items()
               if func == name and file.endswith(suffix))


def measure(curves: int, skip: int, laws: list[str], domain: str | None = None,
            plain: bool = False) -> list[dict]:
    """Backtest ``curves`` revisiting curves (after a warm-up one) and time each."""
    sys.path.insert(0, str(HERE))
    import revisiting as rv

    import bayeslaws as bl

    frame = rv.load_curves()
    order = [k for k in rv.curve_order(frame) if domain is None or k[0] == domain]
    specs, _ = rv.available_laws(laws)
    groups = frame.groupby(list(rv.KEY))
    options = {"criterion": "loo", "discrepancy": False} if plain else {}
    warnings.simplefilter("ignore")

    def run(key):
        """The revisiting benchmark's backtest of one curve, at the package's sampling."""
        kept = []
        rv.run_curve(groups.get_group(key), specs, {}, 0, keep=kept, **options)
        return kept[0][2]

    run(order[skip])  # warm-up: compiles every law
    rows = []
    for key in order[skip + 1: skip + 1 + curves]:
        profile = cProfile.Profile()
        start = time.perf_counter()
        profile.enable()
        table = run(key)
        profile.disable()
        seconds = time.perf_counter() - start
        stats = pstats.Stats(profile)
        row = {"curve": " / ".join(map(str, key)), "package": str(Path(bl.__file__).parent),
               "seconds": seconds,
               **{stage: _cumulative(stats, *where) for stage, where in STAGES.items()},
               "elpd": {law: float(v) for law, v in table["elpd"].items()}}
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    return rows


def _child(path: str, args) -> list[dict]:
    env = {**os.environ, "PYTHONPATH": f"{path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    command = [sys.executable, __file__, "--curves", str(args.curves), "--skip", str(args.skip),
               "--laws", *args.laws, "--json"] + (["--domain", args.domain] if args.domain else [])
    command += ["--plain"] if args.plain else []
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def _table(name: str, rows: list[dict]) -> list[str]:
    lines = [f"### {name}", "", f"bayeslaws from `{rows[0]['package'] if rows else '?'}`", "",
             "| curve | seconds | sampling | scoring | LFO | discrepancy refits |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['curve']} | {r['seconds']:.1f} | {r['sampling']:.1f} | "
                     f"{r['scoring']:.1f} | {r['lfo']:.1f} | {r['discrepancy_refits']:.1f} |")
    return lines + [""]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--curves", type=int, default=2, help="curves timed after the warm-up")
    parser.add_argument("--skip", type=int, default=0, help="start at this curve of the order")
    parser.add_argument("--laws", nargs="+", default=["saturating_power_law", "bnsl1"])
    parser.add_argument("--domain", choices=("IC", "NMT", "LM", "BB"), help="only this domain")
    parser.add_argument("--plain", action="store_true",
                        help="LOO stacking, no discrepancy (the backtest's former defaults)")
    parser.add_argument("--against", help="another checkout to time the same way")
    parser.add_argument("--out", type=Path, help="folder for results.md")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.json:
        print(json.dumps(measure(args.curves, args.skip, args.laws, args.domain, args.plain)))
        return 0
    runs = {"this checkout": _child(str(HERE.parent), args)}
    if args.against:
        runs[f"against {args.against}"] = _child(args.against, args)
    given = " ".join(sys.argv[1:] if argv is None else argv)
    mode = "LOO stacking, no discrepancy (--plain)" if args.plain else "its defaults"
    lines = [f"# Time of bl.backtest at {mode}", "",
             f"`python benchmarks/backtest_time.py {given}`",
             f"(laws {', '.join(args.laws)}; each checkout in its own process, one after the "
             "other; seconds per curve after a warm-up curve).", ""]
    for name, rows in runs.items():
        lines += _table(name, rows)
    if args.against:
        mine, base = runs.values()
        total = sum(r["seconds"] for r in base) / sum(r["seconds"] for r in mine)
        scoring = sum(r["scoring"] for r in base) / max(sum(r["scoring"] for r in mine), 1e-9)
        same = all((math.isnan(a) and math.isnan(b)) or abs(a - b) < 1e-6 * max(1.0, abs(b))
                   for r, q in zip(mine, base, strict=True)
                   for a, b in zip(r["elpd"].values(), q["elpd"].values(), strict=True))
        lines += [f"Ratio (against / this checkout): total {total:.2f}x, scoring {scoring:.2f}x; "
                  f"held-out elpd of every law identical to 1e-6 (a law refused on both: "
                  f"NaN on both): {same}.", ""]
        for r, q in zip(mine, base, strict=True):
            lines.append(f"- {r['curve']}: elpd " + ", ".join(
                f"{law} {a:.4f} / {q['elpd'][law]:.4f}" for law, a in r["elpd"].items()))
        lines.append("")
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.md").write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
