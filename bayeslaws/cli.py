"""Command line: ``bayeslaws laws | fit | predict | summary | demo``.

Each subcommand is a pair of functions, ``_args_<name>(parser)`` and ``_run_<name>(args)``,
registered in :data:`COMMANDS`; the options' strings are parsed by :mod:`bayeslaws.cli_args`.
Errors from bayeslaws are printed as one clear line (exit 2).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import pandas as pd

from bayeslaws import cli_args
from bayeslaws.cli_args import parse_law_specs, parse_prior
from bayeslaws.exceptions import BayesLawsError


def _print(frame: pd.DataFrame) -> None:
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(frame.to_string(float_format=lambda v: f"{v:.4g}"))


# -- laws -----------------------------------------------------------------------------------
def _args_laws(p):
    p.add_argument("--name", help="show one law in full")


def _run_laws(args):
    from bayeslaws.catalogue import get_law, laws

    if args.name:
        law = get_law(args.name)
        print(f"{law.name}: {law.formula}\ninputs: {', '.join(law.inputs)}\nreference: "
              f"{law.reference}")
        for par in law.parameters:
            print(f"  {par.name:10s} {par.support:9s} {par.description}")
        return
    _print(laws().set_index("name"))


# -- fit ------------------------------------------------------------------------------------
def _common_sampling(p):
    p.add_argument("--sampler", default="nutpie", help="nutpie (default), pymc or numpyro")
    p.add_argument("--draws", type=int, default=1000)
    p.add_argument("--tune", type=int, default=1000)
    p.add_argument("--chains", type=int, default=4)
    p.add_argument("--seed", type=int, default=None, help="random seed (stored in the fit)")
    p.add_argument("--target-accept", type=float, default=None,
                   help="NUTS target acceptance (default: the law's, else 0.9 with nutpie)")
    p.add_argument("--adaptation", choices=("low_rank", "diag", "draw_diag"), default=None,
                   help="nutpie's mass-matrix adaptation (default low_rank)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--strict", action="store_true", help="sampler problems are errors")


def _sampling(args, seed: int | None = None) -> dict:
    """The keyword arguments of ``bl.fit`` set by :func:`_common_sampling`'s options."""
    return {"sampler": args.sampler, "draws": args.draws, "tune": args.tune,
            "chains": args.chains, "random_seed": args.seed if seed is None else seed,
            "target_accept": args.target_accept, "adaptation": args.adaptation,
            "progressbar": not args.quiet, "strict": args.strict}


def _args_fit(p):
    p.add_argument("csv", help="table with one row per training run")
    p.add_argument("--law", required=True, help="law name (see `bayeslaws laws`)")
    p.add_argument("--x", action="append", metavar="INPUT=COLUMN",
                   help="map a law input to a column, e.g. --x N=params (repeat per input)")
    p.add_argument("--y", required=True, help="column of the measured loss")
    p.add_argument("--likelihood", default="lognormal")
    p.add_argument("--prior", action="append", metavar="NAME=Dist(args)",
                   help="override a prior, e.g. --prior 'alpha=Normal(mu=0.3,sigma=0.05)'")
    p.add_argument("--option", action="append", metavar="KEY=VALUE",
                   help="law option, e.g. --option breaks=2")
    p.add_argument("--out", required=True, help="netCDF file to write the fit to")
    p.add_argument("--precision", choices=("float64", "float32"), default="float64",
                   help="storage of draws and log-likelihood (float32 halves the file)")
    _group_options(p)
    _common_sampling(p)


def _group_options(p) -> None:
    p.add_argument("--group", help="column of group labels: hierarchical fit over groups")
    p.add_argument("--varying", nargs="+", help="with --group: parameters varying by group")
    p.add_argument("--pooled", nargs="+", help="with --group: parameters shared by all groups")


def _run_fit(args):
    from bayeslaws.fitting import fit

    priors = dict(parse_prior(text) for text in args.prior or [])
    options = cli_args.options(args.option, "--option")
    x = cli_args.pairs(args.x, "--x") or None
    data = pd.read_csv(args.csv)
    result = fit(args.law, data, x=x, y=args.y, priors=priors,
                 likelihood=args.likelihood, law_options=options, group=args.group,
                 varying=args.varying, pooled=args.pooled, **_sampling(args))
    path = result.save(args.out, precision=args.precision)
    _print_summary(result)
    print(f"\nsaved to {path}")


# -- summary / predict ----------------------------------------------------------------------
def _print_summary(result, prob: float = 0.9) -> None:
    table = result.summary(prob=prob)
    print(f"{result.law.name}: {result.law.formula}   ({result.observations.n} runs, "
          f"likelihood {result.spec.likelihood.name}, sampler {result.config['sampler']})")
    _print(table)
    diag = result.diagnostics()
    print(f"divergences: {diag.divergences}   max R-hat: {diag.max_rhat:.3f}   "
          f"min bulk ESS: {diag.min_ess_bulk:.0f}")
    for problem in diag.problems:
        print(f"warning: {problem}")


def _args_summary(p):
    p.add_argument("fit", help="saved fit (.nc)")
    p.add_argument("--prob", type=float, default=0.9)


def _run_summary(args):
    from bayeslaws.result import load

    _print_summary(load(args.fit), prob=args.prob)


def _args_predict(p):
    p.add_argument("fit", help="saved fit (.nc)")
    p.add_argument("--at", action="append", required=True, metavar="N=7e10,D=1.4e12",
                   help="scale to forecast at (repeat for several)")
    p.add_argument("--prob", type=float, default=0.9)
    p.add_argument("--kind", default="predictive", choices=["predictive", "mean"])
    p.add_argument("--csv", help="also write the table to this CSV file")
    p.add_argument("--group", help="hierarchical fits: a fitted group's label, or 'new'")


def _run_predict(args):
    from bayeslaws.result import load

    result = load(args.fit)
    at = pd.DataFrame(cli_args.points(args.at, "--at"))
    group = getattr(args, "group", None)
    if group is not None and not result.is_grouped:
        raise BayesLawsError(f"--group {group!r} needs a hierarchical fit (fit with --group).")
    table = result.predict(at, prob=args.prob, kind=args.kind,
                           **({"group": group} if group is not None else {}))
    _print(table)
    if args.csv:
        table.to_csv(args.csv, index=False)


# -- demo -----------------------------------------------------------------------------------
def _args_demo(p):
    p.add_argument("--out", default="demo_output", help="folder for the plot and the fit")
    _common_sampling(p)
    p.set_defaults(seed=0)


def _run_demo(args):
    from bayeslaws.fitting import fit
    from bayeslaws.simulate import CHINCHILLA_REPLICATION, demo_data

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
def _args_prob_below(p):
    p.add_argument("fit", help="saved fit (.nc)")
    p.add_argument("--at", action="append", required=True, metavar="N=7e10,D=1.4e12",
                   help="scale to evaluate at (repeat for several)")
    p.add_argument("--target", type=float, required=True, help="loss (or accuracy) threshold")
    p.add_argument("--kind", default="predictive", choices=["predictive", "mean"])


def _run_prob_below(args):
    from bayeslaws.decisions import format_prob, prob_below
    from bayeslaws.result import load

    at = pd.DataFrame(cli_args.points(args.at, "--at"))
    table = prob_below(load(args.fit), at, args.target, kind=args.kind)
    n = table.attrs["n_draws"]
    table["prob_below"] = [format_prob(p, n) for p in table["prob_below"]]
    _print(table)


def _args_target(p):
    p.add_argument("fit", help="saved fit (.nc)")
    p.add_argument("--target", type=float, required=True, help="loss (or accuracy) to reach")
    p.add_argument("--along", help="input to scale (default: the law's first input)")
    p.add_argument("--fixed", action="append", metavar="D=1e12",
                   help="values of the other inputs")
    p.add_argument("--prob", type=float, default=0.9)
    p.add_argument("--bounds", metavar="LOW,HIGH", help="search range of the scale")


def _run_target(args):
    from bayeslaws.decisions import format_prob, scale_for
    from bayeslaws.result import load

    fixed = {k: v for row in cli_args.points(args.fixed or [], "--fixed") for k, v in row.items()}
    bounds = cli_args.numbers(args.bounds, "--bounds") if args.bounds else None
    result = scale_for(load(args.fit), args.target, along=args.along, fixed=fixed,
                       prob=args.prob, bounds=bounds)
    table = result.table
    table["p_never"] = format_prob(result.p_never, result.draws.size)
    _print(table)
    print(f"scale searched in [{result.bounds[0]:.3g}, {result.bounds[1]:.3g}]; 'inf' = the "
          "quantile lies among draws that never reach the target there.")


def _args_optimal(p):
    p.add_argument("fit", help="saved fit (.nc) of a law with inputs N and D")
    p.add_argument("--C", help="training budgets in FLOPs, e.g. 1e21,1e23 (C = 6 N D)")
    p.add_argument("--prob", type=float, default=0.9)
    p.add_argument("--method", default="auto", choices=["auto", "closed", "numerical"])
    p.add_argument("--target", type=float,
                   help="inference-aware mode (Sardana et al. 2024): loss to reach ...")
    p.add_argument("--inference-tokens", help="... and lifetime inference tokens, e.g. 0,1e12")
    p.add_argument("--csv", help="also write the table to this CSV file")


def _run_optimal(args):
    from bayeslaws.optimal import compute_optimal, inference_optimal
    from bayeslaws.result import load

    result = load(args.fit)
    if args.target is not None or args.inference_tokens is not None:
        if args.target is None or args.inference_tokens is None:
            raise BayesLawsError("Inference-aware allocation needs both --target and "
                                 "--inference-tokens (e.g. --target 2.0 --inference-tokens 1e12).")
        answer = inference_optimal(result, args.target,
                                   cli_args.numbers(args.inference_tokens, "--inference-tokens"),
                                   prob=args.prob)
        table = answer.table
        print(f"Cheapest N, D reaching loss {args.target:g}, FLOPs = 6ND + 2N x inference "
              f"tokens (median, {int(args.prob * 100)}% interval):")
    else:
        if args.C is None:
            raise BayesLawsError("Give --C budgets (e.g. --C 1e21,1e23) or --target with "
                                 "--inference-tokens.")
        answer = compute_optimal(result, cli_args.numbers(args.C, "--C"), prob=args.prob,
                                 method=args.method)
        table = answer.table
        print(f"Compute-optimal allocation, C = 6 N D, method {answer.method} (median, "
              f"{int(args.prob * 100)}% interval):")
    _print(table.T)
    if hasattr(answer, "exponents"):
        print("\nexponents N_opt ~ C^a, D_opt ~ C^b:")
        _print(answer.exponents)
    for note in answer.notes:
        print(f"note: {note}")
    if args.csv:
        table.to_csv(args.csv, index=False)


def _args_report(p):
    p.add_argument("fit", help="saved fit (.nc)")
    p.add_argument("--out", required=True, help="folder for report.md, report.html, PNGs")
    p.add_argument("--prob", type=float, default=0.9)
    p.add_argument("--budgets", help="budgets for the compute-optimal table, e.g. 1e21,1e23")


def _run_report(args):
    from bayeslaws.report import write_report
    from bayeslaws.result import load

    budgets = cli_args.numbers(args.budgets, "--budgets") if args.budgets else None
    path = write_report(load(args.fit), args.out, prob=args.prob, budgets=budgets)
    print(f"report: {path}\nhtml:   {path.with_suffix('.html')}")


# -- compare / backtest (bayeslaws.compare, bayeslaws.backtest) -----------------------------
def _args_compare(p):
    p.add_argument("fits", nargs="+", metavar="[NAME=]FIT.nc",
                   help="saved fits of the same data (named by file stem unless NAME= given)")
    p.add_argument("--reloo", action="store_true",
                   help="refit exactly for runs with Pareto k > 0.7 (one refit per run)")
    p.add_argument("--method", default="stacking", help="stacking, BB-pseudo-BMA or pseudo-BMA")
    p.add_argument("--csv", help="also write the table to this CSV file")


def _run_compare(args):
    from bayeslaws.compare import compare_files

    table = compare_files(args.fits, reloo=args.reloo, method=args.method)
    _print(table)
    if args.csv:
        table.to_csv(args.csv, index_label="law")


def _args_backtest(p):
    p.add_argument("csv", help="table with one row per training run")
    p.add_argument("--law", action="append", required=True, metavar="[NAME=]LAW[:KEY=VALUE]",
                   help="law to backtest (repeat), e.g. --law bnsl2=bnsl:breaks=2")
    p.add_argument("--x", action="append", metavar="INPUT=COLUMN",
                   help="map a law input to a column, e.g. --x N=params (repeat per input)")
    p.add_argument("--y", required=True, help="column of the measured loss")
    p.add_argument("--holdout", default="0.2",
                   help="fraction of largest-scale runs held out (default 0.2; within each group "
                        "with --group), or a column of 0/1 flags (1 = held out)")
    p.add_argument("--likelihood", default="lognormal")
    p.add_argument("--no-stacked", action="store_true", help="no stacked-average row")
    p.add_argument("--out", help="also write the table to this CSV file")
    _group_options(p)
    _common_sampling(p)


def _run_backtest(args):
    from bayeslaws.backtest import backtest

    laws = parse_law_specs(args.law)
    x = cli_args.pairs(args.x, "--x") or None
    data = pd.read_csv(args.csv)
    table = backtest(laws, data, x=x, y=args.y,
                     holdout=cli_args.holdout(args.holdout),
                     stacked=not args.no_stacked, likelihood=args.likelihood,
                     group=args.group, varying=args.varying, pooled=args.pooled,
                     **_sampling(args, seed=args.seed or 0))
    _print(table)
    if args.out:
        table.to_csv(args.out, index_label="law")


COMMANDS = {
    "laws": ("list the law catalogue", _args_laws, _run_laws),
    "fit": ("fit a law to a CSV table and save the fit", _args_fit, _run_fit),
    "summary": ("posterior table and diagnostics of a saved fit", _args_summary, _run_summary),
    "predict": ("forecast with intervals from a saved fit", _args_predict, _run_predict),
    "demo": ("fit the built-in simulated Chinchilla data set", _args_demo, _run_demo),
    "prob-below": ("probability that the loss at a scale is below a target", _args_prob_below,
                   _run_prob_below),
    "target": ("posterior of the scale reaching a target loss", _args_target, _run_target),
    "optimal": ("compute-optimal (or inference-aware) N and D", _args_optimal, _run_optimal),
    "report": ("Markdown + HTML report with plots of a saved fit", _args_report, _run_report),
    "compare": ("rank saved fits of one data set by PSIS-LOO, with stacking weights",
                _args_compare, _run_compare),
    "backtest": ("fit laws on small runs, score forecasts of the largest", _args_backtest,
                 _run_backtest),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bayeslaws", description="Bayesian scaling laws.")
    subs = parser.add_subparsers(dest="command", required=True)
    for name, (help_text, add_args, run) in COMMANDS.items():
        sub = subs.add_parser(name, help=help_text, description=help_text)
        add_args(sub)
        sub.set_defaults(run=run)
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
