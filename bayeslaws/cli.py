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
from typing import TYPE_CHECKING

from bayeslaws import cli_args
from bayeslaws.cli_args import parse_law_specs, parse_prior
from bayeslaws.exceptions import BayesLawsError, DataError, OptionError

if TYPE_CHECKING:
    import pandas as pd

# The library (PyMC, ArviZ, matplotlib, pandas) is imported inside each command, where it is
# needed: ``bayeslaws --help`` and options refused while parsing answer at once.

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
SEP = arg("--sep", default=",", help="column separator of the table (default ',')")
X = arg("--x", action="append", metavar="INPUT=COLUMN",
        help="map a law input to a column, e.g. --x N=params (repeat per input)")
Y = arg("--y", required=True, help="column of the measured loss")
LIKELIHOOD = arg("--likelihood", default=None,
                 help="noise model (default: studentt for losses, betabinomial/beta for "
                 "fractions; see bl.fit)")
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
    arg("--init", choices=("optimised", "jitter"), default=None,
        help="where chains start (default jitter; see bl.fit)"),
    arg("--stuck-chains", choices=("drop", "keep"), default="keep",
        help="drop: chains stuck in a worse mode that stacking gives no weight (default keep)"),
    arg("--retry", type=int, default=0,
        help="refits, as the warnings advise (more draws, safer NUTS), when the sampler "
             "reports trouble (default 0; on the reliability benchmark 2 raised the real "
             "fits that converge from 50%% to 71%%)"),
    arg("--quiet", action="store_true", help="no progress bars"),
    arg("--strict", action="store_true", help="sampler problems are errors"),
)

#: Warning texts already printed in this run (each is printed once, as one ``warning:`` line).
_SHOWN: set[str] = set()


def _warn_line(text: str) -> None:
    """Print ``warning: text`` to stderr, once per distinct text."""
    if text not in _SHOWN:
        _SHOWN.add(text)
        print(f"warning: {text}", file=sys.stderr)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """``warnings.showwarning`` of the command line: one line, no Python source line."""
    _warn_line(str(message))


def _sampling(args, seed: int | None = None) -> dict:
    """The keyword arguments of ``bl.fit`` set by the :data:`SAMPLING` options."""
    return {"sampler": args.sampler, "draws": args.draws, "tune": args.tune,
            "chains": args.chains, "random_seed": args.seed if seed is None else seed,
            "target_accept": args.target_accept, "adaptation": args.adaptation,
            "init": args.init, "retry": args.retry, "stuck_chains": args.stuck_chains,
            "progressbar": not args.quiet,
            "strict": args.strict}


def _print(frame: pd.DataFrame, csv: str | None = None, **to_csv) -> None:
    """Print ``frame`` whole (no column or row cut); also write it to ``csv`` when given."""
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
    for problem in [*diag.notes, *diag.problems]:
        _warn_line(problem)


def _check_law(name: str) -> None:
    """Refuse an unknown law name before the table is read (with a "did you mean")."""
    from bayeslaws.catalogue import law_names
    from bayeslaws.checks import did_you_mean
    from bayeslaws.exceptions import LawError

    names = law_names()
    if name not in names:
        raise LawError(f"--law {name!r} is not a known law.{did_you_mean(name, names)} See "
                       "`bayeslaws laws` for the catalogue.")


def _table_header(path: str, sep: str = ",") -> list[str]:
    """The column names of the CSV table at ``path``, read with the standard library (before
    pandas is imported): a missing or empty file, a header without rows, or a table that looks
    separated by another character than ``sep`` is a :class:`DataError` saying so."""
    import csv

    if not Path(path).is_file():
        raise DataError(f"Table {path!r} not found: give the path of a CSV file with one row "
                        "per training run.")
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            lines = [line for line in (handle.readline(), handle.readline()) if line.strip()]
    except UnicodeDecodeError:
        raise DataError(f"Table {path!r} is not a text (UTF-8) CSV file.") from None
    if not lines:
        raise DataError(f"Table {path!r} is empty: it needs a header line of column names and "
                        "one row per training run.")
    header = next(csv.reader([lines[0]], delimiter=sep)) if len(sep) == 1 else [lines[0]]
    if len(header) == 1:
        other = next((c for c in (";", "\t", "|", ",") if c != sep and c in header[0]), None)
        if other is not None:
            raise DataError(
                f"Table {path!r} has a single column {header[0].strip()!r}: it looks separated "
                f"by {other!r}, not {sep!r}. Pass --sep {other!r} (or save it with commas).")
    if len(lines) < 2:
        raise DataError(f"Table {path!r} has a header but no rows: give one row per training "
                        "run.")
    return [name.strip() for name in header]


def _check_columns(columns: list[str], path: str, named: dict[str, str | None]) -> None:
    """Refuse options naming columns the table lacks (``{option: column}``), with the closest
    column names."""
    from bayeslaws.checks import did_you_mean
    from bayeslaws.exceptions import choices

    for option, column in named.items():
        if column is not None and column not in columns:
            raise DataError(f"{option} {column!r}: table {path!r} has no such column."
                            f"{did_you_mean(column, columns)} Columns: {choices(columns)}.")


def _check_table(args, x: dict[str, str] | None) -> None:
    """Check ``args.csv`` and the columns its options name (no pandas needed)."""
    columns = _table_header(args.csv, args.sep)
    named = {f"--x {k}=": v for k, v in (x or {}).items()}
    _check_columns(columns, args.csv, {**named, "--y": args.y, "--group": args.group})


def _read_table(args) -> pd.DataFrame:
    """The table of ``args.csv`` (checked by :func:`_check_table` first)."""
    import pandas as pd

    try:
        return pd.read_csv(args.csv, sep=args.sep)
    except (pd.errors.ParserError, ValueError) as err:
        raise DataError(f"Table {args.csv!r} cannot be read as CSV (separator {args.sep!r}): "
                        f"{str(err).strip()}.") from None


# -- laws, fit, summary, predict, demo -------------------------------------------------------
@command("laws", "list the law catalogue", arg("--name", help="show one law in full"))
def _run_laws(args):
    from bayeslaws.catalogue import get_law, laws

    if args.name:
        _check_law(args.name)
        law = get_law(args.name)
        print(f"{law.name}: {law.formula}\ninputs: {', '.join(law.inputs)}\nreference: "
              f"{law.reference}")
        for par in law.parameters:
            print(f"  {par.name:10s} {par.support:9s} {par.description}")
    else:
        _print(laws())


@command("fit", "fit a law to a CSV table and save the fit", TABLE,
         arg("--law", required=True, help="law name (see `bayeslaws laws`)"), X, Y, LIKELIHOOD,
         arg("--prior", action="append", metavar="NAME=Dist(args)",
             help="override a prior, e.g. --prior 'alpha=Normal(mu=0.3,sigma=0.05)'"),
         arg("--informed", action="store_true",
             help="priors learned from published studies (bl.fit(priors='informed'))"),
         arg("--option", action="append", metavar="KEY=VALUE",
             help="law option, e.g. --option breaks=2"),
         arg("--out", required=True, help="netCDF file to write the fit to"),
         arg("--precision", choices=("float64", "float32"), default="float64",
             help="storage of draws and log-likelihood (float32 halves the file)"),
         arg("--no-predictive", action="store_true",
             help="save without the posterior/prior predictive and prior draws (smaller)"),
         SEP, *GROUPS, *SAMPLING)
def _run_fit(args):
    priors = dict(parse_prior(text) for text in args.prior or [])
    if args.informed:
        if priors:
            raise OptionError("--informed replaces every default prior it covers; give it "
                              "or --prior, not both.")
        priors = "informed"
    options = cli_args.options(args.option, "--option")
    x = cli_args.pairs(args.x, "--x") or None
    _check_table(args, x)
    _check_law(args.law)
    table = _read_table(args)
    from bayeslaws.fitting import fit

    result = fit(args.law, table, x=x, y=args.y, priors=priors,
                 likelihood=args.likelihood, law_options=options, group=args.group,
                 varying=args.varying, pooled=args.pooled,
                 predictive=not args.no_predictive, **_sampling(args))
    path = result.save(args.out, precision=args.precision, predictive=not args.no_predictive)
    _print_summary(result)
    print(f"\nsaved to {path}")


def _load(path: str):
    from bayeslaws.result import load

    return load(path)


@command("summary", "posterior table and diagnostics of a saved fit", FIT, PROB)
def _run_summary(args):
    _print_summary(_load(args.fit), prob=args.prob)


def _points(result, items: list[str], what: str = "--at") -> pd.DataFrame:
    """The ``--at`` points as a table, refused (in the command line's own syntax) when an input
    of the fitted law is missing. The fitted data's column names are accepted too."""
    import pandas as pd

    at = pd.DataFrame(cli_args.points(items, what))
    column_input = {col: name for name, col in result.settings.columns.items()}
    known = set(at.columns) | {column_input.get(c) for c in at.columns}
    missing = [name for name in result.law.inputs if name not in known]
    if missing:
        example = ",".join(f"{name}=..." for name in result.law.inputs)
        raise DataError(f"{what} gives no value for input(s) {missing} of law "
                        f"{result.law.name!r}; give every input, e.g. {what} {example}.")
    return at


@command("predict", "forecast with intervals from a saved fit", FIT,
         arg("--at", action="append", required=True, metavar="N=7e10,D=1.4e12",
             help="scale to forecast at (repeat for several)"), PROB, KIND, CSV,
         arg("--group", help="hierarchical fits: a fitted group's label, or 'new'"))
def _run_predict(args):
    from bayeslaws.checks import check_prob

    prob = check_prob(args.prob)
    result = _load(args.fit)
    at = _points(result, args.at)
    group = {"group": args.group} if args.group is not None else {}
    if group and not result.is_grouped:
        raise OptionError(f"--group {args.group!r} needs a hierarchical fit (fit with "
                          "--group).")
    table = result.predict(at, prob=prob, kind=args.kind, **group)
    level = f"{round(prob * 100, 2):g}"
    _print(table.rename(columns={"lower": f"lower_{level}", "upper": f"upper_{level}"}),
           args.csv, index=False)


@command("demo", "fit the built-in simulated Chinchilla data set",
         arg("--out", default="demo_output", help="folder for the plot and the fit"), *SAMPLING,
         seed=0)
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
@command("prob-below", "probability that the loss at a scale is below a target", FIT,
         arg("--at", action="append", required=True, metavar="N=7e10,D=1.4e12",
             help="scale to evaluate at (repeat for several)"),
         arg("--target", type=float, required=True, help="loss (or accuracy) threshold"), KIND)
def _run_prob_below(args):
    from bayeslaws.decisions import format_prob, prob_below

    result = _load(args.fit)
    table = prob_below(result, _points(result, args.at), args.target, kind=args.kind)
    n = table.attrs["n_draws"]
    table["prob_below"] = [format_prob(p, n) for p in table["prob_below"]]
    _print(table)


@command("target", "posterior of the scale reaching a target loss", FIT,
         arg("--target", type=float, required=True, help="loss (or accuracy) to reach"),
         arg("--along", help="input to scale (default: the law's first input)"),
         arg("--fixed", action="append", metavar="D=1e12", help="values of the other inputs"),
         PROB, arg("--bounds", metavar="LOW,HIGH", help="search range of the scale"))
def _run_target(args):
    from bayeslaws.decisions import format_prob, scale_for

    fixed = {k: v for row in cli_args.points(args.fixed or [], "--fixed") for k, v in row.items()}
    bounds = cli_args.numbers(args.bounds, "--bounds") if args.bounds else None
    result = scale_for(_load(args.fit), args.target, along=args.along, fixed=fixed,
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
    from bayeslaws.optimal import compute_optimal, inference_optimal

    if args.target is not None or args.inference_tokens is not None:
        if args.target is None or args.inference_tokens is None:
            raise OptionError("Inference-aware allocation needs both --target and "
                              "--inference-tokens (e.g. --target 2.0 --inference-tokens 1e12).")
        tokens = cli_args.numbers(args.inference_tokens, "--inference-tokens")
        answer = inference_optimal(_load(args.fit), args.target, tokens, prob=args.prob)
        print(f"Cheapest N, D reaching loss {args.target:g}, FLOPs = 6ND + 2N x inference "
              f"tokens (median, {int(args.prob * 100)}% interval):")
    else:
        if args.C is None:
            raise OptionError("Give --C budgets (e.g. --C 1e21,1e23) or --target with "
                              "--inference-tokens.")
        budgets = cli_args.numbers(args.C, "--C")
        answer = compute_optimal(_load(args.fit), budgets, prob=args.prob, method=args.method)
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
    from bayeslaws.report import write_report

    budgets = cli_args.numbers(args.budgets, "--budgets") if args.budgets else None
    path = write_report(_load(args.fit), args.out, prob=args.prob, budgets=budgets)
    print(f"report: {path}\nhtml:   {path.with_suffix('.html')}")


# -- next-run (bayeslaws.design) -------------------------------------------------------------
@command("next-run", "rank candidate runs by the expected reduction of a forecast's "
         "uncertainty per cost", FIT,
         arg("--candidates", required=True, help="CSV of candidate runs (a column per input)"),
         arg("--target", required=True, metavar="N=7e10,D=1.4e12", help="scale to forecast"),
         arg("--cost", help="column of the candidates with each run's cost (default 6*N*D)"),
         arg("--k", type=int, default=1, help="size of the greedy batch (default 1)"),
         arg("--criterion", default="variance",
             choices=["variance", "width", "information"]), PROB,
         arg("--plot", help="also save the plot to this PNG file"), CSV)
def _run_next_run(args):
    import pandas as pd

    from bayeslaws.design import next_run, plot_next_run

    (target,) = cli_args.points([args.target], "--target")
    _table_header(args.candidates)
    candidates = pd.read_csv(args.candidates)
    table = next_run(_load(args.fit), candidates, target, cost=args.cost, k=args.k,
                     criterion=args.criterion, prob=args.prob)
    _print(table, args.csv, index=False)
    labels = ", ".join(str(i) for i in table.attrs["batch"])
    print(f"batch (candidate rows, in order): {labels}")
    if args.plot:
        plot_next_run(table).figure.savefig(args.plot, dpi=120)
        print(f"plot: {args.plot}")


# -- compare / backtest (bayeslaws.compare, bayeslaws.backtest) -----------------------------
CRITERION = arg("--criterion", choices=("auto", "loo", "lfo"), default="auto",
                help="rank and stack by PSIS-LOO, leave-future-out along the runs' scale "
                "(extrapolation), or auto (default): lfo when forecasting beyond the runs "
                "(always in a backtest; compare: with --extrapolate) and the runs allow it, "
                "else loo")


def _print_criterion(criterion: str | None, reason: str | None) -> None:
    if criterion:
        print(f"stacking weights: {criterion} ({reason})")


@command("compare", "rank saved fits of one data set by PSIS-LOO or leave-future-out, with "
         "stacking weights",
         arg("fits", nargs="+", metavar="[NAME=]FIT.nc",
             help="saved fits of the same data (named by file stem unless NAME= given)"),
         arg("--reloo", action="store_true",
             help="refit exactly for runs with Pareto k > 0.7 (one refit per run)"),
         arg("--method", default="stacking", help="stacking, BB-pseudo-BMA or pseudo-BMA"),
         CRITERION,
         arg("--extrapolate", action="store_true",
             help="the weights are for forecasts beyond the fitted runs: with --criterion "
             "auto, rank by leave-future-out where the runs allow it"), CSV)
def _run_compare(args):
    from bayeslaws.compare import CRITERION_ATTR, REASON_ATTR, compare_files

    table = compare_files(args.fits, reloo=args.reloo, method=args.method,
                          criterion=args.criterion, extrapolate=args.extrapolate)
    _print(table, args.csv, index_label="law")
    _print_criterion(table.attrs.get(CRITERION_ATTR), table.attrs.get(REASON_ATTR))


@command("backtest", "fit laws on small runs, score forecasts of the largest", TABLE,
         arg("--law", action="append", required=True, metavar="[NAME=]LAW[:KEY=VALUE]",
             help="law to backtest (repeat), e.g. --law bnsl2=bnsl:breaks=2"), X, Y,
         arg("--holdout", default="0.2",
             help="fraction of largest-scale runs held out (default 0.2; within each group "
                  "with --group), or a column of 0/1 flags (1 = held out)"), LIKELIHOOD,
         arg("--no-stacked", action="store_true", help="no stacked-average row"),
         CRITERION,
         arg("--discrepancy", action=argparse.BooleanOptionalAction, default="auto",
             help="widen forecasts beyond the data by a discrepancy learned by "
             "leave-future-out inside the fitted runs (bl.with_discrepancy); default: for "
             "every law on a log link whose runs allow it"),
         arg("--out", help="also write the table to this CSV file"), SEP, *GROUPS, *SAMPLING)
def _run_backtest(args):
    specs = parse_law_specs(args.law)
    x = cli_args.pairs(args.x, "--x") or None
    _check_table(args, x)
    for spec in specs.values():
        _check_law(spec["law"])
    table = _read_table(args)
    from bayeslaws.backtest import backtest

    result = backtest(specs, table, x=x, y=args.y, holdout=cli_args.holdout(args.holdout),
                      stacked=not args.no_stacked, likelihood=args.likelihood, group=args.group,
                      varying=args.varying, pooled=args.pooled, criterion=args.criterion,
                      discrepancy=args.discrepancy,
                      **_sampling(args, seed=args.seed or 0))
    _print(result, args.out, index_label="law")
    _print_criterion(result.attrs.get("criterion"), result.attrs.get("criterion_reason"))
    for law, used in result.attrs.get("discrepancy", {}).items():
        print(f"discrepancy, {law}: {used}")


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
    _SHOWN.clear()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = _show_warning
            args.run(args)
    except (BayesLawsError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
