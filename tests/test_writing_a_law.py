"""docs/writing-a-law.md: its template law registers, draws sensible prior curves and fits.

The test reads the first ``python`` code block of the guide, writes it to a file and registers
it, so the guide cannot drift from the code. Sampling is replaced by prior draws
(``tests.conftest.prior_sampler``) in the pipeline test; the slow test fits it with NUTS and
recovers the simulated parameters.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import bayeslaws as bl
from bayeslaws import sampling
from tests.conftest import SMALL, prior_sampler

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "writing-a-law.md"
TRUE = {"E": 1.8, "A": 2.0, "k": 1.2, "m": np.log(1e8)}


def template() -> str:
    return re.findall(r"```python\n(.*?)```", GUIDE.read_text(), flags=re.S)[0]


@pytest.fixture(scope="module")
def law_name(tmp_path_factory):
    path = tmp_path_factory.mktemp("law") / "logistic_drop.py"
    path.write_text(template())
    yield bl.register_law(path, replace=True)
    from bayeslaws import catalogue

    catalogue._REGISTRY.pop("logistic_drop", None)  # leave the catalogue as other tests see it
    catalogue._forget("logistic_drop")


@pytest.fixture(scope="module")
def data():
    x = np.geomspace(1e6, 1e10, 20)
    curve = TRUE["E"] + TRUE["A"] / (1 + np.exp(TRUE["k"] * (np.log(x) - TRUE["m"])))
    rng = np.random.default_rng(0)
    return pd.DataFrame({"params": x, "loss": curve * np.exp(rng.normal(0, 0.01, x.size))})


def test_readme_links_the_guide():
    readme = (GUIDE.parents[1] / "README.md").read_text()
    assert "docs/writing-a-law.md" in readme


def test_template_registers_with_its_declarations(law_name):
    assert law_name == "logistic_drop" and "logistic_drop" in bl.law_names()
    law = bl.get_law("logistic_drop")
    assert law.parameter_names == ("E", "A", "k", "m")
    assert law.parameters[3].support == "real" and law.parameters[3].centre_input == "x"


def test_template_priors_cover_the_data(law_name, data):
    check = bl.prior_predictive("logistic_drop", data, x="params", y="loss", kind="predictive")
    assert check.coverage(0.9) == 1.0


def test_template_runs_through_the_pipeline(law_name, data, monkeypatch):
    monkeypatch.setattr(sampling, "run_nuts", prior_sampler)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # prior draws are no converged posterior
        fit = bl.fit("logistic_drop", data, x="params", y="loss", random_seed=0, **SMALL)
    table = fit.predict({"params": [1e11]})
    assert np.isfinite(table[["median", "lower", "upper"]].values).all()


@pytest.mark.slow
def test_template_fit_recovers_the_simulated_law(law_name, data):
    fit = bl.fit("logistic_drop", data, x="params", y="loss", random_seed=1,
                 likelihood="lognormal", **SMALL)
    summary = fit.summary(prob=0.95)
    for name in ("E", "m"):
        lower, upper = summary.loc[name, ["eti95_lower", "eti95_upper"]]
        assert lower < TRUE[name] < upper, name
