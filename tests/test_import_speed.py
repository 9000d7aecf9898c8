"""Import speed: ``import bayeslaws`` and the command line's quick answers do not import the
heavy libraries (PyMC, ArviZ, matplotlib). Deterministic: the modules loaded are checked in a
fresh interpreter, not timed (the timings are in benchmarks/speed.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import bayeslaws as bl

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pymc", "arviz", "arviz_plots", "arviz_stats", "matplotlib", "nutpie", "pytensor")


def loaded_after(code: str) -> list[str]:
    """The heavy modules loaded by running ``code`` in a fresh interpreter."""
    probe = (f"{code}\nimport json, sys\n"
             f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_bayeslaws_loads_no_heavy_library():
    assert loaded_after("import bayeslaws") == []


def test_public_names_are_all_reachable_and_listed():
    assert set(bl.__all__) - {"__version__"} == set(bl._EXPORTS)  # one list, no stragglers
    assert set(bl.__all__) <= set(dir(bl))
    for name in bl.__all__:
        assert getattr(bl, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        bl.nope  # noqa: B018


def test_submodules_named_like_functions_do_not_hide_them():
    code = ("import bayeslaws.compare, bayeslaws.backtest, bayeslaws.prior_predictive\n"
            "import bayeslaws.isoflop, bayeslaws.lfo\n"
            "import bayeslaws as bl, types\n"
            "assert not any(isinstance(getattr(bl, n), types.ModuleType) for n in "
            "('compare', 'backtest', 'prior_predictive', 'isoflop', 'lfo'))\n"
            "assert callable(bl.compare) and bl.compare.__module__ == 'bayeslaws.compare'")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)


@pytest.mark.parametrize("argv", [
    ["--help"],
    ["fit", "--help"],
    ["laws", "--name", "Chinchilla"],
    ["fit", "MISSING.csv", "--law", "chinchilla", "--y", "loss", "--out", "x.nc"],
    ["fit", "tests/test_import_speed.py", "--law", "chinchilla", "--y", "loss", "--out", "x.nc",
     "--prior", "alpha=Normal(mu=0.3 sigma=0.1)"],
])
def test_cli_quick_answers_load_no_heavy_library(argv):
    code = ("import sys\nfrom bayeslaws.cli import main\n"
            f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass")
    assert loaded_after(code) == []
