"""Population metrics of a tournament: welfare, efficiency, equality, cooperation.

* Social welfare of a pair: the sum of both players' mean payoffs per turn, ``W = M + M^T``.
* Efficiency: mean welfare per turn over all pairs of distinct players divided by the social
  optimum, the largest joint payoff of one turn (``2R`` in the prisoner's dilemma).
* Gini coefficient of the players' mean scores (mean absolute difference over twice the mean;
  Gini 1912), 0 when all score the same. Payoffs are shifted to be non-negative first.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np


def gini(values: np.ndarray) -> float:
    """Gini coefficient ``sum_ij |x_i - x_j| / (2 n^2 mean(x))`` of non-negative values (0 if all zero)."""
    x = np.asarray(values, dtype=float).ravel()
    if x.size == 0 or np.allclose(x, 0):
        return 0.0
    diff = np.abs(x[:, None] - x[None, :]).sum()
    return float(diff / (2 * x.size**2 * x.mean()))


def welfare_matrix(payoff_matrix: np.ndarray) -> np.ndarray:
    """Sum of both players' mean payoffs per turn for each pair."""
    M = np.asarray(payoff_matrix, dtype=float)
    return M + M.T


def pd_social_optimum(payoffs: tuple[float, float, float, float]) -> float:
    """The largest joint payoff of one turn: ``max(2R, S + T, 2P)``."""
    R, S, T, P = payoffs
    return float(max(2 * R, S + T, 2 * P))


def population_metrics(result: Any) -> dict[str, Any]:
    """Welfare, efficiency, Gini inequality of mean scores, and overall cooperation of a tournament result."""
    M = np.asarray(result.payoff_matrix, dtype=float)
    n = M.shape[0]
    off = ~np.eye(n, dtype=bool)
    W = welfare_matrix(M)
    with warnings.catch_warnings():  # a player with no complete match (a stopped run) has no score
        warnings.simplefilter("ignore", RuntimeWarning)
        mean_welfare = float(np.nanmean(W[off])) if n > 1 else float(W[0, 0])
        scores = np.nanmean(np.where(off, M, np.nan), axis=1) if n > 1 else np.diag(M)
    scores = scores[~np.isnan(scores)]
    R, S, T, P = (float(x) for x in result.settings.payoffs)
    payoffs = (R, S, T, P)
    lowest = min(payoffs)
    coop = np.asarray(result.cooperation, dtype=float)
    turns = np.asarray(result.match_lengths, dtype=float)
    return {
        "social_welfare": mean_welfare,
        "pd_social_optimum": pd_social_optimum(payoffs),
        "efficiency": mean_welfare / pd_social_optimum(payoffs),
        "gini": gini(scores - lowest),
        "cooperation_rate": float(coop[off].sum() / max(turns[off].sum(), 1)) if n > 1 else 0.0,
        "mean_score": float(np.mean(scores)) if scores.size else float("nan"),
    }
