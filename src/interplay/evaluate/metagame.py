"""The empirical meta-game of a population: its Nash equilibria, and Nash averaging.

* The tournament's payoff matrix ``M`` (``M[i, j]`` = i's mean payoff per turn against j) is a
  symmetric two-player game ``(M, M^T)``; its Nash equilibria are found with nashpy (support
  enumeration for small populations, Lemke-Howson from every starting label beyond).
* Nash averaging (Balduzzi et al. 2018, "Re-evaluating evaluation") is defined for an
  antisymmetric (zero-sum) evaluation matrix ``A = -A^T``, e.g. ``A = M - M^T`` or log-odds of
  win rates: the maximum-entropy Nash equilibrium ``p`` of the symmetric zero-sum game ``A``,
  and each agent's Nash average ``(A p)_i`` (at most 0, with 0 for the agents in the support).
"""

from __future__ import annotations

import warnings

import numpy as np

from interplay.errors import InterplayError


def symmetric_nash(M: np.ndarray, max_support_enumeration: int = 10, tol: float = 1e-7) -> list[np.ndarray]:
    """Symmetric Nash equilibria ``x`` (both play ``x``) of the symmetric game ``(M, M^T)``.

    Exhaustive support enumeration up to ``max_support_enumeration`` strategies (all equilibria
    of a non-degenerate game); beyond, Lemke-Howson from every label (some equilibria).
    """
    import nashpy as nash

    M = _square(M)
    n = M.shape[0]
    game = nash.Game(M, M.T)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if n <= max_support_enumeration:
            found = list(game.support_enumeration(tol=tol))
        else:
            found = []
            for label in range(2 * n):
                try:
                    found.append(game.lemke_howson(initial_dropped_label=label))
                except Exception:  # noqa: BLE001,S112 - Lemke-Howson can fail on degenerate games; try the next label
                    continue
    out: list[np.ndarray] = []
    for x_, y_ in found:
        x, y = np.asarray(x_, dtype=float), np.asarray(y_, dtype=float)
        if np.any(np.isnan(x)) or not np.allclose(x, y, atol=1e-6):
            continue
        if is_symmetric_equilibrium(M, x, tol=1e-6) and not any(np.allclose(x, o, atol=1e-6) for o in out):
            out.append(np.asarray(x, dtype=float))
    return out


def is_symmetric_equilibrium(M: np.ndarray, x: np.ndarray, tol: float = 1e-8) -> bool:
    """Whether no pure strategy earns more than ``x`` against ``x``: ``max_i (M x)_i <= x^T M x + tol``."""
    M = _square(M)
    v = M @ x
    return bool(v.max() <= x @ v + tol)


def antisymmetrize(M: np.ndarray) -> np.ndarray:
    """The zero-sum evaluation ``M - M^T`` (i's payoff advantage over j)."""
    M = _square(M)
    return M - M.T


def maxent_nash(A: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """The maximum-entropy Nash equilibrium of the symmetric zero-sum game ``A`` (``A = -A^T``):
    the distribution ``p`` maximising entropy subject to ``A p <= 0`` (no agent beats ``p``)."""
    from scipy.optimize import linprog, minimize

    A = _square(A)
    if not np.allclose(A, -A.T, atol=1e-8):
        raise InterplayError("Nash averaging: the evaluation matrix must be antisymmetric (A = -A^T); "
                             "use antisymmetrize(M) for a payoff matrix.")
    n = A.shape[0]
    # one equilibrium by linear programming: find p in the simplex with A p <= 0
    lp = linprog(np.zeros(n), A_ub=A, b_ub=np.zeros(n), A_eq=np.ones((1, n)), b_eq=[1.0], bounds=[(0, 1)] * n,
                 method="highs")
    if not lp.success:
        raise InterplayError(f"Nash averaging: no equilibrium found ({lp.message}).")
    p0 = np.clip(lp.x, 0, 1)
    # spread towards maximum entropy within the equilibrium polytope
    eps = 1e-12
    res = minimize(lambda p: float(np.sum(p * np.log(p + eps))), 0.5 * p0 + 0.5 * _project(A, p0),
                   jac=lambda p: np.log(p + eps) + 1.0, method="SLSQP", bounds=[(0, 1)] * n,
                   constraints=[{"type": "eq", "fun": lambda p: p.sum() - 1.0, "jac": lambda p: np.ones(n)},
                                {"type": "ineq", "fun": lambda p: -(A @ p), "jac": lambda p: -A}],
                   options={"ftol": 1e-12, "maxiter": 500})
    p = res.x if res.success and np.all(A @ res.x <= 1e-6) else p0
    p = np.clip(p, 0, None)
    p[p < tol] = 0.0
    return p / p.sum()


def _project(A: np.ndarray, p0: np.ndarray) -> np.ndarray:
    """The uniform distribution if it is an equilibrium, else ``p0`` (a feasible start for SLSQP)."""
    u = np.full(A.shape[0], 1.0 / A.shape[0])
    return u if np.all(A @ u <= 1e-12) else p0


def nash_average(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nash averaging (Balduzzi et al. 2018): the max-entropy equilibrium ``p`` and the skills ``A p``."""
    p = maxent_nash(A)
    return p, _square(A) @ p


def _square(M: np.ndarray) -> np.ndarray:
    M = np.asarray(M, dtype=float)
    if M.ndim != 2 or M.shape[0] != M.shape[1] or not np.all(np.isfinite(M)):
        raise InterplayError(f"meta-game: needs a square payoff matrix of finite numbers, got shape {M.shape}.")
    return M
