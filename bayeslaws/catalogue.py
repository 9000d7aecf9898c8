"""The law catalogue: discovers law files in ``models/`` and user-registered files.

One loader serves every case: in a checkout the files are in ``<repo>/models``; in an installed
wheel they are shipped as ``bayeslaws/models``; a user's own file is registered with
:func:`register_law` and loaded the same way. A law file defines either ``LAW`` (a
:class:`~bayeslaws.law.Law`) or ``build(**options) -> Law`` together with ``NAME``.
"""

from __future__ import annotations

import importlib.util
import inspect
from pathlib import Path
from types import ModuleType

import pandas as pd

from bayeslaws.exceptions import LawError, choices
from bayeslaws.law import Law

_REGISTRY: dict[str, ModuleType] = {}
_LOADED = False


def models_dir() -> Path:
    """Folder of the shipped law files (wheel layout first, then the checkout)."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "models", package.parent / "models"):
        if candidate.is_dir():
            return candidate
    raise LawError(
        f"The law catalogue was not found next to {package}: reinstall bayeslaws "
        "(pip install --force-reinstall bayeslaws)."
    )


def _load_module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bayeslaws_law_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise LawError(f"Cannot load law file {path}: not a Python file.")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _module_name(module: ModuleType, path: Path) -> str:
    if hasattr(module, "LAW"):
        law = module.LAW
        if not isinstance(law, Law):
            raise LawError(f"{path}: LAW must be a bayeslaws.law.Law, got {type(law).__name__}.")
        return law.name
    if hasattr(module, "build") and hasattr(module, "NAME"):
        return module.NAME
    raise LawError(
        f"{path} defines no law: give it LAW = Law(...) or NAME = '...' and "
        "def build(**options) -> Law (see any file in bayeslaws' models/ folder)."
    )


def _check_law(law: Law, path) -> None:
    names = law.parameter_names
    if len(set(names)) != len(names):
        raise LawError(f"{path}: law {law.name!r} repeats a parameter name in {names}.")
    for par in law.parameters:
        if par.centre_input is not None and par.centre_input not in law.inputs:
            raise LawError(
                f"{path}: parameter {par.name!r} is centred on unknown input "
                f"{par.centre_input!r}; inputs are {choices(law.inputs)}."
            )
        slope = par.slope()
        if slope is not None and slope[0] not in names:
            raise LawError(
                f"{path}: parameter {par.name!r} has unknown centring slope {slope[0]!r}."
            )


def register_law(path: str | Path, *, replace: bool = False) -> str:
    """Register a law file of your own; return the law's name.

    Parameters
    ----------
    path : str or Path
        A Python file written like the files in ``models/``.
    replace : bool
        Allow replacing a law of the same name (refused by default).
    """
    _ensure_loaded()
    path = Path(path)
    if not path.is_file():
        raise LawError(f"Law file {str(path)!r} does not exist.")
    module = _load_module(path)
    name = _module_name(module, path)
    if name in _REGISTRY and not replace:
        raise LawError(
            f"A law named {name!r} is already registered (from "
            f"{_REGISTRY[name].__file__}); rename yours or pass replace=True."
        )
    _REGISTRY[name] = module
    _check_law(_build(module, {}), path)
    return name


def _ensure_loaded() -> None:
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    for path in sorted(models_dir().glob("*.py")):
        if path.name.startswith("_"):
            continue
        module = _load_module(path)
        name = _module_name(module, path)
        if name in _REGISTRY:
            raise LawError(f"Two law files define {name!r}: {_REGISTRY[name].__file__}, {path}.")
        _REGISTRY[name] = module


def _build(module: ModuleType, options: dict) -> Law:
    if hasattr(module, "LAW"):
        if options:
            raise LawError(
                f"Law {module.LAW.name!r} takes no options; got {sorted(options)}."
            )
        return module.LAW
    accepted = inspect.signature(module.build).parameters
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise LawError(
            f"Law {module.NAME!r} does not take option(s) {', '.join(unknown)}; valid options: "
            f"{choices(accepted)}."
        )
    law = module.build(**options)
    return law


def law_names() -> list[str]:
    """Sorted names of every available law."""
    _ensure_loaded()
    return sorted(_REGISTRY)


def get_law(name: str | Law, **options) -> Law:
    """Return the law called ``name`` (built with ``options`` for laws that take them)."""
    if isinstance(name, Law):
        return name
    _ensure_loaded()
    if name not in _REGISTRY:
        raise LawError(
            f"Unknown law {name!r}. Valid choices: {choices(_REGISTRY)}. See bayeslaws.laws() "
            "for formulas, or register your own file with bayeslaws.register_law(path)."
        )
    return _build(_REGISTRY[name], dict(options))


def laws() -> pd.DataFrame:
    """Table of the catalogue: name, inputs, parameters, formula and reference."""
    rows = []
    for name in law_names():
        law = get_law(name)
        rows.append(
            {
                "name": name,
                "inputs": ", ".join(law.inputs),
                "parameters": ", ".join(law.parameter_names),
                "formula": law.formula,
                "reference": law.reference,
            }
        )
    return pd.DataFrame(rows)
