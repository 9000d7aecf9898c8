"""The case studies of ``case_studies/`` on real data: their data loading (fast) and smoke runs
(slow: they compile and sample several models)."""

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


@pytest.mark.slow
@requires_data
def test_revisiting_case_study_runs_on_a_subset(tmp_path):
    module = load_script("case_studies", "revisiting_hierarchical")
    out = tmp_path / "r.md"
    assert module.main(["--domains", "NMT", "--max-curves", "2", "--draws", "100", "--tune",
                        "100", "--chains", "2", "--out", str(out)]) == 0
    text = out.read_text()
    assert "| NMT | 2 |" in text and "hierarchical, tau_scale 0.5" in text


@pytest.mark.slow
@requires_data
def test_gadre_case_study_runs_protocol(tmp_path):
    module = load_script("case_studies", "gadre_hierarchical")
    out = tmp_path / "g.md"
    assert module.main(["--scenarios", "protocol", "--draws", "100", "--tune", "100",
                        "--chains", "2", "--out", str(out)]) == 0
    text = out.read_text()
    assert "| protocol | hierarchical |" in text and "1.44B*" in text
