"""Command line: ``bayeslaws laws | fit | predict | summary | demo | ...``.

Each subcommand is a function ``_run_<name>(args)`` registered with :func:`command`, which
names its help text and its arguments (``arg(...)`` takes the arguments of
``ArgumentParser.add_argument``; those shared by several subcommands are constants below). The
options' strings are parsed by :mod:`bayeslaws.cli_args`. Errors from bayeslaws are printed as
one clear line (exit 2).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from bayeslaws import cli_args
from bayeslaws.backtest import backtest
from bayeslaws.catalogue import get_law, laws
from bayeslaws.cli_args import parse_law_specs, parse_prior
from bayeslaws.compare import compare_files
from bayeslaws.decisions import format_prob, prob_below, scale_for
from bayeslaws.design import next_run, plot_next_run
from bayeslaws.exceptions import BayesLawsError, OptionError
from bayeslaws.fitting import fit
from bayeslaws.optimal import compute_optimal, inference_optimal
from bayeslaws.report import write_report
from bayeslaws.result import load
from bayeslaws.simulate import CHINCHILLA_REPLICATION, demo_data

#: Subcommand name -> (help text, arguments, defaults, function running it), in the order of
#: ``--help``.
COMMANDS: dict[str, tuple[str, tuple, dict, Callable]] = {}


def arg(*flags, **options) -> tuple:
    """One argument of a subcommand: what ``add_argument`` takes."""
    return flags, options


def command(name: str, help_text: str, *arguments, **defaults) -> Callable:
    """Register the decorated ``_run_<name>(args)`` as subcommand ``name``."""
    def register(run: Callable) -> Callable:
        COMMANDS[name] = (help_text, arguments, defaults, run)
        return run

    return register


FIT = arg("fit", help="saved fit (.nc)")
PROB = arg("--prob", type=float, default=0.9)
CSV = arg("--csv", help="also write the table to this CSV file")
KIND = arg("--kind", default="predictive", choices=["predictive", "mean"])
TABLE = arg("csv", help="table with one row per training run")
X = arg("--x", action="append", metavar="INPUT=COLUMN",
        help="map a law input to a column, e.g. --x N=params (repeat per input)")
Y = arg("--y", required=True, help="column of the measured loss")
LIKELIHOOD = arg("--likelihood", default="lognormal")
GROUPS = (arg("--group", help="column of group labels: hierarchical fit over groups"),
          arg("--varying", nargs="+", help="with --group: parameters varying by group"),
          arg("--pooled", nargs="+", help="with --group: parameters shared by all groups"))
SAMPLING = (
    arg("--sampler", default="nutpie", help="nutpie (default), pymc or numpyro"),
    arg("--draws", type=int, default=1000),
    arg("--tune", type=int, default=1000),
    arg("--chains", type=int, default=4),
    arg("--seed", type=int, default=None, help="random seed (stored in the fit)"),
    arg("--target-accept", type=float, default=None,
        help="NUTS target acceptance (default: the law's, else 0.9 with nutpie)"),
    arg("--adaptation", choices=("low_rank", "diag", "draw_diag"), default=None,
        help="nutpie's mass-matrix adaptation (default low_rank)"),
    arg("--quiet", action="store_true", help="no progress bars"),
    arg("--strict", action="store_true", help="sampler problems are errors"),
)


def _sampling(args, seed: int | None = None) -> dict:
    """The keyword arguments of ``bl.fit`` set by the :data:`SAMPLING` options."""
    return {"sampler": args.sampler, "draws": args.draws, "tune": args.tune,
            "chains": args.chains, "random_seed": args.seed if seed is None else seed,
            "target_accept": args.target_accept, "adaptation": args.adaptation,
            "progressbar": not args.quiet, "strict": args.strict}


def _print(frame: pd.DataFrame, csv: str | None = None, **to_csv) -> None:
    """Print ``frame``; also write it to ``csv`` when given."""
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(frame.to_string(float_format=lambda v: f"{v:.4g}"))
    if csv:
        frame.to_csv(csv, **to_csv)


def _print_summary(result, prob: float = 0.9) -> None:
    print(f"{result.law.name}: {result.law.formula}   ({result.observations.n} runs, "
          f"likelihood {result.spec.likelihood.name}, sampler {result.config['sampler']})")
    _print(result.summary(prob=prob))
    diag = result.diagnostics()
    print(f"divergences: {diag.divergences}   max R-hat: {diag.max_rhat:.3f}   "
          f"min bulk ESS: {diag.min_ess_bulk:.0f}")
    for problem in diag.problems:
        print(f"warning: {problem}")


# -- laws, fit, summary, predict, demo -------------------------------------------------------
@command("laws", "list the law catalogue", arg("--name", help="show one law in full"))
def _run_laws(args):
    if args.name:
        law = get_law(args.name)
        print(f"{law.name}: {law.formula}\ninputs: {', '.join(law.inputs)}\nreference: "
              f"{law.reference}")
        for par in law.parameters:
            print(f"  {par.name:10s} {par.support:9s} {par.description}")
    else:
        _print(laws().set_index("name"))


@command("fit", "fit a law to a CSV table and save the fit", TABLE,
         arg("--law", required=True, help="law name (see `bayeslaws laws`)"), X, Y, LIKELIHOOD,
         arg("--prior", action="append", metavar="NAME=Dist(args)",
             help="override a prior, e.g. --prior 'alpha=Normal(mu=0.3,sigma=0.05)'"),
         arg("--option", action="append", metavar="KEY=VALUE",
             help="law option, e.g. --option breaks=2"),
         arg("--out", required=True, help="netCDF file to write the fit to"),
         arg("--precision", choices=("float64", "float32"), default="float64",
             help="storage of draws and log-likelihood (float32 halves the file)"),
         *GROUPS, *SAMPLING)
def _run_fit(args):
    priors = dict(parse_prior(text) for text in args.prior or [])
    options = cli_args.options(args.option, "--option")
    x = cli_args.pairs(args.x, "--x") or None
    result = fit(args.law, pd.read_csv(args.csv), x=x, y=args.y, priors=priors,
                 likelihood=args.likelihood, law_options=options, group=args.group,
                 varying=args.varying, pooled=args.pooled, **_sampling(args))
    path = result.save(args.out, precision=args.precision)
    _print_summary(result)
    print(f"\nsaved to {path}")


@command("summary", "posterior table and diagnostics of a saved fit", FIT, PROB)
def _run_summary(args):
    _print_summary(load(args.fit), prob=args.prob)


@command("predict", "forecast with intervals from a saved fit", FIT,
         arg("--at", action="append", required=True, metavar="N=7e10,D=1.4e12",
             help="scale to forecast at (repeat for several)"), PROB, KIND, CSV,
         arg("--group", help="hierarchical fits: a fitted group's label, or 'new'"))
def _run_predict(args):
    result = load(args.fit)
    at = pd.DataFrame(cli_args.points(args.at, "--at"))
    group = {"group": args.group} if args.group is not None else {}
    if group and not result.is_grouped:
        raise OptionError(f"--group {args.group!r} needs a hierarchical fit (fit with "
                             "--group).")
    _print(result.predict(at, prob=args.prob, kind=args.kind, **group), args.csv, index=False)


@command("demo", "fit the built-in simulated Chinchilla data set",
         arg("--out", default="demo_output", help="folder for the plot and the fit"), *SAMPLING,
         seed=0)
def _run_demo(args):
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    data = demo_data()
    print("bayeslaws demo -- SIMULATED data: the Chinchilla law with the replication's published "
          "parameters")
    print("  (Besiroglu et al. 2024: " + ", ".join(f"{k}={v}" for k, v in
                                                  CHINCHILLA_REPLICATION.items())
          + f") on a Hoffmann-like grid of {len(data)} runs, 2% multiplicative noise.\n")
    result = fit("chinchilla", data, x={"N": "params", "D": "tokens"}, y="loss",
                 **_sampling(args))
    _print_summary(result)
    print("\nForecast for N = 7e10 parameters, D = 1.4e12 tokens (Chinchilla itself), 90% "
          "interval of a new run's loss:")
    _print(result.predict({"N": [7e10], "D": [1.4e12]}, prob=0.9))
    figure = result.plot(title="SIMULATED demo data: chinchilla fit, 50%/90% bands")
    figure.savefig(out / "demo_fit.png", dpi=120)
    path = result.save(out / "demo_fit.nc")
    print(f"\nplot: {out / 'demo_fit.png'}\nfit:  {path}")


# -- decisions: prob-below / target / optimal / report (bayeslaws.decisions, .report) --------
@command("prob-below", "probability that the loss at a scale is below a target", FIT,
         arg("--at", action="append", required=True, metavar="N=7e10,D=1.4e12",
             help="scale to evaluate at (repeat for several)"),
         arg("--target", type=float, required=True, help="loss (or accuracy) threshold"), KIND)
def _run_prob_below(args):
    at = pd.DataFrame(cli_args.points(args.at, "--at"))
    table = prob_below(load(args.fit), at, args.target, kind=args.kind)
    n = table.attrs["n_draws"]
    table["prob_below"] = [format_prob(p, n) for p in table["prob_below"]]
    _print(table)


@command("target", "posterior of the scale reaching a target loss", FIT,
         arg("--target", type=float, required=True, help="loss (or accuracy) to reach"),
         arg("--along", help="input to scale (default: the law's first input)"),
         arg("--fixed", action="append", metavar="D=1e12", help="values of the other inputs"),
         PROB, arg("--bounds", metavar="LOW,HIGH", help="search range of the scale"))
def _run_target(args):
    fixed = {k: v for row in cli_args.points(args.fixed or [], "--fixed") for k, v in row.items()}
    bounds = cli_args.numbers(args.bounds, "--bounds") if args.bounds else None
    result = scale_for(load(args.fit), args.target, along=args.along, fixed=fixed,
                       prob=args.prob, bounds=bounds)
    table = result.table
    table["p_never"] = format_prob(result.p_never, result.draws.size)
    _print(table)
    print(f"scale searched in [{result.bounds[0]:.3g}, {result.bounds[1]:.3g}]; 'inf' = the "
          "quantile lies among draws that never reach the target there.")


@command("optimal", "compute-optimal (or inference-aware) N and D",
         arg("fit", help="saved fit (.nc) of a law with inputs N and D"),
         arg("--C", help="training budgets in FLOPs, e.g. 1e21,1e23 (C = 6 N D)"), PROB,
         arg("--method", default="auto", choices=["auto", "closed", "numerical"]),
         arg("--target", type=float,
             help="inference-aware mode (Sardana et al. 2024): loss to reach ..."),
         arg("--inference-tokens", help="... and lifetime inference tokens, e.g. 0,1e12"), CSV)
def _run_optimal(args):
    result = load(args.fit)
    if args.target is not None or args.inference_tokens is not None:
        if args.target is None or args.inference_tokens is None:
            raise OptionError("Inference-aware allocation needs both --target and "
                                 "--inference-tokens (e.g. --target 2.0 --inference-tokens 1e12).")
        answer = inference_optimal(result, args.target,
                                   cli_args.numbers(args.inference_tokens, "--inference-tokens"),
                                   prob=args.prob)
        print(f"Cheapest N, D reaching loss {args.target:g}, FLOPs = 6ND + 2N x inference "
              f"tokens (median, {int(args.prob * 100)}% interval):")
    else:
        if args.C is None:
            raise OptionError("Give --C budgets (e.g. --C 1e21,1e23) or --target with "
                                 "--inference-tokens.")
        answer = compute_optimal(result, cli_args.numbers(args.C, "--C"), prob=args.prob,
                                 method=args.method)
        print(f"Compute-optimal allocation, C = 6 N D, method {answer.method} (median, "
              f"{int(args.prob * 100)}% interval):")
    _print(answer.table.T)
    if hasattr(answer, "exponents"):
        print("\nexponents N_opt ~ C^a, D_opt ~ C^b:")
        _print(answer.exponents)
    for note in answer.notes:
        print(f"note: {note}")
    if args.csv:
        answer.table.to_csv(args.csv, index=False)


@command("report", "Markdown + HTML report with plots of a saved fit", FIT,
         arg("--out", required=True, help="folder for report.md, report.html, PNGs"), PROB,
         arg("--budgets", help="budgets for the compute-optimal table, e.g. 1e21,1e23"))
def _run_report(args):
    budgets = cli_args.numbers(args.budgets, "--budgets") if args.budgets else None
    path = write_report(load(args.fit), args.out, prob=args.prob, budgets=budgets)
    print(f"report: {path}\nhtml:   {path.with_suffix('.html')}")


# -- next-run (bayeslaws.design) -------------------------------------------------------------
@command("next-run", "rank candidate runs by the expected reduction of a forecast's "
         "uncertainty per cost", FIT,
         arg("--candidates", required=True, help="CSV of candidate runs (a column per input)"),
         arg("--target", required=True, metavar="N=7e10,D=1.4e12", help="scale to forecast"),
         arg("--cost", help="column of the candidates with each run's cost (default 6*N*D)"),
         arg("--k", type=int, default=1, help="size of the greedy batch (default 1)"),
         arg("--criterion", default="variance", choices=["variance", "width"]), PROB,
         arg("--plot", help="also save the plot to this PNG file"), CSV)
def _run_next_run(args):
    (target,) = cli_args.points([args.target], "--target")
    candidates = pd.read_csv(args.candidates)
    table = next_run(load(args.fit), candidates, target, cost=args.cost, k=args.k,
                     criterion=args.criterion, prob=args.prob)
    _print(table, args.csv, index=False)
    labels = ", ".join(str(i) for i in table.attrs["batch"])
    print(f"batch (candidate rows, in order): {labels}")
    if args.plot:
        plot_next_run(table).figure.savefig(args.plot, dpi=120)
        print(f"plot: {args.plot}")


# -- compare / backtest (bayeslaws.compare, bayeslaws.backtest) -----------------------------
@command("compare", "rank saved fits of one data set by PSIS-LOO, with stacking weights",
         arg("fits", nargs="+", metavar="[NAME=]FIT.nc",
             help="saved fits of the same data (named by file stem unless NAME= given)"),
         arg("--reloo", action="store_true",
             help="refit exactly for runs with Pareto k > 0.7 (one refit per run)"),
         arg("--method", default="stacking", help="stacking, BB-pseudo-BMA or pseudo-BMA"), CSV)
def _run_compare(args):
    table = compare_files(args.fits, reloo=args.reloo, method=args.method)
    _print(table, args.csv, index_label="law")


@command("backtest", "fit laws on small runs, score forecasts of the largest", TABLE,
         arg("--law", action="append", required=True, metavar="[NAME=]LAW[:KEY=VALUE]",
             help="law to backtest (repeat), e.g. --law bnsl2=bnsl:breaks=2"), X, Y,
         arg("--holdout", default="0.2",
             help="fraction of largest-scale runs held out (default 0.2; within each group "
                  "with --group), or a column of 0/1 flags (1 = held out)"), LIKELIHOOD,
         arg("--no-stacked", action="store_true", help="no stacked-average row"),
         arg("--out", help="also write the table to this CSV file"), *GROUPS, *SAMPLING)
def _run_backtest(args):
    table = backtest(parse_law_specs(args.law), pd.read_csv(args.csv),
                     x=cli_args.pairs(args.x, "--x") or None, y=args.y,
                     holdout=cli_args.holdout(args.holdout), stacked=not args.no_stacked,
                     likelihood=args.likelihood, group=args.group, varying=args.varying,
                     pooled=args.pooled, **_sampling(args, seed=args.seed or 0))
    _print(table, args.out, index_label="law")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bayeslaws", description="Bayesian scaling laws.")
    subs = parser.add_subparsers(dest="command", required=True)
    for name, (help_text, arguments, defaults, run) in COMMANDS.items():
        sub = subs.add_parser(name, help=help_text, description=help_text)
        for flags, options in arguments:
            sub.add_argument(*flags, **options)
        sub.set_defaults(run=run, **defaults)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            args.run(args)
    except (BayesLawsError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
