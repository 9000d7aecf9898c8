"""Replay benchmark of ``bl.next_run`` on Gadre et al.'s RedPajama grid, where every run exists.

Pool: the 32 RedPajama runs up to 411.6M parameters (C4 validation loss); targets: the held-out
6.9B run at M=20 (the one ``next_run`` is told about) and the 1.4B run at M=640. Every strategy
starts from the published protocol's 5 runs (the four sizes at M=20 and 10.6M at M=320; the 5
cheapest runs all have 10.6M parameters, from which no law in N can be fitted) and adds one run
of the pool per step, refitting the law ``overtraining`` (default priors, ``allow_few_runs``)
after each:

* ``next_run``: the candidate with the largest expected reduction of the variance of the
  6.9B forecast per FLOP (``bl.next_run``, cost 6 N D);
* ``next_run-width``: the same with ``criterion="width"`` (the 90% predictive interval);
* ``next_run-overhead`` (only with ``--strategies``): ``next_run`` with a fixed cost of
  :data:`OVERHEAD` FLOPs added to each run's 6 N D, so that no run is nearly free;
* ``cheapest``: the cheapest run not yet trained;
* ``random``: a random run (``--random-seeds`` seeds, averaged);
* ``largest-affordable``: the most expensive run costing at most the FLOPs spent so far (so
  the spend at most doubles per step), else the cheapest.

Reported per strategy and step: cumulative FLOPs, the relative error of the posterior-predictive
median and the relative width of the 90% interval at both targets; the reference is the fit to
all 32 pool runs. Writes ``benchmarks/results/design/replay.csv``, ``results.md`` and
``replay.png``.

Usage::

    python benchmarks/design.py              # about 5 minutes on 2 cores
    python benchmarks/design.py --steps 2 --random-seeds 1 --quick   # smoke run
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bayeslaws as bl  # noqa: E402
from benchmarks import gadre  # noqa: E402
from benchmarks.tables import markdown  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "design"
LAW = "overtraining"
#: Fixed cost per run of the ``next_run-overhead`` strategy (FLOPs; about a 78.9M-parameter run
#: at M = 20): start-up, evaluation and the people's time make no run free.
OVERHEAD = 1e18
STRATEGIES = ("next_run", "next_run-width", "cheapest", "largest-affordable")


def pool_and_targets() -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = gadre.load()
    targets = frame.loc[gadre.target_mask(frame)].reset_index(drop=True)
    pool = frame[frame["N_params"].isin(gadre.SMALL_SIZES)].reset_index(drop=True)
    pool["flops"] = 6.0 * pool["N_params"] * pool["D_tokens"]
    return pool.sort_values("flops").reset_index(drop=True), targets


def fit_runs(runs: pd.DataFrame, seed: int, settings: dict) -> bl.Fit:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return bl.fit(LAW, runs, x=gadre.X, y=gadre.Y, random_seed=seed, progressbar=False,
                      allow_few_runs=True, **settings)


def score(fit: bl.Fit, targets: pd.DataFrame) -> dict:
    rows = gadre.score_targets(fit, targets, LAW, "")
    out = {}
    for row in rows:
        key = "6.9B" if row["target"].startswith("6.9B") else "1.4B"
        out[f"error_{key}"] = row["rel_error"]
        out[f"width_{key}"] = (row["upper_90"] - row["lower_90"]) / row["loss"]
        out[f"covered_{key}"] = row["covered_90"]
    return out


def choose(strategy: str, fit: bl.Fit, pool: pd.DataFrame, chosen: list[int],
           rng: np.random.Generator, target: dict) -> int:
    left = [i for i in pool.index if i not in chosen]
    if strategy == "cheapest":
        return left[0]
    if strategy == "random":
        return int(rng.choice(left))
    if strategy == "largest-affordable":
        spent = pool.loc[chosen, "flops"].sum()
        affordable = [i for i in left if pool.loc[i, "flops"] <= spent]
        return affordable[-1] if affordable else left[0]
    criterion = "width" if strategy == "next_run-width" else "variance"
    cost = ((lambda runs: 6.0 * runs["N"] * runs["D"] + OVERHEAD)
            if strategy == "next_run-overhead" else None)
    table = bl.next_run(fit, pool.loc[left], target, criterion=criterion, cost=cost,
                        outcomes=100, max_draws=1000)
    return int(table.attrs["batch"][0])


def replay(strategy: str, pool, targets, steps: int, seed: int, settings: dict) -> list[dict]:
    rng = np.random.default_rng(seed)
    chosen = list(pool.index[gadre.protocol_mask(pool)])
    six = targets[targets["N_params"] > 5e9].iloc[0]
    target = {"N": six["N_params"], "D": six["D_tokens"]}
    rows = []
    for step in range(steps + 1):
        fit = fit_runs(pool.loc[chosen], seed * 100 + step, settings)
        rows.append({"strategy": strategy, "seed": seed, "step": step, "runs": len(chosen),
                     "flops": pool.loc[chosen, "flops"].sum(),
                     "added": pool.loc[chosen[-1], "name"] if step else "",
                     **score(fit, targets)})
        print(rows[-1], flush=True)
        if step < steps:
            chosen.append(choose(strategy, fit, pool, chosen, rng, target))
    return rows


def plot(table: pd.DataFrame, reference: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mean = table.groupby(["strategy", "step"]).mean(numeric_only=True).reset_index()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for metric, ax, label in (("error_6.9B", axes[0], "relative error, 6.9B M=20"),
                              ("width_6.9B", axes[1], "90% interval width / loss, 6.9B")):
        for strategy, rows in mean.groupby("strategy"):
            ax.plot(rows["flops"], 100 * rows[metric], marker="o", label=strategy)
        ax.axhline(100 * reference[metric], color="0.4", ls="--",
                   label=f"all {reference['runs']} pool runs")
        ax.set_xscale("log")
        ax.set_xlabel("cumulative training FLOPs (6 N D)")
        ax.set_ylabel(label + " (%)")
    axes[0].legend(frameon=False, fontsize=8)
    fig.suptitle("Replay on Gadre et al.'s RedPajama grid: which run to add next")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def at_budgets(table: pd.DataFrame, budgets: np.ndarray, metric: str) -> pd.DataFrame:
    """``metric`` of each strategy's last fit within each budget of FLOPs (mean over seeds;
    blank where a strategy had spent more than the budget already at its start)."""
    out = {}
    for strategy, rows in table.groupby("strategy"):
        values = []
        for budget in budgets:
            within = rows[rows["flops"] <= budget * (1 + 1e-9)]
            last = within.sort_values("step").groupby("seed").tail(1)
            values.append(last[metric].mean() if len(last) == rows["seed"].nunique()
                          else np.nan)
        out[strategy] = values
    return pd.DataFrame(out, index=pd.Index(budgets, name="FLOPs budget"))


def reach(table: pd.DataFrame, reference: dict, pool_flops: float) -> pd.DataFrame:
    """Per strategy and seed: the first step whose 6.9B error is at most the all-runs fit's,
    and its FLOPs as a share of all the pool's FLOPs."""
    rows = []
    for (strategy, seed), steps in table.groupby(["strategy", "seed"]):
        hit = steps[steps["error_6.9B"] <= reference["error_6.9B"]].sort_values("step")
        rows.append({"strategy": strategy, "seed": seed,
                     "step": int(hit["step"].iloc[0]) if len(hit) else np.nan,
                     "share_of_pool_flops": (hit["flops"].iloc[0] / pool_flops if len(hit)
                                             else np.nan)})
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--random-seeds", type=int, default=2)
    parser.add_argument("--strategies", default=",".join(STRATEGIES),
                        help="comma-separated strategies besides random (also: "
                             "next_run-overhead)")
    parser.add_argument("--quick", action="store_true", help="tiny sampling (smoke run)")
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args(argv)
    settings = ({"chains": 1, "draws": 100, "tune": 100} if args.quick else
                {"chains": 2, "draws": 500, "tune": 800, "target_accept": 0.95})
    pool, targets = pool_and_targets()
    rows = []
    for strategy in args.strategies.split(","):
        rows += replay(strategy, pool, targets, args.steps, 0, settings)
    for seed in range(args.random_seeds):
        rows += replay("random", pool, targets, args.steps, seed + 1, settings)
    reference = {"runs": len(pool), "flops": pool["flops"].sum(),
                 **score(fit_runs(pool, 999, settings), targets)}
    table = pd.DataFrame(rows)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "replay.csv", index=False)
    plot(table, reference, out / "replay.png")
    mean = table.groupby(["strategy", "step"]).mean(numeric_only=True).drop(columns="seed")
    command = "python benchmarks/design.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = ["# Replay: choosing the next run on Gadre's RedPajama grid", "",
            f"Command: `{command}`; law {LAW}, sampling per fit {settings}; start: the "
            "published protocol's 5 runs.", "",
            f"Reference, all {len(pool)} pool runs ({pool['flops'].sum():.3g} FLOPs): "
            + ", ".join(f"{k} {v:.4g}" for k, v in reference.items() if k != "runs"), "",
            "Mean over seeds (random: averaged over its seeds), per strategy and step:", "",
            markdown(mean.reset_index(), digits=4), "",
            "Relative error at the 6.9B target of each strategy's last fit within a budget "
            "(mean over seeds):", "",
            markdown(at_budgets(table, np.unique(np.quantile(table["flops"],
                                                            np.linspace(0, 1, 8))),
                                "error_6.9B"), index=True, digits=3), "",
            "First step reaching the all-runs fit's 6.9B error (share of the pool's FLOPs; "
            "blank: not within the steps run):", "",
            markdown(reach(table, reference, pool["flops"].sum()), digits=3), "",
            "![replay](replay.png)", ""]
    (out / "results.md").write_text("\n".join(text))
    print("\n".join(text[:8]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
