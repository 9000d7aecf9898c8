"""Markdown tables for the benchmark reports (no extra dependency such as tabulate)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def markdown(frame: pd.DataFrame, index: bool = False, digits: int = 3) -> str:
    """A Markdown table; numbers to ``digits`` significant digits, missing values blank."""
    frame = frame.reset_index() if index else frame

    def cell(v):
        if v is None or (isinstance(v, float | np.floating) and np.isnan(v)):
            return ""
        if isinstance(v, float | np.floating):
            return f"{v:.{digits}g}"
        return str(v)

    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * frame.shape[1]]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join(lines)
