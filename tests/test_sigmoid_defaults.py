"""The sigmoid law's default settings on the Pythia tasks that failed them before issue 14.

logiqa (zero-shot accuracy 0.19-0.25, below its fixed chance rate 0.25) split its chains
between two ways of keeping the curve at its floor (R-hat 1.57, 492 divergent transitions of
4,000 under the former priors and target_accept 0.9, ``benchmarks/results/sigmoid/before``);
MMLU (0.24-0.28, the start of a rise) had R-hat 1.09 and bulk ESS 38. With the defaults of
``models/sigmoid.py`` both meet the benchmark's goal (``benchmarks/sigmoid_defaults.py``, same
case and seed).
"""

from __future__ import annotations

import pytest

from tests.conftest import load_script, requires_data


@requires_data
@pytest.mark.slow
@pytest.mark.parametrize("task", ["logiqa", "mmlu_avg_57_subjects"])
def test_pythia_fit_meets_the_reliability_goal_at_default_settings(task):
    bench = load_script("benchmarks", "sigmoid_defaults")
    (case,) = [c for c in bench.pythia_cases()
               if c["case"] == task and c["family"] == "pythia acc 0-shot"]
    row = bench.run_case({**case, "options": {}, "seed": bench.case_seed(case, 0)})
    assert row["ok"], {k: row[k] for k in ("max_rhat", "min_ess_bulk", "divergences", "stuck")}
