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
from bayeslaws.simulate import CHINCHILLA_REPLICATION, simulate
from tests.helpers import fixed_draws_fit

pytestmark = pytest.mark.usefixtures("close_figures")


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
