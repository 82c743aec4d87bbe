"""alpha-Rank (Omidshafiei et al. 2019, "alpha-Rank: Multi-Agent Evaluation by Evolution").

A thin layer over OpenSpiel's implementation (``open_spiel.python.egt.alpharank``): a
population of size ``m`` in which a single mutant ``r`` invades a monomorphic population
``s`` with the fixation probability of a Fermi (logit) process of intensity ``alpha``. With
OpenSpiel's default local selection model, for a single population
``rho_{s->r} = (1 - e^{-u}) / (1 - e^{-m u})``, ``u = alpha (A[r, s] - A[s, r])`` (eq. 6 of the
paper with payoffs against the current opponent); the Markov chain over monomorphic states
moves from ``s`` to ``r`` with probability ``rho_{s->r} / (|S| - 1)``, and the ranking is its
stationary distribution.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from interplay.errors import InterplayError


@dataclass(frozen=True)
class AlphaRank:
    """alpha-Rank of a population.

    Attributes:
        names: profile names (single population: strategy names; several: "a / b" tuples).
        pi: stationary distribution over the profiles (sums to 1).
        rhos: fixation probabilities, ``rhos[s, r]`` of a mutant ``r`` in a population of ``s``.
        rho_neutral: the neutral fixation probability ``1 / m``.
        alpha, m: the parameters used.
    """

    names: list[str]
    pi: np.ndarray
    rhos: np.ndarray
    rho_neutral: float
    alpha: float
    m: int

    @property
    def ranking(self) -> list[tuple[str, float]]:
        order = np.argsort(-self.pi, kind="stable")
        return [(self.names[k], float(self.pi[k])) for k in order]

    def edges(self) -> list[tuple[int, int, float]]:
        """Transitions that are more likely than neutral drift, ``(from, to, rho)`` (the paper's graph)."""
        n = len(self.names)
        return [(s, r, float(self.rhos[s, r])) for s in range(n) for r in range(n)
                if s != r and self.rhos[s, r] > self.rho_neutral * (1 + 1e-9)]

    def to_dict(self) -> dict[str, Any]:
        return {"alpha": self.alpha, "m": self.m, "ranking": [{"name": n, "mass": p} for n, p in self.ranking],
                "pi": dict(zip(self.names, self.pi.tolist()))}


def alpharank(payoff_tables: np.ndarray | list[np.ndarray], names: list[str] | list[list[str]] | None = None, *,
              alpha: float = 10.0, m: int = 50) -> AlphaRank:
    """alpha-Rank of a single population (one square payoff matrix, ``A[i, j]`` = i's payoff against j)
    or of several populations (a list of K payoff tables of shape ``(|S_1|, ..., |S_K|)``, table k
    giving population k's payoff)."""
    from open_spiel.python.egt import alpharank as osp

    tables = [np.asarray(payoff_tables, dtype=float)] if not isinstance(payoff_tables, list) else \
        [np.asarray(t, dtype=float) for t in payoff_tables]
    if alpha <= 0 or m < 2:
        raise InterplayError(f"alpha-Rank: needs alpha > 0 and m >= 2, got alpha={alpha}, m={m}.")
    for k, t in enumerate(tables):
        if not np.all(np.isfinite(t)):
            raise InterplayError(f"alpha-Rank: payoff table {k} has missing or infinite entries.")
    if len(tables) == 1:
        A = tables[0]
        if A.ndim != 2 or A.shape[0] != A.shape[1]:
            raise InterplayError(f"alpha-Rank: a single population needs a square payoff matrix, got {A.shape}.")
        labels = [str(x) for x in names] if names is not None else [str(k) for k in range(A.shape[0])]
    else:
        shape = tables[0].shape
        if any(t.shape != shape for t in tables) or len(shape) != len(tables):
            raise InterplayError(f"alpha-Rank: {len(tables)} populations need {len(tables)} tables of one shape "
                                 f"with {len(tables)} axes, got {[t.shape for t in tables]}.")
        per = names if names is not None else [[str(k) for k in range(s)] for s in shape]
        labels = [" / ".join(str(per[p][i]) for p, i in enumerate(idx)) for idx in np.ndindex(*shape)]
    with np.errstate(over="ignore"):  # exp overflow for large alpha * payoff gaps: rho is 0 there, as it should
        # OpenSpiel annotates alpha as int; it is a real number (its own examples pass 1e2, 0.1)
        rhos, rho_m, pi, _, _ = osp.compute(tables, m=m, alpha=alpha)  # pyright: ignore[reportArgumentType]
    return AlphaRank(names=labels, pi=np.asarray(pi, dtype=float), rhos=np.asarray(rhos, dtype=float),
                     rho_neutral=float(rho_m), alpha=float(alpha), m=int(m))


def plot_alpharank(result: AlphaRank, ax: Any = None, top: int = 12) -> Any:
    """The response graph of the ``top`` profiles by mass: nodes sized by mass, arrows for
    fixation more likely than neutral (as Fig. 2 of Omidshafiei et al. 2019)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 6.5))
    order = np.argsort(-result.pi, kind="stable")[:top]
    k = len(order)
    angle = 2 * np.pi * np.arange(k) / max(k, 1)
    pos = {int(s): (np.cos(a), np.sin(a)) for s, a in zip(order, angle)}
    keep = set(pos)
    for s, r, rho in result.edges():
        if s in keep and r in keep:
            (x0, y0), (x1, y1) = pos[s], pos[r]
            ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                        arrowprops={"arrowstyle": "->", "alpha": 0.35 + 0.6 * min(1.0, rho / max(result.rhos.max(),
                                                                                               1e-12)),
                                    "shrinkA": 14, "shrinkB": 14, "color": "tab:gray"})
    for s in order:
        x, y = pos[int(s)]
        ax.scatter([x], [y], s=300 + 3000 * result.pi[s], color="tab:blue", alpha=0.8, zorder=3)
        ax.text(x * 1.18, y * 1.18, f"{result.names[s]}\n{result.pi[s]:.2f}", ha="center", va="center", fontsize=8)
    ax.set_xlim(-1.6, 1.6)
    ax.set_ylim(-1.6, 1.6)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(f"alpha-Rank (alpha={result.alpha:g}, m={result.m})")
    return ax
