"""Fitting one law to many groups (curves, tasks, model families) in parallel.

:func:`fit_many` splits a table by a group column and fits the same law to every group. Work
goes to an executor: local processes by default (:class:`concurrent.futures.ProcessPoolExecutor`
with the ``spawn`` start method), or a :class:`dask.distributed.Client` to run the same sweep on
a cluster. Each worker process compiles the law's model once and reuses it for every group it
fits (:mod:`bayeslaws.sampling` caches compiled models per process), so the cost per extra group
is sampling only.

Every group's data is checked in the calling process before anything is sent to a worker; a
group that fails (bad data, sampler error) is reported by name with its error, never dropped
silently.
"""

from __future__ import annotations

import multiprocessing
import time
import warnings
from collections.abc import Hashable, Iterator, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from bayeslaws import sampling
from bayeslaws.checks import check_choice
from bayeslaws.discrepancy import with_discrepancy
from bayeslaws.exceptions import BayesLawsError, DataError, OptionError, SamplerWarning
from bayeslaws.fitting import fit
from bayeslaws.law import Law
from bayeslaws.result import Fit
from bayeslaws.spec import prepare_fit

EXECUTORS = ("processes", "serial")
ON_ERROR = ("warn", "raise")


class FitCollection(Mapping):
    """Fits of one law to many groups: a mapping ``group -> Fit`` plus the failures.

    Attributes
    ----------
    fits : dict
        ``{group: Fit}`` for every group that was fitted.
    errors : dict
        ``{group: message}`` for every group that failed (empty when all succeeded).
    seconds : float
        Wall time of the whole sweep.
    compilations : int
        Model compilations done by the workers (at most one per worker and model structure).
    """

    def __init__(self, fits: dict[Hashable, Fit], errors: dict[Hashable, str],
                 seconds: float, compilations: int = 0) -> None:
        self.fits = fits
        self.errors = errors
        self.seconds = seconds
        self.compilations = compilations

    def __getitem__(self, group: Hashable) -> Fit:
        if group in self.errors:
            raise KeyError(f"Group {group!r} failed: {self.errors[group]}")
        return self.fits[group]

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self.fits)

    def __len__(self) -> int:
        return len(self.fits)

    def __repr__(self) -> str:
        return (f"<bayeslaws.FitCollection {len(self.fits)} fits, {len(self.errors)} failed, "
                f"{self.seconds:.1f} s>")

    def with_discrepancy(self, pooling: str = "partial", **options: Any):
        """Every fit with a discrepancy term beyond its runs, the scale ``tau`` learned from
        the leave-future-out errors of all the curves together
        (:func:`bayeslaws.with_discrepancy`; ``pooling`` is ``"partial"``, ``"complete"`` or
        ``"none"``). Costs one refit per cut point per curve, in this process."""
        return with_discrepancy(self.fits, pooling=pooling, **options)

    def summary(self, prob: float = 0.9) -> pd.DataFrame:
        """One row per (group, parameter): each fit's :meth:`Fit.summary`, stacked."""
        frames = {group: fit.summary(prob=prob) for group, fit in self.fits.items()}
        if not frames:
            return pd.DataFrame()
        return pd.concat(frames, names=["group", "parameter"])


def _fit_group(payload: dict[str, Any]) -> dict[str, Any]:
    """Worker: fit one group, return the trace and config (picklable), or the error."""
    sampler = payload["kwargs"].get("sampler", "nutpie")
    before = sampling.COMPILATIONS.get(sampler, 0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = fit(payload["law"], payload["data"], payload["x"], payload["y"],
                         **payload["kwargs"])
        except Exception as err:  # noqa: BLE001 -- reported per group by the caller
            return {"error": f"{type(err).__name__}: {err}"}
    return {"trace": result.trace, "settings": result.settings,
            "compiled": sampling.COMPILATIONS.get(sampler, 0) - before,
            "warnings": [str(w.message) for w in caught if issubclass(w.category, SamplerWarning)]}


def _is_dask_client(executor: Any) -> bool:
    return type(executor).__name__ == "Client" and hasattr(executor, "gather")


def _group_seeds(groups: list, random_seed: int | Mapping | None) -> dict:
    if isinstance(random_seed, Mapping):
        missing = [g for g in groups if g not in random_seed]
        if missing:
            raise OptionError(
                f"random_seed is a mapping but has no seed for group(s) {missing[:5]}; give one "
                "per group, or one integer to derive a seed for each group.")
        return {g: int(random_seed[g]) for g in groups}
    states = np.random.SeedSequence(random_seed).generate_state(len(groups))
    return {g: int(s) for g, s in zip(groups, states, strict=True)}


def fit_many(law: str | Law, data: Any, by: str = "curve",
             x: Mapping[str, str] | str | None = None, y: str = "y", *,
             executor: str | Executor | Any | None = None, max_workers: int | None = None,
             random_seed: int | Mapping[Hashable, int] | None = None, on_error: str = "warn",
             **fit_kwargs: Any) -> FitCollection:
    """Fit ``law`` separately to every group of rows sharing a value of column ``by``; return a
    :class:`FitCollection` (``group -> Fit``, with ``errors`` and a ``summary()`` table).

    Parameters
    ----------
    law : str or Law
        Catalogue law name (or a picklable Law object) fitted to every group.
    data : DataFrame or dict of columns
        All groups' runs in one table.
    by : str
        Column whose values define the groups (e.g. ``"curve"``).
    x, y :
        As in :func:`bayeslaws.fit`.
    executor : {None, "processes", "serial"}, Executor or dask.distributed.Client
        Where the fits run. ``None``/``"processes"``: a local pool of ``max_workers`` processes
        (default: the machine's cores, at most the number of groups), each compiling the model
        once. ``"serial"``: this process, one group after another (compiles once too). An
        existing :class:`concurrent.futures.Executor` is used as given. A
        :class:`dask.distributed.Client` sends the groups to its cluster's workers.
    max_workers : int, optional
        Size of the local process pool.
    random_seed : int or dict, optional
        An integer from which one seed per group is derived (stored in each fit's
        ``config["random_seed"]``, so ``bl.fit`` with that seed reproduces the group's fit), or
        a ``{group: seed}`` mapping.
    on_error : {"warn", "raise"}
        What to do when groups fail: warn naming every failed group and its error (failures are
        in ``result.errors``), or raise :class:`BayesLawsError` after the sweep.
    **fit_kwargs
        Passed to :func:`bayeslaws.fit` (priors, likelihood, sampler, draws, tune, chains, ...).
    """
    check_choice("on_error", on_error, ON_ERROR)
    if "group" in fit_kwargs:
        raise DataError(
            "fit_many fits each group separately; for partial pooling over groups use "
            "bl.fit(..., group=<column>) instead.")
    frame = pd.DataFrame(data)
    if by not in frame.columns:
        raise DataError(
            f"Group column {by!r} is not in the data. Columns: {sorted(map(str, frame.columns))}.")
    groups = list(pd.unique(frame[by]))
    if not groups:
        raise DataError("The data has no rows: nothing to fit.")
    seeds = _group_seeds(groups, random_seed)
    fit_kwargs.setdefault("progressbar", False)
    prepare_kwargs = {k: fit_kwargs[k] for k in ("priors", "likelihood", "law_options", "extra")
                      if k in fit_kwargs}
    specs, errors, payloads = {}, {}, []
    for group in groups:
        part = frame[frame[by] == group].drop(columns=[by]).reset_index(drop=True)
        try:
            specs[group] = prepare_fit(law, part, x, y, **prepare_kwargs)[0]
        except BayesLawsError as err:
            errors[group] = f"{type(err).__name__}: {err}"
            continue
        payloads.append((group, {"law": law, "data": part, "x": x, "y": y,
                                 "kwargs": {**fit_kwargs, "random_seed": seeds[group]}}))
    start = time.perf_counter()
    outputs = _dispatch([p for _, p in payloads], executor, max_workers)
    seconds = time.perf_counter() - start
    fits = {}
    compilations = sum(out.get("compiled", 0) for out in outputs)
    for (group, _), out in zip(payloads, outputs, strict=True):
        if "error" in out:
            errors[group] = out["error"]
            continue
        fits[group] = Fit(out["trace"], specs[group], out["settings"])
        for message in out["warnings"]:
            warnings.warn(f"group {group!r}: {message}", SamplerWarning, stacklevel=2)
    if errors:
        listing = "; ".join(f"{g!r}: {m}" for g, m in errors.items())
        message = f"{len(errors)} of {len(groups)} group(s) failed -- {listing}"
        if on_error == "raise":
            raise OptionError(message)
        warnings.warn(message + " (see result.errors)", SamplerWarning, stacklevel=2)
    return FitCollection({g: fits[g] for g in groups if g in fits},
                         {g: errors[g] for g in groups if g in errors}, seconds, compilations)


def _dispatch(payloads: list[dict], executor: Any, max_workers: int | None) -> list[dict]:
    if not payloads:
        return []
    if executor == "serial":
        return [_fit_group(p) for p in payloads]
    if _is_dask_client(executor):
        return executor.gather(executor.map(_fit_group, payloads, pure=False))
    if isinstance(executor, Executor):
        return list(executor.map(_fit_group, payloads))
    if executor not in (None, "processes"):
        raise OptionError(
            f"executor={executor!r} is not supported. Valid choices: None or 'processes' (local "
            "process pool), 'serial' (this process), a concurrent.futures.Executor, or a "
            "dask.distributed.Client (pip install 'bayeslaws[dask]').")
    workers = max_workers or multiprocessing.cpu_count()
    if not isinstance(workers, int) or workers < 1:
        raise OptionError(f"max_workers must be an integer >= 1, got {max_workers!r}.")
    workers = min(workers, len(payloads))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        # each worker process keeps its compiled model between groups: one compile per worker
        return list(pool.map(_fit_group, payloads))
