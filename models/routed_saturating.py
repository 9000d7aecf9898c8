r"""Routed (mixture-of-experts) language models with a saturating expert count.

.. math::

    \log L(N, E) = a \log N + b \log \hat E + c \log N \log \hat E + d, \qquad
    \frac{1}{\hat E} = \frac{1}{E - 1 + \left(\frac{1}{E_{start}} - \frac{1}{E_{max}}\right)^{-1}}
    + \frac{1}{E_{max}}

The bilinear law of ``routed`` with the expert count ``E`` replaced by Clark et al.'s
saturating transform ``E-hat``: ``E-hat = E_start`` at ``E = 1`` and grows like ``E`` for
``E_start << E << E_max``, then saturates at ``E_max``, where more experts stop helping (the
bilinear law's straight lines in log E bend over). ``E - 1 + (1/E_start - 1/E_max)^-1`` is
evaluated as is (``E >= 1`` for real models); with ``1 < E_start < E_max`` (``E_start`` is
``ordered`` above 1, ``E_max`` above ``E_start``) it stays positive for every ``E > 0``, so
``log E-hat`` is finite everywhere.
Logs are natural logs (see ``routed`` for base-10 coefficients).

Default priors: ``a``, ``b``, ``c`` as in ``routed``; ``d`` centred where the prior median
curve (at ``E-hat = E``) meets the data's typical loss at the data's centre, sd 0.2;
``E_start`` LogNormal(log 2, 0.5) above 1; ``E_max`` LogNormal with median 4 x the largest
expert count in the data, sigma 1.5 (saturation anywhere from inside the data to far beyond
it). Prior predictive (``benchmarks/prior_ranges_routed.py``, 90% band of the law's curve on
a simulated sweep N 1e7-1.3e9 x E 1-512): 0.32 x the smallest to 2.2 x the largest loss; the
prior median curve lies within a factor of 1.1 of the data.

Declarations: in a grouped fit ``d`` varies between groups, the slopes and the saturation are
shared.

Reference: Clark et al. 2022, "Unified Scaling Laws for Routed Language Models"
(arXiv:2202.01169): the saturating transform of ``E`` and the law in ``E-hat``.

Verification status (UNVERIFIED against the paper's text). The transform above is written from
memory of the paper. It was checked on 2026-12-02 against the stored public copies reachable
with the project's search tools: the ``pages`` corpus holds the paper (the arXiv v2 LaTeX
source in Google's SPIQA dump, chapterpal.com, demo.testnot.com, the Hugging Face paper page,
liner.com's review), but every look-up returned only the opening (title, abstract,
introduction), never the section that defines ``E-hat`` or the tables of fitted
coefficients; the ``code`` and ``docs`` corpora and exact-string searches of public GitHub
files (``E_{start}``, ``E_{\\text{start}}``, ``E_{\\rm start}``, ``E_start``, ``\\hat{E}``,
the paper's title) found citations of the paper but no copy of the equation and no code that
implements it. What IS checked (tests/test_routed.py) is only that the formula has the
properties this file states for it (recalled, not read, as the paper's): ``E-hat = E_start`` at
``E = 1``, ``E-hat -> E_max`` as ``E -> inf``, and ``E-hat = E - 1 + E_start`` without
saturation (``E_max -> inf``). Still to verify against the paper: the exact equation (and its
number), whether ``E_start`` is defined as ``E-hat(1)`` as here, and the published
``E_start``, ``E_max`` values; compare fitted ``E_start``, ``E_max`` with the paper's
only after that.
"""

import math

from bayeslaws.law import Law, Parameter
from bayeslaws.priors import Prior

#: Prior medians of the slopes (natural logs), as in ``routed``.
A0, B0, C0 = -0.08, -0.08, 0.002


def log_e_hat(p, log_e, xp):
    """``log E-hat``: ``u = E - 1 + E_start E_max / (E_max - E_start)``, ``E-hat = u E_max /
    (u + E_max)``, in logs (``E_max > E_start > 1``, so ``u > 0``)."""
    shift = p.E_start * p.E_max / (p.E_max - p.E_start)
    u = xp.exp(log_e) - 1.0 + shift
    return xp.log(u) + p.log_E_max - xp.log(u + p.E_max)


def function(p, logx, xp):
    log_e = log_e_hat(p, logx.E, xp)
    return p.a * logx.N + p.b * log_e + p.c * logx.N * log_e + p.d


def default_priors(s):
    n_c, e_c = s.inputs["N"].log_centre, s.inputs["E"].log_centre
    mu = s.log_y_centre - A0 * n_c - B0 * e_c - C0 * n_c * e_c
    return {"a": Prior("Normal", mu=A0, sigma=0.025), "b": Prior("Normal", mu=B0, sigma=0.04),
            "c": Prior("Normal", mu=C0, sigma=0.002), "d": Prior("Normal", mu=float(mu), sigma=0.2),
            "E_start": Prior("LogNormal", mu=math.log(2.0), sigma=0.5),
            "E_max": Prior("LogNormal", mu=s.inputs["E"].log_max + math.log(4.0), sigma=1.5)}


def initial(s):
    n_c, e_c = s.inputs["N"].log_centre, s.inputs["E"].log_centre
    return {"a": A0, "b": B0, "c": C0,
            "d": s.log_y_centre - A0 * n_c - B0 * e_c - C0 * n_c * e_c,
            "E_start": 2.0, "E_max": 4.0 * math.exp(s.inputs["E"].log_max)}


LAW = Law(
    name="routed_saturating",
    inputs=("N", "E"),
    parameters=(
        Parameter("a", support="real", description="dense exponent of log L in log N"),
        Parameter("b", support="real", description="slope of log L in log E-hat at N = 1"),
        Parameter("c", support="real", description="interaction of log N and log E-hat"),
        Parameter("d", support="real", centre_input="N", centre_slope="-a",
                  description="log L at N = 1, E-hat = 1 (sampled at the data's centre)"),
        Parameter("E_start", support="ordered", lower=1.0,
                  description="E-hat of the dense model (E = 1)"),
        Parameter("E_max", support="ordered", lower="E_start",
                  description="expert count at which routing saturates"),
    ),
    function=function,
    default_priors=default_priors,
    initial=initial,
    formula="log L = a log N + b log Eh + c log N log Eh + d, "
            "1/Eh = 1/(E - 1 + (1/E_start - 1/E_max)^-1) + 1/E_max",
    reference="Clark et al. 2022 (arXiv:2202.01169)",
    description="routed / mixture-of-experts LM with saturating expert count E-hat",
    varying=("d",),
)
