"""Leave-future-out backtests: fit on the small runs, score the forecast of the large ones.

LOO (:mod:`bayeslaws.compare`) measures how well a law interpolates between the runs it was
fitted on; scaling laws are used to extrapolate. :func:`backtest` holds out the runs at the
largest scale (a fraction of the runs, or an explicit mask), fits each law on the rest and
scores the forecast of the held-out runs:

``elpd``
    Sum over held-out runs of the log posterior predictive density (of ``log y`` for the
    log-scale likelihoods, as in the fits' stored log-likelihood); higher is better.
``rmsle``
    Root mean squared error of ``log`` of the posterior predictive median against ``log y``.
``abs_rel_error``
    Mean of ``|median - y| / |y|``.
``coverage_50`` ... ``coverage_99``
    Share of held-out runs inside the central 50%, 60%, 70%, 80%, 90%, 95% and 99%
    predictive intervals (a calibrated forecast covers about 50%, ..., 99%).
``msce``
    Mean squared calibration error over those levels, ``mean (coverage - p)^2``
    (:mod:`bayeslaws.calibration`; NSL-PFN's metric).
``width_50``, ``width_90``
    Median relative width ``(upper - lower) / median`` of the 50% and 90% intervals: how
    sharp the forecast is (a narrow interval is only good if it also covers).

With several laws, a ``stacked`` row scores the stacking average of the laws
(:func:`bayeslaws.compare.average`), with weights computed on the fitting runs only. A backtest
forecasts beyond those runs, so by default (``criterion="auto"``) the weights come from
leave-future-out within them where the runs allow it, else from PSIS-LOO, and the table says
which and why (``table.attrs["criterion"]``, ``table.attrs["criterion_reason"]``).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from bayeslaws.calibration import LEVELS, calibration_scores, check_levels, draw_intervals, pct
from bayeslaws.catalogue import get_law
from bayeslaws.checks import check_choice, has_key
from bayeslaws.compare import AVERAGE_CRITERIA, Average, _Shared, choose_criterion, compare
from bayeslaws.data import as_frame, numeric_column, resolve_inputs
from bayeslaws.discrepancy import Discrepant, with_discrepancy
from bayeslaws.exceptions import BayesLawsError, DataError, LawError, OptionError, choices
from bayeslaws.fitting import fit as fit_law
from bayeslaws.law import Law

#: Interval probabilities whose coverage is scored (those of NSL-PFN's MSCE).
PROBS = LEVELS
#: Name of the row scoring the stacked average.
STACKED = "stacked"
#: Columns of the table returned by :func:`backtest`.
COLUMNS = ("n_fit", "n_heldout", "elpd", "elpd_mean", "rmsle", "abs_rel_error",
           *(f"coverage_{pct(p)}" for p in LEVELS), "msce", "width_50", "width_90",
           "weight", "divergences", "max_rhat")


# -- inputs ---------------------------------------------------------------------------------
def _laws(laws: Any) -> dict[str, Law]:
    """``{name: Law}`` from the ``laws`` of :func:`backtest`."""
    if isinstance(laws, str | Law):
        laws = [laws]
    if isinstance(laws, Mapping):
        items = list(laws.items())
    elif isinstance(laws, Sequence):
        items = [(law if isinstance(law, str) else getattr(law, "name", str(law)), law)
                 for law in laws]
    else:
        raise LawError(
            f"laws must be a law name, a Law, a list of them or a dict of name -> law; got "
            f"{type(laws).__name__}. Example: backtest(['power_law', 'saturating_power_law'], "
            "df, x='x', y='loss').")
    if not items:
        raise LawError(
            "backtest needs at least one law; got none. Give a law name, a Law, a list of "
            "them or a dict of name -> law (see bayeslaws.law_names()).")
    out: dict[str, Law] = {}
    for name, law in items:
        name = str(name)
        if name == STACKED:
            raise LawError(
                f"Law name {STACKED!r} is the name of the stacked-average row; name the law "
                "otherwise, e.g. {'sat': 'saturating_power_law'}.")
        if name in out:
            raise LawError(
                f"Law name {name!r} appears twice; pass a dict to give each law a distinct "
                "name, e.g. {'bnsl1': {'law': 'bnsl', 'law_options': {'breaks': 1}}, ...}.")
        if isinstance(law, Mapping) and "law" not in law:
            raise LawError(
                f"Law spec {name!r} is a dict without a 'law' key: {dict(law)}; give "
                "{'law': <name>, 'law_options': {...}}, e.g. {'law': 'bnsl', "
                "'law_options': {'breaks': 2}}.")
        out[name] = (get_law(law["law"], **dict(law.get("law_options") or {}))
                     if isinstance(law, Mapping) else get_law(law))
    return out


def _check_column(frame: pd.DataFrame, what: str, column: Any, fix: str) -> None:
    if not has_key(frame.columns, column):
        raise DataError(f"{what}={column!r} is not a column of the data; columns: "
                        f"{choices(frame.columns)}. {fix}")


def _check_x_keys(laws: Mapping[str, Law], x: Any) -> None:
    """Refuse keys of a shared ``x`` mapping that are an input of none of the laws (typos)."""
    if not isinstance(x, Mapping):
        return
    inputs = {name for law in laws.values() for name in law.inputs}
    unknown = sorted(str(key) for key in x if key not in inputs)
    if unknown:
        raise DataError(
            f"x maps {unknown}, which no law in the backtest has as an input; the laws' inputs "
            f"are {choices(inputs)}. Map each input to a column, e.g. x={{'N': 'params'}}.")


def scale_of(frame: pd.DataFrame, scale: str | Sequence[str]) -> np.ndarray:
    """Scale of each run: the product of the column(s) ``scale`` (e.g. N * D, proportional to
    compute), each of which must be in ``frame`` and hold finite numbers (a
    :class:`~bayeslaws.exceptions.DataError` says which does not)."""
    columns = [scale] if isinstance(scale, str) else [str(c) for c in scale]
    absent = [c for c in columns if c not in frame.columns]
    if not columns or absent:
        problem = (f"scale column(s) {absent} are not in the data; columns: "
                   f"{choices(frame.columns)}" if columns else "scale names no column")
        raise DataError(f"{problem}. Give the column(s) whose product orders the runs by scale, "
                        "e.g. scale=['params', 'tokens'].")
    values = np.ones(len(frame))
    for column in dict.fromkeys(columns):
        values = values * numeric_column(frame, column, "the holdout's scale", positive=False)
    return values


def _largest(size: np.ndarray, k: int) -> np.ndarray:
    """Mask of the ``k`` largest values of ``size`` (and of any tied with the k-th)."""
    return size >= np.sort(size)[size.size - k]


def _check_fraction(holdout: Any) -> float:
    """``holdout`` as a fraction in (0, 1), or a :class:`DataError` saying what it may be."""
    if isinstance(holdout, bool | np.bool_) or not isinstance(holdout, int | float | np.number) \
            or not 0 < float(holdout) < 1:
        raise DataError(
            f"holdout must be a fraction strictly between 0 and 1 (e.g. 0.2 holds out the "
            f"largest 20% of runs), a boolean mask or a column of 0/1 flags; got {holdout!r}.")
    return float(holdout)


def holdout_mask(frame: pd.DataFrame, holdout: Any, scale: str | Sequence[str]) -> np.ndarray:
    """Boolean mask of the held-out runs.

    Parameters
    ----------
    frame : DataFrame
        The runs.
    holdout : float or array of bool or str
        A fraction in (0, 1): the runs with the largest scale, as many as ``ceil(fraction * n)``
        (ties at the cut are all held out); a boolean array (True = held out); or the name of a
        column of booleans or 0/1 values (1 = held out).
    scale : str or list of str
        Column(s) whose product measures a run's scale.

    Raises
    ------
    DataError
        A fraction outside (0, 1), a column not in ``frame``, a mask of the wrong length or with
        values other than 0/1, or a holdout that leaves no run to fit or none to score.
    """
    n = len(frame)
    what = "The holdout mask"
    if isinstance(holdout, str):
        _check_column(frame, "holdout", holdout, "Give a fraction (e.g. 0.2), a boolean mask "
                      "or a column of 0/1 flags (1 = held out).")
        what = f"The holdout column {holdout!r}"
        holdout = frame[holdout].to_numpy()
    if np.ndim(holdout) == 0:
        mask = _largest(scale_of(frame, scale), int(np.ceil(_check_fraction(holdout) * n)))
    else:
        raw = np.asarray(holdout)
        if raw.shape != (n,):
            raise DataError(
                f"{what} has shape {raw.shape} but the data has {n} rows; give one "
                "flag per row (True = held out).")
        if raw.dtype != bool:
            try:
                values = set(pd.unique(raw).tolist())
            except TypeError:  # pragma: no cover - unhashable entries
                values = {"unhashable values"}
            if not values <= {0, 1}:
                odd = sorted(map(repr, values - {0, 1}))[:5]
                raise DataError(
                    f"{what} must hold booleans or 0/1 flags (1 = held out); got values "
                    f"{', '.join(odd)}. Convert it, e.g. (df['step'] > 1000).astype(int).")
        mask = raw.astype(bool)
    if mask.all() or not mask.any():
        raise DataError(
            f"The holdout leaves {int((~mask).sum())} runs to fit and {int(mask.sum())} to "
            "score; both must be non-empty. Choose a smaller fraction or another mask.")
    return mask


def grouped_holdout_mask(frame: pd.DataFrame, holdout: Any, scale: str | Sequence[str],
                         group: str) -> np.ndarray:
    """:func:`holdout_mask` with a fraction applied within each group of ``group``.

    Each group with at least two runs holds out its own largest runs (as many as
    ``ceil(fraction * runs)``, always leaving one to fit), so every group is forecast beyond
    its own range; a group with a single run keeps it for fitting. Masks and flag columns are
    used as given (``group`` must be a column all the same).
    """
    _check_column(frame, "group", group, "Give the column of group labels, e.g. group='family'.")
    if isinstance(holdout, str) or np.ndim(holdout) != 0:
        return holdout_mask(frame, holdout, scale)
    fraction = _check_fraction(holdout)
    size = scale_of(frame, scale)
    mask = np.zeros(len(frame), dtype=bool)
    for rows in frame.groupby(group, sort=False).indices.values():
        if len(rows) < 2:
            continue
        mask[rows] = _largest(size[rows], min(int(np.ceil(fraction * len(rows))), len(rows) - 1))
        if mask[rows].all():  # ties at the smallest scale: keep the first run for fitting
            mask[rows[0]] = False
    if not mask.any():
        raise DataError(
            f"holdout={holdout!r} within groups of {group!r} holds out no run; every group has "
            "a single run. Give a mask (True = held out), or backtest without group=.")
    return mask


def _heldout_at(fits: Sequence[Any], columns: Mapping[str, str],
                heldout: pd.DataFrame) -> pd.DataFrame:
    """Prediction points of the held-out runs for ``fits``: their inputs, and the group column
    of hierarchical ones (groups they were not fitted on become ``"new"``)."""
    at = pd.DataFrame({inp: heldout[col].to_numpy(dtype=float) for inp, col in columns.items()})
    for fit in fits:
        for column in fit.group_columns:
            at[column] = fit.as_known_groups(heldout)[column].to_numpy()
    return at


# -- scoring --------------------------------------------------------------------------------
def score(y: np.ndarray, median: np.ndarray, intervals: Mapping[float, tuple],
          log_density: np.ndarray) -> dict[str, float]:
    """Scores (see the module docstring) of forecasts of held-out runs, from their measured
    ``y``, predictive ``median`` and ``log_density``: ``n_heldout``, ``elpd``, ``elpd_mean``,
    ``rmsle``, ``abs_rel_error``, then ``coverage_<100 p>`` for each central predictive
    interval of ``intervals`` ``{prob: (lower, upper)}`` (closed: a run on a bound is covered),
    ``msce`` over those levels and ``width_50``/``width_90`` where those levels are given
    (:func:`bayeslaws.calibration.calibration_scores`)."""
    y, median, log_density = (np.asarray(a, dtype=float) for a in (y, median, log_density))
    return {
        "n_heldout": int(y.size),
        "elpd": float(log_density.sum()),
        "elpd_mean": float(log_density.mean()),
        "rmsle": float(np.sqrt(np.mean((np.log(median) - np.log(y)) ** 2))),
        "abs_rel_error": float(np.mean(np.abs(median - y) / np.abs(y))),
        **calibration_scores(y, median, intervals),
    }


def _forecast(model: Any, at: pd.DataFrame, heldout: pd.DataFrame,
              y_column: str, probs: Sequence[float], seed: int) -> tuple[dict, pd.DataFrame]:
    """Scores and per-run forecasts of a Fit or an Average on the held-out runs.

    One set of predictive draws gives every interval (the quantiles :meth:`predict` would
    give with the same seed: plain for a Fit, weighted for an Average's mixture)."""
    if hasattr(model, "weighted_draws"):
        _, values, weights = model.weighted_draws(at, random_seed=seed)
    else:
        values, weights = model.predictive_draws(at, random_seed=seed)[1], None
    median, intervals = draw_intervals(values, probs, weights)
    scored = heldout.copy()
    for column in getattr(model, "group_columns", ()):
        scored[column] = at[column]  # unseen groups as "new"
    density = model.log_density(scored, y=y_column)
    y = heldout[y_column].to_numpy(dtype=float)
    points = pd.DataFrame({"y": y, "median": median, "log_density": density})
    for prob, (lower, upper) in intervals.items():
        points[f"lower_{pct(prob)}"] = lower
        points[f"upper_{pct(prob)}"] = upper
    return score(y, median, intervals, density), points


def _with_discrepancy(fit: Any, name: str, seed: int, asked: bool | str) -> tuple[Any, str]:
    """``fit`` with its learned discrepancy, and what was done: with too few runs to learn one
    (or, under ``"auto"``, a law not on a log link), the plain fit's forecasts and why (a
    warning when the discrepancy was asked for by ``True``)."""
    if asked == "auto" and fit.law.link != "log":
        return fit, f"off: law {fit.law.name!r} is not on a log link"
    try:
        return with_discrepancy(fit, random_seed=seed), "on"
    except DataError as err:
        if asked is True:
            warnings.warn(f"backtest: law {name!r} scored without discrepancy: {err}",
                          stacklevel=3)
        return Discrepant(fit, 0.0), f"off: {err}"


# -- the backtest ---------------------------------------------------------------------------
def backtest(laws: Any, data: Any, x: Mapping[str, str] | str | None = None, y: str = "y", *,
             holdout: Any = 0.2, scale: str | Sequence[str] | None = None,
             stacked: bool = True, probs: Sequence[float] = PROBS,
             errors: str = "raise", random_seed: int = 0, criterion: str = "auto",
             discrepancy: bool | str = "auto", **fit_kwargs) -> pd.DataFrame:
    """Fit laws on the smaller runs and score their forecasts of the largest ones.

    Parameters
    ----------
    laws : str, Law, list or dict
        One law, several, or ``{name: law}`` where a law is a catalogue name, a Law or
        ``{"law": name, "law_options": {...}}`` (so one law can appear with several options,
        e.g. ``bnsl`` with 1 and 2 breaks).
    data : DataFrame or dict of columns
        All runs, fitting and held-out.
    x : dict or str, optional
        Input -> column for every law's inputs (each law uses the inputs it has), or one column
        for one-input laws.
    y : str
        Column of the measured loss.
    holdout : float, array of bool or str
        Fraction of runs at the largest scale to hold out (default 0.2), a boolean mask
        (True = held out) or a column of 0/1 flags (1 = held out). With ``group=`` (a
        hierarchical fit, see below) a fraction applies within each group
        (:func:`grouped_holdout_mask`).
    scale : str or list of str, optional
        Column(s) whose product orders runs by scale for a fractional holdout; default: every
        input column of every law (for ``N`` and ``D`` their product, proportional to compute).
    stacked : bool
        With several laws, add a ``stacked`` row scoring the stacking average (weights from
        the fitting runs only, see ``criterion``).
    probs : sequence of float
        Interval probabilities scored for coverage and MSCE (default :data:`PROBS`: 0.5, 0.6,
        0.7, 0.8, 0.9, 0.95, 0.99).
    errors : {"raise", "skip"}
        What to do when a law cannot be fitted on the fitting runs (e.g. fewer runs than
        parameters): raise, or warn and leave its row empty (``error`` column says why).
    random_seed : int
        Seed of the fits (law k gets ``random_seed + k``) and of predictive draws.
    criterion : {"auto", "loo", "lfo"}
        Where the stacking weights of the ``stacked`` row come from, computed on the fitting
        runs only: leave-one-out (``"loo"``) or leave-future-out along the runs' scale
        (``"lfo"``, :func:`bayeslaws.lfo.lfo`: each larger level forecast from the smaller
        ones, as the held-out runs are), which weights the laws by how they extrapolate (at
        the cost of a few refits per law). ``"auto"`` (default): ``"lfo"`` where the fitting
        runs allow it (enough runs and scales before the first forecast level), else
        ``"loo"`` with the reason (:func:`bayeslaws.compare.choose_criterion`).
    discrepancy : {"auto", True, False}
        Score each law with the discrepancy term of :mod:`bayeslaws.discrepancy` (intervals
        widening beyond the fitting runs at a rate learned by leave-future-out within them,
        at the cost of 4 refits per law); its scale per law is in the ``tau`` column.
        ``"auto"`` (default): for every law on a log link (losses) whose fitting runs allow
        the leave-future-out cuts, else plain (``table.attrs["discrepancy"]`` says which and
        why); on the 92 curves of the revisiting benchmark it made the intervals of larger runs
        cover as they should far more often (benchmarks/README.md). ``True``: for every law
        (a warning where too few runs), ``False``: none.
    **fit_kwargs
        Passed to :func:`bayeslaws.fit` (``priors``, ``likelihood``, ``sampler``, ``draws``,
        ``tune``, ``chains``, ...). A ``law_options`` here applies to every law. With
        ``group="<column>"`` (and optionally ``varying``/``pooled``) every law is fitted
        hierarchically and each held-out run is scored under its group's posterior (a group
        with no fitting run as a new group drawn from the population).

    Returns
    -------
    DataFrame
        One row per law (and ``stacked``), columns ``n_fit``, ``n_heldout``, ``elpd``,
        ``elpd_mean`` (mean log predictive density), ``rmsle``, ``abs_rel_error``,
        ``coverage_<pct>`` per level of ``probs``, ``msce``, ``width_50``, ``width_90``
        (median relative widths), ``weight`` (stacking weight), ``divergences``,
        ``max_rhat``, ``error``. ``bayeslaws.plot_calibration(table)`` draws the coverage.
        ``table.attrs["fits"]`` holds the fits, ``table.attrs["models"]`` the forecasters
        scored (the fits, or their :class:`~bayeslaws.discrepancy.Discrepant` with the
        discrepancy), ``table.attrs["discrepancy"]`` ``{law: "on" or "off: <why>"}``,
        ``table.attrs["points"]`` the per-run forecasts
        (law, run, y, median, interval bounds, log density), ``table.attrs["heldout"]`` the
        mask, and ``table.attrs["criterion"]`` / ``["criterion_reason"]`` which criterion gave
        the stacking weights and why (``None`` without a stacked row).

    Raises
    ------
    LawError
        An unknown law, bad law options, or law names that clash (twice, or ``"stacked"``).
    DataError
        ``x``, ``y``, ``group``, ``scale`` or ``holdout`` that do not match the data's columns,
        or a holdout that leaves no run to fit or none to score (before any sampling).
    """
    check_choice("errors", errors, ("raise", "skip"))
    check_choice("criterion", criterion, AVERAGE_CRITERIA)
    if not (isinstance(discrepancy, bool) or discrepancy == "auto"):
        raise OptionError(f"discrepancy={discrepancy!r}: valid choices are 'auto' (the "
                          "default), True and False.")
    probs = check_levels(probs)
    law_objs = _laws(laws)
    frame = as_frame(data)
    _check_x_keys(law_objs, x)
    columns = {name: resolve_inputs(law, x, frame, shared=True) for name, law in law_objs.items()}
    _check_column(frame, "y", y, "Give the column of the measured loss, e.g. y='loss'.")
    if scale is None:
        scale = [c for cols in columns.values() for c in cols.values()]
    group = fit_kwargs.get("group")
    mask = (holdout_mask(frame, holdout, scale) if group is None
            else grouped_holdout_mask(frame, holdout, scale, group))
    train = frame.loc[~mask].reset_index(drop=True)
    heldout = frame.loc[mask].reset_index(drop=True)
    run_index = np.flatnonzero(mask)
    law_options = fit_kwargs.pop("law_options", None)
    fit_kwargs.setdefault("progressbar", False)

    fits, models, rows, points, used_discrepancy = {}, {}, {}, [], {}
    for k, (name, law) in enumerate(law_objs.items()):
        if law_options:
            law = get_law(law.name, **dict(law_options))
        try:
            fits[name] = fit_law(law, train, x=columns[name], y=y,
                                 random_seed=int(random_seed) + k, **fit_kwargs)
        except BayesLawsError as err:
            if errors == "raise":
                raise
            warnings.warn(f"backtest: law {name!r} was not fitted: {err}", stacklevel=2)
            rows[name] = {"n_fit": len(train), "n_heldout": len(heldout), "error": str(err)}
            continue
        at = _heldout_at([fits[name]], columns[name], heldout)
        models[name], used_discrepancy[name] = (
            _with_discrepancy(fits[name], name, random_seed, discrepancy) if discrepancy
            else (fits[name], "off"))
        scores, per_run = _forecast(models[name], at, heldout, y, probs, random_seed)
        diag = fits[name].diagnostics()
        rows[name] = {"n_fit": len(train), **scores, "divergences": int(diag.divergences),
                      "max_rhat": diag.max_rhat, "error": ""}
        if isinstance(models[name], Discrepant):
            rows[name]["tau"] = models[name].tau
        points.append(per_run.assign(law=name, run=run_index))

    used = reason = None
    if stacked and len(fits) >= 2:
        used, reason = choose_criterion(fits, criterion, True, {})
        if criterion == "auto":
            reason = ("auto: the backtest forecasts beyond the fitting runs" if used == "lfo"
                      else f"auto, but {reason.removeprefix('asked to extrapolate, but ')}")
        table = compare(fits, criterion=used)
        weights = table["weight"].astype(float).to_dict()
        for name in fits:
            rows[name]["weight"] = weights[name]
        mixture = Average(models, weights, criterion=used, reason=reason)
        merged = {inp: col for name in fits for inp, col in columns[name].items()}
        at = _heldout_at(list(fits.values()), merged, heldout)
        scores, per_run = _forecast(mixture, at, heldout, y, probs, random_seed)
        rows[STACKED] = {"n_fit": len(train), **scores, "weight": 1.0, "error": ""}
        points.append(per_run.assign(law=STACKED, run=run_index))
    elif len(fits) == 1:
        rows[next(iter(fits))]["weight"] = 1.0

    coverage = [f"coverage_{pct(p)}" for p in probs]
    widths = [f"width_{pct(p)}" for p in probs if pct(p) in (50, 90)]
    ordered = [c for c in COLUMNS if not c.startswith(("coverage_", "width_"))]
    at_msce = ordered.index("msce")
    ordered[at_msce:at_msce + 1] = [*coverage, "msce", *sorted(widths)]
    if any(isinstance(m, Discrepant) for m in models.values()):
        ordered.append("tau")
    result = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=[*ordered, "error"])
    result["error"] = result["error"].fillna("")
    result.index.name = "law"
    result.attrs["fits"] = _Shared(fits)
    result.attrs["models"] = _Shared(models)
    result.attrs["points"] = pd.concat(points, ignore_index=True) if points else pd.DataFrame()
    result.attrs["heldout"] = mask
    result.attrs["discrepancy"] = used_discrepancy
    result.attrs["criterion"], result.attrs["criterion_reason"] = used, reason
    return result
