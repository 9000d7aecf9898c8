r"""Rectified scaling law of fine-tuning loss against fine-tuning data (Lin et al. 2024).

.. math:: L(D) = \frac{B}{D_l + D^{\beta}} + E

``D`` is the number of fine-tuning examples (or tokens), ``E`` the irreducible loss, ``B`` an
amplitude, ``beta`` the exponent and ``D_l`` the "pre-learned data size": what pre-training
already taught about the task, in units of ``D^beta``. Small ``D`` (``D^beta << D_l``) is the
flat pre-power phase, large ``D`` the usual power law ``B D^-beta``.

Evaluated in log space: ``log L = logaddexp(log E, log B - logaddexp(log D_l, beta log D))``.
``B`` and ``D_l`` are sampled at the centre of ``log D`` (sheared by ``beta``: ``D_l`` as
``D_l / D_c^beta``, the transition relative to the data's centre ``D_c``), which removes their
strong correlation with ``beta``.

Default priors: ``E`` LogNormal with median 0.6 x the smallest loss (sigma 0.7); ``B`` the size
of the term at the data's centre (``at_centre``, median half the typical loss, sigma 1);
``beta`` LogNormal(log 0.3, 0.6); ``D_l`` LogNormal
centred at ``D^0.3`` at the centre of the data with the same width as ``B`` (the transition may
fall anywhere in or beyond the data). Prior predictive: losses around the data's scale, within
a few orders of magnitude.

Declarations: ``E`` is the floor (``floors``); in a grouped fit ``E``, ``B`` and ``D_l`` vary
between groups by default and the exponent ``beta`` is shared.

Reference: Lin et al. 2024, "Selecting Large Language Model to Fine-tune via Rectified Scaling
Law" (arXiv:2402.02314), eq. 3.
"""

from __future__ import annotations

import math

from bayeslaws.defaults import (
    TYPICAL_EXPONENT,
    amplitude_prior,
    amplitude_start,
    exponent_prior,
    floor_prior,
)
from bayeslaws.law import DataSummary, Law, Parameter
from bayeslaws.priors import Prior


def function(p, logx, xp):
    return xp.logaddexp(p.log_E, p.log_B - xp.logaddexp(p.log_D_l, p.beta * logx.D))


def default_priors(s: DataSummary) -> dict[str, Prior]:
    centre = s.inputs["D"].log_centre
    return {
        "E": floor_prior(s),
        "B": amplitude_prior(s, "D"),
        "beta": exponent_prior(),
        "D_l": Prior("LogNormal", mu=TYPICAL_EXPONENT * centre, sigma=max(3.0, 0.5 * abs(centre))),
    }


def initial(s: DataSummary) -> dict[str, float]:
    floor = 0.5 * s.y_min
    info = s.inputs["D"]
    return {
        "E": floor,
        "B": amplitude_start(s, "D", s.y_centre - floor),
        "beta": TYPICAL_EXPONENT,
        "D_l": math.exp(TYPICAL_EXPONENT * info.log_min),
    }


LAW = Law(
    name="rectified",
    inputs=("D",),
    parameters=(
        Parameter("E", description="irreducible loss"),
        Parameter("B", centre_input="D", centre_slope="beta", description="amplitude"),
        Parameter("beta", description="data exponent"),
        Parameter("D_l", centre_input="D", centre_slope="beta",
                  description="pre-learned data size (in units of D^beta)"),
    ),
    function=function,
    default_priors=default_priors,
    initial=initial,
    formula="L(D) = B / (D_l + D^beta) + E",
    reference="Lin et al. 2024 (arXiv:2402.02314)",
    description="fine-tuning loss with a pre-learned data phase",
    floors=("E",),
)
