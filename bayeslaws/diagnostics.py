"""Sampler health after every fit: divergences, R-hat, effective sample size.

Thresholds follow current practice (Vehtari et al. 2021): R-hat <= 1.01 and bulk/tail ESS >= 400
across all chains. Each problem becomes a :class:`~bayeslaws.exceptions.SamplerWarning` that
says what to do, or a :class:`~bayeslaws.exceptions.SamplerError` with ``strict=True``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from bayeslaws.exceptions import SamplerError, SamplerWarning

RHAT_MAX = 1.01
ESS_MIN = 400


@dataclass
class Diagnostics:
    """Convergence diagnostics of a fit.

    Attributes
    ----------
    divergences : int
        Divergent transitions after tuning, all chains together.
    table : DataFrame
        Per parameter: ``r_hat``, ``ess_bulk``, ``ess_tail``.
    problems : list of str
        One sentence per problem, each saying what to do (empty when healthy).
    """

    divergences: int
    draws: int
    table: pd.DataFrame
    problems: list[str] = field(default_factory=list)

    @property
    def max_rhat(self) -> float:
        return float(self.table["r_hat"].max())

    @property
    def min_ess_bulk(self) -> float:
        return float(self.table["ess_bulk"].min())

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {
            "divergences": self.divergences,
            "max_rhat": self.max_rhat,
            "min_ess_bulk": self.min_ess_bulk,
            "min_ess_tail": float(self.table["ess_tail"].min()),
            "problems": list(self.problems),
        }


def compute(trace: xr.DataTree, names, target_accept: float | None = None,
            adaptation: str | None = None) -> Diagnostics:
    """Diagnostics of the posterior variables ``names`` in ``trace``.

    ``target_accept`` is the one the fit used (``None``: the sampler's 0.8); the advice on
    divergences names a higher one, and nutpie's diagonal adaptation when the fit used the
    low-rank one (``adaptation``).
    """
    names = list(names)
    post = trace["posterior"].to_dataset()[names]
    chains, draws = post.sizes["chain"], post.sizes["draw"]
    rows = {}
    multi = chains > 1
    rhat = az.rhat(post) if multi else None
    bulk = az.ess(post, method="bulk")
    tail = az.ess(post, method="tail")
    for name in names:
        rows[name] = {
            "r_hat": float(np.max(rhat[name])) if multi else np.nan,
            "ess_bulk": float(np.min(bulk[name])),
            "ess_tail": float(np.min(tail[name])),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    divergences = 0
    if "sample_stats" in trace.children and "diverging" in trace["sample_stats"].data_vars:
        divergences = int(trace["sample_stats"]["diverging"].sum())
    diag = Diagnostics(divergences=divergences, draws=chains * draws, table=table)
    diag.problems = _problems(diag, multi, target_accept, adaptation)
    return diag


def _problems(diag: Diagnostics, multi_chain: bool, target_accept: float | None = None,
              adaptation: str | None = None) -> list[str]:
    out = []
    if diag.divergences:
        higher = 0.95 if target_accept is None or target_accept < 0.95 else 0.99
        # on curved ridges the low-rank estimate diverged where the diagonal one did not
        # (benchmarks/adaptation.py)
        diag_too = " and adaptation='diag'" if adaptation == "low_rank" else ""
        out.append(
            f"{diag.divergences} divergent transitions out of {diag.draws} draws: parts of the "
            "posterior were not explored and intervals may be wrong. Check that priors suit the "
            "data (fit.summary()), try likelihood='studentt' if some runs are outliers, or "
            f"refit with target_accept={higher}{diag_too}."
        )
    if multi_chain:
        bad = diag.table.index[diag.table["r_hat"] > RHAT_MAX].tolist()
        if bad:
            worst = diag.table.loc[bad, "r_hat"].max()
            out.append(
                f"R-hat up to {worst:.3f} > {RHAT_MAX} for {bad}: the chains disagree. Refit "
                "with more tuning and draws (tune=2000, draws=2000); if it persists the "
                "posterior may be multimodal -- tighten the priors of those parameters."
            )
    low = diag.table.index[
        (diag.table["ess_bulk"] < ESS_MIN) | (diag.table["ess_tail"] < ESS_MIN)
    ].tolist()
    if low:
        worst = diag.table.loc[low, ["ess_bulk", "ess_tail"]].min().min()
        out.append(
            f"Effective sample size down to {worst:.0f} (< {ESS_MIN}) for {low}: interval "
            "bounds are noisy. Refit with more draws (e.g. draws=2000) or more chains."
        )
    return out


def report(diag: Diagnostics, *, strict: bool, stacklevel: int = 3) -> None:
    """Warn about each problem, or raise them all at once when ``strict``."""
    if not diag.problems:
        return
    if strict:
        raise SamplerError("Sampler problems (strict=True):\n- " + "\n- ".join(diag.problems))
    for problem in diag.problems:
        warnings.warn(problem, SamplerWarning, stacklevel=stacklevel)
