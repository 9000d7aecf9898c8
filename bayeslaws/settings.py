"""The settings of a fit: what was fitted, how it was sampled, and with which versions.

:class:`FitSettings` is stored in every saved fit (as JSON, :meth:`FitSettings.to_dict`) and
read back by :meth:`FitSettings.from_dict`, which also reads the settings of files written by
bayeslaws 0.1 (format 1).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from bayeslaws.exceptions import FitFileError


def versions() -> dict[str, str]:
    """Versions of bayeslaws and of the libraries that shape its results."""
    out = {}
    for package in ("bayeslaws", "pymc", "pytensor", "nutpie", "arviz", "numpy", "numpyro", "jax"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return out


#: Settings a retry may change (recorded per attempt in ``FitSettings.attempts``).
RETRIED = ("random_seed", "draws", "tune", "target_accept", "adaptation")


@dataclass(frozen=True)
class FitSettings:
    """Everything needed to repeat a fit besides its data, priors and grouping.

    Attributes
    ----------
    law, law_options, likelihood
        The law's name and options, and the likelihood's name.
    columns : dict
        Law input -> the user's column; ``y_column`` the measured column; ``extra_columns``
        likelihood role -> column (e.g. ``{"trials": "n_questions"}``).
    sampler, draws, tune, chains, random_seed, target_accept, adaptation
        NUTS settings as used (``target_accept`` ``None``: the sampler's own 0.8;
        ``adaptation`` ``None``: not nutpie).
    allow_few_runs : bool
        Whether the fit was allowed as many parameters as runs.
    retry : int
        Refits allowed with safer settings when the sampler reported trouble; ``attempts``
        lists the settings and problems of every earlier attempt (the fit is the last one).
    stuck_chains : str
        What the fit did with chains stuck in a worse mode (:mod:`bayeslaws.chains`):
        ``"drop"`` those stacking gives no weight, or ``"keep"`` (files written before 0.4).
    chain_drop : dict
        Per chain as sampled, its stacking weight (``weights``) and mean log density
        (``log_density``), and the chains dropped (``dropped``, 0-based); empty when no chain
        was stuck.
    init : str
        Where the chains started (see :mod:`bayeslaws.starts`; files written before 0.3 have
        ``"jitter"``, the samplers' own initialisation).
    sampling_seconds : float
        Wall time of sampling alone.
    bayeslaws_version, versions
        Versions of bayeslaws and of the libraries that shape the result.
    """

    law: str
    likelihood: str
    columns: dict[str, str]
    y_column: str
    law_options: dict[str, Any] = field(default_factory=dict)
    extra_columns: dict[str, str] = field(default_factory=dict)
    sampler: str = "nutpie"
    draws: int = 1000
    tune: int = 1000
    chains: int = 4
    random_seed: int = 0
    target_accept: float | None = None
    adaptation: str | None = None
    allow_few_runs: bool = False
    retry: int = 0
    init: str = "jitter"
    stuck_chains: str = "keep"
    chain_drop: dict[str, list] = field(default_factory=dict)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    sampling_seconds: float = math.nan
    bayeslaws_version: str = "unknown"
    versions: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The settings as a JSON-ready dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FitSettings:
        """Settings from :meth:`to_dict`'s dict (keys that are not settings, such as the
        stored priors, grouping or file format, are ignored)."""
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        missing = [f.name for f in dataclasses.fields(cls)
                   if f.name not in values and f.default is dataclasses.MISSING
                   and f.default_factory is dataclasses.MISSING]
        if missing:
            raise FitFileError(f"The stored fit settings lack {missing}; refit and save again.")
        for key in ("columns", "law_options", "extra_columns", "versions", "chain_drop"):
            values[key] = dict(values.get(key) or {})
        values["attempts"] = [dict(a) for a in values.get("attempts") or []]
        values.update({key: int(values[key]) for key in ("draws", "tune", "chains", "random_seed")
                       if key in values})
        return cls(**values)

    def replace(self, **changes: Any) -> FitSettings:
        """A copy with ``changes``."""
        return dataclasses.replace(self, **changes)
