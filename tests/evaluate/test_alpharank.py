"""alpha-Rank (OpenSpiel's implementation) against hand-computed stationary distributions."""

from __future__ import annotations

import numpy as np
import pytest

from interplay.errors import InterplayError
from interplay.evaluate.alpharank import alpharank, plot_alpharank


def _rho(u: float, m: int) -> float:
    """Fixation of a mutant with payoff advantage u (= alpha * (A[r,s] - A[s,r])), Omidshafiei et al. 2019."""
    return 1 / m if u == 0 else (1 - np.exp(-u)) / (1 - np.exp(-m * u))


@pytest.mark.parametrize(("alpha", "m"), [(0.1, 10), (0.5, 5), (2.0, 30)])
def test_two_strategies_hand_computed(alpha, m):
    A = np.array([[3.0, 0.0], [5.0, 1.0]])  # prisoner's dilemma, C and D
    u = alpha * (A[1, 0] - A[0, 1])  # D invading C
    c_to_d, d_to_c = _rho(u, m), _rho(-u, m)
    # two-state chain: pi_C * c_to_d = pi_D * d_to_c
    expected = np.array([d_to_c, c_to_d]) / (c_to_d + d_to_c)
    res = alpharank(A, ["C", "D"], alpha=alpha, m=m)
    np.testing.assert_allclose(res.pi, expected, rtol=1e-9, atol=1e-15)
    assert res.ranking[0][0] == "D"
    assert res.edges() == [(0, 1, pytest.approx(c_to_d))]


def test_rock_paper_scissors_is_uniform_and_a_cycle():
    rps = np.array([[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]])
    res = alpharank(rps, ["R", "P", "S"], alpha=5.0, m=10)
    np.testing.assert_allclose(res.pi, 1 / 3, atol=1e-9)
    assert sorted((s, r) for s, r, _ in res.edges()) == [(0, 1), (1, 2), (2, 0)]
    import matplotlib

    matplotlib.use("Agg")
    assert plot_alpharank(res) is not None


def test_two_populations_matching_pennies_is_uniform():
    A = np.array([[1.0, -1.0], [-1.0, 1.0]])
    res = alpharank([A, -A], [["H", "T"], ["H", "T"]], alpha=2.0, m=10)
    assert res.names == ["H / H", "H / T", "T / H", "T / T"]
    np.testing.assert_allclose(res.pi, 0.25, atol=1e-9)


def test_bad_tables():
    with pytest.raises(InterplayError, match="square"):
        alpharank(np.zeros((2, 3)))
    with pytest.raises(InterplayError, match="missing"):
        alpharank(np.array([[1.0, np.nan], [0.0, 1.0]]))
