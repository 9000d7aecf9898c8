"""The wheel works outside the checkout (issue 2).

Builds the wheel with the project's own build backend, installs it (without dependencies, which
the test environment already has) into a temporary folder, and from another directory runs the
installed console script: ``bayeslaws laws`` and a tiny fit that loads its law from the law
files shipped inside the wheel.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

from bayeslaws.simulate import simulate

ROOT = Path(__file__).resolve().parents[1]


def _run(args, cwd, env):
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_wheel_installs_and_runs_from_another_directory(tmp_path):
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
          "-w", str(wheels), str(ROOT)], cwd=tmp_path, env=os.environ.copy())
    (wheel,) = wheels.glob("bayeslaws-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "bayeslaws/models/chinchilla.py" in names  # the catalogue ships in the wheel
    assert "bayeslaws/informed_priors.json" in names  # so do the informed priors

    site = tmp_path / "site"
    _run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site),
          str(wheel)], cwd=tmp_path, env=os.environ.copy())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = _run([sys.executable, "-c", "import bayeslaws, bayeslaws.catalogue as c; "
                  "print(bayeslaws.__file__); print(c.models_dir())"], cwd=elsewhere, env=env)
    assert str(site) in where and str(ROOT) not in where, where

    script = [sys.executable, str(site / "bin" / "bayeslaws")]
    assert "chinchilla" in _run([*script, "laws"], cwd=elsewhere, env=env)

    data = simulate("power_law", {"A": 50.0, "alpha": 0.35}, {"x": np.geomspace(1e6, 1e9, 8)})
    data.to_csv(elsewhere / "runs.csv", index=False)
    out = _run([*script, "fit", "runs.csv", "--law", "power_law", "--x", "x=x", "--y", "y",
                "--out", "fit.nc", "--chains", "1", "--draws", "200", "--tune", "200",
                "--quiet", "--seed", "0"], cwd=elsewhere, env=env)
    assert "alpha" in out and (elsewhere / "fit.nc").exists()
