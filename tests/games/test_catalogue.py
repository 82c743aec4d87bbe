"""Catalogue payoffs against hand-written tables, and each game's known equilibria."""

import numpy as np
import pytest

import interplay
from interplay.errors import InterplayError
from interplay.games.analysis import analyze, mixed_nash_equilibria, pareto_efficient, pure_nash_equilibria
from interplay.games.spec import UtilityKind


def table(game):
    """{(row action, col action): (row payoff, col payoff)} of a 2-player game."""
    a0, a1 = game.spec.actions
    return {(a0[i], a1[j]): tuple(game.payoff((i, j))) for i in range(len(a0)) for j in range(len(a1))}


def test_prisoners_dilemma_conventions():
    lola = interplay.make("prisoners-dilemma-v1", convention="lola")
    assert table(lola) == {("C", "C"): (-1, -1), ("C", "D"): (-3, 0), ("D", "C"): (0, -3), ("D", "D"): (-2, -2)}
    tour = interplay.make("prisoners-dilemma-v1")
    assert table(tour) == {("C", "C"): (3, 3), ("C", "D"): (0, 5), ("D", "C"): (5, 0), ("D", "D"): (1, 1)}
    assert pure_nash_equilibria(tour) == [(1, 1)]
    eqs = mixed_nash_equilibria(tour)
    assert len(eqs) == 1
    np.testing.assert_allclose(eqs[0][0], [0, 1])
    np.testing.assert_allclose(eqs[0][1], [0, 1])
    assert sorted(pareto_efficient(tour)) == [(0, 0), (0, 1), (1, 0)]
    with pytest.raises(InterplayError, match="T > R > P > S"):
        interplay.make("prisoners-dilemma-v1", T=2)


def test_matching_pennies_has_only_the_mixed_equilibrium():
    g = interplay.make("matching-pennies-v1")
    assert g.spec.utility is UtilityKind.ZERO_SUM
    assert pure_nash_equilibria(g) == []
    eqs = mixed_nash_equilibria(g)
    assert len(eqs) == 1
    np.testing.assert_allclose(eqs[0][0], [0.5, 0.5])
    np.testing.assert_allclose(eqs[0][1], [0.5, 0.5])


def test_rock_paper_scissors_uniform_equilibrium():
    g = interplay.make("rps-v1")
    assert table(g)[("Rock", "Scissors")] == (1, -1)
    assert table(g)[("Paper", "Rock")] == (1, -1)
    eqs = mixed_nash_equilibria(g)
    assert len(eqs) == 1
    np.testing.assert_allclose(eqs[0][0], [1 / 3] * 3, atol=1e-6)


def test_stag_hunt_two_pure_and_one_mixed():
    g = interplay.make("stag-hunt-v1")  # stag 4, hare 3, sucker 0
    assert table(g) == {("Stag", "Stag"): (4, 4), ("Stag", "Hare"): (0, 3), ("Hare", "Stag"): (3, 0),
                        ("Hare", "Hare"): (3, 3)}
    assert pure_nash_equilibria(g) == [(0, 0), (1, 1)]
    mixed = [e for e in mixed_nash_equilibria(g) if 0 < e[0][0] < 1]
    # indifference: 4p = 3  ->  p(Stag) = 3/4
    assert len(mixed) == 1
    np.testing.assert_allclose(mixed[0][0], [0.75, 0.25])
    assert pareto_efficient(g) == [(0, 0)]


def test_chicken_and_battle_of_the_sexes():
    c = interplay.make("chicken-v1")  # win 1, crash -10
    assert table(c)[("Straight", "Straight")] == (-10, -10)
    assert pure_nash_equilibria(c) == [(0, 1), (1, 0)]
    mixed = [e for e in mixed_nash_equilibria(c) if 0 < e[0][0] < 1]
    # the mixed equilibrium makes the opponent indifferent between Swerve and Straight
    p = mixed[0][0][0]
    pay_swerve = 0 * p + -1 * (1 - p)
    pay_straight = 1 * p + -10 * (1 - p)
    assert pay_swerve == pytest.approx(pay_straight)
    b = interplay.make("bos-v1")
    assert table(b)[("Opera", "Opera")] == (3, 2) and table(b)[("Football", "Football")] == (2, 3)
    assert pure_nash_equilibria(b) == [(0, 0), (1, 1)]
    mixed = [e for e in mixed_nash_equilibria(b) if 0 < e[0][0] < 1]
    np.testing.assert_allclose(mixed[0][0], [0.6, 0.4])  # makes the column player indifferent: 2p = 3(1-p)
    np.testing.assert_allclose(mixed[0][1], [0.4, 0.6])


def test_coordination_identical_interest():
    g = interplay.make("coordination-v1", num_actions=3)
    assert g.spec.utility is UtilityKind.IDENTICAL_INTEREST
    assert pure_nash_equilibria(g) == [(0, 0), (1, 1), (2, 2)]


def test_public_goods_free_riding_is_the_only_equilibrium():
    g = interplay.make("public-goods-v1", num_players=4, multiplier=2.0)
    # all contribute: each gets 2 * 4 / 4 = 2; one keeps: it gets 1 + 2*3/4 = 2.5
    np.testing.assert_allclose(g.payoff((0, 0, 0, 0)), [2, 2, 2, 2])
    np.testing.assert_allclose(g.payoff((1, 0, 0, 0)), [2.5, 1.5, 1.5, 1.5])
    assert pure_nash_equilibria(g) == [(1, 1, 1, 1)]
    a = analyze(g)
    assert a.max_welfare == pytest.approx(8.0)
    assert a.max_welfare_outcomes == ["Contribute,Contribute,Contribute,Contribute"]


def test_volunteers_dilemma_equilibria_are_single_volunteers():
    g = interplay.make("volunteers-dilemma-v1", num_players=3, benefit=1.0, cost=0.5)
    np.testing.assert_allclose(g.payoff((1, 1, 1)), [0, 0, 0])
    np.testing.assert_allclose(g.payoff((0, 1, 1)), [0.5, 1, 1])
    assert sorted(pure_nash_equilibria(g)) == [(0, 1, 1), (1, 0, 1), (1, 1, 0)]


def test_custom_table_and_shape_errors():
    pairs = [[[2, 1], [0, 0]], [[0, 0], [1, 2]]]
    g = interplay.make("custom-v1", payoffs=pairs, actions=[["X", "Y"], ["X", "Y"]], layout="pairs")
    assert table(g) == {("X", "X"): (2, 1), ("X", "Y"): (0, 0), ("Y", "X"): (0, 0), ("Y", "Y"): (1, 2)}
    same = interplay.make("custom-v1", payoffs=np.moveaxis(np.array(pairs), -1, 0).tolist())
    np.testing.assert_array_equal(same.payoffs, g.payoffs)
    with pytest.raises(InterplayError, match="3 actions in the payoff table but 2 action names"):
        interplay.make("custom-v1", payoffs=np.zeros((2, 3, 2)).tolist(), actions=[["a", "b"], ["c", "d"]])
    with pytest.raises(InterplayError, match="shape"):
        interplay.make("custom-v1", payoffs=[1, 2, 3])
    with pytest.raises(InterplayError, match="rectangular"):
        interplay.make("custom-v1", payoffs=[[1, 2], [3]])


def test_best_responses():
    g = interplay.make("pd-v1")
    from interplay.games.analysis import best_response_table

    br = best_response_table(g)
    assert br["player_0"] == {"C": ["D"], "D": ["D"]}


def test_unknown_id_lists_close_matches():
    with pytest.raises(interplay.errors.UnknownNameError) as info:
        interplay.make("prisoners-dilema-v1")
    assert "prisoners-dilemma-v1" in info.value.close_matches
    with pytest.raises(interplay.errors.UnknownNameError, match="discount"):
        interplay.make("ipd-v1", discont=0.9)
