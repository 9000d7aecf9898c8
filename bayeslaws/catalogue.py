"""The law catalogue: discovers law files in ``models/`` and user-registered files.

One loader serves every case: in a checkout the files are in ``<repo>/models``; in an installed
wheel they are shipped as ``bayeslaws/models``; a user's own file is registered with
:func:`register_law` and loaded the same way. A law file defines either ``LAW`` (a
:class:`~bayeslaws.law.Law`) or ``build(**options) -> Law`` together with ``NAME``, and
optionally ``ALIASES``: the same law under other names and parameter names,

.. code-block:: python

    ALIASES = {"m1": {"rename": {"A": "b", "alpha": "c"}, "formula": "y = b x^-c",
                      "reference": "...", "description": "..."}}

where ``rename`` maps the law's parameter names to the alias's, ``descriptions`` (optional)
gives new parameter descriptions and every other key replaces a field of the renamed law (see
:meth:`bayeslaws.law.Law.renamed`). Aliases are listed by :func:`law_names` under their own
names.

Validation
----------
Every law -- shipped file, alias, user file, and ``build(**options)`` with its default options
(and with any options it is later built with) -- goes through :func:`check_law` when it is
loaded, which raises :class:`~bayeslaws.exceptions.LawError` naming the file, the law and the
fix. It checks the declarations against each other (unique parameter names; centring inputs,
slopes, named bounds and ``requires`` that exist; ``varying`` and ``floors`` that name
parameters), the module docstring (a ``.. math::`` block with the formula) and, on a synthetic
data summary built from the law's inputs (log inputs from 10 to 20; ``y`` from 2 to 4, or from
0.2 to 0.8 for the identity link), that ``default_priors`` returns a prior for exactly the
parameters, ``initial`` only parameter names, and that the function evaluates with NumPy to a
finite array of the data's shape at the prior medians (moved inside the supports as the
model's starting values are) and at the starting values.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import math
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import fields
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from bayeslaws.checks import did_you_mean
from bayeslaws.exceptions import LawError, choices
from bayeslaws.law import DataSummary, InputSummary, Law, inside_supports
from bayeslaws.priors import Prior

if TYPE_CHECKING:
    import pandas as pd

#: Law name -> the module that defines it (for an alias: the module of the law it renames).
_REGISTRY: dict[str, ModuleType] = {}
#: Alias name -> its declaration in its module's ``ALIASES``.
_ALIASES: dict[str, Mapping[str, Any]] = {}
#: (law name, options) already validated (a law built with new options is checked once).
_CHECKED: set[tuple[str, str]] = set()
_LOADED = False

#: Keys of an ``ALIASES`` declaration besides the fields of a Law.
ALIAS_KEYS = ("rename", "descriptions")
#: Synthetic data of the load-time check: log range of every input, and its number of points.
CHECK_LOG_RANGE = (10.0, 20.0)
CHECK_POINTS = 5
#: Range of the linear inputs (:attr:`~bayeslaws.law.Law.linear_inputs`) in the load-time check.
CHECK_LINEAR_RANGE = (-3.0, 3.0)


def models_dir() -> Path:
    """Folder of the shipped law files (wheel layout first, then the checkout)."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "models", package.parent / "models"):
        if candidate.is_dir():
            return candidate
    raise LawError(
        f"The law catalogue was not found next to {package}: reinstall bayeslaws "
        "(pip install --force-reinstall bayeslaws).")


def _load_module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bayeslaws_law_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise LawError(f"Cannot load law file {path}: not a Python file.")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except LawError as err:  # Parameter(...) or Law(...) refused a declaration
        raise LawError(f"{path}: {err}") from err
    except Exception as err:
        raise LawError(
            f"Cannot load law file {path}: running it raised {type(err).__name__}: {err}.") from err
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
        "def build(**options) -> Law (see any file in bayeslaws' models/ folder).")


def _module_aliases(module: ModuleType, path: Path) -> dict[str, Mapping[str, Any]]:
    """The module's ``ALIASES``, checked for shape (the laws they make are checked later)."""
    aliases = getattr(module, "ALIASES", {})
    if not isinstance(aliases, Mapping):
        raise LawError(
            f"{path}: ALIASES must be a dict {{alias name: {{'rename': {{old: new}}, ...}}}}, "
            f"got {type(aliases).__name__}.")
    valid = set(ALIAS_KEYS) | {f.name for f in fields(Law)} - {"name", "parameters", "function"}
    for alias, declaration in aliases.items():
        if not isinstance(alias, str) or not alias:
            raise LawError(f"{path}: ALIASES has a key {alias!r}; alias names are strings.")
        if not isinstance(declaration, Mapping) or not isinstance(
                declaration.get("rename"), Mapping):
            raise LawError(
                f"{path}: alias {alias!r} must be declared as a dict with a 'rename' dict "
                "{old parameter name: new name}, e.g. {'rename': {'A': 'b'}, 'formula': ...}.")
        unknown = sorted(set(declaration) - valid)
        if unknown:
            raise LawError(
                f"{path}: alias {alias!r} declares unknown key(s) {unknown}; valid keys: "
                f"{choices(valid)}.")
    return dict(aliases)


def _alias_law(law: Law, alias: str, declaration: Mapping[str, Any]) -> Law:
    overrides = {k: v for k, v in declaration.items() if k not in ALIAS_KEYS}
    return law.renamed(alias, declaration["rename"],
                       descriptions=declaration.get("descriptions"), **overrides)


# -- validation ------------------------------------------------------------------------------
def synthetic_summary(law: Law) -> tuple[DataSummary, dict[str, np.ndarray]]:
    """A data summary and input values of the kind a fit of ``law`` gives (for checks).

    Every input spans ``exp(10)`` to ``exp(20)`` (:data:`CHECK_LOG_RANGE`; linear inputs -3
    to 3, :data:`CHECK_LINEAR_RANGE`); ``y`` spans 2 to 4
    (geometric centre) for the log link, 0.2 to 0.8 (centre 0.5) for the identity link.
    """
    lo, hi = CHECK_LOG_RANGE
    inputs = {name: InputSummary(lo, hi, 0.5 * (lo + hi)) for name in law.inputs}
    x = {name: np.exp(np.linspace(lo, hi, CHECK_POINTS)) for name in law.inputs}
    for name in law.linear_inputs:  # linear inputs span CHECK_LINEAR_RANGE, negatives too
        inputs[name] = InputSummary(*CHECK_LINEAR_RANGE, 0.0)
        x[name] = np.linspace(*CHECK_LINEAR_RANGE, CHECK_POINTS)
    y = (0.2, 0.8, 0.5) if law.link == "identity" else (2.0, 4.0, math.sqrt(8.0))
    return DataSummary(CHECK_POINTS, inputs, *y), x


#: Exact prior medians (kept under this name for the checks' callers).
_median = Prior.median


def _refuse(problems: Iterable[tuple[Any, str]]) -> None:
    """A LawError with the message of the first problem that holds (checks stop there)."""
    for problem, message in problems:
        if problem:
            raise LawError(message)


def _check_declarations(law: Law, doc: str | None) -> None:
    """Names that refer to each other exist; formula and docstring are there."""
    names = law.parameter_names
    known = set(names) | set(law.statistics)
    repeated = sorted({n for n in names if names.count(n) > 1})
    _refuse([(repeated, f"parameter name(s) {repeated} appear more than once in {names}; give "
                        "every parameter its own name.")])
    for par in law.parameters:
        slope = par.slope()[0] if par.centre_slope is not None else None
        bounds = (("lower", par.lower), ("upper", par.upper))
        unknown = [r for r in par.requires if r not in known]
        _refuse((problem, f"parameter {par.name!r} {message}") for problem, message in [
            (par.centre_input not in (None, *law.inputs),
             f"is centred on unknown input {par.centre_input!r}; inputs are "
             f"{choices(law.inputs)}."),
            (slope not in (None, *names),
             f"has unknown centring slope {slope!r}; centre_slope must name a parameter "
             f"({choices(names)}), optionally with a leading '-'."),
            *((isinstance(bound, str) and bound not in known,
               f"has {side}={bound!r}, which is neither a parameter nor a statistic of the law "
               f"(known: {choices(known)}); fix the name or add it to the law's statistics.")
              for side, bound in bounds),
            *((callable(bound) and not par.requires,
               f"has a computed {side} bound but no requires=(...): list the parameters and "
               "statistics it reads.") for side, bound in bounds),
            (unknown, f"requires {unknown}, which are neither parameters nor statistics of the "
                      f"law (known: {choices(known)})."),
        ])
    listed = {what: [n for n in getattr(law, what) or () if n not in names]
              for what in ("varying", "floors")}
    closed = {what: getattr(law, what) for what in ("compute_optimum", "tokens_for_target")}
    _refuse([
        *((bad, f"{what} names {bad}, which are not parameters of the law; valid names: "
                f"{choices(names)}.") for what, bad in listed.items()),
        (any(f is not None for f in closed.values()) and not {"N", "D"} <= set(law.inputs),
         "compute_optimum and tokens_for_target are closed forms for laws of N (parameters) "
         f"and D (tokens), but the inputs are {list(law.inputs)}; drop them."),
        *((f is not None and not callable(f), f"{what} must be a function, got {f!r}.")
          for what, f in closed.items()),
        (not isinstance(law.formula, str) or not law.formula.strip(),
         "formula is empty; give the formula in plain text, e.g. formula='y = A x^-alpha'."),
        (doc is None or ".. math::" not in doc,
         "the module docstring has no '.. math::' block with the formula; start the file with "
         "a numpydoc docstring such as r'''Pure power law.\\n\\n.. math:: y = A \\, "
         "x^{-\\alpha}\\n...''' (see bayeslaws' models/ folder)."),
    ])


def _call(what: str, function: Callable, *args):
    """``function(*args)``; an error it raises (but a LawError) names ``what`` and the fix."""
    try:
        return function(*args)
    except LawError:
        raise
    except Exception as err:
        raise LawError(
            f"{what} raised {type(err).__name__}: {err}; fix it in the law file (it is called "
            f"on a synthetic data summary with log inputs from {CHECK_LOG_RANGE[0]:g} to "
            f"{CHECK_LOG_RANGE[1]:g}).") from err


def _number(what: str, value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError) as err:
        raise LawError(f"{what} must be a number, got {value!r}.") from err


def _check_numbers(law: Law) -> None:
    """Priors, starting values and the function on the synthetic data of the law."""
    names = law.parameter_names
    summary, x = synthetic_summary(law)
    priors = _call("default_priors(summary)", law.default_priors, summary)
    initial = {} if law.initial is None else _call("initial(summary)", law.initial, summary)
    for what, value, kind in (("default_priors", priors, "Prior"), ("initial", initial, "value")):
        if not isinstance(value, Mapping):
            raise LawError(f"{what}(summary) must return a dict {{name: {kind}}}, got "
                           f"{type(value).__name__}.")
    missing = [n for n in names if n not in priors]
    extra = sorted(set(priors) - set(names))
    parts = [text for text, bad in ((f"no default prior for {missing}", missing),
                                    (f"default priors under unknown name(s) {extra}", extra))
             if bad]
    unknown = sorted(set(initial) - set(names))
    _refuse([
        (parts, f"{' and '.join(parts)}; default_priors must return one prior for each "
                f"parameter, under its name ({choices(names)})."),
        (unknown, f"initial(summary) gives starting values for {unknown}, which are not "
                  f"parameters of the law; valid names: {choices(names)}."),
    ])
    _refuse((not isinstance(priors[n], Prior),
             f"the default prior of {n!r} is {priors[n]!r}, not a bayeslaws.Prior; write e.g. "
             "Prior('LogNormal', mu=0.0, sigma=1.0) (or use bayeslaws.defaults).") for n in names)
    start = {n: _call(f"the median of the default prior of {n!r} ({priors[n]!r})", _median,
                      priors[n]) for n in names}
    stats = {name: _number(f"statistic {name!r}", _call(f"statistic {name!r}", statistic, x))
             for name, statistic in law.statistics.items()}
    initial = {k: _number(f"the starting value of {k!r}", v) for k, v in initial.items()}
    points = {"the prior medians": start}
    if initial:
        points["the starting values"] = {**start, **initial}
    for label, values in points.items():
        values = inside_supports(law.parameters, values, stats)
        with np.errstate(all="ignore"):
            value = _call(f"the law's function at {label}", law.evaluate, values, x)
            value = np.asarray(value, dtype=float)
        _refuse([(value.shape != (CHECK_POINTS,) or not np.all(np.isfinite(value)),
                  f"the law's function at {label} {values} gives {value!r} for {CHECK_POINTS} "
                  "data points; it must return one finite value per point (use xp.* functions "
                  "of the inputs, in log space where stabler).")])


def check_law(law: Law, where: str | Path = "<law>", doc: str | None = None) -> Law:
    """Validate a law as the catalogue does on load (see the module docstring for the checks);
    return it unchanged.

    ``where`` is the law file and ``doc`` its module docstring, which must hold a ``.. math::``
    block. A failed check raises a :class:`~bayeslaws.exceptions.LawError` naming the file, the
    law and the fix.
    """
    if not isinstance(law, Law):
        raise LawError(f"{where}: expected a bayeslaws.law.Law, got {type(law).__name__}.")
    try:
        _check_declarations(law, doc)
        _check_numbers(law)
    except LawError as err:
        raise LawError(f"{where}: law {law.name!r}: {err}") from err
    return law


def _options_key(name: str, options: Mapping[str, Any]) -> tuple[str, str]:
    return name, json.dumps(dict(options), sort_keys=True, default=repr)


def _check_module(module: ModuleType, path: Path, taken: Mapping[str, ModuleType]
                  ) -> tuple[str, dict[str, Mapping[str, Any]]]:
    """Load-time check of a law file: its law with default options and its aliases."""
    name = _module_name(module, path)
    aliases = _module_aliases(module, path)
    law = _build_module(module, name, {})
    if law.name != name:
        raise LawError(
            f"{path}: NAME is {name!r} but build() returns a law named {law.name!r}; make them "
            "agree.")
    check_law(law, path, module.__doc__)
    for alias, declaration in aliases.items():
        if alias == name:
            raise LawError(f"{path}: alias {alias!r} has the name of the law itself; rename it.")
        if alias in taken:
            continue  # not registered (see register_law)
        try:
            renamed = _alias_law(law, alias, declaration)
        except LawError as err:
            raise LawError(f"{path}: {err}") from err
        check_law(renamed, path, module.__doc__)
        if alias not in (module.__doc__ or ""):
            raise LawError(f"{path}: law {alias!r}: alias of {name!r} is not described in the "
                           "module docstring; add a paragraph on it (its formula and reference).")
    return name, aliases


def register_law(path: str | Path, *, replace: bool = False) -> str:
    """Register a law file of your own; return the law's name.

    ``path`` is a Python file written like the files in ``models/``, validated as the shipped
    ones are (see :func:`check_law`) before anything is registered. A law of the same name is
    replaced only with ``replace=True``. Aliases it declares (``ALIASES``) are registered too;
    one whose name is already taken is skipped with a warning unless ``replace=True``.
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
            f"{_REGISTRY[name].__file__}); rename yours or pass replace=True.")
    taken = {} if replace else {k: v for k, v in _REGISTRY.items() if k != name}
    name, aliases = _check_module(module, path, taken)
    _REGISTRY[name] = module
    _ALIASES.pop(name, None)
    _forget(name)
    for alias, declaration in aliases.items():
        if alias in taken:
            warnings.warn(
                f"{path}: alias {alias!r} of law {name!r} is not registered: a law of that name "
                f"is already registered (from {_REGISTRY[alias].__file__}); rename the alias "
                "in ALIASES or pass replace=True.", UserWarning, stacklevel=2)
            continue
        _REGISTRY[alias] = module
        _ALIASES[alias] = declaration
        _forget(alias)
    return name


def _forget(name: str) -> None:
    _CHECKED.difference_update([key for key in _CHECKED if key[0] == name])


def _ensure_loaded() -> None:
    global _LOADED
    if _LOADED:
        return
    registry: dict[str, ModuleType] = {}
    alias_table: dict[str, Mapping[str, Any]] = {}
    for path in sorted(models_dir().glob("*.py")):
        if path.name.startswith("_"):
            continue
        module = _load_module(path)
        name = _module_name(module, path)
        for new in (name, *_module_aliases(module, path)):
            if new in registry:
                raise LawError(f"Two law files define {new!r}: {registry[new].__file__}, {path}.")
        name, aliases = _check_module(module, path, registry)
        registry.update(dict.fromkeys([name, *aliases], module))
        alias_table.update(aliases)
    _REGISTRY.update(registry)
    _ALIASES.update(alias_table)
    _CHECKED.update(_options_key(name, {}) for name in registry)
    _LOADED = True


def _build_module(module: ModuleType, name: str, options: Mapping[str, Any]) -> Law:
    if hasattr(module, "LAW"):
        if options:
            raise LawError(f"Law {name!r} takes no options; got {sorted(options)}.")
        return module.LAW
    accepted = inspect.signature(module.build).parameters
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise LawError(
            f"Law {name!r} does not take option(s) {', '.join(unknown)}; valid options: "
            f"{choices(accepted)}.")
    return module.build(**options)


def _build(name: str, options: Mapping[str, Any]) -> Law:
    module = _REGISTRY[name]
    law = _build_module(module, name, options)
    if name in _ALIASES:
        law = _alias_law(law, name, _ALIASES[name])
    key = _options_key(name, options)
    if key not in _CHECKED:
        check_law(law, module.__file__, module.__doc__)
        _CHECKED.add(key)
    return law


def law_names() -> list[str]:
    """Sorted names of every available law (aliases included)."""
    _ensure_loaded()
    return sorted(_REGISTRY)


def get_law(name: str | Law, **options) -> Law:
    """Return the law called ``name`` (built with ``options`` for laws that take them)."""
    if isinstance(name, Law):
        return name
    _ensure_loaded()
    if name not in _REGISTRY:
        raise LawError(
            f"Unknown law {name!r}.{did_you_mean(name, _REGISTRY)} Valid choices: "
            f"{choices(_REGISTRY)}. See bayeslaws.laws() "
            "for formulas, or register your own file with bayeslaws.register_law(path).")
    return _build(name, dict(options))


def laws_declaring(attribute: str) -> list[str]:
    """Sorted names of the laws (with their default options) that declare ``attribute``.

    For messages such as "closed forms exist for ...": ``laws_declaring("compute_optimum")``.
    """
    return [name for name in law_names() if getattr(get_law(name), attribute, None) is not None]


def laws() -> pd.DataFrame:
    """Table of the catalogue, indexed by law name: inputs, parameters, formula, reference."""
    import pandas as pd  # here: the command line checks law names without pandas

    return pd.DataFrame([{"name": name, "inputs": ", ".join(law.inputs),
                          "parameters": ", ".join(law.parameter_names), "formula": law.formula,
                          "reference": law.reference}
                         for name, law in ((name, get_law(name)) for name in law_names())]
                        ).set_index("name")
