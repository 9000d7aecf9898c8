r"""Coverage of repeated sampling: the fraction of problems solved by at least one of k samples.

.. math:: \mathrm{coverage}(k) = 1 - \exp\!\left(-a\, k^{b}\right)

``k`` is the number of samples drawn per problem, ``coverage`` the fraction of problems for
which some sample is correct (pass@k). ``a`` sets the coverage of one sample
(``1 - exp(-a)``), ``b > 0`` how fast coverage grows: ``-log(1 - coverage)`` is a power law in
``k``. Evaluated as ``-expm1(-exp(log a + b log k))``, accurate near 0 and 1. ``a`` is sampled
at the centre of ``log k`` (sheared by ``b``).

Likelihood: ``binomial`` on the number of problems solved (``extra={"trials":
"<number of problems column>"}``), or ``beta`` on the coverage.

Default priors: ``b`` LogNormal(log 0.5, 0.7) (90%: 0.16-1.6); ``a`` LogNormal centred where
``a k^0.5 = 1`` (coverage 63%) at the centre of ``log k``, sd 2. Prior predictive: coverages in
(0, 1) rising with ``k``; the 90% prior band spans most of (0, 1) at the data's centre.

Reference: Brown et al. 2024, "Large Language Monkeys: Scaling Inference Compute with Repeated
Sampling" (arXiv:2407.21787), eq. 2.
"""

from bayeslaws.law import Law, Parameter
from bayeslaws.priors import Prior


def function(p, logx, xp):
    return -xp.expm1(-xp.exp(p.log_a + p.b * logx.k))


def default_priors(s):
    return {"a": Prior("LogNormal", mu=-0.5 * s.inputs["k"].log_centre, sigma=2.0),
            "b": Prior("LogNormal", mu=-0.6931471805599453, sigma=0.7)}


def initial(s):
    import math

    centre = s.inputs["k"].log_centre
    y = min(max(s.y_centre, 0.02), 0.98)
    return {"b": 0.5, "a": -math.log1p(-y) * math.exp(-0.5 * centre)}


LAW = Law(
    name="test_time_coverage",
    inputs=("k",),
    parameters=(
        Parameter("a", centre_input="k", centre_slope="-b",
                  description="rate: coverage of one sample is 1 - exp(-a)"),
        Parameter("b", description="exponent of -log(1 - coverage) in k"),
    ),
    function=function,
    default_priors=default_priors,
    initial=initial,
    formula="coverage(k) = 1 - exp(-a k^b)",
    reference="Brown et al. 2024 (arXiv:2407.21787)",
    link="identity",
    description="pass@k coverage of repeated sampling",
)
