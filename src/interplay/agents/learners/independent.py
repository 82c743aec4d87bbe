"""Independent PPO learners on the coin game (each agent ignores that the other learns).

Each agent has its own actor-critic (:mod:`interplay.agents.learners.ppo`) over its own-view
observation; both act in ``num_envs`` coin games at once; after each batch of
``rollout_length`` steps each agent takes a PPO update on its own rewards. This is the
independent-learning baseline of the coin-game literature (selfish agents that end up
taking each other's coins: own-coin rate near 0.5).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from interplay.agents.learners import ppo
from interplay.agents.learners.ppo import PPOConfig
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


@dataclass(frozen=True)
class IndependentPPORun:
    """Per iteration: picks (I, 2, 2) coins of [owner] picked by [agent] in that batch, and
    mean reward per step (I, 2)."""

    params: tuple[Any, ...]  # the two agents' actor-critic parameters
    picks: np.ndarray
    rewards: np.ndarray

    def metrics(self, last: int = 10) -> dict[str, object]:
        """Coin-game metrics over the last ``last`` iterations."""
        return coin_metrics(self.picks[-last:], self.rewards[-last:])


def train_independent_ppo(game: CoinGame, config: IndependentPPOConfig | None = None, seed: int = 0,
                          callback: Callable[[int, dict[str, object]], None] | None = None) -> IndependentPPORun:
    """Train two independent PPO agents on a (batched) coin game."""
    cfg = config or IndependentPPOConfig()
    pcfg = cfg.ppo
    key = jax.random.PRNGKey(seed)
    key, k1, k2, k_env = jax.random.split(key, 4)
    params = tuple(ppo.init_actor_critic(k, game.obs_size, game.num_actions, pcfg.hidden) for k in (k1, k2))
    opt = ppo.make_optimizer(pcfg)
    opt_states = tuple(opt.init(p) for p in params)
    obs, state = game.reset_batch(k_env, cfg.num_envs)
    n = cfg.num_envs

    @jax.jit
    def iteration(params, opt_states, obs, state, key):
        def step(carry, k):
            obs, state = carry
            ka, kb, ks, kr = jax.random.split(k, 4)
            outs, vals, acts, logps = [], [], [], []
            for i, kk in ((0, ka), (1, kb)):
                out, v = ppo.policy_and_value(params[i], obs[:, i])
                a = ppo.sample_action(kk, params[i], out)
                outs.append(out)
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
        return tuple(new_params), tuple(new_opts), obs_end, state_end, gained.sum(axis=(0, 1)), rew_t.mean(axis=(0, 1))

    picks, rewards = [], []
    for it in range(cfg.iterations):
        key, k = jax.random.split(key)
        params, opt_states, obs, state, gained, mean_rew = iteration(params, opt_states, obs, state, k)
        picks.append(np.asarray(gained))
        rewards.append(np.asarray(mean_rew))
        if callback is not None:
            callback(it, coin_metrics(picks[-1], rewards[-1]))
    return IndependentPPORun(params, np.asarray(picks), np.asarray(rewards))
