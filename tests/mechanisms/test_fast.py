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
