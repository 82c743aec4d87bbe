"""Shapley, Banzhaf, leave-one-out and pivotality against known values and a second method."""

import itertools
import math

import numpy as np
import pytest

from interplay.decide.importance import (
    CoalitionGame,
    exact_banzhaf,
    exact_shapley,
    hoeffding_half_width,
    importance,
    leave_one_out,
    monte_carlo_banzhaf,
    monte_carlo_shapley,
    normalised,
    pivotal_voters,
    plurality_game,
    samples_needed,
    value_table,
    vote_game,
    weighted_voting_game,
)
from interplay.decide.profiles import Profile
from interplay.errors import InterplayError

# Council of the EEC, 1958: France, Germany, Italy 4 votes, Belgium, Netherlands 2, Luxembourg 1;
# quota 12 of 17. Known indices (Felsenthal and Machover 1998): Shapley-Shubik 14/60, 14/60, 14/60,
# 9/60, 9/60, 0; Banzhaf swings 10, 10, 10, 6, 6, 0 (normalised 5/21, 5/21, 5/21, 3/21, 3/21, 0):
# Luxembourg is a null player.
EEC = weighted_voting_game({"FR": 4, "DE": 4, "IT": 4, "BE": 2, "NL": 2, "LU": 1}, quota=12)


def table_game(values: np.ndarray, n: int) -> CoalitionGame:
    bits = 1 << np.arange(n)
    return CoalitionGame(tuple(f"p{i}" for i in range(n)), lambda m: values[(m * bits).sum(1)],
                         (float(values.min()), float(values.max())))


def brute_force_shapley(game: CoalitionGame) -> np.ndarray:
    """Average marginal contribution over all n! orders (the definition)."""
    n = game.n
    phi = np.zeros(n)
    for order in itertools.permutations(range(n)):
        mask = np.zeros(n, bool)
        prev = game(mask[None])[0]
        for i in order:
            mask[i] = True
            cur = game(mask[None])[0]
            phi[i] += cur - prev
            prev = cur
    return phi / math.factorial(n)


def test_weighted_voting_game_known_indices():
    np.testing.assert_allclose(exact_shapley(EEC) * 60, [14, 14, 14, 9, 9, 0], atol=1e-9)
    np.testing.assert_allclose(exact_banzhaf(EEC) * 32, [10, 10, 10, 6, 6, 0], atol=1e-9)
    np.testing.assert_allclose(normalised(exact_banzhaf(EEC)) * 21, [5, 5, 5, 3, 3, 0], atol=1e-9)
    np.testing.assert_allclose(leave_one_out(EEC), [0, 0, 0, 0, 0, 0])  # 17 - 4 = 13 >= 12: no one alone matters


def test_shapley_axioms_on_a_random_game():
    rng = np.random.default_rng(3)
    n = 5
    vals = rng.normal(size=2**n)
    game = table_game(vals, n)
    phi = exact_shapley(game)
    # efficiency
    assert phi.sum() == pytest.approx(vals[-1] - vals[0], abs=1e-12)
    # agrees with the definition over all 120 orders
    np.testing.assert_allclose(phi, brute_force_shapley(game), atol=1e-12)


def test_symmetry_and_null_player():
    rng = np.random.default_rng(5)
    by_count = rng.normal(size=5)  # v depends on how many of players 0..3 are in; player 4 is null
    game = CoalitionGame(tuple("abcde"), lambda m: by_count[m[:, :4].sum(1)], (-3, 3))
    phi = exact_shapley(game)
    beta = exact_banzhaf(game)
    np.testing.assert_allclose(phi[:4], phi[0])
    np.testing.assert_allclose(beta[:4], beta[0])
    assert phi[4] == pytest.approx(0, abs=1e-12) and beta[4] == pytest.approx(0, abs=1e-12)
    assert phi.sum() == pytest.approx(by_count[4] - by_count[0])


def test_monte_carlo_within_hoeffding_interval_of_exact():
    rng = np.random.default_rng(11)
    n, k = 10, 4
    game = plurality_game([f"a{i}" for i in range(n)], rng.integers(k, size=n), rng.random(k))
    exact = exact_shapley(game)
    mc = monte_carlo_shapley(game, 3000, seed=2, confidence=0.99)
    assert np.all(np.abs(mc.values - exact) <= mc.half_width)
    # the half-width is the Hoeffding one for marginals of width 2 (hi - lo)
    lo, hi = game.bounds
    assert mc.half_width[0] == pytest.approx(2 * (hi - lo) * math.sqrt(math.log(2 / 0.01) / 6000))
    # and the empirical error is far smaller than the conservative bound, but not zero
    assert 0 < np.max(np.abs(mc.values - exact)) < mc.half_width[0]
    again = monte_carlo_shapley(game, 3000, seed=2, confidence=0.99)
    np.testing.assert_array_equal(mc.values, again.values)


def test_monte_carlo_on_weighted_voting_game_and_banzhaf_estimate():
    mc = monte_carlo_shapley(EEC, 4000, seed=0)
    assert np.all(np.abs(mc.values * 60 - [14, 14, 14, 9, 9, 0]) <= mc.half_width * 60)
    assert mc.values[5] == 0  # a null player's marginal is always 0
    est = monte_carlo_banzhaf(EEC, 40000, seed=0)
    np.testing.assert_allclose(est * 32, [10, 10, 10, 6, 6, 0], atol=0.5)


def test_hoeffding_helpers_agree():
    m = samples_needed(2.0, 0.05, 0.95)
    assert hoeffding_half_width(2.0, m, 0.95) <= 0.05 < hoeffding_half_width(2.0, m - 1, 0.95)


def test_plurality_game_agrees_with_pref_voting():
    rng = np.random.default_rng(7)
    opts = ["A", "B", "C"]
    for _ in range(5):
        rankings = {f"v{i}": [opts[j] for j in rng.permutation(3)] for i in range(5)}
        prof = Profile.from_rankings(opts, rankings)
        quality = dict(zip(opts, rng.random(3)))
        tops = [opts.index(r[0]) for r in rankings.values()]
        fast = plurality_game(list(rankings), tops, list(quality.values()))
        slow = vote_game(prof, "plurality", quality)
        np.testing.assert_allclose(value_table(fast), value_table(slow), atol=1e-12)


def test_pivotality():
    prof = Profile.from_rankings(["a", "b"], {"x": ["a", "b"], "y": ["a", "b"], "z": ["b", "a"]})
    assert pivotal_voters(prof, "plurality") == {"x": True, "y": True, "z": False}


def test_importance_switches_to_monte_carlo():
    game = weighted_voting_game([1.0] * 18, quota=10)
    imp = importance(game, exact_max=15, samples=400, seed=0)
    assert imp.shapley_method == "monte-carlo"
    # symmetric players: each Shapley value is 1/18; the estimate is within its interval
    assert np.all(np.abs(imp.shapley - 1 / 18) <= imp.shapley_half_width)
    with pytest.raises(InterplayError, match="Monte Carlo"):
        value_table(weighted_voting_game([1.0] * 30, quota=10))
