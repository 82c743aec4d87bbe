"""Meta-game equilibria (nashpy) and Nash averaging (Balduzzi et al. 2018)."""

from __future__ import annotations

import numpy as np
import pytest

from interplay.errors import InterplayError
from interplay.evaluate.metagame import antisymmetrize, is_symmetric_equilibrium, nash_average, symmetric_nash


def test_prisoners_dilemma_meta_game_has_only_defection():
    eqs = symmetric_nash(np.array([[3.0, 0.0], [5.0, 1.0]]))
    assert len(eqs) == 1
    np.testing.assert_allclose(eqs[0], [0, 1])


def test_hawk_dove_mixed_equilibrium_is_v_over_c():
    V, C = 2.0, 6.0  # hawk, dove: hawks fight for V at cost C
    M = np.array([[(V - C) / 2, V], [0.0, V / 2]])
    eqs = symmetric_nash(M)
    mixed = [x for x in eqs if 0 < x[0] < 1]
    assert len(mixed) == 1 and mixed[0][0] == pytest.approx(V / C)
    assert is_symmetric_equilibrium(M, mixed[0])


def test_nash_averaging_rock_paper_scissors_and_a_transitive_game():
    rps = np.array([[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]])
    p, skill = nash_average(rps)
    np.testing.assert_allclose(p, 1 / 3, atol=1e-6)
    np.testing.assert_allclose(skill, 0, atol=1e-6)
    # adding a copy of rock does not change the others' Nash averages (Balduzzi et al.'s invariance)
    rrps = np.array([[0, 0, -1, 1], [0, 0, -1, 1], [1, 1, 0, -1], [-1, -1, 1, 0.0]])
    p2, skill2 = nash_average(rrps)
    assert p2[0] == pytest.approx(p2[1], abs=1e-5) and p2[0] + p2[1] == pytest.approx(1 / 3, abs=1e-5)
    np.testing.assert_allclose(skill2, 0, atol=1e-6)
    # a dominant agent takes all the mass; the others' skills are their losses to it
    M = np.array([[2.0, 3.0, 4.0], [1.0, 2.0, 3.0], [0.0, 1.0, 2.0]])
    p3, skill3 = nash_average(antisymmetrize(M))
    np.testing.assert_allclose(p3, [1, 0, 0], atol=1e-8)
    np.testing.assert_allclose(skill3, [0, -2, -4], atol=1e-8)
    with pytest.raises(InterplayError, match="antisymmetric"):
        nash_average(M)
