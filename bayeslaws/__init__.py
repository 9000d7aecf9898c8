"""bayeslaws: Bayesian scaling laws.

Fit a scaling law such as ``L(N, D) = E + A/N^alpha + B/D^beta`` to a table of training runs
and get a full posterior: calibrated forecasts at larger scale, intervals on every parameter,
and model comparison between law forms.

>>> import bayeslaws as bl
>>> fit = bl.fit("chinchilla", df, x={"N": "params", "D": "tokens"}, y="loss", random_seed=0)
>>> fit.predict({"N": [7e10], "D": [1.4e12]}, prob=0.9)

The public names are imported on first use (module ``__getattr__``), so that
``import bayeslaws`` and the command line's ``--help`` do not pay for PyMC, ArviZ and
matplotlib until a fit, a plot or a comparison needs them.
"""

from __future__ import annotations

import importlib
import sys
import types
from importlib import metadata
from typing import TYPE_CHECKING, Any

#: Public name -> the module of bayeslaws defining it.
_EXPORTS: dict[str, str] = {
    "backtest": "backtest",
    "get_law": "catalogue", "law_names": "catalogue", "laws": "catalogue",
    "register_law": "catalogue",
    "average": "compare", "compare": "compare",
    "prob_below": "decisions", "scale_for": "decisions",
    **{name: "exceptions" for name in (
        "BayesLawsError", "DataError", "FewRunsWarning", "FitFileError", "LawError",
        "OptionError", "PriorError", "SamplerError", "SamplerWarning")},
    "fit": "fitting",
    "Grouping": "hierarchy",
    "Law": "law", "Parameter": "law",
    "FitCollection": "many", "fit_many": "many",
    "compute_optimal": "optimal", "inference_optimal": "optimal",
    "plot_compare": "plots", "plot_compute_optimal": "plots", "plot_fit": "plots",
    "prior_predictive": "prior_predictive",
    "Prior": "priors",
    "Fit": "result", "load": "result",
    "FitSettings": "settings",
    "next_run": "design", "plot_next_run": "design",
    "InformedPriors": "informed",
    "IsoFLOPResult": "isoflop", "isoflop": "isoflop", "load_isoflop": "isoflop",
    "Components": "pca", "principal_components": "pca",
    "ExtrapolationWarning": "exceptions", "lfo": "lfo", "with_discrepancy": "discrepancy",
    "loo_pit": "calibration", "plot_calibration": "calibration",
}

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from bayeslaws.backtest import backtest
    from bayeslaws.calibration import loo_pit, plot_calibration
    from bayeslaws.catalogue import get_law, law_names, laws, register_law
    from bayeslaws.compare import average, compare
    from bayeslaws.decisions import prob_below, scale_for
    from bayeslaws.design import next_run, plot_next_run
    from bayeslaws.discrepancy import with_discrepancy
    from bayeslaws.exceptions import (
        BayesLawsError,
        DataError,
        ExtrapolationWarning,
        FewRunsWarning,
        FitFileError,
        LawError,
        OptionError,
        PriorError,
        SamplerError,
        SamplerWarning,
    )
    from bayeslaws.fitting import fit
    from bayeslaws.hierarchy import Grouping
    from bayeslaws.informed import InformedPriors
    from bayeslaws.isoflop import IsoFLOPResult, isoflop, load_isoflop
    from bayeslaws.law import Law, Parameter
    from bayeslaws.lfo import lfo
    from bayeslaws.many import FitCollection, fit_many
    from bayeslaws.optimal import compute_optimal, inference_optimal
    from bayeslaws.pca import Components, principal_components
    from bayeslaws.plots import plot_compare, plot_compute_optimal, plot_fit
    from bayeslaws.prior_predictive import prior_predictive
    from bayeslaws.priors import Prior
    from bayeslaws.result import Fit, load
    from bayeslaws.settings import FitSettings

try:
    __version__ = metadata.version("bayeslaws")
except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    __version__ = "0.0.0+unknown"

__all__ = [
    "BayesLawsError", "Components", "DataError", "ExtrapolationWarning", "Fit", "FitCollection",
    "FitSettings", "Grouping", "FewRunsWarning", "FitFileError", "InformedPriors",
    "IsoFLOPResult", "Law", "LawError", "OptionError", "Parameter", "Prior", "PriorError",
    "SamplerError", "SamplerWarning", "average", "backtest", "compare", "compute_optimal", "fit",
    "fit_many", "inference_optimal", "get_law", "isoflop", "law_names", "laws", "lfo", "load",
    "load_isoflop", "loo_pit", "next_run", "plot_calibration", "plot_compare",
    "plot_compute_optimal", "plot_fit", "plot_next_run", "principal_components",
    "prior_predictive", "prob_below", "register_law", "scale_for", "with_discrepancy",
    "__version__",
]


class _Package(types.ModuleType):
    """The package module: importing a submodule named like a public function
    (``bayeslaws.compare``, ``.backtest``, ``.prior_predictive``) does not rebind the function's
    name to the submodule, as the import system otherwise would."""

    def __setattr__(self, name: str, value: Any) -> None:
        if (name in _EXPORTS and isinstance(value, types.ModuleType)
                and value.__name__ == f"{__name__}.{name}"):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    """Import the module defining public ``name`` on first use (then cached in globals)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'bayeslaws' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"bayeslaws.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names (imported or not yet) and the module's dunder attributes."""
    return sorted(set(__all__) | {n for n in globals() if n.startswith("__")})
