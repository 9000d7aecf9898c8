"""Architecture: the import-linter contract of pyproject.toml ([tool.importlinter]) holds.

The contract layers the package from the command line down to the exceptions; a module may
import only modules of the layers below its own, function-local imports included. On failure
the test prints import-linter's report: each forbidden import with its module and line.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _lint_imports() -> Path:
    pytest.importorskip("importlinter", reason="import-linter is in the dev extra")
    name = "lint-imports.exe" if sys.platform == "win32" else "lint-imports"
    script = Path(sys.executable).parent / name
    if not script.exists():
        pytest.skip(f"{script} not found (install the dev extra: pip install -e '.[dev]')")
    return script


def test_import_layers_contract_is_kept():
    done = subprocess.run(
        [str(_lint_imports()), "--no-cache", "--no-logo", str(ROOT / "pyproject.toml")],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    report = done.stdout + done.stderr
    assert "Analyzed" in report, f"lint-imports did not analyse the package:\n{report}"
    if done.returncode != 0:
        pytest.fail(f"the import-linter contract is broken:\n{report}", pytrace=False)
