"""Two Stratego bots as pure policies ``(key, observation, legal_mask) -> action``.

They read only what the player sees (the observation of :func:`core.observe`), so they
batch with ``vmap`` and can sit in either seat.

* :func:`random_policy`: a uniformly random legal move.
* :func:`heuristic_policy`: scores every legal move and plays the best (ties broken at
  random). The score, from the mover's side:

  - attack a revealed enemy piece: +10 + its strength if the mover wins (the flag counts
    100), +1 for an even trade, -20 if the mover loses;
  - attack an unknown enemy piece: a scout probing it +3; a miner +2 if the piece has never
    moved (it may be a bomb), else +1; the spy -5; a major or stronger -3; others +1;
  - a move onto an empty square: +1 forward (toward the enemy), -1 backward;
  - -6 for ending next to a revealed enemy piece that would beat the mover, +6 for leaving
    such a square;
  - plus uniform noise in [0, 0.5) to break ties.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from interplay.games.stratego.core import (
    ACT_FROM,
    ACT_TO,
    BOMB,
    FLAG,
    MAJOR,
    MINER,
    NEIGHBOURS,
    NUM_PLANES,
    NUM_RANKS,
    SCOUT,
    SIZE,
    SPY,
    SQUARES,
    combat,
)


def random_policy(key: jax.Array, obs: jax.Array, mask: jax.Array) -> jax.Array:
    """A uniformly random legal move: the k-th legal move, k uniform on 0..n-1 (one random
    number, not one per action, which keeps batched random play cheap)."""
    count = jnp.cumsum(mask.astype(jnp.int32))
    k = jax.random.randint(key, (), 0, jnp.maximum(count[-1], 1))
    return jnp.argmax(count > k).astype(jnp.int32)


def _decode(obs: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array, jax.Array]:
    planes = obs[:NUM_PLANES * SQUARES].reshape(NUM_PLANES, SQUARES) > 0.5
    codes = jnp.arange(NUM_RANKS)[:, None]
    own_rank = jnp.where(planes[:NUM_RANKS].any(0), jnp.sum(planes[:NUM_RANKS] * codes, 0), -1)
    known = planes[NUM_RANKS:2 * NUM_RANKS]
    enemy_rank = jnp.where(known.any(0), jnp.sum(known * codes, 0), -1)
    unknown = planes[2 * NUM_RANKS]
    enemy_moved = planes[2 * NUM_RANKS + 1]
    player = obs[-1].astype(jnp.int32)
    return own_rank, enemy_rank, unknown, enemy_moved, player


def move_scores(obs: jax.Array, mask: jax.Array) -> jax.Array:
    """(1800,) the heuristic's score of every move (-inf where illegal); see the module docstring."""
    own_rank, enemy_rank, unknown, enemy_moved, player = _decode(obs)
    f, t = ACT_FROM, ACT_TO
    mover = own_rank[f]
    tgt_known = enemy_rank[t] >= 0
    tgt_unknown = unknown[t]
    wins, loses_not = combat(mover, enemy_rank[t])
    tie = ~wins & ~loses_not
    value = jnp.where(enemy_rank[t] == FLAG, 100.0, enemy_rank[t].astype(jnp.float32))
    known_score = jnp.where(wins, 10.0 + value, jnp.where(tie, 1.0, -20.0))
    unknown_score = jnp.where(mover == SCOUT, 3.0,
                              jnp.where(mover == MINER, jnp.where(enemy_moved[t], 1.0, 2.0),
                                        jnp.where(mover == SPY, -5.0, jnp.where(mover >= MAJOR, -3.0, 1.0))))
    forward = jnp.where(player == 0, 1, -1)
    drow = (t // SIZE - f // SIZE) * forward
    empty_score = jnp.sign(drow).astype(jnp.float32)
    score = jnp.where(tgt_known, known_score, jnp.where(tgt_unknown, unknown_score, empty_score))
    # threats: a revealed, movable enemy piece next to a square that would beat the mover
    ext_rank = jnp.concatenate([enemy_rank, jnp.full(1, -1)])
    def threatened(square):
        e = ext_rank[NEIGHBOURS[square]]  # (1800, 4)
        e_wins, _ = combat(e, mover[:, None])
        return jnp.any((e >= SPY) & (e != BOMB) & e_wins, axis=1)
    # the attacked piece itself is gone if the mover wins, so only count the others
    score = score - 6.0 * (threatened(t) & ~(tgt_known & ~wins)) + 6.0 * threatened(f)
    return jnp.where(mask, score, -jnp.inf)


def heuristic_policy(key: jax.Array, obs: jax.Array, mask: jax.Array) -> jax.Array:
    """The best-scoring legal move (:func:`move_scores`), ties broken at random."""
    noise = jax.random.uniform(key, mask.shape, maxval=0.5)
    return jnp.argmax(move_scores(obs, mask) + noise)


BOTS = {"random": random_policy, "heuristic": heuristic_policy}
