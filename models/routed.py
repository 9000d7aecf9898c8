r"""Routed (mixture-of-experts) language models: loss against dense size and expert count.

.. math:: \log L(N, E) = a \log N + b \log E + c \log N \log E + d

``N`` is the parameter count of the dense model the routed one is built on (the parameters a
token passes through), ``E`` the number of experts (``E = 1``: the dense model itself). The
law is bilinear in the logs: ``a`` is the dense exponent (``a < 0``), ``b`` the gain from more
experts at ``N = 1`` and ``c`` how that gain changes with size (``c > 0``: routing helps small
models more, Clark et al.'s finding). Logs are natural logs here: ``a`` and ``b`` do not depend
on the base, but a fit in base-10 logs (the paper's) has ``c_10 = c ln 10`` and
``d_10 = d / ln 10``. ``d`` is sampled at the centre of the data's ``log N`` (sheared by ``a``,
its value there is the dense model's log-loss at the typical size).

Default priors: ``a`` Normal(-0.08, 0.025) (dense language-model exponents without a floor
are 0.05-0.1: Kaplan et al.'s 0.076); ``b`` Normal(-0.08, 0.04); ``c`` Normal(0.002, 0.002);
``d`` Normal centred where the prior median curve passes through the data's typical loss at the
data's centre, sd 0.2. The priors are independent, so the spread of ``a`` acts at ``log N``
of about 20 (not at the data's centre): wider slope priors put the prior band far below the
data. Prior predictive (``benchmarks/prior_ranges_routed.py``, 90% band of the law's curve,
kind="mean", on a simulated sweep N 1e7-1.3e9 x E 1-512): 0.30 x the smallest to 2.3 x the
largest loss; the prior median curve lies within a factor of 1.1 of the data.

Declarations: in a grouped fit ``d`` varies between groups (the level), the slopes are shared.

Reference: Clark et al. 2022, "Unified Scaling Laws for Routed Language Models"
(arXiv:2202.01169), eq. (1) (the bilinear fit of Figure 1a); the saturating form is
``routed_saturating``.
"""

from bayeslaws.law import Law, Parameter
from bayeslaws.priors import Prior

#: Prior medians of the slopes (natural logs).
A0, B0, C0 = -0.08, -0.08, 0.002


def function(p, logx, xp):
    return p.a * logx.N + p.b * logx.E + p.c * logx.N * logx.E + p.d


def level_prior(s, log_e_centre: float) -> Prior:
    """``d`` such that the prior median curve has the data's typical loss at the data's centre
    (``log_e_centre``: the centre of the log expert count the slopes act on)."""
    n_c = s.inputs["N"].log_centre
    mu = s.log_y_centre - A0 * n_c - B0 * log_e_centre - C0 * n_c * log_e_centre
    return Prior("Normal", mu=float(mu), sigma=0.2)


def slope_priors() -> dict[str, Prior]:
    return {"a": Prior("Normal", mu=A0, sigma=0.025), "b": Prior("Normal", mu=B0, sigma=0.04),
            "c": Prior("Normal", mu=C0, sigma=0.002)}


def default_priors(s):
    return {**slope_priors(), "d": level_prior(s, s.inputs["E"].log_centre)}


def initial(s):
    n_c, e_c = s.inputs["N"].log_centre, s.inputs["E"].log_centre
    return {"a": A0, "b": B0, "c": C0,
            "d": s.log_y_centre - A0 * n_c - B0 * e_c - C0 * n_c * e_c}


SLOPES = (
    Parameter("a", support="real", description="dense exponent of log L in log N"),
    Parameter("b", support="real", description="slope of log L in log E at N = 1"),
    Parameter("c", support="real", description="interaction: change of the E-slope with log N"),
)
LEVEL = Parameter("d", support="real", centre_input="N", centre_slope="-a",
                  description="log L at N = 1, E = 1 (sampled at the data's centre)")

LAW = Law(
    name="routed",
    inputs=("N", "E"),
    parameters=(*SLOPES, LEVEL),
    function=function,
    default_priors=default_priors,
    initial=initial,
    formula="log L = a log N + b log E + c log N log E + d",
    reference="Clark et al. 2022 (arXiv:2202.01169)",
    description="routed / mixture-of-experts LM: bilinear in log N and log E",
    varying=("d",),
)
