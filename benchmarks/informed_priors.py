"""Build the informed priors (``priors="informed"``) from published scaling studies.

Stage 1 (``fits``): fit every unit of the studies in ``<data>`` with the default priors and
record, per fit, the posterior median and sd of the log of

* each exponent (``alpha``, ``beta`` of Chinchilla's law; ``alpha`` of the saturating power law),
* the noise scale ``sigma`` (Student-t scale of ``log y``, the default likelihood),
* the floor relative to the smallest loss, ``E / min(y)`` (``min(y)`` over all the unit's runs;
  :data:`FLOOR_EXTENTS` can add the smallest loss of the runs up to a share of the unit's range
  of scales -- tried, and worse leave-one-study-out).

Units (study / unit):

* ``chinchilla``: Hoffmann et al. 2022 approach-3 points (Besiroglu et al. 2024 digitisation,
  the 240 runs left after dropping the 5 highest losses), law ``chinchilla``;
* ``gadre``: Gadre et al. 2024, one unit per training set (c4_original, rpj, rw_original),
  all runs, C4 validation loss, law ``chinchilla``;
* ``revisiting``: Alabdulmohsin et al. 2022 learning curves, one unit per domain (IC: 12 of the
  72 curves, evenly spaced in the file's order; NMT: 5; LM: 5), the fitting points only
  (``Training == 1``), law ``saturating_power_law``. BIG-bench curves (bounded task metrics
  near chance) and Pythia (accuracies, not losses) are left out: their floors and noise do not
  mean what they mean for a loss.

Published fitted exponents (:data:`PUBLISHED`, each with its citation, copied into the JSON's
provenance) join the per-fit table as further fits: Hoffmann et al.'s approach-3 and Besiroglu
et al.'s replication exponents as fits of the ``chinchilla`` unit (the same runs), and
Muennighoff et al.'s data-constrained fit (alpha = beta) as its own study and unit. Their log
sd is the published standard error over the value where one is given, else
:data:`PUBLISHED_LOG_SD`. Kaplan et al. 2020's alpha_N = 0.076, alpha_D = 0.095 are left out
(:data:`EXCLUDED`): they are slopes of a law without an irreducible floor, which are smaller
than the slopes of ``E + A N^-alpha`` fitted to the same runs, so they do not measure the
quantity these priors are for.

Stage 2 (``meta``): for each quantity a hierarchical random-effects meta-analysis (PyMC, NUTS):
``v_f ~ Normal(m_unit, sqrt(w^2 + se_f^2))``, ``m_unit ~ Normal(mu, tau)``, with the fit's
posterior median ``v_f`` and sd ``se_f`` of the log quantity; the population distribution of a
new unit, ``mu + tau z1 + w z2``, summarised by its mean and sd, is the LogNormal prior. This is
done with every study, and once without each study (leave-one-study-out), and written to
``bayeslaws/informed_priors.json`` with the per-unit estimates and provenance. Exponents get
three populations: ``exponent_scale`` (the exponents of ``N`` and ``D`` in ``L(N, D)`` laws),
``exponent_curve`` (learning curves in examples seen) and ``exponent`` (all pooled, the
format-1 population); which applies to a law's exponent is decided by its input's name
(:func:`bayeslaws.informed.exponent_axis`).

Per-fit estimates go to ``benchmarks/results/informed/per_fit.csv`` (``--resume`` reuses them).

Usage::

    python benchmarks/informed_priors.py            # fits (about 3 minutes on 2 cores) + meta
    python benchmarks/informed_priors.py --resume   # reuse per_fit.csv, redo the meta-analysis
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bayeslaws as bl  # noqa: E402
from bayeslaws import datasets  # noqa: E402
from bayeslaws.datasets import data_dir  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "informed"
TARGET = ROOT / "bayeslaws" / "informed_priors.json"
SAMPLING = {"chains": 2, "draws": 500, "tune": 500, "progressbar": False}
QUANTITIES = ("exponent", "noise", "floor")
#: Populations written: exponents by axis and pooled, noise, floor.
POPULATIONS = ("exponent_scale", "exponent_curve", "exponent", "noise", "floor")
CITATIONS = {
    "chinchilla": "Hoffmann et al. 2022 (arXiv:2203.15556), points digitised by Besiroglu et al. "
                  "2024 (arXiv:2404.10102), data set chinchilla-epoch",
    "gadre": "Gadre et al. 2024 (arXiv:2403.08540), data set gadre-overtraining",
    "revisiting": "Alabdulmohsin et al. 2022 (arXiv:2209.06640), data set revisiting-nsl",
    "muennighoff": "Muennighoff et al. 2023 (arXiv:2305.16264): published exponent only",
}
REVISITING = {"IC": 12, "NMT": 5, "LM": 5}
#: log sd given to a published exponent without a published standard error (about +-10%).
PUBLISHED_LOG_SD = 0.1
#: Published fitted exponents: (study, unit, source, parameter, value, standard error or None).
#: Numbers checked against ../shared/data/README.md (Hoffmann, Besiroglu) and the authors'
#: repository README (Muennighoff: huggingface/datablations @0c76502, "Parametric Fit").
PUBLISHED = (
    ("chinchilla", "chinchilla", "Hoffmann et al. 2022 approach 3", "alpha", 0.34, None),
    ("chinchilla", "chinchilla", "Hoffmann et al. 2022 approach 3", "beta", 0.28, None),
    ("chinchilla", "chinchilla", "Besiroglu et al. 2024 replication", "alpha", 0.348, 0.015),
    ("chinchilla", "chinchilla", "Besiroglu et al. 2024 replication", "beta", 0.366, 0.021),
    ("muennighoff", "muennighoff", "Muennighoff et al. 2023 data-constrained fit", "alpha=beta",
     0.3526596, None),
)
PUBLISHED_CITATIONS = {
    "Hoffmann et al. 2022 approach 3": "Hoffmann et al. 2022 (arXiv:2203.15556), approach 3 "
        "(L = E + A/N^alpha + B/D^beta): alpha = 0.34, beta = 0.28, no standard errors; as "
        "quoted in ../shared/data/README.md (chinchilla-epoch)",
    "Besiroglu et al. 2024 replication": "Besiroglu et al. 2024 (arXiv:2404.10102), Huber fit "
        "on the 240 digitised Chinchilla runs: alpha = 0.348 (SE 0.015), beta = 0.366 "
        "(SE 0.021); ../shared/data/README.md (chinchilla-epoch)",
    "Muennighoff et al. 2023 data-constrained fit": "Muennighoff et al. 2023 (arXiv:2305.16264)"
        ", data-constrained law fitted to their C4 runs with alpha = beta = 0.3526596 (E = "
        "exp(0.6255) = 1.87); github.com/huggingface/datablations README, 'Parametric Fit' "
        "(commit 0c76502)",
}
#: Published exponents deliberately left out, and why.
EXCLUDED = {
    "Kaplan et al. 2020 (arXiv:2001.08361): alpha_N = 0.076, alpha_D = 0.095": "slopes of "
        "L = (N_c/N)^alpha_N, a law without an irreducible floor; not comparable with the "
        "exponents of E + A N^-alpha (they describe the 'kaplan' law, which the informed "
        "priors do not cover)",
}

#: Extents of a unit's runs (share of its log-scale range, from the smallest run) at which
#: the floor is put relative to the smallest loss. ``(1.0,)``: all runs. ``(0.25, 0.5, 0.75,
#: 1.0)`` (a user's few runs may stop short of the largest) was tried and scored worse
#: leave-one-study-out (benchmarks/results/informed/floor_extents/), so it is not the default.
FLOOR_EXTENTS = (1.0,)


def gadre_runs() -> pd.DataFrame:
    return pd.read_csv(data_dir() / "gadre-overtraining" / "gadre_models_losses.csv")


def revisiting_curves() -> pd.DataFrame:
    folder = data_dir() / "revisiting-nsl"
    return pd.concat([pd.read_csv(folder / "benchmark.vision.csv"),
                      pd.read_csv(folder / "benchmark.lang.csv").drop_duplicates()],
                     ignore_index=True)


def units() -> list[dict]:
    """Every fit of stage 1: study, unit, fit label, law and its data."""
    out = [{"study": "chinchilla", "unit": "chinchilla", "fit": "chinchilla",
            "law": "chinchilla", "data": datasets.chinchilla(), "x": {"N": "N", "D": "D"},
            "y": "loss"}]
    gadre = gadre_runs()
    for name in ("c4_original", "rpj", "rw_original"):
        out.append({"study": "gadre", "unit": f"gadre/{name}", "fit": f"gadre/{name}",
                    "law": "chinchilla", "data": gadre[gadre["dataset"] == name],
                    "x": {"N": "N_params", "D": "D_tokens"}, "y": "loss_c4_val"})
    curves = revisiting_curves()
    for domain, count in REVISITING.items():
        keys = curves[curves["Domain"] == domain][["Task", "Model"]].drop_duplicates()
        chosen = keys.iloc[np.unique(np.linspace(0, len(keys) - 1, count).astype(int))]
        for _, key in chosen.iterrows():
            rows = curves[(curves["Domain"] == domain) & (curves["Task"] == key["Task"])
                          & (curves["Model"] == key["Model"]) & (curves["Training"] == 1)]
            out.append({"study": "revisiting", "unit": f"revisiting/{domain}",
                        "fit": f"revisiting/{domain}/{key['Task']}/{key['Model']}",
                        "law": "saturating_power_law", "data": rows, "x": "Seen Examples",
                        "y": "Loss"})
    return out


def smallest_losses(fit: bl.Fit) -> dict[float, float]:
    """The smallest loss among the runs up to each extent of :data:`FLOOR_EXTENTS` of the
    unit's scale range (scale: the product of the law's inputs, e.g. N D ~ compute)."""
    obs = fit.observations
    scale = sum(np.log(values) for values in obs.x.values())
    low, span = scale.min(), np.ptp(scale)
    return {f: float(obs.y[scale <= low + f * span + 1e-9].min()) for f in FLOOR_EXTENTS}


def estimates(fit: bl.Fit) -> list[dict]:
    """Posterior median and sd of the log of each exponent, the noise and E / min(y), the
    latter once per extent of the runs (:func:`smallest_losses`)."""
    from bayeslaws.informed import exponent_names

    draws = fit.draws()
    logs = {("exponent", name): np.log(draws[name]) for name in exponent_names(fit.law)}
    logs[("noise", "sigma")] = np.log(draws["sigma"])
    for name in fit.law.floors:
        for extent, y_min in smallest_losses(fit).items():
            logs[("floor", f"{name}@{extent:g}")] = np.log(draws[name] / y_min)
    return [{"quantity": q, "parameter": p, "log_median": float(np.median(v)),
             "log_sd": float(np.std(v))} for (q, p), v in logs.items()]


def run_fits(resume: bool, seed: int) -> pd.DataFrame:
    path = OUT / "per_fit.csv"
    done = pd.read_csv(path) if resume and path.exists() else pd.DataFrame()
    rows = done.to_dict("records")
    for k, unit in enumerate(units()):
        if len(done) and unit["fit"] in set(done["fit"]):
            continue
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = bl.fit(unit["law"], unit["data"], x=unit["x"], y=unit["y"],
                         random_seed=seed + k, **SAMPLING)
        diag = fit.diagnostics()
        for row in estimates(fit):
            rows.append({"study": unit["study"], "unit": unit["unit"], "fit": unit["fit"],
                         "law": unit["law"], "n_runs": len(unit["data"]), **row,
                         "max_rhat": diag.max_rhat, "divergences": diag.divergences,
                         "seconds": time.perf_counter() - start})
        print(f"{unit['fit']}: {time.perf_counter() - start:.1f}s, rhat {diag.max_rhat:.3f}",
              flush=True)
        OUT.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(rows).to_csv(path, index=False)
    return pd.DataFrame(rows)


def population(table: pd.DataFrame, seed: int) -> dict:
    """Random-effects meta-analysis of one quantity's log values: the distribution of a new
    unit's value, as the mean and sd of ``mu + tau z1 + w z2`` over the posterior."""
    import pymc as pm

    units_ = sorted(table["unit"].unique())
    index = table["unit"].map({u: i for i, u in enumerate(units_)}).to_numpy()
    values, se = table["log_median"].to_numpy(), table["log_sd"].to_numpy()
    with pm.Model():
        mu = pm.Normal("mu", 0.0, 3.0)
        tau = pm.HalfNormal("tau", 1.0)
        w = pm.HalfNormal("w", 1.0)
        z = pm.Normal("z", 0.0, 1.0, shape=len(units_))
        m = mu + tau * z
        pm.Normal("v", m[index], pm.math.sqrt(w**2 + se**2), observed=values)
        trace = pm.sample(1000, tune=1000, chains=2, random_seed=seed, progressbar=False,
                          target_accept=0.95, nuts_sampler="nutpie")
    post = trace["posterior"]
    mu_, tau_, w_ = (np.asarray(post[k]).ravel() for k in ("mu", "tau", "w"))
    rng = np.random.default_rng(seed)
    new = mu_ + tau_ * rng.standard_normal(mu_.size) + w_ * rng.standard_normal(mu_.size)
    return {"mu": float(new.mean()), "sigma": float(new.std()),
            "mu_population": float(mu_.mean()), "tau": float(np.median(tau_)),
            "w": float(np.median(w_)), "units": units_, "fits": int(table["fit"].nunique())}


def published_rows() -> pd.DataFrame:
    """:data:`PUBLISHED` as rows of the per-fit table (quantity ``exponent``, axis scale)."""
    rows = [{"study": study, "unit": unit, "fit": f"{unit}/published: {source}", "law":
             "published", "quantity": "exponent", "parameter": name,
             "log_median": float(np.log(value)),
             "log_sd": float(se / value) if se is not None else PUBLISHED_LOG_SD,
             "axis": "scale"}
            for study, unit, source, name, value, se in PUBLISHED]
    return pd.DataFrame(rows)


def with_axes(per_fit: pd.DataFrame) -> pd.DataFrame:
    """The per-fit table with each exponent's axis (:func:`bayeslaws.informed.exponent_axis`)
    and the published exponents added."""
    from bayeslaws.catalogue import get_law
    from bayeslaws.informed import exponent_axis

    table = per_fit.copy()
    table["axis"] = [exponent_axis(get_law(law), name) if q == "exponent" else ""
                     for law, q, name in zip(table["law"], table["quantity"],
                                             table["parameter"], strict=True)]
    return pd.concat([table, published_rows()], ignore_index=True)


def rows_of(table: pd.DataFrame, name: str) -> pd.DataFrame:
    """The rows of population ``name`` (:data:`POPULATIONS`)."""
    if name.startswith("exponent_"):
        return table[(table["quantity"] == "exponent")
                     & (table["axis"] == name.split("_", 1)[1])]
    return table[table["quantity"] == name]


def meta(per_fit: pd.DataFrame, seed: int) -> dict:
    sets = {"all": per_fit}
    sets.update({f"without={s}": per_fit[per_fit["study"] != s]
                 for s in sorted(per_fit["study"].unique())})
    out = {}
    for label, table in sets.items():
        out[label] = {q: population(rows_of(table, q), seed) for q in POPULATIONS
                      if len(rows_of(table, q))}
        print(label, {q: (round(v["mu"], 3), round(v["sigma"], 3), len(v["units"]))
                      for q, v in out[label].items()}, flush=True)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--resume", action="store_true", help="reuse per_fit.csv")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    per_fit = with_axes(run_fits(args.resume, args.seed))
    populations = meta(per_fit, args.seed)
    units_table = (per_fit.groupby(["study", "unit", "quantity", "axis"])["log_median"]
                   .agg(["mean", "std", "count"]).reset_index())
    document = {
        "format": 2,
        "description": "Population distributions (LogNormal mu, sigma of the log) of scaling-"
                       "law exponents, noise scale sigma and floor E / min(y), learned from "
                       "published studies by benchmarks/informed_priors.py.",
        "built": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python benchmarks/informed_priors.py " + " ".join(argv or sys.argv[1:]),
        "bayeslaws_version": bl.__version__,
        "sampling_per_fit": SAMPLING,
        "studies": {s: CITATIONS[s] for s in sorted(per_fit["study"].unique())},
        "published_exponents": [
            {"study": study, "unit": unit, "parameter": name, "value": value,
             "standard_error": se, "log_sd_used": se / value if se else PUBLISHED_LOG_SD,
             "source": PUBLISHED_CITATIONS[source]}
            for study, unit, source, name, value, se in PUBLISHED],
        "excluded_published": EXCLUDED,
        "exponent_axes": "exponent_scale: exponents of inputs N (parameters) and D (tokens) "
                         "of L(N, D) laws; exponent_curve: exponents of any other input "
                         "(learning curves in examples seen); exponent: all pooled. "
                         "bayeslaws.informed.exponent_axis decides by the input's name.",
        "populations": populations,
        "units": [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}
                  for row in units_table.to_dict("records")],
    }
    TARGET.write_text(json.dumps(document, indent=1) + "\n")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
