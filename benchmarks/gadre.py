"""Gadre et al. (2024) over-training forecast: 5 small runs -> 1.4B (M=640) and 6.9B (M=20).

Data: ``<data>/gadre-overtraining/gadre_models_losses.csv`` (RedPajama training set, C4
validation loss). Published protocol: fit ``L(N, M) = E + a N^-b + c (M N)^-b`` on 5 small runs
(the four small sizes at M = 20 plus 10.6M at M = 320) and predict the held-out 1.4B run at
M = 640 and the 6.9B run at M = 20; the published point fit misses by 0.71% and 0.73%.

Two scenarios, for the laws ``overtraining`` and ``chinchilla``:

``protocol``
    The 5 runs of the published protocol. ``bayeslaws.fit`` refuses a law with as many
    parameters as runs (overtraining: 4 + noise sd = 5 on 5 runs; chinchilla: 6), so this
    scenario goes through the same steps as ``bayeslaws.fit`` with the row-count check waived
    (:func:`fit_protocol`): the law's default priors carry what 5 runs cannot pin down.
``small``
    Every RedPajama run up to 411.6M parameters, scored on the same two targets with
    :func:`bayeslaws.backtest` (explicit holdout mask), which adds the stacked average.

Reported per law and target: posterior-predictive median, its relative error, and whether the
90% interval covers the measured loss.

``--priors`` chooses the priors of every fit: ``default``, ``informed`` (learned from every
study, Gadre's included) or ``informed-without-gadre`` (learned without Gadre's data, the
honest choice for scoring on Gadre's runs; ``bayeslaws.InformedPriors(without="gadre")``).

Usage::

    python benchmarks/gadre.py [--draws 1000 --tune 1000 --chains 4] [--quick]
    python benchmarks/gadre.py --priors informed-without-gadre \
        --out benchmarks/results/gadre_informed
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
from bayeslaws.datasets import data_dir  # noqa: E402
from benchmarks.tables import markdown  # noqa: E402

Y = "loss_c4_val"
X = {"N": "N_params", "D": "D_tokens"}
DATASET = "rpj"
SMALL_SIZES = (10569312, 78914048, 153677376, 411616256)
#: (label, N, M) of the two published targets; the published relative errors of the point fit.
TARGETS = (("1.4B M=640", 1.4e9, 640.0), ("6.9B M=20", 6.9e9, 20.0))
PUBLISHED = {"1.4B M=640": 0.0071, "6.9B M=20": 0.0073}
LAWS = ("overtraining", "chinchilla")
#: ``--priors`` choices: the ``priors=`` argument of every fit.
PRIORS = {"default": None, "informed": "informed",
          "informed-without-gadre": bl.InformedPriors(without="gadre"),
          "informed-without-gadre-no-floor": bl.InformedPriors(without="gadre",
                                                               use=("exponent", "noise"))}


def load() -> pd.DataFrame:
    """RedPajama runs: name, N, D, M, C4 validation loss."""
    frame = pd.read_csv(data_dir() / "gadre-overtraining" / "gadre_models_losses.csv")
    frame = frame[frame["dataset"] == DATASET]
    return frame[["name", "N_params", "D_tokens", "token_multiplier_M", Y]].reset_index(drop=True)


def target_mask(frame: pd.DataFrame) -> np.ndarray:
    """The two held-out runs of the published protocol (nearest N, exact M)."""
    mask = np.zeros(len(frame), dtype=bool)
    for _, n, m in TARGETS:
        rows = frame[np.isclose(frame["token_multiplier_M"], m)
                     & (np.abs(np.log(frame["N_params"] / n)) < 0.1)]
        if len(rows) != 1:
            raise RuntimeError(f"expected one run at N~{n:g}, M={m:g}; found {len(rows)}")
        mask[rows.index[0]] = True
    return mask


def protocol_mask(frame: pd.DataFrame) -> np.ndarray:
    """The 5 fitting runs of the published protocol."""
    m = frame["token_multiplier_M"]
    m20 = frame["N_params"].isin(SMALL_SIZES) & np.isclose(m, 20)
    m320 = (frame["N_params"] == SMALL_SIZES[0]) & np.isclose(m, 320)
    return (m20 | m320).to_numpy()


def fit_protocol(law: str, runs: pd.DataFrame, seed: int, **sampling_kwargs) -> bl.Fit:
    """``bayeslaws.fit`` on the protocol's 5 runs (as many as the law's parameters, so the
    priors carry part of the answer: ``allow_few_runs=True``, its warning silenced here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bl.FewRunsWarning)
        return bl.fit(law, runs, x=X, y=Y, random_seed=seed, progressbar=False,
                      allow_few_runs=True, **sampling_kwargs)


def target_label(run: pd.Series) -> str:
    """The label of the published target that a held-out run is (nearest N, exact M)."""
    for label, n, m in TARGETS:
        if np.isclose(run["token_multiplier_M"], m) and abs(np.log(run["N_params"] / n)) < 0.1:
            return label
    raise RuntimeError(f"run {run.to_dict()} is none of the targets {TARGETS}")


def score_targets(model, targets: pd.DataFrame, law: str, scenario: str) -> list[dict]:
    """Median, relative error and 90% coverage at each target run."""
    at = {"N": targets["N_params"].to_numpy(), "D": targets["D_tokens"].to_numpy()}
    table = model.predict(at, prob=0.9)
    rows = []
    for (_, run), (_, pred) in zip(targets.iterrows(), table.iterrows(), strict=True):
        truth = float(run[Y])
        label = target_label(run)
        rows.append({
            "scenario": scenario, "law": law, "target": label, "loss": truth,
            "median": pred["median"], "lower_90": pred["lower"], "upper_90": pred["upper"],
            "rel_error": abs(pred["median"] - truth) / truth,
            "covered_90": bool(pred["lower"] <= truth <= pred["upper"]),
            "published_rel_error": PUBLISHED[label],
        })
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--target-accept", type=float, default=0.95,
                        help="NUTS target acceptance (5 runs give a narrow, curved posterior)")
    parser.add_argument("--quick", action="store_true",
                        help="chains=2 draws=200 tune=300, protocol scenario only (smoke run)")
    parser.add_argument("--priors", default="default", choices=list(PRIORS))
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "gadre"))
    args = parser.parse_args(argv)
    if args.quick:
        args.chains, args.draws, args.tune = 2, 200, 300
    settings = {"chains": args.chains, "draws": args.draws, "tune": args.tune,
                "target_accept": args.target_accept}
    if PRIORS[args.priors] is not None:
        settings["priors"] = PRIORS[args.priors]
    frame = load()
    targets_mask = target_mask(frame)
    targets = frame.loc[targets_mask].reset_index(drop=True)
    rows, notes = [], []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        protocol = frame.loc[protocol_mask(frame)].reset_index(drop=True)
        for k, law in enumerate(LAWS):
            fit = fit_protocol(law, protocol, args.seed + k, **settings)
            rows += score_targets(fit, targets, law, "protocol (5 runs)")
        if not args.quick:
            small = frame[frame["N_params"].isin(SMALL_SIZES)]
            data = pd.concat([small, targets], ignore_index=True)
            mask = np.r_[np.zeros(len(small), bool), np.ones(len(targets), bool)]
            table = bl.backtest(list(LAWS), data, x=X, y=Y, holdout=mask,
                                random_seed=args.seed, discrepancy=False, **settings)
            fits = table.attrs["fits"]
            for law in LAWS:
                rows += score_targets(fits[law], targets, law, f"small ({len(small)} runs)")
            mixture = bl.average(fits, weights=table.loc[list(LAWS), "weight"].to_dict())
            rows += score_targets(mixture, targets, "stacked", f"small ({len(small)} runs)")
            notes.append("Backtest table (small scenario, both targets):\n\n"
                          + markdown(table.drop(columns=["error"]), index=True, digits=4))
    notes += sorted({f"- {w.category.__name__}: {str(w.message)[:200]}" for w in caught})
    result = pd.DataFrame(rows)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    result.to_csv(out / "gadre.csv", index=False)
    command = "python benchmarks/gadre.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = ["# Gadre over-training forecast (RedPajama, C4 val loss)", "",
            f"Command: `{command}`; sampling per fit {settings}.", "",
            markdown(result, digits=4), "", *notes, ""]
    (out / "results.md").write_text("\n".join(text))
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(result.to_string(float_format=lambda v: f"{v:.4g}"))
    print(f"report: {out / 'results.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
