"""Two interchangeable math namespaces, so that one law function serves every backend.

A law's ``function(p, logx, xp)`` is written once with ``xp.exp``, ``xp.logaddexp`` and the
other names below. The engine passes :data:`tensor` when it builds the PyMC model (so the same
graph runs under PyMC's sampler, nutpie and numpyro/JAX) and :data:`numpy` when it evaluates
posterior draws for prediction, which needs no compilation.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytensor.tensor as pt
from scipy import special


def _np_logsumexp(terms):
    return special.logsumexp(np.stack(np.broadcast_arrays(*terms)), axis=0)


def _pt_logsumexp(terms):
    terms = list(terms)
    out = terms[0]
    for term in terms[1:]:
        out = pt.logaddexp(out, term)
    return out


numpy = SimpleNamespace(
    name="numpy",
    exp=np.exp,
    log=np.log,
    log1p=np.log1p,
    expm1=np.expm1,
    sqrt=np.sqrt,
    abs=np.abs,
    logaddexp=np.logaddexp,
    logsumexp=_np_logsumexp,
    sigmoid=special.expit,
    log_sigmoid=special.log_expit,
    softplus=lambda x: np.logaddexp(0.0, x),
    where=np.where,
    maximum=np.maximum,
    minimum=np.minimum,
    cumsum=np.cumsum,
)

tensor = SimpleNamespace(
    name="tensor",
    exp=pt.exp,
    log=pt.log,
    log1p=pt.log1p,
    expm1=pt.expm1,
    sqrt=pt.sqrt,
    abs=pt.abs,
    logaddexp=pt.logaddexp,
    logsumexp=_pt_logsumexp,
    sigmoid=pt.sigmoid,
    log_sigmoid=lambda x: -pt.softplus(-x),
    softplus=pt.softplus,
    where=pt.where,
    maximum=pt.maximum,
    minimum=pt.minimum,
    cumsum=pt.cumsum,
)
