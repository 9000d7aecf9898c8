"""Case study: partial pooling over training sets on Gadre et al.'s over-training runs.

Data: ``../shared/data/gadre-overtraining/gadre_models_losses.csv`` -- models of 10.6M to 6.9B
parameters trained on three training sets (C4, RedPajama, RefinedWeb) at several token
multipliers ``M = D / N``; ``y`` is the C4 validation loss. The three training sets are the
groups. Held out in every scenario: the large runs of each training set -- 1.44B at M = 20 and
at its over-trained multiplier (640 for RedPajama, 80 for C4, 320 for RefinedWeb) and 6.9B at
M = 20; the published protocol predicts 1.4B M = 640 and 6.9B M = 20 (marked *).

Fits compared, per scenario (which small runs are fitted):

* ``separate``: one fit of the law per training set, on that set's runs alone;
* ``hierarchical``: one fit of all training sets with ``group="dataset"`` (defaults of
  :mod:`bayeslaws.hierarchy`: for ``chinchilla`` the exponents ``alpha`` and ``beta`` and the
  noise ``sigma`` are shared, ``E``, ``A`` and ``B`` vary by training set, partially pooled).

``new:<set>`` -- the set is left out entirely: the hierarchical fit of the other two sets'
protocol runs forecasts it as a new group (parameters drawn from the population), against one
curve fitted through the other sets' runs ("what would a new training set do?").

Scenarios: ``protocol`` -- the published protocol's 5 small runs per training set (four small
sizes at M = 20 and 10.6M at M = 320); ``small`` -- every run up to 411.6M (31-32 per set);
``sparse:<set>`` -- that set has only its 5 protocol runs while the other two have all their
small runs (where pooling should help most: the sparse set borrows the exponents and the
population of levels from the others).

A 5-parameter law (6 with the noise) on 5 runs is refused by ``bl.fit`` (it needs more runs
than parameters); the separate protocol fits therefore go through the same steps by hand
(:func:`separate_fit`), with the law's default priors carrying what 5 runs cannot pin down.

Run: ``python case_studies/gadre_hierarchical.py [--law chinchilla] [--draws 1000]
[--scenarios protocol small sparse] [--out case_studies/reports/gadre_hierarchical.md]``
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
from bayeslaws.datasets import data_dir

Y = "loss_c4_val"
X = {"N": "N_params", "D": "D_tokens"}
SMALL_MAX = 5e8  # the four small sizes (10.6M-411.6M); 1.44B and 6.9B are held out
PROTOCOL_SIZES = (10569312, 78914048, 153677376, 411616256)
DATASETS = ("c4_original", "rpj", "rw_original")
PROB = 0.9


def load() -> pd.DataFrame:
    """The loss table with the columns used here."""
    frame = pd.read_csv(data_dir() / "gadre-overtraining" / "gadre_models_losses.csv")
    cols = ["name", "dataset", "N_params", "D_tokens", "token_multiplier_M", Y]
    return frame[cols].reset_index(drop=True)


def protocol_mask(frame: pd.DataFrame) -> pd.Series:
    """The 5 runs per training set of the published protocol."""
    m20 = frame["N_params"].isin(PROTOCOL_SIZES) & np.isclose(frame["token_multiplier_M"], 20)
    m320 = (frame["N_params"] == PROTOCOL_SIZES[0]) & np.isclose(frame["token_multiplier_M"], 320)
    return m20 | m320


def held_out(frame: pd.DataFrame) -> pd.DataFrame:
    """The large runs (1.44B and 6.9B); ``published`` marks the protocol's two targets."""
    out = frame[frame["N_params"] > SMALL_MAX].copy()
    big = out["N_params"] > 5e9
    over = (out["N_params"] < 5e9) & (out["token_multiplier_M"] > 20)
    out["published"] = (big | over) & (out["dataset"] == "rpj")
    return out.reset_index(drop=True)


def scenario_data(frame: pd.DataFrame, scenario: str) -> pd.DataFrame:
    """The fitted runs of a scenario (see the module docstring)."""
    small = frame[frame["N_params"] < SMALL_MAX]
    protocol = frame[protocol_mask(frame)]
    if scenario == "protocol":
        return protocol.reset_index(drop=True)
    if scenario == "small":
        return small.reset_index(drop=True)
    if scenario.startswith("new:"):
        unseen = scenario.split(":", 1)[1]
        return protocol[protocol["dataset"] != unseen].reset_index(drop=True)
    if scenario.startswith("sparse:"):
        sparse = scenario.split(":", 1)[1]
        rich = small[small["dataset"] != sparse]
        return pd.concat([rich, protocol[protocol["dataset"] == sparse]]).reset_index(drop=True)
    raise ValueError(f"unknown scenario {scenario!r}")


def separate_fit(law: str, data: pd.DataFrame, settings: dict) -> bl.Fit:
    """``bl.fit`` of one training set (the 5-run protocol has as many runs as the law has
    parameters: ``allow_few_runs=True``, its warning silenced here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bl.FewRunsWarning)
        return bl.fit(law, data, x=X, y=Y, allow_few_runs=True, **settings)


def score(table: pd.DataFrame, truth: np.ndarray) -> dict[str, np.ndarray]:
    med = table["median"].to_numpy()
    return {"median": med, "err": 100 * (med / truth - 1),
            "covered": (table["lower"].to_numpy() <= truth) & (truth <= table["upper"].to_numpy())}


def run_scenario(frame: pd.DataFrame, scenario: str, law: str, settings: dict) -> pd.DataFrame:
    data = scenario_data(frame, scenario)
    test = held_out(frame)
    rows = []
    timings = {}
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bl.SamplerWarning)  # reported in the table instead
        hier = bl.fit(law, data, x=X, y=Y, group="dataset", **settings)
    timings["hierarchical"] = time.perf_counter() - start
    hier_diag = hier.diagnostics()
    unseen = scenario.split(":", 1)[1] if scenario.startswith("new:") else None
    if unseen is not None:  # baseline: one curve through the other sets' runs
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", bl.SamplerWarning)
            single = bl.fit(law, data, x=X, y=Y, **settings)
    for dataset in DATASETS:
        if unseen is not None and dataset != unseen:
            continue
        part = data[data["dataset"] == dataset]
        target = test[test["dataset"] == dataset]
        truth = target[Y].to_numpy()
        at = target[["N_params", "D_tokens"]].rename(columns={"N_params": "N", "D_tokens": "D"})
        if unseen is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", bl.SamplerWarning)
                sep = separate_fit(law, part, settings)
        else:
            sep = single
        group = dataset if unseen is None else "new"
        sep_diag = sep.diagnostics()
        sep_scores = score(sep.predict(at, prob=PROB), truth)
        hier_scores = score(hier.predict(at, prob=PROB, group=group), truth)
        sep_lpd = _log_density(sep, target)
        hier_lpd = hier.log_density(target, group=group)
        for i in range(len(target)):
            rows.append({
                "scenario": scenario, "dataset": dataset,
                "n_fit": len(part) if unseen is None else len(data),
                "N": target["N_params"].iloc[i], "M": target["token_multiplier_M"].iloc[i],
                "published": bool(target["published"].iloc[i]), "loss": truth[i],
                "sep_median": sep_scores["median"][i], "sep_err_pct": sep_scores["err"][i],
                "sep_cover90": bool(sep_scores["covered"][i]), "sep_lpd": sep_lpd[i],
                "hier_median": hier_scores["median"][i], "hier_err_pct": hier_scores["err"][i],
                "hier_cover90": bool(hier_scores["covered"][i]), "hier_lpd": hier_lpd[i],
                "sep_divergences": sep_diag.divergences,
                "sep_max_rhat": sep_diag.max_rhat, "sep_min_ess": sep_diag.min_ess_bulk,
                "hier_divergences": hier_diag.divergences,
                "hier_max_rhat": hier_diag.max_rhat, "hier_min_ess": hier_diag.min_ess_bulk,
            })
    return pd.DataFrame(rows)


def _log_density(fit: bl.Fit, target: pd.DataFrame) -> np.ndarray:
    from bayeslaws.compare import log_predictive_density

    return log_predictive_density(fit, target)


def _labels(scenario: str) -> dict[str, str]:
    """Names of the two fits compared in a scenario (columns ``sep_*`` and ``hier_*``)."""
    if scenario.startswith("new:"):
        return {"sep": "single curve of the other sets", "hier": "hierarchical, new group"}
    return {"sep": "separate", "hier": "hierarchical"}


def findings(results: pd.DataFrame) -> list[str]:
    """One sentence per scenario: which fit extrapolated better, by how much; plus health."""
    out = []
    for scenario, part in results.groupby("scenario", sort=False):
        sep, hier = part["sep_err_pct"].abs().mean(), part["hier_err_pct"].abs().mean()
        labels = _labels(scenario)
        better = labels["hier"] if hier < sep else labels["sep"]
        lpd = "higher" if part["hier_lpd"].mean() > part["sep_lpd"].mean() else "lower"
        out.append(
            f"`{scenario}` ({part['n_fit'].max()} runs fitted for the scored set): "
            f"the {better} fit extrapolates better, mean absolute error {hier:.2f}% "
            f"({labels['hier']}) vs {sep:.2f}% ({labels['sep']}); the hierarchical log predictive "
            f"density is {lpd} ({part['hier_lpd'].mean():.2f} vs {part['sep_lpd'].mean():.2f})."
        )
    few = results[results["n_fit"] <= 6]
    if len(few):
        out.append(
            f"Separate fits on 5 runs: up to {int(few['sep_divergences'].max())} divergent "
            f"transitions and R-hat up to {few['sep_max_rhat'].max():.3f} -- 6 parameters on 5 "
            "runs leave a posterior ridge that the priors alone must close; the hierarchical "
            f"fits of the same runs had at most {int(few['hier_divergences'].max())} "
            "divergences."
        )
    rp = results[results["published"] & (results["scenario"] == "protocol")]
    if len(rp):
        out.append(
            "RedPajama protocol targets (published point fit: 0.71% and 0.73%): "
            + "; ".join(
                f"{r['N'] / 1e9:.1f}B M={r['M']:g}: separate {r['sep_err_pct']:+.2f}%, "
                f"hierarchical {r['hier_err_pct']:+.2f}%" for _, r in rp.iterrows())
            + "."
        )
    return out


def report(results: pd.DataFrame, args, seconds: float) -> str:
    lines = [
        "# Partial pooling over training sets: Gadre et al. over-training runs",
        "",
        f"Command: `python case_studies/gadre_hierarchical.py --law {args.law} "
        f"--draws {args.draws} --tune {args.tune} --chains {args.chains} --seed {args.seed} "
        f"--target-accept {args.target_accept} "
        f"--scenarios {' '.join(args.scenarios)}` ({seconds:.0f} s on this machine).",
        "",
        f"Law `{args.law}`, C4 validation loss, groups = the three training sets. `separate`: "
        "one fit per training set; `hierarchical`: one fit with `group=\"dataset\"` (exponents "
        "and noise shared, `E`, `A`, `B` partially pooled, defaults of `bayeslaws.hierarchy`). "
        "Held out: every 1.44B and 6.9B run; `*` marks the published protocol's targets "
        "(RedPajama 1.4B M=640 and 6.9B M=20). Errors are of the posterior-predictive "
        f"median, in percent; `cov` says whether the {int(PROB * 100)}% predictive interval "
        "covers the measured loss; `lpd` is the log predictive density of log loss (higher is "
        "better).",
        "",
        "## Summary per scenario",
        "",
        "| scenario | method | mean abs error % | max abs error % | 90% coverage | mean lpd |",
        "|---|---|---|---|---|---|",
    ]
    for scenario, part in results.groupby("scenario", sort=False):
        for method in ("sep", "hier"):
            err = part[f"{method}_err_pct"].abs()
            lines.append(
                f"| {scenario} | {_labels(scenario)[method]} | "
                f"{err.mean():.2f} | {err.max():.2f} | "
                f"{part[f'{method}_cover90'].mean():.0%} ({int(part[f'{method}_cover90'].sum())}"
                f"/{len(part)}) | {part[f'{method}_lpd'].mean():.2f} |"
            )
    lines += ["", "## Findings (computed from the table above)", ""]
    lines += [f"- {sentence}" for sentence in findings(results)]
    lines += ["", "## Per held-out run", "",
              "In `new:` rows the first fit is the single curve of the other sets and the "
              "second the hierarchical forecast for a new group.", "",
              "| scenario | dataset | runs fitted | N | M | loss | separate: median, err %, cov, "
              "lpd | hierarchical: median, err %, cov, lpd |", "|---|---|---|---|---|---|---|---|"]
    for _, r in results.iterrows():
        star = "*" if r["published"] else ""
        lines.append(
            f"| {r['scenario']} | {r['dataset']} | {r['n_fit']} | {r['N'] / 1e9:.2f}B{star} | "
            f"{r['M']:g} | {r['loss']:.3f} | {r['sep_median']:.3f}, {r['sep_err_pct']:+.2f}, "
            f"{'yes' if r['sep_cover90'] else 'no'}, {r['sep_lpd']:.2f} | "
            f"{r['hier_median']:.3f}, {r['hier_err_pct']:+.2f}, "
            f"{'yes' if r['hier_cover90'] else 'no'}, {r['hier_lpd']:.2f} |"
        )
    diag = results.groupby(["scenario", "dataset"]).first()
    lines += ["", "## Sampler health", "",
              f"Divergent transitions (of {args.chains * args.draws} draws), worst R-hat and "
              "smallest bulk ESS over all parameters (for the hierarchical fit: over groups and "
              "population parameters too; the same hierarchical fit serves all sets of a "
              "scenario).", "",
              "| scenario | dataset | separate: div, R-hat, ESS | hierarchical: div, R-hat, "
              "ESS |", "|---|---|---|---|"]
    for (scenario, dataset), r in diag.iterrows():
        lines.append(
            f"| {scenario} | {dataset} | {r['sep_divergences']}, {r['sep_max_rhat']:.3f}, "
            f"{r['sep_min_ess']:.0f} | {r['hier_divergences']}, {r['hier_max_rhat']:.3f}, "
            f"{r['hier_min_ess']:.0f} |")
    lines += ["", "Published point fit (Gadre et al., RedPajama, protocol): 0.71% (1.4B M=640) "
              "and 0.73% (6.9B M=20) relative error.", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--law", default="chinchilla")
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--target-accept", type=float, default=0.95)
    parser.add_argument("--scenarios", nargs="+",
                        default=["protocol", "small", "sparse", "new"],
                        help="protocol, small, sparse (= sparse:<each set>), sparse:<set>, new "
                             "(= new:<each set>) or new:<set>")
    parser.add_argument("--out", default=str(Path(__file__).parent / "reports"
                                              / "gadre_hierarchical.md"))
    args = parser.parse_args(argv)
    scenarios = []
    for s in args.scenarios:
        scenarios += [f"{s}:{d}" for d in DATASETS] if s in ("sparse", "new") else [s]
    settings = {"draws": args.draws, "tune": args.tune, "chains": args.chains,
                "random_seed": args.seed, "progressbar": False,
                "target_accept": args.target_accept}
    frame = load()
    start = time.perf_counter()
    parts = []
    for scenario in scenarios:
        part = run_scenario(frame, scenario, args.law, settings)
        if scenario.startswith("sparse:"):  # report only the sparse set
            part = part[part["dataset"] == scenario.split(":", 1)[1]]
        parts.append(part)
        print(part[["scenario", "dataset", "N", "M", "sep_err_pct", "hier_err_pct"]]
              .to_string(index=False), flush=True)
    results = pd.concat(parts, ignore_index=True)
    text = report(results, args, time.perf_counter() - start)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    results.to_csv(out.with_suffix(".csv"), index=False)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
