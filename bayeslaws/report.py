"""A report of one fit: Markdown with PNG figures, and the same as one self-contained HTML file.

:func:`write_report` writes into a folder

- ``report.md`` with ``fit.png``, ``residuals.png``, ``calibration.png``,
  ``prior_posterior.png``, ``rank.png``, ``pareto_k.png`` and, for ``(N, D)`` loss laws,
  ``compute_optimal.png`` next to it;
- ``report.html``, the same content with the figures embedded (one file to share).

Sections: the law and the run settings, a data summary, the priors, sampler diagnostics
(divergences, R-hat, ESS, rank plots) and PSIS-LOO (elpd, p_loo against the number of
parameters, Pareto k, the runs above the reliability threshold named by their inputs and y),
the posterior table with prior against posterior per parameter, the fit and its residuals
against each input (where the law misses), and the forecast tables (forecasts beyond the data;
compute-optimal allocation with tokens per parameter for ``(N, D)`` laws). Bands are labelled
as the law's curve (parameter uncertainty) or a new run (with the run-to-run noise).
"""

from __future__ import annotations

import base64
import html
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bayeslaws.calibration import plot_calibration
from bayeslaws.checks import check_prob
from bayeslaws.exceptions import ExtrapolationWarning
from bayeslaws.optimal import compute_optimal
from bayeslaws.plots import plot_compute_optimal, plot_fit

FORECAST_FACTORS = (1.0, 10.0, 100.0)
#: Pareto k above which a run is named as influential (ArviZ's threshold with enough draws).
K_THRESHOLD = 0.7
#: At most this many influential runs are listed (largest k first).
MAX_LISTED_RUNS = 20
BUDGET_FACTORS = (1.0, 10.0, 100.0, 1000.0)


@dataclass
class Block:
    """One piece of a report: ``kind`` is heading, text, list, table (a DataFrame, shown with
    its index) or image (a PNG file)."""

    kind: str
    content: Any
    level: int = 2
    caption: str = ""


def _fmt(value: Any) -> str:
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return "-"
        if np.isinf(value):
            return "inf" if value > 0 else "-inf"
        return f"{value:.4g}"
    if isinstance(value, int | np.integer):
        return str(int(value))
    return str(value)


def _cells(frame: pd.DataFrame, index: bool) -> tuple[list[str], list[list[str]]]:
    """The header and the formatted rows of ``frame`` (its index first when ``index``)."""
    head = ([frame.index.name or ""] if index else []) + [str(c) for c in frame.columns]
    rows = [([_fmt(label)] if index else []) + [_fmt(v) for v in row.to_numpy()]
            for label, row in frame.iterrows()]
    return head, rows


def markdown_table(frame: pd.DataFrame, index: bool = True) -> str:
    """A DataFrame as a GitHub Markdown table (numbers to 4 significant digits)."""
    head, rows = _cells(frame, index)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return "\n".join(lines + ["| " + " | ".join(cells) + " |" for cells in rows])


def _html_table(frame: pd.DataFrame) -> str:
    head, rows = _cells(frame, True)

    def row(cells, tag):
        return "<tr>" + "".join(f"<{tag}>{html.escape(c)}</{tag}>" for c in cells) + "</tr>"

    return "<table>\n" + "\n".join([row(head, "th")] + [row(r, "td") for r in rows]) + "\n</table>"


def to_markdown(blocks: Sequence[Block]) -> str:
    render = {"heading": lambda b: "#" * b.level + " " + b.content, "text": lambda b: b.content,
              "list": lambda b: "\n".join(f"- {item}" for item in b.content),
              "table": lambda b: markdown_table(b.content)
              + (f"\n\n*{b.caption}*" if b.caption else ""),
              "image": lambda b: f"![{b.caption}]({Path(b.content).name})"}
    return "\n\n".join(render[block.kind](block) for block in blocks) + "\n"


def to_html(blocks: Sequence[Block], title: str) -> str:
    def image(b: Block) -> str:
        data = base64.b64encode(Path(b.content).read_bytes()).decode("ascii")
        return (f'<figure><img alt="{html.escape(b.caption)}" src="data:image/png;base64,{data}">'
                f"<figcaption>{html.escape(b.caption)}</figcaption></figure>")

    render = {"heading": lambda b: f"<h{b.level}>{html.escape(b.content)}</h{b.level}>",
              "text": lambda b: f"<p>{html.escape(b.content)}</p>",
              "list": lambda b: "<ul>" + "".join(f"<li>{html.escape(str(i))}</li>"
                                                 for i in b.content) + "</ul>",
              "table": lambda b: _html_table(b.content)
              + (f"\n<p><em>{html.escape(b.caption)}</em></p>" if b.caption else ""),
              "image": image}
    style = ("body{font-family:sans-serif;max-width:960px;margin:2em auto;padding:0 1em}"
             "table{border-collapse:collapse;margin:1em 0;font-size:90%}"
             "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
             "img{max-width:100%}")
    return (f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{html.escape(title)}"
            f"</title><style>{style}</style></head><body>\n"
            + "\n".join(render[block.kind](block) for block in blocks) + "\n</body></html>\n")


# -- sections ------------------------------------------------------------------------------
def data_summary(fit) -> pd.DataFrame:
    """Per input and for y: column, min, geometric mean (or mean) and max."""
    obs = fit.observations
    rows = {}
    for name, values in obs.x.items():
        rows[name] = {"column": obs.columns[name], "min": values.min(),
                      "centre (geometric mean)": float(np.exp(np.log(values).mean())),
                      "max": values.max()}
    rows["y"] = {"column": obs.y_column, "min": obs.y.min(),
                 "centre (geometric mean)": obs.summary.y_centre, "max": obs.y.max()}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("variable")


def priors_table(fit) -> pd.DataFrame:
    descriptions = {p.name: p.description for p in fit.spec.parameters}
    rows = {name: {"prior": f"{prior.distribution}("
                            + ", ".join(f"{k}={v:.4g}" for k, v in prior.arguments.items()) + ")",
                   "description": descriptions.get(name, "")}
            for name, prior in fit.spec.priors.items()}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("parameter")


def loo_summary(fit) -> dict[str, Any]:
    """PSIS-LOO elpd, its SE, p_loo and the Pareto k diagnostics (counts by band, max)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = fit.loo(pointwise=True)
    k = np.asarray(result.pareto_k).ravel()
    good = float(result.good_k)
    return {"elpd_loo": float(result.elpd), "se": float(result.se), "p_loo": float(result.p),
            "good_k": good, "k": k, "max_k": float(np.max(k)),
            "n_good": int(np.sum(k <= good)), "n_bad": int(np.sum((k > good) & (k <= 1))),
            "n_very_bad": int(np.sum(k > 1))}


def influential_runs(fit, loo: dict[str, Any], threshold: float = K_THRESHOLD) -> pd.DataFrame:
    """The runs whose Pareto k exceeds ``threshold`` or is not finite (PSIS failed for them):
    inputs, y and k, by the fitted data's column names (largest k first)."""
    obs = fit.observations
    k = loo["k"]
    rows = np.flatnonzero((k > threshold) | ~np.isfinite(k))
    rows = rows[np.argsort(-np.nan_to_num(k[rows], nan=np.inf), kind="stable")]
    table = pd.DataFrame({obs.columns[n]: obs.x[n][rows] for n in fit.law.inputs},
                         index=pd.Index(rows, name="run"))
    if fit.is_grouped:
        table[fit.grouping.column] = np.asarray(fit.groups)[obs.groups[rows]]
    table[obs.y_column] = obs.y[rows]
    table["Pareto k"] = loo["k"][rows]
    return table


def _complete_trace(fit):
    """The fit's trace with its predictive and prior groups (computed here for fits made
    before they were stored)."""
    from bayeslaws.groups import PREDICTIVE_GROUPS, with_predictive_groups

    if set(PREDICTIVE_GROUPS) <= set(fit.trace.children):
        return fit.trace
    return with_predictive_groups(fit.trace, fit.spec, fit.observations,
                                  fit.settings.random_seed)


def _residuals_plot(fit, trace, prob: float):
    """Observed y over the posterior predictive median at each run, against each input, with
    the predictive interval of a new run at those inputs: where the law misses."""
    import matplotlib.pyplot as plt

    obs = fit.observations
    draws = np.asarray(trace["posterior_predictive"]["y"].values).reshape(-1, obs.n)
    median = np.nanmedian(draws, axis=0)
    lo, hi = np.nanquantile(draws, [(1 - prob) / 2, (1 + prob) / 2], axis=0)
    inputs = fit.law.inputs
    fig, axes = plt.subplots(1, len(inputs), figsize=(min(4.2 * len(inputs), 12), 3.4),
                             squeeze=False, sharey=True)
    pct = int(round(prob * 100))
    for ax, name in zip(axes[0], inputs, strict=True):
        x = obs.x[name]
        ax.vlines(x, lo / median - 1, hi / median - 1, color="C0", alpha=0.25, lw=1,
                  label=f"new run's {pct}% interval")
        ax.axhline(0, color="C0", lw=1)
        ax.scatter(x, obs.y / median - 1, s=12, color="k", zorder=3, label="runs")
        ax.set(xscale="linear" if name in fit.law.linear_inputs else "log",
               xlabel=obs.columns[name])
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:+.1%}"))
    axes[0][0].set_ylabel(f"{obs.y_column} / predicted median - 1")
    axes[0][0].legend(fontsize=7)
    fig.suptitle("Residuals against each input (a pattern shows where the law misses)",
                 fontsize=10)
    fig.tight_layout()
    return fig


def _scalar_tree(trace, groups: Sequence[str], logs: bool = False):
    """``trace``'s ``groups`` with only the variables without a group dimension (ArviZ's
    prior/posterior plot names its own axis ``group``); ``logs``: positive variables as
    ``log10 <name>`` (priors of amplitudes span many decades)."""
    import xarray as xr

    datasets = {name: trace[name].to_dataset() for name in groups}
    names = [v for v in datasets[groups[-1]].data_vars
             if "group" not in datasets[groups[-1]][v].dims]
    positive = [v for v in names if logs and all(bool((d[v] > 0).all()) for d in
                                                 datasets.values())]
    out = {}
    for name, data in datasets.items():
        data = data[names]
        out[name] = data.assign({f"log10 {v}": np.log10(data[v]) for v in positive}
                                ).drop_vars(positive)[[f"log10 {v}" if v in positive else v
                                                       for v in names]]
    return xr.DataTree.from_dict(out)


def _prior_posterior_plot(fit, trace, path: Path) -> Path:
    """ArviZ's prior against posterior density of every parameter, positive ones in log10
    (grouped fits: the shared parameters and the population of the varying ones)."""
    import arviz as az

    tree = _scalar_tree(trace, ["prior", "posterior"], logs=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        collection = az.plot_prior_posterior(tree, backend="matplotlib")
    return _save_collection(collection, path, "Prior against posterior density per parameter "
                                              "(positive parameters in log10)")


def _rank_plot(fit, trace, path: Path) -> Path:
    """ArviZ's rank plot of every parameter (uniform ranks: the chains agree)."""
    import arviz as az

    tree = _scalar_tree(trace, ["posterior"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        collection = az.plot_rank(tree, backend="matplotlib")
    return _save_collection(collection, path, "Rank ECDF of each chain minus the uniform: "
                                              "near zero when the chains agree (p: test of "
                                              "uniformity)")


def _save_collection(collection, path: Path, title: str) -> Path:
    figure = collection.viz["figure"].item()
    panels = sum(ax.get_visible() for ax in figure.axes)
    figure.set_size_inches(11, 2.6 * max(1, -(-panels // 4)) + 0.6)
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    return _save(figure, path)


def _save(fig, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _pareto_k_plot(fit, loo: dict[str, Any]):
    import matplotlib.pyplot as plt

    obs = fit.observations
    first = fit.law.inputs[0]
    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    finite = np.isfinite(loo["k"])
    k, x = loo["k"][finite], obs.x[first][finite]
    colors = np.where(k > 1, "crimson", np.where(k > loo["good_k"], "orange", "C0"))
    ax.scatter(x, k, s=14, c=colors, edgecolor="k", lw=0.3)
    if not finite.all():
        ax.text(0.02, 0.95, f"{int((~finite).sum())} run(s) without a finite k (PSIS failed)",
                transform=ax.transAxes, fontsize=8, va="top", color="crimson")
    if not finite.any():
        ax.set_xlim(obs.x[first].min(), obs.x[first].max())
    ax.axhline(loo["good_k"], color="orange", ls="--", lw=1,
               label=f"k = {loo['good_k']:.2f} (above: LOO unreliable for that run)")
    ax.axhline(1.0, color="crimson", ls=":", lw=1, label="k = 1")
    ax.set(xscale="log", xlabel=obs.columns[first], ylabel="Pareto k")
    ax.set_title("PSIS-LOO Pareto k per run", fontsize=10)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def forecast_table(fit, prob: float, factors: Sequence[float] = FORECAST_FACTORS
                   ) -> pd.DataFrame:
    """Posterior predictive at every input's largest observed value times each factor, with
    how many decades each point lies beyond the fitted runs (``beyond_<input>``). A linear
    input (:attr:`~bayeslaws.law.Law.linear_inputs`) goes ``log10(factor)`` data spans beyond
    its largest value instead (10 x: one span), as in :func:`bayeslaws.plots.plot_fit`."""
    obs = fit.observations

    def scaled(name: str, factor: float) -> float:
        x = obs.x[name]
        if name in fit.law.linear_inputs:
            return float(x.max() + np.ptp(x) * np.log10(factor))
        return float(x.max() * factor)

    at = pd.DataFrame({n: [scaled(n, f) for f in factors] for n in fit.law.inputs})
    with warnings.catch_warnings():  # beyond the data by design: the columns say how far
        warnings.simplefilter("ignore", ExtrapolationWarning)
        table = fit.predict(at, prob=prob, kind="predictive")
    table = table.drop(columns=[c for c in table.columns if c.endswith("_span")])
    table.insert(0, "scale", [f"{f:g} x max" for f in factors])
    level = f"{round(prob * 100, 2):g}"
    return table.set_index("scale").rename(columns={"lower": f"lower_{level}",
                                                    "upper": f"upper_{level}"})


def interval_columns(table: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Merge ``<key>_median/_lower/_upper`` columns into one "median [lower, upper]" column."""
    out = pd.DataFrame(index=table.index)
    for key in keys:
        out[key] = [f"{_fmt(m)} [{_fmt(lo)}, {_fmt(hi)}]" for m, lo, hi in
                    zip(table[f"{key}_median"], table[f"{key}_lower"], table[f"{key}_upper"],
                        strict=True)]
    return out


def _is_nd_loss(fit) -> bool:
    return set(fit.law.inputs) == {"N", "D"} and fit.law.link == "log"


def write_report(fit, out: str | Path, *, prob: float = 0.9, budgets: Sequence[float] | None = None,
                 held_out: Any = None, title: str | None = None) -> Path:
    """Write ``report.md`` (+ PNGs) and a self-contained ``report.html``; return the ``.md``.

    Parameters
    ----------
    fit : Fit
        The fit to report on.
    out : str or Path
        Folder to write into (created if missing).
    prob : float
        Probability of every interval in the report.
    budgets : sequence of float, optional
        Training budgets (FLOPs) for the compute-optimal table of ``(N, D)`` loss laws; default
        the largest ``6 N D`` in the data times 1, 10, 100 and 1000.
    held_out : DataFrame or dict, optional
        Held-out runs to mark in the fit plot.
    title : str, optional
        Report title.
    """
    prob = check_prob(prob)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    law, obs, cfg = fit.law, fit.observations, fit.settings
    pct = int(round(prob * 100))
    title = title or f"bayeslaws report: {law.name} fit to {obs.n} runs"
    blocks = [
        Block("heading", title, level=1),
        Block("text", f"Law: {law.formula} ({law.reference}). Likelihood: "
                      f"{fit.spec.likelihood.name}. Sampler: {cfg.sampler}, "
                      f"{cfg.chains} chains x {cfg.draws} draws after "
                      f"{cfg.tune} tuning steps, seed {cfg.random_seed}."),
        Block("heading", "Data"),
        Block("table", data_summary(fit), caption=f"{obs.n} runs."),
        Block("heading", "Priors"),
        Block("table", priors_table(fit)),
    ]
    diag = fit.diagnostics()
    loo = loo_summary(fit)
    rows = [("divergent transitions", diag.divergences, "0"),
            ("max R-hat", diag.max_rhat, "<= 1.01"),
            ("min bulk ESS", diag.min_ess_bulk, ">= 400"),
            ("min tail ESS", float(diag.table["ess_tail"].min()), ">= 400"),
            ("elpd_loo (se)", f"{loo['elpd_loo']:.2f} ({loo['se']:.2f})", "higher is better"),
            ("p_loo (effective number of parameters)", loo["p_loo"],
             f"below the number of parameters, {fit.n_parameters}"),
            ("max Pareto k", loo["max_k"], f"<= {loo['good_k']:.2f}"),
            (f"runs with Pareto k above {K_THRESHOLD} / above 1",
             f"{int(np.sum(loo['k'] > K_THRESHOLD))} / {loo['n_very_bad']}", "0 / 0")]
    diag_rows = pd.DataFrame(rows, columns=["diagnostic", "value", "healthy when"])
    diag_rows = diag_rows.set_index("diagnostic")
    blocks += [Block("heading", "Diagnostics"), Block("table", diag_rows)]
    problems = list(diag.problems)
    influential = influential_runs(fit, loo)
    if len(influential) and not any("Pareto k" in problem for problem in problems):
        problems.append(
            f"{len(influential)} run(s) have Pareto k > {K_THRESHOLD} (listed below): the LOO "
            "estimate is unreliable for them (influential runs; consider "
            "likelihood='studentt' or an exact refit with compare(..., reloo=True)).")
    trace = _complete_trace(fit)
    blocks += [Block("list", [*diag.notes, *problems] or ["No sampler or LOO problems."])]
    if len(influential):
        shown = influential.head(MAX_LISTED_RUNS)
        more = (f" ({len(shown)} of {len(influential)} shown, largest k first)"
                if len(influential) > len(shown) else "")
        blocks.append(Block("table", shown,
                            caption=f"Runs with Pareto k > {K_THRESHOLD}{more}."))
    blocks += [Block("image", _save(_pareto_k_plot(fit, loo), out / "pareto_k.png"),
                     caption="Pareto k per run"),
               Block("image", _rank_plot(fit, trace, out / "rank.png"),
                     caption="Rank plots of the posterior draws per chain")]
    summary = fit.summary(prob=prob)
    summary.index.name = "parameter"
    blocks += [
        Block("heading", "Posterior"),
        Block("table", summary, caption=f"{pct}% equal-tailed intervals."),
        Block("image", _prior_posterior_plot(fit, trace, out / "prior_posterior.png"),
              caption="Prior against posterior per parameter: what the runs taught"),
        Block("heading", "Fit"),
        Block("image", _save(plot_fit(fit, held_out=held_out), out / "fit.png"),
              caption="Data and the law's curve: posterior median with 50%/90% bands of the "
                      "curve (parameter uncertainty only; a new run also scatters by the "
                      "noise, see the residuals and forecasts)"),
        Block("image", _save(_residuals_plot(fit, trace, prob), out / "residuals.png"),
              caption=f"Residuals against each input, with a new run's {pct}% interval"),
        Block("image", _save(plot_calibration(fit, title="In-sample calibration (LOO-PIT)"),
                             out / "calibration.png"),
              caption="Observed against nominal coverage of a new run's central intervals at "
                      "the fitted runs (leave-one-out PIT; below the diagonal: too narrow). "
                      "Coverage beyond the data needs held-out larger runs: "
                      "bayeslaws.backtest and bayeslaws.plot_calibration."),
        Block("heading", "Forecasts"),
        Block("text", f"A new run's measurement (the law's curve plus the run-to-run noise) at "
                      f"the largest observed value of every input times 1, 10 and 100; {pct}% "
                      "intervals; beyond_<input>: decades beyond the largest fitted run (the "
                      "law is then extrapolated, and its intervals assume the law holds)."),
        Block("table", forecast_table(fit, prob)),
    ]
    if _is_nd_loss(fit) and fit.is_grouped:
        blocks.append(Block("text", "Grouped fit: compute-optimal allocation is per group; "
                                    "run bayeslaws.compute_optimal(fit, C, group=...)."))
    elif _is_nd_loss(fit):
        c_data = 6.0 * obs.x["N"] * obs.x["D"]
        budgets = (np.asarray(budgets, dtype=float) if budgets is not None
                   else c_data.max() * np.asarray(BUDGET_FACTORS))
        with warnings.catch_warnings():  # budgets beyond the data by design
            warnings.simplefilter("ignore", ExtrapolationWarning)
            result = compute_optimal(fit, budgets, prob=prob)
        table = result.table.set_index("C")
        compact = interval_columns(table, ["N", "tokens_per_param", "D", "loss"])
        compact["P(no optimum)"] = table["p_no_optimum"]
        blocks += [
            Block("heading", "Compute-optimal allocation (C = 6 N D)", level=3),
            Block("table", compact, caption=f"Median [{pct}% interval]; method: {result.method}."),
            Block("table", result.exponents, caption="Exponents of N_opt ~ C^a and D_opt ~ C^b."),
        ]
        if result.notes:
            blocks.append(Block("list", result.notes))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ExtrapolationWarning)
            grid = compute_optimal(fit, np.geomspace(c_data.min(), budgets.max(), 40),
                                   prob=prob)
        figure = plot_compute_optimal(grid, data_compute=c_data)
        blocks.append(Block("image", _save(figure, out / "compute_optimal.png"),
                            caption="Compute-optimal N against budget"))
    md_path = out / "report.md"
    md_path.write_text(to_markdown(blocks))
    (out / "report.html").write_text(to_html(blocks, title))
    return md_path
