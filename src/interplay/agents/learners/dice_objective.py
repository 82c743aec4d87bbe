"""The DiCE objective (Foerster et al. 2018, "DiCE: The Infinitely Differentiable Monte Carlo
Estimator"): the magic box and the surrogate whose derivatives of any order are the policy
gradients. Shared by the sampled DiCE learners (:mod:`.dice`) and the coin-game trainer (:mod:`.pola`).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

_sg = jax.lax.stop_gradient


def magic_box(w: jax.Array) -> jax.Array:
    """DiCE's magic box: evaluates to 1, its derivative is ``box(w) * dw``."""
    return jnp.exp(w - _sg(w))


def dice_surrogate(w1: jax.Array, w2: jax.Array, r: jax.Array, gamma: float, baseline: bool) -> jax.Array:
    """The DiCE objective (eq. 6 of the DiCE paper) from per-step quantities, any game.

    ``w1, w2``: (T, B) log-probabilities of each player's sampled action at step t, as
    functions of the parameters; ``r``: (T, B) the rewards of the player whose objective this
    is. With ``baseline``, adds Mao et al.'s ``sum_t (1 - box(w_t)) gamma^t b_t``, ``b_t`` the
    batch mean of ``r_t``.
    """
    w = w1 + w2  # stochastic nodes of step t
    disc = gamma ** jnp.arange(r.shape[0], dtype=jnp.float32)[:, None]
    obj = jnp.sum(disc * r * magic_box(jnp.cumsum(w, axis=0)), axis=0).mean()
    if baseline:
        b = _sg(r.mean(axis=1, keepdims=True))
        obj = obj + jnp.sum(disc * (1.0 - magic_box(w)) * b, axis=0).mean()
    return obj
