"""fit_many: one law per group, in worker processes or on a dask cluster, errors per group."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslaws as bl
from bayeslaws.exceptions import BayesLawsError, SamplerWarning
from bayeslaws.simulate import simulate
from tests.conftest import SMALL

# PyMC's own sampler in worker processes: its compiled C code is cached on disk by PyTensor, so
# a fresh worker starts in seconds (nutpie's numba compile in fresh workers is the slow test).
PYMC = {**SMALL, "sampler": "pymc"}
TRUE = {"a": (3.0, 0.30), "b": (5.0, 0.40), "c": (8.0, 0.50)}


def curves(bad: bool = False) -> pd.DataFrame:
    x = np.geomspace(1e3, 1e7, 12)
    frames = []
    for i, (name, (amp, alpha)) in enumerate(TRUE.items()):
        sim = simulate("power_law", {"A": amp, "alpha": alpha}, {"x": x}, sigma=0.03,
                       random_seed=i)
        frames.append(sim.assign(curve=name))
    frame = pd.concat(frames, ignore_index=True)
    if bad:  # a group with a negative loss: its own clear error, the others still fitted
        frame = pd.concat([frame, frame[frame.curve == "a"].assign(curve="neg", y=-1.0)])
    return frame


def assert_same_as_single(result: bl.FitCollection, frame: pd.DataFrame, settings) -> None:
    """Each group's fit equals a bl.fit of that group alone with the group's stored seed."""
    group = "b"
    seed = result[group].config["random_seed"]
    single = bl.fit("power_law", frame[frame.curve == group].drop(columns="curve"),
                    x="x", y="y", random_seed=seed, **settings)
    for name in ("A", "alpha"):
        np.testing.assert_allclose(result[group].posterior[name].values,
                                   single.posterior[name].values, rtol=1e-10)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return curves()


def test_processes_executor_matches_single_fits(frame):
    result = bl.fit_many("power_law", frame, by="curve", x="x", y="y", executor="processes",
                         max_workers=2, random_seed=1, **PYMC)
    assert list(result) == ["a", "b", "c"] and not result.errors
    for name, (_, alpha) in TRUE.items():
        post = result[name].posterior["alpha"]
        # 12 points with 3% noise over 4 decades: posterior sd of alpha is about 0.003
        assert abs(float(post.mean()) - alpha) < 5 * float(post.std()) + 0.005
    seeds = {result[g].config["random_seed"] for g in result}
    assert len(seeds) == 3
    table = result.summary()
    assert set(table.index.get_level_values("group")) == {"a", "b", "c"}
    assert_same_as_single(result, frame, PYMC)


def test_serial_reuses_one_compiled_model(frame):
    result = bl.fit_many("power_law", frame, by="curve", x="x", y="y", executor="serial",
                         random_seed=1, **SMALL)
    assert list(result) == ["a", "b", "c"]
    # three groups, at most one nutpie compile (none if this process compiled power_law before)
    assert result.compilations <= 1
    assert_same_as_single(result, frame, SMALL)


@pytest.mark.slow
def test_nutpie_workers_compile_once_each(frame):
    many = pd.concat([frame.assign(curve=frame.curve + str(i)) for i in range(3)])
    result = bl.fit_many("power_law", many, by="curve", x="x", y="y", executor="processes",
                         max_workers=2, random_seed=1, **SMALL)
    assert len(result) == 9 and not result.errors
    assert 1 <= result.compilations <= 2


def test_dask_local_cluster(frame):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        result = bl.fit_many("power_law", frame, by="curve", x="x", y="y", executor=client,
                             random_seed=1, **PYMC)
    assert list(result) == ["a", "b", "c"] and not result.errors
    assert_same_as_single(result, frame, PYMC)


def test_errors_are_reported_per_group():
    with pytest.warns(SamplerWarning, match=r"1 of 4 group\(s\) failed -- 'neg'"):
        result = bl.fit_many("power_law", curves(bad=True), by="curve", x="x", y="y",
                             executor="serial", random_seed=2, **SMALL)
    assert set(result) == {"a", "b", "c"}
    assert "neg" in result.errors and "must be > 0" in result.errors["neg"]
    with pytest.raises(KeyError, match="neg"):
        result["neg"]
    only_bad = curves(bad=True).query("curve == 'neg'")
    with pytest.raises(BayesLawsError, match="'neg'"):
        bl.fit_many("power_law", only_bad, by="curve", x="x", y="y",
                    executor="serial", on_error="raise", random_seed=2, **SMALL)


def test_bad_arguments_name_the_fix(frame):
    with pytest.raises(BayesLawsError, match="Group column 'run'.*Columns"):
        bl.fit_many("power_law", frame, by="run", x="x", y="y")
    with pytest.raises(BayesLawsError, match="executor='threads'.*dask"):
        bl.fit_many("power_law", frame, by="curve", x="x", y="y", executor="threads", **SMALL)
    with pytest.raises(BayesLawsError, match="no seed for group"):
        bl.fit_many("power_law", frame, by="curve", x="x", y="y", random_seed={"a": 1})
