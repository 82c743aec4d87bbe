"""Correlated equilibria by linear programming, and the mediator that recommends one privately.

A correlated equilibrium (Aumann 1974) is a distribution ``p`` over joint actions such that
no player, told only its own recommended action ``a``, gains by playing ``a'`` instead:
``sum_{a_-i} p(a, a_-i) (u_i(a, a_-i) - u_i(a', a_-i)) >= 0`` for every player ``i`` and
pair ``a != a'``. Those are linear constraints, so the welfare-maximising one is a linear
program (scipy's HiGHS). In chicken its welfare exceeds every Nash equilibrium's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from interplay.errors import InterplayError
from interplay.games.normal_form import NormalFormGame


@dataclass(frozen=True)
class CorrelatedEquilibrium:
    """``distribution``: probability of each joint action, shape (a_1, ..., a_n); ``welfare``: expected
    sum of payoffs; ``payoffs``: expected payoff per player."""

    distribution: np.ndarray
    welfare: float
    payoffs: np.ndarray

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...] = ()) -> np.ndarray:
        """Joint recommendations drawn from the distribution, shape (*size, n)."""
        flat = self.distribution.ravel()
        k = rng.choice(flat.size, size=size, p=flat / flat.sum())
        return np.stack(np.unravel_index(k, self.distribution.shape), axis=-1)


def incentive_constraints(game: NormalFormGame) -> np.ndarray:
    """Rows ``g`` with ``g @ p >= 0`` for a correlated equilibrium ``p`` (flattened joint actions)."""
    P = np.asarray(game.payoffs, dtype=float)
    shape = game.num_actions
    rows = []
    for i, k in enumerate(shape):
        for a in range(k):
            for b in range(k):
                if a == b:
                    continue
                g = np.zeros(shape)
                sel: list[Any] = [slice(None)] * len(shape)
                sel[i] = a
                alt = list(sel)
                alt[i] = b
                g[tuple(sel)] = P[i][tuple(sel)] - P[i][tuple(alt)]
                rows.append(g.ravel())
    return np.array(rows)


def best_correlated_equilibrium(game: NormalFormGame, weights: np.ndarray | None = None) -> CorrelatedEquilibrium:
    """The correlated equilibrium maximising the (weighted) sum of expected payoffs, by LP."""
    from scipy.optimize import linprog

    P = np.asarray(game.payoffs, dtype=float)
    w = np.ones(game.num_players) if weights is None else np.asarray(weights, dtype=float)
    objective = np.tensordot(w, P, axes=1).ravel()
    G = incentive_constraints(game)
    m = objective.size
    res = linprog(-objective, A_ub=-G if len(G) else None, b_ub=np.zeros(len(G)) if len(G) else None,
                  A_eq=np.ones((1, m)), b_eq=[1.0], bounds=[(0, None)] * m, method="highs")
    if not res.success:
        raise InterplayError(f"{game.spec.id}: the correlated-equilibrium LP failed: {res.message}")
    p = np.clip(res.x, 0.0, None).reshape(game.num_actions)
    p = p / p.sum()
    pay = np.array([float((P[i] * p).sum()) for i in range(game.num_players)])
    return CorrelatedEquilibrium(p, float(pay.sum()), pay)


def is_correlated_equilibrium(game: NormalFormGame, p: np.ndarray, atol: float = 1e-9) -> bool:
    """Whether ``p`` (shape of the joint actions) satisfies every incentive constraint."""
    return bool(np.all(incentive_constraints(game) @ np.asarray(p, dtype=float).ravel() >= -atol))
