"""Games as differentiable functions of the players' parameters.

Two kinds, both pure JAX so that learners can differentiate through them:

* ``"iterated"``: a 2x2 stage game repeated with discount gamma, memory-one policies.
  Parameters are 5 logits per player; ``P(cooperate) = sigmoid(logit)``, own view, start
  first (:mod:`interplay.games.iterated`). The value is the exact discounted sum
  ``V = p0^T (I - gamma P)^-1 r`` (Foerster et al. 2018, appendix); average reward per
  step is ``(1 - gamma) V``.
* ``"matrix"``: a one-shot two-player normal-form game with mixed strategies
  ``softmax(logits)``; the value is the expected payoff ``x^T A y``.

Agents get this object (payoffs, discount, the parameterisation), never another agent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from interplay.errors import InterplayError
from interplay.games.iterated import IteratedGame, exact_values
from interplay.games.normal_form import NormalFormGame
from interplay.games.protocol import Game


def value_function(kind: str, payoffs: jax.Array, discount: float | jax.Array):
    """``values(theta1, theta2) -> (V1, V2)`` for a game kind ('iterated' or 'matrix')."""
    if kind == "iterated":
        def values(t1, t2):
            return exact_values(jax.nn.sigmoid(t1), jax.nn.sigmoid(t2), payoffs, discount)
    elif kind == "matrix":
        def values(t1, t2):
            x, y = jax.nn.softmax(t1), jax.nn.softmax(t2)
            return jnp.stack([x @ payoffs[0] @ y, x @ payoffs[1] @ y])
    else:
        raise InterplayError(f"unknown differentiable game kind {kind!r}; use 'iterated' or 'matrix'.")
    return values


@dataclass(frozen=True, eq=False)
class DifferentiableGame:
    """A two-player game whose values are differentiable in the players' logits.

    Attributes:
        id: the registry id of the game it came from.
        kind: 'iterated' (5 logits each, memory-one) or 'matrix' (one logit per action).
        payoffs: (2, A1, A2) payoff tensor.
        discount: gamma for iterated games (0 for one-shot games).
        dims: number of parameters of each player.
    """

    id: str
    kind: str
    payoffs: jax.Array
    discount: float
    dims: tuple[int, int]

    @property
    def iterated(self) -> bool:
        return self.kind == "iterated"

    @property
    def per_step(self) -> float:
        """Factor turning a value into an average reward per step."""
        return (1.0 - self.discount) if self.iterated else 1.0

    def values(self, theta1: Any, theta2: Any) -> jax.Array:
        """Exact (V1, V2) at the given logits."""
        return value_function(self.kind, self.payoffs, self.discount)(jnp.asarray(theta1), jnp.asarray(theta2))

    def policy(self, theta: jax.Array) -> jax.Array:
        """The probabilities a parameter vector encodes."""
        return jax.nn.sigmoid(theta) if self.iterated else jax.nn.softmax(theta)

    def policy_from_config(self, policy: Any) -> np.ndarray:
        """Validate a fixed policy: a memory-one name or 5 probabilities, or a mixed strategy."""
        if self.iterated:
            from interplay.agents.memory_one import memory_one_probs

            return memory_one_probs(policy if isinstance(policy, str) else list(policy), where="fixed policy")
        arr = np.asarray(policy, dtype=float)
        if arr.ndim != 1 or np.any(arr < 0) or not np.isclose(arr.sum(), 1.0):
            raise InterplayError(f"fixed policy for {self.id}: need a probability vector, got {policy!r}.")
        return arr


def differentiable(game: Game | DifferentiableGame | str, **params: Any) -> DifferentiableGame:
    """The differentiable view of a registered game (an id, a game :func:`interplay.make` built,
    or a differentiable game, returned as it is).

    ``differentiable("ipd-v1", convention="lola", discount=0.96)``;
    ``differentiable("imp-v1", discount=0.9)``; ``differentiable("matching-pennies-v1")``.
    """
    if isinstance(game, DifferentiableGame):
        if params:
            raise InterplayError("differentiable(): parameters are only accepted with a game id.")
        return game
    if isinstance(game, str):
        from interplay.games.registry import make

        game = make(game, **params)
    elif params:
        raise InterplayError("differentiable(): parameters are only accepted with a game id.")
    if isinstance(game, IteratedGame):
        return DifferentiableGame(game.spec.id, "iterated", jnp.asarray(game.payoffs, jnp.float32),
                                  float(game.discount), (5, 5))
    if isinstance(game, NormalFormGame):
        if game.num_players != 2:
            raise InterplayError(f"{game.spec.id}: differentiable learners need a two-player game, "
                                 f"got {game.num_players} players.")
        a1, a2 = game.num_actions
        return DifferentiableGame(game.spec.id, "matrix", jnp.asarray(game.payoffs, jnp.float32), 0.0, (a1, a2))
    gid = getattr(getattr(game, "spec", None), "id", type(game).__name__)
    hint = (" The coin game is played by sampled-play learners (pg, lola-dice, pola-dice)."
            if type(game).__name__ == "CoinGame" else "")
    raise InterplayError(f"{gid}: exact-gradient learners need an iterated 2x2 game or a two-player normal-form "
                         f"game (e.g. interplay.make('ipd-v1') or make('matching-pennies-v1')); got a "
                         f"{type(game).__name__}.{hint}")
