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


def test_routed_clark_simulation_is_the_law_with_its_noise():
    """The routed case study's SIMULATED sweep: the base-10 illustrative coefficients map to the
    natural-log law (c = c10 / ln 10, d = d10 ln 10), the curve is the law's, and the noise is
    multiplicative at the stated level."""
    module = _case_study("routed_clark")
    data = module.simulate("routed", module.BILINEAR, seed=1)
    assert len(data) == 60 and sorted(data["E"].unique()) == list(2.0 ** np.arange(10))
    n, e = data["N"].to_numpy(), data["E"].to_numpy()
    b10 = module.BASE10
    want = 10 ** (b10["a"] * np.log10(n) + b10["b"] * np.log10(e)
                  + b10["c"] * np.log10(n) * np.log10(e) + b10["d"])
    np.testing.assert_allclose(data["truth"], want, rtol=1e-12)
    log_noise = np.log(data["loss"] / data["truth"])
    assert 0.7 * module.NOISE < log_noise.std() < 1.3 * module.NOISE  # 60 draws: sd within 30%
    assert (data["E"] <= module.FIT_MAX_E).sum() == 48


@pytest.mark.slow
def test_routed_clark_case_study_smoke(tmp_path):
    out = tmp_path / "r.md"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _case_study("routed_clark").main(["--quick", "--out", str(out)]) == 0
    text = out.read_text()
    assert "**The data are simulated**" in text and "C: routed on saturating truth" in text
