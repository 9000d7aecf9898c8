"""Saved fits: one netCDF file (an ``xarray.DataTree``) per fit.

The root attributes hold ``bayeslaws_config``, a JSON document with the fit's settings
(:class:`~bayeslaws.settings.FitSettings`: law name and options, likelihood, column names,
sampler settings, seed, package versions), every prior, the grouping of a grouped fit and
the file format version. :func:`read` rebuilds the law, priors and grouping from it, so
``predict`` on a loaded fit (:func:`bayeslaws.load`) gives exactly what it gave before saving.
Writing is atomic: a temporary file in the same folder is renamed over the target, so an
interrupted save never leaves half a fit.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import xarray as xr

from bayeslaws.catalogue import get_law, law_names
from bayeslaws.exceptions import BayesLawsError, FitFileError, LawError, OptionError, choices
from bayeslaws.hierarchy import Grouping
from bayeslaws.likelihoods import get_likelihood
from bayeslaws.priors import Prior
from bayeslaws.settings import FitSettings, versions
from bayeslaws.spec import ModelSpec

#: Format 2 (bayeslaws 0.2) stores the grouping of a grouped fit under ``grouping`` (format 1:
#: ``hierarchy``) and the ``allow_few_runs`` setting; both formats are read.
FORMAT_VERSION = 2
#: Oldest file format this version reads. Format 1 (bayeslaws 0.1) is the first to store the
#: priors, sampler settings and package versions that :func:`load` needs to rebuild a fit.
MIN_FORMAT_VERSION = 1
CONFIG_ATTR = "bayeslaws_config"
ENGINE = "h5netcdf"
#: Settings without which a fit cannot be rebuilt.
REQUIRED = ("law", "likelihood", "priors", "columns", "y_column")
#: Groups whose float64 variables ``precision="float32"`` stores in single precision.
FLOAT32_GROUPS = ("posterior", "log_likelihood", "posterior_predictive", "prior",
                  "prior_predictive")
PRECISIONS = ("float64", "float32")


def save(trace: xr.DataTree, config: Mapping[str, Any], priors: Mapping[str, Prior],
         path: str | Path, precision: str = "float64") -> Path:
    """Write a fit (its trace, settings and priors) to ``path`` atomically; return the path.

    An interrupted save (error, Ctrl-C, full disk) leaves any earlier file at ``path`` untouched
    and no temporary file behind (see the module docstring).

    Parameters
    ----------
    trace : xarray.DataTree
        The fit's trace.
    config : dict
        Its settings (``Fit.config``: :class:`~bayeslaws.settings.FitSettings` and grouping).
    priors : dict of {str: Prior}
        Its priors.
    path : str or Path
        The netCDF file.
    precision : {"float64", "float32"}
        ``"float64"`` (default): a loaded fit predicts exactly what the fit did.
        ``"float32"``: the posterior draws, pointwise log-likelihood and the predictive and
        prior draws are stored in single precision, halving the file (Chinchilla, 4 x 1,000
        draws of 245 runs, before the predictive groups: 8.1 MB -> 4.2 MB,
        ``benchmarks/speed.py``); posterior quantiles move by at most 2.6e-8 relative there,
        far below Monte Carlo error, and LOO is unchanged to the printed digits. Loaded draws
        are float32 and forecasts agree to about 1e-7 relative.
    """
    if precision not in PRECISIONS:
        raise OptionError(f"precision={precision!r} is not supported; valid choices: "
                          f"{choices(PRECISIONS)} (float32 halves the file).")
    config = dict(config, format_version=FORMAT_VERSION)
    config["priors"] = {name: prior.to_dict() for name, prior in priors.items()}
    tree = trace.copy()
    if precision == "float32":
        for group in (g for g in FLOAT32_GROUPS if g in tree.children):
            data = tree[group].to_dataset()
            tree[group] = data.astype({name: "float32" for name, var in data.data_vars.items()
                                       if var.dtype == "float64"})
    tree.attrs = {CONFIG_ATTR: json.dumps(config, default=str)}
    return write_tree(tree, path)


def write_tree(tree: xr.DataTree, path: str | Path) -> Path:
    """Write ``tree`` to the netCDF file ``path`` atomically (a temporary file in the same
    folder renamed over it, so an interrupted write leaves any earlier file untouched)."""
    path = Path(path)
    if path.is_dir():
        raise FitFileError(f"{str(path)!r} is a folder; give a file name such as 'fit.nc'.")
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        tree.to_netcdf(tmp, engine=ENGINE)
        with open(tmp, "rb+") as written:
            os.fsync(written.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_tree(path: str | Path) -> xr.DataTree:
    """The netCDF file at ``path`` as a DataTree loaded into memory (:class:`FitFileError` when
    it is missing or unreadable)."""
    path = Path(path)
    if not path.is_file():
        raise FitFileError(f"No saved file at {str(path)!r}.")
    try:
        with xr.open_datatree(path, engine=ENGINE) as handle:
            return handle.load()
    except Exception as err:  # noqa: BLE001 -- any reader failure means a damaged file
        raise FitFileError(
            f"{path} cannot be read as a netCDF file ({type(err).__name__}: {err}); the file "
            "is damaged or truncated -- refit and save again.") from None


def read_config(tree: xr.DataTree, path) -> dict:
    """The stored settings of a fit, checked for a readable format version."""
    raw = tree.attrs.get(CONFIG_ATTR)
    if raw is None:
        raise FitFileError(f"{path} is a netCDF file but not a bayeslaws fit (no {CONFIG_ATTR!r} "
                           "attribute). Save fits with fit.save(path).")
    try:
        config = json.loads(raw)
    except json.JSONDecodeError as err:
        raise FitFileError(f"{path}: the stored fit settings are damaged ({err}).") from None
    if not isinstance(config, dict):
        raise FitFileError(f"{path}: the stored fit settings are damaged (not a JSON object).")
    version = config.get("format_version", 0)
    writer = config.get("bayeslaws_version") or "unknown"
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise FitFileError(f"{path}: the stored file format version {version!r} is not a "
                           "version number; the file is damaged -- refit and save again.")
    known = writer != "unknown"
    written = f"{path} was written by bayeslaws {writer}" if known else f"{path} is"
    ours = f"this bayeslaws ({versions().get('bayeslaws', 'unknown')})"
    if version > FORMAT_VERSION:
        upgrade = f"'bayeslaws>={writer}'" if known else "bayeslaws"
        raise FitFileError(
            f"{written} in file format {version}; {ours} reads formats {MIN_FORMAT_VERSION} to "
            f"{FORMAT_VERSION}. Upgrade bayeslaws (pip install -U {upgrade}).")
    if version < MIN_FORMAT_VERSION:
        raise FitFileError(
            f"{written} in file format {version}, older than format {MIN_FORMAT_VERSION} (the "
            f"first to store priors and sampler settings); {ours} cannot rebuild the fit from "
            "it. Refit the data with this version and save again"
            + (f", or open the file with bayeslaws {writer}." if known else "."))
    missing = [key for key in REQUIRED if key not in config]
    if missing:
        raise FitFileError(f"{path}: the stored fit settings lack {missing}; the file is damaged "
                           "or was not written by fit.save -- refit and save again.")
    return config


def read(path: str | Path) -> tuple[xr.DataTree, ModelSpec, FitSettings, int]:
    """Read a fit written by ``Fit.save``: its trace, spec (law, likelihood, priors, grouping),
    settings and file format version (:func:`bayeslaws.load` makes the
    :class:`~bayeslaws.Fit` of them; it lists the :class:`FitFileError` raised)."""
    path = Path(path)
    if not path.is_file():
        raise FitFileError(f"No saved fit at {str(path)!r}.")
    try:
        with xr.open_datatree(path, engine=ENGINE) as handle:
            tree = handle.load()
    except Exception as err:  # noqa: BLE001 -- any reader failure means a damaged file
        raise FitFileError(
            f"{path} cannot be read as a netCDF fit ({type(err).__name__}: {err}); the file is "
            "damaged or truncated -- refit and save again.") from None
    config = read_config(tree, path)
    missing = [g for g in ("posterior", "observed_data", "constant_data") if g not in tree.children]
    if missing:
        raise FitFileError(f"{path} lacks the group(s) {missing}: the file is damaged.")
    try:
        law = get_law(config["law"], **config.get("law_options", {}))
    except LawError:
        raise FitFileError(
            f"{path} holds a fit of law {config['law']!r}, which is not registered here. "
            f"Known laws: {choices(law_names())}. Register its file first with "
            "bayeslaws.register_law(path).") from None
    stored_grouping = config.get("grouping") or config.get("hierarchy")  # format 2 or 1
    try:
        likelihood = get_likelihood(config["likelihood"], law.link, law.name)
        priors = {name: Prior.from_dict(d) for name, d in config["priors"].items()}
        grouping = None if stored_grouping is None else Grouping.from_dict(stored_grouping)
        settings = FitSettings.from_dict(config)
    except (BayesLawsError, KeyError, TypeError) as err:
        raise FitFileError(f"{path}: stored settings are incomplete or invalid ({err}).") from None
    spec = ModelSpec(law=law, likelihood=likelihood, priors=priors, grouping=grouping)
    missing_vars = [n for n in spec.posterior_names if n not in tree["posterior"].data_vars]
    if missing_vars:
        raise FitFileError(f"{path}: posterior lacks parameter(s) {missing_vars}; file damaged.")
    tree.attrs = {}
    return tree, spec, settings, int(config["format_version"])
