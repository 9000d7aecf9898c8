"""Reports and plots (issue 5): the report renders, holds every section and its figures."""

from __future__ import annotations

import re

import matplotlib.image as mpimg
import numpy as np
import pytest

import bayeslaws as bl
from bayeslaws.exceptions import BayesLawsError
from bayeslaws.report import markdown_table, write_report
from bayeslaws.simulate import CHINCHILLA_REPLICATION, chinchilla_grid, simulate
from tests.test_decisions import chinchilla_draws, fixed_draws_fit

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


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


def test_report_renders_with_every_section_and_figure(chin, tmp_path):
    path = write_report(chin, tmp_path / "rep", prob=0.9)
    text = path.read_text()
    for heading in ("## Data", "## Priors", "## Diagnostics", "## Posterior", "## Forecasts",
                    "### Compute-optimal allocation"):
        assert heading in text
    for name in ("E", "A", "B", "alpha", "beta", "sigma"):
        assert re.search(rf"^\| {name} \|", text, flags=re.M)
    assert "max Pareto k" in text and "max R-hat" in text and "divergent transitions" in text
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert sorted(images) == ["compute_optimal.png", "fit.png", "pareto_k.png"]
    for name in images:
        raw = (path.parent / name).read_bytes()
        assert raw.startswith(PNG_MAGIC)
        picture = mpimg.imread(path.parent / name)
        assert picture.shape[0] > 200 and picture.shape[1] > 400
        assert picture[..., :3].std() > 0.05  # not a blank canvas
    html = (path.parent / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 3
    assert "<table>" in html and "Compute-optimal" in html


def test_report_of_a_one_input_law_has_no_allocation_section(one_input, tmp_path):
    path = write_report(one_input, tmp_path, prob=0.8)
    text = path.read_text()
    assert "Compute-optimal" not in text
    assert not (tmp_path / "compute_optimal.png").exists()
    assert "80% equal-tailed intervals" in text
    with pytest.raises(BayesLawsError, match="prob must be between 0 and 1"):
        write_report(one_input, tmp_path, prob=90)


def test_markdown_table_formats_numbers():
    import pandas as pd

    table = markdown_table(pd.DataFrame({"a": [1.234567, np.inf], "b": ["x", "y"]}), index=False)
    assert table.splitlines()[0] == "| a | b |"
    assert "| 1.235 | x |" in table and "| inf | y |" in table


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
