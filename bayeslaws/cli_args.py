"""Parsing of the command line's strings: ``NAME=VALUE`` pairs, numbers, priors, law specs.

Pure string parsing for :mod:`bayeslaws.cli`, kept apart from the library: nothing below the
command line imports this module. Each parser turns one option's text into the Python value the
library functions take, or raises a :class:`~bayeslaws.exceptions.BayesLawsError` (a
:class:`~bayeslaws.exceptions.PriorError` for priors, a
:class:`~bayeslaws.exceptions.LawError` for law specs) that names the option, the text and
the form it should have.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from bayeslaws.exceptions import BayesLawsError, LawError, OptionError, PriorError

_PRIOR = re.compile(r"^\s*(\w+)\s*=\s*(\w+)\s*\((.*)\)\s*$")


def pairs(items: Iterable[str] | None, what: str) -> dict[str, str]:
    """``["N=params,D=tokens"]`` -> ``{"N": "params", "D": "tokens"}``.

    Each item holds comma-separated ``NAME=VALUE`` parts (options such as ``--x`` may be
    repeated); ``what`` names the option in the error of a part without ``=``.
    """
    out = {}
    for item in items or []:
        for part in item.split(","):
            if "=" not in part:
                raise OptionError(
                    f"{what} {part!r} must look like NAME=VALUE; separate several with commas "
                    "(e.g. N=params,D=tokens).")
            key, value = part.split("=", 1)
            out[key.strip()] = value.strip()
    return out


def number(text: str) -> int | float | str:
    """``"2"`` -> ``2``, ``"0.5"`` or ``"1e3"`` -> a float, anything else -> the text itself."""
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if value.is_integer() and "." not in text and "e" not in text else value


def numbers(text: str, what: str) -> list[float]:
    """``"1e21,1e23"`` -> ``[1e21, 1e23]``."""
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise OptionError(
            f"{what} {text!r} must be numbers separated by commas, e.g. {what} 1e21,1e23."
        ) from None


def _floats(values: dict[str, str], where: str, example: str,
            error: type[BayesLawsError] = BayesLawsError) -> dict[str, float]:
    """``values`` as floats; ``where`` and ``example`` name the text in the error."""
    out = {}
    for key, value in values.items():
        try:
            out[key] = float(value)
        except ValueError:
            raise error(f"{where} {key}={value!r} is not a number; give numbers, e.g. "
                        f"{example}.") from None
    return out


def points(items: Iterable[str], what: str) -> list[dict[str, float]]:
    """``["N=7e10,D=1.4e12", ...]`` -> one ``{input: value}`` dict per item (a row of a table)."""
    return [_floats(pairs([item], what), f"{what} {item!r}:", f"{what} N=7e10,D=1.4e12")
            for item in items]


def options(items: Iterable[str] | None, what: str) -> dict[str, int | float | str]:
    """``["breaks=2"]`` -> ``{"breaks": 2}``: ``KEY=VALUE`` pairs with numbers read as numbers."""
    return {key: number(value) for key, value in pairs(items, what).items()}


def holdout(text: str) -> float | str:
    """``--holdout``: a fraction (``"0.2"`` -> ``0.2``) or the name of a column of 0/1 flags."""
    try:
        return float(text)
    except ValueError:
        return text


def parse_prior(text: str):
    """``alpha=Normal(mu=0.3, sigma=0.05)`` -> ``("alpha", Prior(...))``."""
    match = _PRIOR.match(text)
    if not match:
        raise PriorError(
            f"--prior {text!r} must look like NAME=Distribution(arg=value, ...), e.g. "
            "--prior 'alpha=Normal(mu=0.3,sigma=0.05)'.")
    name, dist, args = match.groups()
    values = pairs([args] if args.strip() else [], "--prior argument")
    from bayeslaws.priors import Prior  # after the text is checked: a refused one answers at once

    return name, Prior(dist, **_floats(values, f"--prior {text!r}: argument",
                                       "--prior 'alpha=Normal(mu=0.3,sigma=0.05)'", PriorError))


def parse_law_specs(items: Iterable[str]) -> dict[str, Any]:
    """Laws from ``[NAME=]LAW[:KEY=VALUE,...]`` strings, e.g. ``bnsl2=bnsl:breaks=2``.

    Returns ``{name: {"law": law, "law_options": {...}}}``, the dict that
    :func:`bayeslaws.backtest.backtest` takes.
    """
    items = [str(item) for item in items]
    out: dict[str, Any] = {}
    for item in items:
        head, _, opts_text = item.partition(":")
        name, _, law = head.rpartition("=")
        law = law.strip()
        name = name.strip() or law
        if not law:
            raise LawError(
                f"--law {item!r} names no law; give [NAME=]LAW[:KEY=VALUE,...], e.g. "
                "--law power_law or --law bnsl2=bnsl:breaks=2 (see `bayeslaws laws`).")
        opts = {}
        for part in filter(None, (p.strip() for p in opts_text.split(","))):
            key, sep, value = part.partition("=")
            if not sep:
                raise LawError(
                    f"Law option {part!r} in --law {item!r} must look like KEY=VALUE, e.g. "
                    "--law bnsl2=bnsl:breaks=2.")
            opts[key.strip()] = number(value.strip())
        if name in out:
            raise LawError(
                f"Law name {name!r} appears twice in {items}; name them apart, e.g. "
                "--law bnsl1=bnsl:breaks=1 --law bnsl2=bnsl:breaks=2.")
        out[name] = {"law": law, "law_options": opts}
    return out
