"""Learning-rate schedule areas for the annealing law (Tissue et al. 2024).

The law of :mod:`models.lr_annealing` reads the loss at step ``s`` from two areas under the
learning-rate schedule ``eta``:

* ``S1(s) = sum_{i <= s} eta_i``, the forward area (how far training has moved), and
* ``S2(s) = sum_{i <= s} m_i`` with ``m_i = decay * m_{i-1} + (eta_{i-1} - eta_i)``, the
  annealing area: the accumulated drops of the learning rate, with a momentum ``decay``
  (0.999 in the paper) that delays their effect.

Losses are usually logged every few steps, so the rows of a table are the logged steps
``s_1 < s_2 < ...`` with the learning rate at each. Between two rows the rate is taken as that of
the later row (``S1`` is a Riemann sum over the step gaps) and a drop between rows acts at the
later row, with the momentum decaying as ``decay ** (s_j - s_i)`` over the steps in between.
With a row for every step this is the paper's sum exactly. Before the first row the rate is
taken as constant (give rows from the end of warm-up on).

:func:`areas` is written with a :mod:`bayeslaws.mathops` namespace, so the same code runs in
the sampled model (PyTensor) and in prediction (NumPy).
"""

from __future__ import annotations

import numpy as np

from bayeslaws import mathops

#: Momentum of the annealing area per step (Tissue et al. 2024 use 0.999).
DEFAULT_DECAY = 0.999


def _sorted_areas(step, lr, decay, xp):
    gap = step - xp.concatenate([step[:1] * 0.0, step[:-1]])
    s1 = xp.cumsum(lr * gap)
    drop = xp.concatenate([lr[:1] * 0.0, lr[:-1] - lr[1:]])
    lag = step[:, None] - step[None, :]
    if decay > 0:
        weight = xp.where(lag >= 0, xp.exp(np.log(decay) * xp.maximum(lag, 0.0)), 0.0)
    else:
        weight = xp.where(lag == 0, 1.0, 0.0)
    s2 = xp.cumsum((weight @ drop) * gap)
    return s1, s2


def areas(step, lr, decay: float = DEFAULT_DECAY, xp=mathops.numpy):
    """Forward area ``S1`` and annealing area ``S2`` at each row.

    Rows may come in any order: they are sorted by step for the sums and the areas returned in
    the rows' order. Rows at the same step (ties) add no step to ``S1``.

    Parameters
    ----------
    step : array of shape (n,)
        Training steps of the rows (logged steps of one run).
    lr : array of shape (n,)
        Learning rate at each row's step.
    decay : float
        Momentum of the annealing area per step, in [0, 1).
    xp : namespace
        :data:`bayeslaws.mathops.numpy` or :data:`bayeslaws.mathops.tensor`.

    Returns
    -------
    S1, S2 : arrays of shape (n,)

    Notes
    -----
    The momentum is a sum over pairs of rows (an ``n x n`` weight matrix): keep a few hundred
    rows per fit (log every k-th step).
    """
    if not 0 <= decay < 1:
        raise ValueError(f"decay={decay!r} must be in [0, 1) (the paper uses 0.999).")
    order = xp.argsort(step)
    back = xp.argsort(order)
    s1, s2 = _sorted_areas(step[order], lr[order], decay, xp)
    return s1[back], s2[back]
