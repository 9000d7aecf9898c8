"""bayeslaws/catalogue.py: listing, documenting, registering and validating law files.

The listing (``bl.laws()``) names every law with its inputs, formula and reference, and every
law file documents its formula. Every law file is validated the same way on load: shipped files,
aliases and user files. Each broken user file below differs from a valid one in one place and
must be refused by :func:`bayeslaws.register_law` with a
:class:`~bayeslaws.exceptions.LawError` that names the file, the law and the fix -- and must leave
nothing registered.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

import bayeslaws as bl
from bayeslaws import catalogue
from bayeslaws.catalogue import models_dir
from bayeslaws.exceptions import LawError
from tests.helpers import fit_runs, runs

# -- listing and documentation ----------------------------------------------------------------
CORE_LAWS = ("power_law", "saturating_power_law", "chinchilla", "kaplan")


EXPECTED = {"bnsl", "sigmoid", "loss_to_accuracy", "rectified", "loss_to_loss",
            "data_constrained", "overtraining", "m1", "m2", "m3", "m4", "lr_annealing",
            "test_time_coverage", "chinchilla", "kaplan", "power_law", "saturating_power_law"}


def test_catalogue_lists_core_laws_with_formula_and_reference():
    table = bl.laws()
    assert table.index.name == "name"
    assert {"inputs", "parameters", "formula", "reference"} <= set(table.columns)
    assert set(CORE_LAWS) <= set(table.index)
    row = table.loc["chinchilla"]
    assert row["inputs"] == "N, D"
    assert row["parameters"] == "E, A, B, alpha, beta"
    assert "Hoffmann" in row["reference"]


def test_laws_table_lists_every_law_with_inputs_formula_and_reference():
    table = bl.laws()
    assert EXPECTED <= set(table.index)
    for name in EXPECTED:
        row = table.loc[name]
        assert row["inputs"] and row["formula"] and row["reference"], name
        assert "arXiv" in row["reference"], name


@pytest.mark.parametrize("name", CORE_LAWS)
def test_each_law_file_documents_its_formula(name):
    text = (models_dir() / f"{name}.py").read_text()
    assert ".. math::" in text and "Reference" in text


def test_every_law_file_documents_formula_reference_and_priors():
    from bayeslaws.catalogue import _REGISTRY, _ensure_loaded

    _ensure_loaded()
    for name in EXPECTED - {"chinchilla", "kaplan", "power_law", "saturating_power_law"}:
        doc = " ".join(_REGISTRY[name].__doc__.split())
        assert ".. math::" in doc and "Reference" in doc and "Default priors" in doc, name
        assert "Prior predictive" in doc, name


@pytest.mark.usefixtures("no_sampling")
def test_unknown_law_lists_choices():
    with pytest.raises(bl.LawError, match=r"Unknown law 'chinchila'.*'chinchilla'"):
        fit_runs(runs(), law="chinchila")


# -- registering and validating law files -----------------------------------------------------
def test_register_user_law_file(tmp_path):
    source = (models_dir() / "power_law.py").read_text().replace('"power_law"', '"my_power"')
    path = tmp_path / "my_power.py"
    path.write_text(source)
    assert bl.register_law(path) == "my_power"
    assert "my_power" in bl.law_names()
    with pytest.raises(bl.LawError, match="already registered"):
        bl.register_law(path)


TEMPLATE = '''r"""A user's power law.

{math}

Reference: nobody 2025.
"""

import numpy as np

from bayeslaws.defaults import amplitude_prior, exponent_prior
from bayeslaws.law import Law, Parameter

{extra}


def function(p, logx, xp):
    return {body}


def default_priors(s):
    return {{{priors}}}


LAW = Law(
    name="{name}",
    inputs=("x",),
    parameters=(
        Parameter("A", centre_input="{centre}", centre_slope="{slope}"),
        Parameter("alpha"),{more}
    ),
    function=function,
    default_priors=default_priors,
    formula="{formula}",
    reference="nobody 2025",{fields}
)
{aliases}'''


VALID = {
    "math": ".. math:: y = A x^{-\\alpha}",
    "extra": "",
    "body": "p.log_A - p.alpha * logx.x",
    "priors": '"A": amplitude_prior(s, "x"), "alpha": exponent_prior()',
    "centre": "x",
    "slope": "alpha",
    "more": "",
    "formula": "y = A x^-alpha",
    "fields": "",
    "aliases": "",
}


_COUNT = iter(range(10**6))


def _write(tmp_path: Path, **changes) -> tuple[Path, str]:
    name = f"user_law_{next(_COUNT)}"
    path = tmp_path / f"{name}.py"
    path.write_text(TEMPLATE.format(name=name, **{**VALID, **changes}))
    return path, name


def test_the_template_is_valid(tmp_path):
    path, name = _write(tmp_path)
    assert bl.register_law(path) == name
    law = bl.get_law(name)
    assert law.default_varying() == ("A",)


BROKEN = {
    "prior under a wrong name": (
        {"priors": '"A": amplitude_prior(s, "x"), "alpah": exponent_prior()'},
        r"no default prior for \['alpha'\] and default priors under unknown name\(s\) "
        r"\['alpah'\]; default_priors must return one prior for each parameter"),
    "extra prior": (
        {"priors": '"A": amplitude_prior(s, "x"), "alpha": exponent_prior(), '
                   '"sigma": exponent_prior()'},
        r"default priors under unknown name\(s\) \['sigma'\]"),
    "prior that is not a Prior": (
        {"priors": '"A": amplitude_prior(s, "x"), "alpha": 0.3'},
        r"the default prior of 'alpha' is 0.3, not a bayeslaws.Prior"),
    "missing math block": (
        {"math": "y = A x^-alpha"},
        r"the module docstring has no '\.\. math::' block with the formula"),
    "empty formula": ({"formula": ""}, r"formula is empty; give the formula in plain text"),
    "unknown varying name": (
        {"fields": '\n    varying=("A", "beta"),'},
        r"varying names \['beta'\], which are not parameters of the law; valid names: "
        r"'A', 'alpha'"),
    "varying as a string": ({"fields": '\n    varying="A",'}, r"must be a tuple"),
    "unknown floor name": ({"fields": '\n    floors=("E",)'}, r"floors names \['E'\]"),
    "repeated parameter": (
        {"more": '\n        Parameter("alpha"),'},
        r"parameter name\(s\) \['alpha'\] appear more than once"),
    "unknown centring input": (
        {"centre": "N"}, r"parameter 'A' is centred on unknown input 'N'; inputs are 'x'"),
    "unknown centring slope": (
        {"slope": "beta"}, r"parameter 'A' has unknown centring slope 'beta'"),
    "unknown named bound": (
        {"more": '\n        Parameter("B", support="ordered", lower="D"),',
         "priors": '"A": amplitude_prior(s, "x"), "alpha": exponent_prior(), '
                   '"B": exponent_prior()'},
        r"parameter 'B' has lower='D', which is neither a parameter nor a statistic"),
    "unknown requires": (
        {"more": '\n        Parameter("B", support="interval", lower=0.0, '
                 'upper=lambda r, xp: 2 * r.A, requires=("A", "Q")),',
         "priors": '"A": amplitude_prior(s, "x"), "alpha": exponent_prior(), '
                   '"B": exponent_prior()'},
        r"parameter 'B' requires \['Q'\], which are neither parameters nor statistics"),
    "computed bound without requires": (
        {"more": '\n        Parameter("B", support="interval", lower=0.0, '
                 'upper=lambda r, xp: 2 * r.A),',
         "priors": '"A": amplitude_prior(s, "x"), "alpha": exponent_prior(), '
                   '"B": exponent_prior()'},
        r"computed upper bound but no requires"),
    "cycle of references": (
        {"more": '\n        Parameter("B", support="ordered", lower="C"),'
                 '\n        Parameter("C", support="ordered", lower="B"),',
         "priors": '"A": amplitude_prior(s, "x"), "alpha": exponent_prior(), '
                   '"B": exponent_prior(), "C": exponent_prior()'},
        r"refer to each other in a cycle"),
    "starting value under a wrong name": (
        {"fields": '\n    initial=lambda s: {"A": 1.0, "beta": 0.3},'},
        r"initial\(summary\) gives starting values for \['beta'\], which are not parameters"),
    "function of the wrong shape": (
        {"body": "p.log_A - p.alpha"}, r"must return one finite value per point"),
    "function not finite": (
        {"body": "xp.log(-p.A) + 0 * logx.x"}, r"must return one finite value per point"),
    "function that raises": (
        {"body": "p.log_B - p.alpha * logx.x"},
        r"the law's function at the prior medians raised AttributeError: .*has no attribute "
        r"'log_B'"),
    "priors that raise": (
        {"priors": '"A": amplitude_prior(s, "N"), "alpha": exponent_prior()'},
        r"default_priors\(summary\) raised KeyError"),
    "closed form of a law without N and D": (
        {"fields": "\n    compute_optimum=lambda params, C: {},"},
        r"compute_optimum and tokens_for_target are closed forms for laws of N"),
    "alias renaming an unknown parameter": (
        {"aliases": 'ALIASES = {"mine": {"rename": {"E": "e"}}}'},
        r"Alias 'mine'.*renames \['E'\], which are not its parameters"),
    "alias with an unknown key": (
        {"aliases": 'ALIASES = {"mine": {"rename": {"A": "a"}, "colour": "red"}}'},
        r"alias 'mine' declares unknown key\(s\) \['colour'\]"),
    "alias without rename": (
        {"aliases": 'ALIASES = {"mine": {"formula": "y = a x^-alpha"}}'},
        r"alias 'mine' must be declared as a dict with a 'rename' dict"),
    "undocumented alias": (
        {"aliases": 'ALIASES = {"zz_undocumented": {"rename": {"A": "a"}}}'},
        r"law 'zz_undocumented': alias of 'user_law_\d+' is not described in the module "
        r"docstring"),
    "alias with a bad override": (
        {"aliases": 'ALIASES = {"mine": {"rename": {"A": "a"}, "varying": ("A",)}}'},
        r"law 'mine': varying names \['A'\]"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_user_law_files_are_refused(tmp_path, case):
    changes, match = BROKEN[case]
    path, name = _write(tmp_path, **changes)
    before = bl.law_names()
    with pytest.raises(LawError, match=match) as caught:
        bl.register_law(path)
    message = str(caught.value)
    assert str(path) in message, message  # names the file
    assert bl.law_names() == before  # nothing registered
    if not case.startswith("alias"):
        assert f"law {name!r}" in message or name in message, message


def test_a_build_law_is_checked_with_its_default_options_and_then_with_any(tmp_path):
    source = '''r"""Law with an option.

.. math:: y = A x^{-k}
"""

from bayeslaws.defaults import amplitude_prior, exponent_prior
from bayeslaws.law import Law, Parameter

NAME = "NAME_HERE"


def build(power: float = 1.0, bad: bool = False):
    names = ("A", "k")
    return Law(
        name=NAME, inputs=("x",),
        parameters=tuple(Parameter(n) for n in names),
        function=lambda p, logx, xp: p.log_A - power * p.k * logx.x,
        default_priors=lambda s: {"A": amplitude_prior(s, "x"),
                                  ("kk" if bad else "k"): exponent_prior()},
        formula="y = A x^-k", reference="nobody", options={"power": power},
    )
'''
    good = tmp_path / "optioned.py"
    good.write_text(source.replace("NAME_HERE", "optioned_law"))
    assert bl.register_law(good) == "optioned_law"
    assert bl.get_law("optioned_law", power=2.0).options == {"power": 2.0}
    with pytest.raises(LawError, match=r"optioned\.py: law 'optioned_law': .*unknown name\(s\) "
                                       r"\['kk'\]"):
        bl.get_law("optioned_law", bad=True)
    broken = tmp_path / "broken_default.py"
    broken.write_text(source.replace("NAME_HERE", "broken_default")
                      .replace("bad: bool = False", "bad: bool = True"))
    with pytest.raises(LawError, match=r"broken_default\.py: law 'broken_default'"):
        bl.register_law(broken)
    assert "broken_default" not in bl.law_names()


def test_a_copy_of_a_shipped_file_keeps_working_with_its_aliases(tmp_path):
    """Aliases of a user file whose names are taken are skipped with a warning."""
    text = (catalogue.models_dir() / "power_law.py").read_text()
    path = tmp_path / "copied_power.py"
    path.write_text(text.replace('"power_law"', '"copied_power"'))
    with pytest.warns(UserWarning, match=r"alias 'm1' of law 'copied_power' is not registered"):
        assert bl.register_law(path) == "copied_power"
    assert bl.get_law("m1").parameter_names == ("b", "c")
    # a free alias name is registered with the law
    path2 = tmp_path / "copied_power2.py"
    path2.write_text(text.replace('"power_law"', '"copied_power2"').replace('"m1"', '"my_m1"')
                     .replace("``m1``", "``my_m1``"))
    assert bl.register_law(path2) == "copied_power2"
    assert bl.get_law("my_m1").parameter_names == ("b", "c")
    assert bl.get_law("my_m1").formula == "y = b x^-c"


def test_every_shipped_law_validates_quickly():
    """All files, aliases and option variants pass check_law, well under a second."""
    laws = [(name, {}) for name in bl.law_names()
            if Path(catalogue._REGISTRY[name].__file__).parent == catalogue.models_dir()]
    assert len(laws) >= 16
    laws += [("bnsl", {"breaks": 2}), ("bnsl", {"breaks": 3}), ("sigmoid", {"chance": 0.25}),
             ("lr_annealing", {"decay": 0.9})]
    start = time.perf_counter()
    for name, options in laws:
        module = catalogue._REGISTRY[name]
        catalogue.check_law(bl.get_law(name, **options), module.__file__, module.__doc__)
    assert time.perf_counter() - start < 1.0


def test_synthetic_summary_follows_the_link():
    loss, x = catalogue.synthetic_summary(bl.get_law("chinchilla"))
    acc, _ = catalogue.synthetic_summary(bl.get_law("sigmoid"))
    assert set(loss.inputs) == {"N", "D"} and set(x) == {"N", "D"}
    assert (loss.y_min, loss.y_max) == (2.0, 4.0) and (acc.y_min, acc.y_max) == (0.2, 0.8)
    np.testing.assert_allclose(np.log(x["N"])[[0, -1]], [10.0, 20.0])


def test_medians_of_drawn_families_are_closed_forms():
    from scipy import stats

    cases = [
        (bl.Prior("Beta", alpha=2.0, beta=1.0), stats.beta(2.0, 1.0).median()),
        (bl.Prior("Gamma", alpha=3.0, beta=2.0), stats.gamma(3.0, scale=0.5).median()),
        (bl.Prior("TruncatedNormal", mu=-0.3, sigma=0.5, upper=0.0),
         stats.truncnorm(-np.inf, 0.6, loc=-0.3, scale=0.5).median()),
        (bl.Prior("LogNormal", mu=1.0, sigma=2.0), np.e),
    ]
    for prior, expected in cases:
        assert catalogue._median(prior) == pytest.approx(expected, rel=1e-10), prior
