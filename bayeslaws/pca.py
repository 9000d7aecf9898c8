"""Principal components of benchmark scores (NumPy), the inputs of observational laws.

Ruan et al.'s observational scaling laws summarise each model by a few principal components of
its benchmark scores: the first is a general capability, later ones trade one skill against
another. :func:`principal_components` computes them by an SVD of the score table, optionally
standardised per benchmark, with a deterministic sign (each component's loadings sum to a
positive number, so a higher first component means better scores); the result transforms new
models' scores with the same centring, scaling and loadings.

Reference: Ruan, Maddison and Hashimoto 2024, "Observational Scaling Laws and the
Predictability of Language Model Performance" (arXiv:2405.10938), section 3.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bayeslaws.exceptions import DataError, OptionError


@dataclass(frozen=True)
class Components:
    """Principal components of a score table (see :func:`principal_components`).

    Attributes
    ----------
    scores : DataFrame
        One row per model (the input's index), columns ``S1 ... Sn``.
    loadings : DataFrame
        Benchmarks x components: the unit vectors the scores are projected on.
    explained : Series
        Share of the (standardised) variance each component explains.
    mean, scale : Series
        Per benchmark: the centring and the scaling applied before projecting.
    """

    scores: pd.DataFrame
    loadings: pd.DataFrame
    explained: pd.Series
    mean: pd.Series
    scale: pd.Series

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Components of new models' scores (same benchmarks), with the fitted centring,
        scaling and loadings."""
        missing = [c for c in self.loadings.index if c not in frame.columns]
        if missing:
            raise DataError(f"transform: the scores lack benchmark column(s) {missing}.")
        values = _matrix(frame, list(self.loadings.index))
        z = (values - self.mean.to_numpy()) / self.scale.to_numpy()
        return pd.DataFrame(z @ self.loadings.to_numpy(), index=frame.index,
                            columns=self.loadings.columns)


def _matrix(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    values = frame[list(columns)].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise DataError(f"principal_components: column {columns[col]!r} has a missing or "
                        f"non-numeric score in row {frame.index[row]!r} ({int(bad.sum())} such "
                        "cells); drop those models or fill the scores.")
    return values


def principal_components(frame: pd.DataFrame, columns: Sequence[str], n: int = 3,
                         standardize: bool = True) -> Components:
    """Principal components of the benchmark scores in ``columns`` (one row per model).

    Parameters
    ----------
    frame : DataFrame
        Scores, one row per model and one column per benchmark (accuracies, ...).
    columns : sequence of str
        The benchmark columns.
    n : int
        Number of components kept (at most the number of benchmarks and of models).
    standardize : bool
        Divide each benchmark by its standard deviation before the SVD (benchmarks of very
        different spread then weigh alike); centring is always done.

    Returns
    -------
    Components
        ``scores`` with columns ``S1 ... Sn``: inputs of the ``observational`` law.
    """
    columns = list(columns)
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"principal_components needs a DataFrame, got {type(frame).__name__}.")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"principal_components: {missing} are not columns; columns: "
                        f"{list(frame.columns)}.")
    values = _matrix(frame, columns)
    limit = min(len(columns), len(frame) - 1)
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 1 <= n <= limit:
        raise OptionError(f"principal_components: n={n!r} must be an integer from 1 to {limit} "
                          f"({len(columns)} benchmarks, {len(frame)} models).")
    mean = values.mean(axis=0)
    scale = values.std(axis=0, ddof=1) if standardize else np.ones(len(columns))
    flat = [c for c, s in zip(columns, scale, strict=True) if not s > 0]
    if flat:
        raise DataError(f"principal_components: benchmark(s) {flat} have the same score for "
                        "every model; drop them.")
    z = (values - mean) / scale
    _, singular, vt = np.linalg.svd(z, full_matrices=False)
    loadings = vt[:n].T
    loadings = loadings * np.where(loadings.sum(axis=0) < 0, -1.0, 1.0)
    names = [f"S{k + 1}" for k in range(n)]
    variance = singular**2
    return Components(
        scores=pd.DataFrame(z @ loadings, index=frame.index, columns=names),
        loadings=pd.DataFrame(loadings, index=columns, columns=names),
        explained=pd.Series(variance[:n] / variance.sum(), index=names),
        mean=pd.Series(mean, index=columns), scale=pd.Series(scale, index=columns))
