"""M-FOS, model-free opponent shaping (Lu et al. 2022, ICML), on exact iterated games.

The meta-game (Lu et al. 2022, Sec. 4 and Algorithm 1): one meta-episode is a whole
learning run of the opponent. At meta-step t the meta-agent observes both inner
policies (its own last memory-one policy and the opponent's, 10 probabilities), and
outputs its next inner policy as 5 logits (a Gaussian action). Both inner policies play
the exact iterated game; the meta-agent's reward is its average reward per step
``(1 - gamma) V``; then the opponent takes one learning step (a naive learner with lr 1 by
default, or any exact-gradient learner of :mod:`interplay.agents.learners.exact`). A
meta-episode lasts ``meta_steps`` opponent updates (100 in the paper) from an opponent
drawn from N(0, 1) logits. The meta-policy is trained with PPO
(:mod:`interplay.agents.learners.ppo`) over batches of parallel meta-episodes, outer gamma
0.99.

Reported metric, as in the paper's tables: reward per step averaged over all meta-steps
of an episode (not only the last).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import jax
import jax.numpy as jnp
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from interplay.agents.learners import ppo
from interplay.agents.learners.differentiable import DifferentiableGame, differentiable, value_function
from interplay.agents.learners.exact import FixedPolicy, NaiveLearner, _step_with, coefficients
from interplay.agents.learners.ppo import PPOConfig
from interplay.agents.learners.protocol import LearnerOptions, LearningRun
from interplay.errors import InterplayError


def _default_ppo() -> PPOConfig:
    return PPOConfig(lr=5e-3, gamma=0.99, gae_lambda=0.95, epochs=4, minibatches=4, entropy_coef=0.01,
                     max_grad_norm=1.0)


class MFOSConfig(LearnerOptions, BaseModel):
    """M-FOS settings.

    Lu et al. 2022 use PPO with lr about 0.002, outer gamma 0.99 and 100 meta-steps; we keep
    gamma and the meta-steps, and use lr 0.005 with 64 parallel meta-episodes per iteration,
    an entropy bonus of 0.01 and a meta-policy std starting at 1 (log std 0).

    One PPO training run on the IPD sometimes stalls for hundreds of iterations on a plateau
    (M-FOS about -1.1 to -1.5 per step) before it finds extortion, and whether a given seed
    stalls depends on the machine's floating point (the training is chaotic). So ``restarts``
    independent meta-agents are trained side by side (one vmapped program) and the one with
    the best *training* reward over the last tenth of the iterations is kept: selection uses
    only the meta-agent's own objective on its training opponents, never the evaluation.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    short: ClassVar[str] = "M-FOS"
    family: ClassVar[str] = "meta"
    opponents: ClassVar[frozenset[str]] = frozenset({"exact"})
    forms: ClassVar[frozenset[str]] = frozenset({"iterated"})
    first_seat_only: ClassVar[bool] = True

    kind: Literal["mfos"] = "mfos"
    iterations: int = Field(default=600, ge=1, description="PPO iterations, each on a batch of meta-episodes")
    episodes: int = Field(default=64, ge=4, description="parallel meta-episodes (opponents) per iteration")
    meta_steps: int = Field(default=100, ge=2, description="opponent learning steps per meta-episode")
    reward_scale: float = Field(default=0.1, gt=0, description="PPO sees reward per step times this")
    init_std: float = Field(default=1.0, ge=0, description="std of the opponent's initial logits")
    init_log_std: float = Field(default=0.0, description="initial log std of the meta-policy's Gaussian over logits")
    restarts: int = Field(default=4, ge=1, description="independent meta-agents trained in parallel; the best by "
                                               "training reward over the last tenth of iterations is kept")
    ppo: PPOConfig = Field(default_factory=_default_ppo, description="PPO settings of the meta-agent")

    def check_rules(self, game: Any, opponent: Any, where: str) -> None:
        if not opponent.learns:
            raise InterplayError(f"{where}: M-FOS shapes a learner; its opponent cannot be fixed.")

    def train(self, game: Any, opponent: Any, settings: Any) -> LearningRun:
        """Train a meta-agent whose episodes last ``settings.updates`` opponent updates, then play
        ``settings.seeds`` fresh opponents; the record is that evaluation."""
        cfg = self.model_copy(update={"meta_steps": settings.updates})
        return train_mfos(game, opponent, cfg, seed=settings.seed, callback=settings.callback,
                          num_seeds=settings.seeds, eval_seed=settings.eval_seed)


def _meta_step_fn(game: DifferentiableGame, opponent) -> Callable:
    values = value_function(game.kind, game.payoffs, jnp.float32(game.discount))
    coef_me = coefficients(FixedPolicy(policy="Cooperator"))  # the meta-agent does not learn by gradient
    coef_opp = coefficients(opponent)
    naive = opponent.kind == "naive"
    per_step = game.per_step

    def step(me_logits, opp):
        v = values(me_logits, opp)
        if naive:
            d = opponent.lr * jax.grad(lambda b: values(me_logits, b)[1])(opp)
        else:
            d = _step_with(values, me_logits, opp, coef_me, coef_opp)[1]
        return opp + d, v * per_step

    return step


def _obs(prev_me: jax.Array, opp_logits: jax.Array, frac: jax.Array) -> jax.Array:
    """Meta-state: both inner policies (M-FOS, Sec. 4) and the fraction of the episode elapsed.

    The time feature lets the critic predict the return of a finite meta-episode (Pardo et
    al. 2018, "Time limits in reinforcement learning").
    """
    time = jnp.broadcast_to(frac, prev_me.shape[:-1] + (1,))
    return jnp.concatenate([prev_me, jax.nn.sigmoid(opp_logits), time], axis=-1)


def _rollout(params, key, game_step, episodes, meta_steps, init_std, deterministic):
    """Run ``episodes`` meta-episodes; time-major outputs."""
    k_opp, k_me, k_act = jax.random.split(key, 3)
    opp = init_std * jax.random.normal(k_opp, (episodes, 5))
    prev = jax.nn.sigmoid(jax.random.normal(k_me, (episodes, 5)))

    def t_step(carry, xs):
        opp, prev = carry
        k, t = xs
        obs = _obs(prev, opp, t / meta_steps)
        out, value = ppo.policy_and_value(params, obs)
        act = out if deterministic else ppo.sample_action(k, params, out)
        # PPO sees the sampled action; the game sees it clipped. (Log-probabilities of clipped
        # actions far from a drifting mean overflow the probability ratio: NaN after ~300 iterations.)
        logp = ppo.log_prob(params, out, act)
        logits = jnp.clip(act, -10.0, 10.0)
        new_opp, rew = jax.vmap(game_step)(logits, opp)
        me = jax.nn.sigmoid(logits)
        return (new_opp, me), (obs, act, logp, value, rew, me, jax.nn.sigmoid(opp))

    xs = (jax.random.split(k_act, meta_steps), jnp.arange(meta_steps, dtype=jnp.float32))
    (opp, prev), traj = jax.lax.scan(t_step, (opp, prev), xs)
    last_value = ppo.policy_and_value(params, _obs(prev, opp, jnp.float32(1.0)))[1]
    return traj, last_value


@dataclass(frozen=True)
class MFOSAgent:
    """A trained meta-agent: PPO parameters plus what it was trained on (``extras["agent"]`` of
    the :class:`LearningRun` that :func:`train_mfos` returns; :meth:`evaluate` plays it again)."""

    params: Any
    game: DifferentiableGame
    opponent: Any
    config: MFOSConfig
    curve: np.ndarray  # (iterations, 2) mean reward per step of (M-FOS, opponent) per iteration, kept agent
    restart_curves: np.ndarray | None = None  # (restarts, iterations, 2), every restart's curve

    def evaluate(self, num_seeds: int = 50, seed: int = 1, deterministic: bool = True,
                 meta_steps: int | None = None) -> LearningRun:
        """Play fresh opponents (N(0, init_std) logits) for ``meta_steps`` learning steps.

        The record (S seeds, T meta-steps): ``policies`` the inner policies of M-FOS and of
        its opponent at each meta-step (S, T, 5), own view, start first; ``rewards`` (S, T, 2)
        their average reward per step; the headline is the paper's metric, the reward per
        step averaged over the meta-steps of each episode; ``extras``: the training curves and
        the meta-agent itself (``agent``).
        """
        steps = meta_steps or self.config.meta_steps
        game_step = _meta_step_fn(self.game, self.opponent)
        run = jax.jit(lambda p, k: _rollout(p, k, game_step, num_seeds, steps, self.config.init_std, deterministic))
        traj, _ = run(self.params, jax.random.PRNGKey(seed))
        _, _, _, _, rew, me, opp = (np.asarray(x) for x in traj)
        rewards = np.swapaxes(rew, 0, 1)
        config = {"learners": [self.config.model_dump(), self.opponent.model_dump()], "num_seeds": num_seeds,
                  "meta_steps": steps, "deterministic": deterministic, "seed": seed}
        return LearningRun(("M-FOS", self.opponent.label()), self.game.id, "iterated",
                           "meta-step (opponent update)", rewards, (np.swapaxes(me, 0, 1), np.swapaxes(opp, 0, 1)),
                           rewards.mean(axis=1), "mean over meta-steps", config, params=(self.params, None),
                           extras={"training_curve": self.curve, "restart_curves": self.restart_curves,
                                   "agent": self})


def train_mfos(game: Any, opponent=None, config: MFOSConfig | None = None, seed: int = 0,
               callback: Callable[[int, dict[str, float]], None] | None = None, *, num_seeds: int = 50,
               eval_seed: int | None = None) -> LearningRun:
    """Train an M-FOS meta-agent against a learning opponent on an exact iterated game, then play
    it against ``num_seeds`` fresh opponents (master seed ``eval_seed``, default ``seed + 1``).

    ``game``: what :func:`interplay.make` returns for an iterated 2x2 game, or its
    differentiable form. Returns the evaluation as the :class:`LearningRun` every learner
    returns (see :meth:`MFOSAgent.evaluate`); ``extras["agent"]`` is the trained meta-agent
    (parameters, training curves of the kept restart and of all restarts), to evaluate again.

    ``callback(iteration, info)`` is called after each PPO iteration (for progress bars and
    metrics) with the batch's mean reward per step of both players (mean over the restarts)
    and the best restart's M-FOS reward. The agent returned is the restart chosen by
    :func:`select_restart`.
    """
    game = differentiable(game)
    if not game.iterated:
        raise InterplayError(f"M-FOS here plays iterated 2x2 games with memory-one policies; {game.id} is not one.")
    opponent = opponent or NaiveLearner()
    cfg = config or MFOSConfig()
    pcfg = cfg.ppo
    key = jax.random.PRNGKey(seed)
    key, k_init = jax.random.split(key)
    init_keys = jax.random.split(k_init, cfg.restarts)
    params = jax.vmap(lambda k: ppo.init_actor_critic(k, 11, 5, pcfg.hidden, continuous=True,
                                                      init_log_std=cfg.init_log_std))(init_keys)
    optimizer = ppo.make_optimizer(pcfg)
    opt_state = jax.vmap(optimizer.init)(params)
    game_step = _meta_step_fn(game, opponent)

    def one_iteration(params, opt_state, key):
        k_roll, k_upd = jax.random.split(key)
        traj, last_value = _rollout(params, k_roll, game_step, cfg.episodes, cfg.meta_steps, cfg.init_std, False)
        obs, act, logp, value, rew, _, _ = traj
        r = rew[..., 0] * cfg.reward_scale
        dones = jnp.zeros_like(r).at[-1].set(1.0)
        adv, ret = ppo.gae(r, value, dones, last_value, pcfg.gamma, pcfg.gae_lambda)
        flat = lambda x: x.reshape((-1, *x.shape[2:]))  # noqa: E731
        batch = ppo.Batch(flat(obs), flat(act), flat(logp), flat(adv), flat(ret))
        params, opt_state, info = ppo.ppo_update(params, opt_state, batch, k_upd, pcfg, optimizer)
        return params, opt_state, rew.mean(axis=(0, 1)), info

    iteration = jax.jit(jax.vmap(one_iteration))  # over the restarts

    curves = []
    for i in range(cfg.iterations):
        key, k = jax.random.split(key)
        params, opt_state, mean_rew, info = iteration(params, opt_state, jax.random.split(k, cfg.restarts))
        mean_rew = np.asarray(mean_rew)  # (restarts, 2)
        curves.append(mean_rew)
        if callback is not None:
            callback(i, {"mfos_reward": float(mean_rew[:, 0].mean()), "opponent_reward": float(mean_rew[:, 1].mean()),
                         "mfos_reward_best": float(mean_rew[:, 0].max()),
                         **{k2: float(np.mean(v)) for k2, v in info.items()}})
    curves_arr = np.stack(curves, axis=1)  # (restarts, iterations, 2)
    best = select_restart(curves_arr)
    kept = jax.tree_util.tree_map(lambda x: x[best], params)
    agent = MFOSAgent(kept, game, opponent, cfg, curves_arr[best], restart_curves=curves_arr)
    return agent.evaluate(num_seeds=num_seeds, seed=seed + 1 if eval_seed is None else eval_seed)


def select_restart(curves: np.ndarray) -> int:
    """Index of the restart with the best M-FOS training reward over the last tenth of iterations
    (one whose curve is not finite there is never chosen while another is).

    ``curves``: (restarts, iterations, 2) mean reward per step of (M-FOS, opponent) per iteration.
    """
    tail = max(1, curves.shape[1] // 10)
    score = curves[:, -tail:, 0].mean(axis=1)
    return int(np.argmax(np.where(np.isfinite(score), score, -np.inf)))  # a diverged restart is never kept
