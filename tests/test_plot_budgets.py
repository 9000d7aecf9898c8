"""The two-input fit plot groups the runs into the budgets its curves are drawn at: on a grid
of budgets (the demo data) every budget gets its own curve and every point the colour of its
budget's curve, so a run can be judged against the curve it belongs to."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from matplotlib.colors import to_rgba

from bayeslaws.simulate import demo_data
from tests.helpers import chinchilla_draws, fixed_draws_fit

matplotlib.use("Agg")
pytestmark = pytest.mark.usefixtures("close_figures")


def test_every_run_has_the_colour_of_its_budgets_curve():
    data = demo_data()
    fit = fixed_draws_fit("chinchilla", chinchilla_draws(spread=0.02), data,
                          {"N": "params", "D": "tokens"}, y="loss")
    ax = fit.plot().axes[0]
    curves = {line.get_label(): to_rgba(line.get_color()) for line in ax.get_lines()
              if line.get_label().startswith("C = 6ND") and "extrapolated" not in
              line.get_label()}
    budgets = np.unique(np.round(np.log10(6 * data["params"] * data["tokens"]), 2))
    assert len(curves) == budgets.size == 9  # one curve per budget of the grid
    levels = np.array([float(label.split("= ")[-1]) for label in curves])
    colours = list(curves.values())
    points = next(c for c in ax.collections if c.get_label().startswith("data ("))
    faces = points.get_facecolors()
    budget = 6 * data["params"].to_numpy() * data["tokens"].to_numpy()
    nearest = np.argmin(np.abs(np.log(budget)[:, None] - np.log(levels)[None, :]), axis=1)
    assert np.abs(np.log(levels[nearest] / budget)).max() < 0.05  # each run on a drawn budget
    np.testing.assert_allclose(faces, [colours[j] for j in nearest], atol=1e-6)
