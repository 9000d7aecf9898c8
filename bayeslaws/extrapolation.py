"""How far a forecast lies beyond the fitted runs, per input, and a warning when it does.

A scaling law is fitted on a range of each input and used beyond it. For a point ``x`` and an
input whose fitted runs span ``[lo, hi]``:

``beyond_<input>``
    Distance outside the range in decades (``log10`` units): ``log10(x / hi)`` above it,
    ``-log10(lo / x)`` below it (negative: smaller than every run), ``0`` inside.
``beyond_<input>_span``
    The same distance as a multiple of the data's own span ``log10(hi / lo)``: 1 means "as far
    beyond the largest run as the runs reach" (``inf`` when every run has the same value).

For an input on a linear scale (a law's ``linear_inputs``, whose values may be zero or
negative) both are measured in the input's own units instead of decades: ``x - hi`` above,
``x - lo`` below, and the span is ``hi - lo``. Its range is a :class:`LinearRange`.

:func:`flag` appends these columns to a table of points and warns once per call with an
:class:`~bayeslaws.exceptions.ExtrapolationWarning` when any point lies outside, naming the
inputs and the largest distance. ``Fit.predict``, ``Fit.prob_below``, ``Fit.scale_for`` and
``Fit.compute_optimal`` use it.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from bayeslaws.exceptions import ExtrapolationWarning

#: Distances (decades) below this count as inside the data (rounding of the inputs).
TOLERANCE = 1e-9

Ranges = dict[str, tuple[float, float]]


class LinearRange(tuple):
    """``(smallest, largest)`` of an input on a linear scale: distances from it are in the
    input's own units, not decades."""

    __slots__ = ()


def data_ranges(observations) -> Ranges:
    """``{input: (smallest, largest)}`` of the fitted runs (an ``Observations``); a
    :class:`LinearRange` for its linear inputs."""
    linear = getattr(observations, "linear", ())
    return {name: (LinearRange if name in linear else tuple)((float(np.min(v)),
                                                             float(np.max(v))))
            for name, v in observations.x.items()}


def merge_ranges(*ranges: Mapping[str, tuple[float, float]]) -> Ranges:
    """The union of several fits' ranges, per input (linear if any fit's is)."""
    out: Ranges = {}
    for item in ranges:
        for name, bounds in item.items():
            lo, hi = bounds
            old = out.get(name, bounds)
            kind = LinearRange if isinstance(old, LinearRange) or isinstance(
                bounds, LinearRange) else tuple
            out[name] = kind((min(old[0], lo), max(old[1], hi)))
    return out


def distances(ranges: Mapping[str, tuple[float, float]],
              x: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``beyond_<input>`` and ``beyond_<input>_span`` of each point (see the module docstring)
    for the inputs of ``x`` that have a range."""
    out = {}
    for name, values in x.items():
        if name not in ranges:
            continue
        lo, hi = ranges[name]
        linear = isinstance(ranges[name], LinearRange)
        scale = (lambda v: v) if linear else np.log10  # noqa: E731
        with np.errstate(divide="ignore", invalid="ignore"):
            scaled = scale(np.asarray(values, dtype=float))
            above, below = scaled - scale(hi), scaled - scale(lo)
        tol = TOLERANCE * max(1.0, abs(hi), abs(lo)) if linear else TOLERANCE
        dist = np.where(above > tol, above, np.where(below < -tol, below, 0.0))
        span = scale(hi) - scale(lo)
        with np.errstate(divide="ignore", invalid="ignore"):
            relative = dist / span if span > 0 else np.where(dist == 0, 0.0, np.sign(dist) * np.inf)
        out[f"beyond_{name}"] = dist
        out[f"beyond_{name}_span"] = relative
    return out


def warn_beyond(flags: Mapping[str, np.ndarray], what: str, stacklevel: int = 2,
                linear: frozenset[str] = frozenset()) -> None:
    """One :class:`ExtrapolationWarning` if any point of ``flags`` (:func:`distances`) lies
    outside the data; it names each such input, how many points and the largest distance
    (in decades, or in the input's units for the ``beyond_<input>`` keys in ``linear``)."""
    parts = []
    n_points = 0
    for key, dist in flags.items():
        if key.endswith("_span"):
            continue
        dist = np.asarray(dist, dtype=float)
        outside = np.abs(dist) > 0
        if not outside.any():
            continue
        n_points = max(n_points, int(outside.sum()))
        name = key[len("beyond_"):]
        far = dist[np.nanargmax(np.abs(np.where(np.isnan(dist), 0, dist)))]
        span = np.asarray(flags[f"{key}_span"], dtype=float)[np.flatnonzero(dist == far)[0]]
        side = "beyond the largest" if far > 0 else "below the smallest"
        unit = "" if key in linear else " decades"
        parts.append(f"{name}: {int(outside.sum())} point(s), up to {abs(far):.2g}{unit} "
                     f"{side} fitted run ({abs(span):.2g} x the data's span)")
    if parts:
        warnings.warn(
            f"{what} extrapolates beyond the fitted runs ({'; '.join(parts)}). There the law's "
            "form, not the data, sets the forecast, and intervals cover only if the form holds; "
            "check the forecast with bl.backtest or bl.lfo, and widen its intervals by the law's "
            "misfit inside the runs with bl.with_discrepancy(fit) (see the beyond_* columns).",
            ExtrapolationWarning, stacklevel=stacklevel + 1)


def flag(table: pd.DataFrame, ranges: Mapping[str, tuple[float, float]],
         x: Mapping[str, np.ndarray], what: str, warn: bool = True,
         stacklevel: int = 2) -> pd.DataFrame:
    """``table`` with the ``beyond_*`` columns of the points ``x`` appended, and one
    :class:`ExtrapolationWarning` if any lies outside ``ranges`` (``warn=False``: none)."""
    flags = distances(ranges, x)
    if warn:
        linear = frozenset(f"beyond_{k}" for k, v in ranges.items() if isinstance(v, LinearRange))
        warn_beyond(flags, what, stacklevel=stacklevel + 1, linear=linear)
    for key, values in flags.items():
        table[key] = np.broadcast_to(values, (len(table),)) if len(table) else values
    return table
