"""Case study: the Chinchilla law on Hoffmann et al.'s digitised runs (Epoch AI replication).

Fits ``chinchilla`` to ``../shared/data/chinchilla-epoch`` (D = C / 6N, the 5 highest losses
dropped as the replication did) and writes a short Markdown report comparing the posterior with
the replication's published point estimates and 95% bootstrap intervals, and giving how
plausible Hoffmann et al.'s own published values are under the posterior.

Run: ``python case_studies/chinchilla_replication.py [--out reports/chinchilla_replication.md]``
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy import stats

import bayeslaws as bl
from bayeslaws.datasets import chinchilla
from bayeslaws.simulate import CHINCHILLA_HOFFMANN

#: Besiroglu et al. 2024, Table 1: estimate and 95% bootstrap interval (4,000 resamples).
REPLICATION = {
    "A": (482.01, 285.2, 743.6),
    "B": (2085.43, 1042.4, 5810.3),
    "E": (1.817, 1.769, 1.871),
    "alpha": (0.348, 0.317, 0.373),
    "beta": (0.366, 0.331, 0.415),
}
PARAMS = ("E", "A", "B", "alpha", "beta")


def fit_replication(random_seed: int = 0, **kwargs) -> bl.Fit:
    """The case study's fit: 240 runs, default priors and likelihood."""
    data = chinchilla(drop_highest=5)
    return bl.fit("chinchilla", data, x={"N": "N", "D": "D"}, y="loss",
                  random_seed=random_seed, **kwargs)


def hoffmann_plausibility(fit: bl.Fit) -> dict[str, float]:
    """How extreme Hoffmann et al.'s values are under the posterior.

    Per parameter: the two-sided posterior tail probability of the published value,
    ``2 min(P(theta <= v), P(theta >= v))``. Jointly: the posterior probability of a
    Mahalanobis distance (in log-parameters, where the posterior is close to Gaussian) at
    least as large as that of the published point -- by the chi-square law with 5 degrees of
    freedom and empirically from the draws.
    """
    draws = fit.draws(PARAMS)
    out = {}
    for name in PARAMS:
        below = float(np.mean(draws[name] <= CHINCHILLA_HOFFMANN[name]))
        out[name] = 2 * min(below, 1 - below)
    logs = np.column_stack([np.log(draws[n]) for n in PARAMS])
    point = np.log([CHINCHILLA_HOFFMANN[n] for n in PARAMS])
    mean, cov = logs.mean(axis=0), np.cov(logs, rowvar=False)
    inv = np.linalg.inv(cov)
    d2_point = float((point - mean) @ inv @ (point - mean))
    d2_draws = np.einsum("ij,jk,ik->i", logs - mean, inv, logs - mean)
    out["joint_chi2"] = float(stats.chi2.sf(d2_point, df=len(PARAMS)))
    out["joint_empirical"] = float(np.mean(d2_draws >= d2_point))
    out["mahalanobis"] = float(np.sqrt(d2_point))
    return out


def report(fit: bl.Fit) -> str:
    table = fit.summary(prob=0.95)
    diag = fit.diagnostics()
    lines = [
        "# Chinchilla replication: Bayesian fit of L(N, D) = E + A/N^alpha + B/D^beta",
        "",
        f"Data: `chinchilla-epoch/svg_extracted_data.csv`, {fit.observations.n} runs after "
        "dropping the 5 highest losses (as Besiroglu et al. 2024 did); D = C / (6N).",
        f"Likelihood: {fit.spec.likelihood.name}; sampler {fit.config['sampler']}, "
        f"{fit.config['chains']} chains x {fit.config['draws']} draws, seed "
        f"{fit.config['random_seed']}. Divergences: {diag.divergences}, max R-hat "
        f"{diag.max_rhat:.3f}, min bulk ESS {diag.min_ess_bulk:.0f}.",
        "",
        "## Posterior against the replication's published fit",
        "",
        "| param | posterior median | posterior 95% interval | replication estimate | "
        "replication 95% bootstrap CI | median inside CI |",
        "|---|---|---|---|---|---|",
    ]
    for name in PARAMS:
        est, lo, hi = REPLICATION[name]
        row = table.loc[name]
        inside = lo <= row["median"] <= hi
        lines.append(
            f"| {name} | {row['median']:.4g} | {row['eti95_lower']:.4g} - "
            f"{row['eti95_upper']:.4g} | {est:.4g} | {lo:.4g} - {hi:.4g} | "
            f"{'yes' if inside else 'NO'} |"
        )
    plaus = hoffmann_plausibility(fit)
    lines += [
        "",
        "## Hoffmann et al.'s published values under this posterior",
        "",
        "Published: " + ", ".join(f"{k} = {v}" for k, v in CHINCHILLA_HOFFMANN.items()) + ".",
        "",
        "| param | two-sided posterior tail probability |",
        "|---|---|",
    ]
    lines += [f"| {name} | {plaus[name]:.2g} |" for name in PARAMS]
    lines += [
        "",
        f"Jointly, the published point lies at Mahalanobis distance {plaus['mahalanobis']:.1f} "
        "from the posterior mean (log parameters); the posterior probability of a point at "
        f"least that far is {plaus['joint_chi2']:.2g} (chi-square, 5 d.o.f.) and "
        f"{plaus['joint_empirical']:.2g} among the {len(fit.draws(['E'])['E'])} draws.",
        "",
        "Forecast for Chinchilla itself (N = 7e10, D = 1.4e12), 90% interval of a new run's "
        "loss:",
        "",
        fit.predict({"N": [7e10], "D": [1.4e12]}, prob=0.9).to_markdown(index=False)
        if _has_tabulate() else str(fit.predict({"N": [7e10], "D": [1.4e12]}, prob=0.9)),
    ]
    return "\n".join(lines) + "\n"


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="reports/chinchilla_replication.md")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    fit = fit_replication(random_seed=args.seed, progressbar=not args.quiet)
    text = report(fit)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    fit.plot(title="Chinchilla runs (Epoch digitisation): fit, 50%/90% bands").savefig(
        out.with_suffix(".png"), dpi=120)
    print(text)
    print(f"report written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
