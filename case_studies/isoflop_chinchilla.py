"""Case study: IsoFLOP analysis (Hoffmann et al.'s approach 2) on Chinchilla's digitised runs.

``bl.isoflop`` on ``../shared/data/chinchilla-epoch`` (all 245 points; D = C / 6N): the runs are
grouped at the nine IsoFLOP budgets of Hoffmann et al.'s Figure 3 (6e18 ... 3e21 FLOPs; the
digitised C values scatter around them, so each run goes to the nearest budget within
``TOLERANCE`` decades and the rest are left out), and one joint Bayesian model fits a parabola
per budget with its optimum on a line ``log N_opt = a log C + const``. The exponent ``a`` is
compared with

- the paper's approach-2 value, a = 0.49 (their Table 2, 0.49 with interval 0.462-0.534), and
- approach 3 on the same runs: ``bl.compute_optimal`` on a ``chinchilla`` fit (240 runs, the 5
  highest losses dropped as Besiroglu et al. did), a = beta / (alpha + beta), ~0.51.

A second IsoFLOP fit with a wider tolerance checks how much the budget assignment matters.
Two more replace the parabolas by the Chinchilla law's own IsoFLOP profile (``profile="law"``:
the loss along ``C = 6 N D`` in log N, each budget's optimum following from the law's
parameters, a = beta / (alpha + beta)), without and with a per-budget scatter of the optima.

Run: ``python case_studies/isoflop_chinchilla.py`` (writes
``case_studies/reports/isoflop_chinchilla.md``, ``isoflop_chinchilla.png`` and
``isoflop_chinchilla_law.png``; about 10 minutes on 2 cores).
``--quick`` uses small sampling (smoke test).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import bayeslaws as bl  # noqa: E402
from bayeslaws.datasets import chinchilla  # noqa: E402
from bayeslaws.report import markdown_table  # noqa: E402

#: The nine IsoFLOP budgets of Hoffmann et al. 2022, Figure 3 (FLOPs).
BUDGETS = (6e18, 1e19, 3e19, 6e19, 1e20, 3e20, 6e20, 1e21, 3e21)
#: Decades of C within which a digitised run is assigned to a budget (main fit, wider check).
TOLERANCE, WIDE_TOLERANCE = 0.15, 0.25
#: Hoffmann et al. 2022, Table 2: approach 2 (IsoFLOP profiles), a = 0.49 (0.462, 0.534) and
#: b = 0.51 (0.483, 0.529), as (lower, estimate, upper).
PAPER_APPROACH_2 = (0.462, 0.49, 0.534)
PAPER_APPROACH_2_B = (0.483, 0.51, 0.529)
REPORT = Path(__file__).resolve().parent / "reports" / "isoflop_chinchilla.md"
FULL = {"draws": 1000, "tune": 1000, "chains": 4}
QUICK = {"draws": 200, "tune": 200, "chains": 2}


def run_isoflop(tolerance: float = TOLERANCE, random_seed: int = 0, **settings):
    data = chinchilla(drop_highest=0)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="isoflop: .* left out")
        return bl.isoflop(data, N="N", C="C", loss="loss", budgets=list(BUDGETS),
                          tolerance=tolerance, random_seed=random_seed, **settings)


def law_profile_settings(settings: dict) -> dict:
    """The law profile's sampling: as the parabola's, with target_accept 0.95 (its posterior
    of alpha, beta, A, B is narrow and curved)."""
    return {**settings, "target_accept": 0.95}


def approach_3(data: pd.DataFrame | None = None, random_seed: int = 0, **settings):
    """``compute_optimal``'s exponents of a ``chinchilla`` fit to ``data`` (default: the 240
    runs of the replication; columns ``N``, ``D``, ``loss``)."""
    data = chinchilla() if data is None else data
    fit = bl.fit("chinchilla", data, x={"N": "N", "D": "D"}, y="loss",
                 random_seed=random_seed, progressbar=False, **settings)
    return bl.compute_optimal(fit, C=list(BUDGETS), prob=0.9).exponents


def two_stage(result) -> float:
    """The classical point estimate on the same runs: a least-squares parabola in log N per
    budget (``np.polyfit``), then a least-squares line through the vertices in logs."""
    vertices = []
    for c in result.budgets["C"]:
        rows = result.runs[result.runs["budget"] == c]
        k2, k1, _ = np.polyfit(np.log(rows["N"]), rows["loss"], 2)
        vertices.append(-k1 / (2 * k2))
    return float(np.polyfit(np.log(result.budgets["C"]), vertices, 1)[0])


def _where(value, row) -> str:
    return "inside" if row["eti90_lower"] <= value <= row["eti90_upper"] else "outside"


def _approach_3_row(exponents: pd.DataFrame, used: int, left_out: int) -> dict:
    """A table row of ``compute_optimal``'s exponents (``lower``, ``median``, ``upper``)."""
    cells = {name: _cell(*exponents.loc[key, ["lower", "median", "upper"]])
             for key, name in (("a", "a (N_opt ~ C^a)"), ("b", "b = 1 - a"))}
    return {**cells, "runs used": used, "runs left out": left_out, "max R-hat": "",
            "divergences": ""}


def _cell(lo, mid, hi):
    return f"{mid:.3f} [{lo:.3f}, {hi:.3f}]"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sampling (smoke test)")
    parser.add_argument("--out", type=Path, default=REPORT)
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    main_fit = run_isoflop(TOLERANCE, **settings)
    wide = run_isoflop(WIDE_TOLERANCE, **settings)
    law_settings = law_profile_settings(settings)
    law_fit = run_isoflop(TOLERANCE, profile="law", **law_settings)
    law_scatter = run_isoflop(TOLERANCE, profile="law", scatter=True, **law_settings)
    a3 = approach_3(**settings)
    same_runs = law_fit.runs.assign(D=law_fit.runs["C"] / (6.0 * law_fit.runs["N"]))
    a3_same = approach_3(same_runs, **settings)
    rows = {}
    for label, result in ((f"IsoFLOP parabolas, tolerance {TOLERANCE} dex", main_fit),
                          (f"IsoFLOP parabolas, tolerance {WIDE_TOLERANCE} dex", wide),
                          (f"IsoFLOP law profile, tolerance {TOLERANCE} dex", law_fit),
                          (f"IsoFLOP law profile + scatter tau, tolerance {TOLERANCE} dex",
                           law_scatter)):
        s = result.summary(prob=0.9)
        rows[label] = {"a (N_opt ~ C^a)": _cell(*s.loc["a"]),
                       "b = 1 - a": _cell(*s.loc["b"]),
                       "runs used": len(result.runs), "runs left out": len(result.excluded),
                       "max R-hat": f"{result.diagnostics.max_rhat:.3f}",
                       "divergences": result.diagnostics.divergences}
    rows[f"two-stage point fit (np.polyfit), tolerance {TOLERANCE} dex"] = {
        "a (N_opt ~ C^a)": f"{two_stage(main_fit):.3f}",
        "b = 1 - a": f"{1 - two_stage(main_fit):.3f}", "runs used": len(main_fit.runs),
        "runs left out": len(main_fit.excluded), "max R-hat": "", "divergences": ""}
    rows["approach 3: compute_optimal on chinchilla fit (240 runs)"] = _approach_3_row(
        a3, used=240, left_out=5)
    rows[f"approach 3 on the law profile's {len(same_runs)} runs"] = _approach_3_row(
        a3_same, used=len(same_runs), left_out=len(law_fit.excluded))
    lo, mid, hi = PAPER_APPROACH_2
    rows["Hoffmann et al. Table 2, approach 2 (published)"] = {
        "a (N_opt ~ C^a)": _cell(lo, mid, hi), "b = 1 - a": _cell(*PAPER_APPROACH_2_B),
        "runs used": "", "runs left out": "", "max R-hat": "", "divergences": ""}
    table = pd.DataFrame.from_dict(rows, orient="index")
    budgets = main_fit.summary(prob=0.9)
    per_budget = budgets[budgets.index.str.startswith("N_opt[")].copy()
    per_budget.insert(0, "runs", main_fit.budgets["runs"].to_numpy())
    line = main_fit.n_opt([5.88e23], prob=0.9)
    fig = main_fit.plot()
    png = args.out.with_suffix(".png")
    fig.savefig(png, dpi=110)
    law_png = args.out.with_name(args.out.stem + "_law.png")
    law_fit.plot().savefig(law_png, dpi=110)
    a_main = main_fit.summary(prob=0.9).loc["a"]
    law_table = law_fit.summary(prob=0.9)
    a_law = law_table.loc["a"]
    scatter_table = law_scatter.summary(prob=0.9)
    text = [
        "# IsoFLOP analysis of Chinchilla's digitised runs (approach 2, one Bayesian model)", "",
        f"Command: `python case_studies/isoflop_chinchilla.py{' --quick' if args.quick else ''}`"
        f" (NUTS {settings['chains']} x {settings['draws']} draws, tune {settings['tune']}, "
        "seed 0; the law profiles with target_accept 0.95). Data: `chinchilla-epoch` (245 "
        "points digitised by Besiroglu et al. 2024 from "
        "Hoffmann et al. 2022); runs assigned to the nearest of the nine IsoFLOP budgets "
        f"{', '.join(f'{c:.0e}' for c in BUDGETS)} FLOPs within the tolerance (decades of C). "
        "Intervals are 90% equal-tailed posterior intervals, except the published one, which "
        "is Hoffmann et al.'s own bootstrap interval (their Table 2).", "",
        markdown_table(table), "",
        "## Reading", "",
        f"- The joint IsoFLOP posterior gives a = {a_main['median']:.3f} "
        f"[{a_main['eti90_lower']:.3f}, {a_main['eti90_upper']:.3f}]. The paper's approach-2 "
        f"value {mid} lies {_where(mid, a_main)} this interval, approach 3's "
        f"{a3.loc['a', 'median']:.3f} (compute_optimal on the chinchilla fit) "
        f"{_where(a3.loc['a', 'median'], a_main)} it.",
        "- Unlike the two-stage point fit (a parabola per budget, then a line through the "
        "vertices), each budget's optimum is latent: budgets with few runs or flat profiles "
        "have wide optima and weigh less on a, and the scatter of the optima about the line "
        "(tau) widens the interval of a instead of being ignored.",
        "- The budget assignment of digitised points matters little: the wider tolerance "
        "keeps more runs and moves a by "
        f"{abs(wide.summary().loc['a', 'median'] - a_main['median']):.3f}.",
        f"- The Chinchilla law's own profile (`profile=\"law\"`, the same {len(law_fit.runs)} "
        "runs, each at its own C, grouped by budget) gives a = "
        f"{a_law['median']:.3f} [{a_law['eti90_lower']:.3f}, {a_law['eti90_upper']:.3f}]; the "
        f"paper's approach-2 value {mid} lies {_where(mid, a_law)} it, approach 3's "
        f"{a3.loc['a', 'median']:.3f} {_where(a3.loc['a', 'median'], a_law)} it. Its exponents "
        f"alpha = {law_table.loc['alpha', 'median']:.3f}, beta = "
        f"{law_table.loc['beta', 'median']:.3f} and floor E = {law_table.loc['E', 'median']:.3f}"
        " compare with the approach-3 refit (Besiroglu et al.: alpha 0.348, beta 0.366, E "
        f"1.817). Approach 3 on the same {len(same_runs)} runs gives a = "
        f"{a3_same.loc['a', 'median']:.3f}: the law profile is the law fitted to those runs "
        "(Normal-scale instead of log-scale noise), and it differs from approach 3's "
        f"{a3.loc['a', 'median']:.3f} on 240 runs by the runs more than {TOLERANCE} decades "
        "from any budget, which it leaves out. (Before session 13 the law profile put each run "
        "at its budget's nominal C, which moved a to 0.544 and made the scatter model below "
        "bimodal.)",
        f"- Letting each budget's optimum scatter off the law's line (`scatter=True`) moves a "
        f"to {scatter_table.loc['a', 'median']:.3f} [{scatter_table.loc['a', 'eti90_lower']:.3f}"
        f", {scatter_table.loc['a', 'eti90_upper']:.3f}] with tau = "
        f"{scatter_table.loc['tau', 'median']:.2f} (max R-hat "
        f"{law_scatter.diagnostics.max_rhat:.3f}): "
        + ("the optima sit on the law's line, so the scatter adds nothing. "
           if scatter_table.loc['tau', 'median'] < 0.05 else
           "the optima leave the law's line by that much in log N. ")
        + ("The chains agree." if law_scatter.diagnostics.max_rhat <= 1.01 else
           "R-hat above 1.01: the chains have not mixed (tau's posterior sits near 0), so "
           "the law profile is used without scatter by default."),
        f"- On the fitted line, N_opt at Chinchilla's 5.88e23 FLOPs is "
        f"{line['N_opt'][0]:.3g} [{line['N_lower90'][0]:.3g}, {line['N_upper90'][0]:.3g}] "
        "parameters (Chinchilla has 7e10), an extrapolation of more than two decades beyond "
        "the largest budget.", "",
        "## Optimal size per budget (tolerance "
        f"{TOLERANCE} dex)", "", markdown_table(per_budget), "",
        f"![profiles and optimum line]({png.name})", "",
        f"![law profiles and optimum line]({law_png.name})", "",
    ]
    args.out.write_text("\n".join(text))
    print("\n".join(text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
