"""Where NUTS chains start: optionally at the best modes found by multi-start optimisation.

A law with a break point or a floor can have several modes (a break placed between other
runs, a floor traded against the slope). Chains started by the samplers' default (the law's
starting values, jittered by up to 1 unit in each sampling coordinate, ``init="jitter"``)
sometimes settle in a worse mode and stay there: a "stuck chain" on 11 of 107 fits of the
reliability benchmark (``benchmarks/defaults.py``). With ``init="optimised"`` the posterior's
log density (in the sampling coordinates NUTS uses) is maximised by SciPy's L-BFGS-B from
:data:`N_STARTS` points (the starting values and random points around them); the distinct
optima whose log density is within :data:`MODE_GAP` of the best are kept, chains are spread over
them, and each chain starts at a draw from the Laplace approximation of its mode (the inverse
Hessian of the optimiser, its standard deviations clipped to [0.001, 1]). No home-made
optimiser: the log density and its gradient are PyMC's, the optimiser SciPy's.

Measured (``benchmarks/results/defaults/after_optimised*``, same cases and seeds as the jitter
run): on the 98 real fits that missed the goal with jitter, 17 met it with ``"optimised"``
(Gadre's ``chinchilla`` 6 of 11, ``overtraining`` 3 of 3, m3 4 of 12, bnsl 3 of 61); on the 115
real fits that met it, 13 no longer did (Pythia ``sigmoid`` 2 of 4, with thousands of
divergences: the Laplace draws start the beta-binomial precision in its funnel; three bnsl
chains left the optimum during warm-up and stuck in a worse mode anyway). The optimisation
finds one mode on most bnsl curves whose chains later stick: the modes are entered during
adaptation, not at the start. So ``"jitter"`` stays the default and ``"optimised"`` an option.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
import warnings
from collections.abc import Mapping

import numpy as np
import pymc as pm
from scipy import optimize

from bayeslaws.exceptions import OptionError, choices

INITS = ("optimised", "jitter")
#: Default initialisation (``benchmarks/defaults.py`` measures both: see the module docstring).
#: Not advised for grouped fits: the mode of a hierarchical posterior sits in the neck of its
#: funnel (between-group sd near 0), a poor place to start adapting (a two-group test: sampling
#: 4x slower, R-hat 1.14-1.79 against 1.07 with jitter).
DEFAULT_INIT = "jitter"


def resolve_init(init: str | None, grouped: bool) -> str:
    """The initialisation a fit uses: the user's, else :data:`DEFAULT_INIT` (``"jitter"``,
    for plain and grouped fits alike)."""
    if init is None:
        return DEFAULT_INIT
    check_init(init)
    return init
#: Optimisations per fit: the starting values and 11 random points around them (on the
#: benchmark's multimodal curves 8 of 20 optimisations reach the best mode: 12 miss it with
#: probability 0.6^12 = 0.2%).
N_STARTS = 12
#: Half-width of the uniform spread of the optimisers' starting points, in sampling units.
START_SPREAD = 2.0
#: Optima whose log density is more than this below the best are not used as chain starts
#: (a mode 5 log units lower holds under 1% of the posterior mass unless it is far wider).
MODE_GAP = 5.0
#: Two optima closer than this many Laplace standard deviations in every sampling coordinate
#: are the same mode.
SAME_MODE = 3.0


def check_init(init: str) -> None:
    if init not in INITS:
        raise OptionError(
            f"Unknown init {init!r}. Valid choices: {choices(INITS)} ('optimised' starts the "
            "chains at the best modes found by multi-start optimisation, 'jitter' at the law's "
            "starting values jittered by the sampler).")


@dataclasses.dataclass
class Optimiser:
    """PyMC's compiled log density and gradient of a model on one flat vector of its free
    variables' sampling values (in the order of ``model.free_RVs``, as nutpie's)."""

    names: list[str]
    shapes: list[tuple[int, ...]]
    function: object  # pymc ValueGradFunction: flat vector -> (log density, gradient)

    @classmethod
    def of(cls, model: pm.Model) -> Optimiser:
        values = [model.rvs_to_values[rv] for rv in model.free_RVs]
        point = model.initial_point()
        function = model.logp_dlogp_function(grad_vars=values, ravel_inputs=True)
        return cls([v.name for v in values], [np.shape(point[v.name]) for v in values],
                   function)

    @property
    def size(self) -> int:
        return int(sum(int(np.prod(s)) for s in self.shapes))

    def point(self, flat: np.ndarray) -> dict[str, np.ndarray]:
        out, start = {}, 0
        for name, shape in zip(self.names, self.shapes, strict=True):
            n = int(np.prod(shape))
            out[name] = np.reshape(flat[start:start + n], shape)
            start += n
        return out

    def negative(self, flat: np.ndarray) -> tuple[float, np.ndarray]:
        """Minus the log density and its gradient (``inf`` where the density is zero)."""
        value, grad = self.function(np.asarray(flat, dtype=float))
        value = float(value)
        if not np.isfinite(value):
            return np.inf, np.zeros(self.size)
        return -value, -np.asarray(grad, dtype=float)


@dataclasses.dataclass
class Mode:
    logp: float
    location: np.ndarray
    scale: np.ndarray


def find_modes(opt: Optimiser, seed: int, n_starts: int = N_STARTS) -> list[Mode]:
    """The distinct optima of the log density within :data:`MODE_GAP` of the best, best first
    (empty when no optimisation ended at a finite log density)."""
    rng = np.random.default_rng(seed)
    starts = rng.uniform(-START_SPREAD, START_SPREAD, (n_starts, opt.size))
    starts[0] = 0.0  # the law's starting values
    found: list[Mode] = []
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for x0 in starts:
            if not np.isfinite(opt.negative(x0)[0]):
                continue
            result = optimize.minimize(opt.negative, x0, jac=True, method="L-BFGS-B",
                                       options={"maxiter": 500})
            if not np.isfinite(result.fun):
                continue
            hess_inv = result.hess_inv.todense() if hasattr(result.hess_inv, "todense") \
                else np.asarray(result.hess_inv)
            scale = np.sqrt(np.clip(np.diag(hess_inv), 1e-6, 1.0))
            found.append(Mode(-float(result.fun), np.asarray(result.x), scale))
    found.sort(key=lambda m: -m.logp)
    modes: list[Mode] = []
    for mode in found:
        if modes and mode.logp < modes[0].logp - MODE_GAP:
            break
        if all(np.max(np.abs(mode.location - m.location) / m.scale) > SAME_MODE for m in modes):
            modes.append(mode)
    return modes


def chain_starts(modes: list[Mode], chains: int, seed: int) -> list[np.ndarray]:
    """One flat starting point per chain: chains spread over ``modes`` in turn, each at a
    draw from its mode's Laplace approximation."""
    rng = np.random.default_rng(seed + 1)
    return [m.location + m.scale * rng.standard_normal(m.location.shape)
            for m in itertools.islice(itertools.cycle(modes), chains)]


def starts_for(model: pm.Model, cache: dict, values: Mapping[str, np.ndarray] | None,
               chains: int, seed: int) -> tuple[Optimiser, list[np.ndarray]] | None:
    """Chain starts for ``model`` (its data replaced by ``values`` first, if given);
    ``cache`` keeps the compiled optimiser between fits. ``None`` if no optimum was found
    (the sampler's own initialisation is then used)."""
    from bayeslaws.model import set_data

    if values is not None:
        set_data(model, values)
    if "optimiser" not in cache:
        cache["optimiser"] = Optimiser.of(model)
    opt = cache["optimiser"]
    modes = find_modes(opt, seed)
    if not modes:
        return None
    return opt, chain_starts(modes, chains, seed)


def nutpie_initialiser(starts: list[np.ndarray]):
    """An ``initial_point_func`` for a compiled nutpie model handing each chain the next of
    ``starts`` (nutpie calls it once per chain, with the chain's seed)."""
    lock, counter = threading.Lock(), itertools.count()

    def initial_point(_seed) -> np.ndarray:
        with lock:
            i = next(counter)
        return np.array(starts[i % len(starts)], dtype=float)

    return initial_point


def pymc_initvals(model: pm.Model, opt: Optimiser, starts: list[np.ndarray]) -> list[dict]:
    """Per-chain ``initvals`` for ``pm.sample``: each start on the free variables' own scale
    (back-transformed where PyMC samples a transformed value)."""
    out = []
    for flat in starts:
        point = opt.point(flat)
        chain = {}
        for rv in model.free_RVs:
            value = point[model.rvs_to_values[rv].name]
            transform = model.rvs_to_transforms.get(rv)
            if transform is not None:
                value = transform.backward(value, *rv.owner.inputs).eval()
            chain[rv.name] = np.asarray(value)
        out.append(chain)
    return out
