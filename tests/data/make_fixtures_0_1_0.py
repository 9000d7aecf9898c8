"""Make the bayeslaws 0.1.0 saved-fit fixtures (run once, at commit 7103fae, before the pipeline
merge): a plain chinchilla fit and a grouped saturating power law, with their predictions.

tests/test_io.py checks that today's bayeslaws loads both files and predicts
exactly what 0.1.0 predicted. Run from the repository root:
``python tests/data/make_fixtures_0_1_0.py``.
"""

import warnings

import numpy as np
import pandas as pd

import bayeslaws as bl

warnings.simplefilter("ignore")
rng = np.random.default_rng(0)
N = np.repeat(np.geomspace(1e7, 1e9, 5), 3)
D = np.tile(np.geomspace(1e9, 1e11, 3), 5)
loss = (1.7 + 400 * N**-0.34 + 410 * D**-0.28) * np.exp(0.01 * rng.standard_normal(N.size))
df = pd.DataFrame({"params": N, "tokens": D, "loss": loss})
fit = bl.fit("chinchilla", df, x={"N": "params", "D": "tokens"}, y="loss", random_seed=1,
             chains=2, draws=100, tune=200, progressbar=False)
fit.save("tests/data/fit_0.1.0_chinchilla.nc")
at = pd.DataFrame({"N": [1e10, 7e10], "D": [2e11, 1.4e12]})
fit.predict(at).to_csv("tests/data/fit_0.1.0_chinchilla_predict.csv", index=False)
fit.predict(at, kind="mean").to_csv("tests/data/fit_0.1.0_chinchilla_predict_mean.csv",
                                    index=False)
rows = []
for g, (E, A) in {"a": (1.6, 30.0), "b": (2.0, 45.0), "c": (1.8, 25.0)}.items():
    for x in np.geomspace(1e4, 1e7, 6):
        y = (E + A * x**-0.35) * np.exp(0.02 * rng.standard_normal())
        rows.append({"family": g, "x": x, "loss": y})
h = bl.fit("saturating_power_law", pd.DataFrame(rows), x="x", y="loss", group="family",
           random_seed=2, chains=2, draws=100, tune=200, progressbar=False)
h.save("tests/data/fit_0.1.0_grouped.nc")
at = pd.DataFrame({"x": [1e8, 1e8, 1e8], "family": ["a", "c", "new"]})
h.predict(at).to_csv("tests/data/fit_0.1.0_grouped_predict.csv", index=False)
