"""The vectorised fixed-strategy table against the plain-loop reference, and exact sequences."""

from __future__ import annotations

import numpy as np
import pytest

from interplay.errors import InterplayError
from interplay.games.catalogue import chicken, prisoners_dilemma, public_goods, trust_game
from interplay.mechanisms.fast import (
    COOPERATOR,
    DEFECTOR,
    MECHANISMS,
    RANDOM,
    RECIPROCATOR,
    TYPES,
    Settings,
    mean_ci,
    population_types,
    simulate,
)
from interplay.mechanisms.reference import reference_cell

GAMES = {"pd": prisoners_dilemma(), "pg": public_goods(3, 1.5), "trust": trust_game()}


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    se = np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    return bool(abs(a.mean() - b.mean()) <= 5 * se + 1e-9)


@pytest.mark.parametrize("mechanism", MECHANISMS)
@pytest.mark.parametrize("game", list(GAMES))
def test_fast_agrees_with_the_reference_loop(mechanism, game):
    g = GAMES[game]
    pop = population_types(list(TYPES), g.num_players)
    settings = Settings(rounds=6, noise=0.1)
    fast = simulate(g, mechanism, pop, 600, settings, seed=1)
    ref = reference_cell(g, mechanism, pop, 300, settings, seed=2)
    assert _close(fast.cooperation, ref["cooperation"])
    assert _close(fast.welfare, ref["welfare"])
    for k in range(len(TYPES)):
        assert _close(fast.type_payoff[:, k], ref["type_payoff"][:, k]), TYPES[k]


@pytest.mark.parametrize("mechanism", [m for m in MECHANISMS if m not in ("none", "cheap-talk")])
@pytest.mark.parametrize("game", ["pd", "pg"])
def test_cheap_talk_composed_with_each_mechanism_agrees_with_the_reference_loop(mechanism, game):
    g = GAMES[game]
    pop = population_types(list(TYPES), g.num_players)
    settings = Settings(rounds=5, noise=0.1, talk=True)
    fast = simulate(g, mechanism, pop, 600, settings, seed=3)
    ref = reference_cell(g, mechanism, pop, 250, settings, seed=4)
    assert _close(fast.cooperation, ref["cooperation"])
    assert _close(fast.welfare, ref["welfare"])
    for k in range(len(TYPES)):
        assert _close(fast.type_payoff[:, k], ref["type_payoff"][:, k]), TYPES[k]


def test_cheap_talk_composes_exactly():
    """No noise: with talk, 'none' is the cheap-talk mechanism; without a Random (everyone announces C) talk changes
    no payoff; a Random's announcement of D makes the Reciprocator defect even under a binding contract."""
    pd = prisoners_dilemma()
    s, st = Settings(rounds=4, noise=0.0), Settings(rounds=4, noise=0.0, talk=True)
    pop = np.array([COOPERATOR, DEFECTOR, RECIPROCATOR, RECIPROCATOR])
    for m in [m for m in MECHANISMS if m != "reputation"]:  # reputation's pair payoffs follow the matching history
        a, b = simulate(pd, m, pop, 40, s, seed=2), simulate(pd, m, pop, 40, st, seed=2)
        np.testing.assert_allclose(a.pair_payoff, b.pair_payoff, err_msg=m)
    mixed = population_types(list(TYPES), 2)
    a, b = simulate(pd, "none", mixed, 400, st, seed=6), simulate(pd, "cheap-talk", mixed, 400, s, seed=6)
    assert _close(a.welfare, b.welfare) and _close(a.cooperation, b.cooperation)
    con = simulate(pd, "contracts", np.array([RECIPROCATOR, RANDOM]), 2000, st, seed=1, record=True)
    acts, who = con.actions, con.players  # (S, R, 1, 2)
    recip_seat = (who == 0)
    random_cooperated = np.take_along_axis(acts, 1 - recip_seat.argmax(-1, keepdims=True), -1)[..., 0] == 0
    recip_moves = np.take_along_axis(acts, recip_seat.argmax(-1, keepdims=True), -1)[..., 0]
    # the Reciprocator cooperates only if the contract bound (the Random accepted, p 1/2) and the Random announced C
    # (p 1/2): a quarter of its moves
    assert np.mean(recip_moves == 0) == pytest.approx(0.25, abs=0.02)
    assert np.mean(random_cooperated) == pytest.approx(0.5, abs=0.02)


def test_correlated_mediator_agrees_with_the_reference_loop():
    g = chicken(win=1.0, lose=-4.0, crash=-6.0)
    pop = population_types(list(TYPES), 2)
    s = Settings(rounds=5, noise=0.1, mediator="correlated")
    fast = simulate(g, "mediator", pop, 600, s)
    ref = reference_cell(g, "mediator", pop, 300, s)
    assert _close(fast.welfare, ref["welfare"]) and _close(fast.cooperation, ref["cooperation"])


def test_exact_outcomes_without_noise():
    """Deterministic types, no noise: every number by hand."""
    pd = prisoners_dilemma()
    pop = np.array([COOPERATOR, DEFECTOR, RECIPROCATOR, RECIPROCATOR])
    s = Settings(rounds=5, noise=0.0)
    # repetition: the reciprocator paired with the defector is exploited once, then defects (tit for tat)
    rep = simulate(pd, "repetition", pop, 200, s, record=True)
    assert rep.pair_payoff[RECIPROCATOR, DEFECTOR] == pytest.approx((0 + 4 * 1) / 5)
    assert rep.pair_payoff[DEFECTOR, RECIPROCATOR] == pytest.approx((5 + 4 * 1) / 5)
    assert rep.pair_payoff[RECIPROCATOR, RECIPROCATOR] == 3.0
    # the groups stay together under repetition: the same pairs every round
    assert np.all(rep.players[:, 1:] == rep.players[:, :1])
    # contracts: the defector rejects, so the reciprocator defects with it; cooperators bind and cooperate
    con = simulate(pd, "contracts", pop, 50, s)
    assert con.pair_payoff[RECIPROCATOR, DEFECTOR] == 1.0 and con.pair_payoff[COOPERATOR, DEFECTOR] == 0.0
    assert con.pair_payoff[COOPERATOR, RECIPROCATOR] == 3.0
    # mediator: a delegating reciprocator defects (through the mediator) against the non-delegating cooperator
    med = simulate(pd, "mediator", pop, 50, s)
    assert med.pair_payoff[RECIPROCATOR, COOPERATOR] == 5.0 and med.pair_payoff[RECIPROCATOR, RECIPROCATOR] == 3.0
    # commitments: the conditional commitment cooperates with the unconditional one, defects on the uncommitted
    com = simulate(pd, "commitments", pop, 50, s)
    assert com.pair_payoff[RECIPROCATOR, COOPERATOR] == 3.0 and com.pair_payoff[RECIPROCATOR, DEFECTOR] == 1.0
    # cheap talk: the defector's promise is a lie the reciprocator believes
    talk = simulate(pd, "cheap-talk", pop, 50, s)
    assert talk.pair_payoff[RECIPROCATOR, DEFECTOR] == 0.0
    # the same seed gives the same cell; another seed another one
    a = simulate(pd, "reputation", population_types(list(TYPES), 2), 20, Settings(), seed=4, record=True)
    b = simulate(pd, "reputation", population_types(list(TYPES), 2), 20, Settings(), seed=4, record=True)
    c = simulate(pd, "reputation", population_types(list(TYPES), 2), 20, Settings(), seed=5, record=True)
    assert np.array_equal(a.actions, b.actions) and not np.array_equal(a.actions, c.actions)


def test_confidence_interval_and_bad_input():
    m, lo, hi = mean_ci(np.array([1.0, 2.0, 3.0]))
    assert m == 2.0 and hi - m == pytest.approx(1.96 * 1.0 / np.sqrt(3))
    assert np.isnan(mean_ci(np.array([1.0]))[1])
    with pytest.raises(InterplayError, match="unknown mechanism"):
        simulate(prisoners_dilemma(), "bribery", np.zeros(2, int), 2)
    with pytest.raises(InterplayError, match="groups of 3"):
        simulate(public_goods(3), "none", np.zeros(4, int), 2)
    with pytest.raises(InterplayError, match="unknown fixed agent type"):
        population_types(["Cooperator", "Saint"], 2)
    with pytest.raises(InterplayError, match="reputation rule"):
        Settings(reputation="gossip")


def test_group_payoff_table():
    """Two players: the group table is the pair matrix; the public goods game without noise: each type's payoff
    with each co-player multiset by hand (endowment 1, multiplier 1.5, three players)."""
    from interplay.evaluate.dynamics import co_player_code

    pd = prisoners_dilemma()
    r = simulate(pd, "reputation", population_types(list(TYPES), 2), 100, Settings(), seed=1)
    assert r.group_payoff is not None
    np.testing.assert_allclose(r.pair_payoff, r.group_payoff[:, [2**j for j in range(len(TYPES))]])
    pg = public_goods(3, 1.5)
    pop = population_types(["Cooperator", "Defector"], 3, 3)
    r = simulate(pg, "none", pop, 200, Settings(noise=0.0), seed=2)
    assert r.group_payoff is not None and r.group_cooperation is not None
    for j in range(3):  # j cooperating co-players, 2 - j defecting
        code = co_player_code([j, 2 - j, 0, 0], 3)
        assert r.group_payoff[COOPERATOR, code] == pytest.approx(1.5 * (j + 1) / 3)
        assert r.group_payoff[DEFECTOR, code] == pytest.approx(1 + 1.5 * j / 3)
        assert r.group_cooperation[COOPERATOR, code] == 1.0 and r.group_cooperation[DEFECTOR, code] == 0.0
    assert np.isnan(r.group_payoff[RECIPROCATOR]).all()  # never in the population
