"""The result of a fit: posterior, summary, diagnostics, forecasts, saving.

One :class:`Fit` class serves plain and grouped fits (``bl.fit(..., group=<column>)``, see
:mod:`bayeslaws.hierarchy`): a grouped fit's forecasts and densities take a group.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from bayeslaws import decisions, io, optimal, plots, prior_weight
from bayeslaws import diagnostics as diag_mod
from bayeslaws.checks import check_choice, check_prob, has_key
from bayeslaws.data import (
    Observations,
    as_frame,
    numeric_column,
    prediction_frame,
    prediction_inputs,
)
from bayeslaws.exceptions import OptionError
from bayeslaws.extrapolation import data_ranges, flag
from bayeslaws.groups import without_predictive_groups
from bayeslaws.hierarchy import GROUP_DIM, GROUP_INDEX, NEW, Grouping
from bayeslaws.settings import RETRIED, FitSettings
from bayeslaws.spec import ModelSpec
from bayeslaws.trace import draw_y, flat_draws, parameters_at, pointwise_log_likelihood

Kind = Literal["predictive", "mean"]
KINDS = ("predictive", "mean")


class WholeFrame(pd.DataFrame):
    """A DataFrame whose printed form (``print(table)``, ``repr``) shows every row and column,
    whatever pandas' display width: the tables of a fit (summary, forecasts) are short and
    meant to be read whole."""

    @property
    def _constructor(self):
        return WholeFrame

    def __repr__(self) -> str:
        return self.to_string()


class Fit:
    """A fitted scaling law: the posterior of its parameters and everything derived from it.

    Obtain one with :func:`bayeslaws.fit` or :func:`bayeslaws.load`.

    Attributes
    ----------
    law : Law
        The law family.
    spec : ModelSpec
        Law, likelihood, priors and grouping (``spec.grouping``, ``None`` for one curve).
    trace : xarray.DataTree
        Posterior, sample_stats, log_likelihood, observed_data and constant_data groups, and
        (fits made by :func:`bayeslaws.fit`) posterior_predictive, prior and prior_predictive
        (see :mod:`bayeslaws.groups`): every ArviZ function works on it.
    settings : FitSettings
        Settings stored with the fit (sampler, seeds, columns, versions).
    """

    def __init__(self, trace: xr.DataTree, spec: ModelSpec,
                 settings: FitSettings | Mapping[str, Any]) -> None:
        self.trace = trace
        self.spec = spec
        self.law = spec.law
        self.settings = (settings if isinstance(settings, FitSettings)
                         else FitSettings.from_dict(settings))
        self._diagnostics: diag_mod.Diagnostics | None = None
        #: File format of the saved fit this one was loaded from (``None``: not loaded).
        self.format_version: int | None = None

    def __repr__(self) -> str:
        post, g = self.posterior, self.grouping
        groups = "" if g is None else (f" group={g.column!r} groups={len(g.groups)} "
                                       f"varying={list(g.varying)} pooled={list(g.pooled)}")
        return (f"<bayeslaws.Fit law={self.law.name!r} likelihood={self.spec.likelihood.name!r}"
                f"{groups} n={self.observations.n} draws={post.sizes['chain']}x"
                f"{post.sizes['draw']} sampler={self.settings.sampler!r}>")

    # -- settings and groups --------------------------------------------------------------
    @property
    def config(self) -> dict[str, Any]:
        """The settings as stored in a saved file (a dict; :attr:`settings` is typed)."""
        out = self.settings.to_dict()
        if self.grouping is not None:
            out["grouping"] = self.grouping.to_dict()
        if self.format_version is not None:
            out["format_version"] = self.format_version
        return out

    @property
    def grouping(self) -> Grouping | None:
        """The grouping of a grouped fit (column, groups, varying parameters), else ``None``."""
        return self.spec.grouping

    @property
    def is_grouped(self) -> bool:
        """Whether the law was fitted with partial pooling over groups."""
        return self.spec.grouping is not None

    @property
    def group_columns(self) -> tuple[str, ...]:
        """Columns of group labels that forecasts and densities take (grouped fits: one)."""
        return () if self.grouping is None else (self.grouping.column,)

    @property
    def groups(self) -> tuple[str, ...] | None:
        """Group labels, in the order of the posterior's ``group`` coordinate (or ``None``)."""
        return None if self.grouping is None else self.grouping.groups

    def as_known_groups(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with group labels this fit does not have replaced by ``"new"`` (runs of
        a group left out of the fit, scored as a new group drawn from the population)."""
        if self.grouping is None:
            return frame
        column = self.grouping.column
        labels = frame[column].astype(str)
        return frame.assign(**{column: labels.where(labels.isin(self.groups), NEW).to_numpy()})

    def _point_groups(self, at: Any, group: str | None, points: int) -> np.ndarray | None:
        """Group index of each point (-1: a new group); ``None`` for a plain fit."""
        if self.grouping is None:
            if group is not None:
                raise OptionError(
                    f"group={group!r} was given but this fit has no groups; leave group out.")
            return None
        column = self.grouping.column
        if group is not None:
            labels = [str(group)] * points
        elif has_key(at, column):
            labels = np.broadcast_to(np.asarray(at[column], dtype=object).ravel(), (points,))
        else:
            return np.full(points, -1, dtype=np.int64)
        return self.grouping.index_of(labels)

    # -- data and posterior -------------------------------------------------------------
    @property
    def posterior(self) -> xr.Dataset:
        """Posterior draws of the paper's parameters (and noise parameters), dims chain, draw
        (and ``group`` for the varying parameters of a grouped fit)."""
        return self.trace["posterior"].to_dataset()

    @property
    def priors(self) -> dict:
        return dict(self.spec.priors)

    @cached_property
    def observations(self) -> Observations:
        """The fitted runs (as stored in the trace)."""
        const = self.trace["constant_data"].to_dataset()
        extra = {k[len("extra_"):]: const[k].values for k in const.data_vars
                 if k.startswith("extra_")}
        groups = (np.asarray(const[GROUP_INDEX].values, dtype=np.int64)
                  if GROUP_INDEX in const.data_vars else None)
        return Observations.of({name: const[name].values for name in self.law.inputs},
                               self.trace["observed_data"].to_dataset()["y"].values,
                               dict(self.settings.columns), self.settings.y_column,
                               self.law.link == "log", extra, groups,
                               linear=self.law.linear_inputs)

    def data(self) -> pd.DataFrame:
        """The fitted data as a table, with the user's column names: inputs, y, the
        likelihood's extra columns (e.g. each run's trials) and the group column; a refit on
        it is the same model on the same runs."""
        obs = self.observations
        frame = {obs.columns[name]: values for name, values in obs.x.items()}
        frame[obs.y_column] = obs.y
        for role, column in self.settings.extra_columns.items():
            frame[column] = obs.extra[role]
        if self.grouping is not None:
            frame[self.grouping.column] = np.asarray(self.groups)[obs.groups]
        return pd.DataFrame(frame)

    def draws(self, names=None) -> dict[str, np.ndarray]:
        """Posterior draws flattened over chains, as ``{name: array of shape (S,)}``; a varying
        parameter of a grouped fit gives one entry per group, ``"E[rpj]"``."""
        names = self.spec.parameter_names if names is None else list(names)
        out = {}
        for name in names:
            flat = flat_draws(self.posterior[name])
            if flat.ndim == 1:
                out[name] = flat
            else:
                out.update({f"{name}[{g}]": flat[:, i] for i, g in enumerate(self.groups)})
        return out

    # -- summaries ------------------------------------------------------------------------
    def diagnostics(self) -> diag_mod.Diagnostics:
        """Divergences, R-hat and ESS per parameter (worst group for varying ones), with a
        sentence per problem."""
        if self._diagnostics is None:
            self._diagnostics = diag_mod.compute(
                self.trace, self.spec.posterior_names, self.settings.target_accept,
                self.settings.adaptation,
                n_parameters=self.n_parameters, describe=self.describe_run,
                chain_drop=self.settings.chain_drop, retried=len(self.settings.attempts))
            if self.settings.attempts:
                final = {k: getattr(self.settings, k) for k in RETRIED}
                self._diagnostics.notes.append(diag_mod.retried_note(
                    self.settings.attempts, final, self.settings.retry))
        return self._diagnostics

    @property
    def n_parameters(self) -> int:
        """Number of scalar parameters (a varying one counts once per group, plus its
        population's centre and spread)."""
        g = self.grouping
        if g is None:
            return len(self.spec.parameter_names)
        return len(g.pooled) + len(g.varying) * (len(g.groups) + 2)

    def describe_run(self, index: int) -> str:
        """Run ``index`` of the fitted data in words: its inputs and y, by the user's columns."""
        obs = self.observations
        inputs = ", ".join(f"{obs.columns[k]}={v[index]:.4g}" for k, v in obs.x.items())
        group = "" if obs.groups is None else f", {self.grouping.column}=" \
            f"{self.groups[obs.groups[index]]}"
        return f"run {index} ({inputs}{group}, {obs.y_column}={obs.y[index]:.4g})"

    def summary(self, prob: float = 0.9) -> pd.DataFrame:
        """Posterior table: mean, sd, median, equal-tailed interval, R-hat and ESS (printed
        whole: ``print(fit.summary())`` shows every column).

        A grouped fit has a row per group of each varying parameter (``E[rpj]``) and the
        population rows ``E_pop`` (typical group) and ``E_tau`` (between-group sd, sampling
        scale). The number of divergent transitions is in ``table.attrs["divergences"]``.
        """
        prob = check_prob(prob)
        names = list(self.spec.posterior_names)
        post = self.posterior[names]
        multi = post.sizes["chain"] > 1
        rhat = az.rhat(post) if multi else None
        bulk, tail = az.ess(post, method="bulk"), az.ess(post, method="tail")
        level = int(round(prob * 100))
        rows = {}
        for name in names:
            cells = [(name, {})] if GROUP_DIM not in post[name].dims else [
                (f"{name}[{g}]", {GROUP_DIM: g}) for g in self.groups]
            for label, sel in cells:
                values = np.asarray(post[name].sel(sel).values).ravel()
                lower, upper = np.quantile(values, [(1 - prob) / 2, (1 + prob) / 2])
                rows[label] = {
                    "mean": values.mean(), "sd": values.std(ddof=1), "median": np.median(values),
                    f"eti{level}_lower": lower, f"eti{level}_upper": upper,
                    "ess_bulk": float(bulk[name].sel(sel)), "ess_tail": float(tail[name].sel(sel)),
                    "r_hat": float(rhat[name].sel(sel)) if multi else np.nan,
                }
        table = WholeFrame(pd.DataFrame.from_dict(rows, orient="index"))
        table.attrs["divergences"] = self.diagnostics().divergences
        table.attrs["dropped_chains"] = self.diagnostics().dropped_chains
        return table

    def prior_vs_posterior(self, prob: float = 0.9, **kwargs) -> pd.DataFrame:
        """Each parameter's prior and posterior and the ratio of their spreads: how much the
        priors carry (see :func:`bayeslaws.prior_weight.prior_vs_posterior`)."""
        return prior_weight.prior_vs_posterior(self, prob=prob, **kwargs)

    def loo(self, **kwargs):
        """Pareto-smoothed importance-sampling LOO (``arviz.loo``) on the stored log-likelihood.

        Without options (or with ``pointwise=True`` only) this is the result the fit's
        diagnostics computed once, returned as a copy; other options recompute it.
        """
        cached = self.diagnostics().loo if set(kwargs) <= {"pointwise"} \
            and kwargs.get("pointwise", True) else None
        if cached is not None:
            return copy.copy(cached)
        return az.loo(self.trace, **kwargs)

    # -- densities of new runs ------------------------------------------------------------
    def observations_from(self, data: Any, y: str | None = None,
                          group: str | None = None) -> Observations:
        """Runs of ``data`` (a table with this fit's columns) as observations of this fit.

        Parameters
        ----------
        data : DataFrame or dict of columns
            Runs with a value of every input, of ``y`` and of any extra column (e.g. the
            number of questions of a Binomial likelihood); for a grouped fit, the group column
            (labels of fitted groups or ``"new"``) unless ``group`` is given.
        y : str, optional
            Column of y; default: the column the fit was fitted on.
        group : str, optional
            Grouped fits: the group of every run (a fitted label or ``"new"``).
        """
        frame = as_frame(data)
        columns = dict(self.settings.columns)
        y_column = self.settings.y_column if y is None else y
        x = {name: numeric_column(frame, col, f"input {name}",
                                  positive=name not in self.law.linear_inputs)
             for name, col in columns.items()}
        yv = numeric_column(frame, y_column, "y", positive=self.law.link == "log")
        extra = {role: numeric_column(frame, col, role, positive=True)
                 for role, col in self.settings.extra_columns.items()}
        return Observations.of(x, yv, columns, y_column, self.law.link == "log", extra,
                               self._point_groups(frame, group, len(yv)),
                               linear=self.law.linear_inputs)

    def pointwise_log_likelihood(self, data: Any, y: str | None = None,
                                 random_seed: int | None = 0,
                                 group: str | None = None) -> xr.DataArray:
        """Log density of each run of ``data`` under each posterior draw: dims chain, draw, obs.

        The same density as the stored ``log_likelihood`` group (of ``log y`` for log-scale
        likelihoods), so values for new runs (held out, or left out by an exact refit) are
        comparable with LOO's. Runs of a grouped fit are scored under their group's parameters
        (``data``'s group column, or ``group``); runs of a new group (label ``"new"``) under one
        new group per posterior draw, drawn from the population with ``random_seed``.
        """
        return pointwise_log_likelihood(self.spec, self.observations_from(data, y, group),
                                        self.posterior, self.observations,
                                        np.random.default_rng(random_seed))

    def log_density(self, data: Any, y: str | None = None, **options) -> np.ndarray:
        """Log posterior-predictive density of new runs: ``log mean_s p(y_i | theta_s)``.

        Parameters
        ----------
        data : DataFrame or dict of columns
            Measured runs (e.g. held out at larger scale) with this fit's columns.
        y : str, optional
            Column of y; default: the column the fit was fitted on.
        **options
            Passed to :meth:`pointwise_log_likelihood` (``group``, ``random_seed``).

        Returns
        -------
        ndarray
            One value per run: its expected log predictive density.
        """
        values = np.asarray(self.pointwise_log_likelihood(data, y, **options))
        values = values.reshape(-1, values.shape[-1])
        return np.logaddexp.reduce(values, axis=0) - np.log(values.shape[0])

    # -- forecasts ------------------------------------------------------------------------
    def predictive_draws(self, at: Any, kind: Kind = "predictive", random_seed: int | None = 0,
                         group: str | None = None) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Draws of y at new scales: ``(inputs, array of shape (S, points))``.

        Parameters
        ----------
        at : dict or DataFrame
            Values of every law input (grouped fits: optionally with the group column).
        kind : {"predictive", "mean"}
            ``"mean"``: the law's curve (parameter uncertainty only); ``"predictive"`` adds
            observation noise, i.e. what a new training run would measure.
        random_seed : int, optional
            Seed of the noise and new-group draws.
        group : str, optional
            Grouped fits: a fitted group's label, or ``"new"`` for an unseen group drawn from
            the population. Default: ``at``'s group column if it has one, else ``"new"``.
        """
        check_choice("kind", kind, KINDS)
        frame = self.with_input_names(prediction_frame(at, self.group_columns))
        x = prediction_inputs(self.law, frame)
        points = len(frame)
        rng = np.random.default_rng(random_seed)
        params = parameters_at(self.spec, self.posterior, self.observations,
                               self._point_groups(frame, group, points), rng)
        extra = self._prediction_extra(frame, points) if kind == "predictive" else {}
        return x, np.asarray(draw_y(self.spec, params, x, points, kind, extra, rng))

    def with_input_names(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with the fitted data's column names (e.g. ``"Model Size"``) renamed to the
        law's input names (``"N"``), where the input's own name is not a column already."""
        rename = {col: name for name, col in self.settings.columns.items()
                  if col != name and col in frame.columns and name not in frame.columns}
        return frame.rename(columns=rename) if rename else frame

    def _prediction_extra(self, at: Any, points: int) -> dict[str, np.ndarray]:
        """Extra likelihood columns at new points (e.g. binomial ``trials``): ``at``'s column
        named like the role (``"trials"``) or the fitted column, else the fitted values' median."""
        out = {}
        for role, values in self.observations.extra.items():
            keys = (role, self.settings.extra_columns.get(role))
            given = next((at[k] for k in keys if k is not None and has_key(at, k)), None)
            out[role] = (np.full(points, np.median(values)) if given is None else
                         np.broadcast_to(np.asarray(given, dtype=float).ravel(), (points,)))
        return out

    def predict(self, at: Mapping[str, Any] | pd.DataFrame, prob: float = 0.9,
                kind: Kind = "predictive", random_seed: int | None = 0,
                group: str | None = None, inputs: bool = True) -> pd.DataFrame:
        """Forecast y at new scales with an equal-tailed interval.

        Parameters
        ----------
        at : dict or DataFrame
            Values of every law input, e.g. ``{"N": [7e10], "D": [1.4e12]}``, named by the
            law's inputs or by the columns of the fitted data (e.g. ``"Model Size"``).
        prob : float
            Probability of the interval (0.9 gives the 5% and 95% quantiles).
        kind : {"predictive", "mean"}
            With observation noise (a new run's measurement) or the law's curve alone.
        random_seed : int, optional
            Seed of the noise draws; the default makes repeated calls identical.
        group : str, optional
            Grouped fits: as in :meth:`predictive_draws`.
        inputs : bool
            ``False`` leaves out the input (and group) columns, so that the forecast joins the
            table it was made from: ``df.join(fit.predict(df, inputs=False))``.

        Returns
        -------
        DataFrame
            The inputs (and, for a grouped fit, a column named like the group column, ``"new"``
            for a new group), then ``mean``, ``median``, ``lower``, ``upper``; indexed like
            ``at`` when it is a DataFrame. ``mean`` is the mean of the law's curve when a new
            run's y has no finite mean (``likelihood="studentt"``: ``exp`` of Student-t
            noise), so it is always finite. Then, per input, ``beyond_<input>`` (decades beyond
            the fitted runs' range, negative below it, 0 inside) and ``beyond_<input>_span``
            (as a multiple of the data's span), see :mod:`bayeslaws.extrapolation`; an
            :class:`~bayeslaws.exceptions.ExtrapolationWarning` says once when points lie
            outside. ``table.attrs["prob"]`` holds ``prob``.
        """
        prob = check_prob(prob)
        x, values = self.predictive_draws(at, kind=kind, random_seed=random_seed, group=group)
        index = at.index if isinstance(at, pd.DataFrame) else None
        table = WholeFrame(x, index=index)
        if self.grouping is not None:
            index = self._point_groups(prediction_frame(at, self.group_columns), group,
                                       values.shape[1])
            table[self.grouping.column] = [self.groups[i] if i >= 0 else NEW for i in index]
        mean = values
        if kind == "predictive" and not self.spec.likelihood.finite_mean:  # no finite mean
            mean = self.predictive_draws(at, "mean", random_seed, group)[1]
        table["mean"] = mean.mean(axis=0)
        table["median"] = np.median(values, axis=0)
        table["lower"], table["upper"] = np.quantile(values, [(1 - prob) / 2, (1 + prob) / 2],
                                                     axis=0)
        table = flag(table, data_ranges(self.observations), x, "Fit.predict")
        table.attrs["prob"] = prob
        if not inputs:
            table = table.drop(columns=[c for c in table.columns if c in x
                                        or (self.grouping is not None
                                            and c == self.grouping.column)])
        return table

    # -- decisions (bayeslaws.decisions) -------------------------------------------------
    def prob_below(self, at: Mapping[str, Any] | pd.DataFrame, target, kind: Kind = "predictive",
                   random_seed: int | None = 0) -> pd.DataFrame:
        """Probability that y at each scale is below ``target`` (see bayeslaws.decisions)."""
        return decisions.prob_below(self, at, target, kind=kind, random_seed=random_seed)

    def scale_for(self, target: float, along: str | None = None,
                  fixed: Mapping[str, float] | None = None, **kwargs):
        """Posterior of the scale reaching ``target`` (see bayeslaws.decisions.scale_for)."""
        return decisions.scale_for(self, target, along=along, fixed=fixed, **kwargs)

    def compute_optimal(self, C, flops=None, **kwargs):
        """Compute-optimal N, D per budget (see bayeslaws.optimal.compute_optimal)."""
        return optimal.compute_optimal(self, C, flops=flops, **kwargs)

    # -- persistence and plots -----------------------------------------------------------
    def save(self, path: str | Path, precision: str = "float64",
             predictive: bool = True) -> Path:
        """Write the fit to one netCDF file (atomically); read it back with ``bayeslaws.load``.

        ``precision="float32"`` stores the draws and log-likelihood in single precision: half
        the file, quantiles changed by about 1e-8 relative (see :func:`bayeslaws.io.save`).
        ``predictive=False`` leaves out the ``posterior_predictive``, ``prior`` and
        ``prior_predictive`` groups (see :mod:`bayeslaws.groups`) for a smaller file.
        """
        trace = self.trace if predictive else without_predictive_groups(self.trace)
        return io.save(trace, self.config, self.spec.priors, path, precision=precision)

    def plot(self, **kwargs):
        """Log-log plot of data, posterior median and interval bands (see bayeslaws.plots); a
        grouped fit gets one colour per group."""
        return plots.plot_fit(self, **kwargs)


def load(path: str | Path) -> Fit:
    """Read a fit written by :meth:`Fit.save` (see :func:`bayeslaws.io.read`).

    Raises
    ------
    FitFileError
        If the file is missing, damaged, not a bayeslaws fit, from a newer format, or of a law
        that is not registered in this session.
    """
    tree, spec, settings, version = io.read(path)
    fit = Fit(tree, spec, settings)
    fit.format_version = version
    return fit
