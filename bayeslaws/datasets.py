"""Access to the real published scaling data, read by path (never copied into the package).

The folder is ``$BAYESLAWS_DATA`` when set, else ``../shared/data`` relative to the working
directory or to the repository that holds this package.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from bayeslaws.exceptions import BayesLawsError, DataError


def data_dir() -> Path:
    """The folder of real scaling data (raises if it is not found)."""
    env = os.environ.get("BAYESLAWS_DATA")
    candidates = [Path(env)] if env else []
    candidates += [Path.cwd() / ".." / "shared" / "data",
                   Path(__file__).resolve().parents[1] / ".." / "shared" / "data"]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate.resolve()
    raise DataError(
        "Real scaling data not found: set BAYESLAWS_DATA to the folder holding "
        f"chinchilla-epoch/, bnsl-4digit/, ... (looked in {[str(c) for c in candidates]}).")


def has_data() -> bool:
    """Whether :func:`data_dir` finds the data (tests skip real-data checks otherwise)."""
    try:
        data_dir()
    except BayesLawsError:
        return False
    return True


def chinchilla(drop_highest: int = 5) -> pd.DataFrame:
    """Hoffmann et al.'s approach-3 points as digitised by Besiroglu et al. 2024.

    Columns ``N`` (parameters), ``C`` (training FLOPs), ``D = C / (6 N)`` (tokens) and ``loss``.
    ``drop_highest`` removes the runs with the highest loss, as the replication did (5).
    """
    raw = pd.read_csv(data_dir() / "chinchilla-epoch" / "svg_extracted_data.csv")
    frame = pd.DataFrame({
        "N": raw["Model Size"].astype(float),
        "C": raw["Training FLOP"].astype(float),
        "loss": raw["loss"].astype(float),
    })
    frame["D"] = frame["C"] / (6.0 * frame["N"])
    if drop_highest:
        frame = frame.sort_values("loss").iloc[:-drop_highest]
    return frame.sort_values(["C", "N"]).reset_index(drop=True)[["N", "D", "C", "loss"]]
