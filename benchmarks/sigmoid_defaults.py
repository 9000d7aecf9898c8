"""Reliability of the ``sigmoid`` law's defaults on Pythia accuracies and simulated curves.

The same per-fit measurement as ``benchmarks/defaults.py`` (its ``run_case``: default sampler
settings, R-hat <= 1.01, bulk ESS >= 400, < 0.1% divergent transitions), on more sigmoid fits
than its ``pythia`` family:

- ``decide``: four of the nine zero-shot ``acc`` tasks of ``defaults.py`` (arc_challenge,
  logiqa, mmlu_avg_57_subjects, winogrande), on which the law's defaults were chosen;
- ``confirm``: the other five zero-shot ``acc`` tasks, every task's zero-shot ``acc_norm`` and
  five-shot ``acc`` (not looked at while deciding), and the simulated sigmoid cases of
  ``tests/helpers.py`` (``sigmoid_chance``, ``sigmoid_floor``) with three seeds each.

Pythia rows: final checkpoint, both suites (standard and deduplicated), accuracy against
nominal parameters, the chance rate of ``defaults.PYTHIA_CHANCE``, beta-binomial counts where
the stderr gives the number of questions, else Beta noise (as ``defaults.pythia_cases``).

Usage::

    python benchmarks/sigmoid_defaults.py --out benchmarks/results/sigmoid/after \
        --before benchmarks/results/sigmoid/before/per_fit.csv
"""

from __future__ import annotations

import argparse
import json
import sys
import zlib
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bayeslaws.datasets import data_dir  # noqa: E402
from benchmarks.defaults import pythia_fit, run_case, write_results  # noqa: E402
from tests.helpers import CASES, simulate_case  # noqa: E402

DECIDE_TASKS = ("arc_challenge", "logiqa", "mmlu_avg_57_subjects", "winogrande")
ROWS = (("acc", 0), ("acc_norm", 0), ("acc", 5))
SIMULATED = ("sigmoid_chance", "sigmoid_floor")


def pythia_cases() -> list[dict]:
    frame = pd.read_csv(data_dir() / "pythia-evals" / "pythia_v1_benchmarks_long.csv")
    out = []
    for metric, shots in ROWS:
        rows = frame[(frame["metric"] == metric) & (frame["shots"] == shots)]
        for task, part in rows.groupby("task"):
            data, kwargs = pythia_fit(task, part)
            split = "decide" if (metric, shots) == ("acc", 0) and task in DECIDE_TASKS \
                else "confirm"
            out.append({"family": f"pythia {metric} {shots}-shot", "case": task, "split": split,
                        "law": "sigmoid", "law_name": "sigmoid", "data": data,
                        "kwargs": kwargs})
    return out


def simulated_cases(seeds: int = 3) -> list[dict]:
    out = []
    for name in SIMULATED:
        options, _, inputs, likelihood, extra, _ = CASES[name]
        for seed in range(seeds):
            data = simulate_case(name, seed)
            out.append({"family": "simulated", "case": f"{name} seed {seed}", "split": "confirm",
                        "law": "sigmoid", "law_name": "sigmoid", "data": data,
                        "kwargs": {"x": "x", "y": "y", "likelihood": likelihood,
                                   "law_options": options or None,
                                   "extra": {k: k for k in extra} or None}})
    return out


def case_seed(case: dict, seed: int = 0) -> int:
    """The case's random seed: ``seed`` plus a hash of its family, case and law."""
    key = f"{case['family']}/{case['case']}/{case['law']}".encode()
    return seed + zlib.crc32(key) % 1_000_000


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", default="all", choices=("all", "decide", "confirm"))
    parser.add_argument("--fit-options", default="{}", help="JSON of extra bl.fit options")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "sigmoid")
    parser.add_argument("--before", type=Path, default=None,
                        help="a per_fit.csv to compare with, on the cases both ran")
    args = parser.parse_args(argv)
    options = json.loads(args.fit_options)
    todo = [c for c in pythia_cases() + simulated_cases()
            if args.split == "all" or c["split"] == args.split]
    for case in todo:  # a seed per case, the same whichever cases run with it
        case.update(options=options, seed=case_seed(case, args.seed))
    print(f"{len(todo)} fits", flush=True)
    table = pd.DataFrame([run_case(c) for c in todo])
    write_results(table, args.out, "benchmarks/sigmoid_defaults.py", argv, args.before)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
