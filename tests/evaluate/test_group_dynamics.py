"""Evolution in groups of n players: the Moran fixation probability with co-players drawn without replacement,
the small-mutation stationary distribution and the n-player replicator dynamics, against closed forms and an
independent solution of the birth-death chain."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.stats import binom

from interplay.errors import InterplayError
from interplay.evaluate.dynamics import (
    co_player_code,
    compositions,
    fixation_probability,
    fixation_probability_constant,
    group_fixation_probability,
    group_payoff_at,
    replicator_continuous,
    replicator_group,
    small_mutation_stationary,
)


@pytest.mark.parametrize("n", [2, 3, 5])
@pytest.mark.parametrize("r", [0.7, 1.0, 1.6])
def test_constant_fitness_is_moran_1958(n, r):
    """Payoffs that ignore the group: fitness r against 1, rho = (1 - 1/r) / (1 - 1/r^N) whatever n."""
    N = 12
    rho = group_fixation_probability([r] * n, [1.0] * n, N, w=1.0)
    assert rho == pytest.approx(fixation_probability_constant(r, N), rel=1e-12)
    if r == 1.0:
        assert rho == pytest.approx(1 / N)


def test_two_players_is_the_matrix_form():
    rng = np.random.default_rng(3)
    for _ in range(5):
        A = rng.random((2, 2)) * 4
        got = group_fixation_probability([A[0, 1], A[0, 0]], [A[1, 1], A[1, 0]], 15, w=0.3)
        assert got == pytest.approx(fixation_probability(A, 0, 1, 15, w=0.3), rel=1e-12)


def _chain_fixation(N: int, n: int, payoff, w: float) -> float:
    """Fixation of one mutant by solving the birth-death chain; each fitness by enumerating every group of n - 1
    co-players among the concrete others (no hypergeometric formula, no product formula)."""
    def fitness(k: int, focal_mutant: bool) -> float:
        others = [True] * (k - focal_mutant) + [False] * (N - k - (not focal_mutant))
        groups = list(itertools.combinations(range(N - 1), n - 1))
        return 1 - w + w * float(np.mean([payoff(focal_mutant, sum(others[i] for i in g)) for g in groups]))

    M = np.zeros((N + 1, N + 1))
    rhs = np.zeros(N + 1)
    M[0, 0] = M[N, N] = 1.0
    rhs[N] = 1.0
    for k in range(1, N):
        f, g = fitness(k, True), fitness(k, False)
        up = k * f / (k * f + (N - k) * g) * (N - k) / (N - 1)  # a mutant is born, a resident dies
        down = (N - k) * g / (k * f + (N - k) * g) * k / (N - 1)
        M[k, k], M[k, k + 1], M[k, k - 1] = up + down, -up, -down
    return float(np.linalg.solve(M, rhs)[1])


@pytest.mark.parametrize("n,mult", [(3, 1.5), (3, 3.5), (3, 4.5), (4, 5.0), (4, 7.0)])
def test_public_goods_fixation_against_the_chain(n, mult):
    """The linear public goods game (endowment 1, contributions multiplied by mult and shared by the n): a
    cooperator with j cooperating co-players gets mult (j + 1) / n, a defector 1 + mult j / n."""
    def payoff(cooperator: bool, j: int) -> float:
        return mult * (j + 1) / n if cooperator else 1 + mult * j / n

    N, w = 9, 0.4
    c = [payoff(True, j) for j in range(n)]
    d = [payoff(False, j) for j in range(n)]
    rho_c = group_fixation_probability(c, d, N, w)  # a cooperator among defectors: j mutants are cooperators
    assert rho_c == pytest.approx(_chain_fixation(N, n, payoff, w), rel=1e-9)
    rho_d = group_fixation_probability(d[::-1], c[::-1], N, w)  # j mutant defectors: n - 1 - j cooperators
    # Theory: a focal cooperator's co-players are drawn from k - 1 cooperators, a defector's from k, so
    # f_C(k) - f_D(k) = mult (N - n) / (n (N - 1)) - 1 for every k: cooperation fixes more often than a neutral
    # mutant exactly when mult > n (N - 1) / (N - n), not when mult > n; here 4 for n = 3
    # and 6.4 for n = 4
    assert rho_d == pytest.approx(_chain_fixation(N, n, lambda m, j: payoff(not m, n - 1 - j), w), rel=1e-9)
    if mult > n * (N - 1) / (N - n):
        assert rho_d < 1 / N < rho_c
    else:
        assert rho_c < 1 / N < rho_d


def test_stationary_distribution_two_and_three_types():
    rho = np.array([[np.nan, 0.02], [0.3, np.nan]])  # 0 invades 1 with 0.02, 1 invades 0 with 0.3
    assert small_mutation_stationary(rho) == pytest.approx([0.02 / 0.32, 0.3 / 0.32])
    # rock-paper-scissors-like cycle with equal rates: uniform
    cyc = np.array([[0, 0.5, 0.1], [0.1, 0, 0.5], [0.5, 0.1, 0]])
    assert small_mutation_stationary(cyc) == pytest.approx([1 / 3] * 3)


def test_group_payoffs_and_the_n_player_replicator():
    n, K = 4, 2
    assert len(compositions(n - 1, K)) == n and sum(1 for _ in compositions(3, 4)) == 20
    table = np.full((K, n**K), np.nan)
    for j in range(n):  # j cooperating co-players (type 0), n - 1 - j defecting (type 1)
        table[0, co_player_code([j, n - 1 - j], n)] = 2.0 * (j + 1) / n
        table[1, co_player_code([j, n - 1 - j], n)] = 1 + 2.0 * j / n
    x = np.array([0.3, 0.7])
    expect_c = sum(binom.pmf(j, n - 1, 0.3) * 2.0 * (j + 1) / n for j in range(n))
    assert group_payoff_at(table, x, n) == pytest.approx([expect_c, expect_c + 1 - 2.0 / n])
    traj = replicator_group(table, n, np.array([0.9, 0.1]), np.array([0.0, 40.0]))
    assert traj[-1, 1] > 0.99  # defection takes over
    # n = 2: the matrix replicator with A[i, j] = table[i, one co-player of type j]
    A = np.array([[3.0, 0.0], [5.0, 1.0]])
    t2 = np.full((2, 4), np.nan)
    for i, j in itertools.product(range(2), range(2)):
        t2[i, 2**j] = A[i, j]
    ts = np.linspace(0, 5, 6)
    np.testing.assert_allclose(replicator_group(t2, 2, np.array([0.6, 0.4]), ts),
                               replicator_continuous(A, np.array([0.6, 0.4]), ts), atol=1e-7)


def test_bad_input():
    with pytest.raises(InterplayError, match="groups of 3"):
        group_fixation_probability([1, 1, 1], [1, 1, 1], 2)
    with pytest.raises(InterplayError, match="same length"):
        group_fixation_probability([1, 1], [1, 1, 1], 5)
