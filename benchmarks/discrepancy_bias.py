"""Why the 50% intervals miss: the forecast's median is biased, and a zero-mean term cannot
move it. Diagnostics on the cached curves of ``benchmarks/discrepancy_variants.py``.

Per curve (right law: ``saturating_power_law``; wrong law: straight ``power_law``; truth
``0.5 + 20 x^-0.25``) the script reports where the 5 held-out runs lie against the plain
forecast's median (share above it; mean ``log(y / median)``; the same per unit of the bend's
growth ``g = d (S + d)``, i.e. the bend ``c`` a held-out run implies), and the bend each
leave-future-out cut inside the fitted runs estimates (``c_k = sum(g r / s^2) / sum(g^2 /
s^2)``, the 4 package cuts 0.6-0.9): whether it has the sign of the held-out miss, and how
well its mean over cuts predicts the held-out bend (the ratio, their correlation over
curves). A signed bend that is consistent inside the data would be evidence for a learned
(pooled) mean bend; its cost on the right law is the spread of the right law's ``c_k``.

Usage::

    python benchmarks/discrepancy_bias.py
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from bayeslaws.calibration import draw_intervals
from bayeslaws.discrepancy import growth

sys.path.insert(0, str(Path(__file__).parent))
from discrepancy_pooled import LAW, load_case  # noqa: E402


def bends(errors: pd.DataFrame) -> np.ndarray:
    """The maximum-likelihood bend ``c_k`` of each cut (weighted least squares of r on g)."""
    g = growth(errors["distance"], errors["span"])
    w = 1.0 / errors["sd"].to_numpy() ** 2
    r = errors["residual"].to_numpy()
    return np.array([np.sum((g * r * w)[m]) / np.sum((g * g * w)[m])
                     for m in (errors["cut"].to_numpy() == k for k in np.unique(errors["cut"]))])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path,
                        default=Path("benchmarks/results/discrepancy_variants/cache"))
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/discrepancy_bias"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for kind, seeds in (("right", range(40)), ("wrong", range(50))):
        for seed in seeds:
            case = load_case(seed, kind, args.cache)
            median, _ = draw_intervals(np.exp(case["log_draws"]), (0.5,))
            miss = np.log(case["y"] / median)
            held_bend = np.sum(miss * growth(case["d"], case["span"])) / np.sum(
                growth(case["d"], case["span"]) ** 2)
            c = bends(case["errors"])
            rows.append({"law": LAW[kind], "seed": seed, "above_median": np.mean(miss > 0),
                         "log_bias": miss.mean(), "held_out_bend": held_bend,
                         "cut_bend_mean": c.mean(), "cut_bend_sd": c.std(ddof=1),
                         "cuts_same_sign": np.mean(np.sign(c) == np.sign(held_bend))})
    per = pd.DataFrame(rows)
    per.to_csv(args.out / "per_curve.csv", index=False)
    table = per.groupby("law")[["above_median", "log_bias", "held_out_bend", "cut_bend_mean",
                                "cut_bend_sd", "cuts_same_sign"]].mean()
    table["curves"] = per.groupby("law").size()
    table["corr(cut, held-out bend)"] = per.groupby("law")[["cut_bend_mean",
                                                            "held_out_bend"]].apply(
        lambda f: f["cut_bend_mean"].corr(f["held_out_bend"]))
    text = ("# Bias of the forecast's median\n\n`python benchmarks/discrepancy_bias.py`. Means "
            "over curves (right law: 40 seeds; wrong law: 50).\n\n```\n"
            + table.round(4).to_string() + "\n```\n")
    (args.out / "results.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
