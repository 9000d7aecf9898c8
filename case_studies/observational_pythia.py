"""Case study: an observational scaling law (Ruan et al. 2024) on Pythia's zero-shot tasks.

LAMBADA (``lambada_openai``) zero-shot accuracy of every Pythia checkpoint from step 1,000 on
(``../shared/data/pythia-evals``) is predicted from two principal components of the same
checkpoint's accuracies on seven other zero-shot tasks (arc_challenge, arc_easy, logiqa, piqa,
sciq, winogrande, wsc; ``bl.principal_components``, standardised). The components and the law
are fitted on the models up to 2.8B parameters (both the standard and the deduplicated runs);
the 6.9B and 12B models' checkpoints are held out: their components come from the fitted
loadings (``Components.transform``) and their LAMBADA accuracy is forecast.

Law: ``observational`` with ``components=2`` (acc = logistic(alpha + beta1 S1 + beta2 S2)),
beta-binomial likelihood on the count correct out of the task's 5,152 questions (recovered from
the reported standard errors as acc (1 - acc) / stderr^2).

Run: ``python case_studies/observational_pythia.py`` (writes
``case_studies/reports/observational_pythia.md``; about a minute).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import bayeslaws as bl
from bayeslaws.datasets import data_dir
from bayeslaws.report import markdown_table

TARGET = "lambada_openai"
#: The other zero-shot tasks with a standard error (MMLU has none and is near chance).
TASKS = ("arc_challenge", "arc_easy", "logiqa", "piqa", "sciq", "winogrande", "wsc")
#: Checkpoints from this step on (earlier ones score 0 on LAMBADA).
MIN_STEP = 1000
#: Largest model size (nominal parameters) in the fit; larger models are held out.
FIT_MAX = 3e9
REPORT = Path(__file__).resolve().parent / "reports" / "observational_pythia.md"


def checkpoints() -> pd.DataFrame:
    """One row per (model, step): the tasks' accuracies, the target's, its trials, size."""
    raw = pd.read_csv(data_dir() / "pythia-evals" / "pythia_v1_benchmarks_long.csv")
    rows = raw[(raw["shots"] == 0) & (raw["metric"] == "acc") & (raw["step"] >= MIN_STEP)]
    wide = rows.pivot_table(index=["model", "step"], columns="task", values="value")
    err = rows.pivot_table(index=["model", "step"], columns="task", values="stderr")
    size = rows.groupby(["model", "step"])["nominal_params"].first()
    acc, se = wide[TARGET], err[TARGET]
    trials = float(np.median(acc * (1 - acc) / se**2).round())
    out = wide[list(TASKS)].assign(acc=acc, trials=trials, params=size)
    return out.reset_index()


def run(random_seed: int = 0, **settings) -> dict:
    table = checkpoints()
    train = table[table["params"] <= FIT_MAX].reset_index(drop=True)
    test = table[table["params"] > FIT_MAX].reset_index(drop=True)
    pcs = bl.principal_components(train, list(TASKS), n=2)
    train = pd.concat([train, pcs.scores], axis=1)
    test = pd.concat([test, pcs.transform(test)], axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bl.SamplerWarning)
        fit = bl.fit("observational", train, x={"S1": "S1", "S2": "S2"}, y="acc",
                     law_options={"components": 2}, likelihood="betabinomial",
                     extra={"trials": "trials"}, random_seed=random_seed, progressbar=False,
                     **settings)
    forecast = fit.predict(test[["S1", "S2"]].assign(trials=test["trials"]), prob=0.9,
                           kind="mean")
    new_run = fit.predict(test[["S1", "S2"]].assign(trials=test["trials"]), prob=0.9,
                          kind="predictive")
    test = test.assign(median=forecast["median"].to_numpy(), lower=forecast["lower"].to_numpy(),
                       upper=forecast["upper"].to_numpy(),
                       pred_lower=new_run["lower"].to_numpy(),
                       pred_upper=new_run["upper"].to_numpy())
    return {"fit": fit, "pcs": pcs, "train": train, "test": test}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPORT)
    args = parser.parse_args(argv)
    out = run()
    fit, pcs, test = out["fit"], out["pcs"], out["test"]
    diag = fit.diagnostics()
    summary = fit.summary(prob=0.9)[["median", "eti90_lower", "eti90_upper"]]
    final = test[test["step"] == test["step"].max()]
    rows = final[["model", "S1", "S2", "acc", "median", "lower", "upper"]].rename(
        columns={"acc": "observed", "median": "forecast median", "lower": "lower 90%",
                 "upper": "upper 90%"})
    inside = (test["lower"] <= test["acc"]) & (test["acc"] <= test["upper"])
    inside_new = (test["pred_lower"] <= test["acc"]) & (test["acc"] <= test["pred_upper"])
    s1_max = float(out["train"]["S1"].max())
    within = test[test["S1"] <= s1_max]
    error = np.abs(test["median"] - test["acc"])
    loadings = pcs.loadings.assign(explained="")
    loadings.loc["explained variance", ["S1", "S2"]] = pcs.explained.to_numpy()
    text = [
        "# Observational scaling law on Pythia: LAMBADA from seven other tasks", "",
        "Command: `python case_studies/observational_pythia.py` (NUTS defaults: 4 x 1000 draws, "
        f"seed 0). Fitted on {len(out['train'])} checkpoints of the models up to 2.8B "
        f"parameters; held out: {len(test)} checkpoints of the 6.9B and 12B models "
        "(standard and deduplicated). Components of the seven tasks' zero-shot accuracies, "
        "standardised, fitted on the training checkpoints only.", "",
        f"Diagnostics: {diag.divergences} divergences, max R-hat {diag.max_rhat:.3f}, "
        f"min bulk ESS {diag.min_ess_bulk:.0f}.", "",
        "## Components (loadings)", "", markdown_table(loadings.drop(columns="explained")
                                                       .fillna(0.0)), "",
        f"Explained variance: S1 {pcs.explained['S1']:.3f}, S2 {pcs.explained['S2']:.3f}.", "",
        "## Posterior (90% intervals)", "", markdown_table(summary), "",
        "## Held-out forecasts (the law's curve, 90% interval)", "",
        f"All {len(test)} held-out checkpoints: the observed accuracy lies inside the 90% "
        f"interval for {int(inside.sum())} ({inside.mean():.0%}); median absolute error "
        f"{np.median(error):.4f}, largest {error.max():.4f} (accuracy units). A new run's "
        "accuracy (``kind=\"predictive\"``, with the beta-binomial overdispersion) lies inside "
        f"its 90% interval for {int(inside_new.sum())} ({inside_new.mean():.0%}). The training "
        f"checkpoints reach S1 = {s1_max:.2f}; the held-out ones lie at S1 = "
        f"{test['S1'].min():.2f}-{test['S1'].max():.2f}. Final checkpoints:", "",
        markdown_table(rows, index=False), "",
        "The interval is of the law's curve (``kind=\"mean\"``): how well the components fix "
        "LAMBADA accuracy, without the questions' sampling noise (sd about 0.007 at 5,152 "
        "questions).", "",
        "## Reading", "",
        "- On these data the observational law forecasts the larger models badly: fitted on "
        "models up to 2.8B it over-predicts their LAMBADA accuracy (by 0.11-0.14 at the final "
        f"checkpoints; median signed error {np.median(test['median'] - test['acc']):+.3f} "
        "over all held-out checkpoints, "
        f"{np.median(within['median'] - within['acc']):+.3f} over the {len(within)} inside "
        "the training range of S1). So at equal components the larger models score lower on "
        "LAMBADA than the smaller ones did, which one law shared across sizes cannot express. "
        "Ruan et al. fit across many model families; this is a single-family check of the "
        "law and the pipeline (linear, negative inputs; PCA of scores), not a replication.",
        "- The beta-binomial precision phi (about 70) says checkpoints scatter about the law by "
        "about 0.06 in accuracy, much more than the questions' sampling noise; the predictive "
        "interval includes it.", "",
    ]
    args.out.write_text("\n".join(text))
    print("\n".join(text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
