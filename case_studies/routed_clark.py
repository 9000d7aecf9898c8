"""Case study: routed (mixture-of-experts) laws on a SIMULATED Clark et al.-style sweep.

THE DATA ARE SIMULATED. No routed-expert sweep is in ../shared/data, and Clark et al. 2022
("Unified Scaling Laws for Routed Language Models", arXiv:2202.01169) publish no run table.
Their fitted coefficients (a, b, c, d per routing technique, S-BASE / RL-R / Hash, and
E_start, E_max of the saturating form) are in tables of the paper whose text could not be
retrieved from the stored copies searched (see ``models/routed_saturating.py`` for what was
searched). The coefficients below are therefore ILLUSTRATIVE: of the magnitude of Clark et
al.'s S-BASE bilinear fit as recalled from memory (base-10 logs a10 = -0.082, b10 = -0.108,
c10 = 0.009, d10 = 1.104), which puts the size where routing stops helping,
N_cutoff = 10^(-b10/c10), at 1e12 parameters (a stored secondary text quotes Clark et al.'s
"vanishing point" at about 9e11). E_start = 1.8, E_max = 200 are illustrative too. None of
these numbers may be cited as the paper's.

The sweep: 6 dense sizes N = 1e7 ... 1.3e9 x expert counts E = 1, 2, ..., 512 (one run each,
as in ``benchmarks/prior_ranges_routed.py``), loss = law x exp(0.5% Normal noise). The runs
with E <= 128 are fitted; the E = 256 and 512 runs are held out for the forecast at larger
expert counts. Three fits (NUTS, ``likelihood="lognormal"``, the noise's true form):

A. ``routed`` on data simulated from ``routed`` (bilinear truth): recovery of a, b, c, d.
B. ``routed_saturating`` on data simulated from ``routed_saturating``: recovery of all six.
C. ``routed`` on the saturating data: how the bilinear law forecasts past the saturation.

Run: ``python case_studies/routed_clark.py`` (writes ``case_studies/reports/routed_clark.md``;
several minutes on 2 cores). ``--quick`` uses small sampling (smoke test).
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import bayeslaws as bl
from bayeslaws.report import markdown_table

LN10 = math.log(10.0)
#: Illustrative base-10 bilinear coefficients (see the module docstring: NOT the paper's).
BASE10 = {"a": -0.082, "b": -0.108, "c": 0.009, "d": 1.104}
#: The same in the natural logs of the ``routed`` law: c = c10 / ln 10, d = d10 ln 10.
BILINEAR = {"a": BASE10["a"], "b": BASE10["b"], "c": BASE10["c"] / LN10,
            "d": BASE10["d"] * LN10}
#: Saturating truth: the bilinear coefficients in E-hat, with illustrative E_start, E_max.
SATURATING = {**BILINEAR, "E_start": 1.8, "E_max": 200.0}
SIZES = np.geomspace(1e7, 1.3e9, 6)
EXPERTS = 2.0 ** np.arange(10)
#: Expert counts fitted (<=) and held out (>) for the forecast.
FIT_MAX_E = 128
NOISE = 0.005
X = {"N": "N", "E": "E"}
REPORT = Path(__file__).resolve().parent / "reports" / "routed_clark.md"
FULL = {"draws": 1000, "tune": 1000, "chains": 4, "target_accept": 0.9}
QUICK = {"draws": 150, "tune": 150, "chains": 2}


def simulate(law: str, truth: dict, seed: int) -> pd.DataFrame:
    """One SIMULATED run per (N, E): ``loss = law(N, E) exp(NOISE z)``, z standard Normal;
    the noise-free curve is kept in ``truth``."""
    n, e = (g.ravel() for g in np.meshgrid(SIZES, EXPERTS))
    mean = bl.get_law(law).mean(truth, {"N": n, "E": e})
    noise = np.exp(NOISE * np.random.default_rng(seed).standard_normal(n.size))
    return pd.DataFrame({"N": n, "E": e, "loss": mean * noise, "truth": mean})


def fit(law: str, data: pd.DataFrame, seed: int, settings: dict):
    train = data[data["E"] <= FIT_MAX_E]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=bl.ExtrapolationWarning)
        return bl.fit(law, train, x=X, y="loss", likelihood="lognormal", random_seed=seed,
                      progressbar=False, **settings)


def recovery(result, truth: dict) -> pd.DataFrame:
    """Truth against the posterior median and 90% interval, per parameter."""
    table = result.summary(prob=0.9)
    rows = {}
    for name, value in truth.items():
        lo, mid, hi = table.loc[name, ["eti90_lower", "median", "eti90_upper"]]
        rows[name] = {"truth": value, "median": mid, "lower": lo, "upper": hi,
                      "covered": bool(lo <= value <= hi)}
    return pd.DataFrame.from_dict(rows, orient="index")


def base10(table: pd.DataFrame) -> pd.DataFrame:
    """``c`` and ``d`` of a recovery table in the paper's base-10 logs."""
    out = table.loc[["c", "d"]].copy()
    scale = {"c": LN10, "d": 1.0 / LN10}
    for col in ("truth", "median", "lower", "upper"):
        out[col] = [out.loc[k, col] * scale[k] for k in out.index]
    out.index = ["c10 = c ln 10", "d10 = d / ln 10"]
    return out


def forecast(result, data: pd.DataFrame, label: str) -> pd.DataFrame:
    """The held-out (E > FIT_MAX_E) runs: forecast of a new run's loss and of the curve."""
    held = data[data["E"] > FIT_MAX_E].reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=bl.ExtrapolationWarning)
        new_run = result.predict(held[["N", "E"]], prob=0.9, kind="predictive")
        curve = result.predict(held[["N", "E"]], prob=0.9, kind="mean")
    return pd.DataFrame({
        "fit": label, "N": held["N"], "E": held["E"], "observed": held["loss"],
        "true curve": held["truth"], "median": new_run["median"], "lower": new_run["lower"],
        "upper": new_run["upper"],
        "error %": 100 * (new_run["median"] / held["loss"] - 1),
        "run covered": (new_run["lower"] <= held["loss"]) & (held["loss"] <= new_run["upper"]),
        "curve covered": (curve["lower"] <= held["truth"]) & (held["truth"] <= curve["upper"]),
    })


def _signed(fc: pd.DataFrame, which: str) -> str:
    rows = fc[fc["fit"].str.startswith(which)]
    return f"{rows['error %'].mean():+.2f}%"


def _fmt(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    for col in ("truth", "median", "lower", "upper"):
        if col in out:
            out[col] = out[col].map(lambda v: f"{v:.4g}")
    if "covered" in out:
        out["covered"] = out["covered"].map({True: "yes", False: "no"})
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sampling (smoke test)")
    parser.add_argument("--out", type=Path, default=REPORT)
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    bilinear_data = simulate("routed", BILINEAR, seed=1)
    saturating_data = simulate("routed_saturating", SATURATING, seed=2)
    fits = {"A": fit("routed", bilinear_data, 1, settings),
            "B": fit("routed_saturating", saturating_data, 2, settings),
            "C": fit("routed", saturating_data, 3, settings)}
    rec_a, rec_b = recovery(fits["A"], BILINEAR), recovery(fits["B"], SATURATING)
    health = pd.DataFrame({
        k: {"law": f.law.name, "runs fitted": int(f.observations.n),
            "max R-hat": f"{f.diagnostics().max_rhat:.3f}",
            "divergences": f.diagnostics().divergences}
        for k, f in fits.items()}).T
    fc = pd.concat([forecast(fits["A"], bilinear_data, "A: routed on bilinear truth"),
                    forecast(fits["B"], saturating_data, "B: routed_saturating on saturating"),
                    forecast(fits["C"], saturating_data, "C: routed on saturating truth")],
                   ignore_index=True)
    per_fit = fc.groupby("fit").agg(
        runs=("E", "size"), mean_abs_error_pct=("error %", lambda v: float(np.mean(np.abs(v)))),
        runs_covered=("run covered", "sum"), curves_covered=("curve covered", "sum"))
    fc_show = fc.copy()
    for col in ("observed", "true curve", "median", "lower", "upper"):
        fc_show[col] = fc_show[col].map(lambda v: f"{v:.4f}")
    fc_show["N"] = fc_show["N"].map(lambda v: f"{v:.3g}")
    fc_show["E"] = fc_show["E"].astype(int)
    fc_show["error %"] = fc_show["error %"].map(lambda v: f"{v:+.2f}")
    cover = lambda t: f"{int(t['covered'].sum())}/{len(t)}"  # noqa: E731
    text = [
        "# Routed (mixture-of-experts) laws on a SIMULATED sweep (Clark et al. 2022 form)", "",
        "**The data are simulated**, from ILLUSTRATIVE coefficients of the magnitude of Clark "
        "et al.'s S-BASE fit (as recalled, not read from the paper: its tables could not be "
        "retrieved from stored text; see the script's docstring). They show what the package "
        "recovers and forecasts on a sweep of this design, not what Clark et al. found.", "",
        f"Command: `python case_studies/routed_clark.py{' --quick' if args.quick else ''}` "
        f"(NUTS {settings['chains']} x {settings['draws']} draws, tune {settings['tune']}; "
        f"`likelihood=\"lognormal\"`). Sweep: {len(SIZES)} dense sizes "
        f"{SIZES[0]:.0e}-{SIZES[-1]:.1e} x E = 1, 2, ..., 512, one run each, {NOISE:.1%} "
        f"multiplicative noise; fitted on E <= {FIT_MAX_E} ({int(fits['A'].observations.n)} "
        "runs), E = 256 and 512 held out. Intervals: 90% equal-tailed.", "",
        markdown_table(health), "",
        "## A. `routed` recovers the bilinear coefficients (natural logs)", "",
        f"True values inside the 90% interval: {cover(rec_a)}.", "",
        markdown_table(_fmt(rec_a)), "", "In the paper's base-10 logs:", "",
        markdown_table(_fmt(base10(rec_a))), "",
        "## B. `routed_saturating` recovers the saturating law", "",
        f"True values inside the 90% interval: {cover(rec_b)}.", "",
        markdown_table(_fmt(rec_b)), "",
        "## Forecast of the held-out larger expert counts (E = 256, 512)", "",
        "Per fit: mean absolute error of the forecast median against the held-out simulated "
        "runs, how many of those runs the 90% predictive interval covers, and how many true "
        "(noise-free) curve values the 90% interval of the curve covers.", "",
        markdown_table(per_fit), "", markdown_table(fc_show, index=False), "",
        "## Reading", "",
        "- A: the bilinear law's four coefficients come back from 48 runs with a noise of "
        f"{NOISE:.1%}; c, the interaction that makes routing help small models more, is "
        "resolved away from zero.",
        "- B: E_start is pinned by the dense (E = 1) runs and the small-E curvature; E_max, the "
        "saturation, lies beyond the fitted expert counts (200 against E <= 128), so its "
        f"interval is wide ({rec_b.loc['E_max', 'lower']:.0f}-{rec_b.loc['E_max', 'upper']:.0f})"
        " and the forecast at E = 512 carries that uncertainty.",
        "- C: fitted to saturating data, the bilinear law keeps the straight line in log E and "
        "forecasts the larger expert counts too low (more gain from experts than the simulated "
        f"truth gives): mean forecast error {_signed(fc, 'C')} against B's {_signed(fc, 'B')}, "
        "and its curve interval misses the true curve at most held-out points.", "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(text))
    print("\n".join(text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
