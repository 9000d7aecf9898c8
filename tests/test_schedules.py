"""bayeslaws/schedules.py: the learning-rate schedule areas of the annealing law."""

from __future__ import annotations

import numpy as np

from bayeslaws.schedules import areas


def test_lr_schedule_areas_match_the_per_step_recursion():
    rng = np.random.default_rng(0)
    lr = np.r_[np.full(30, 1e-3), np.linspace(1e-3, 1e-4, 30)] * rng.uniform(0.9, 1.0, 60)
    step = np.arange(1.0, 61.0)
    m, s2, expected_s2 = 0.0, 0.0, []
    for i in range(60):
        m = 0.9 * m + (0.0 if i == 0 else lr[i - 1] - lr[i])
        s2 += m
        expected_s2.append(s2)
    s1, s2 = areas(step, lr, decay=0.9)
    np.testing.assert_allclose(s1, np.cumsum(lr), rtol=1e-12)
    np.testing.assert_allclose(s2, expected_s2, rtol=1e-10, atol=1e-15)
    # rows in any order give the same areas per row
    order = rng.permutation(60)
    s1p, s2p = areas(step[order], lr[order], decay=0.9)
    np.testing.assert_allclose(s2p, np.asarray(expected_s2)[order], rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(s1p, np.cumsum(lr)[order], rtol=1e-12)
