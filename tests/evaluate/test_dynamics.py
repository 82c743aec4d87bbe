"""Moran fixation against closed forms; replicator rest points of rock-paper-scissors and the PD."""

from __future__ import annotations

import numpy as np
import pytest

from interplay.errors import InterplayError
from interplay.evaluate.dynamics import (
    fixation_probability,
    fixation_probability_constant,
    moran_fixation_simulated,
    moran_process,
    replicator_continuous,
    replicator_discrete,
    replicator_velocity,
)

RPS = np.array([[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]])
PD = np.array([[3.0, 0.0], [5.0, 1.0]])  # cooperate, defect


@pytest.mark.parametrize("N", [2, 5, 12])
def test_neutral_fixation_is_one_over_n(N):
    A = np.full((2, 2), 2.0)
    assert fixation_probability(A, 0, 1, N) == pytest.approx(1 / N)
    assert fixation_probability_constant(1.0, N) == pytest.approx(1 / N)


@pytest.mark.parametrize(("r", "N"), [(1.5, 10), (0.8, 6), (2.0, 20)])
def test_constant_fitness_matches_the_closed_form(r, N):
    A = np.array([[r, r], [1.0, 1.0]])  # mutant always has fitness r, resident 1
    closed = (1 - 1 / r) / (1 - r ** (-N))
    assert fixation_probability(A, 0, 1, N) == pytest.approx(closed, rel=1e-12)
    assert fixation_probability_constant(r, N) == pytest.approx(closed, rel=1e-12)


def test_simulated_moran_agrees_with_the_exact_formula():
    runs = 20000
    for A, N in [(np.array([[1.5, 1.5], [1.0, 1.0]]), 8), (np.array([[3.0, 0.5], [4.0, 1.0]]), 6)]:
        exact = fixation_probability(A, 0, 1, N, w=0.3)
        sim = moran_fixation_simulated(A, 0, 1, N, runs, seed=1, w=0.3).mean()
        assert abs(sim - exact) < 4 * np.sqrt(exact * (1 - exact) / runs)


def test_moran_on_a_cycle_is_neutral_for_equal_payoffs():
    """Isothermal theorem (Lieberman et al. 2005): on a cycle, a neutral mutant fixes with probability 1/N."""
    N, runs = 6, 600
    G = np.roll(np.eye(N), 1, 1) + np.roll(np.eye(N), -1, 1)
    rng = np.random.default_rng(0)
    fixed = [moran_process(np.ones((2, 2)), [0] + [1] * (N - 1), rng=rng, graph=G).fixed == 0 for _ in range(runs)]
    assert abs(np.mean(fixed) - 1 / N) < 4 * np.sqrt((1 / N) * (1 - 1 / N) / runs)


def test_moran_with_mutation_keeps_the_population_size():
    res = moran_process(PD, [0, 0, 1, 1, 0], rng=np.random.default_rng(2), mutation=0.1, max_steps=200, w=0.5)
    assert res.fixed is None and res.steps == 200
    assert np.all(res.counts.sum(1) == 5)
    with pytest.raises(InterplayError, match="graph"):
        moran_process(PD, [0, 1, 1], rng=np.random.default_rng(0), graph=np.eye(3))


def test_replicator_rock_paper_scissors():
    centre = np.full(3, 1 / 3)
    np.testing.assert_allclose(replicator_velocity(RPS, centre), 0, atol=1e-15)
    # standard RPS is zero-sum: x1 x2 x3 is a constant of motion (Hofbauer and Sigmund 1998)
    x0 = np.array([0.5, 0.3, 0.2])
    xs = replicator_continuous(RPS, x0, np.linspace(0, 20, 50))
    np.testing.assert_allclose(xs.prod(1), x0.prod(), rtol=1e-5)
    np.testing.assert_allclose(xs.sum(1), 1, atol=1e-8)


def test_replicator_prisoners_dilemma_goes_to_defection():
    xs = replicator_continuous(PD, np.array([0.99, 0.01]), np.linspace(0, 40, 5))
    assert xs[-1, 1] > 0.999
    xd = replicator_discrete(PD + 1.0, np.array([0.9, 0.1]), 300)
    assert xd[-1, 1] > 0.999
    np.testing.assert_allclose(replicator_velocity(PD, np.array([0.0, 1.0])), 0)
