"""Choosing between law forms: PSIS-LOO comparison, exact refits, and stacked averages.

:func:`compare` ranks fits of one data set by their expected log predictive density estimated
with Pareto-smoothed importance-sampling leave-one-out cross-validation (``arviz.loo``) and
returns ArviZ's comparison table (``arviz.compare``) with stacking weights. Every fit stores the
pointwise log density of ``log y`` (see :mod:`bayeslaws.likelihoods`), so laws with different
formulas, inputs or noise models are comparable -- provided they were fitted to the same runs,
the same ``y`` and a likelihood on the same scale, which :func:`compare` checks.

:func:`average` turns the stacking weights into one predictive distribution: the mixture of the
fits' posterior predictive distributions, whose ``predict`` has the same columns as
:meth:`bayeslaws.Fit.predict`.

References: Vehtari, Gelman & Gabry 2017 (PSIS-LOO, arXiv:1507.04544); Yao, Vehtari, Simpson &
Gelman 2018 (stacking, arXiv:1704.02030).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import arviz as az
import numpy as np
import pandas as pd

from bayeslaws.calibration import weighted_quantile
from bayeslaws.checks import check_choice, check_prob
from bayeslaws.data import input_columns, prediction_frame
from bayeslaws.exceptions import (
    DataError,
    ExtrapolationWarning,
    OptionError,
    SamplerWarning,
    choices,
)
from bayeslaws.extrapolation import data_ranges, distances, flag, merge_ranges
from bayeslaws.lfo import RefitWrapper, lfo
from bayeslaws.lfo import first_level as _first_level
from bayeslaws.result import Fit, Kind, load

#: Pareto k above which the PSIS estimate of a point's LOO density is unreliable.
K_THRESHOLD = 0.7
#: R-hat above which a fit's chains explore different regions (not mere Monte Carlo noise of
#: short runs, which the fit's own R-hat > 1.01 warning covers): its LOO is flagged again.
MIXING_RHAT = 1.1
#: Name of the attribute of a comparison table holding its fits (see :func:`average`).
FITS_ATTR = "bayeslaws_fits"
#: Name of the attribute holding the per-fit ``ELPDData`` used for the table.
LOO_ATTR = "bayeslaws_loo"


class _Shared(dict):
    """A dict that pandas' deep copies of ``DataFrame.attrs`` share instead of copying."""

    def __deepcopy__(self, memo):  # noqa: D105 - fits and LOO objects are read-only here
        return self


# -- checks ---------------------------------------------------------------------------------
def density_scale(fit: Fit) -> str:
    """What the stored log-likelihood is a density of, e.g. ``"log y"``.

    Log-likelihoods are comparable between fits only when they are densities of the same
    quantity: ``lognormal`` and ``studentt`` both give densities of ``log y``; a likelihood of
    counts (or any other transform) is a density of something else. A likelihood may declare
    its scale with a ``scale`` attribute; otherwise it is read from its transform.
    """
    lik = fit.spec.likelihood
    declared = getattr(lik, "scale", None)
    if declared:
        return str(declared)
    transform = getattr(lik, "transform", None)
    if transform is np.log:
        return "log y"
    return f"y as transformed by likelihood {lik.name!r}"


def _check_comparable(fits: Mapping[str, Fit]) -> None:
    """Refuse fits of different runs, different y or log densities of different quantities."""
    if len(fits) < 2:
        raise OptionError(
            f"compare needs at least two fits to compare, got {len(fits)} ({choices(fits)}); "
            'pass a dict such as {"chinchilla": fit1, "kaplan": fit2}.')
    bad = {name: type(f).__name__ for name, f in fits.items() if not isinstance(f, Fit)}
    if bad:
        raise OptionError(
            f"compare takes bayeslaws Fit objects; got {bad}. Fit each law with bayeslaws.fit "
            "or read saved fits with bayeslaws.load.")
    (ref_name, ref), *others = fits.items()
    ref_obs, ref_scale = ref.observations, density_scale(ref)
    for name, fit in others:
        obs, scale, pair = fit.observations, density_scale(fit), f"Fits {ref_name!r} and {name!r}"
        if obs.n != ref_obs.n:
            raise DataError(
                f"{pair} were fitted to different data: {ref_obs.n} runs versus {obs.n}. LOO "
                "compares laws on the same runs only; refit both on the same table.")
        if scale != ref_scale:
            raise DataError(
                f"Fits {ref_name!r} (likelihood {ref.spec.likelihood.name!r}, density of "
                f"{ref_scale}) and {name!r} (likelihood {fit.spec.likelihood.name!r}, density "
                f"of {scale}) have log-likelihoods on different scales, which cannot be "
                "compared. Refit them with likelihoods on the same scale (e.g. 'lognormal' and "
                "'studentt' are both densities of log y).")
        if not np.array_equal(obs.y, ref_obs.y):
            row = int(np.flatnonzero(obs.y != ref_obs.y)[0])
            raise DataError(
                f"{pair} were fitted to different y: column {ref_obs.y_column!r} versus "
                f"{obs.y_column!r}, first differing at run {row} ({ref_obs.y[row]!r} versus "
                f"{obs.y[row]!r}). LOO compares laws on the same measurements only; refit both "
                "with the same y column and rows in the same order.")
        shared = [(column, ref_obs.x[a], obs.x[b]) for a, column in ref_obs.columns.items()
                  for b, other in obs.columns.items() if other == column]
        for column, left, right in shared:
            if not np.array_equal(left, right):
                row = int(np.flatnonzero(left != right)[0])
                raise DataError(
                    f"{pair} were fitted to different data: column {column!r} differs at run "
                    f"{row} ({left[row]!r} versus {right[row]!r}). Refit both on the same table.")
        for role in set(ref_obs.extra) & set(obs.extra):
            if not np.array_equal(ref_obs.extra[role], obs.extra[role]):
                raise DataError(f"{pair} use different {role!r} columns; refit both on the "
                                     "same table.")


def _quietly(function: Callable, *args, **kwargs):
    """``function(*args, **kwargs)`` with ArviZ's UserWarnings silenced (bayeslaws warns)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return function(*args, **kwargs)


# -- exact refits ---------------------------------------------------------------------------
class FitWrapper(RefitWrapper):
    """ArviZ :class:`~arviz_stats.loo.SamplingWrapper` that refits a bayeslaws fit.

    Used by :func:`arviz.reloo` to compute exact leave-one-out densities for the runs where
    PSIS is unreliable: each refit is :func:`refit` on the table without that run, and the
    left-out run's log density is evaluated under the refit's posterior.
    """

    def sel_observations(self, idx):
        """Return ``(table without run idx, table of run idx)`` (with the extra columns)."""
        left_out = np.arange(len(self.table)) == int(np.asarray(idx).reshape(-1)[0])
        return (self.table.loc[~left_out].reset_index(drop=True),
                self.table.loc[left_out].reset_index(drop=True))

    def log_likelihood__i(self, excluded_obs, idata__i):
        """Log density of the left-out run under the refit's posterior, dims chain, draw, obs.

        For a grouped fit whose left-out run was its group's only one, the run is scored as a
        new group's (its parameters drawn from the refit's population).
        """
        refitted: Fit = idata__i
        return refitted.pointwise_log_likelihood(refitted.as_known_groups(excluded_obs))


# -- comparison -----------------------------------------------------------------------------
def loo(fit: Fit, *, name: str = "fit", reloo: bool = False,
        k_threshold: float = K_THRESHOLD, progressbar: bool = False, warn: bool = True):
    """PSIS-LOO of one fit, with its unreliable points reported or refitted exactly.

    ``reloo``, ``k_threshold`` and ``progressbar`` are those of :func:`compare` (refits go
    through :func:`arviz.reloo` and :class:`FitWrapper`); ``name`` names the fit in warnings;
    ``warn=False`` silences the :class:`~bayeslaws.exceptions.SamplerWarning` about chains that
    disagree and about points above the threshold that were not refitted. Returns ArviZ's
    ``ELPDData`` with pointwise values (``elpd_i``, ``pareto_k``).
    """
    rhat = fit.diagnostics().max_rhat
    if warn and rhat > MIXING_RHAT:
        warnings.warn(
            f"Fit {name!r}: its chains disagree (R-hat up to {rhat:.2f}), e.g. a chain stuck in "
            "another mode, so its LOO mixes distributions and its rank may be wrong. Refit it "
            "(another random_seed, more tuning, tighter priors) until R-hat < 1.01 before "
            "comparing.", SamplerWarning, stacklevel=3)
    result = _quietly(fit.loo, pointwise=True)
    k = np.asarray(result.pareto_k).reshape(-1)
    bad = np.flatnonzero(k > k_threshold)
    if bad.size and reloo:
        result = _quietly(az.reloo, FitWrapper(fit, progressbar=progressbar), loo_orig=result,
                          k_threshold=k_threshold, pointwise=True)
        result.refitted = [int(i) for i in bad]
        return result
    result.refitted = []
    if bad.size and warn:
        points = "; ".join(f"{fit.describe_run(int(i))}: k={k[i]:.2f}" for i in bad[:5])
        more = f" and {bad.size - 5} more" if bad.size > 5 else ""
        warnings.warn(
            f"Fit {name!r}: Pareto k > {k_threshold} for {bad.size} of {k.size} runs "
            f"({points}{more}). PSIS-LOO is unreliable for these runs, so their elpd (and the "
            "comparison) may be biased. Pass reloo=True to refit the law once per such run "
            "with it left out (exact LOO); many high k also hint at a misspecified law or "
            "outlying runs (try likelihood='studentt').", SamplerWarning, stacklevel=3)
    return result


def compare(fits: Mapping[str, Fit], *, reloo: bool = False, method: str = "stacking",
            k_threshold: float = K_THRESHOLD, progressbar: bool = False,
            criterion: str = "loo", extrapolate: Any = False,
            **lfo_options) -> pd.DataFrame:
    """Compare fits of different law forms to the same data by PSIS-LOO or leave-future-out.

    Parameters
    ----------
    fits : dict of {str: Fit}
        Two or more named fits of the same runs and ``y`` (any laws, any likelihood on
        ``log y``); others are refused with a :class:`~bayeslaws.exceptions.BayesLawsError`.
    reloo : bool
        Refit each law once per run whose Pareto k exceeds ``k_threshold``, leaving it out, so
        that its LOO density is exact (refits reuse the compiled model). Without it such runs
        are reported with a :class:`~bayeslaws.exceptions.SamplerWarning`.
    method : {"stacking", "BB-pseudo-BMA", "pseudo-BMA", "lfo"}
        How ArviZ computes the weights; stacking (default) optimises the predictive density
        of the mixture. ``"lfo"`` is short for ``criterion="lfo"`` with stacking.
    k_threshold : float
        Pareto k threshold (0.7, the PSIS reliability limit, by default).
    progressbar : bool
        Progress bars of the refits.
    criterion : {"loo", "lfo", "auto"}
        What the elpd (and so the ranks and weights) measures: ``"loo"``, leave-one-out
        (interpolation between the runs); ``"lfo"``, leave-future-out along the runs' scale
        (:func:`bayeslaws.lfo.lfo`: each level of scale forecast from the smaller runs only),
        which ranks laws by how they extrapolate; ``"auto"``, ``"lfo"`` when ``extrapolate``
        asks for forecasts beyond the runs and the runs allow it, else ``"loo"``
        (:func:`choose_criterion`; the LFO options are then dropped).
    extrapolate : bool or dict or DataFrame
        Only read by ``criterion="auto"``: as in :func:`average`.
    **lfo_options
        With ``criterion="lfo"``: ``scale`` (default: the product of every fit's input
        columns, the same order for all fits), ``start``, ``horizon`` and ``lfo_method``
        (``"approx"`` or ``"exact"``) of :func:`bayeslaws.lfo.lfo`.

    Returns
    -------
    DataFrame
        ArviZ's comparison table, best law first: ``rank``, ``elpd_diff``, ``dse``,
        ``p_worse``, ``diag_diff``, ``diag_elpd``, ``p``, ``elpd``, ``se``, ``weight``, plus
        ``n_high_k`` (runs with Pareto k above the threshold after any refits) and
        ``n_refitted`` (LFO: levels with k above the threshold, and refits). ``table.attrs``
        holds the fits, the ELPD results, the criterion used and why (``bayeslaws_criterion``,
        ``bayeslaws_criterion_reason``), so ``bayeslaws.average(table)`` works directly and
        says which criterion its weights come from.
    """
    fits = dict(fits)
    _check_comparable(fits)
    reason = f"criterion={criterion!r} was asked"
    if str(method).lower() == "lfo":
        criterion, method, reason = "lfo", "stacking", "method='lfo' was asked"
    elif criterion == "auto":
        criterion, reason = choose_criterion(fits, "auto", extrapolate, lfo_options)
        if criterion == "loo":
            lfo_options = {}
    valid = ("stacking", "bb-pseudo-bma", "pseudo-bma")
    if str(method).lower() not in valid:
        raise OptionError(
            f"Unknown weighting method {method!r}. Valid choices: 'stacking', 'BB-pseudo-BMA', "
            "'pseudo-BMA', 'lfo' (stacking is recommended).")
    if criterion not in CRITERIA:
        raise OptionError(f"criterion must be one of {choices(AVERAGE_CRITERIA)} (leave-one-out, "
                          f"leave-future-out, or auto: lfo when asked to extrapolate); got "
                          f"{criterion!r}.")
    unknown = sorted(set(lfo_options) - set(LFO_OPTIONS))
    if unknown or (lfo_options and criterion != "lfo"):
        raise OptionError(
            f"Options {sorted(lfo_options)} are for criterion='lfo' (valid: "
            f"{choices(LFO_OPTIONS)}); got criterion={criterion!r}"
            + (f" and unknown {unknown}" if unknown else "") + ".")
    if criterion == "lfo":
        elpd = _lfo_all(fits, k_threshold, progressbar, **lfo_options)
    else:
        elpd = {name: loo(fit, name=name, reloo=reloo, k_threshold=k_threshold,
                          progressbar=progressbar) for name, fit in fits.items()}
    table = _quietly(az.compare, elpd, method=method, round_to="none")
    if criterion == "lfo":
        table["n_high_k"] = [int(np.nansum(np.asarray(elpd[name].pareto_k) > k_threshold))
                             if elpd[name].pareto_k is not None else 0 for name in table.index]
        table["n_refitted"] = [int(elpd[name].n_fits) for name in table.index]
    else:
        table["n_high_k"] = [int((np.asarray(elpd[name].pareto_k) > k_threshold).sum())
                             for name in table.index]
        table["n_refitted"] = [len(elpd[name].refitted) for name in table.index]
    table.attrs[FITS_ATTR] = _Shared(fits)
    table.attrs[LOO_ATTR] = _Shared(elpd)
    table.attrs[CRITERION_ATTR] = criterion
    table.attrs[REASON_ATTR] = reason
    return table


#: Criteria of :func:`compare`: leave-one-out, leave-future-out.
CRITERIA = ("loo", "lfo")
#: Options of :func:`compare` passed on to :func:`bayeslaws.lfo.lfo`.
LFO_OPTIONS = ("scale", "start", "horizon", "lfo_method")
#: Name of the attribute of a comparison table saying which criterion gave its weights.
CRITERION_ATTR = "bayeslaws_criterion"
#: Name of the attribute of a comparison table saying why that criterion.
REASON_ATTR = "bayeslaws_criterion_reason"


def _lfo_all(fits: Mapping[str, Fit], k_threshold: float, progressbar: bool, *,
             scale: Any = None, start: int | float = 0.5, horizon: int = 1,
             lfo_method: str = "approx") -> dict:
    """:func:`bayeslaws.lfo.lfo` of every fit along one order of the runs (the product of
    every fit's input columns unless ``scale`` is given), from the same first level."""
    if scale is None:
        scale = list(dict.fromkeys(c for f in fits.values() for c in f.settings.columns.values()))
    if isinstance(start, float):  # the same first level for every law: the largest asked
        start = max(_first_level(f, scale, start) for f in fits.values())
    return {name: lfo(fit, scale=scale, start=start, horizon=horizon, method=lfo_method,
                      k_threshold=k_threshold, progressbar=progressbar)
            for name, fit in fits.items()}


def compare_files(paths: Sequence[str], **kwargs) -> pd.DataFrame:
    """:func:`compare` of saved fits given as ``"path"`` or ``"name=path"`` (the CLI's form).

    Fits are named by ``name`` or else by the file's stem.
    """
    fits: dict[str, Fit] = {}
    for item in paths:
        name, _, path = str(item).rpartition("=") if "=" in str(item) else ("", "", str(item))
        name = name or Path(path).stem
        if name in fits:
            raise OptionError(
                f"Two fits are named {name!r}; name them apart with NAME=PATH, e.g. "
                f"a={path} b=<other file>.")
        fits[name] = load(path)
    return compare(fits, **kwargs)


# -- stacked average ------------------------------------------------------------------------
class Average:
    """A stacked (model-averaged) forecast: the mixture of fits' predictive distributions.

    Obtain one with :func:`average`. Its :meth:`predict` has the columns of
    :meth:`bayeslaws.Fit.predict`.

    Attributes
    ----------
    fits : dict of {str: Fit}
        The fits with non-zero weight.
    weights : pandas.Series
        Mixture weight of each fit (summing to 1).
    inputs : tuple of str
        Every input of every law: ``predict`` needs a value of each.
    group_columns : tuple of str
        Group columns of grouped fits: prediction points may give one (see
        :meth:`bayeslaws.Fit.predict`; without it, a new group).
    criterion : str
        Where the weights come from: ``"loo"`` (stacking on leave-one-out densities),
        ``"lfo"`` (stacking on leave-future-out densities) or ``"given"`` (explicit weights).
    reason : str
        Why that criterion (e.g. ``"asked to extrapolate"``); shown in the repr.
    """

    #: Weights below this are dropped from the mixture.
    MIN_WEIGHT = 1e-6

    def __init__(self, fits: Mapping[str, Fit], weights: Mapping[str, float],
                 criterion: str = "given", reason: str = "") -> None:
        self.criterion = str(criterion)
        self.reason = str(reason)
        w = pd.Series({name: float(weights[name]) for name in fits}, dtype=float)
        if (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
            raise OptionError(
                f"Mixture weights must be finite, >= 0 and not all 0; got {w.to_dict()}.")
        w = w[w > self.MIN_WEIGHT]
        self.weights = w / w.sum()
        self.fits = {name: fits[name] for name in self.weights.index}
        self.inputs = tuple(dict.fromkeys(n for fit in self.fits.values() for n in fit.law.inputs))
        self.group_columns = tuple(dict.fromkeys(
            c for fit in self.fits.values() for c in fit.group_columns))

    def __repr__(self) -> str:
        parts = ", ".join(f"{k}: {v:.3f}" for k, v in self.weights.items())
        why = f"; {self.describe_criterion()}" if self.reason else ""
        return (f"<bayeslaws.Average weights={{{parts}}} ({self.criterion}) "
                f"inputs={list(self.inputs)}{why}>")

    def describe_criterion(self) -> str:
        """One sentence: which criterion gave the weights, and why."""
        what = CRITERION_LABELS.get(self.criterion, self.criterion)
        return f"weights from {what}" + (f" ({self.reason})" if self.reason else "")

    def _inputs(self, at: Any) -> pd.DataFrame:
        frame = prediction_frame(at, self.group_columns)
        missing = [name for name in self.inputs if name not in frame.columns]
        if missing:
            laws = ", ".join(f"{n} ({', '.join(f.law.inputs)})" for n, f in self.fits.items())
            raise DataError(
                f"The averaged forecast needs a value for every input of every law; missing "
                f"{missing}. Laws and their inputs: {laws}. Give e.g. predict({{"
                + ", ".join(f"{n!r}: [...]" for n in self.inputs) + "}).")
        linear = {n for f in self.fits.values() for n in f.law.linear_inputs}
        table = pd.DataFrame(input_columns(frame, self.inputs, tuple(linear)))
        for column in self.group_columns:
            if column in frame.columns:
                table[column] = frame[column].astype(str).to_numpy()
        return table

    def components(self, at: Any, kind: Kind = "predictive",
                   random_seed: int | None = 0) -> dict[str, np.ndarray]:
        """Each fit's draws of y at ``at``: ``{name: array (S_k, points)}``."""
        frame = self._inputs(at)
        out = {}
        for i, (name, fit) in enumerate(self.fits.items()):
            seed = None if random_seed is None else int(random_seed) + i
            columns = list(fit.law.inputs) + [c for c in fit.group_columns if c in frame]
            out[name] = fit.predictive_draws(frame[columns], kind=kind, random_seed=seed)[1]
        return out

    def weighted_draws(self, at: Any, kind: Kind = "predictive",
                       random_seed: int | None = 0) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        """Every fit's draws at ``at``, pooled: ``(inputs, values (S, points), weights (S,))``,
        each draw of fit k weighted ``w_k / S_k`` (the mixture's quantiles are weighted
        quantiles of these, as in :meth:`predict`)."""
        return self._pooled(at, kind, random_seed)

    def _pooled(self, at: Any, kind: Kind, random_seed: int | None):
        frame = self._inputs(at)
        parts = self.components(frame, kind=kind, random_seed=random_seed)
        values = np.concatenate(list(parts.values()), axis=0)
        weights = np.concatenate([np.full(v.shape[0], self.weights[name] / v.shape[0])
                                  for name, v in parts.items()])
        return frame, values, weights

    def predictive_draws(self, at: Any, kind: Kind = "predictive", random_seed: int | None = 0,
                         size: int = 4000) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """``size`` draws of the mixture at ``at``: ``(inputs, array (size, points))``.

        Each draw comes from fit k with probability equal to its weight.
        """
        frame, values, weights = self._pooled(at, kind, random_seed)
        rng = np.random.default_rng(random_seed)
        rows = rng.choice(values.shape[0], size=int(size), p=weights / weights.sum())
        return {k: frame[k].to_numpy() for k in frame.columns}, values[rows]

    def predict(self, at: Mapping[str, Any] | pd.DataFrame, prob: float = 0.9,
                kind: Kind = "predictive", random_seed: int | None = 0) -> pd.DataFrame:
        """Forecast y at new scales from the stacked mixture, with an equal-tailed interval.

        As :meth:`bayeslaws.Fit.predict`, with ``at`` giving every input of every averaged law
        (:attr:`inputs`): the inputs, then ``mean``, ``median``, ``lower``, ``upper`` of the
        mixture (exact weighted quantiles over all fits' draws; ``mean`` is the mixture of the
        laws' curves when a new run's y has no finite mean, as under ``studentt``), then the
        ``beyond_*`` columns of :meth:`bayeslaws.Fit.predict` (ranges of every fit's runs).
        """
        prob = check_prob(prob)
        frame, values, weights = self._pooled(at, kind, random_seed)
        lo, med, hi = weighted_quantile(values, weights, [(1 - prob) / 2, 0.5, (1 + prob) / 2])
        finite = all(f.spec.likelihood.finite_mean for f in self.fits.values())
        if kind == "predictive" and not finite:  # a new run's y has no mean: the curves' mean
            _, values, weights = self._pooled(at, "mean", random_seed)
        table = frame.reset_index(drop=True).assign(mean=weights @ values / weights.sum(),
                                                    median=med, lower=lo, upper=hi)
        ranges = merge_ranges(*(data_ranges(f.observations) for f in self.fits.values()))
        what = f"Average.predict ({self.describe_criterion()}"
        if self.criterion == "loo":
            what += ("; leave-one-out ranks laws by interpolation: bl.average(fits, "
                     "extrapolate=True) weights them by leave-future-out")
        table.attrs["criterion"] = self.criterion
        return flag(table, ranges, {k: frame[k].to_numpy() for k in self.inputs}, what + ")")

    def log_density(self, data: Any, y: str | None = None) -> np.ndarray:
        """Log predictive density of measured runs under the mixture, one value per run.

        ``log sum_k w_k mean_s p(y_i | theta_s^k)``: the density of ``log y`` for log-scale
        likelihoods, as stored in fits. ``data`` holds every input and ``y`` (default column:
        the one the fits were fitted on).
        """
        per_fit = {name: log_predictive_density(fit, data, y=y) for name, fit in self.fits.items()}
        stacked = np.stack([per_fit[n] + np.log(self.weights[n]) for n in self.fits], axis=0)
        return np.logaddexp.reduce(stacked, axis=0)


def log_predictive_density(fit: Fit, data: Any, y: str | None = None) -> np.ndarray:
    """Log of the posterior-mean predictive density of each run of ``data`` (new runs).

    ``log mean_s p(y_i | theta_s)`` with the same density (of ``log y`` for log-scale
    likelihoods) as the fit's stored log-likelihood: :meth:`bayeslaws.Fit.log_density`
    (grouped fits score each run under its group).
    """
    return fit.log_density(data, y=y)


#: What each criterion of :class:`Average` means, for its messages.
CRITERION_LABELS = {"loo": "leave-one-out stacking", "lfo": "leave-future-out stacking",
                    "given": "given weights"}
#: Criteria :func:`average` accepts.
AVERAGE_CRITERIA = ("auto", "loo", "lfo")


def extrapolates(fits: Mapping[str, Fit], extrapolate: Any) -> bool:
    """Whether ``extrapolate`` (of :func:`average`) asks for forecasts beyond the fits' runs:
    a bool as given, or points (a dict or DataFrame of inputs) of which one lies beyond the
    largest fitted run of some input."""
    if extrapolate is None or isinstance(extrapolate, bool | np.bool_):
        return bool(extrapolate)
    if not isinstance(extrapolate, Mapping | pd.DataFrame):
        raise OptionError(
            "extrapolate must be True/False or the points to forecast (a dict or DataFrame of "
            f"inputs); got {type(extrapolate).__name__}.")
    frame = prediction_frame(extrapolate, ())
    ranges = merge_ranges(*(data_ranges(f.observations) for f in fits.values()))
    given = {name: frame[name].to_numpy() for name in ranges if name in frame.columns}
    if not given:
        raise DataError(
            f"The points given as extrapolate= have none of the laws' inputs {choices(ranges)}; "
            f"columns: {choices(frame.columns)}.")
    return any((np.asarray(v) > 0).any() for k, v in distances(ranges, given).items()
               if not k.endswith("_span"))


def lfo_obstacle(fits: Mapping[str, Fit], scale: Any = None, start: int | float = 0.5,
                 **_) -> str:
    """Why leave-future-out cannot weight ``fits`` (too few runs or scales), or ``""``."""
    if scale is None:
        scale = list(dict.fromkeys(c for f in fits.values() for c in f.settings.columns.values()))
    try:
        for fit in fits.values():
            _first_level(fit, scale, start)
    except DataError as err:
        return str(err)
    return ""


def choose_criterion(fits: Mapping[str, Fit], criterion: str, extrapolate: Any,
                     compare_kwargs: Mapping[str, Any]) -> tuple[str, str]:
    """``(criterion, reason)`` for stacking ``fits`` (see :func:`average`): ``"auto"`` is
    ``"lfo"`` when ``extrapolate`` asks for forecasts beyond the runs (:func:`extrapolates`)
    and :func:`lfo_obstacle` finds none, else ``"loo"``; the reason says which case."""
    if str(compare_kwargs.get("method", "")).lower() == "lfo":
        return "lfo", "method='lfo' was asked"
    if criterion != "auto":
        return criterion, f"criterion={criterion!r} was asked"
    if not extrapolates(fits, extrapolate):
        return "loo", ("the default when not asked to extrapolate; extrapolate=True weights "
                       "laws by leave-future-out")
    obstacle = lfo_obstacle(fits, **{k: v for k, v in compare_kwargs.items()
                                     if k in ("scale", "start")})
    if obstacle:
        return "loo", f"asked to extrapolate, but leave-future-out is impossible: {obstacle}"
    return "lfo", "asked to extrapolate"


def average(comparison_or_fits: pd.DataFrame | Mapping[str, Fit],
            fits: Mapping[str, Fit] | None = None, *,
            weights: Mapping[str, float] | Sequence[float] | None = None,
            criterion: str = "auto", extrapolate: Any = False,
            **compare_kwargs) -> Average:
    """A stacked (model-averaged) posterior predictive distribution, as an :class:`Average`.

    Parameters
    ----------
    comparison_or_fits : DataFrame or dict of {str: Fit}
        The table of :func:`compare` (its ``weight`` column gives the weights), or fits to
        compare first.
    fits : dict of {str: Fit}, optional
        The fits named in a comparison table that does not carry them (e.g. one computed with
        ``arviz.compare`` directly).
    weights : dict or sequence of float, optional
        Explicit weights instead of stacking weights.
    criterion : {"auto", "loo", "lfo"}
        Where the stacking weights of fits come from. ``"loo"``: leave-one-out (how each law
        interpolates between the runs); ``"lfo"``: leave-future-out along the runs' scale (how
        it forecasts larger runs from smaller ones, :func:`bayeslaws.lfo.lfo`; one or more
        refits per law). ``"auto"`` (default): ``"lfo"`` when asked to extrapolate (see
        ``extrapolate``) and the runs allow it (enough runs and distinct scales before the
        first forecast level), else ``"loo"``.
    extrapolate : bool or dict or DataFrame
        Whether the average will forecast beyond the fitted runs: ``True``/``False``, or the
        points to forecast (inputs as in ``predict``), which extrapolate when one lies beyond
        the largest fitted run of some input. Only read by ``criterion="auto"``.
    **compare_kwargs
        Passed to :func:`compare` when fits are given (``reloo``, ``method``, and the LFO
        options ``scale``, ``start``, ``horizon``, ``lfo_method``).

    Returns
    -------
    Average
        Its ``criterion`` says which criterion gave the weights (``"loo"``, ``"lfo"`` or
        ``"given"``) and ``reason`` why; its repr shows both, and its ``predict`` names them
        in the warning about points beyond the data.

    Raises
    ------
    OptionError
        A bad ``criterion``, ``extrapolate`` or weights, or a ``criterion`` other than the
        table's for a comparison table.
    """
    check_choice("criterion", criterion, AVERAGE_CRITERIA)
    label, reason = "given", "weights= was given"
    if isinstance(comparison_or_fits, pd.DataFrame):
        table = comparison_or_fits
        fits = table.attrs.get(FITS_ATTR) if fits is None else fits
        if fits is None:
            raise OptionError(
                "This comparison table does not carry its fits; pass them too: "
                "bayeslaws.average(table, fits={'name': fit, ...}) with the table's names "
                f"{choices(table.index)}.")
        missing = [n for n in table.index if n not in fits]
        if missing:
            raise OptionError(
                f"The comparison table names fits {missing} that are not in fits (given: "
                f"{choices(fits)}); pass every fit of the table.")
        if weights is None:
            if "weight" not in table.columns:
                raise DataError(
                    "The table has no 'weight' column; pass the table of bayeslaws.compare or "
                    "explicit weights=.")
            weights = table["weight"].astype(float).to_dict()
            label = table.attrs.get(CRITERION_ATTR, "loo")
            reason = "the comparison table's weights" + (
                f": {table.attrs[REASON_ATTR]}" if table.attrs.get(REASON_ATTR) else "")
            if criterion not in ("auto", label):
                raise OptionError(
                    f"The comparison table's weights come from criterion {label!r}, not "
                    f"criterion={criterion!r}; compare the fits with "
                    f"bayeslaws.compare(fits, criterion={criterion!r}) or pass the fits.")
            if criterion == "auto" and label == "loo" and extrapolates(
                    {n: fits[n] for n in table.index}, extrapolate):
                warnings.warn(
                    "average: asked to extrapolate, but the comparison table's weights come "
                    "from leave-one-out (interpolation); they are kept. For weights by how the "
                    "laws forecast larger runs, use bayeslaws.compare(fits, criterion='lfo') "
                    "or pass the fits with extrapolate=True.", ExtrapolationWarning,
                    stacklevel=2)
                reason += ", kept although asked to extrapolate"
        fits = {n: fits[n] for n in table.index}
    elif isinstance(comparison_or_fits, Mapping):
        fits = dict(comparison_or_fits)
        if weights is None and len(fits) == 1:
            weights, reason = {next(iter(fits)): 1.0}, "a single fit"
        elif weights is None:
            label, reason = choose_criterion(fits, criterion, extrapolate, compare_kwargs)
            table = compare(fits, criterion=label, **compare_kwargs)
            weights = table["weight"].astype(float).to_dict()
    else:
        raise OptionError(
            "average takes the table of bayeslaws.compare or a dict of named fits, got "
            f"{type(comparison_or_fits).__name__}.")
    if weights is not None and not isinstance(weights, Mapping):
        values = list(weights)
        if len(values) != len(fits):
            raise OptionError(
                f"Got {len(values)} weights for {len(fits)} fits ({choices(fits)}); give one "
                "weight per fit.")
        weights = dict(zip(fits, values, strict=True))
    missing = [n for n in fits if n not in weights]
    if missing:
        raise OptionError(f"No weight given for fit(s) {missing}; weights: {dict(weights)}.")
    return Average(fits, weights, criterion=label, reason=reason)
