"""bayeslaws: Bayesian scaling laws.

Fit a scaling law such as ``L(N, D) = E + A/N^alpha + B/D^beta`` to a table of training runs
and get a full posterior: calibrated forecasts at larger scale, intervals on every parameter,
and model comparison between law forms.

>>> import bayeslaws as bl
>>> fit = bl.fit("chinchilla", df, x={"N": "params", "D": "tokens"}, y="loss", random_seed=0)
>>> fit.predict({"N": [7e10], "D": [1.4e12]}, prob=0.9)
"""

from importlib import metadata

from bayeslaws.backtest import backtest
from bayeslaws.calibration import loo_pit, plot_calibration
from bayeslaws.catalogue import get_law, law_names, laws, register_law
from bayeslaws.compare import average, compare
from bayeslaws.decisions import prob_below, scale_for
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
from bayeslaws.law import Law, Parameter
from bayeslaws.lfo import lfo
from bayeslaws.many import FitCollection, fit_many
from bayeslaws.optimal import compute_optimal, inference_optimal
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
    "BayesLawsError", "DataError", "Fit", "FitCollection", "FitSettings", "Grouping",
    "FewRunsWarning", "FitFileError", "Law", "LawError", "OptionError", "Parameter", "Prior",
    "PriorError", "SamplerError", "SamplerWarning", "average", "backtest", "compare",
    "compute_optimal", "fit", "fit_many", "inference_optimal", "get_law", "law_names", "laws",
    "load", "plot_compare", "plot_compute_optimal", "plot_fit", "prior_predictive", "prob_below",
    "register_law", "scale_for", "__version__",
]
__all__ += ["ExtrapolationWarning", "lfo", "loo_pit", "plot_calibration", "with_discrepancy"]
