"""Iterated two-player games over any 2x2 stage game, for memory-one policies.

Conventions (tested in tests/games/test_iterated.py):

* A memory-one policy is 5 probabilities of playing action 0 ("cooperate"):
  ``[start, after CC, after CD, after DC, after DD]``, start first (the SOS and
  M-FOS order; LOLA's code puts the start logit last).
* Each player reads the last joint action from its own side, own move first:
  for the second player the global state CD (player 1 C, player 2 D) is its DC.
  So tit-for-tat is ``[1, 1, 0, 1, 0]`` for either seat, as in the Axelrod library.
* Global joint-action states are indexed 0=CC, 1=CD, 2=DC, 3=DD (player 1 first).

Exact value (e.g. Foerster et al. 2018, appendix; Letcher et al. 2019):
``V_i = p0^T (I - gamma P)^-1 r_i``, where ``p0`` is the distribution of the first
joint action, ``P[s, s']`` the probability of joint action ``s'`` after ``s`` and
``r_i`` player i's payoff per joint action. The first step is not discounted; the
average reward per step is ``(1 - gamma) V``. Everything is JAX: differentiable,
jit-able and batchable with ``vmap``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from interplay.errors import InterplayError
from interplay.games.checks import MAX_HORIZON, integer, real
from interplay.games.normal_form import NormalFormGame
from interplay.games.spec import GameSpec

#: For the second player, global state k is seen as _SWAP[k] (CD <-> DC).
SWAP = jnp.array([0, 2, 1, 3])
#: The same, on the 5-entry policy index (0 = start).
SWAP5 = jnp.array([0, 1, 3, 2, 4])


def _flip(p: jax.Array, noise: float | jax.Array) -> jax.Array:
    return p * (1.0 - noise) + (1.0 - p) * noise


def transition(p1: jax.Array, p2: jax.Array, noise: float | jax.Array = 0.0) -> tuple[jax.Array, jax.Array]:
    """(p0, P) of the Markov chain over joint actions for two memory-one policies.

    ``p1``, ``p2``: shape (5,) probabilities of action 0, in each player's own view.
    ``noise``: probability each chosen action is flipped.
    Returns p0 of shape (4,) and P of shape (4, 4), states CC, CD, DC, DD.
    """
    p1 = _flip(jnp.asarray(p1), noise)
    p2 = _flip(jnp.asarray(p2), noise)
    c1 = p1[1:]  # P(player 1 plays C | global state)
    c2 = p2[1:][SWAP]  # player 2 reads CD as DC
    P = jnp.stack([c1 * c2, c1 * (1 - c2), (1 - c1) * c2, (1 - c1) * (1 - c2)], axis=1)
    p0 = jnp.stack(
        [p1[0] * p2[0], p1[0] * (1 - p2[0]), (1 - p1[0]) * p2[0], (1 - p1[0]) * (1 - p2[0])]
    )
    return p0, P


def exact_values(
    p1: jax.Array,
    p2: jax.Array,
    payoffs: jax.Array,
    discount: float | jax.Array,
    noise: float | jax.Array = 0.0,
) -> jax.Array:
    """Exact discounted values (V1, V2), shape (2,), of two memory-one policies.

    ``payoffs``: shape (2, 2, 2), ``payoffs[i, a1, a2]``.
    """
    p0, P = transition(p1, p2, noise)
    r = jnp.asarray(payoffs).reshape(2, 4).T  # (4 states, 2 players)
    occupancy = jnp.linalg.solve((jnp.eye(4) - discount * P).T, p0)  # p0^T (I - gP)^-1
    return occupancy @ r


def average_rewards(p1: jax.Array, p2: jax.Array, payoffs: jax.Array, discount: float | jax.Array,
                    noise: float | jax.Array = 0.0) -> jax.Array:
    """Average reward per step, (1 - gamma) V."""
    return (1.0 - discount) * exact_values(p1, p2, payoffs, discount, noise)


def state_visits(p1: jax.Array, p2: jax.Array, discount: float | jax.Array,
                 noise: float | jax.Array = 0.0) -> jax.Array:
    """Normalised discounted visitation of CC, CD, DC, DD (sums to 1)."""
    p0, P = transition(p1, p2, noise)
    return (1.0 - discount) * jnp.linalg.solve((jnp.eye(4) - discount * P).T, p0)


#: Batched versions: policies of shape (B, 5).
batched_exact_values = jax.jit(jax.vmap(exact_values, in_axes=(0, 0, None, None, None)))
batched_average_rewards = jax.jit(jax.vmap(average_rewards, in_axes=(0, 0, None, None, None)))


class PlayResult(NamedTuple):
    """Sampled play of a batch of matches.

    discounted: (B, 2) discounted returns; total: (B, 2) undiscounted sums;
    length: (B,) turns played; cooperation: (B, 2) fraction of action 0;
    actions: (B, T, 2) int actions (-1 after the end) or None.
    """

    discounted: jax.Array
    total: jax.Array
    length: jax.Array
    cooperation: jax.Array
    actions: jax.Array | None

    @property
    def mean_per_turn(self) -> jax.Array:
        return self.total / jnp.maximum(self.length, 1)[:, None]


def sample_play(
    key: jax.Array,
    p1: jax.Array,
    p2: jax.Array,
    payoffs: jax.Array,
    *,
    horizon: int,
    discount: float = 1.0,
    noise: float = 0.0,
    end_prob: float = 0.0,
    record_actions: bool = False,
) -> PlayResult:
    """Play B matches at once (one array program, explicit keys).

    p1, p2: shape (B, 5) memory-one policies (or (5,), broadcast). Each match lasts
    ``horizon`` turns, or ends after each turn with probability ``end_prob``.
    """
    return _sample_play(key, jnp.atleast_2d(p1), jnp.atleast_2d(p2), jnp.asarray(payoffs, jnp.float32),
                        horizon, jnp.float32(discount), jnp.float32(noise), jnp.float32(end_prob), record_actions)


@jax.jit(static_argnums=(4, 8))
def _sample_play(key, p1, p2, payoffs, horizon, discount, noise, end_prob, record_actions):
    batch = max(p1.shape[0], p2.shape[0])
    p1 = jnp.broadcast_to(p1, (batch, 5))
    p2 = jnp.broadcast_to(p2, (batch, 5))
    k_len, k_play = jax.random.split(key)
    # match length: geometric with per-turn end probability, capped at the horizon
    u = jax.random.uniform(k_len, (batch,), minval=1e-12, maxval=1.0)
    geo = jnp.where(end_prob > 0, jnp.floor(jnp.log(u) / jnp.log1p(-jnp.minimum(end_prob, 1 - 1e-7))) + 1, horizon)
    length = jnp.minimum(geo, horizon).astype(jnp.int32)

    def turn(carry, inputs):
        state, disc_ret, total, coop = carry  # state: (B,) own-view index 0..4 for player 1
        t, k = inputs
        ka, kb, kn1, kn2 = jax.random.split(k, 4)
        s1 = state
        s2 = SWAP5[state]
        c1 = jax.random.uniform(ka, (batch,)) < jnp.take_along_axis(p1, s1[:, None], 1)[:, 0]
        c2 = jax.random.uniform(kb, (batch,)) < jnp.take_along_axis(p2, s2[:, None], 1)[:, 0]
        c1 = c1 ^ (jax.random.uniform(kn1, (batch,)) < noise)
        c2 = c2 ^ (jax.random.uniform(kn2, (batch,)) < noise)
        a1 = (~c1).astype(jnp.int32)
        a2 = (~c2).astype(jnp.int32)
        alive = (t < length).astype(jnp.float32)
        r = payoffs[:, a1, a2].T * alive[:, None]  # (B, 2)
        disc_ret = disc_ret + (discount**t) * r
        total = total + r
        coop = coop + jnp.stack([c1, c2], 1).astype(jnp.float32) * alive[:, None]
        new_state = 1 + 2 * a1 + a2
        acts = jnp.where(alive[:, None] > 0, jnp.stack([a1, a2], 1), -1)
        return (new_state, disc_ret, total, coop), (acts if record_actions else None)

    init = (jnp.zeros(batch, jnp.int32), jnp.zeros((batch, 2)), jnp.zeros((batch, 2)), jnp.zeros((batch, 2)))
    keys = jax.random.split(k_play, horizon)
    (_, disc_ret, total, coop), acts = jax.lax.scan(turn, init, (jnp.arange(horizon), keys))
    actions = None if acts is None else jnp.swapaxes(acts, 0, 1)  # None unless record_actions
    cooperation = coop / jnp.maximum(length, 1)[:, None]
    return PlayResult(disc_ret, total, length, cooperation, actions)


class IteratedState(NamedTuple):
    """Play state of one match: turn number and last global joint action (-1 at start)."""

    t: jax.Array
    last: jax.Array


@dataclass(frozen=True, eq=False)
class IteratedGame:
    """A 2x2 stage game played repeatedly.

    Attributes:
        spec: public spec (``repeated=True``, discount and horizon filled in).
        stage: the stage game.
        discount: gamma in [0, 1) for exact values and discounted returns.
        horizon: number of turns in sampled play and in the PettingZoo env.
        noise: probability each chosen action is flipped.
        end_prob: per-turn probability that a sampled match ends.
    """

    spec: GameSpec
    stage: NormalFormGame
    discount: float = 0.96
    horizon: int = 100
    noise: float = 0.0
    end_prob: float = 0.0

    @property
    def payoffs(self) -> jax.Array:
        return jnp.asarray(self.stage.payoffs, dtype=jnp.float32)

    def exact_values(self, p1: object, p2: object) -> np.ndarray:
        """Exact discounted values (V1, V2) of two memory-one policies."""
        return np.asarray(exact_values(_probs(p1), _probs(p2), self.payoffs, self.discount, self.noise))

    def average_rewards(self, p1: object, p2: object) -> np.ndarray:
        return (1.0 - self.discount) * self.exact_values(p1, p2)

    def sample(self, key: jax.Array, p1: object, p2: object, num_matches: int = 1,
               record_actions: bool = False) -> PlayResult:
        b1 = jnp.broadcast_to(jnp.atleast_2d(_probs(p1)), (num_matches, 5))
        b2 = jnp.broadcast_to(jnp.atleast_2d(_probs(p2)), (num_matches, 5))
        return sample_play(key, b1, b2, self.payoffs, horizon=self.horizon, discount=self.discount,
                           noise=self.noise, end_prob=self.end_prob, record_actions=record_actions)

    # -- the pure functional core used by the PettingZoo shell ---------------------
    def reset(self, key: jax.Array) -> tuple[jax.Array, IteratedState]:
        state = IteratedState(t=jnp.int32(0), last=jnp.int32(-1))
        return self.observe(state), state

    def observe(self, state: IteratedState) -> jax.Array:
        """Each player's own-view memory-one state index (0 = start, 1..4 = CC..DD)."""
        own = jnp.where(state.last < 0, 0, state.last + 1)
        return jnp.stack([own, SWAP5[own]])

    def step(self, key: jax.Array, state: IteratedState, actions: jax.Array):
        """Pure step: returns (obs, state, rewards, terminated, truncated)."""
        return _iterated_step(key, state, jnp.asarray(actions), self.payoffs, self.noise, self.end_prob, self.horizon)

    def observation_space(self, player: int):
        from gymnasium.spaces import Discrete

        return Discrete(5)

    def action_space(self, player: int):
        from gymnasium.spaces import Discrete

        return Discrete(2)

    def with_params(self, **changes: object) -> IteratedGame:
        new = replace(self, **changes)
        validate_iterated(new)
        return replace(new, spec=replace(new.spec, discount=new.discount, horizon=new.horizon))


@jax.jit
def _iterated_step(key, state, actions, payoffs, noise, end_prob, horizon):
    k_noise, k_end = jax.random.split(key)
    flips = jax.random.uniform(k_noise, (2,)) < noise
    actions = jnp.where(flips, 1 - actions, actions).astype(jnp.int32)
    rewards = payoffs[:, actions[0], actions[1]]
    t = state.t + 1
    new = IteratedState(t=t, last=2 * actions[0] + actions[1])
    own = new.last + 1
    obs = jnp.stack([own, SWAP5[own]])
    terminated = jax.random.uniform(k_end) < end_prob
    truncated = t >= horizon
    return obs, new, rewards, terminated, truncated


def _probs(p: object) -> jax.Array:
    arr = jnp.asarray(p, dtype=jnp.float32)
    if arr.shape[-1] != 5:
        raise InterplayError(
            f"a memory-one policy needs 5 probabilities [start, CC, CD, DC, DD], got shape {tuple(arr.shape)}."
        )
    return arr


def validate_iterated(game: IteratedGame) -> None:
    gid = game.spec.id
    if game.stage.num_actions != (2, 2):
        raise InterplayError(f"{gid}: iterated games need a 2x2 stage game, got actions {game.stage.num_actions}.")
    if not 0.0 <= game.discount < 1.0:
        raise InterplayError(f"{gid}: discount must be in [0, 1), got {game.discount}.")
    if int(game.horizon) < 1:
        raise InterplayError(f"{gid}: horizon must be a positive number of turns, got {game.horizon}.")
    if not 0.0 <= game.noise <= 0.5:
        raise InterplayError(f"{gid}: noise must be in [0, 0.5], got {game.noise}.")
    if not 0.0 <= game.end_prob < 1.0:
        raise InterplayError(f"{gid}: end_prob must be in [0, 1), got {game.end_prob}.")


def iterated(stage: NormalFormGame, *, id: str, discount: float = 0.96, horizon: int = 100,
             noise: float = 0.0, end_prob: float = 0.0) -> IteratedGame:
    """Build an :class:`IteratedGame` from a 2x2 stage game, validating the parameters."""
    discount = real(id, "discount", discount, 0.0, 1.0, hi_open=True)
    horizon = integer(id, "horizon", horizon, 1, MAX_HORIZON)
    noise = real(id, "noise", noise, 0.0, 0.5)
    end_prob = real(id, "end_prob", end_prob, 0.0, 1.0, hi_open=True)
    spec = replace(
        stage.spec,
        id=id,
        name=f"Iterated {stage.spec.name.lower()}",
        repeated=True,
        discount=float(discount),
        horizon=int(horizon),
        description=(stage.spec.description + f" The game is repeated: each further round is "
                     f"discounted by {discount}; sampled play lasts {horizon} rounds."),
    )
    game = IteratedGame(spec=spec, stage=stage, discount=float(discount), horizon=int(horizon),
                        noise=float(noise), end_prob=float(end_prob))
    validate_iterated(game)
    return game
