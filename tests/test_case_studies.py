"""Case studies on real data: their data loading (fast) and a smoke run (slow)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from tests.conftest import load_script, requires_data


def _case_study(name: str):
    return load_script("case_studies", name)


@requires_data
def test_pythia_lambada_table():
    frame = _case_study("pythia_sigmoid").load()
    assert frame.groupby("suite").size().to_dict() == {"deduplicated": 8, "standard": 7}
    # n = acc (1 - acc) / stderr^2 recovers LAMBADA's 5,153 passages to within rounding of the
    # published stderr (every model answers the same questions)
    assert frame["questions"].between(5140, 5160).all()
    assert frame["accuracy"].between(0.18, 0.72).all()
    assert np.all(np.diff(frame[frame["suite"] == "standard"]["params"]) > 0)


@requires_data
@pytest.mark.slow
def test_pythia_case_study_smoke(tmp_path):
    out = tmp_path / "p.md"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _case_study("pythia_sigmoid").main(["--quick", "--out", str(out)]) == 0
    text = out.read_text()
    assert "`betabinomial`: 90% intervals cover" in text
    assert (tmp_path / "p_binomial.png").exists() and (tmp_path / "p_betabinomial.png").exists()
