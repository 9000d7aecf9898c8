r"""Broken neural scaling law (BNSL) with one, two or three breaks.

.. math:: y = a + b \, x^{-c_0} \prod_{i=1}^{n} \left(1 + \left(\frac{x}{d_i}\right)^{1/f_i}
          \right)^{-c_i f_i}

Each break ``i`` at ``x = d_i`` changes the log-log slope of ``y - a`` by ``c_i`` (from
``c_0`` before the first break to ``c_0 + c_1 + ... + c_n`` after the last); the transition
spans about ``f_i`` natural-log units of ``x`` (small ``f_i``: a sharp break). ``c_i`` may be
negative, so the law also follows U-shapes and double descent (build with ``breaks=2`` or 3).
``a`` is the floor the curve approaches, ``b`` the amplitude at ``x = 1``.

Evaluated in log space: ``log y = logaddexp(log a, log b - c_0 log x - sum_i c_i f_i
softplus((log x - log d_i) / f_i))``, exact and free of overflow for sharp breaks.

Parametrisation: the break points are ordered, ``d_1 < d_2 < ...``: ``d_1`` is sampled in
``log x`` around the data's centre and each later one as the log of its gap in ``log x`` to the
previous (support ``"ordered"``), so chains cannot swap breaks. ``b`` is sampled at the centre
of ``log x`` (sheared by ``c_0``). The priors stay those below, on the paper's parameters,
restricted to ``d_1 < d_2 < ...``.

Sampling: these reparametrisations remove the divergences on U-shaped and double-descent
curves, but a sharp break seen through few points (plateau, then a drop over a fraction of an
e-fold, as in 4-digit addition) leaves a narrow curved ridge between the floor ``a``, the slope
change ``c1`` and the break ``d1`` (posterior correlations 0.93-0.99). NUTS at its usual target
acceptance (0.8) then diverges or mixes badly (simulated plateau: 10 divergences, R-hat 1.42;
double descent: R-hat 1.86; real 4-digit data: 88 divergences), and at 0.95 it does not (0
divergences, R-hat <= 1.03 on all three simulated cases, 0 divergences and R-hat 1.014 on the
real data), so ``bnsl`` samples with ``target_accept=0.95`` unless told otherwise. It keeps
nutpie's diagonal mass-matrix adaptation: the low-rank one (bayeslaws' default) was faster on
the U shape but diverged on the plateau (1) and the double descent (84 against 1)
(``benchmarks/adaptation.py``).

Real learning curves are often multimodal under one break: on the revisiting benchmark's IC
curves a chain sits in another explanation of the data in 27 of 72 default fits
(``benchmarks/defaults.py``, ``results/defaults/after7``), so that only 19% of those fits
converge. On ``IC c_10 BiT/50/1``, for instance, one chain puts a sharp break at the first run
(error near chance) and the floor at the smallest error (log-likelihood 213), the other three
a power law that slows at mid-range towards a floor far below (227): the two extrapolate
differently. Longer tuning, another seed, optimised starts, a lognormal likelihood and a
heavier-tailed prior on the Student-t ``nu`` (Gamma(4, 0.2): 14 of 77 deciding fits converge,
as at the default) do not remove it; the fit's warning names the chain, and the forecast
intervals span both explanations unless ``stuck_chains="drop"`` (benchmarks/README.md,
"Reliability of the default settings").

Default priors (``s`` is the data summary): ``a`` LogNormal with median 0.6 x the smallest y;
``b`` the size of the power-law term at the data's centre (``at_centre``, median half the
typical y, sigma 1); ``c_0`` Normal(0, 1); ``c_i`` Normal(0, 3); ``d_i`` LogNormal around the
centre of ``log x`` with sd 0.6 x the log span of x (90% interval: the data range and half a
span beyond each end); ``f_i`` LogNormal with median a tenth of the log span of x and sd 1.5.
Prior predictive (``benchmarks/prior_ranges.py``): the prior median curve is within a factor of
3 of the data's range, but the 90% band reaches 3e2-8e10 x the largest y with 1 break and
6e3-1e16 x with 2 on wide-spanning curves: slope changes of several units (needed for sharp
emergent drops, c1 = 5.7 on 4-digit addition) compound over the breaks. Not yet weakly
informative at the band's upper end; narrowing it would exclude the published fits.

Declarations: ``a`` is the floor (``floors``). In a grouped fit the floor ``a``, the amplitude
``b`` and the break points vary between groups by default (the rule of
:meth:`~bayeslaws.law.Law.default_varying`: the floor, the centred ``b`` and ``d1``, and the
later break points ordered above ``d1``); the slopes and sharpnesses are shared.

Reference: Caballero, Gupta, Rish and Krueger 2023, "Broken Neural Scaling Laws"
(arXiv:2210.14891), eq. 1.
"""

from __future__ import annotations

import math

from bayeslaws.defaults import (
    amplitude_prior,
    amplitude_start,
    break_prior,
    floor_prior,
    sharpness_prior,
    slope_change_prior,
)
from bayeslaws.exceptions import LawError
from bayeslaws.law import DataSummary, Law, Parameter
from bayeslaws.priors import Prior

NAME = "bnsl"
MAX_BREAKS = 3
#: NUTS target acceptance of bnsl fits (see "Sampling" above).
TARGET_ACCEPT = 0.95


def _function(breaks: int):
    def function(p, logx, xp):
        curve = p.log_b - p.c0 * logx.x
        for i in range(1, breaks + 1):
            c, f, log_d = getattr(p, f"c{i}"), getattr(p, f"f{i}"), getattr(p, f"log_d{i}")
            curve = curve - c * f * xp.softplus((logx.x - log_d) / f)
        return xp.logaddexp(p.log_a, curve)

    return function


def _priors(breaks: int):
    def default_priors(s: DataSummary) -> dict[str, Prior]:
        priors = {
            "a": floor_prior(s),
            "b": amplitude_prior(s, "x"),
            "c0": Prior("Normal", mu=0.0, sigma=1.0),
        }
        for i in range(1, breaks + 1):
            priors[f"c{i}"] = slope_change_prior()
            priors[f"d{i}"] = break_prior(s, "x")
            priors[f"f{i}"] = sharpness_prior(s, "x")
        return priors

    return default_priors


def _initial(breaks: int):
    def initial(s: DataSummary) -> dict[str, float]:
        info = s.inputs["x"]
        floor = 0.5 * s.y_min
        start = {"a": floor, "b": amplitude_start(s, "x", s.y_centre - floor, 0.1), "c0": 0.1}
        for i in range(1, breaks + 1):
            start[f"c{i}"] = 0.5
            start[f"d{i}"] = math.exp(info.log_min + info.log_span * i / (breaks + 1))
            start[f"f{i}"] = 0.1 * max(info.log_span, 0.5)
        return start

    return initial


def build(breaks: int = 1) -> Law:
    """BNSL with ``breaks`` breaks (1, 2 or 3)."""
    if breaks not in range(1, MAX_BREAKS + 1) or isinstance(breaks, bool):
        raise LawError(
            f"bnsl: breaks={breaks!r} is not supported; valid choices: 1, 2, 3 "
            "(e.g. bl.fit('bnsl', df, law_options={'breaks': 2}))."
        )
    parameters = [
        Parameter("a", description="floor approached at large x"),
        Parameter("b", centre_input="x", centre_slope="c0", description="amplitude at x = 1"),
        Parameter("c0", support="real", description="log-log slope before the first break"),
    ]
    for i in range(1, breaks + 1):
        if i == 1:
            location = Parameter("d1", centre_input="x", description="first break point")
        else:
            location = Parameter(f"d{i}", support="ordered", lower=f"d{i - 1}",
                                 description=f"break point {i} (above d{i - 1})")
        parameters += [
            Parameter(f"c{i}", support="real", description=f"slope change at break {i}"),
            location,
            Parameter(f"f{i}", description=f"sharpness of break {i} (width in log x)"),
        ]
    product = " ".join(f"(1 + (x/d{i})^(1/f{i}))^(-c{i} f{i})" for i in range(1, breaks + 1))
    return Law(
        name=NAME,
        inputs=("x",),
        parameters=tuple(parameters),
        function=_function(breaks),
        default_priors=_priors(breaks),
        initial=_initial(breaks),
        formula=f"y = a + b x^-c0 {product}",
        reference="Caballero et al. 2023 (arXiv:2210.14891)",
        options={"breaks": breaks},
        description=f"broken neural scaling law with {breaks} break(s)",
        target_accept=TARGET_ACCEPT,
        adaptation="diag",
        floors=("a",),
    )
