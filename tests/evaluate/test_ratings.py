"""Elo by its formula; OpenSkill leaderboards; outcomes from a tournament."""

from __future__ import annotations

import pytest

from interplay.errors import InterplayError
from interplay.evaluate.ratings import elo, openskill, tournament_outcomes
from interplay.evaluate.tournament import run_tournament


def test_elo_by_hand():
    board = {r.name: r.rating for r in elo([("a", "b", 1.0)])}
    assert board == {"a": pytest.approx(1516.0), "b": pytest.approx(1484.0)}
    # then b beats a: expected score of b is 1 / (1 + 10^(32/400))
    e_b = 1 / (1 + 10 ** (32 / 400))
    board = {r.name: r.rating for r in elo([("a", "b", 1.0), ("a", "b", 0.0)])}
    assert board["b"] == pytest.approx(1484.0 + 32 * (1 - e_b))
    assert sum(board.values()) == pytest.approx(3000.0)  # zero-sum updates
    draws = {r.name: r.rating for r in elo([("a", "b", 0.5)] * 5)}
    assert draws == {"a": pytest.approx(1500.0), "b": pytest.approx(1500.0)}


def test_openskill_orders_a_consistent_winner_first():
    outcomes = [("strong", "weak", 1.0)] * 10 + [("strong", "mid", 1.0)] * 10 + [("mid", "weak", 1.0)] * 10
    board = openskill(outcomes)
    assert [r.name for r in board] == ["strong", "mid", "weak"]
    assert all(r.sigma < 25 / 3 for r in board)  # uncertainty shrank from the prior
    with pytest.raises(InterplayError, match="score"):
        openskill([("a", "b", 2)])


def test_tournament_outcomes_feed_the_ratings():
    res = run_tournament(["Defector", "Cooperator", "Tit For Tat"], turns=10, repetitions=4)
    outcomes = tournament_outcomes(res)
    assert len(outcomes) == 4 * 3
    assert outcomes.count(("Defector", "Cooperator", 1.0)) == 4
    assert outcomes.count(("Cooperator", "Tit For Tat", 0.5)) == 4
    assert elo(outcomes)[0].name == "Defector" and openskill(outcomes)[0].name == "Defector"


def test_outcomes_from_match_totals():
    from interplay.evaluate.ratings import outcomes_from_totals

    got = outcomes_from_totals([("a", "b", 3.0, 1.0), ("b", "c", 2.0, 2.0), ("c", "c", 9.0, 0.0), ("c", "a", 0.0, 5.0)])
    assert got == [("a", "b", 1.0), ("b", "c", 0.5), ("c", "a", 0.0)]
    board = {r.name: r.rating for r in elo(got)}
    assert board["a"] > board["b"] and board["a"] > board["c"]
