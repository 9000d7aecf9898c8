"""Checks of call options shared by every module: probabilities, kinds, mapping keys."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bayeslaws.exceptions import OptionError, choices


def check_prob(prob: float) -> float:
    """``prob`` as a float in (0, 1), or an :class:`OptionError` naming it."""
    try:
        value = float(prob)
    except (TypeError, ValueError):
        value = float("nan")
    if isinstance(prob, bool) or not 0 < value < 1:
        raise OptionError(
            f"prob must be between 0 and 1 (e.g. 0.9 for a 90% interval); got {prob!r}.")
    return value


def check_choice(name: str, value: Any, valid: Sequence[Any]) -> Any:
    """``value`` if it is one of ``valid``, else an :class:`OptionError` listing them."""
    if value not in valid:
        raise OptionError(f"{name} must be one of {choices(valid)}, got {value!r}.")
    return value


def has_key(container: Any, key: str) -> bool:
    """Whether ``key in container`` holds (False for objects that do not support ``in``)."""
    try:
        return key in container
    except TypeError:
        return False


def did_you_mean(value: Any, valid: Sequence[Any]) -> str:
    """`` Did you mean 'x'?`` naming the closest of ``valid`` to ``value`` (else ``""``).

    Case is ignored first (``Chinchilla`` -> ``chinchilla``), then :mod:`difflib`'s closest
    matches are offered.
    """
    import difflib

    text = str(value)
    names = [str(v) for v in valid]
    same_case = [name for name in names if name.lower() == text.lower()]
    close = same_case or difflib.get_close_matches(text, names, n=2, cutoff=0.6)
    if not close:
        lowered = {name.lower(): name for name in names}
        close = [lowered[m] for m in difflib.get_close_matches(text.lower(), list(lowered), n=2,
                                                               cutoff=0.6)]
    return f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
