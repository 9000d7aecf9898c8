"""The command line refuses mistakes with one ``error:`` line and exit code 2, before any
library import it does not need and before sampling: empty or semicolon-separated tables,
malformed priors, misspelled laws and columns ("did you mean"), missing prediction inputs (in
the command line's own syntax). Warnings are printed once, without Python source lines. A
hypothesis fuzz of the argument parsing checks that no input gives a traceback.
"""

from __future__ import annotations

import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bayeslaws import cli_args, fitting
from bayeslaws.checks import did_you_mean
from bayeslaws.cli import main
from bayeslaws.exceptions import BayesLawsError, DataError, SamplerWarning
from bayeslaws.simulate import CHINCHILLA_REPLICATION, chinchilla_grid, simulate
from tests.helpers import chinchilla_draws, fixed_draws_fit

RUNS = "params,tokens,loss\n" + "".join(
    f"{n:g},{20 * n:g},{1.7 + 400 * n ** -0.3:.4f}\n" for n in (1e7, 3e7, 1e8, 3e8, 1e9, 3e9))


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tables")
    contents = {"ok": RUNS, "empty": "", "header": "params,tokens,loss\n",
                "semicolon": RUNS.replace(",", ";"), "tab": RUNS.replace(",", "\t")}
    paths = {}
    for name, text in contents.items():
        paths[name] = folder / f"{name}.csv"
        paths[name].write_text(text)
    return paths


class Reached(Exception):
    """Raised in place of ``bl.fit``: the command got past every check of its input."""


def stop_fit(*args, **kwargs):
    raise Reached


@pytest.fixture
def no_fit(monkeypatch):
    monkeypatch.setattr(fitting, "fit", stop_fit)


def fit_argv(table, *extra, law="chinchilla", y="loss"):
    return ["fit", str(table), "--law", law, "--x", "N=params", "--x", "D=tokens", "--y", y,
            "--out", "never.nc", *extra]


def one_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


@pytest.mark.usefixtures("no_fit")
@pytest.mark.parametrize("case, extra, law, y, message", [
    ("empty", (), "chinchilla", "loss", "is empty"),
    ("header", (), "chinchilla", "loss", "header but no rows"),
    ("semicolon", (), "chinchilla", "loss", "looks separated by ';', not ','. Pass --sep ';'"),
    ("tab", (), "chinchilla", "loss", "looks separated by '\\t'"),
    ("ok", ("--prior", "alpha=Normal(mu=0.3 sigma=0.1)"), "chinchilla", "loss",
     "mu='0.3 sigma=0.1' is not a number"),
    ("ok", ("--prior", "alpha=Normall(mu=0.3,sigma=0.1)"), "chinchilla", "loss",
     "Unknown prior distribution 'Normall'"),
    ("ok", (), "Chinchilla", "loss", "Did you mean 'chinchilla'?"),
    ("ok", (), "chinchila", "loss", "Did you mean 'chinchilla'?"),
    ("ok", (), "chinchilla", "Loss", "--y 'Loss': table"),
    ("ok", (), "chinchilla", "losses", "Did you mean 'loss'?"),
])
def test_fit_refuses_bad_input_in_one_line(tables, case, extra, law, y, message, capsys):
    assert main(fit_argv(tables[case], *extra, law=law, y=y)) == 2
    assert message in one_error(capsys)


@pytest.mark.usefixtures("no_fit")
def test_semicolon_table_is_read_with_sep(tables):
    with pytest.raises(Reached):
        main(fit_argv(tables["semicolon"], "--sep", ";"))


def test_misspelled_column_of_x_gets_a_suggestion(tables, capsys):
    argv = fit_argv(tables["ok"])
    argv[argv.index("N=params")] = "N=param"
    assert main(argv) == 2
    err = one_error(capsys)
    assert "--x N= 'param'" in err and "Did you mean 'params'?" in err


def test_did_you_mean():
    assert did_you_mean("Chinchilla", ["chinchilla", "kaplan"]) == " Did you mean 'chinchilla'?"
    assert did_you_mean("kaplna", ["chinchilla", "kaplan"]) == " Did you mean 'kaplan'?"
    assert did_you_mean("LOSS", ["loss", "params"]) == " Did you mean 'loss'?"
    assert did_you_mean("zzz", ["chinchilla", "kaplan"]) == ""


def test_missing_prediction_input_is_named_in_cli_syntax(tmp_path, capsys):
    data = simulate("chinchilla", CHINCHILLA_REPLICATION, chinchilla_grid(), random_seed=0)
    data = data.rename(columns={"N": "params", "D": "tokens"})
    fit = fixed_draws_fit("chinchilla", chinchilla_draws(), data, {"N": "params", "D": "tokens"})
    path = fit.save(tmp_path / "fit.nc")
    assert main(["predict", str(path), "--at", "N=7e10"]) == 2
    err = one_error(capsys)
    assert "--at N=...,D=..." in err and "['D']" in err and "predict({" not in err
    # the fitted data's own column names are accepted
    assert main(["predict", str(path), "--at", "params=7e10,tokens=1.4e12"]) == 0
    assert "lower_90" in capsys.readouterr().out


def test_warnings_are_printed_once_without_source_lines(tables, monkeypatch, capsys):
    def warn_twice(*args, **kwargs):
        for _ in range(2):
            warnings.warn("R-hat is 1.05: run longer chains", SamplerWarning, stacklevel=2)
        raise DataError("stop here")

    monkeypatch.setattr(fitting, "fit", warn_twice)
    assert main(fit_argv(tables["ok"])) == 2
    err = capsys.readouterr().err
    assert err.count("R-hat is 1.05") == 1
    assert "warning: R-hat is 1.05: run longer chains\n" in err
    assert ".py:" not in err and "warnings.warn" not in err


# -- fuzz ------------------------------------------------------------------------------------
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
PRIOR = st.one_of(TEXT, st.builds(
    "{}={}({})".format, st.sampled_from(["alpha", "beta", "E", ""]),
    st.sampled_from(["Normal", "LogNormal", "Normall", "", "HalfNormal"]),
    st.lists(st.sampled_from(["mu=0.3", "sigma=0.1", "mu=0.3 sigma=0.1", "sigma=-1", "x",
                              "mu=", "=1", "sigma=nan", "mu=1e400"]), max_size=3
             ).map(",".join)))
OPTION = st.one_of(st.none(), st.tuples(st.sampled_from(["--prior"]), PRIOR),
                   st.tuples(st.just("--option"), TEXT), st.tuples(st.just("--x"), TEXT),
                   st.tuples(st.just("--sep"), st.one_of(st.sampled_from([",", ";", "", "ab"]),
                                                          TEXT)),
                   st.tuples(st.just("--group"), TEXT),
                   st.tuples(st.just("--draws"), TEXT))


@given(table=st.sampled_from(["ok", "empty", "header", "semicolon", "tab", "missing"]),
       law=st.one_of(st.sampled_from(["chinchilla", "Chinchilla", "power_law", "bnsl"]), TEXT),
       y=st.one_of(st.sampled_from(["loss", "Loss"]), TEXT),
       extras=st.lists(OPTION, max_size=4))
def test_fuzz_fit_arguments_never_give_a_traceback(tables, table, law, y, extras):
    path = tables.get(table, tables["ok"].with_name("missing.csv"))
    argv = ["fit", str(path), "--law", law, "--y", y, "--out", "never.nc"]
    for extra in extras:
        if extra is not None:
            argv += list(extra)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fitting, "fit", stop_fit)
        try:
            code = main(argv)
        except SystemExit as exit_:  # argparse's own refusal: usage and one error line, exit 2
            assert exit_.code == 2
            return
        except Reached:
            return
    assert code == 2


@given(st.lists(TEXT, max_size=3))
def test_fuzz_string_parsers_raise_only_bayeslaws_errors(items):
    for parse in (lambda: cli_args.points(items, "--at"), lambda: cli_args.pairs(items, "--x"),
                  lambda: cli_args.options(items, "--option"),
                  lambda: cli_args.parse_law_specs(items),
                  lambda: [cli_args.parse_prior(text) for text in items],
                  lambda: [cli_args.numbers(text, "--C") for text in items]):
        try:
            parse()
        except BayesLawsError:
            pass


@pytest.mark.parametrize("flag", [[], ["--no-predictive"]])
def test_fit_command_saves_the_groups_and_prints_each_warning_once(tables, tmp_path, flag,
                                                                   monkeypatch, capsys):
    """The whole ``fit`` command, NUTS replaced by prior draws (whose "chains" disagree, so
    the sampler's warnings are raised and printed)."""
    from bayeslaws import sampling
    from bayeslaws.groups import PREDICTIVE_GROUPS
    from bayeslaws.result import load
    from tests.conftest import prior_sampler

    monkeypatch.setattr(sampling, "run_nuts", prior_sampler)
    out = tmp_path / "fit.nc"
    argv = fit_argv(tables["ok"], "--draws", "100", "--chains", "2", "--quiet", "--seed", "0",
                    *flag, law="power_law")
    argv[argv.index("N=params")] = "x=params"
    del argv[argv.index("D=tokens") - 1:argv.index("D=tokens") + 1]
    argv[argv.index("never.nc")] = str(out)
    assert main(argv) == 0
    captured = capsys.readouterr()
    stored = set(load(out).trace.children)
    assert set(PREDICTIVE_GROUPS) <= stored if not flag else not set(PREDICTIVE_GROUPS) & stored
    lines = [line for line in captured.err.splitlines() if line.startswith("warning: ")]
    assert lines, "prior draws should raise sampler warnings"
    assert len(lines) == len(set(lines))
    assert ".py:" not in captured.err and "warning:" not in captured.out
