"""Simulated data from a law with known parameters (recovery tests and the built-in demo)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from bayeslaws.catalogue import get_law
from bayeslaws.law import Law

#: Epoch AI's replication of Hoffmann et al. (Besiroglu et al. 2024, arXiv:2404.10102).
CHINCHILLA_REPLICATION = {"E": 1.817, "A": 482.01, "B": 2085.43, "alpha": 0.348, "beta": 0.366}
#: Hoffmann et al. 2022's own published values.
CHINCHILLA_HOFFMANN = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}


def simulate(law: str | Law, params: Mapping[str, float], x: Mapping[str, np.ndarray],
             sigma: float = 0.02, random_seed: int = 0) -> pd.DataFrame:
    """Draw ``y = law(x) * exp(sigma * eps)`` (multiplicative noise) at the inputs ``x``."""
    law = get_law(law)
    rng = np.random.default_rng(random_seed)
    x = {k: np.asarray(v, dtype=float) for k, v in x.items()}
    mean = law.mean(dict(params), x)
    y = mean * np.exp(sigma * rng.standard_normal(np.shape(mean)))
    return pd.DataFrame({**x, "y": y})


def chinchilla_grid(budgets: int = 9, models_per_budget: int = 9) -> dict[str, np.ndarray]:
    """A Hoffmann-like IsoFLOP grid: budgets 6e18-3e21 FLOPs, model sizes around the optimum."""
    p = CHINCHILLA_REPLICATION
    a = p["beta"] / (p["alpha"] + p["beta"])
    g = (p["alpha"] * p["A"] / (p["beta"] * p["B"])) ** (1.0 / (p["alpha"] + p["beta"]))
    n_list, d_list = [], []
    for c in np.geomspace(6e18, 3e21, budgets):
        n_opt = g * (c / 6.0) ** a
        sizes = n_opt * np.geomspace(0.1, 10.0, models_per_budget)
        n_list.append(sizes)
        d_list.append(c / (6.0 * sizes))
    return {"N": np.concatenate(n_list), "D": np.concatenate(d_list)}


def demo_data(random_seed: int = 0, sigma: float = 0.02) -> pd.DataFrame:
    """SIMULATED Chinchilla data: replication parameters on a Hoffmann-like grid.

    Columns ``params``, ``tokens``, ``flops`` (6 N D) and ``loss``; the ``source`` column says
    the data are simulated so that no plot or report mistakes them for measurements.
    """
    grid = chinchilla_grid()
    sim = simulate("chinchilla", CHINCHILLA_REPLICATION, grid, sigma=sigma,
                   random_seed=random_seed)
    return pd.DataFrame({"params": sim["N"], "tokens": sim["D"], "flops": 6.0 * sim["N"] * sim["D"],
                         "loss": sim["y"],
                         "source": "simulated from Besiroglu et al. 2024 replication parameters"})
