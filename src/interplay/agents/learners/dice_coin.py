"""PG and LOLA-DiCE learners on the coin game, from sampled, batched play.

The learners of :mod:`interplay.agents.learners.dice` (the DiCE objective with the magic
box and Mao et al.'s baseline, and LOLA-DiCE's look-ahead through the opponent's DiCE
step; Foerster et al. 2018, "DiCE: The Infinitely Differentiable Monte Carlo Estimator",
Sec. 5.2) with policies over the coin game's own-view observation (Lerer & Peysakhovich
2017; LOLA's coin-game setting, Foerster et al. 2018, Sec. 4.3): a softmax over the moves
whose logits are a linear map, or a small tanh MLP, of the flattened one-hot grid
``[me, other, my coin, other's coin]``. Only :class:`CoinPlay` (how to sample a batch of
episodes and recompute log-probabilities) is specific to the coin game; the objective and
the look-ahead are the shared ones.

Each update plays ``batch`` fresh episodes of ``horizon`` steps from ``reset`` (a
``lax.scan`` over steps of the game's step batched with ``vmap``), and seeds run at once
under ``vmap``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from interplay.agents.learners.dice import DiCEConfig, dice_update
from interplay.errors import InterplayError
from interplay.games.coin_game import CoinGame, coin_metrics

_sg = jax.lax.stop_gradient


def init_policy(key: jax.Array, obs_size: int, num_actions: int, hidden: tuple[int, ...] = ()) -> list[dict]:
    """Layers ``[{"w", "b"}, ...]`` of a policy; the last layer starts at zero (uniform moves)."""
    sizes = (obs_size, *hidden, num_actions)
    keys = jax.random.split(key, len(sizes) - 1)
    layers = []
    for i, (k, m, n) in enumerate(zip(keys, sizes[:-1], sizes[1:], strict=True)):
        scale = 0.0 if i == len(sizes) - 2 else 1.0 / np.sqrt(m)
        layers.append({"w": scale * jax.random.normal(k, (m, n)), "b": jnp.zeros(n)})
    return layers


def policy_logits(params: list[dict], obs: jax.Array) -> jax.Array:
    """Move logits for observations (..., obs_size)."""
    x = obs
    for layer in params[:-1]:
        x = jnp.tanh(x @ layer["w"] + layer["b"])
    return x @ params[-1]["w"] + params[-1]["b"]


class CoinEpisodes(NamedTuple):
    """A batch of coin-game episodes, time-major: obs (T, B, 2, D), actions (T, B, 2),
    rewards (T, B, 2); picks (B, 2, 2) coins of [owner] picked by [agent] over the episode."""

    obs: jax.Array
    actions: jax.Array
    rewards: jax.Array
    picks: jax.Array


class CoinPlay(NamedTuple):
    """Sampled play of a coin game by two policies (a :class:`~interplay.agents.learners.dice.SampledPlay`)."""

    game: CoinGame
    batch: int
    horizon: int

    def sample(self, key: jax.Array, th1: Any, th2: Any) -> CoinEpisodes:
        params = (_sg(th1), _sg(th2))
        k_reset, k_run = jax.random.split(key)
        obs, state = jax.vmap(self.game.reset)(jax.random.split(k_reset, self.batch))

        def step(carry, k):
            obs, state = carry
            ka, ks = jax.random.split(k)
            logits = jnp.stack([policy_logits(params[i], obs[:, i]) for i in range(2)], axis=1)
            actions = jax.random.categorical(ka, logits)
            new_obs, state, rewards, _, _ = self.game.step_batch(ks, state, actions)
            return (new_obs, state), (obs, actions, rewards)

        (_, end), (o, a, r) = jax.lax.scan(step, (obs, state), jax.random.split(k_run, self.horizon))
        return CoinEpisodes(o, a, r, end.picks)

    def log_pi(self, th: Any, player: int, episodes: CoinEpisodes) -> jax.Array:
        logp = jax.nn.log_softmax(policy_logits(th, episodes.obs[:, :, player]))
        return jnp.take_along_axis(logp, episodes.actions[:, :, player, None], axis=-1)[..., 0]

    def reward(self, episodes: CoinEpisodes, player: int) -> jax.Array:
        return episodes.rewards[:, :, player]


@partial(jax.jit, static_argnames=("play", "cfg1", "cfg2", "num_updates"))
def _train(key, th1, th2, play: CoinPlay, gamma, cfg1: DiCEConfig, cfg2: DiCEConfig, num_updates: int):
    def one_seed(k, a, b):
        def step(carry, kk):
            x, y = carry
            x2, y2, ep = dice_update(play, kk, x, y, gamma, cfg1, cfg2)
            return (x2, y2), (ep.picks.sum(axis=0), ep.rewards.mean(axis=(0, 1)))

        return jax.lax.scan(step, (a, b), jax.random.split(k, num_updates))

    return jax.vmap(one_seed)(jax.random.split(key, jax.tree_util.tree_leaves(th1)[0].shape[0]), th1, th2)


@dataclass(frozen=True)
class DiCECoinRun:
    """Per seed and update, on the batch each update was computed from: picks (S, U, 2, 2)
    (coins of [owner] picked by [agent], summed over the batch), mean reward per step
    (S, U, 2); ``params``: the final policies (pytrees with a leading seed axis)."""

    picks: np.ndarray
    rewards: np.ndarray
    params: tuple[Any, Any]
    steps_per_update: int

    def own_coin_rate(self) -> np.ndarray:
        """(U, 2) fraction of the coins each agent picked that were its own, over seeds."""
        p = self.picks.sum(axis=0)
        own = np.stack([p[:, 0, 0], p[:, 1, 1]], axis=1)
        return own / np.maximum(p.sum(axis=2), 1)

    def coins_per_step(self) -> np.ndarray:
        """(S, U, 2) coins each agent picked per environment step."""
        return self.picks.sum(axis=3) / self.steps_per_update

    def metrics(self, last: int = 10) -> dict[str, object]:
        """Coin-game metrics over the last ``last`` updates of every seed."""
        return coin_metrics(self.picks[:, -last:], self.rewards[:, -last:])


def train_dice_coin(game: CoinGame, learner1: DiCEConfig, learner2: DiCEConfig, *, num_seeds: int = 4,
                    num_updates: int = 100, batch: int = 64, horizon: int | None = None, gamma: float = 0.96,
                    seed: int = 0) -> DiCECoinRun:
    """Train two sampled-play learners (``pg`` or ``lola-dice``) on a coin game, batched over seeds.

    ``horizon`` is the rollout length (default: the game's horizon); every update plays
    ``batch`` fresh episodes per seed.
    """
    if not isinstance(game, CoinGame):
        raise InterplayError(f"train_dice_coin plays the coin game; got {type(game).__name__}.")
    if not 0.0 < gamma <= 1.0:
        raise InterplayError(f"train_dice_coin: gamma must be in (0, 1], got {gamma}.")
    horizon = int(horizon or game.horizon)
    key = jax.random.PRNGKey(seed)
    k1, k2, k_run = jax.random.split(key, 3)
    init = lambda k, cfg: jax.vmap(lambda kk: init_policy(kk, game.obs_size, game.num_actions, cfg.hidden))(  # noqa: E731
        jax.random.split(k, num_seeds))
    th1, th2 = init(k1, learner1), init(k2, learner2)
    play = CoinPlay(game, int(batch), horizon)
    (p1, p2), (picks, rewards) = _train(k_run, th1, th2, play, float(gamma), learner1, learner2, int(num_updates))
    return DiCECoinRun(np.asarray(picks), np.asarray(rewards), (p1, p2), int(batch) * horizon)
