"""PG and LOLA-DiCE with feed-forward policies on the coin game.

The learners of :mod:`interplay.agents.learners.dice` (the DiCE objective with the magic
box and Mao et al.'s baseline, and LOLA-DiCE's look-ahead through the opponent's DiCE
step; Foerster et al. 2018, "DiCE: The Infinitely Differentiable Monte Carlo Estimator",
Sec. 5.2) with policies over the coin game's own-view observation (Lerer & Peysakhovich
2017; LOLA's coin-game setting, Foerster et al. 2018, Sec. 4.3): a softmax over the moves
whose logits are a linear map, or a small tanh MLP, of the flattened one-hot grid
``[me, other, my coin, other's coin]``.

There is one coin-game trainer, :func:`interplay.agents.learners.pola.train_pola_coin`
(its sampler, its update loop); :func:`train_dice_coin` is it with this module's defaults,
and :class:`CoinPlay` is its sampler seen as a
:class:`~interplay.agents.learners.dice.SampledPlay`, so the shared DiCE objective and
look-ahead of :mod:`interplay.agents.learners.dice` apply to the coin game as they are.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from interplay.agents.learners.dice import DiCEConfig
from interplay.agents.learners.pola import init_policy, policy_logits, sample, train_pola_coin
from interplay.agents.learners.protocol import LearningRun
from interplay.errors import InterplayError
from interplay.games.coin_game import CoinGame

__all__ = ["CoinEpisodes", "CoinPlay", "init_policy", "policy_logits", "train_dice_coin"]


class CoinEpisodes(NamedTuple):
    """A batch of coin-game episodes, time-major: obs (T, B, 2, D), actions (T, B, 2),
    rewards (T, B, 2); picks (B, 2, 2) coins of [owner] picked by [agent] over the episode."""

    obs: jax.Array
    actions: jax.Array
    rewards: jax.Array
    picks: jax.Array


class CoinPlay(NamedTuple):
    """Sampled play of a coin game by two feed-forward policies (a
    :class:`~interplay.agents.learners.dice.SampledPlay`), through the trainer's sampler."""

    game: CoinGame
    batch: int
    horizon: int

    def sample(self, key: jax.Array, th1: Any, th2: Any) -> CoinEpisodes:
        ep = sample(self.game, key, {"layers": th1}, {"layers": th2}, self.batch, self.horizon)
        return CoinEpisodes(ep.obs[:-1], ep.actions, ep.rewards, ep.picks)

    def log_pi(self, th: Any, player: int, episodes: CoinEpisodes) -> jax.Array:
        logp = jax.nn.log_softmax(policy_logits(th, episodes.obs[:, :, player]))
        return jnp.take_along_axis(logp, episodes.actions[:, :, player, None], axis=-1)[..., 0]

    def reward(self, episodes: CoinEpisodes, player: int) -> jax.Array:
        return episodes.rewards[:, :, player]


def train_dice_coin(game: Any, learner1: DiCEConfig, learner2: DiCEConfig, *, num_seeds: int = 4,
                    num_updates: int = 100, batch: int = 64, horizon: int | None = None, gamma: float = 0.96,
                    seed: int = 0) -> LearningRun:
    """Train two sampled-play learners (``pg`` or ``lola-dice``) on a coin game, batched over seeds.

    ``horizon`` is the rollout length (default: the game's horizon); every update plays
    fresh batches of ``batch`` episodes per seed. The same as
    :func:`~interplay.agents.learners.pola.train_pola_coin` (whose record it returns).
    """
    if not isinstance(game, CoinGame):
        raise InterplayError(f"train_dice_coin plays the coin game; got {type(game).__name__}. Build one with "
                             "interplay.make('coin-game-v1').")
    return train_pola_coin(game, learner1, learner2, num_seeds=num_seeds, num_updates=num_updates, batch=batch,
                           rollout_length=int(horizon or game.horizon), gamma=gamma, seed=seed)
