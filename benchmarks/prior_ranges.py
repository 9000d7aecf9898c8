"""Prior predictive range of every catalogue law's default priors on the shared real data.

For each law and each shared data set it applies to, :func:`bayeslaws.prior_predictive` draws the
law's curve (``kind="mean"``) at the data's inputs; the 90% band of those draws should lie within
a factor of 3 of the data's range: ``min(5% quantile) >= y_min / 3`` and
``max(95% quantile) <= 3 y_max`` (weakly informative on the observable scale).

Usage::

    python benchmarks/prior_ranges.py              # table of every pair, results/prior_ranges.md
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bayeslaws as bl  # noqa: E402
from bayeslaws.datasets import chinchilla, data_dir  # noqa: E402
from benchmarks.tables import markdown  # noqa: E402

#: Allowed factor between the prior predictive 90% band and the data's range.
FACTOR = 3.0
ONE_INPUT = {"m1": {}, "m2": {}, "m3": {}, "m4": {}, "power_law": {}, "saturating_power_law": {},
             "bnsl": {"breaks": 1}, "bnsl2": {"breaks": 2}}
TWO_INPUTS = ("chinchilla", "kaplan", "overtraining")


def data_sets() -> list[tuple[str, str, dict, pd.DataFrame, dict]]:
    """``(data set, law, law options, table, fit arguments)`` for every applicable pair."""
    root = data_dir()
    out = []
    runs = chinchilla()
    gadre = pd.read_csv(root / "gadre-overtraining" / "gadre_models_losses.csv")
    two = {"chinchilla 240": (runs, {"x": {"N": "N", "D": "D"}, "y": "loss"})}
    for dataset, loss in (("rpj", "c4_val"), ("c4_original", "openlm"),
                          ("rw_original", "paloma_ptb")):
        part = gadre[gadre["dataset"] == dataset].dropna(subset=[f"loss_{loss}"])
        two[f"gadre {dataset}/{loss}"] = (part, {"x": {"N": "N_params", "D": "D_tokens"},
                                                  "y": f"loss_{loss}"})
    for name, (table, args) in two.items():
        out += [(name, law, {}, table, args) for law in TWO_INPUTS]
    curves = pd.concat([pd.read_csv(root / "revisiting-nsl" / "benchmark.vision.csv"),
                        pd.read_csv(root / "revisiting-nsl" / "benchmark.lang.csv")
                        .drop_duplicates()])
    one = {}
    for domain, part in curves[curves["Training"] == 1].groupby("Domain"):
        for key, curve in list(part.groupby(["Task", "Model"]))[:2]:
            one[f"revisiting {domain} {key[1]}"] = pd.DataFrame(
                {"x": curve["Seen Examples"].to_numpy(float), "y": curve["Loss"].to_numpy(float)})
    digits = pd.read_csv(root / "bnsl-4digit" / "bnsl_4digit_addition.csv")
    one["bnsl 4-digit"] = pd.DataFrame({"x": digits["train_dataset_size"],
                                        "y": digits["test_cross_entropy"]})
    for name, table in one.items():
        for label, options in ONE_INPUT.items():
            out.append((name, label, options, table, {"x": "x", "y": "y"}))
        out.append((name, "rectified", {}, table, {"x": {"D": "x"}, "y": "y"}))
    pythia = pd.read_csv(root / "pythia-evals" / "pythia_v1_benchmarks_long.csv")
    for task, chance in (("lambada_openai", 0.0), ("arc_easy", 0.25), ("piqa", 0.5)):
        rows = pythia[(pythia["task"] == task) & (pythia["metric"] == "acc")
                      & (pythia["shots"] == 0)]
        rows = rows[rows["step"] == rows["step"].max()]
        table = pd.DataFrame({"x": rows["nominal_params"].astype(float),
                              "y": rows["value"].astype(float)})
        out.append((f"pythia {task}", "sigmoid", {"chance": chance}, table,
                    {"x": "x", "y": "y", "likelihood": "beta"}))
    return out


def band(law: str, options: dict, table: pd.DataFrame, args: dict, draws: int = 10000) -> dict:
    name = "bnsl" if law.startswith("bnsl") else law
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check = bl.prior_predictive(name, table, law_options=options or None, draws=draws,
                                    random_seed=0, **args)
    y = check.observations.y
    lo = np.nanquantile(check.draws, 0.05, axis=0)
    med = np.nanquantile(check.draws, 0.5, axis=0)
    hi = np.nanquantile(check.draws, 0.95, axis=0)
    return {"lower_ratio": float(np.min(lo) / y.min()), "upper_ratio": float(np.max(hi) / y.max()),
            "median_low": float(np.min(med) / y.min()), "median_high": float(np.max(med) / y.max()),
            "y_min": float(y.min()), "y_max": float(y.max())}


def table() -> pd.DataFrame:
    rows = []
    for data, law, options, frame, args in data_sets():
        row = {"data": data, "law": law, **band(law, options, frame, args)}
        row["within"] = bool(row["lower_ratio"] >= 1 / FACTOR and row["upper_ratio"] <= FACTOR)
        row["median_within"] = bool(row["median_low"] >= 1 / FACTOR
                                    and row["median_high"] <= FACTOR)
        rows.append(row)
    return pd.DataFrame(rows)


def main() -> int:
    result = table()
    out = ROOT / "benchmarks" / "results" / "prior_ranges.md"
    text = ["# Prior predictive 90% band of the default priors against the data's range", "",
            "Command: `python benchmarks/prior_ranges.py`. `lower_ratio` = smallest 5% quantile "
            "/ smallest y, `upper_ratio` = largest 95% quantile / largest y (`median_low`, "
            "`median_high`: the same for the prior median curve); the goal is within "
            f"[1/{FACTOR:g}, {FACTOR:g}].", "",
            f"90% band within: {int(result['within'].sum())} of {len(result)} law-data pairs; "
            f"prior median curve within: {int(result['median_within'].sum())} of "
            f"{len(result)}.", "",
            markdown(result), ""]
    out.write_text("\n".join(text))
    print("\n".join(text))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
