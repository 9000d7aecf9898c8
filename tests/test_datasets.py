"""bayeslaws/datasets.py: the Chinchilla replication data set of Besiroglu et al. 2024.

The posterior medians of E, alpha and beta must lie inside the replication's published 95%
bootstrap intervals (README of ../shared/data). The posterior sd of these parameters is about
0.02 (E), 0.01 (alpha, beta); with a few hundred effective draws the Monte Carlo error of a
median is about 0.002, while the medians sit at least 0.008 inside the published bounds, so the
check is not at the mercy of sampling noise -- and it fails for a law or likelihood that misfits
(Hoffmann's published E = 1.69 and beta = 0.28 are outside those intervals).
"""

from __future__ import annotations

import bayeslaws as bl
from bayeslaws.datasets import chinchilla
from tests.conftest import requires_data

#: Besiroglu et al. 2024, Table 1 (95% bootstrap CIs), as given in ../shared/data/README.md.
REPLICATION_CI95 = {"E": (1.769, 1.871), "alpha": (0.317, 0.373), "beta": (0.331, 0.415)}


@requires_data
def test_chinchilla_medians_inside_replication_intervals():
    data = chinchilla()
    assert len(data) == 240  # the 5 highest losses dropped, as the replication did
    fit = bl.fit("chinchilla", data, x={"N": "N", "D": "D"}, y="loss", random_seed=0,
                 chains=2, draws=500, tune=500, progressbar=False)
    table = fit.summary()
    for name, (low, high) in REPLICATION_CI95.items():
        assert low <= table.loc[name, "median"] <= high, (name, table.loc[name, "median"])
    assert fit.diagnostics().divergences == 0
