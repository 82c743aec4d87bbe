"""Learners from sampled play: a policy-gradient naive learner and LOLA-DiCE.

DiCE (Foerster et al. 2018, "DiCE: The Infinitely Differentiable Monte Carlo Estimator",
eq. 6): with the "magic box" ``box(W) = exp(W - stop(W))`` (value 1, derivative
``box(W) dW``), the objective of player i over a batch of sampled episodes is

    L_i = mean_batch sum_t gamma^t r_i,t box(W_t),   W_t = sum_{t' <= t} (log pi_1 + log pi_2)(t')

whose gradients of any order are unbiased estimates of the gradients of the expected
discounted return. We add the baseline term of Mao et al. 2019 ("A baseline for any order
gradient estimation in stochastic computation graphs"), ``sum_t (1 - box(w_t)) gamma^t b_t``
with ``w_t`` the log-probabilities of step t and ``b_t`` the batch mean of ``r_i,t``: it
leaves every gradient's expectation unchanged and lowers the variance.

* PG (naive): ``theta_i += lr * grad_i L_i`` (REINFORCE through DiCE).
* LOLA-DiCE (DiCE paper, Sec. 5.2): each player looks ahead at the opponent's DiCE step
  ``theta_o' = theta_o + lr_in * grad_o L_o(theta_i, theta_o)`` on one batch, keeping its
  dependence on ``theta_i``, and ascends its own DiCE objective on a fresh batch played
  against ``theta_o'``: ``theta_i += lr_out * grad_i L_i(theta_i, theta_o'(theta_i))``.

The objective (:func:`dice_surrogate`) and the look-ahead (:func:`lookahead_objective`)
work on any game given as a :class:`SampledPlay` (sample a batch, recompute
log-probabilities, read rewards) with parameters of any pytree shape. Here: memory-one
logits on an iterated 2x2 game (:class:`IteratedPlay`; 5 per player, own view, start
first); :mod:`interplay.agents.learners.dice_coin` plays the coin game. The learners use
only sampled actions and rewards.
Defaults follow the DiCE paper's IPD setting: 150-step rollouts, batch 128, gamma 0.96,
outer lr 0.2, inner lr 0.3.
"""

from __future__ import annotations

from functools import partial
from typing import Any, ClassVar, Literal, NamedTuple, Protocol

import jax
import jax.numpy as jnp
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from interplay.agents.learners.dice_objective import dice_surrogate
from interplay.agents.learners.differentiable import differentiable
from interplay.agents.learners.protocol import LearnerOptions, LearningRun
from interplay.errors import InterplayError
from interplay.games.iterated import SWAP5

_sg = jax.lax.stop_gradient


class DiCEConfig(LearnerOptions, BaseModel):
    """A sampled-play learner: ``pg`` (naive policy gradient) or ``lola-dice``.

    On an iterated 2x2 game it learns memory-one logits by :func:`train_dice`; on the coin
    game, a feed-forward softmax policy trained by the one coin-game trainer,
    :func:`interplay.agents.learners.pola.train_pola_coin` (see :meth:`on_coin_game`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    family: ClassVar[str] = "sampled"
    opponents: ClassVar[frozenset[str]] = frozenset({"sampled"})
    forms: ClassVar[frozenset[str]] = frozenset({"iterated", "coin"})

    kind: Literal["pg", "lola-dice"] = "lola-dice"
    lr: float = Field(default=0.2, gt=0, description="outer learning rate (DiCE paper: 0.2)")
    lr_inner: float = Field(default=0.3, gt=0, description="look-ahead step of the opponent (lola-dice only; 0.3)")
    baseline: bool = Field(default=True, description="use the batch-mean baseline of Mao et al. 2019")
    hidden: tuple[int, ...] = Field(default=(), description="coin game only: hidden layer sizes of the policy over "
                                    "the observation (() = a linear softmax policy)")

    def label(self) -> str:
        return "PG" if self.kind == "pg" else "LOLA-DiCE"

    def check_rules(self, game: Any, opponent: Any, where: str) -> None:
        from interplay.agents.learners.protocol import game_form

        if self.hidden and game_form(game) != "coin":
            raise InterplayError(f"{where}: hidden layers are for coin-game policies; on an iterated game the "
                                 "policy is 5 memory-one logits.")

    def on_coin_game(self) -> Any:
        """This learner as a rule of the coin-game trainer (:mod:`interplay.agents.learners.pola`).

        A softmax policy over the own-view observation, linear or a tanh MLP (``hidden``), no
        learned value (the batch-mean baseline, or none), plain SGD with ``lr``; LOLA-DiCE
        looks ahead one SGD step of the opponent with ``lr_inner``. The POLA paper's recurrent
        PG / LOLA-DiCE are ``pola-dice`` learners (``PG_PAPER``, ``LOLA_DICE_PAPER``).
        """
        from interplay.agents.learners.pola import POLAConfig

        return POLAConfig(inner_steps=0 if self.kind == "pg" else 1, outer_steps=1, inner_beta=0.0,
                          outer_beta=0.0, lr_in=self.lr_inner, lr_out=self.lr, policy="feedforward",
                          layers=self.hidden, value="batch-mean" if self.baseline else "none", optimizer="sgd")

    def train(self, game: Any, opponent: Any, settings: Any) -> LearningRun:
        from interplay.agents.learners.protocol import game_form

        if game_form(game) == "coin":
            from interplay.agents.learners.pola import train_pola_coin

            return train_pola_coin(game, self, opponent, num_seeds=settings.seeds, num_updates=settings.updates,
                                   batch=settings.rollout_batch, rollout_length=settings.rollout_length,
                                   gamma=settings.coin_discount, seed=settings.seed, callback=settings.callback)
        return train_dice(game, self, opponent, num_seeds=settings.seeds, num_updates=settings.updates,
                          batch=settings.rollout_batch, horizon=settings.rollout_length, seed=settings.seed,
                          init_std=settings.init_std)


class SampledPlay(Protocol):
    """What the DiCE learners need from a game played by sampling (one per game family).

    ``sample(key, th1, th2)`` plays a batch of episodes (gradients stopped);
    ``log_pi(th, player, episodes)`` recomputes (T, B) log-probabilities of ``player``'s
    sampled actions under parameters ``th`` (any pytree); ``reward(episodes, player)`` is (T, B).
    """

    def sample(self, key: jax.Array, th1: Any, th2: Any) -> Any: ...

    def log_pi(self, th: Any, player: int, episodes: Any) -> jax.Array: ...

    def reward(self, episodes: Any, player: int) -> jax.Array: ...


def play_objective(play: SampledPlay, th1: Any, th2: Any, episodes: Any, gamma: float, player: int,
                   baseline: bool) -> jax.Array:
    """DiCE objective of ``player`` on ``episodes`` sampled from ``play``."""
    return dice_surrogate(play.log_pi(th1, 0, episodes), play.log_pi(th2, 1, episodes),
                          play.reward(episodes, player), gamma, baseline)


def _seat(me: int, mine: Any, other: Any) -> tuple[Any, Any]:
    return (mine, other) if me == 0 else (other, mine)


def lookahead_objective(play: SampledPlay, key: jax.Array, t_me: Any, t_other: Any, episodes: Any, me: int,
                        gamma: float, lr_inner: float, baseline: bool) -> jax.Array:
    """LOLA-DiCE's outer objective (DiCE paper, Sec. 5.2), a function of ``t_me``.

    The opponent takes its naive DiCE step on ``episodes``, ``t_o' = t_o + lr_inner *
    grad_o L_o(t_me, t_o)``, which keeps its dependence on ``t_me`` (second-order DiCE
    terms); then ``L_me(t_me, t_o')`` is evaluated on a fresh batch played against ``t_o'``.
    """
    other = 1 - me
    g_o = jax.grad(lambda t_o: play_objective(play, *_seat(me, t_me, t_o), episodes, gamma, other, baseline))(t_other)
    t_o_new = jax.tree_util.tree_map(lambda p, g: p + lr_inner * g, t_other, g_o)
    pair = _seat(me, t_me, t_o_new)
    return play_objective(play, *pair, play.sample(key, *pair), gamma, me, baseline)


def learner_direction(play: SampledPlay, key: jax.Array, th1: Any, th2: Any, episodes: Any, me: int,
                      cfg: DiCEConfig, gamma: float) -> Any:
    """The ascent direction of player ``me``: ``grad L_me`` (pg) or LOLA-DiCE's look-ahead gradient."""
    mine, other = (th1, th2) if me == 0 else (th2, th1)
    if cfg.kind == "pg":
        return jax.grad(lambda t: play_objective(play, *_seat(me, t, other), episodes, gamma, me, cfg.baseline))(mine)
    return jax.grad(lambda t: lookahead_objective(play, key, t, other, episodes, me, gamma, cfg.lr_inner,
                                                  cfg.baseline))(mine)


def dice_update(play: SampledPlay, key: jax.Array, th1: Any, th2: Any, gamma: float, cfg1: DiCEConfig,
                cfg2: DiCEConfig) -> tuple[Any, Any, Any]:
    """One simultaneous update of both learners; returns (th1', th2', the shared batch)."""
    k1, k2, k3 = jax.random.split(key, 3)
    ep = play.sample(k1, th1, th2)
    d1 = learner_direction(play, k2, th1, th2, ep, 0, cfg1, gamma)
    d2 = learner_direction(play, k3, th1, th2, ep, 1, cfg2, gamma)
    step = lambda lr: lambda p, d: p + lr * d  # noqa: E731
    return (jax.tree_util.tree_map(step(cfg1.lr), th1, d1), jax.tree_util.tree_map(step(cfg2.lr), th2, d2), ep)


def _log_pi(theta: jax.Array, states: jax.Array, actions: jax.Array) -> jax.Array:
    """log pi(action | state) for memory-one logits; action 0 = cooperate."""
    logit = theta[states]
    return jnp.where(actions == 0, jax.nn.log_sigmoid(logit), jax.nn.log_sigmoid(-logit))


def sample_episodes(key: jax.Array, th1: jax.Array, th2: jax.Array, payoffs: jax.Array, batch: int,
                    horizon: int) -> tuple[jax.Array, ...]:
    """Play ``batch`` episodes of ``horizon`` steps; returns time-major (T, B) arrays.

    (states1, actions1, states2, actions2, rewards1, rewards2); states are own-view
    memory-one indices (0 = start).
    """
    p1, p2 = jax.nn.sigmoid(_sg(th1)), jax.nn.sigmoid(_sg(th2))

    def step(s1, k):
        ka, kb = jax.random.split(k)
        s2 = SWAP5[s1]
        a1 = (jax.random.uniform(ka, (batch,)) >= p1[s1]).astype(jnp.int32)
        a2 = (jax.random.uniform(kb, (batch,)) >= p2[s2]).astype(jnp.int32)
        r = payoffs[:, a1, a2]
        return 1 + 2 * a1 + a2, (s1, a1, s2, a2, r[0], r[1])

    _, out = jax.lax.scan(step, jnp.zeros(batch, jnp.int32), jax.random.split(key, horizon))
    return out


class IteratedPlay(NamedTuple):
    """Sampled play of an iterated 2x2 game by memory-one logits (a :class:`SampledPlay`)."""

    payoffs: jax.Array | None
    batch: int
    horizon: int

    def sample(self, key, th1, th2):
        if self.payoffs is None:  # the objective-only form (play_objective on given episodes)
            raise InterplayError("IteratedPlay without payoffs evaluates episodes; it cannot sample them.")
        return sample_episodes(key, th1, th2, self.payoffs, self.batch, self.horizon)

    def log_pi(self, th, player, episodes):
        return _log_pi(th, episodes[2 * player], episodes[2 * player + 1])

    def reward(self, episodes, player):
        return episodes[4 + player]


def dice_objective(th1, th2, episodes, gamma: float, player: int, baseline: bool) -> jax.Array:
    """DiCE objective (with the optional baseline) of ``player`` (0 or 1) on sampled iterated-game episodes."""
    return play_objective(IteratedPlay(None, 0, 0), th1, th2, episodes, gamma, player, baseline)


@partial(jax.jit, static_argnames=("cfg1", "cfg2", "batch", "horizon", "num_updates"))
def _train_dice(key, th1, th2, payoffs, gamma, cfg1, cfg2, batch, horizon, num_updates):
    def one_seed(k, a, b):
        def step(carry, kk):
            x, y = carry
            x2, y2, _ = dice_update(IteratedPlay(payoffs, batch, horizon), kk, x, y, gamma, cfg1, cfg2)
            return (x2, y2), (x, y)

        (x, y), (h1, h2) = jax.lax.scan(step, (a, b), jax.random.split(k, num_updates))
        return jnp.concatenate([h1, x[None]]), jnp.concatenate([h2, y[None]])

    keys = jax.random.split(key, th1.shape[0])
    return jax.vmap(one_seed)(keys, th1, th2)


def train_dice(game: Any, learner1: DiCEConfig, learner2: DiCEConfig, *, num_seeds: int = 8,
               num_updates: int = 200, batch: int = 128, horizon: int = 150, seed: int = 0,
               init_std: float = 1.0) -> LearningRun:
    """Train two sampled-play learners on an iterated 2x2 game, batched over seeds.

    ``game``: what :func:`interplay.make` returns for an iterated 2x2 game, or its
    differentiable form. The learners see only sampled actions and rewards; the exact
    values are computed afterwards to report the reward per step of the learned policies
    (the record's ``rewards``, (S, T+1, 2); ``policies`` (S, T+1, 5) per seat).
    """
    game = differentiable(game)
    if not game.iterated:
        raise InterplayError(f"train_dice plays iterated 2x2 games; {game.id} is not one.")
    key = jax.random.PRNGKey(seed)
    k_init, k_run = jax.random.split(key)
    th1, th2 = init_std * jax.random.normal(k_init, (2, num_seeds, 5))
    h1, h2 = _train_dice(k_run, th1, th2, game.payoffs, float(game.discount), learner1, learner2, batch, horizon,
                         num_updates)
    values = jax.vmap(jax.vmap(game.values))(h1, h2)
    rewards = np.asarray(values) * game.per_step
    config = {"learners": [learner1.model_dump(), learner2.model_dump()], "num_seeds": num_seeds,
              "num_updates": num_updates, "batch": batch, "horizon": horizon, "seed": seed, "init_std": init_std}
    return LearningRun((learner1.label(), learner2.label()), game.id, game.kind, "update", rewards,
                       (np.asarray(jax.nn.sigmoid(h1)), np.asarray(jax.nn.sigmoid(h2))), rewards[:, -1],
                       "reward per step after the last update", config,
                       params=(np.asarray(h1[:, -1]), np.asarray(h2[:, -1])))
