"""Learners on differentiable games: NL, LA, LOLA and SOS with exact gradients.

Every learner here sees the game only as a differentiable value function
``values(theta1, theta2) -> (V1, V2)`` (see :mod:`interplay.agents.learners.differentiable`),
never the other learner's object. Updates are gradient *ascent* on one's own value, with
learning rate ``lr``; ``g_ij = grad_{theta_j} V_i``.

* NL, the naive learner: ``theta1 += lr * g_11``.
* LA, look-ahead (Zhang & Lesser 2010; the first-order form of Letcher et al. 2019, eq. 3):
  the opponent's naive step is anticipated but treated as fixed:
  ``theta1 += lr * [g_11 + eta * grad_1( g_21 . stop(g_22) )]``.
* LOLA (Foerster et al. 2018, eq. 4 of the AAMAS paper, exact-gradient version):
  ``theta1 += lr * [g_11 + c * grad_1( stop(g_12) . g_22 )]``; with ``lookahead_term=True``
  the LA term is added too, which is the LOLA of Letcher et al. (2019, eq. 4).
* SOS, stable opponent shaping (Letcher et al. 2019, Algorithm 1), in ascent form:
  ``xi0 = g + alpha * LA-term``, ``chi = shaping term``; ``p1 = 1`` if ``<chi, xi0> >= 0`` else
  ``min(1, a |xi0|^2 / -<chi, xi0> / alpha)``; ``p2 = |xi|^2`` if ``|xi| < b`` else 1;
  ``theta += alpha * (xi0 + min(p1, p2) * alpha * chi)``. The vectors are joint (both players),
  as in the paper, so an SOS player computes the whole game's terms.
* Fixed: a policy that does not learn (e.g. tit-for-tat as 5 probabilities).

A whole run (many seeds x many updates) is one array program: ``vmap`` over seeds of a
``lax.scan`` over updates, compiled once per (game kind, pairing, number of updates).
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, ClassVar, Literal

import jax
import jax.numpy as jnp
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from interplay.agents.learners.differentiable import DifferentiableGame, differentiable, value_function
from interplay.agents.learners.protocol import LearnerOptions, LearningRun, TrainSettings
from interplay.errors import InterplayError
from interplay.registry import Registry

_sg = jax.lax.stop_gradient


class _Config(LearnerOptions, BaseModel):
    """An exact-gradient learner: trained with its opponent by :func:`train_exact`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    family: ClassVar[str] = "exact"
    opponents: ClassVar[frozenset[str]] = frozenset({"exact", "meta"})
    forms: ClassVar[frozenset[str]] = frozenset({"matrix", "iterated"})

    def train(self, game: Any, opponent: Any, settings: TrainSettings) -> LearningRun:
        return train_exact(game, self, opponent, num_seeds=settings.seeds, num_updates=settings.updates,
                           seed=settings.seed, init_std=settings.init_std)


class NaiveLearner(_Config):
    """NL: gradient ascent on its own exact value."""

    short: ClassVar[str] = "NL"
    kind: Literal["naive"] = "naive"
    lr: float = Field(default=1.0, gt=0, description="learning rate (LOLA's exact setting: 1)")


class LookAhead(_Config):
    """LA (Zhang & Lesser 2010): anticipates the opponent's naive step, without shaping it."""

    short: ClassVar[str] = "LA"
    kind: Literal["lookahead"] = "lookahead"
    lr: float = Field(default=1.0, gt=0, description="learning rate")
    lookahead: float = Field(default=1.0, gt=0, description="eta, the opponent's assumed learning rate")


class LOLA(_Config):
    """LOLA with exact gradients (Foerster et al. 2018)."""

    short: ClassVar[str] = "LOLA"
    kind: Literal["lola"] = "lola"
    lr: float = Field(default=1.0, gt=0, description="learning rate (delta in the paper)")
    correction: float = Field(default=1.0, ge=0, description="c = eta, the weight of the shaping term")
    lookahead_term: bool = Field(default=False, description="also add the LA term (Letcher et al.'s LOLA)")


class SOS(_Config):
    """SOS (Letcher et al. 2019, Algorithm 1); the IPD setting is alpha=1, a=0.5, b=0.1."""

    short: ClassVar[str] = "SOS"
    kind: Literal["sos"] = "sos"
    alpha: float = Field(default=1.0, gt=0, description="learning and look-ahead rate")
    a: float = Field(default=0.5, gt=0, lt=1, description="keeps the update within (1-a)|xi0|^2 of LA's")
    b: float = Field(default=0.1, gt=0, lt=1, description="below this gradient norm, p shrinks as |xi|^2")


class FixedPolicy(_Config):
    """A policy that does not learn: 5 probabilities (iterated) or a mixed strategy."""

    short: ClassVar[str] = "Fixed"
    learns: ClassVar[bool] = False
    kind: Literal["fixed"] = "fixed"
    policy: tuple[float, ...] | str = Field(description="probabilities, or a memory-one name like 'Tit For Tat'")

    def check_rules(self, game: Any, opponent: Any, where: str) -> None:
        differentiable(game).policy_from_config(self.policy)


ExactLearner = Annotated[NaiveLearner | LookAhead | LOLA | SOS | FixedPolicy, Field(discriminator="kind")]

#: Short names used by the CLI, YAML and the reproduction tables.
LEARNER_NAMES: Registry[type[_Config]] = Registry("learner", case_insensitive=True)
LEARNER_NAMES.add("naive", NaiveLearner, aliases=("nl",))
LEARNER_NAMES.add("lookahead", LookAhead, aliases=("la",))
LEARNER_NAMES.add("lola", LOLA)
LEARNER_NAMES.add("sos", SOS)


def learner_from_name(name: str) -> _Config:
    """A learner with default settings from its short name ('nl', 'la', 'lola', 'sos')."""
    return LEARNER_NAMES.get(name)()


# ---------------------------------------------------------------------------------------
# The update terms (small, tested functions)
# ---------------------------------------------------------------------------------------


def gradient_terms(values, th1: jax.Array, th2: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """(g_11, LA term, shaping term) for player 1, at (th1, th2).

    ``values(th1, th2) -> (V1, V2)``. LA term = ``grad_1( g_21 . stop(g_22) )``
    = (d^2 V1 / d th1 d th2) g_22; shaping term = ``grad_1( stop(g_12) . g_22 )``
    = (d^2 V2 / d th1 d th2) g_12 (Foerster et al. 2018, eq. 4's second-order term).
    """
    v1 = lambda a, b: values(a, b)[0]  # noqa: E731
    v2 = lambda a, b: values(a, b)[1]  # noqa: E731
    g11 = jax.grad(v1, 0)(th1, th2)
    g12 = jax.grad(v1, 1)(th1, th2)
    g22 = jax.grad(v2, 1)(th1, th2)
    la = jax.grad(lambda a: jnp.vdot(jax.grad(v1, 1)(a, th2), _sg(g22)))(th1)
    shaping = jax.grad(lambda a: jnp.vdot(_sg(g12), jax.grad(v2, 1)(a, th2)))(th1)
    return g11, la, shaping


def sos_p(xi: jax.Array, xi0: jax.Array, chi: jax.Array, alpha: float, a: float, b: float) -> jax.Array:
    """SOS's interpolation weight p (Letcher et al. 2019, Algorithm 1), ascent form.

    In the paper's loss form the test is ``<-alpha chi, xi0> >= 0``; with ascent directions
    both vectors flip sign, so it reads ``alpha <chi, xi0> >= 0``.
    """
    dot = alpha * jnp.vdot(chi, xi0)
    p1 = jnp.where(dot >= 0, 1.0, jnp.minimum(1.0, a * jnp.vdot(xi0, xi0) / jnp.maximum(-dot, 1e-30)))
    norm2 = jnp.vdot(xi, xi)
    p2 = jnp.where(jnp.sqrt(norm2) < b, norm2, 1.0)
    return jnp.minimum(p1, p2)


def _swap(values):
    return lambda a, b: values(b, a)[::-1]


def coefficients(learner) -> jax.Array:
    """A learner's rule as numbers ``[lr, c_la, c_shaping, use_sos_p, alpha, a, b]``.

    Every rule here is ``lr * (g + c_la * LA + c_shaping * p * shaping)`` with ``p = 1``
    except for SOS; so one compiled program serves every pairing.
    """
    k = learner.kind
    if k == "naive":
        c = [learner.lr, 0.0, 0.0, 0.0, 1.0, 0.5, 0.1]
    elif k == "lookahead":
        c = [learner.lr, learner.lookahead, 0.0, 0.0, 1.0, 0.5, 0.1]
    elif k == "lola":
        c = [learner.lr, learner.correction if learner.lookahead_term else 0.0, learner.correction, 0.0, 1.0, 0.5, 0.1]
    elif k == "sos":
        c = [learner.alpha, learner.alpha, learner.alpha, 1.0, learner.alpha, learner.a, learner.b]
    elif k == "fixed":
        c = [0.0, 0.0, 0.0, 0.0, 1.0, 0.5, 0.1]
    else:
        raise InterplayError(f"no exact-gradient rule for learner kind {k!r}.")
    return jnp.asarray(c, jnp.float32)


def _step_with(values, th1, th2, coef1, coef2) -> tuple[jax.Array, jax.Array]:
    t1 = gradient_terms(values, th1, th2)
    t2 = gradient_terms(_swap(values), th2, th1)
    xi = jnp.concatenate([t1[0], t2[0]])
    chi = jnp.concatenate([t1[2], t2[2]])
    out = []
    for c, (g, la, sh) in ((coef1, t1), (coef2, t2)):
        lr, c_la, c_sh, use_sos, alpha, a, b = (c[i] for i in range(7))
        xi0 = jnp.concatenate([t1[0] + alpha * t1[1], t2[0] + alpha * t2[1]])
        p = jnp.where(use_sos > 0, sos_p(xi, xi0, chi, alpha, a, b), 1.0)
        out.append(lr * (g + c_la * la + c_sh * p * sh))
    return out[0], out[1]


def _directions(values, th1, th2, learners) -> tuple[jax.Array, jax.Array]:
    """Each player's parameter change for one simultaneous update."""
    return _step_with(values, th1, th2, coefficients(learners[0]), coefficients(learners[1]))


def _run(th1, th2, values, c1, c2, num_updates):
    def one_seed(a, b):
        def step(carry, _):
            x, y = carry
            v = values(x, y)
            d1, d2 = _step_with(values, x, y, c1, c2)
            return (x + d1, y + d2), (x, y, v)

        (x, y), (h1, h2, hv) = jax.lax.scan(step, (a, b), None, length=num_updates)
        v = values(x, y)
        return (jnp.concatenate([h1, x[None]]), jnp.concatenate([h2, y[None]]),
                jnp.concatenate([hv, v[None]]))

    return jax.vmap(one_seed)(th1, th2)


@partial(jax.jit, static_argnames=("kind", "num_updates"))
def _train_shared(th1, th2, payoffs, discount, coef1, coef2, kind, num_updates):
    """Game and rules as arrays: one compilation serves every pairing and game of a kind."""
    return _run(th1, th2, value_function(kind, payoffs, discount), coef1, coef2, num_updates)


@partial(jax.jit, static_argnames=("payoffs", "discount", "coef1", "coef2", "kind", "num_updates"))
def _train_specialised(th1, th2, payoffs, discount, coef1, coef2, kind, num_updates):
    """Game and rules as compile-time constants (hashable tuples): XLA folds the terms a rule
    does not use, which runs about 3.5x faster per seed than :func:`_train_shared` but
    compiles once per pairing (benchmarks/opponent_shaping.py)."""
    values = value_function(kind, jnp.asarray(payoffs, jnp.float32), discount)
    return _run(th1, th2, values, jnp.asarray(coef1, jnp.float32), jnp.asarray(coef2, jnp.float32), num_updates)


# ---------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------


def _fixed_logits(policy, game: DifferentiableGame) -> jax.Array:
    probs = game.policy_from_config(policy)
    p = jnp.clip(jnp.asarray(probs, jnp.float32), 1e-6, 1 - 1e-6)
    if game.iterated:
        return jnp.log(p) - jnp.log1p(-p)
    return jnp.log(p)


def initial_logits(key: jax.Array, game: DifferentiableGame, learners, num_seeds: int,
                   init_std: float = 1.0) -> tuple[jax.Array, jax.Array]:
    """Logits drawn from N(0, init_std^2) per seed (LOLA's and SOS's setting), fixed ones set."""
    k1, k2 = jax.random.split(key)
    th = []
    for k, learner, dim in ((k1, learners[0], game.dims[0]), (k2, learners[1], game.dims[1])):
        if not learner.learns:
            th.append(jnp.broadcast_to(_fixed_logits(learner.policy, game), (num_seeds, dim)))
        else:
            th.append(init_std * jax.random.normal(k, (num_seeds, dim)))
    return th[0], th[1]


def _nested_tuple(x: object) -> object:
    """A hashable copy of an array (nested tuples of floats), for static jit arguments."""
    arr = np.asarray(x, dtype=np.float64)
    return tuple(_nested_tuple(v) for v in arr) if arr.ndim else float(arr)


#: Seeds per compiled call. Larger batches run in chunks of this size: on XLA's CPU backend we
#: saw the scan over updates stall (no progress, idle CPU) from about 4,000 seeds per call.
CHUNK = 1024


#: Above this many seed-updates per run, compile a specialised program (see _train_specialised).
SPECIALISE_ABOVE = 200_000


def _train_chunked(th1, th2, game: DifferentiableGame, coef1, coef2, num_updates: int):
    n = th1.shape[0]
    if n * num_updates > SPECIALISE_ABOVE:
        fn = _train_specialised
        args = (_nested_tuple(game.payoffs), float(game.discount), _nested_tuple(coef1), _nested_tuple(coef2),
                game.kind, num_updates)
    else:
        fn = _train_shared
        args = (game.payoffs, jnp.float32(game.discount), coef1, coef2, game.kind, num_updates)
    if n <= CHUNK:
        return fn(th1, th2, *args)
    pad = (-n) % CHUNK
    th1 = jnp.concatenate([th1, jnp.zeros((pad, th1.shape[1]), th1.dtype)])
    th2 = jnp.concatenate([th2, jnp.zeros((pad, th2.shape[1]), th2.dtype)])
    parts = [fn(th1[i:i + CHUNK], th2[i:i + CHUNK], *args) for i in range(0, n + pad, CHUNK)]
    return tuple(jnp.concatenate([p[k] for p in parts])[:n] for k in range(3))


def train_exact(game: Any, learner1, learner2, *, num_seeds: int = 50,
                num_updates: int = 200, seed: int = 0, init_std: float = 1.0,
                init: tuple[jax.Array, jax.Array] | None = None) -> LearningRun:
    """Train a pairing on a game over many seeds at once, with exact gradients.

    ``game``: what :func:`interplay.make` returns for an iterated 2x2 game or a two-player
    normal-form game, or its :func:`differentiable` form. ``init``: optional initial logits
    ((S, D1), (S, D2)); by default drawn from N(0, init_std^2).

    The record's ``policies`` are (S, T+1, D) per seat (index 0 the initial policy),
    ``rewards`` (S, T+1, 2) average reward per step ((1 - gamma) V for iterated games), the
    headline the reward per step after the last update; ``extras``: ``logits`` (per seat)
    and ``values`` (S, T+1, 2), the exact values.
    """
    game = differentiable(game)
    if num_seeds < 1 or num_updates < 0:
        raise InterplayError(f"train_exact: need num_seeds >= 1 and num_updates >= 0, got {num_seeds}, {num_updates}.")
    learners = (learner1, learner2)
    if init is None:
        th1, th2 = initial_logits(jax.random.PRNGKey(seed), game, learners, num_seeds, init_std)
    else:
        th1, th2 = (jnp.asarray(t, jnp.float32) for t in init)
    h1, h2, hv = _train_chunked(th1, th2, game, coefficients(learner1), coefficients(learner2), num_updates)
    probs1 = np.asarray(jax.vmap(jax.vmap(game.policy))(h1))
    probs2 = np.asarray(jax.vmap(jax.vmap(game.policy))(h2))
    values = np.asarray(hv)
    rewards = values * game.per_step
    config = {"learners": [lr.model_dump() for lr in learners], "num_seeds": num_seeds, "num_updates": num_updates,
              "seed": seed, "init_std": init_std, "init": "given" if init is not None else "normal"}
    return LearningRun((learner1.label(), learner2.label()), game.id, game.kind, "update", rewards,
                       (probs1, probs2), rewards[:, -1], "reward per step after the last update", config,
                       params=(np.asarray(h1[:, -1]), np.asarray(h2[:, -1])),
                       extras={"logits": (np.asarray(h1), np.asarray(h2)), "values": values})


def learned_policies(game: Any, learner1, learner2, *, num_seeds: int = 1,
                     num_updates: int = 200, seed: int = 0) -> np.ndarray:
    """Final learned policies of a run, (num_seeds, 2, 5) for iterated games (own view, start first).

    For the tournament engine: each row is a memory-one policy ready to enter a tournament.
    """
    return train_exact(game, learner1, learner2, num_seeds=num_seeds, num_updates=num_updates,
                       seed=seed).final_policies()
