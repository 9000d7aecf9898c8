"""Shared fixtures: real-data access, small sampling settings, hypothesis profiles."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, settings

from bayeslaws.datasets import has_data

settings.register_profile(
    "fast", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))

#: Small but sound sampling settings for wiring tests (tolerances in tests account for them).
SMALL = {"chains": 2, "draws": 400, "tune": 400, "progressbar": False}

requires_data = pytest.mark.skipif(
    not has_data(), reason="real scaling data not found (set BAYESLAWS_DATA)"
)


ROOT = Path(__file__).resolve().parents[1]


def load_script(folder: str, name: str) -> ModuleType:
    """Import a script of ``case_studies/`` or ``benchmarks/`` (not packages) by its path."""
    path = ROOT / folder / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"{folder}_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
