r"""Loss-to-loss prediction: one loss as a shifted power law of another (Brandfonbrener et al.).

.. math:: L_y = K\,(L_x - E_x)^{\kappa} + E_y

``L_x`` is a model's loss on one distribution (e.g. its training data), ``L_y`` its loss on
another (another data set, or a downstream test loss), ``E_x`` and ``E_y`` the irreducible
losses of each, ``K`` and ``kappa`` the scale and exponent of the relation. Models of a family
fall on one curve, so ``L_y`` of a larger model can be forecast from ``L_x``.

``E_x`` must lie below every observed ``L_x``: it is bounded to ``(0, min L_x)`` of the fitted
data (a data-dependent bound). Evaluated in log space:
``log L_y = logaddexp(log E_y, log K + kappa log(L_x - E_x))``.

Sampling: ``E_x`` is bounded by the smallest ``L_x`` and trades off with ``K`` and ``kappa``
near that bound; NUTS at its usual target acceptance (0.8) left 47 divergences in 4,000
draws (R-hat 1.08) on the simulated recovery case (``tests/test_catalogue.py``, 4 x 1,000
draws), 0.9 none (R-hat 1.02) and 0.95 none (R-hat 1.007), so the law samples with
``target_accept=0.95`` unless told otherwise, with nutpie's diagonal mass-matrix adaptation:
the low-rank one (bayeslaws' default) left 12 divergences on the same case, the diagonal none
(``benchmarks/adaptation.py``).

Default priors: ``E_x`` LogNormal with median half the smallest ``L_x`` and sd 0.5, restricted to
``(0, min L_x)``; ``E_y`` LogNormal with median 0.6 x the smallest ``L_y``; ``K`` LogNormal
around the data's typical ``L_y`` with sd 2; ``kappa`` LogNormal(0, 0.5) (90%: 0.44-2.3; the
paper's fits are near 1). Prior predictive: ``L_y`` around the data's scale, within about an
order of magnitude either way.

Declarations: none for grouped fits. No parameter is centred or declared a floor, so
:meth:`~bayeslaws.law.Law.default_varying` is empty and a grouped fit names the parameters that
vary (e.g. ``varying=["E_y", "K"]``).

Reference: Brandfonbrener et al. 2024, "Loss-to-Loss Prediction: Scaling Laws for All Datasets"
(arXiv:2411.12925), eq. 2.
"""

from __future__ import annotations

import math

import numpy as np

from bayeslaws.defaults import floor_prior
from bayeslaws.law import DataSummary, Law, Parameter
from bayeslaws.priors import Prior


def function(p, logx, xp):
    gap = xp.exp(logx.Lx) - p.E_x
    return xp.logaddexp(p.log_E_y, p.log_K + p.kappa * xp.log(gap))


def default_priors(s: DataSummary) -> dict[str, Prior]:
    return {
        "E_x": Prior("LogNormal", mu=s.inputs["Lx"].log_min - math.log(2.0), sigma=0.5),
        "E_y": floor_prior(s),
        "K": Prior("LogNormal", mu=s.log_y_centre, sigma=2.0),
        "kappa": Prior("LogNormal", mu=0.0, sigma=0.5),
    }


def initial(s: DataSummary) -> dict[str, float]:
    lx_min = math.exp(s.inputs["Lx"].log_min)
    lx_centre = math.exp(s.inputs["Lx"].log_centre)
    floor = 0.5 * s.y_min
    return {"E_x": 0.5 * lx_min, "E_y": floor, "kappa": 1.0,
            "K": max(s.y_centre - floor, 1e-6 * s.y_centre) / (lx_centre - 0.5 * lx_min)}


LAW = Law(
    name="loss_to_loss",
    inputs=("Lx",),
    parameters=(
        Parameter("E_x", support="interval", lower=0.0, upper="Lx_min",
                  description="irreducible loss of the x distribution (below min Lx)"),
        Parameter("E_y", description="irreducible loss of the y distribution"),
        Parameter("K", description="scale of the relation"),
        Parameter("kappa", description="exponent of the relation"),
    ),
    function=function,
    default_priors=default_priors,
    initial=initial,
    formula="L_y = K (L_x - E_x)^kappa + E_y",
    reference="Brandfonbrener et al. 2024 (arXiv:2411.12925)",
    description="loss on one distribution against loss on another",
    statistics={"Lx_min": lambda x: float(np.min(x["Lx"]))},
    target_accept=0.95,
    adaptation="diag",
)
