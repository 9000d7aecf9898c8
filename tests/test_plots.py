"""bayeslaws/plots.py: fits with held-out runs and extrapolation, comparisons, compute-optimal.

The fits are built from fixed parameter draws (no sampling; ``fixed_draws_fit`` of
tests/helpers.py), the same as those of tests/test_report.py. The panels of a grouped fit are
tested in tests/test_hierarchy.py, on its grouped fit.
"""

from __future__ import annotations

import numpy as np
import pytest

import bayeslaws as bl
from bayeslaws.exceptions import BayesLawsError
from bayeslaws.simulate import CHINCHILLA_REPLICATION, chinchilla_grid, simulate
from tests.helpers import chinchilla_draws, fixed_draws_fit


@pytest.fixture(autouse=True)
def _close_figures():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


@pytest.fixture(scope="module")
def chin():
    data = simulate("chinchilla", CHINCHILLA_REPLICATION, chinchilla_grid(), random_seed=0)
    return fixed_draws_fit("chinchilla", chinchilla_draws(spread=0.02), data,
                           {"N": "N", "D": "D"})


@pytest.fixture(scope="module")
def one_input():
    params = {"E": 1.5, "A": 30.0, "alpha": 0.3}
    data = simulate("saturating_power_law", params, {"x": np.geomspace(1e6, 1e9, 15)})
    rng = np.random.default_rng(1)
    draws = {k: v * np.exp(0.02 * rng.standard_normal(400)) for k, v in params.items()}
    draws["sigma"] = 0.02 * np.exp(0.05 * rng.standard_normal(400))
    return fixed_draws_fit("saturating_power_law", draws, data, "x")


def test_plot_fit_marks_held_out_runs_and_extrapolation(chin, one_input):
    held = simulate("chinchilla", CHINCHILLA_REPLICATION, {"N": [7e10], "D": [1.4e12]})
    fig = chin.plot(held_out=held)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "held out (1)" in labels
    assert any("(extrapolated)" in label for label in labels)
    assert any(label.startswith("beyond the data") for label in labels)
    fig1 = one_input.plot(held_out={"x": [5e9], "y": [1.52]})
    ax = fig1.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    with pytest.raises(bl.DataError, match="held_out lacks the measured column 'y'"):
        one_input.plot(held_out={"x": [5e9]})


def test_plot_compare_and_compute_optimal(chin, one_input):
    other = fixed_draws_fit("power_law", {"A": np.full(4, 2.5), "alpha": np.full(4, 0.01),
                                          "sigma": np.full(4, 0.02)},
                            one_input.data(), "x")
    fig = bl.plot_compare({"saturating": one_input, "power law": other})
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[:2] == ["saturating", "power law"]
    with pytest.raises(BayesLawsError, match="dict of fits by label"):
        bl.plot_compare([one_input, other])
    with pytest.raises(BayesLawsError, match="has no input 'N'"):
        bl.plot_compare({"a": one_input}, along="N")
    result = bl.compute_optimal(chin, np.geomspace(1e19, 1e25, 12))
    fig = bl.plot_compute_optimal(result, reference={"published": ([1e19, 1e25], [1e8, 1e11])},
                                  data_compute=[1e19, 1e21])
    lines = fig.axes[0].get_lines()
    np.testing.assert_allclose(lines[0].get_ydata(), np.median(result.draws["N"], axis=0))
    with pytest.raises(BayesLawsError, match="quantity must be one of"):
        bl.plot_compute_optimal(result, quantity="M")
