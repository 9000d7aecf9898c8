"""Speed of one fit and of many fits (issue 6), measured side by side in one run.

Run from the repository root::

    .venv/bin/python benchmarks/speed.py            # full run, writes benchmarks/results/speed.md
    .venv/bin/python benchmarks/speed.py --quick    # fewer curves, smaller point-fit grid
    .venv/bin/python benchmarks/speed.py --imports  # import and CLI answer times only (issue 17)

Rows (Chinchilla approach-3 data, 240 points, 4 chains x 1,000 draws unless stated): the
hand-written PyMC model a user would write (``pm.sample`` default and PyMC's own NUTS),
bayeslaws first fit in a fresh process per sampler, second fit in the same process (compiled
model reused), pure sampling time, ``bayeslaws fit`` from the command line in a fresh process
with warm on-disk caches, the published-style point fit (Huber loss, L-BFGS from a grid of
starts), simple-scaling-laws 0.2.0 when importable, our own reimplementation of its method
(variable projection + wild bootstrap, labelled as such), and ``fit_many`` against a loop of
independent fits on revisiting-NSL curves. ``--imports`` times ``import bayeslaws`` next to
``import pymc`` and ``import arviz``, and the command line's answers that need no sampling
(``--help``, refused inputs), each in a fresh process (median of 5), and writes
``benchmarks/results/import_speed.md``. Every row reports wall seconds, minimum bulk ESS over
the paper's parameters, ESS/s and the ratio of ESS/s to the hand-written model's.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.tables import markdown  # noqa: E402

PARAMS = ("E", "A", "B", "alpha", "beta")
SETTINGS = {"chains": 4, "draws": 1000, "tune": 1000}
SAME_PRIOR_SEEDS = (0, 1, 2)


def min_bulk_ess(posterior, names=PARAMS) -> float:
    import arviz as az

    if hasattr(posterior, "to_dataset"):
        posterior = posterior.to_dataset()
    ess = az.ess(posterior[list(names)], method="bulk")
    return float(min(float(ess[n]) for n in names))


# -- the hand-written model -------------------------------------------------------------------
#: Priors of the hand-written model: ``"user"`` as a user might pick them, ``"bayeslaws"``
#: exactly bayeslaws' defaults for this data (so the two models have the same posterior and
#: only the parametrisation differs).
HAND_PRIORS = {
    "user": {"log_A": (6.0, 2.0), "log_B": (7.0, 2.0), "log_E": (0.5, 0.5),
             "exponent_sd": 0.5, "sigma": 0.1},
    "bayeslaws": {"log_A": (7.13402, 10.2796), "log_B": (8.0322, 11.7766),
                  "log_E": (0.231114, 1.0), "exponent_sd": 1.0, "sigma": 0.5},
}


def hand_written(df: pd.DataFrame, nuts_sampler: str | None, seed: int = 0,
                 priors: str = "user") -> dict:
    """The model as a user writes it: priors on logs, log-sum-exp mean, raw log N and log D."""
    import pymc as pm

    pri = HAND_PRIORS[priors]
    start = time.perf_counter()
    with pm.Model():
        log_n, log_d = np.log(df["N"].values), np.log(df["D"].values)
        log_a = pm.Normal("log_A", *pri["log_A"])
        log_b = pm.Normal("log_B", *pri["log_B"])
        log_e = pm.Normal("log_E", *pri["log_E"])
        alpha = pm.LogNormal("alpha", np.log(0.3), pri["exponent_sd"])
        beta = pm.LogNormal("beta", np.log(0.3), pri["exponent_sd"])
        sigma = pm.HalfNormal("sigma", pri["sigma"])
        mean = pm.math.logsumexp(
            pm.math.stack([log_e + 0 * log_n, log_a - alpha * log_n, log_b - beta * log_d]),
            axis=0,
        )[0]
        pm.Normal("y", mean, sigma, observed=np.log(df["loss"].values))
        kwargs = {} if nuts_sampler is None else {"nuts_sampler": nuts_sampler}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trace = pm.sample(random_seed=seed, progressbar=False, **SETTINGS, **kwargs)
    seconds = time.perf_counter() - start
    ess = min_bulk_ess(trace["posterior"], ("log_E", "log_A", "log_B", "alpha", "beta"))
    return {"seconds": seconds, "ess": ess}


# -- bayeslaws in a fresh process --------------------------------------------------------------
CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {root!r})
import bayeslaws as bl
from bayeslaws.datasets import chinchilla
df = chinchilla()
fit = bl.fit("chinchilla", df, x={{"N": "N", "D": "D"}}, y="loss", sampler={sampler!r},
             random_seed=0, progressbar=False, chains=4, draws=1000, tune=1000)
t1 = time.perf_counter()
ess = min(float(v) for v in fit.diagnostics().table["ess_bulk"].loc[list({params!r})])
print("RESULT" + json.dumps({{"seconds": t1 - t0, "sampling": fit.config["sampling_seconds"],
      "ess": ess, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def fresh_process(sampler: str) -> dict:
    code = CHILD.format(root=str(ROOT), sampler=sampler, params=PARAMS)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=False)
    lines = [line for line in out.stdout.splitlines() if line.startswith("RESULT")]
    if not lines:
        raise RuntimeError(f"fresh-process fit with {sampler} failed:\n{out.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT"):])


def cli_fresh(df: pd.DataFrame, tmp: Path, sampler: str = "nutpie") -> dict:
    """`bayeslaws fit` end to end in a fresh process (run twice: the first warms the caches,
    including a new, empty JAX persistent cache for numpyro)."""
    csv = tmp / "chinchilla.csv"
    df.to_csv(csv, index=False)
    cmd = [str(Path(sys.executable).parent / "bayeslaws"), "fit", str(csv), "--law",
           "chinchilla", "--x", "N=N", "--x", "D=D", "--y", "loss", "--out",
           str(tmp / "fit.nc"), "--seed", "0", "--quiet", "--sampler", sampler]
    env = {**os.environ, "BAYESLAWS_CACHE_DIR": str(tmp / "cache")}
    times = []
    for _ in range(2):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=True, env=env)
        times.append(time.perf_counter() - start)
    import bayeslaws as bl

    fit = bl.load(tmp / "fit.nc")
    ess = min(float(v) for v in fit.diagnostics().table["ess_bulk"].loc[list(PARAMS)])
    return {"seconds": times[1], "cold_seconds": times[0], "ess": ess,
            "sampling": fit.config["sampling_seconds"]}


# -- point fits ----------------------------------------------------------------------------------
def huber_point_fit(df: pd.DataFrame, grid_step: int) -> dict:
    """Epoch's published procedure: Huber (delta 1e-3) on log loss, L-BFGS from a grid."""
    from scipy.optimize import minimize
    from scipy.special import huber, logsumexp

    log_n, log_d, log_y = np.log(df["N"].values), np.log(df["D"].values), np.log(df["loss"])
    log_y = log_y.values

    def objective(theta):
        a, b, e, alpha, beta = theta
        pred = logsumexp([a - alpha * log_n, b - beta * log_d, np.full_like(log_n, e)], axis=0)
        return huber(1e-3, pred - log_y).sum()

    grid = list(itertools.product(np.arange(0, 30, 5), np.arange(0, 30, 5),
                                  np.arange(-1, 1.5, 0.5), np.arange(0, 2.5, 0.5),
                                  np.arange(0, 2.5, 0.5)))
    grid = grid[::grid_step]
    start = time.perf_counter()
    best = min((minimize(objective, g, method="L-BFGS-B") for g in grid), key=lambda r: r.fun)
    seconds = time.perf_counter() - start
    a, b, e, alpha, beta = best.x
    return {"seconds": seconds, "starts": len(grid),
            "estimate": {"E": np.exp(e), "A": np.exp(a), "B": np.exp(b), "alpha": alpha,
                         "beta": beta}}


def varpro_bootstrap(df: pd.DataFrame, draws: int = 1000, seed: int = 0) -> dict:
    """OUR reimplementation of a variable-projection + wild-bootstrap fit (not the package).

    For fixed exponents the model ``y = E + A N^-alpha + B D^-beta`` is linear in (E, A, B):
    solve it by non-negative least squares, optimise the two exponents by Nelder-Mead, then
    refit ``draws`` wild-bootstrap replicates (Rademacher-signed residuals).
    """
    from scipy.optimize import minimize, nnls

    n, d, y = df["N"].values, df["D"].values, df["loss"].values

    def inner(exps, target):
        design = np.column_stack([np.ones_like(n), n ** -exps[0], d ** -exps[1]])
        coef, norm = nnls(design, target)
        return coef, norm

    def fit_one(target, x0):
        res = minimize(lambda e: inner(np.abs(e), target)[1], x0, method="Nelder-Mead",
                       options={"xatol": 1e-5, "fatol": 1e-10})
        exps = np.abs(res.x)
        return np.concatenate([inner(exps, target)[0], exps])

    start = time.perf_counter()
    theta = fit_one(y, np.array([0.35, 0.35]))
    design = np.column_stack([np.ones_like(n), n ** -theta[3], d ** -theta[4]])
    fitted = design @ theta[:3]
    resid = y - fitted
    rng = np.random.default_rng(seed)
    boot = np.array([fit_one(fitted + resid * rng.choice([-1.0, 1.0], size=y.size), theta[3:])
                     for _ in range(draws)])
    seconds = time.perf_counter() - start
    lo, hi = np.percentile(boot, [2.5, 97.5], axis=0)
    names = ("E", "A", "B", "alpha", "beta")
    return {"seconds": seconds, "estimate": dict(zip(names, theta, strict=True)),
            "interval": {k: (lo[i], hi[i]) for i, k in enumerate(names)}}


def simple_scaling_laws(df: pd.DataFrame) -> dict | None:
    try:
        import polars as pl
        import simple_scaling_laws as ssl
    except ImportError:
        return None
    frame = pl.DataFrame({
        "training_run_id": [f"run_{i}" for i in range(len(df))],
        "model_size__n_params": df["N"].values,
        "dataset_size__n_tokens": df["D"].values,
        "test_loss__cross_entropy": df["loss"].values,
    })
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ssl.fit(frame, n_draws=1000, seed=0)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "estimate": model.params("test_loss__cross_entropy"),
            "version": ssl.__version__}


# -- fit_many ---------------------------------------------------------------------------------
def revisiting_curves(n_curves: int | None) -> pd.DataFrame:
    from bayeslaws.datasets import data_dir

    frames = [pd.read_csv(data_dir() / "revisiting-nsl" / f"benchmark.{k}.csv")
              for k in ("lang", "vision")]
    raw = pd.concat(frames).drop_duplicates()
    raw = raw[(raw["Training"] == 1) & (raw["Loss"] > 0)]
    raw["curve"] = raw["Domain"] + "/" + raw["Task"] + "/" + raw["Model"]
    counts = raw.groupby("curve").size()
    keep = counts[counts >= 5].index
    if n_curves is not None:
        keep = keep[:n_curves]
    raw = raw[raw["curve"].isin(keep)]
    return pd.DataFrame({"curve": raw["curve"], "x": raw["Seen Examples"], "y": raw["Loss"]})


def many_vs_loop(curves: pd.DataFrame, loop_curves: int) -> dict:
    import bayeslaws as bl
    from bayeslaws import sampling

    small = {"chains": 4, "draws": 1000, "tune": 1000, "progressbar": False}
    names = list(pd.unique(curves["curve"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        for i, name in enumerate(names[:loop_curves]):
            sampling.clear_cache()  # an independent fit: what a loop without reuse costs
            bl.fit("saturating_power_law", curves[curves.curve == name], x="x", y="y",
                   random_seed=i, **small)
        loop_per_curve = (time.perf_counter() - start) / loop_curves
        start = time.perf_counter()
        result = bl.fit_many("saturating_power_law", curves, by="curve", x="x", y="y",
                             random_seed=0, **small)
        many_seconds = time.perf_counter() - start
        sampling.clear_cache()
        start = time.perf_counter()
        serial = bl.fit_many("saturating_power_law", curves, by="curve", x="x", y="y",
                             executor="serial", random_seed=0, **small)
        serial_seconds = time.perf_counter() - start
    return {"curves": len(names), "loop_curves": loop_curves, "loop_per_curve": loop_per_curve,
            "many_seconds": many_seconds, "many_per_curve": many_seconds / len(names),
            "serial_per_curve": serial_seconds / len(names), "failed": len(result.errors),
            "compilations": result.compilations, "serial_compilations": serial.compilations,
            "workers": os.cpu_count()}


def float32_loss(fit) -> dict:
    """What storing the posterior as float32 changes: summary quantiles and file size."""

    post = fit.posterior[list(PARAMS)]
    q64 = post.quantile([0.05, 0.5, 0.95], dim=("chain", "draw"))
    q32 = post.astype("float32").quantile([0.05, 0.5, 0.95], dim=("chain", "draw"))
    rel = max(float(np.max(np.abs(q32[n].values / q64[n].values - 1))) for n in PARAMS)
    with tempfile.TemporaryDirectory() as tmp:
        path = fit.save(Path(tmp) / "f64.nc")
        size64 = path.stat().st_size
        tree = fit.trace.copy()
        tree["posterior"] = tree["posterior"].to_dataset().astype("float32")
        tree["log_likelihood"] = tree["log_likelihood"].to_dataset().astype("float32")
        tree.to_netcdf(Path(tmp) / "f32.nc", engine="h5netcdf")
        size32 = (Path(tmp) / "f32.nc").stat().st_size
    return {"max_rel_quantile_change": rel, "bytes64": size64, "bytes32": size32}


# -- report --------------------------------------------------------------------------------------
#: Fresh-process timings of issue 17: label -> Python code run with ``python -c``.
IMPORTS = {
    "import numpy (reference)": "import numpy",
    "import pymc": "import pymc",
    "import arviz": "import arviz",
    "import bayeslaws": "import bayeslaws",
    "import bayeslaws; bayeslaws.fit (pulls PyMC, ArviZ, nutpie wrappers)":
        "import bayeslaws; bayeslaws.fit",
}
#: Command lines answered without sampling (``bayeslaws ARGS``), in a fresh process each.
CLI_ANSWERS = {
    "bayeslaws --help": ["--help"],
    "bayeslaws fit --help": ["fit", "--help"],
    "refused: empty CSV": ["fit", "{empty}", "--law", "chinchilla", "--y", "loss", "--out",
                           "x.nc"],
    "refused: --prior without a comma": ["fit", "{runs}", "--law", "chinchilla", "--y", "loss",
                                         "--out", "x.nc", "--prior",
                                         "alpha=Normal(mu=0.3 sigma=0.1)"],
    "refused: misspelled column (--y Loss)": ["fit", "{runs}", "--law", "chinchilla", "--y",
                                              "Loss", "--out", "x.nc"],
    "refused: misspelled law (--law Chinchilla)": ["fit", "{runs}", "--law", "Chinchilla",
                                                   "--y", "loss", "--out", "x.nc"],
    "bayeslaws laws (the catalogue table)": ["laws"],
}


def _fresh_seconds(argv: list[str], repeats: int) -> float:
    """Median wall seconds of running ``argv`` in a fresh process."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, capture_output=True, check=False,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def import_times(repeats: int = 5) -> pd.DataFrame:
    """Seconds of each :data:`IMPORTS` line and :data:`CLI_ANSWERS` command, fresh processes."""
    rows = [{"what": label, "seconds": _fresh_seconds([sys.executable, "-c", code], repeats)}
            for label, code in IMPORTS.items()]
    with tempfile.TemporaryDirectory() as tmp:
        empty, runs = Path(tmp) / "empty.csv", Path(tmp) / "runs.csv"
        empty.write_text("")
        runs.write_text("N,D,loss\n1e8,2e9,3.1\n1e9,2e10,2.6\n")
        for label, args in CLI_ANSWERS.items():
            argv = [a.format(empty=empty, runs=runs) for a in args]
            code = "import sys; from bayeslaws.cli import main; sys.exit(main())"
            rows.append({"what": label, "seconds": _fresh_seconds(
                [sys.executable, "-c", code, *argv], repeats)})
    return pd.DataFrame(rows)


def imports_report(out: Path) -> str:
    load = os.getloadavg()
    table = import_times()
    text = "\n".join([
        "# Import and command-line answer times (issue 17)", "",
        "Command: `.venv/bin/python benchmarks/speed.py --imports` (median of 5 fresh "
        "processes per row)",
        f"Load average at start: {load}; at end: {os.getloadavg()}; {os.cpu_count()} CPU "
        "cores.", "", markdown(table), ""])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    return text


def row(name, seconds, ess=None, note=""):
    return {"row": name, "seconds": seconds, "min_bulk_ess": ess,
            "ess_per_s": None if ess is None else ess / seconds, "note": note}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="8 curves (loop on 3), point-fit grid every 150th start")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "speed.md"))
    parser.add_argument("--imports", action="store_true",
                        help="only the import and command-line answer times (issue 17)")
    args = parser.parse_args(argv)
    if args.imports:
        print(imports_report(ROOT / "benchmarks" / "results" / "import_speed.md"))
        return 0
    import bayeslaws as bl
    from bayeslaws.datasets import chinchilla
    from bayeslaws.simulate import CHINCHILLA_REPLICATION, simulate

    df = chinchilla()
    rows = []
    load = os.getloadavg()
    print(f"load average at start: {load}", flush=True)

    hw = hand_written(df, None)
    rows.append(row("hand-written PyMC model, pm.sample default (nutpie)", hw["seconds"],
                    hw["ess"]))
    print(rows[-1], flush=True)
    # the same-prior baseline's ESS varied from 67 to 379 between runs: median of 3 seeds
    same = [hand_written(df, None, seed=seed, priors="bayeslaws") for seed in SAME_PRIOR_SEEDS]
    same_ess = [r["ess"] for r in same]
    rows.append(row("hand-written PyMC model with bayeslaws' priors, pm.sample (nutpie)",
                    float(np.median([r["seconds"] for r in same])), float(np.median(same_ess)),
                    f"same posterior as bayeslaws' fit; median of seeds {SAME_PRIOR_SEEDS}, "
                    f"ESS {min(same_ess):.0f}-{max(same_ess):.0f}"))
    print(rows[-1], flush=True)
    hw_pymc = hand_written(df, "pymc")
    rows.append(row("hand-written PyMC model, PyMC's NUTS", hw_pymc["seconds"], hw_pymc["ess"]))
    print(rows[-1], flush=True)
    rss = {}
    for sampler in ("nutpie", "pymc", "numpyro"):
        res = fresh_process(sampler)
        rss[sampler] = res["rss_mb"]
        rows.append(row(f"bayeslaws first fit, fresh process, {sampler}", res["seconds"],
                        res["ess"], f"sampling {res['sampling']:.1f} s; "
                        f"peak RSS {res['rss_mb']:.0f} MB"))
        print(rows[-1], flush=True)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bl.fit("chinchilla", df, x={"N": "N", "D": "D"}, y="loss", random_seed=0,
               progressbar=False, **SETTINGS)  # compiles in this process
        new = simulate("chinchilla", CHINCHILLA_REPLICATION, {"N": df["N"].values,
                                                               "D": df["D"].values},
                       sigma=0.02, random_seed=1).rename(columns={"y": "loss"})
        start = time.perf_counter()
        second = bl.fit("chinchilla", new, x={"N": "N", "D": "D"}, y="loss", random_seed=1,
                        progressbar=False, **SETTINGS)
        second_s = time.perf_counter() - start
    ess2 = min(float(second.diagnostics().table["ess_bulk"].loc[p]) for p in PARAMS)
    sampling_s = second.config["sampling_seconds"]
    rows.append(row("bayeslaws second fit, same process (reused model, new data)", second_s,
                    ess2, f"{second_s / sampling_s:.2f}x pure sampling"))
    rows.append(row("  of which pure sampling (nutpie.sample)", sampling_s, ess2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        diag = bl.fit("chinchilla", new, x={"N": "N", "D": "D"}, y="loss", random_seed=1,
                      progressbar=False, adaptation="diag", **SETTINGS)
    rows.append(row("  same, nutpie's diagonal mass matrix (adaptation='diag', 0.8)",
                    diag.config["sampling_seconds"],
                    min(float(diag.diagnostics().table["ess_bulk"].loc[p]) for p in PARAMS),
                    "pure sampling; bayeslaws' default is low_rank at 0.9"))
    print(rows[-3:], flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        cli = cli_fresh(df, Path(tmp))
    rows.append(row("`bayeslaws fit` CLI, fresh process, warm on-disk caches", cli["seconds"],
                    cli["ess"], f"first (cold) run {cli['cold_seconds']:.1f} s; "
                    f"{cli['seconds'] / cli['sampling']:.1f}x its pure sampling"))
    print(rows[-1], flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        cli_np = cli_fresh(df, Path(tmp), sampler="numpyro")
    rows.append(row("`bayeslaws fit --sampler numpyro` CLI, fresh process, warm JAX cache",
                    cli_np["seconds"], cli_np["ess"],
                    f"first (cold) run {cli_np['cold_seconds']:.1f} s; sampling incl. loading "
                    f"the compiled XLA {cli_np['sampling']:.1f} s; "
                    f"{cli_np['seconds'] / sampling_s:.1f}x nutpie's pure sampling"))
    print(rows[-1], flush=True)
    huber = huber_point_fit(df, 150 if args.quick else 1)
    est = huber["estimate"]
    rows.append(row(f"published-style point fit (Huber, L-BFGS, {huber['starts']} starts)",
                    huber["seconds"], None, "no intervals; E={E:.3f} alpha={alpha:.3f} "
                    "beta={beta:.3f}".format(**est)))
    print(rows[-1], flush=True)
    peer = simple_scaling_laws(df)
    if peer is not None:
        est = peer["estimate"]
        rows.append(row(f"simple-scaling-laws {peer['version']} (1,000-draw bootstrap)",
                        peer["seconds"], None, "E={E:.3f} alpha={alpha:.3f} beta={beta:.3f}"
                        .format(**est)))
    else:
        rows.append(row("simple-scaling-laws (not installed: skipped)", float("nan")))
    print(rows[-1], flush=True)
    vp = varpro_bootstrap(df)
    est = vp["estimate"]
    rows.append(row("our reimplementation: variable projection + 1,000 wild bootstrap",
                    vp["seconds"], None, "E={E:.3f} alpha={alpha:.3f} beta={beta:.3f}"
                    .format(**est)))
    print(rows[-1], flush=True)

    curves = revisiting_curves(8 if args.quick else None)
    many = many_vs_loop(curves, loop_curves=3 if args.quick else 8)
    rows.append(row(f"loop of independent bl.fit (per curve, {many['loop_curves']} curves)",
                    many["loop_per_curve"]))
    rows.append(row(f"fit_many, {many['workers']} processes (per curve, {many['curves']} "
                    "curves)", many["many_per_curve"], None,
                    f"{many['loop_per_curve'] / many['many_per_curve']:.1f}x the loop; "
                    f"{many['compilations']} compilations; {many['failed']} failed"))
    rows.append(row("fit_many, serial in one process (per curve)", many["serial_per_curve"],
                    None, f"{many['loop_per_curve'] / many['serial_per_curve']:.1f}x the loop; "
                    f"{many['serial_compilations']} compilation(s)"))
    print(rows[-3:], flush=True)
    f32 = float32_loss(second)

    table = pd.DataFrame(rows)
    table["ratio_to_hand_written"] = table["ess_per_s"] / table.loc[0, "ess_per_s"]
    table["ratio_to_same_prior"] = table["ess_per_s"] / table.loc[1, "ess_per_s"]
    report = [
        "# Speed benchmark (issue 6)", "",
        f"Command: `.venv/bin/python benchmarks/speed.py{' --quick' if args.quick else ''}`",
        f"Load average at start: {load}; at end: {os.getloadavg()}; "
        f"{os.cpu_count()} CPU cores.", "",
        markdown(table), "",
        f"Peak RSS of a fresh-process Chinchilla fit: {rss} MB.",
        f"float32 posterior: largest relative change of 5/50/95% quantiles "
        f"{f32['max_rel_quantile_change']:.1e}; file {f32['bytes64']} -> {f32['bytes32']} "
        "bytes.",
        "Variable projection 95% bootstrap intervals (our reimplementation): "
        + ", ".join(f"{k} {lo:.3g}-{hi:.3g}" for k, (lo, hi) in vp["interval"].items()),
    ]
    text = "\n".join(report) + "\n"
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
