r"""Power law with an irreducible floor, and its alias ``m2`` (the revisiting benchmark's M2).

.. math:: y = E + A \, x^{-\alpha}

``E`` is the irreducible loss that no amount of scale removes. Evaluated in log space as
``logaddexp(log E, log A - alpha log x)``; ``A`` is sampled at the centre of ``log x``
(sheared by ``alpha``).

Default priors (``bayeslaws.defaults``): ``E`` LogNormal with median 0.6 x the smallest y
(sigma 0.7); ``A`` as the size of the term at the data's centre (``at_centre``), LogNormal with
median half the typical y, sigma 1; ``alpha`` LogNormal(log 0.3, 0.6). Prior predictive
(``benchmarks/prior_ranges.py``, 90% band against the data's range on revisiting curves and
4-digit addition): 0.37-0.65 x the smallest to 3.1-13 x the largest y; the prior median curve
within a factor of 3.

Declarations: ``E`` is the floor (``floors``); in a grouped fit ``E`` and ``A`` vary between
groups and the exponent is shared (``varying``).

Alias ``m2``
------------
Estimator M2 of Alabdulmohsin, Neyshabur and Zhai's benchmark, a power law with a limiting
error, in the paper's names (``E`` is ``e_inf``, ``A`` is ``b``, ``alpha`` is ``c``):

.. math:: y = e_{\infty} + b\, x^{-c}

``x`` is the number of examples seen, ``y`` the error or loss and ``e_inf`` the error reached
with unlimited data. (Alabdulmohsin et al. write ``beta x^c`` with ``c < 0``; here ``c > 0``.)
Priors, starting values and sampling are those of ``saturating_power_law`` under the new names:
``e_inf`` LogNormal with median 0.6 x the smallest y, ``b`` wide LogNormal centred where
``b x^-0.3`` matches the data, ``c`` LogNormal(log 0.3, 1). In a grouped fit only ``b``
varies by default (``e_inf`` is shared), as before law files declared their varying parameters.

Reference: Hestness et al. 2017 (arXiv:1712.00409); Henighan et al. 2020, "Scaling Laws for
Autoregressive Generative Modeling" (arXiv:2010.14701). ``m2``: Alabdulmohsin, Neyshabur and
Zhai 2022, "Revisiting Neural Scaling Laws in Language and Vision" (arXiv:2209.06640),
section 2 (M2).
"""

from bayeslaws.defaults import amplitude_prior, amplitude_start, exponent_prior, floor_prior
from bayeslaws.law import Law, Parameter


def function(p, logx, xp):
    return xp.logaddexp(p.log_E, p.log_A - p.alpha * logx.x)


def default_priors(s):
    return {"E": floor_prior(s), "A": amplitude_prior(s, "x"), "alpha": exponent_prior()}


def initial(s):
    floor = 0.5 * s.y_min
    return {"E": floor, "A": amplitude_start(s, "x", s.y_centre - floor), "alpha": 0.3}


LAW = Law(
    name="saturating_power_law",
    inputs=("x",),
    parameters=(
        Parameter("E", description="irreducible loss"),
        Parameter("A", centre_input="x", centre_slope="alpha", description="amplitude at x = 1"),
        Parameter("alpha", description="exponent"),
    ),
    function=function,
    default_priors=default_priors,
    initial=initial,
    formula="y = E + A x^-alpha",
    reference="Henighan et al. 2020 (arXiv:2010.14701)",
    varying=("E", "A"),
    floors=("E",),
)

#: The same law under other names (see "Alias m2" above): ``rename`` maps this law's parameter
#: names to the alias's; ``descriptions`` gives new parameter descriptions; the other keys
#: replace fields of the renamed law.
ALIASES = {
    "m2": {
        "rename": {"E": "e_inf", "A": "b", "alpha": "c"},
        "descriptions": {"e_inf": "error with unlimited data"},
        "formula": "y = e_inf + b x^-c",
        "reference": "Alabdulmohsin et al. 2022 (arXiv:2209.06640), M2",
        "description": "revisiting benchmark M2: power law with limiting error",
        # the grouped-fit default m2 always had (its floor is not called E)
        "varying": ("b",),
    },
}
