"""Which informed population moves the Gadre 5-run forecast: one population at a time.

The published 5-run protocol (``benchmarks/gadre.py``, RedPajama, law ``overtraining``) under
the default priors and under the priors learned WITHOUT Gadre's data
(``bl.InformedPriors(without="gadre", use=...)``) with only the exponent, only the noise, only
the floor population, exponent + noise, and all three. A diagnosis on Gadre's own runs: it says
why the informed forecast misses, and must not be used to choose the priors (that choice is
made leave-one-study-out on the other studies, ``benchmarks/informed_loso.py``).

Usage::

    python benchmarks/gadre_ablation.py      # about 2 minutes on 2 cores
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bayeslaws as bl  # noqa: E402
from benchmarks import gadre  # noqa: E402
from benchmarks.tables import markdown  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "gadre_informed" / "ablation.md"
SAMPLING = {"chains": 2, "draws": 1000, "tune": 1000, "target_accept": 0.95}
VARIANTS = {"default": None,
            "exponent only": ("exponent",),
            "noise only": ("noise",),
            "floor only": ("floor",),
            "exponent + noise": ("exponent", "noise"),
            "all three": ("exponent", "noise", "floor")}


def main(argv=None) -> int:
    frame = gadre.load()
    targets = frame.loc[gadre.target_mask(frame)].reset_index(drop=True)
    protocol = frame.loc[gadre.protocol_mask(frame)].reset_index(drop=True)
    rows = []
    for label, use in VARIANTS.items():
        kw = {} if use is None else {"priors": bl.InformedPriors(without="gadre", use=use)}
        fit = gadre.fit_protocol("overtraining", protocol, 0, **SAMPLING, **kw)
        for row in gadre.score_targets(fit, targets, "overtraining", "protocol (5 runs)"):
            rows.append({"priors": label, "target": row["target"],
                         "rel_error": row["rel_error"],
                         "lower_90_rel": row["lower_90"] / row["loss"] - 1,
                         "upper_90_rel": row["upper_90"] / row["loss"] - 1,
                         "covered_90": row["covered_90"],
                         "b_median": float(np.median(fit.draws()["b"]))})
        print(rows[-2:], flush=True)
    table = pd.DataFrame(rows)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join([
        "# Gadre 5-run protocol: informed populations (learned without Gadre) one at a time",
        "", f"Command: `python benchmarks/gadre_ablation.py`; law overtraining, sampling "
        f"{SAMPLING}. A diagnosis on Gadre's runs, not a basis for choosing priors.", "",
        markdown(table, digits=4), ""]))
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
