"""Checking and preparing the measurement table, before any sampling.

Every problem is reported as a :class:`~bayeslaws.exceptions.DataError` that names the column,
the offending value and row, and the fix.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bayeslaws.exceptions import DataError, FewRunsWarning, choices
from bayeslaws.law import DataSummary, InputSummary, Law

#: Relative spread below which a column counts as one repeated value (rounding noise only).
SPREAD_MIN = 1e-9


@dataclass(frozen=True)
class Observations:
    """Validated data for one fit: raw inputs, y, extra columns and their summary."""

    x: dict[str, np.ndarray]
    y: np.ndarray
    columns: dict[str, str]  # law input name -> user column
    y_column: str
    summary: DataSummary
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    #: Group index of each run (grouped fits), else ``None``.
    groups: np.ndarray | None = None
    #: Inputs on a linear scale (the law's ``linear_inputs``).
    linear: tuple[str, ...] = ()

    @property
    def n(self) -> int:
        return int(self.y.shape[0])

    @classmethod
    def of(cls, x: dict[str, np.ndarray], y: np.ndarray, columns: dict[str, str],
           y_column: str, positive_y: bool, extra: dict[str, np.ndarray] | None = None,
           groups: np.ndarray | None = None, linear: Sequence[str] = ()) -> Observations:
        """Observations with their :func:`summarise` (``positive_y``: y is a positive loss;
        ``linear``: inputs summarised on their own scale)."""
        return cls(x, y, columns, y_column, summarise(x, y, positive_y, linear),
                   dict(extra or {}), groups, tuple(linear))


def as_frame(data: Any, what: str = "data") -> pd.DataFrame:
    """Turn a DataFrame or a mapping of equal-length columns into a DataFrame, with string
    column labels (the names stored in saved fits: ``1`` and ``"1"`` are the same name)."""
    if isinstance(data, pd.DataFrame):
        frame = data
    elif isinstance(data, Mapping):
        deep = [str(k) for k, v in data.items() if np.ndim(v) > 1]
        if deep:
            raise DataError(
                f"Column(s) {deep} of {what} are {np.ndim(data[deep[0]])}-dimensional; give "
                "each column as a flat list with one value per training run.")
        lengths = {str(k): int(np.size(v)) for k, v in data.items()}
        if len(set(lengths.values())) > 1:
            detail = ", ".join(f"{k}: {n}" for k, n in lengths.items())
            raise DataError(f"The columns of {what} have mismatched lengths ({detail}); give "
                            "every column one value per training run.")
        frame = pd.DataFrame({k: np.ravel(v) for k, v in data.items()})
    else:
        raise DataError(
            f"{what} must be a pandas DataFrame or a dict of columns, got {type(data).__name__}.")
    labels = [str(c) for c in frame.columns]
    duplicated = sorted({c for c in labels if labels.count(c) > 1})
    if duplicated:
        raise DataError(f"{what} has duplicated column names {duplicated}; rename them so each "
                        "is unique (e.g. df.columns = ['params', 'tokens', 'loss']).")
    if list(frame.columns) != labels:
        frame = frame.set_axis(labels, axis=1)
    return frame


def _first(mask: np.ndarray) -> int | None:
    """Index of the first true entry of ``mask`` (the row an error names), or ``None``."""
    rows = np.flatnonzero(mask)
    return int(rows[0]) if rows.size else None


def _where(raw: pd.Series, row: int) -> str:
    """``row 3``, with the index label too when the index is not simply 0, 1, 2, ..."""
    plain = isinstance(raw.index, pd.RangeIndex) and raw.index.start == 0 and raw.index.step == 1
    return f"row {row}" if plain else f"row {row} (index {raw.index[row]!r})"


def _non_numeric(raw: pd.Series, column: str, role: str, row: int | None) -> None:
    if row is not None:
        raise DataError(f"Column {column!r} (for {role}) holds a non-numeric value "
                        f"{raw.iloc[row]!r} at {_where(raw, row)}; convert the column to numbers.")


def _check_dtype(raw: pd.Series, column: str, role: str) -> None:
    """Refuse column types that would silently turn into wrong numbers."""
    dtype, types = raw.dtype, pd.api.types
    kind = ("true/false values" if types.is_bool_dtype(dtype)
            else "complex numbers" if types.is_complex_dtype(dtype)
            else "dates or durations" if (types.is_datetime64_any_dtype(dtype)
                                          or types.is_timedelta64_dtype(dtype))
            else "categories" if isinstance(dtype, pd.CategoricalDtype) else None)
    if kind is not None:
        raise DataError(f"Column {column!r} (for {role}) holds {kind} (dtype {dtype}), not "
                        "measurements; pass a column of numbers (parameters, tokens, compute or "
                        "loss).")
    if types.is_object_dtype(dtype):
        odd = [isinstance(v, bool | np.bool_ | complex | np.complexfloating) for v in raw]
        _non_numeric(raw, column, role, _first(np.array(odd, dtype=bool)))


def numeric_column(frame: pd.DataFrame, column: str, role: str, *, positive: bool,
                   what: str = "data") -> np.ndarray:
    """Return ``frame[column]`` as finite floats (positive if asked), or raise naming the row."""
    if column not in frame.columns:
        raise DataError(f"Column {column!r} (for {role}) is not in {what}. Available columns: "
                        f"{choices(map(str, frame.columns))}.")
    raw = frame[column]
    if isinstance(raw, pd.DataFrame):  # pragma: no cover - as_frame refuses duplicated names
        raise DataError(f"Column {column!r} (for {role}) is ambiguous in {what}.")
    _check_dtype(raw, column, role)
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    missing = pd.isna(raw).to_numpy()
    _non_numeric(raw, column, role, _first(np.isnan(values) & ~missing))
    if (row := _first(missing)) is not None:
        raise DataError(
            f"Column {column!r} (for {role}) has a missing (NaN or empty) value: non-finite "
            f"value nan at {_where(raw, row)} ({int(missing.sum())} such rows); drop those rows "
            "(df.dropna()) or fill them in before fitting.")
    bad = ~np.isfinite(values)
    if (row := _first(bad)) is not None:
        raise DataError(
            f"Column {column!r} (for {role}) has a non-finite value "
            f"{float(values[row])!r} at {_where(raw, row)} ({int(bad.sum())} such rows); drop "
            "or fix those rows before fitting.")
    if positive and (row := _first(values <= 0)) is not None:
        raise DataError(
            f"Column {column!r} (for {role}) must be > 0 (scaling laws work in log scale), but "
            f"{_where(raw, row)} has {float(values[row])!r} ({int((values <= 0).sum())} such "
            "rows); drop those rows or check the units.")
    return values


def resolve_inputs(law: Law, x: Mapping[str, str] | str | None, frame: pd.DataFrame, *,
                   shared: bool = False) -> dict[str, str]:
    """Map each law input to a column of ``frame``, checking names. ``shared``: ``x`` serves
    several laws (a backtest), so keys of other laws' inputs are left to the caller and every
    column is checked against ``frame`` now (before any law is fitted)."""
    example = "x={" + ", ".join(repr(n) + ": <column>" for n in law.inputs) + "}"
    if x is None:
        missing = [name for name in law.inputs if name not in frame.columns]
        if missing:
            raise DataError(
                f"Law {law.name!r} needs inputs {list(law.inputs)}; columns {missing} are not in "
                f"the data. Pass {example}. Available columns: {choices(map(str, frame.columns))}.")
        return {name: name for name in law.inputs}
    if not isinstance(x, Mapping):
        if not is_label(x):
            raise DataError(f"x must be a column name or a dict {{law input: column}}, got {x!r} "
                            f"({type(x).__name__}); e.g. {example}.")
        if len(law.inputs) != 1:
            raise DataError(f"x={x!r} names one column but law {law.name!r} has inputs "
                            f"{list(law.inputs)}; give a dict, e.g. {example}.")
        x = {law.inputs[0]: str(x)}
    unknown = sorted(set(x) - set(law.inputs))
    if unknown and not shared:
        raise DataError(
            f"Law {law.name!r} has no input(s) {unknown}. Its inputs are "
            f"{choices(law.inputs)}; map each to a column, e.g. x={{{law.inputs[0]!r}: 'params'}}.")
    missing = [name for name in law.inputs if name not in x]
    if missing:
        raise DataError(f"Law {law.name!r} needs input(s) {missing} too: x={dict(x)} has no "
                        f"column for input(s) {missing}; add them, e.g. {example}.")
    bad = {name: x[name] for name in law.inputs if not is_label(x[name])}
    if bad:
        raise DataError(f"x maps law inputs to {bad}, which are not column names; give one "
                        f"column name per input, e.g. {example}.")
    columns = {name: str(x[name]) for name in law.inputs}
    absent = [c for c in columns.values() if c not in frame.columns]
    if shared and absent:
        raise DataError(
            f"Column(s) {absent} of law {law.name!r} (x={columns}) are not in the data; columns: "
            f"{choices(frame.columns)}. Map each input to a column of the data with x=.")
    return columns


def is_label(value: Any) -> bool:
    """A single column label: a string or an integer (pandas' default labels)."""
    return isinstance(value, str | int | np.integer) and not isinstance(value, bool | np.bool_)


def summarise(x: Mapping[str, np.ndarray], y: np.ndarray, positive_y: bool,
              linear: Sequence[str] = ()) -> DataSummary:
    """Log-scale summary of the data used by default priors and starting values (inputs in
    ``linear`` are summarised on their own scale)."""
    inputs = {}
    for name, values in x.items():
        logs = values if name in linear else np.log(values)
        inputs[name] = InputSummary(float(logs.min()), float(logs.max()), float(logs.mean()))
    centre = float(np.exp(np.log(y).mean())) if positive_y else float(np.mean(y))
    return DataSummary(
        n=int(y.size), inputs=inputs, y_min=float(y.min()), y_max=float(y.max()), y_centre=centre
    )


def _single_value(values: np.ndarray) -> str:
    """Words for a column whose values are (nearly) all equal."""
    return ("" if np.unique(values).size < 2 else
            f" (up to a relative spread below {SPREAD_MIN:g})")


def prepare(law: Law, data: Any, x: Mapping[str, str] | str | None, y: str,
            n_parameters: int, extra: Mapping[str, str] | None = None,
            allow_few_runs: bool = False, groups: np.ndarray | None = None) -> Observations:
    """Validate ``data`` for ``law`` and return :class:`Observations`.

    ``x``, ``y``, ``extra`` and ``allow_few_runs`` are those of :func:`bayeslaws.fit`;
    ``n_parameters`` counts the law's and likelihood's parameters (the data need more rows
    unless ``allow_few_runs``), ``groups`` the group index of each row of a grouped fit.
    """
    frame = as_frame(data)
    if len(frame) == 0:
        raise DataError("The data are empty: give one row per training run.")
    columns = resolve_inputs(law, x, frame)
    if not is_label(y):
        raise DataError(
            f"y must be the name of one column, got {y!r} ({type(y).__name__}); e.g. y='loss'.")
    y = str(y)
    y_values = numeric_column(frame, y, "y", positive=law.link == "log")
    if law.link == "identity" and (row := _first((y_values < 0) | (y_values > 1))) is not None:
        raise DataError(
            f"Law {law.name!r} models a fraction: column {y!r} must lie in [0, 1], but row {row} "
            f"has {float(y_values[row])!r}. Convert percentages to fractions.")
    linear = law.linear_inputs
    x_values = {name: numeric_column(frame, column, f"input {name}",
                                     positive=name not in linear)
                for name, column in columns.items()}
    for name, values in x_values.items():
        scaled = law.input_scale(name, values)
        if np.ptp(scaled) <= SPREAD_MIN * (max(1.0, float(np.max(np.abs(scaled))))
                                           if name in linear else 1.0):
            raise DataError(
                f"Input {name} (column {columns[name]!r}) takes a single value "
                f"{float(values[0])!r}{_single_value(values)}: a scaling law needs runs at two "
                "or more scales of every input.")
    if np.ptp(y_values) <= SPREAD_MIN * float(np.max(np.abs(y_values))):
        raise DataError(
            f"Column {y!r} has the same value {float(y_values[0])!r} in every row"
            f"{_single_value(y_values)}: nothing scales, so no law can be identified. Check "
            "that the right column was chosen.")
    if len(frame) <= n_parameters:
        if not allow_few_runs:
            raise DataError(
                f"Law {law.name!r} with this likelihood has {n_parameters} parameters but the "
                f"data have only {len(frame)} rows: give at least {n_parameters + 1} runs, "
                "choose a simpler law, or pass allow_few_runs=True to let the priors carry "
                "what the runs cannot pin down.")
        warnings.warn(
            f"{len(frame)} runs for the {n_parameters} parameters of law {law.name!r} with "
            "this likelihood (allow_few_runs=True): the priors, not the runs, decide part of "
            "the posterior and the forecast. fit.prior_vs_posterior() shows how much, per "
            "parameter; priors='informed' uses priors learned from published studies; check "
            "priors with bayeslaws.prior_predictive.",
            FewRunsWarning, stacklevel=4)
    extra_values = {role: numeric_column(frame, column, role, positive=True)
                    for role, column in (extra or {}).items()}
    return Observations.of(x_values, y_values, columns, y, law.link == "log", extra_values,
                           groups, linear)


def prediction_frame(at: Any, labels: Sequence[str] = ()) -> pd.DataFrame:
    """The prediction points as a table: a DataFrame, or a dict of equal-length lists where a
    single value is repeated. Columns in ``labels`` (group labels) are kept as objects, every
    other column of a dict is read as numbers."""
    if not isinstance(at, Mapping) or isinstance(at, pd.DataFrame):
        return as_frame(at, what="the prediction points")
    arrays = {k: np.atleast_1d(np.asarray(v, dtype=object if k in labels else float))
              for k, v in at.items()}
    target = max((a.size for a in arrays.values()), default=0)
    if any(a.size not in (1, target) for a in arrays.values()):
        detail = ", ".join(f"{k}: {a.size}" for k, a in arrays.items())
        raise DataError(f"Prediction inputs have mismatched lengths ({detail}); give "
                        "equal-length lists (a single value is repeated).")
    return pd.DataFrame({k: np.broadcast_to(a, (target,)) for k, a in arrays.items()})


def prediction_inputs(law: Law, at: Any, labels: Sequence[str] = ()) -> dict[str, np.ndarray]:
    """Validate the scales at which to predict: a dict or DataFrame with every law input
    (other columns, such as the group labels named in ``labels``, are ignored)."""
    frame = prediction_frame(at, labels)
    missing = [name for name in law.inputs if name not in frame.columns]
    if missing:
        example = "{" + ", ".join(f"{n!r}: [1e9]" for n in law.inputs) + "}"
        raise DataError(f"Prediction needs a value for input(s) {missing} of law {law.name!r} "
                        f"(inputs: {choices(law.inputs)}), e.g. predict({example}).")
    return input_columns(frame, law.inputs, law.linear_inputs)


def input_columns(frame: pd.DataFrame, inputs: Sequence[str],
                  linear: Sequence[str] = ()) -> dict[str, np.ndarray]:
    """The columns ``inputs`` of the prediction points, as finite numbers, positive unless
    in ``linear``."""
    return {name: numeric_column(frame, name, f"input {name}", positive=name not in linear,
                                 what="the prediction points") for name in inputs}


def check_for_likelihood(likelihood: Any, obs: Observations) -> None:
    """Run the likelihood's own data check, naming the y column in its error."""
    try:
        if likelihood.check is not None:
            likelihood.check(obs.y, obs.extra)
    except DataError as err:
        raise DataError(f"Column {obs.y_column!r} (for y): {err}") from None


def _open_bound(key: str, value: Any) -> bool:
    """Whether ``key`` is a prior's open bound (a TruncatedNormal's ``lower=-inf`` or
    ``upper=inf``), the one model number that may be infinite."""
    return (key.startswith("prior__") and key.endswith(("__lower", "__upper"))
            and bool(np.all(np.isinf(np.asarray(value, dtype=float)))))


def from_data(law: Law, obs: Observations, what: str, compute: Any, *args: Any) -> Any:
    """Run ``compute(*args)`` -- default priors or starting values derived from the data --
    turning a numeric overflow, or model data that are not finite, into a :class:`DataError`
    that names the law and the data ranges."""
    problem = None
    try:
        with np.errstate(all="ignore"):
            result = compute(*args)
    except (OverflowError, ZeroDivisionError) as err:
        problem = f"{type(err).__name__}: {err}"
    else:
        if isinstance(result, Mapping):
            bad = sorted(k for k, v in result.items()
                         if isinstance(v, np.ndarray | float | int) and not _open_bound(k, v)
                         and not np.all(np.isfinite(np.asarray(v, dtype=float))))
            if bad:
                problem = f"non-finite {bad}"
    if problem is None:
        return result
    ranges = ", ".join(
        f"{obs.columns.get(name, name)!r} {float(values.min()):.3g} to {float(values.max()):.3g}"
        for name, values in obs.x.items())
    raise DataError(
        f"Law {law.name!r} cannot set its {what} from these data ({problem}; inputs {ranges}, "
        f"y {float(obs.y.min()):.3g} to {float(obs.y.max()):.3g}). Check that the columns hold "
        "what the law expects in its usual units (e.g. losses in nats, not scales), or pass "
        "priors= for every parameter.")
