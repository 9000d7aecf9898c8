"""The result of a fit: posterior, summary, diagnostics, forecasts, saving."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from bayeslaws import diagnostics as diag_mod
from bayeslaws.data import Observations, as_frame, numeric_column, prediction_inputs, summarise
from bayeslaws.exceptions import BayesLawsError
from bayeslaws.model import ModelSpec
from bayeslaws.trace import OBS_DIM, pointwise_log_likelihood, posterior_arrays

Kind = Literal["predictive", "mean"]


def _check_prob(prob: float) -> float:
    if not 0 < prob < 1:
        raise BayesLawsError(
            f"prob must be between 0 and 1 (e.g. 0.9 for a 90% interval); got {prob!r}."
        )
    return float(prob)


class Fit:
    """A fitted scaling law: the posterior of its parameters and everything derived from it.

    Obtain one with :func:`bayeslaws.fit` or :func:`bayeslaws.load`.

    Attributes
    ----------
    law : Law
        The law family.
    spec : ModelSpec
        Law, likelihood and priors as fitted.
    trace : xarray.DataTree
        Posterior, sample_stats, log_likelihood, observed_data and constant_data groups.
    config : dict
        Settings stored with the fit (sampler, seeds, columns, versions).
    """

    #: Columns of group labels that forecasts and densities take (hierarchical fits: one).
    group_columns: tuple[str, ...] = ()
    #: Whether the law was fitted with partial pooling over groups.
    is_grouped: bool = False

    def __init__(self, trace: xr.DataTree, spec: ModelSpec, config: dict[str, Any]) -> None:
        self.trace = trace
        self.spec = spec
        self.law = spec.law
        self.config = config
        self._diagnostics: diag_mod.Diagnostics | None = None

    def __repr__(self) -> str:
        post = self.posterior
        return (
            f"<bayeslaws.Fit law={self.law.name!r} likelihood={self.spec.likelihood.name!r} "
            f"n={self.observations.n} draws={post.sizes['chain']}x{post.sizes['draw']} "
            f"sampler={self.config.get('sampler')!r}>"
        )

    # -- data and posterior -------------------------------------------------------------
    @property
    def posterior(self) -> xr.Dataset:
        """Posterior draws of the paper's parameters (and noise parameters), dims chain, draw."""
        return self.trace["posterior"].to_dataset()

    @property
    def priors(self) -> dict:
        return dict(self.spec.priors)

    @property
    def observations(self) -> Observations:
        const = self.trace["constant_data"].to_dataset()
        x = {name: const[name].values for name in self.law.inputs}
        extra = {k[len("extra_"):]: const[k].values for k in const.data_vars
                 if k.startswith("extra_")}
        y = self.trace["observed_data"].to_dataset()["y"].values
        return Observations(
            x=x, y=y, columns=dict(self.config["columns"]), y_column=self.config["y_column"],
            summary=summarise(x, y, self.law.link == "log"), extra=extra,
        )

    def data(self) -> pd.DataFrame:
        """The fitted data as a table, with the user's column names."""
        obs = self.observations
        frame = {obs.columns[name]: values for name, values in obs.x.items()}
        frame[obs.y_column] = obs.y
        return pd.DataFrame(frame)

    def draws(self, names=None) -> dict[str, np.ndarray]:
        """Posterior draws flattened over chains, as ``{name: array of shape (S,)}``."""
        names = self.spec.parameter_names if names is None else names
        return {k: v[:, 0] for k, v in posterior_arrays(self.posterior, names).items()}

    # -- summaries ------------------------------------------------------------------------
    def diagnostics(self) -> diag_mod.Diagnostics:
        """Divergences, R-hat and ESS per parameter, with a sentence per problem."""
        if self._diagnostics is None:
            self._diagnostics = diag_mod.compute(self.trace, self.spec.parameter_names,
                                                 self.config.get("target_accept"),
                                                 self.config.get("adaptation"))
        return self._diagnostics

    def summary(self, prob: float = 0.9) -> pd.DataFrame:
        """Posterior table: mean, sd, median, equal-tailed interval, R-hat and ESS.

        The number of divergent transitions is in ``table.attrs["divergences"]``.
        """
        prob = _check_prob(prob)
        q_lo, q_hi = (1 - prob) / 2, (1 + prob) / 2
        draws = self.draws()
        diag = self.diagnostics()
        rows = {}
        for name, values in draws.items():
            rows[name] = {
                "mean": values.mean(),
                "sd": values.std(ddof=1),
                "median": np.median(values),
                f"eti{int(round(prob * 100))}_lower": np.quantile(values, q_lo),
                f"eti{int(round(prob * 100))}_upper": np.quantile(values, q_hi),
                "ess_bulk": diag.table.loc[name, "ess_bulk"],
                "ess_tail": diag.table.loc[name, "ess_tail"],
                "r_hat": diag.table.loc[name, "r_hat"],
            }
        table = pd.DataFrame.from_dict(rows, orient="index")
        table.attrs["divergences"] = diag.divergences
        return table

    def loo(self, **kwargs):
        """Pareto-smoothed importance-sampling LOO (``arviz.loo``) on the stored log-likelihood."""
        return az.loo(self.trace, **kwargs)

    # -- densities of new runs ------------------------------------------------------------
    def observations_from(self, data: Any, y: str | None = None) -> Observations:
        """Runs of ``data`` (a table with this fit's columns) as observations of this fit.

        Parameters
        ----------
        data : DataFrame or dict of columns
            Runs with a value of every input, of ``y`` and of any extra column (e.g. the
            number of questions of a Binomial likelihood).
        y : str, optional
            Column of y; default: the column the fit was fitted on.
        """
        frame = as_frame(data)
        cfg = self.config
        columns = dict(cfg["columns"])
        y_column = cfg["y_column"] if y is None else y
        x = {name: numeric_column(frame, col, f"input {name}", positive=True)
             for name, col in columns.items()}
        yv = numeric_column(frame, y_column, "y", positive=self.law.link == "log")
        extra = {role: numeric_column(frame, col, role, positive=True)
                 for role, col in (cfg.get("extra_columns") or {}).items()}
        return Observations(x=x, y=yv, columns=columns, y_column=y_column,
                            summary=summarise(x, yv, self.law.link == "log"), extra=extra)

    def pointwise_log_likelihood(self, data: Any, y: str | None = None) -> xr.DataArray:
        """Log density of each run of ``data`` under each posterior draw: dims chain, draw, obs.

        The same density as the stored ``log_likelihood`` group (of ``log y`` for log-scale
        likelihoods), so values for new runs (held out, or left out by an exact refit) are
        comparable with LOO's.
        """
        return pointwise_log_likelihood(self.spec, self.observations_from(data, y), self.posterior)

    def log_density(self, data: Any, y: str | None = None, **options) -> np.ndarray:
        """Log posterior-predictive density of new runs: ``log mean_s p(y_i | theta_s)``.

        Parameters
        ----------
        data : DataFrame or dict of columns
            Measured runs (e.g. held out at larger scale) with this fit's columns.
        y : str, optional
            Column of y; default: the column the fit was fitted on.
        **options
            Passed to :meth:`pointwise_log_likelihood` (hierarchical fits: ``group``,
            ``random_seed``).

        Returns
        -------
        ndarray
            One value per run: its expected log predictive density.
        """
        values = np.asarray(self.pointwise_log_likelihood(data, y, **options))
        values = values.reshape(-1, values.shape[-1])
        return np.logaddexp.reduce(values, axis=0) - np.log(values.shape[0])

    # -- forecasts ------------------------------------------------------------------------
    def predictive_draws(self, at: Any, kind: Kind = "predictive",
                         random_seed: int | None = 0) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Draws of y at new scales: ``(inputs, array of shape (S, points))``.

        ``kind="mean"`` gives the law's curve (parameter uncertainty only); ``"predictive"``
        adds observation noise, i.e. what a new training run would measure.
        """
        if kind not in ("predictive", "mean"):
            raise BayesLawsError(f"kind must be 'predictive' or 'mean', got {kind!r}.")
        x = prediction_inputs(self.law, at)
        params = posterior_arrays(self.posterior, self.spec.parameter_names)
        link_mean = self.law.evaluate({p.name: params[p.name] for p in self.law.parameters}, x)
        if kind == "mean":
            values = np.exp(link_mean) if self.law.link == "log" else link_mean
        else:
            rng = np.random.default_rng(random_seed)
            lik = {p.name: params[p.name] for p in self.spec.likelihood.parameters}
            lik.update(self._prediction_extra(at, link_mean.shape[-1]))
            values = self.spec.likelihood.draw(link_mean, lik, rng)
        return x, np.asarray(values)

    def _prediction_extra(self, at: Any, points: int) -> dict[str, np.ndarray]:
        """Extra likelihood columns at new points (e.g. binomial ``trials``).

        Taken from ``at`` when it has a column named like the role (``"trials"``) or like the
        fitted column; otherwise the median of the fitted data's values.
        """
        fitted = self.observations.extra
        columns = dict(self.config.get("extra_columns", {}))
        out = {}
        for role, values in fitted.items():
            keys = [k for k in (role, columns.get(role)) if k is not None]
            given = next((at[k] for k in keys if hasattr(at, "__getitem__") and _has(at, k)),
                         None)
            if given is None:
                out[role] = np.full(points, np.median(values))
            else:
                out[role] = np.broadcast_to(np.asarray(given, dtype=float).ravel(), (points,))
        return out

    def predict(self, at: Mapping[str, Any] | pd.DataFrame, prob: float = 0.9,
                kind: Kind = "predictive", random_seed: int | None = 0) -> pd.DataFrame:
        """Forecast y at new scales with an equal-tailed interval.

        Parameters
        ----------
        at : dict or DataFrame
            Values of every law input, e.g. ``{"N": [7e10], "D": [1.4e12]}``.
        prob : float
            Probability of the interval (0.9 gives the 5% and 95% quantiles).
        kind : {"predictive", "mean"}
            With observation noise (a new run's measurement) or the law's curve alone.
        random_seed : int, optional
            Seed of the noise draws; the default makes repeated calls identical.

        Returns
        -------
        DataFrame
            The inputs, then ``mean``, ``median``, ``lower``, ``upper``.
        """
        prob = _check_prob(prob)
        x, values = self.predictive_draws(at, kind=kind, random_seed=random_seed)
        table = pd.DataFrame(x)
        table["mean"] = values.mean(axis=0)
        table["median"] = np.median(values, axis=0)
        table["lower"] = np.quantile(values, (1 - prob) / 2, axis=0)
        table["upper"] = np.quantile(values, (1 + prob) / 2, axis=0)
        return table

    # -- decisions (bayeslaws.decisions) -------------------------------------------------
    def prob_below(self, at: Mapping[str, Any] | pd.DataFrame, target, kind: Kind = "predictive",
                   random_seed: int | None = 0) -> pd.DataFrame:
        """Probability that y at each scale is below ``target`` (see bayeslaws.decisions)."""
        from bayeslaws.decisions import prob_below

        return prob_below(self, at, target, kind=kind, random_seed=random_seed)

    def scale_for(self, target: float, along: str | None = None,
                  fixed: Mapping[str, float] | None = None, **kwargs):
        """Posterior of the scale reaching ``target`` (see bayeslaws.decisions.scale_for)."""
        from bayeslaws.decisions import scale_for

        return scale_for(self, target, along=along, fixed=fixed, **kwargs)

    def compute_optimal(self, C, flops=None, **kwargs):
        """Compute-optimal N, D per budget (see bayeslaws.optimal.compute_optimal)."""
        from bayeslaws.optimal import compute_optimal

        return compute_optimal(self, C, flops=flops, **kwargs)

    # -- persistence and plots -----------------------------------------------------------
    def save(self, path: str | Path, precision: str = "float64") -> Path:
        """Write the fit to one netCDF file (atomically); read it back with ``bayeslaws.load``.

        ``precision="float32"`` stores the draws and log-likelihood in single precision: half
        the file, quantiles changed by about 1e-8 relative (see :func:`bayeslaws.io.save`).
        """
        from bayeslaws.io import save

        return save(self, path, precision=precision)

    def plot(self, **kwargs):
        """Log-log plot of data, posterior median and interval bands (see bayeslaws.plots)."""
        from bayeslaws.plots import plot_fit

        return plot_fit(self, **kwargs)


def _has(at: Any, key: str) -> bool:
    try:
        return key in at
    except TypeError:
        return False


def n_observations(trace: xr.DataTree) -> int:
    return int(trace["observed_data"].sizes[OBS_DIM])
