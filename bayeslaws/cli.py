"""Command line: ``bayeslaws laws | fit | predict | summary | demo``.

Each subcommand is a pair of functions, ``_args_<name>(parser)`` and ``_run_<name>(args)``,
registered in :data:`COMMANDS`. Errors from bayeslaws are printed as one clear line (exit 2).
"""

from __future__ import annotations

import argparse
import re
import sys
import warnings
from pathlib import Path

import pandas as pd

from bayeslaws.exceptions import BayesLawsError

_PRIOR = re.compile(r"^\s*(\w+)\s*=\s*(\w+)\s*\((.*)\)\s*$")


def _pairs(items, what: str) -> dict[str, str]:
    out = {}
    for item in items or []:
        for part in item.split(","):
            if "=" not in part:
                raise BayesLawsError(f"{what} {part!r} must look like NAME=VALUE.")
            key, value = part.split("=", 1)
            out[key.strip()] = value.strip()
    return out


def _number(text: str):
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if value.is_integer() and "." not in text and "e" not in text else value


def parse_prior(text: str):
    """``alpha=Normal(mu=0.3, sigma=0.05)`` -> ``("alpha", Prior(...))``."""
    from bayeslaws.priors import Prior

    match = _PRIOR.match(text)
    if not match:
        raise BayesLawsError(
            f"--prior {text!r} must look like NAME=Distribution(arg=value, ...), e.g. "
            "alpha=Normal(mu=0.3,sigma=0.05)."
        )
    name, dist, args = match.groups()
    return name, Prior(dist, **{k: float(v) for k, v in _pairs([args], "prior argument").items()})


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
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--strict", action="store_true", help="sampler problems are errors")


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
    _common_sampling(p)


def _run_fit(args):
    from bayeslaws.fitting import fit

    data = pd.read_csv(args.csv)
    priors = dict(parse_prior(text) for text in args.prior or [])
    options = {k: _number(v) for k, v in _pairs(args.option, "--option").items()}
    result = fit(args.law, data, x=_pairs(args.x, "--x") or None, y=args.y, priors=priors,
                 likelihood=args.likelihood, sampler=args.sampler, draws=args.draws,
                 tune=args.tune, chains=args.chains, random_seed=args.seed,
                 progressbar=not args.quiet, strict=args.strict, law_options=options)
    path = result.save(args.out)
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
    from bayeslaws.io import load

    _print_summary(load(args.fit), prob=args.prob)


def _args_predict(p):
    p.add_argument("fit", help="saved fit (.nc)")
    p.add_argument("--at", action="append", required=True, metavar="N=7e10,D=1.4e12",
                   help="scale to forecast at (repeat for several)")
    p.add_argument("--prob", type=float, default=0.9)
    p.add_argument("--kind", default="predictive", choices=["predictive", "mean"])
    p.add_argument("--csv", help="also write the table to this CSV file")


def _run_predict(args):
    from bayeslaws.io import load

    result = load(args.fit)
    points = [_pairs([item], "--at") for item in args.at]
    at = pd.DataFrame([{k: float(v) for k, v in point.items()} for point in points])
    table = result.predict(at, prob=args.prob, kind=args.kind)
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
                 sampler=args.sampler, draws=args.draws, tune=args.tune, chains=args.chains,
                 random_seed=args.seed, progressbar=not args.quiet, strict=args.strict)
    _print_summary(result)
    print("\nForecast for N = 7e10 parameters, D = 1.4e12 tokens (Chinchilla itself), 90% "
          "interval of a new run's loss:")
    _print(result.predict({"N": [7e10], "D": [1.4e12]}, prob=0.9))
    figure = result.plot(title="SIMULATED demo data: chinchilla fit, 50%/90% bands")
    figure.savefig(out / "demo_fit.png", dpi=120)
    path = result.save(out / "demo_fit.nc")
    print(f"\nplot: {out / 'demo_fit.png'}\nfit:  {path}")


COMMANDS = {
    "laws": ("list the law catalogue", _args_laws, _run_laws),
    "fit": ("fit a law to a CSV table and save the fit", _args_fit, _run_fit),
    "summary": ("posterior table and diagnostics of a saved fit", _args_summary, _run_summary),
    "predict": ("forecast with intervals from a saved fit", _args_predict, _run_predict),
    "demo": ("fit the built-in simulated Chinchilla data set", _args_demo, _run_demo),
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
