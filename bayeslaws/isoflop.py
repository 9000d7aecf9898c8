"""IsoFLOP analysis (Hoffmann et al.'s approach 2) as one Bayesian model.

Runs are grouped by compute budget ``C``. Within a budget the final loss is a parabola in
``log N`` around that budget's optimal size, and the optima lie on a line in logs across
budgets::

    loss_i        = m_k + h_k (log N_i - log N_opt,k)^2 + noise          (run i of budget k)
    log N_opt,k   = n0 + a (log C_k - mean log C) + tau z_k,   z_k ~ Normal(0, 1)

so that ``N_opt ~ C^a`` and, under ``C = 6 N D``, ``D_opt ~ C^b`` with ``b = 1 - a``. Every
budget's optimum, minimum loss ``m_k`` and curvature ``h_k`` are latent and fitted jointly with
``a``: the uncertainty of each budget's optimum (few runs, flat profiles) flows into ``a``
instead of being dropped as in the two-stage point fit (parabola per budget, then a line
through the vertices). ``tau`` is the scatter of the optima about the line (the line's lack of
fit); curvatures are partially pooled (``log h_k = log h0 + tau_h w_k``).

Priors (weakly informative, on the data's scale): ``a`` Normal(0.5, 0.25); ``n0`` Normal(mean
log N of the runs, 2); ``tau`` HalfNormal(0.25) (optima within about 30% of the line);
``m_k`` Normal(the budget's smallest loss, 0.5); ``log h0`` Normal(log of the curvature that
makes the loss rise by the budget's loss range over half its log N range, 1.5), ``tau_h``
HalfNormal(0.5); noise: Student-t (``nu`` Gamma(2, 0.1)) or Normal, scale ``sigma``
HalfNormal(5% of the median loss).

``profile="law"`` replaces the parabola by the Chinchilla law's own profile. Along an IsoFLOP
curve ``C = 6 N D`` the law ``E + A N^-alpha + B D^-beta`` is, in ``x = log N - log N_opt``,
``E + T (exp(-alpha x) + (alpha / beta) exp(beta x))`` (its minimum at ``x = 0``), so::

    loss_i        = E + T_k (exp(-alpha x_i) + (alpha / beta) exp(beta x_i)) + noise
    log N_opt,k   = log G + a log(C_k / 6),     T_k = A N_opt,k^-alpha
    a = beta / (alpha + beta),   G = (alpha A / (beta B))^(1 / (alpha + beta))

(Hoffmann et al.'s eq. 4): exactly the law evaluated at ``D = C_k / (6 N)``, so every
budget's optimum follows from the law's parameters and one joint posterior of ``E, A, B,
alpha, beta`` gives ``a``, ``b``, the line and each budget's optimum. Each run enters on the
profile of its own ``C`` (the law at its own ``D = C / (6 N)``), not of its budget's nominal
``C_k``: the budgets only group the runs (for ``scatter``) and name the optima reported. On
Chinchilla's digitised runs, up to 0.15 decades off their budget, snapping them to the nominal
budgets moved ``a`` by +0.011 (``a = 0.540`` against 0.529 for the ``chinchilla`` law on the
same 211 runs at their own D; 0.514 on all 245). ``scatter=True`` adds ``tau z_k`` to
``log N_opt,k`` (the profile keeps the law's shape about the shifted optimum), as in the
parabola model. Priors as the ``chinchilla`` law's
defaults: ``E`` LogNormal(median 0.6 x the smallest loss, 0.7); ``A``, ``B`` as the size of
their term at the runs' centre (mean ``log N``, mean ``log D``), LogNormal(median a quarter of
the median loss, 1); ``alpha``, ``beta`` LogNormal(log 0.3, 0.6); ``tau``, noise as above.

Results are saved with :meth:`IsoFLOPResult.save` (one netCDF file: the trace, the runs, budgets
and left-out runs as groups, the settings as JSON) and read with :func:`load_isoflop`.

Reference: Hoffmann et al. 2022, "Training Compute-Optimal Large Language Models"
(arXiv:2203.15556), section 3.2 (approach 2, IsoFLOP profiles: a = 0.49, b = 0.51) and eq. 4
(the law's compute-optimal allocation).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pymc as pm
import pytensor
import xarray as xr

from bayeslaws import diagnostics, io
from bayeslaws.checks import check_choice, check_prob
from bayeslaws.exceptions import DataError, FitFileError, OptionError
from bayeslaws.sampling import COMPILE_FLAGS

#: Default width (decades of C) of a budget when budgets are binned from C.
DEFAULT_TOLERANCE = 0.1
#: Fewest runs a budget needs for a parabola (three points fix one).
MIN_RUNS = 3
LIKELIHOODS = ("studentt", "normal")
#: Shapes of each budget's loss curve in log N: a parabola, or the Chinchilla law's profile.
PROFILES = ("parabola", "law")
#: Posterior variables summarised by :meth:`IsoFLOPResult.summary`, per profile.
SCALARS = {"parabola": ("a", "b", "n0", "tau", "sigma"),
           "law": ("a", "b", "n0", "tau", "sigma", "E", "A", "B", "alpha", "beta")}
#: Variables whose sampler health is checked, per profile.
CHECKED = {"parabola": ("a", "n0", "tau", "sigma", "log_N_opt", "L_opt"),
           "law": ("a", "E", "log_A_c", "log_B_c", "alpha", "beta", "tau", "sigma",
                   "log_N_opt")}
#: Root attribute of a saved IsoFLOP result, its format version, and its table groups.
FILE_ATTR, FILE_VERSION = "bayeslaws_isoflop", 1
TABLES = ("runs", "budgets", "excluded")


@dataclass
class IsoFLOPResult:
    """Posterior of an IsoFLOP analysis (see :func:`isoflop`).

    Attributes
    ----------
    trace : xarray.DataTree
        Posterior draws: ``a``, ``b``, ``n0``, ``tau``, ``sigma``, and per budget ``log_N_opt``,
        ``L_opt`` (minimum loss) and ``h`` (curvature; ``profile="law"``: ``T``, the law's
        N-term at the optimum, and ``E``, ``A``, ``B``, ``alpha``, ``beta``), over the
        dimension ``budget``.
    runs : DataFrame
        The runs used: ``N``, ``C``, ``loss`` and their ``budget`` (its C value).
    budgets : DataFrame
        Per budget: ``C``, number of runs, smallest observed loss.
    excluded : DataFrame
        Runs not assigned to any budget (farther than ``tolerance`` from every given budget).
    centre : float
        Mean ``log C`` of the budgets (``n0`` is ``log N_opt`` there).
    diagnostics : Diagnostics
    settings : dict
        How it was fitted (``profile``, likelihood, tolerance, sampler settings).
    """

    trace: xr.DataTree
    runs: pd.DataFrame
    budgets: pd.DataFrame
    excluded: pd.DataFrame
    centre: float
    diagnostics: Any
    settings: dict = field(default_factory=dict)

    @property
    def profile(self) -> str:
        """``"parabola"`` or ``"law"`` (see :func:`isoflop`)."""
        return self.settings.get("profile", "parabola")

    def save(self, path: str | Path) -> Path:
        """Write the result to one netCDF file (atomically); read it with
        :func:`load_isoflop`. Returns the path."""
        tree = self.trace.copy()
        for name in TABLES:
            table = getattr(self, name).reset_index(drop=True)
            tree[f"isoflop_{name}"] = xr.Dataset.from_dataframe(table.rename_axis("row"))
        tree.attrs = {FILE_ATTR: json.dumps({"format_version": FILE_VERSION,
                                             "centre": self.centre,
                                             "settings": self.settings}, default=str)}
        return io.write_tree(tree, path)

    def profile_curve(self, k: int, log_n: np.ndarray) -> np.ndarray:
        """Posterior-median loss curve of budget ``k`` (its position in ``budgets``) at
        ``log N`` values ``log_n``."""
        opt, loss = (np.median(self.draws(v)[:, k]) for v in ("log_N_opt", "L_opt"))
        x = np.asarray(log_n) - opt
        if self.profile == "parabola":
            return loss + np.median(self.draws("h")[:, k]) * x ** 2
        alpha, beta = np.median(self.draws("alpha")), np.median(self.draws("beta"))
        t = np.median(self.draws("T")[:, k])
        return loss + t * (np.exp(-alpha * x) - 1 + alpha / beta * (np.exp(beta * x) - 1))

    def draws(self, name: str) -> np.ndarray:
        """Posterior draws of ``name`` (chains stacked first), shape ``(draws, ...)``."""
        values = self.trace["posterior"][name].values
        return values.reshape((-1,) + values.shape[2:])

    def summary(self, prob: float = 0.9) -> pd.DataFrame:
        """Median and equal-tailed interval of ``a``, ``b``, ``n0``, ``tau``, ``sigma`` (and the
        law's ``E``, ``A``, ``B``, ``alpha``, ``beta`` for ``profile="law"``) and of each
        budget's optimal size ``N_opt[C]`` and minimum loss ``L_opt[C]``."""
        prob = check_prob(prob)
        q = [(1 - prob) / 2, 0.5, (1 + prob) / 2]
        present = self.trace["posterior"].data_vars
        rows = {name: np.quantile(self.draws(name), q) for name in SCALARS[self.profile]
                if name in present}
        log_n = self.draws("log_N_opt")
        loss = self.draws("L_opt")
        for k, c in enumerate(self.budgets["C"]):
            rows[f"N_opt[{c:.3g}]"] = np.exp(np.quantile(log_n[:, k], q))
            rows[f"L_opt[{c:.3g}]"] = np.quantile(loss[:, k], q)
        pct = round(100 * prob)
        return pd.DataFrame(rows, index=[f"eti{pct}_lower", "median", f"eti{pct}_upper"]).T

    def n_opt(self, C: float | Sequence[float], prob: float = 0.9) -> pd.DataFrame:
        """Compute-optimal ``N`` and ``D = C / (6 N)`` at budgets ``C`` on the fitted line
        (``n0 + a (log C - centre)``; the scatter ``tau`` of single budgets is not added)."""
        prob = check_prob(prob)
        c = np.atleast_1d(np.asarray(C, dtype=float))
        if not (np.isfinite(c).all() and (c > 0).all()):
            raise OptionError(f"C must be positive budgets in FLOPs, got {C!r}.")
        log_n = self.draws("n0")[:, None] + self.draws("a")[:, None] * (np.log(c) - self.centre)
        q = [(1 - prob) / 2, 0.5, (1 + prob) / 2]
        n = np.exp(np.quantile(log_n, q, axis=0))
        d = c / (6.0 * n[::-1])
        pct = round(100 * prob)
        return pd.DataFrame({"C": c, f"N_lower{pct}": n[0], "N_opt": n[1], f"N_upper{pct}": n[2],
                             f"D_lower{pct}": d[0], "D_opt": d[1], f"D_upper{pct}": d[2]})

    def plot(self, prob: float = 0.9, axes=None):
        """Left: each budget's runs and posterior median parabola, with its optimum; right:
        the optima against C with the fitted line and its ``prob`` band. Returns the figure."""
        import matplotlib.pyplot as plt

        prob = check_prob(prob)
        if axes is None:
            fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
        fig = axes[0].figure
        colours = plt.cm.viridis(np.linspace(0, 0.9, len(self.budgets)))
        log_n, loss = (np.median(self.draws(v), axis=0) for v in ("log_N_opt", "L_opt"))
        for k, (c, colour) in enumerate(zip(self.budgets["C"], colours, strict=True)):
            rows = self.runs[self.runs["budget"] == c]
            axes[0].scatter(rows["N"], rows["loss"], s=12, color=colour, label=f"{c:.2g}")
            grid = np.linspace(np.log(rows["N"]).min() - 0.3, np.log(rows["N"]).max() + 0.3, 60)
            axes[0].plot(np.exp(grid), self.profile_curve(k, grid), color=colour)
            axes[0].plot(np.exp(log_n[k]), loss[k], marker="v", color=colour, ms=7)
        shape = "parabolas" if self.profile == "parabola" else "Chinchilla-law profiles"
        axes[0].set(xscale="log", xlabel="parameters N", ylabel="loss",
                    title=f"IsoFLOP {shape} (posterior median)")
        axes[0].legend(title="C (FLOPs)", fontsize=7, ncol=2)
        lo, hi = (1 - prob) / 2, (1 + prob) / 2
        opt = self.draws("log_N_opt")
        c = self.budgets["C"].to_numpy()
        axes[1].errorbar(c, np.exp(np.median(opt, axis=0)),
                         yerr=np.abs(np.exp(np.quantile(opt, [lo, hi], axis=0))
                                     - np.exp(np.median(opt, axis=0))),
                         fmt="o", color="k", label=f"budget optima ({round(100 * prob)}%)")
        grid = np.geomspace(c.min() / 3, c.max() * 30, 50)
        line = self.n_opt(grid, prob)
        axes[1].plot(grid, line["N_opt"], color="C3",
                     label=f"N_opt ~ C^a, a = {np.median(self.draws('a')):.3f}")
        axes[1].fill_between(grid, line.iloc[:, 1], line.iloc[:, 3], color="C3", alpha=0.25)
        axes[1].set(xscale="log", yscale="log", xlabel="compute C (FLOPs)",
                    ylabel="optimal parameters N_opt", title="optimum line")
        axes[1].legend(fontsize=8)
        fig.tight_layout()
        return fig


def _column(data: pd.DataFrame, name: str, role: str) -> np.ndarray:
    if name not in data.columns:
        raise DataError(f"isoflop: {role}={name!r} is not a column of the data; columns: "
                        f"{list(data.columns)}.")
    values = pd.to_numeric(data[name], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values <= 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(f"isoflop: column {name!r} ({role}) must hold positive finite numbers, "
                        f"but row {row} has {data[name].iloc[row]!r} ({int(bad.sum())} such "
                        "rows); drop or fix them.")
    return values


def assign_budgets(C: np.ndarray, budgets: Sequence[float] | None,
                   tolerance: float) -> np.ndarray:
    """The budget (a C value) of each run; NaN for runs that fit no budget.

    ``budgets`` given: each run goes to the nearest one in ``log10 C`` if within ``tolerance``
    decades. ``None``: runs sorted by C start a new budget wherever ``log10 C`` jumps by more
    than ``tolerance`` decades from the previous run; a budget's value is its runs' geometric
    mean C.
    """
    log_c = np.log10(C)
    if budgets is not None:
        centres = np.log10(np.asarray(budgets, dtype=float))
        distance = np.abs(log_c[:, None] - centres[None, :])
        nearest = distance.argmin(axis=1)
        out = np.asarray(budgets, dtype=float)[nearest]
        return np.where(distance.min(axis=1) <= tolerance, out, np.nan)
    order = np.argsort(log_c, kind="stable")
    label = np.zeros(C.size, dtype=int)
    label[order] = np.concatenate([[0], np.cumsum(np.diff(log_c[order]) > tolerance)])
    means = {k: 10.0 ** log_c[label == k].mean() for k in np.unique(label)}
    return np.array([means[k] for k in label])


def _options(budgets, tolerance, likelihood, draws, tune, chains, profile="parabola"):
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or not (
            np.isfinite(tolerance) and tolerance > 0):
        raise OptionError(f"isoflop: tolerance must be a positive number of decades of C "
                          f"(e.g. {DEFAULT_TOLERANCE}), got {tolerance!r}.")
    check_choice("likelihood", likelihood, LIKELIHOODS)
    check_choice("profile", profile, PROFILES)
    for name, value, low in (("draws", draws, 1), ("tune", tune, 0), ("chains", chains, 1)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise OptionError(f"isoflop: {name} must be an integer >= {low}, got {value!r}.")
    if budgets is not None and not isinstance(budgets, str):
        values = np.asarray(budgets, dtype=float).ravel()
        if values.size == 0 or not (np.isfinite(values).all() and (values > 0).all()):
            raise OptionError(f"isoflop: budgets must be positive FLOP values or the name of a "
                              f"column of budgets, got {budgets!r}.")


def prepare_runs(data: pd.DataFrame, N: str = "N", D: str | None = None, C: str | None = None,
                 loss: str = "loss", budgets: Sequence[float] | str | None = None,
                 tolerance: float = DEFAULT_TOLERANCE) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The runs with their budget, and the runs left out (see :func:`isoflop`)."""
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"isoflop: data must be a pandas DataFrame, got {type(data).__name__}.")
    if (D is None) == (C is None):
        raise OptionError("isoflop: give exactly one of D= (tokens; C = 6 N D) and C= (FLOPs), "
                          f"got D={D!r}, C={C!r}.")
    n = _column(data, N, "N")
    c = _column(data, C, "C") if C is not None else 6.0 * n * _column(data, D, "D")
    y = _column(data, loss, "loss")
    if isinstance(budgets, str):
        budget = _column(data, budgets, "budgets")
    else:
        budget = assign_budgets(c, budgets, tolerance)
    frame = pd.DataFrame({"N": n, "C": c, "loss": y, "budget": budget}, index=data.index)
    excluded = frame[frame["budget"].isna()]
    runs = frame.dropna(subset=["budget"])
    counts = runs.groupby("budget").size()
    few = counts[counts < MIN_RUNS]
    if len(few):
        raise DataError(
            f"isoflop: budget(s) {[f'{c:.3g}' for c in few.index]} have fewer than {MIN_RUNS} "
            f"runs ({[int(v) for v in few.values]}), too few for a parabola: widen tolerance (now "
            f"{tolerance} decades), merge budgets, or drop those runs.")
    if len(counts) < 3:
        found = [float(c) for c in counts.index]
        raise DataError(f"isoflop: {len(counts)} budget(s) found; the slope of the optimum "
                        f"line needs at least 3 (with tolerance={tolerance} decades the budgets "
                        f"were {found}).")
    same_size = runs.groupby("budget")["N"].nunique()
    if (same_size < MIN_RUNS).any():
        short = [float(c) for c in same_size[same_size < MIN_RUNS].index]
        raise DataError("isoflop: every budget needs at least 3 different model sizes N; "
                        f"budgets {short} do not.")
    return runs, excluded


def build(runs: pd.DataFrame, likelihood: str = "studentt",
          scatter: bool = True) -> tuple[pm.Model, float, pd.DataFrame]:
    """The joint PyMC model of :func:`isoflop`, the centre of ``log C`` and the budget table."""
    table = runs.groupby("budget").agg(runs=("N", "size"), min_loss=("loss", "min"),
                                       loss_range=("loss", lambda v: v.max() - v.min()),
                                       log_n_range=("N", lambda v: np.ptp(np.log(v))))
    table = table.reset_index().rename(columns={"budget": "C"})
    index = pd.Index(table["C"]).get_indexer(runs["budget"])
    log_c = np.log(table["C"].to_numpy())
    centre = float(log_c.mean())
    log_n = np.log(runs["N"].to_numpy())
    y = runs["loss"].to_numpy()
    curvature = np.median(np.maximum(table["loss_range"], 1e-3)
                          / np.maximum(table["log_n_range"] / 2.0, 0.1) ** 2)
    coords = {"budget": table["C"].to_numpy()}
    with pm.Model(coords=coords) as model:
        a = pm.Normal("a", 0.5, 0.25)
        pm.Deterministic("b", 1.0 - a)
        n0 = pm.Normal("n0", float(log_n.mean()), 2.0)
        opt = pm.Deterministic("log_N_opt", n0 + a * (log_c - centre) + _scatter(scatter),
                               dims="budget")
        m = pm.Normal("L_opt", table["min_loss"].to_numpy(), 0.5, dims="budget")
        log_h0 = pm.Normal("log_h0", float(np.log(curvature)), 1.5)
        tau_h = pm.HalfNormal("tau_h", 0.5)
        w = pm.Normal("w", 0.0, 1.0, dims="budget")
        h = pm.Deterministic("h", pm.math.exp(log_h0 + tau_h * w), dims="budget")
        _noise(m[index] + h[index] * (log_n - opt[index]) ** 2, y, likelihood)
    return model, centre, table[["C", "runs", "min_loss"]]


def _scatter(scatter: bool):
    """``tau z_k``, the budgets' optima off the line (0 without ``scatter``)."""
    if not scatter:
        return 0.0
    tau = pm.HalfNormal("tau", 0.25)
    return tau * pm.Normal("z", 0.0, 1.0, dims="budget")


def _noise(mean, y: np.ndarray, likelihood: str) -> None:
    """The observed losses about ``mean`` (inside the model's context)."""
    sigma = pm.HalfNormal("sigma", 0.05 * float(np.median(y)))
    if likelihood == "studentt":
        nu = pm.Gamma("nu", 2.0, 0.1)
        pm.StudentT("loss", nu=nu, mu=mean, sigma=sigma, observed=y)
    else:
        pm.Normal("loss", mu=mean, sigma=sigma, observed=y)


def build_law(runs: pd.DataFrame, likelihood: str = "studentt",
              scatter: bool = False) -> tuple[pm.Model, float, pd.DataFrame]:
    """The joint model of ``profile="law"`` (the Chinchilla law's IsoFLOP profiles, see the
    module docstring), the centre of ``log C`` and the budget table."""
    table = runs.groupby("budget").agg(runs=("N", "size"), min_loss=("loss", "min"))
    table = table.reset_index().rename(columns={"budget": "C"})
    index = pd.Index(table["C"]).get_indexer(runs["budget"])
    log_c = np.log(table["C"].to_numpy())
    centre = float(log_c.mean())
    log_n = np.log(runs["N"].to_numpy())
    log_c_run = np.log(runs["C"].to_numpy())  # each run's own C, not its budget's
    log_d = log_c_run - np.log(6.0) - log_n
    n_bar, d_bar = float(log_n.mean()), float(log_d.mean())
    y = runs["loss"].to_numpy()
    term = float(np.log(0.25 * np.median(y)))
    with pm.Model(coords={"budget": table["C"].to_numpy()}) as model:
        floor = pm.LogNormal("E", float(np.log(0.6 * y.min())), 0.7)
        log_a_c = pm.Normal("log_A_c", term, 1.0)  # log of the N-term at the runs' centre
        log_b_c = pm.Normal("log_B_c", term, 1.0)  # log of the D-term there
        alpha = pm.LogNormal("alpha", float(np.log(0.3)), 0.6)
        beta = pm.LogNormal("beta", float(np.log(0.3)), 0.6)
        log_a, log_b = log_a_c + alpha * n_bar, log_b_c + beta * d_bar
        pm.Deterministic("A", pm.math.exp(log_a))
        pm.Deterministic("B", pm.math.exp(log_b))
        a = pm.Deterministic("a", beta / (alpha + beta))
        pm.Deterministic("b", alpha / (alpha + beta))
        log_g = (pm.math.log(alpha) + log_a - pm.math.log(beta) - log_b) / (alpha + beta)
        pm.Deterministic("n0", log_g + a * (centre - np.log(6.0)))
        opt = pm.Deterministic("log_N_opt", log_g + a * (log_c - np.log(6.0))
                               + _scatter(scatter), dims="budget")
        t = pm.Deterministic("T", pm.math.exp(log_a_c - alpha * (opt - n_bar)), dims="budget")
        pm.Deterministic("L_opt", floor + t * (1.0 + alpha / beta), dims="budget")
        # each run on the profile of its own C (the law at its own D), shifted as its budget
        opt_run = opt[index] + a * (log_c_run - log_c[index])
        t_run = pm.math.exp(log_a_c - alpha * (opt_run - n_bar))
        x = log_n - opt_run
        _noise(floor + t_run * (pm.math.exp(-alpha * x) + alpha / beta * pm.math.exp(beta * x)),
               y, likelihood)
    return model, centre, table[["C", "runs", "min_loss"]]


def isoflop(data: pd.DataFrame, N: str = "N", D: str | None = None, C: str | None = None,
            loss: str = "loss", budgets: Sequence[float] | str | None = None,
            tolerance: float = DEFAULT_TOLERANCE, *, profile: str = "parabola",
            scatter: bool | None = None, likelihood: str = "studentt",
            draws: int = 1000, tune: int = 1000, chains: int = 4, random_seed: int = 0,
            target_accept: float = 0.9, progressbar: bool = False,
            strict: bool = False) -> IsoFLOPResult:
    """IsoFLOP analysis: the compute-optimal exponent ``a`` of ``N_opt ~ C^a`` from runs
    grouped by budget, all budgets fitted jointly (see the module docstring for the model).

    Parameters
    ----------
    data : DataFrame
        One row per training run.
    N : str
        Column of parameter counts.
    D, C : str
        Column of training tokens (then ``C = 6 N D``) or of training FLOPs; exactly one.
    loss : str
        Column of final losses.
    budgets : list of float or str, optional
        The nominal budgets in FLOPs (each run goes to the nearest within ``tolerance``
        decades; runs near none are left out and listed in ``result.excluded``), or a column
        holding each run's budget. ``None``: budgets are binned from C, a new budget starting
        wherever sorted ``log10 C`` jumps by more than ``tolerance``.
    tolerance : float
        Decades of C (default 0.1, a factor of 1.26).
    profile : {"parabola", "law"}
        Each budget's loss curve in log N: a parabola about its optimum (Hoffmann et al.'s
        approach 2), or the Chinchilla law's own IsoFLOP profile, whose optimum line follows
        from the law's parameters (``a = beta / (alpha + beta)``; see the module docstring).
    scatter : bool, optional
        Whether each budget's optimum may scatter about the line (``tau``). Default: yes for
        the parabola, no for the law (its optima are then exactly the law's; on Chinchilla's
        runs a free scatter lets the law trade its line against the profiles' shapes, see
        ``case_studies/isoflop_chinchilla.py``).
    likelihood : {"studentt", "normal"}
        Noise of the loss about each budget's curve.
    draws, tune, chains, random_seed, target_accept, progressbar
        NUTS settings (nutpie).
    strict : bool
        Raise :class:`~bayeslaws.exceptions.SamplerError` on sampler problems instead of
        warning.

    Returns
    -------
    IsoFLOPResult

    Raises
    ------
    DataError, OptionError
        Before any sampling: missing or non-positive columns, neither or both of ``D`` and
        ``C``, budgets with fewer than 3 runs or sizes, fewer than 3 budgets, bad options.
    """
    _options(budgets, tolerance, likelihood, draws, tune, chains, profile)
    runs, excluded = prepare_runs(data, N, D, C, loss, budgets, tolerance)
    if len(excluded):
        warnings.warn(f"isoflop: {len(excluded)} run(s) are farther than {tolerance} decades of "
                      "C from every budget and were left out (result.excluded); widen tolerance "
                      "to keep them.", UserWarning, stacklevel=2)
    if scatter is None:
        scatter = profile == "parabola"
    if not isinstance(scatter, bool | np.bool_):
        raise OptionError(f"isoflop: scatter must be True or False (or None for the profile's "
                          f"default), got {scatter!r}.")
    model, centre, table = (build if profile == "parabola" else build_law)(
        runs, likelihood, bool(scatter))
    import nutpie

    with pytensor.config.change_flags(**COMPILE_FLAGS):
        compiled = nutpie.compile_pymc_model(model)
    trace = nutpie.sample(compiled, draws=draws, tune=tune, chains=chains,
                          seed=int(random_seed), progress_bar=progressbar,
                          target_accept=target_accept)
    diag = diagnostics.compute(trace, _checked(trace, profile), target_accept=target_accept)
    diagnostics.report(diag, strict=strict)
    return IsoFLOPResult(trace=trace, runs=runs.reset_index(drop=True), budgets=table,
                         excluded=excluded, centre=centre, diagnostics=diag,
                         settings={"profile": profile, "scatter": bool(scatter),
                                   "likelihood": likelihood,
                                   "tolerance": tolerance, "draws": draws, "tune": tune,
                                   "chains": chains, "random_seed": random_seed,
                                   "target_accept": target_accept})


def _checked(trace: xr.DataTree, profile: str) -> list[str]:
    return [name for name in CHECKED[profile] if name in trace["posterior"].data_vars]


def load_isoflop(path: str | Path) -> IsoFLOPResult:
    """Read an IsoFLOP result written by :meth:`IsoFLOPResult.save`.

    Raises
    ------
    FitFileError
        No such file, not readable as netCDF, or not a saved IsoFLOP result.
    """
    tree = io.read_tree(path)
    raw = tree.attrs.get(FILE_ATTR)
    if raw is None:
        raise FitFileError(f"{path} is a netCDF file but not a saved IsoFLOP result (no "
                           f"{FILE_ATTR!r} attribute); save one with result.save(path), and "
                           "load saved fits with bl.load.")
    config = json.loads(raw)
    if config.get("format_version", 0) > FILE_VERSION:
        raise FitFileError(f"{path} was written in IsoFLOP file format "
                           f"{config.get('format_version')}; this bayeslaws reads format "
                           f"{FILE_VERSION}. Upgrade bayeslaws.")
    tables = {}
    for name in TABLES:
        group = f"isoflop_{name}"
        if group not in tree.children:
            raise FitFileError(f"{path} lacks the group {group!r}: the file is damaged.")
        tables[name] = tree[group].to_dataset().to_dataframe().reset_index(drop=True)
        del tree[group]
    tree.attrs = {}
    settings = config["settings"]
    profile = settings.get("profile", "parabola")
    diag = diagnostics.compute(tree, _checked(tree, profile),
                               target_accept=settings.get("target_accept"))
    return IsoFLOPResult(trace=tree, runs=tables["runs"], budgets=tables["budgets"],
                         excluded=tables["excluded"], centre=float(config["centre"]),
                         diagnostics=diag, settings=settings)
