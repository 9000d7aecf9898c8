"""Chains stuck in a worse mode: weigh the chains by stacking and drop those it gives no weight.

A law with a break or a floor can have a second, worse explanation of the data (on the
revisiting curves: a break placed beyond the last run, a near-Cauchy noise that treats the
smallest run as an outlier). A NUTS chain that settles there during warm-up stays there: longer
tuning, another seed and optimised starts did not unstick it (``benchmarks/README.md``). Its
draws then make up a quarter of the posterior although the data give that mode almost no
weight, and R-hat, correctly, says the chains disagree.

Stacking the chains (Yao, Vehtari and Gelman 2022, "Stacking for non-mixing Bayesian
computations: the curse and blessing of multimodal posteriors", JMLR 23(79)) weighs each chain
by how well its draws predict left-out runs: the weights maximise the PSIS-LOO log score of the
mixture of chains (``arviz_stats.compare(method="stacking")`` on one PSIS-LOO per chain). A
chain that is stuck (:func:`bayeslaws.diagnostics.stuck_chains`) *and* whose stacking weight is
below ``diagnostics.STACKING_WEIGHT_MAX`` (0.01) adds nothing to the predictive distribution;
:func:`drop_stuck` removes it from every group of the trace, and the fit records the chains it
dropped, every chain's weight and mean log density (``fit.settings.chain_drop``); the warning
names them. Chains that are not stuck are kept whatever their weight: chains in one mode split
the weight arbitrarily among themselves. A stuck chain with real weight (a second mode the data
support) is kept and reported.

Not the default (see :data:`DEFAULT_POLICY`): the dropped chains' mode, worse on the fitted runs,
carried part of the uncertainty of the extrapolation (bnsl1), though dropping it made bnsl2's
forecasts more accurate.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import arviz as az
import numpy as np
import xarray as xr
from arviz_stats import compare

from bayeslaws.diagnostics import STACKING_WEIGHT_MAX, chain_log_density, stuck_chains
from bayeslaws.exceptions import OptionError, choices

#: What a fit does with a chain stuck in a worse mode: ``"drop"`` it when stacking gives it
#: (almost) no weight, or ``"keep"`` every chain.
POLICIES = ("drop", "keep")
#: Measured (``benchmarks/chain_stacking.py``, revisiting IC/LM fits of the reliability benchmark
#: with a dropped chain, the same draws with and without it, scored on the held-out larger runs):
#: decided on bnsl1 (17 fits), dropping narrowed the forecasts too much (90% coverage 0.81 ->
#: 0.69, mean log predictive density 2.28 -> 2.04, RMSLE 0.0223 -> 0.0226); on bnsl2, not looked
#: at while deciding (14 fits), it helped (RMSLE 0.0237 -> 0.0211, log density 2.31 -> 2.42, 90%
#: coverage 0.81 -> 0.79). Not confirmed either way; over all 31 fits dropping is slightly more
#: accurate (RMSLE 0.0229 -> 0.0219) and less calibrated (log density 2.29 -> 2.21, 90% coverage
#: 0.81 -> 0.73). The stuck chain's mode fits the runs worse but extrapolates differently, and
#: stacking by leave-one-out scores interpolation, not extrapolation. Calibration first: every
#: chain is kept by default.
DEFAULT_POLICY = "keep"
#: Chains a fit keeps at least (R-hat needs two to compare).
MIN_KEPT = 2


@dataclass
class ChainDrop:
    """What :func:`drop_stuck` did: the chains it dropped and every chain's stacking weight."""

    dropped: list[int] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    log_density: list[float] = field(default_factory=list)


def check_policy(policy: str) -> None:
    """Refuse an unknown stuck-chain policy, naming the valid ones."""
    if policy not in POLICIES:
        raise OptionError(f"Unknown stuck_chains policy {policy!r}; choose {choices(POLICIES)}.")


def stacking_weights(trace: xr.DataTree) -> np.ndarray:
    """Stacking weight of each chain of ``trace`` (one PSIS-LOO per chain), summing to 1."""
    ll = trace["log_likelihood"].to_dataset()
    post = trace["posterior"].to_dataset()
    loos = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # per-chain Pareto k warnings: the weights are what count
        for position in range(ll.sizes["chain"]):
            one = xr.DataTree.from_dict({"posterior": post.isel(chain=[position]),
                                         "log_likelihood": ll.isel(chain=[position])})
            loos[str(position)] = az.loo(one, pointwise=True)
        table = compare(loos, method="stacking")
    return np.array([float(table.loc[str(p), "weight"]) for p in range(ll.sizes["chain"])])


def drop_stuck(trace: xr.DataTree) -> tuple[xr.DataTree, ChainDrop]:
    """``trace`` without its stuck chains whose stacking weight is below 0.01.

    Returns the trace unchanged (and an empty record) when no chain is stuck, the trace has no
    log-likelihood or too few draws per chain for PSIS-LOO, or dropping would leave fewer than
    :data:`MIN_KEPT` chains. Chains are named by position (0-based), as in
    :attr:`bayeslaws.diagnostics.Diagnostics.stuck_chains`; the kept chains are renumbered
    from 0.
    """
    logp = chain_log_density(trace)
    stuck = stuck_chains(logp) if logp.size else []
    if not stuck or "log_likelihood" not in trace.children:
        return trace, ChainDrop()
    try:
        weights = stacking_weights(trace)
    except (ValueError, IndexError):  # too few draws per chain for Pareto smoothing
        return trace, ChainDrop()
    drop = [c for c in stuck if weights[c] < STACKING_WEIGHT_MAX]
    record = ChainDrop(weights=[round(float(w), 4) for w in weights],
                       log_density=[float(v) for v in logp.mean(axis=1)])
    if not drop or logp.shape[0] - len(drop) < MIN_KEPT:
        return trace, record
    keep = [c for c in range(logp.shape[0]) if c not in drop]
    record.dropped = drop
    return _select_chains(trace, keep), record


def _select_chains(trace: xr.DataTree, keep: list[int]) -> xr.DataTree:
    groups = {}
    for name, node in trace.children.items():
        ds = node.to_dataset()
        # the prior groups' draws are not the sampler's chains; the others are renumbered
        # 0..k-1, as every other trace's chains are
        if "chain" in ds.dims and not name.startswith("prior"):
            ds = ds.isel(chain=keep).assign_coords(chain=np.arange(len(keep)))
        groups[name] = ds
    out = xr.DataTree.from_dict(groups)
    out.attrs = dict(trace.attrs)
    return out
