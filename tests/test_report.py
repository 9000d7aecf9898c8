"""bayeslaws/report.py: the report renders, holds every section and its figures.

The fits are built from fixed parameter draws (no sampling; ``fixed_draws_fit`` of
tests/helpers.py). The plots themselves are tested in tests/test_plots.py.
"""

from __future__ import annotations

import re

import matplotlib.image as mpimg
import numpy as np
import pytest

from bayeslaws.exceptions import BayesLawsError
from bayeslaws.report import markdown_table, write_report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


pytestmark = pytest.mark.usefixtures("close_figures")


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
    assert sorted(images) == ["calibration.png", "compute_optimal.png", "fit.png", "pareto_k.png",
                              "prior_posterior.png", "rank.png", "residuals.png"]
    for name in images:
        raw = (path.parent / name).read_bytes()
        assert raw.startswith(PNG_MAGIC)
        picture = mpimg.imread(path.parent / name)
        assert picture.shape[0] > 200 and picture.shape[1] > 400
        assert picture[..., :3].std() > 0.05  # not a blank canvas
    html = (path.parent / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 7
    assert "<table>" in html and "Compute-optimal" in html
    assert "| beyond_N | beyond_D |" in text  # forecasts say how far they extrapolate


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


@pytest.fixture(scope="module")
def outlier_fit():
    """Chinchilla fixed draws on data where run 5 measured a 40% higher loss."""
    from bayeslaws.simulate import CHINCHILLA_REPLICATION, chinchilla_grid, simulate
    from tests.helpers import chinchilla_draws, fixed_draws_fit

    data = simulate("chinchilla", CHINCHILLA_REPLICATION, chinchilla_grid(), random_seed=0)
    data = data.rename(columns={"N": "params", "D": "tokens", "y": "loss"})
    data.loc[5, "loss"] *= 1.4
    return fixed_draws_fit("chinchilla", chinchilla_draws(spread=0.02), data,
                           {"N": "params", "D": "tokens"}, y="loss")


def test_report_names_influential_runs_and_flags_p_loo(outlier_fit, tmp_path):
    text = write_report(outlier_fit, tmp_path, prob=0.9).read_text()
    assert "good_k" not in text and "good_k" not in (tmp_path / "report.html").read_text()
    assert "Runs with Pareto k > 0.7 (20 of" in text
    before = text[:text.index("*Runs with Pareto k >")]
    table = before[before.rindex("| run |"):]
    assert table.startswith("| run | params | tokens | loss | Pareto k |")
    first = table.splitlines()[2]  # largest k first: the outlier, by its inputs and loss
    assert first.startswith("| 5 | ")
    assert "is far above the 6 parameters" in text  # p_loo flagged
    assert "p_loo (effective number of parameters)" in text


def test_report_labels_bands_as_curve_or_new_run(chin, tmp_path):
    text = write_report(chin, tmp_path, prob=0.9).read_text()
    assert "the law's curve" in text and "parameter uncertainty only" in text
    assert "A new run's measurement" in text
    assert "| scale | N | D | mean | median | lower_90 | upper_90 |" in text
    assert "tokens_per_param" in text.split("### Compute-optimal")[1]


def test_report_of_a_grouped_fit_names_the_group_of_influential_runs(tmp_path):
    """A grouped fit (NUTS replaced by prior draws): the report renders, its prior/posterior
    and rank plots show the shared and population parameters, influential runs name their
    group."""
    import warnings

    import bayeslaws as bl
    from bayeslaws import sampling
    from tests.conftest import prior_sampler
    from tests.helpers import simulate_groups

    with pytest.MonkeyPatch.context() as patch, warnings.catch_warnings():
        patch.setattr(sampling, "run_nuts", prior_sampler)
        warnings.simplefilter("ignore")
        fit = bl.fit("saturating_power_law", simulate_groups(), x="x", y="loss",
                     group="family", likelihood="lognormal", random_seed=0, chains=2,
                     draws=200, progressbar=False)
        text = write_report(fit, tmp_path).read_text()
    # prior draws fit badly: PSIS fails (k not finite) and those runs are named with their group
    assert "| run | x | family | loss | Pareto k |" in text
    for name in ("prior_posterior.png", "rank.png", "residuals.png", "fit.png",
                 "calibration.png"):
        assert (tmp_path / name).stat().st_size > 10_000
