"""bayeslaws/mathops.py: the math namespaces that law functions are written in."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bayeslaws import mathops


@given(st.lists(st.floats(-800.0, 800.0), min_size=1, max_size=4))
def test_logsumexp_matches_scipy_and_stays_finite(terms):
    """The pairwise fold used by the laws equals SciPy's logsumexp, far beyond exp's range."""
    from scipy.special import logsumexp

    got = mathops.numpy.logsumexp([np.asarray(t) for t in terms])
    assert np.isfinite(got)
    assert got == pytest.approx(logsumexp(terms), rel=1e-12, abs=1e-12)
