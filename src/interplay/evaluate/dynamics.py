"""Evolutionary dynamics over a population's payoff matrix.

* Moran process (Moran 1958; frequency-dependent form of Nowak et al. 2004, "Emergence of
  cooperation and evolutionary stability in finite populations"): each step one individual
  is chosen to reproduce with probability proportional to its fitness, its offspring (a
  random other type with probability ``mutation``) replaces an individual chosen uniformly
  among the others (well mixed) or among its neighbours on a graph (Lieberman et al. 2005).
  An individual's fitness is its mean payoff against the others it meets (all the others,
  or its graph neighbours), ``1 - w + w * payoff`` with selection intensity ``w``.
* Exact fixation probability of one mutant in a two-type population:
  ``rho = 1 / (1 + sum_{k=1}^{N-1} prod_{j=1}^{k} g_j / f_j)`` (Nowak 2006, eq. 6.13), with
  closed forms ``1/N`` (neutral) and ``(1 - 1/r) / (1 - 1/r^N)`` (constant relative fitness r).
* Groups of ``n > 2`` (n-player games, e.g. the public goods game): a payoff depends on the
  whole group, so the payoffs are a *group payoff table* ``table[i, code]``, the payoff of a
  type-i player whose ``n - 1`` co-players hold ``c_k`` of each type k, ``code = sum_k c_k n^k``
  (:func:`co_player_code`). In a finite population the co-players are drawn without
  replacement from the others (hypergeometric), which gives the fixation probability of
  :func:`group_fixation_probability` (Gokhale and Traulsen 2010, "Evolutionary games in the
  multiverse"; Kurokawa and Ihara 2009); in an infinite one with replacement (multinomial),
  which gives the n-player replicator dynamics of :func:`replicator_group`. For ``n = 2`` both
  are the matrix forms above.
* The small-mutation limit of the Moran process (Fudenberg and Imhof 2006): the population is
  almost always monomorphic and moves from resident j to i with probability proportional to
  ``rho[i, j]``; :func:`small_mutation_stationary` is that chain's stationary distribution.
* Replicator dynamics (Taylor and Jonker 1978): continuous
  ``dx_i/dt = x_i ((A x)_i - x^T A x)`` and discrete ``x_i' = x_i (A x)_i / x^T A x``
  (Hofbauer and Sigmund 1998, ch. 7 and 9).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from interplay.errors import InterplayError


def _square(A: np.ndarray, what: str = "payoff matrix") -> np.ndarray:
    A = np.asarray(A, dtype=float)
    if A.ndim != 2 or A.shape[0] != A.shape[1] or not np.all(np.isfinite(A)):
        raise InterplayError(f"{what}: needs a square matrix of finite numbers, got shape {A.shape}.")
    return A


# -- fixation probabilities ------------------------------------------------------------
def fixation_probability_constant(r: float, N: int) -> float:
    """Fixation probability of one mutant of constant relative fitness ``r`` among ``N`` (Moran 1958)."""
    if N < 2 or r <= 0:
        raise InterplayError(f"fixation probability: needs N >= 2 and r > 0, got N={N}, r={r}.")
    if np.isclose(r, 1.0):
        return 1.0 / N
    return float((1 - 1 / r) / (1 - r ** (-N)))


def fixation_probability(A: np.ndarray, mutant: int, resident: int, N: int, w: float = 1.0) -> float:
    """Exact fixation probability of one ``mutant`` among ``N - 1`` ``resident`` in the frequency-dependent
    Moran process with fitness ``1 - w + w * (mean payoff against the others)`` (Nowak 2006, eq. 6.13)."""
    A = _square(A)
    if N < 2:
        raise InterplayError(f"fixation probability: population size N must be >= 2, got {N}.")
    a, b, c, d = A[mutant, mutant], A[mutant, resident], A[resident, mutant], A[resident, resident]
    total, prod = 1.0, 1.0
    for k in range(1, N):  # k mutants, k = 1 .. N - 1
        f = 1 - w + w * ((k - 1) * a + (N - k) * b) / (N - 1)
        g = 1 - w + w * (k * c + (N - k - 1) * d) / (N - 1)
        if f <= 0 or g <= 0:
            raise InterplayError("fixation probability: fitness must stay positive; lower w or shift payoffs.")
        if k < N:
            prod *= g / f
            total += prod
    return 1.0 / total


def co_player_code(counts: Sequence[int] | np.ndarray, n: int) -> int:
    """The column of a group payoff table for co-players holding ``counts[k]`` of type k (``sum = n - 1``)."""
    return int(sum(int(c) * n**k for k, c in enumerate(counts)))


def compositions(total: int, parts: int) -> list[tuple[int, ...]]:
    """Every way to write ``total`` as ``parts`` non-negative integers, in lexicographic order."""
    if parts == 1:
        return [(total,)]
    return [(c, *rest) for c in range(total + 1) for rest in compositions(total - c, parts - 1)]


def group_fixation_probability(mutant_payoff: Sequence[float] | np.ndarray,
                               resident_payoff: Sequence[float] | np.ndarray, N: int, w: float = 1.0) -> float:
    """Exact fixation probability of one mutant among ``N - 1`` residents in the Moran (birth-death) process of
    an ``n``-player game, fitness ``1 - w + w * expected payoff``.

    ``mutant_payoff[j]`` (``j = 0 .. n - 1``): a mutant's payoff when ``j`` of its ``n - 1`` co-players are
    mutants; ``resident_payoff[j]``: a resident's when ``j`` of its co-players are mutants. With ``k`` mutants a
    mutant's co-players are drawn without replacement from the other ``k - 1`` mutants and ``N - k`` residents,
    a resident's from ``k`` mutants and ``N - k - 1`` residents; then ``rho = 1 / (1 + sum_k prod_{i <= k}
    g_i / f_i)`` as for two players (Nowak 2006, eq. 6.13), to which it reduces for ``n = 2``."""
    a = np.asarray(mutant_payoff, dtype=float)
    b = np.asarray(resident_payoff, dtype=float)
    m = a.size - 1  # co-players per group
    if a.ndim != 1 or b.shape != a.shape or m < 1 or not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise InterplayError("group fixation probability: needs two payoff lists of the same length n >= 2, finite.")
    if m + 1 > N:
        raise InterplayError(f"group fixation probability: a population of {N} cannot form groups of {m + 1}.")
    norm = math.comb(N - 1, m)
    total, prod = 1.0, 1.0
    for k in range(1, N):
        f = sum(math.comb(k - 1, j) * math.comb(N - k, m - j) * a[j] for j in range(m + 1)) / norm
        g = sum(math.comb(k, j) * math.comb(N - k - 1, m - j) * b[j] for j in range(m + 1)) / norm
        f, g = 1 - w + w * f, 1 - w + w * g
        if f <= 0 or g <= 0:
            raise InterplayError("group fixation probability: fitness must stay positive; lower w or shift payoffs.")
        prod *= g / f
        total += prod
    return 1.0 / total


def small_mutation_stationary(rho: np.ndarray) -> np.ndarray:
    """Stationary distribution over monomorphic populations when mutations are rare (Fudenberg and Imhof 2006).

    ``rho[i, j]``: fixation probability of one type-i mutant among type-j residents (the diagonal is ignored).
    From resident j a mutant of each other type arises with equal probability, so the chain moves to i with
    probability ``rho[i, j] / (K - 1)``."""
    rho = _square(np.nan_to_num(np.asarray(rho, dtype=float), nan=0.0), "fixation matrix")
    K = rho.shape[0]
    if K == 1:
        return np.ones(1)
    M = rho.T / (K - 1)  # M[j, i]: resident j -> i
    np.fill_diagonal(M, 0.0)
    np.fill_diagonal(M, 1.0 - M.sum(1))
    vals, vecs = np.linalg.eig(M.T)
    pi = np.abs(np.real(vecs[:, int(np.argmin(np.abs(vals - 1.0)))]))
    return pi / pi.sum()


def group_payoff_at(table: np.ndarray, x: np.ndarray, n: int) -> np.ndarray:
    """Each type's expected payoff when its ``n - 1`` co-players are drawn independently with shares ``x``
    (multinomial over the co-players' types) from a group payoff table (see the module docstring)."""
    table = np.asarray(table, dtype=float)
    x = np.asarray(x, dtype=float)
    out = np.zeros(table.shape[0])
    for counts in compositions(n - 1, x.size):
        coef = math.factorial(n - 1) * float(np.prod([x[k] ** c / math.factorial(c) for k, c in enumerate(counts)]))
        if coef > 0:
            out = out + coef * table[:, co_player_code(counts, n)]
    return out


def replicator_group(table: np.ndarray, n: int, x0: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The n-player replicator dynamics ``dx_i/dt = x_i (f_i(x) - x . f(x))``, ``f`` from
    :func:`group_payoff_at` (Hofbauer and Sigmund 1998; for ``n = 2`` it is :func:`replicator_continuous`
    with ``A[i, j] = table[i, code of one j]``), at times ``t``; shape (len(t), K)."""
    from scipy.integrate import solve_ivp

    table = np.asarray(table, dtype=float)
    x0 = _simplex(x0, table.shape[0])

    def f(_: float, x: np.ndarray) -> np.ndarray:
        fit = group_payoff_at(table, np.clip(x, 0.0, None), n)
        return x * (fit - x @ fit)

    t = np.asarray(t, dtype=float)
    sol = solve_ivp(f, (float(t[0]), float(t[-1])), x0, t_eval=t, method="LSODA", rtol=1e-9, atol=1e-11)
    return sol.y.T


# -- the Moran process -----------------------------------------------------------------
@dataclass(frozen=True)
class MoranResult:
    """A simulated Moran process.

    Attributes:
        counts: (steps + 1, n_types) number of individuals of each type after each step.
        fixed: the type that took over, or None (with mutation, or stopped early).
        steps: steps taken.
    """

    counts: np.ndarray
    fixed: int | None
    steps: int


def moran_process(A: np.ndarray, population: list[int] | np.ndarray, *, rng: np.random.Generator,
                  w: float = 1.0, mutation: float = 0.0, graph: np.ndarray | None = None,
                  max_steps: int = 100_000) -> MoranResult:
    """Simulate a Moran process from ``population`` (a type index per individual).

    ``graph``: optional symmetric 0/1 adjacency matrix over individuals (interaction and
    replacement graph); None is well mixed. Without mutation the process stops at fixation.
    """
    A = _square(A)
    pop = np.asarray(population, dtype=np.int64).copy()
    N, n = pop.size, A.shape[0]
    if N < 2 or pop.min() < 0 or pop.max() >= n:
        raise InterplayError(f"Moran process: needs >= 2 individuals with types in 0..{n - 1}.")
    if not 0.0 <= mutation <= 1.0:
        raise InterplayError(f"Moran process: mutation must be in [0, 1], got {mutation}.")
    if graph is not None:
        G = np.asarray(graph, dtype=float)
        if G.shape != (N, N) or np.any(np.diag(G) != 0) or not np.allclose(G, G.T):
            raise InterplayError("Moran process: graph must be a symmetric (N, N) adjacency matrix without loops.")
        if np.any(G.sum(1) == 0):
            raise InterplayError("Moran process: every individual needs at least one neighbour on the graph.")
    else:
        G = 1.0 - np.eye(N)
    deg = G.sum(1)
    history = [np.bincount(pop, minlength=n)]
    fixed = None
    step = 0
    for step in range(1, max_steps + 1):  # noqa: B007 - its last value is the number of steps taken
        payoff = (A[pop][:, pop] * G).sum(1) / deg
        fit = 1 - w + w * payoff
        if np.any(fit < 0):
            raise InterplayError("Moran process: negative fitness; lower w or shift the payoffs.")
        parent = rng.choice(N, p=fit / fit.sum()) if fit.sum() > 0 else rng.integers(N)
        child = pop[parent]
        if mutation > 0 and n > 1 and rng.random() < mutation:
            child = (child + rng.integers(1, n)) % n
        neighbours = np.flatnonzero(G[parent])
        pop[rng.choice(neighbours)] = child
        history.append(np.bincount(pop, minlength=n))
        if mutation == 0 and np.all(pop == pop[0]):
            fixed = int(pop[0])
            break
    return MoranResult(counts=np.stack(history), fixed=fixed, steps=step)


def moran_fixation_simulated(A: np.ndarray, mutant: int, resident: int, N: int, runs: int, *,
                             seed: int = 0, w: float = 1.0) -> np.ndarray:
    """Fixation of one mutant among ``N - 1`` residents in ``runs`` well-mixed Moran processes,
    simulated together (vectorised over runs on the number of mutants). Returns a bool per run."""
    A = _square(A)
    a, b, c, d = A[mutant, mutant], A[mutant, resident], A[resident, mutant], A[resident, resident]
    rng = np.random.default_rng(seed)
    k = np.ones(runs, dtype=np.int64)
    active = np.ones(runs, dtype=bool)
    while active.any():
        ka = k[active]
        f = 1 - w + w * ((ka - 1) * a + (N - ka) * b) / (N - 1)
        g = 1 - w + w * (ka * c + (N - ka - 1) * d) / (N - 1)
        birth_mutant = rng.random(ka.size) < ka * f / (ka * f + (N - ka) * g)
        # the one that dies is uniform among the N - 1 others than the parent
        p_mut_dies = np.where(birth_mutant, (ka - 1) / (N - 1), ka / (N - 1))
        dies_mutant = rng.random(ka.size) < p_mut_dies
        ka = ka + birth_mutant.astype(np.int64) - dies_mutant.astype(np.int64)
        k[active] = ka
        active[active] = (ka > 0) & (ka < N)
    return k == N


# -- replicator dynamics ----------------------------------------------------------------
def replicator_continuous(A: np.ndarray, x0: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Solve ``dx_i/dt = x_i ((A x)_i - x^T A x)`` at times ``t`` (scipy's LSODA); shape (len(t), n)."""
    from scipy.integrate import solve_ivp

    A = _square(A)
    x0 = _simplex(x0, A.shape[0])

    def f(_: float, x: np.ndarray) -> np.ndarray:
        Ax = A @ x
        return x * (Ax - x @ Ax)

    t = np.asarray(t, dtype=float)
    sol = solve_ivp(f, (float(t[0]), float(t[-1])), x0, t_eval=t, method="LSODA", rtol=1e-9, atol=1e-11)
    return sol.y.T


def replicator_discrete(A: np.ndarray, x0: np.ndarray, steps: int) -> np.ndarray:
    """Iterate ``x_i' = x_i (A x)_i / x^T A x`` (payoffs must be positive); shape (steps + 1, n)."""
    A = _square(A)
    if np.any(A <= 0):
        raise InterplayError("discrete replicator dynamics: payoffs must be positive (shift the matrix).")
    x = _simplex(x0, A.shape[0])
    out = [x]
    for _ in range(steps):
        Ax = A @ x
        x = x * Ax / (x @ Ax)
        out.append(x)
    return np.stack(out)


def replicator_velocity(A: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The right-hand side ``x_i ((A x)_i - x^T A x)``; zero at the rest points."""
    A = _square(A)
    x = np.asarray(x, dtype=float)
    Ax = A @ x
    return x * (Ax - x @ Ax)


def _simplex(x0: np.ndarray, n: int) -> np.ndarray:
    x = np.asarray(x0, dtype=float)
    if x.shape != (n,) or np.any(x < 0) or not np.isclose(x.sum(), 1.0):
        raise InterplayError(f"replicator dynamics: the initial state must be {n} non-negative shares summing to 1.")
    return x
