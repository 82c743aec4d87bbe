"""Independent PPO learners on the coin game (each agent ignores that the other learns).

Each agent has its own actor-critic (:mod:`interplay.agents.learners.ppo`) over its own-view
observation; both act in ``num_envs`` coin games at once; after each batch of
``rollout_length`` steps each agent takes a PPO update on its own rewards. This is the
independent-learning baseline of the coin-game literature (selfish agents that end up
taking each other's coins: own-coin rate near 0.5). Training is batched over seeds and
returns the shared :class:`~interplay.agents.learners.protocol.LearningRun`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from interplay.agents.learners import ppo
from interplay.agents.learners.ppo import PPOConfig
from interplay.agents.learners.protocol import LearningRun
from interplay.errors import InterplayError
from interplay.games.coin_game import CoinGame, coin_metrics


def _coin_ppo() -> PPOConfig:
    return PPOConfig(lr=2.5e-3, gamma=0.96, gae_lambda=0.95, epochs=2, minibatches=4, entropy_coef=0.01,
                     hidden=(64,))


class IndependentPPOConfig(BaseModel):
    """Two independent PPO learners on a coin game."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    iterations: int = Field(default=100, ge=1, description="PPO updates per agent")
    num_envs: int = Field(default=256, ge=4, description="coin games played in parallel")
    rollout_length: int = Field(default=32, ge=2, description="steps per batch (episodes continue across batches)")
    ppo: PPOConfig = Field(default_factory=_coin_ppo, description="PPO settings (both agents)")


def train_independent_ppo(game: CoinGame, config: IndependentPPOConfig | None = None, seed: int = 0,
                          callback: Callable[[int, dict[str, object]], None] | None = None, *,
                          num_seeds: int = 4) -> LearningRun:
    """Train two independent PPO agents on a (batched) coin game, batched over ``num_seeds`` seeds.

    The record has, per seed and PPO iteration, on that iteration's training batch: ``picks``
    (S, I, 2, 2) coins of [owner] picked by [agent], summed over the batch; ``rewards``
    (S, I, 2) mean reward per step; the headline the reward per step over the last tenth of
    the iterations; ``params`` the two agents' actor-critics (leading seed axis); ``env_steps``
    and ``seconds`` the steps and wall time of every iteration but the first (which compiles).
    ``callback(iteration, info)`` after each iteration, with the coin-game metrics of that
    batch pooled over the seeds.
    """
    if not isinstance(game, CoinGame):
        raise InterplayError(f"train_independent_ppo plays the coin game; got {type(game).__name__}. Build one "
                             "with interplay.make('coin-game-v1').")
    if int(num_seeds) < 1 or int(num_seeds) != num_seeds:
        raise InterplayError(f"train_independent_ppo: num_seeds must be a positive integer, got {num_seeds!r}.")
    cfg = config or IndependentPPOConfig()
    pcfg = cfg.ppo
    n = cfg.num_envs
    opt = ppo.make_optimizer(pcfg)

    def init(key: jax.Array):
        k1, k2, k_env = jax.random.split(key, 3)
        params = (ppo.init_actor_critic(k1, game.obs_size, game.num_actions, pcfg.hidden),
                  ppo.init_actor_critic(k2, game.obs_size, game.num_actions, pcfg.hidden))
        obs, state = game.reset_batch(k_env, n)
        return params, (opt.init(params[0]), opt.init(params[1])), obs, state

    def iteration(params, opt_states, obs, state, key):
        def step(carry, k):
            obs, state = carry
            ka, kb, ks, kr = jax.random.split(k, 4)
            vals, acts, logps = [], [], []
            for i, kk in ((0, ka), (1, kb)):
                out, v = ppo.policy_and_value(params[i], obs[:, i])
                a = ppo.sample_action(kk, params[i], out)
                vals.append(v)
                acts.append(a)
                logps.append(ppo.log_prob(params[i], out, a))
            actions = jnp.stack(acts, axis=1)
            before = state.picks
            new_obs, state, rew, _, trunc = game.step_batch(ks, state, actions)
            gained = state.picks - before  # coins picked in this step, per [agent, owner]
            # an episode that hit the horizon starts again
            fresh_obs, fresh = jax.vmap(game.reset)(jax.random.split(kr, n))
            done = trunc
            state = jax.tree_util.tree_map(lambda f, s: jnp.where(done.reshape((-1,) + (1,) * (s.ndim - 1)), f, s),
                                           fresh, state)
            new_obs = jnp.where(done[:, None, None], fresh_obs, new_obs)
            rec = (obs, actions, jnp.stack(logps, 1), jnp.stack(vals, 1), rew, done.astype(jnp.float32))
            return (new_obs, state), (rec, gained)

        k_roll, k_u1, k_u2 = jax.random.split(key, 3)
        (obs_end, state_end), (traj, gained) = jax.lax.scan(step, (obs, state),
                                                           jax.random.split(k_roll, cfg.rollout_length))
        obs_t, act_t, logp_t, val_t, rew_t, done_t = traj
        new_params, new_opts = [], []
        for i, k in ((0, k_u1), (1, k_u2)):
            last_v = ppo.policy_and_value(params[i], obs_end[:, i])[1]
            adv, ret = ppo.gae(rew_t[..., i], val_t[..., i], done_t, last_v, pcfg.gamma, pcfg.gae_lambda)
            batch = ppo.Batch(obs_t[:, :, i].reshape(-1, game.obs_size), act_t[..., i].reshape(-1),
                              logp_t[..., i].reshape(-1), adv.reshape(-1), ret.reshape(-1))
            p, o, _ = ppo.ppo_update(params[i], opt_states[i], batch, k, pcfg, opt)
            new_params.append(p)
            new_opts.append(o)
        return ((new_params[0], new_params[1]), (new_opts[0], new_opts[1]), obs_end, state_end,
                gained.sum(axis=(0, 1)), rew_t.mean(axis=(0, 1)))

    keys = jax.random.split(jax.random.PRNGKey(seed), int(num_seeds))
    params, opt_states, obs, state = jax.vmap(init)(keys)
    keys = jax.vmap(lambda k: jax.random.fold_in(k, 1))(keys)  # the iterations' keys, apart from the init's
    batched = jax.jit(jax.vmap(iteration))  # over the seeds
    picks, rewards = [], []
    seconds = 0.0
    for it in range(cfg.iterations):
        step_keys = jax.vmap(jax.random.fold_in, in_axes=(0, None))(keys, it)
        t0 = time.perf_counter()
        params, opt_states, obs, state, gained, mean_rew = batched(params, opt_states, obs, state, step_keys)
        p, r = np.asarray(gained), np.asarray(mean_rew)  # (S, 2, 2), (S, 2)
        if it > 0:  # the first iteration includes compilation
            seconds += time.perf_counter() - t0
        picks.append(p)
        rewards.append(r)
        if callback is not None:
            callback(it, coin_metrics(p, r))
    picks_arr, rewards_arr = np.stack(picks, axis=1), np.stack(rewards, axis=1)
    last = max(1, cfg.iterations // 10)
    steps_per_update = n * cfg.rollout_length
    config_dict = {"learners": [cfg.model_dump(), cfg.model_dump()], "num_seeds": int(num_seeds), "seed": seed}
    return LearningRun(("PPO", "PPO"), game.spec.id, "coin", "update", rewards_arr, None,
                       rewards_arr[:, -last:].mean(axis=1), f"reward per step over the last {last} updates",
                       config_dict, params=params, picks=picks_arr, steps_per_update=steps_per_update,
                       env_steps=max(cfg.iterations - 1, 0) * steps_per_update * int(num_seeds), seconds=seconds)
