"""Replay benchmark of ``bl.next_run`` on grids where every run exists (Gadre, Chinchilla).

Two grids (``--grid``):

``gadre``
    Pool: the 32 RedPajama runs up to 411.6M parameters (C4 validation loss), law
    ``overtraining``; targets: the held-out 6.9B run at M=20 (the one ``next_run`` is told
    about) and the 1.4B run at M=640. Start: the published protocol's 5 runs (the 5 cheapest
    runs all have 10.6M parameters, from which no law in N can be fitted), the same for every
    start (``--starts`` only reseeds the fits and the random strategy).
``chinchilla``
    Pool: the 90% of Chinchilla's 240 runs (Besiroglu et al.'s digitisation) with the least
    compute, law ``chinchilla``; targets: the 10% with the most compute (24 runs, 1.4e21-1.3e22
    FLOPs); ``next_run`` is told about the target with the lowest loss. Start ``s``: 5 runs
    drawn (seed ``s``) from the 30 cheapest pool runs.

Every strategy adds one pool run per step, refitting the law (default priors,
``allow_few_runs``) after each:

* ``next_run``: the candidate with the largest expected reduction of the variance of the
  target's forecast per FLOP (``bl.next_run``, cost 6 N D);
* ``next_run-width``: the same with ``criterion="width"`` (the 90% predictive interval);
* ``next_run-information``: the same with ``criterion="information"`` (expected information
  gain about the target's loss, Gaussian approximation);
* ``next_run-overhead`` (only with ``--strategies``): ``next_run`` with a fixed cost of
  :data:`OVERHEAD` FLOPs added to each run's 6 N D, so that no run is nearly free;
* ``cheapest``: the cheapest run not yet trained;
* ``random``: a random run (one seed per start);
* ``largest-affordable``: the most expensive run costing at most the FLOPs spent so far (so
  the spend at most doubles per step), else the cheapest.

Reported per strategy and step (mean over starts): cumulative FLOPs, the relative error of the
posterior-predictive median and the relative width of the 90% interval at the told target
(``error``, ``width``) and averaged over all targets (``error_all``, ``width_all``); the
reference is the fit to all pool runs. The goal check: per start, the first step whose error is
at most the all-pool fit's and its share of the pool's FLOPs; and, on a grid of budgets, each
strategy's error of its last fit within the budget, mean over starts. Writes
``replay.csv``, ``results.md`` and ``replay.png`` under ``--out``.

Usage::

    python benchmarks/design.py                        # Gadre grid, about 5 minutes on 2 cores
    python benchmarks/design.py --grid chinchilla --starts 3 \
        --out benchmarks/results/design_chinchilla    # about 10 minutes
    python benchmarks/design.py --steps 2 --starts 1 --quick   # smoke run
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
from bayeslaws import datasets  # noqa: E402
from benchmarks import gadre  # noqa: E402
from benchmarks.tables import markdown  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "design"
#: Fixed cost per run of the ``next_run-overhead`` strategy (FLOPs; about a 78.9M-parameter run
#: at M = 20): start-up, evaluation and the people's time make no run free.
OVERHEAD = 1e18
STRATEGIES = ("next_run", "next_run-width", "next_run-information", "cheapest",
              "largest-affordable")
CRITERION = {"next_run": "variance", "next_run-overhead": "variance",
             "next_run-width": "width", "next_run-information": "information"}
#: Chinchilla grid: start runs drawn from this many cheapest pool runs; share held out.
CHEAPEST_START, CHINCHILLA_HELD = 30, 0.1


class Grid:
    """A replay grid: the pool of runs (with ``flops`` and ``name``), the held-out targets,
    the law, its input and loss columns, the row of ``targets`` told to ``next_run`` and the
    starts. (A plain class: the tests load this script without registering it as a module,
    which ``dataclasses`` needs.)"""

    def __init__(self, name: str, law: str, x: dict, y: str, pool: pd.DataFrame,
                 targets: pd.DataFrame, told: int) -> None:
        self.name, self.law, self.x, self.y = name, law, x, y
        self.pool, self.targets, self.told = pool, targets, told

    def start(self, seed: int) -> list[int]:
        """Pool rows of start ``seed``."""
        if self.name == "gadre":
            return list(self.pool.index[gadre.protocol_mask(self.pool)])
        rng = np.random.default_rng(seed)
        return sorted(int(i) for i in rng.choice(CHEAPEST_START, 5, replace=False))

    def target(self) -> dict:
        row = self.targets.iloc[self.told]
        return {name: float(row[column]) for name, column in self.x.items()}


def gadre_grid() -> Grid:
    frame = gadre.load()
    targets = frame.loc[gadre.target_mask(frame)].reset_index(drop=True)
    pool = frame[frame["N_params"].isin(gadre.SMALL_SIZES)].reset_index(drop=True)
    pool["flops"] = 6.0 * pool["N_params"] * pool["D_tokens"]
    pool = pool.sort_values("flops").reset_index(drop=True)
    told = int(np.argmax(targets["N_params"].to_numpy()))  # 6.9B at M = 20
    return Grid("gadre", "overtraining", gadre.X, gadre.Y, pool, targets, told)


def chinchilla_grid() -> Grid:
    frame = datasets.chinchilla()
    frame["flops"] = 6.0 * frame["N"] * frame["D"]
    frame = frame.sort_values("flops").reset_index(drop=True)
    cut = int(round((1 - CHINCHILLA_HELD) * len(frame)))
    pool, targets = frame.iloc[:cut].reset_index(drop=True), frame.iloc[cut:]
    pool["name"] = [f"N={n:.3g} D={d:.3g}" for n, d in zip(pool["N"], pool["D"], strict=True)]
    targets = targets.reset_index(drop=True)
    told = int(np.argmin(targets["loss"].to_numpy()))
    return Grid("chinchilla", "chinchilla", {"N": "N", "D": "D"}, "loss", pool, targets, told)


GRIDS = {"gadre": gadre_grid, "chinchilla": chinchilla_grid}


def fit_runs(grid: Grid, runs: pd.DataFrame, seed: int, settings: dict) -> bl.Fit:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return bl.fit(grid.law, runs, x=grid.x, y=grid.y, random_seed=seed, progressbar=False,
                      allow_few_runs=True, **settings)


def score(fit: bl.Fit, grid: Grid) -> dict:
    """Relative error of the median and relative 90% width at the told target and averaged
    over all targets; coverage of all targets."""
    at = {name: grid.targets[column].to_numpy() for name, column in grid.x.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # extrapolation warnings: the point of the replay
        table = fit.predict(at, prob=0.9)
    truth = grid.targets[grid.y].to_numpy()
    error = np.abs(table["median"].to_numpy() - truth) / truth
    width = (table["upper"].to_numpy() - table["lower"].to_numpy()) / truth
    covered = (table["lower"].to_numpy() <= truth) & (truth <= table["upper"].to_numpy())
    return {"error": error[grid.told], "width": width[grid.told],
            "covered": bool(covered[grid.told]), "error_all": error.mean(),
            "width_all": width.mean(), "coverage_all": covered.mean()}


def choose(strategy: str, fit: bl.Fit, grid: Grid, chosen: list[int],
           rng: np.random.Generator) -> int:
    pool = grid.pool
    left = [i for i in pool.index if i not in chosen]
    if strategy == "cheapest":
        return left[0]
    if strategy == "random":
        return int(rng.choice(left))
    if strategy == "largest-affordable":
        spent = pool.loc[chosen, "flops"].sum()
        affordable = [i for i in left if pool.loc[i, "flops"] <= spent]
        return affordable[-1] if affordable else left[0]
    cost = ((lambda runs: 6.0 * runs["N"] * runs["D"] + OVERHEAD)
            if strategy == "next_run-overhead" else None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = bl.next_run(fit, pool.loc[left], grid.target(), criterion=CRITERION[strategy],
                            cost=cost, outcomes=100, max_draws=1000)
    return int(table.attrs["batch"][0])


def replay(strategy: str, grid: Grid, steps: int, start: int, settings: dict) -> list[dict]:
    rng = np.random.default_rng(1000 + start)
    chosen = grid.start(start)
    rows = []
    for step in range(steps + 1):
        fit = fit_runs(grid, grid.pool.loc[chosen], start * 100 + step, settings)
        rows.append({"strategy": strategy, "start": start, "step": step, "runs": len(chosen),
                     "flops": grid.pool.loc[chosen, "flops"].sum(),
                     "added": grid.pool.loc[chosen[-1], "name"] if step else "",
                     **score(fit, grid)})
        print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in rows[-1].items()},
              flush=True)
        if step < steps:
            chosen.append(choose(strategy, fit, grid, chosen, rng))
    return rows


def plot(table: pd.DataFrame, reference: dict, grid: Grid, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mean = table.groupby(["strategy", "step"]).mean(numeric_only=True).reset_index()
    told = grid.targets.iloc[grid.told]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for metric, ax, label in (("error", axes[0], "relative error at the target"),
                              ("width", axes[1], "90% interval width / loss at the target")):
        for strategy, rows in mean.groupby("strategy"):
            ax.plot(rows["flops"], 100 * rows[metric], marker="o", label=strategy)
        ax.axhline(100 * reference[metric], color="0.4", ls="--",
                   label=f"all {reference['runs']} pool runs")
        ax.set_xscale("log")
        ax.set_xlabel("cumulative training FLOPs (6 N D), mean over starts")
        ax.set_ylabel(label + " (%)")
    axes[0].legend(frameon=False, fontsize=8)
    where = ", ".join(f"{name}={told[column]:.3g}" for name, column in grid.x.items())
    fig.suptitle(f"Replay on the {grid.name} grid ({table['start'].nunique()} starts): which "
                 f"run to add next; target {where}")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def at_budgets(table: pd.DataFrame, budgets: np.ndarray, metric: str) -> pd.DataFrame:
    """``metric`` of each strategy's last fit within each budget of FLOPs (mean over starts;
    blank where a strategy had spent more than the budget already at some start's start)."""
    out = {}
    for strategy, rows in table.groupby("strategy"):
        values = []
        for budget in budgets:
            within = rows[rows["flops"] <= budget * (1 + 1e-9)]
            last = within.sort_values("step").groupby("start").tail(1)
            values.append(last[metric].mean() if len(last) == rows["start"].nunique()
                          else np.nan)
        out[strategy] = values
    return pd.DataFrame(out, index=pd.Index(budgets, name="FLOPs budget"))


def reach(table: pd.DataFrame, reference: dict, pool_flops: float,
          metric: str = "error") -> pd.DataFrame:
    """Per strategy and start: the first step whose ``metric`` (error at the told target, or
    ``error_all`` over all targets) is at most the all-pool fit's, and its FLOPs as a share of
    all the pool's FLOPs."""
    rows = []
    for (strategy, start), steps in table.groupby(["strategy", "start"]):
        hit = steps[steps[metric] <= reference[metric]].sort_values("step")
        rows.append({"strategy": strategy, "start": start, "metric": metric,
                     "step": int(hit["step"].iloc[0]) if len(hit) else np.nan,
                     "share_of_pool_flops": (hit["flops"].iloc[0] / pool_flops if len(hit)
                                             else np.nan)})
    return pd.DataFrame(rows)


def verdict(table: pd.DataFrame, budgets_table: pd.DataFrame, reached: pd.DataFrame,
            metric: str = "error") -> list:
    """The issue's goal, per next_run strategy: reaches the all-pool ``metric`` with <= 1/3 of
    the pool's FLOPs at every start, and a lower mean ``metric`` than cheapest and random at
    every budget where all three have a value."""
    lines = [f"{metric} ({'at the told target' if metric == 'error' else 'mean over targets'})"
             ":", ""]
    for strategy in sorted(s for s in table["strategy"].unique() if s.startswith("next_run")):
        shares = reached.loc[reached["strategy"] == strategy, "share_of_pool_flops"]
        third = bool(shares.notna().all() and (shares <= 1 / 3).all())
        beats = {}
        for other in ("cheapest", "random"):
            if other in budgets_table and strategy in budgets_table:
                both = budgets_table[[strategy, other]].dropna()
                beats[other] = (f"{int((both[strategy] < both[other]).sum())} of {len(both)} "
                                "budgets")
        lines.append(f"- {strategy}: all-pool error within 1/3 of the pool's FLOPs at every "
                     f"start: {third} (shares {[round(v, 3) for v in shares]}); lower mean "
                     f"error than " + ", ".join(f"{k} at {v}" for k, v in beats.items()))
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grid", default="gadre", choices=list(GRIDS))
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--starts", type=int, default=2,
                        help="starting sets (seeds), results averaged over them")
    parser.add_argument("--strategies", default=",".join(STRATEGIES),
                        help="comma-separated strategies besides random (also: "
                             "next_run-overhead)")
    parser.add_argument("--quick", action="store_true", help="tiny sampling (smoke run)")
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite results.md and the plot from replay.csv (refits only the "
                             "all-pool reference)")
    args = parser.parse_args(argv)
    settings = ({"chains": 1, "draws": 100, "tune": 100} if args.quick else
                {"chains": 2, "draws": 400, "tune": 600, "target_accept": 0.95})
    grid = GRIDS[args.grid]()
    out = Path(args.out)
    if args.report_only:
        table = pd.read_csv(out / "replay.csv")
    else:
        rows = []
        for start in range(args.starts):
            for strategy in [*args.strategies.split(","), "random"]:
                rows += replay(strategy, grid, args.steps, start, settings)
        table = pd.DataFrame(rows)
        out.mkdir(parents=True, exist_ok=True)
        table.to_csv(out / "replay.csv", index=False)
    reference = {"runs": len(grid.pool), "flops": grid.pool["flops"].sum(),
                 **score(fit_runs(grid, grid.pool, 999, settings), grid)}
    plot(table, reference, grid, out / "replay.png")
    mean = table.groupby(["strategy", "step"]).mean(numeric_only=True).drop(columns="start")
    budgets = np.unique(np.quantile(table["flops"], np.linspace(0, 1, 8)))
    errors = at_budgets(table, budgets, "error")
    errors_all = at_budgets(table, budgets, "error_all")
    pool_flops = grid.pool["flops"].sum()
    reached = reach(table, reference, pool_flops)
    reached_all = reach(table, reference, pool_flops, "error_all")
    command = "python benchmarks/design.py " + " ".join(argv if argv is not None else sys.argv[1:])
    told = grid.targets.iloc[grid.told]
    text = [f"# Replay: choosing the next run on the {grid.name} grid", "",
            f"Command: `{command}`; law {grid.law}, sampling per fit {settings}; "
            f"{args.starts} start(s); target told to next_run: "
            + ", ".join(f"{name}={told[column]:.4g}" for name, column in grid.x.items())
            + f" (loss {told[grid.y]:.4g}); {len(grid.targets)} targets in all.", "",
            f"Reference, all {len(grid.pool)} pool runs ({grid.pool['flops'].sum():.3g} "
            "FLOPs): " + ", ".join(f"{k} {v:.4g}" for k, v in reference.items()
                                   if k not in ("runs",)), "",
            "Goal check (next_run reaches the all-pool error with <= 1/3 of the pool's "
            "FLOPs at every start; lower mean error than cheapest and random at every "
            "budget):", "", *verdict(table, errors, reached), "",
            *verdict(table, errors_all, reached_all, "error_all"), "",
            "Mean over starts, per strategy and step:", "",
            markdown(mean.reset_index(), digits=4), "",
            "Relative error at the target of each strategy's last fit within a budget "
            "(mean over starts):", "", markdown(errors, index=True, digits=3), "",
            "Mean relative error over all targets, same budgets:", "",
            markdown(errors_all, index=True, digits=3), "",
            "Relative 90% width at the target, same budgets:", "",
            markdown(at_budgets(table, budgets, "width"), index=True, digits=3), "",
            "First step reaching the all-pool fit's target error (share of the pool's FLOPs; "
            "blank: not within the steps run), at the told target and over all targets:", "",
            markdown(pd.concat([reached, reached_all], ignore_index=True), digits=3), "",
            "![replay](replay.png)", ""]
    (out / "results.md").write_text("\n".join(text))
    print("\n".join(text[:12]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
