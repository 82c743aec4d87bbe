"""Constraint costs: exact occupancy costs against the game's exact values and sampled play;
the Lagrangian option meets an active budget and relaxes under a slack one."""

from __future__ import annotations

import numpy as np
import pytest

import interplay
from interplay.agents.memory_one import memory_one_probs
from interplay.errors import InterplayError
from interplay.safety.costs import CostLedger, Lagrangian, LagrangianConfig, exact_costs, train_constrained
from interplay.safety.shields import play
from interplay.safety.spec import safety_spec


def test_exact_costs_equal_exact_values_when_the_cost_is_the_payoff():
    game = interplay.make("ipd-v1", convention="lola", discount=0.9)
    pay = np.asarray(game.stage.payoffs)  # (2, 2, 2)
    spec = safety_spec(game, cost=lambda s, j: pay[:, j[0], j[1]])
    rng = np.random.default_rng(0)
    for _ in range(5):
        p1, p2 = rng.random(5), rng.random(5)
        np.testing.assert_allclose(exact_costs(game, spec, p1, p2), game.average_rewards(p1, p2), rtol=1e-4)
    # hand value: TFT vs always-defect defects after the first turn
    spec_d = safety_spec(game, forbid_actions=[{"player": 0, "actions": ["D"]}, {"player": 1, "actions": ["D"]}])
    c = exact_costs(game, spec_d, memory_one_probs("Tit For Tat"), memory_one_probs("Defector"))
    np.testing.assert_allclose(c, [0.9, 1.0], rtol=1e-5)  # player 0: every step but the first (weight 1 - gamma)


def test_exact_costs_in_normal_form_and_state_dependent_costs_match_sampled_play():
    game = interplay.make("prisoners-dilemma-v1")
    spec = safety_spec(game, forbid_joint=[{"joint": ["D", "D"]}])
    np.testing.assert_allclose(exact_costs(game, spec, [0.3, 0.7], [0.4, 0.6]), [0.42, 0.42], rtol=1e-6)
    # cost 1 for player 1 defecting right after mutual cooperation only
    it = interplay.make("ipd-v1", discount=0.75, horizon=25)
    spec = safety_spec(it, cost=lambda s, j: [0.0, float(s == 1 and j[1] == 1)])
    p1, p2 = memory_one_probs("Random: 0.5"), np.array([0.9, 0.7, 0.2, 0.6, 0.5])
    exact = exact_costs(it, spec, p1, p2)
    E, T = 240, 25
    rec = play(it, [p1, p2], spec, episodes=E, seed=1)
    disc = (1 - 0.75) * 0.75 ** np.tile(np.arange(T), E)
    sampled = (disc[:, None] * rec.costs).reshape(E, T, 2).sum(1)
    se = sampled[:, 1].std() / np.sqrt(E)
    assert exact[0] == 0.0
    assert abs(sampled[:, 1].mean() - exact[1]) < 3.5 * se + 1e-4


def test_ledger_totals_per_agent_and_budget():
    game = interplay.make("prisoners-dilemma-v1")
    spec = safety_spec(game, forbid_actions=[{"player": 1, "actions": ["D"]}])
    rec = play(game, [[0.5, 0.5], [0.0, 1.0]], spec, episodes=10, seed=0)
    ledger = CostLedger(spec.players)
    ledger.add_record(rec)
    ledger.add(spec, 0, (0, 0))
    s = ledger.summary(budget=0.5)
    assert s["steps"] == 11 and s["total_violations"] == 10
    assert s["per_agent"]["player_1"] == {"cost": 10.0, "cost_per_step": 10 / 11, "violations": 10,
                                          "within_budget": False}
    assert s["per_agent"]["player_0"]["within_budget"] is True


def test_lagrangian_meets_an_active_budget_and_relaxes_a_slack_one():
    """Naive learner vs always-cooperate in the IPD; defecting costs 1. Unconstrained it would
    always defect (cost 1 per step); with budget 0.3 it settles at cost 0.3 with lambda > 0;
    with budget 1.0 the multiplier stays at 0 and it defects."""
    game = interplay.make("ipd-v1", discount=0.9)
    spec = safety_spec(game, forbid_actions=[{"player": 0, "actions": ["D"]}])
    coop = memory_one_probs("Cooperator")
    # PI Lagrangian (Stooke et al. 2020): the cost settles on the budget, lambda on its KKT value
    run = train_constrained(game, spec, coop, Lagrangian(budget=0.3, lr=0.2, kp=2.0), steps=300, lr=1.0)
    assert abs(run.cost[-20:].mean() - 0.3) < 1e-3 and run.cost[-20:].std() < 1e-3
    # against a cooperator, D gains T - R = 2 per step and costs 1, so lambda* = 2
    assert abs(run.multiplier[-1] - 2.0) < 0.01
    # plain dual ascent oscillates, but its average iterate meets the budget
    plain = train_constrained(game, spec, coop, Lagrangian(budget=0.3, lr=0.5), steps=300, lr=2.0)
    assert plain.cost[-50:].std() > 0.05 and abs(plain.cost[100:].mean() - 0.3) < 0.05
    slack = train_constrained(game, spec, coop, Lagrangian(budget=1.0, lr=0.5), steps=150, lr=2.0)
    assert slack.multiplier.max() == 0.0 and slack.cost[-1] > 0.95


def test_lagrangian_config_and_errors():
    lag = Lagrangian.from_config(LagrangianConfig(budget=0.1, lr=1.0, init=0.5))
    assert lag.update(0.0) == pytest.approx(0.4) and lag.update(-5) == 0.0
    assert lag.penalise(3.0, 2.0) == 3.0
    with pytest.raises(InterplayError, match="iterated"):
        train_constrained(interplay.make("prisoners-dilemma-v1"),
                          safety_spec(interplay.make("prisoners-dilemma-v1")), [1, 0], Lagrangian(0.1))


def test_lagrangian_ppo_learns_within_the_budget():
    """Sampled-play PPO against always-cooperate, each D costing 1: its cost per step averages the
    budget, lambda the KKT value T - R = 2, and reward = R + (T - R) x cost holds batch by batch."""
    from interplay.safety.costs import train_lagrangian_ppo

    game = interplay.make("ipd-v1", discount=0.9)
    spec = safety_spec(game, forbid_actions=[{"player": 0, "actions": ["D"]}])
    coop = memory_one_probs("Cooperator")
    run = train_lagrangian_ppo(game, spec, coop, Lagrangian(0.3, lr=0.5, kp=2.0), iterations=60, seed=1)
    np.testing.assert_allclose(run.reward, 3.0 + 2.0 * run.cost, atol=1e-5)
    assert abs(run.cost[20:].mean() - 0.3) < 0.05
    assert abs(run.multiplier[20:].mean() - 2.0) < 0.3
    free = train_lagrangian_ppo(game, spec, coop, Lagrangian(1.0, lr=0.5), iterations=30, seed=1)
    assert free.multiplier.max() == 0.0 and free.cost[-5:].mean() > 0.9  # unconstrained: it learns to defect
