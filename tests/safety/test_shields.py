"""Shields: never a forbidden joint action; nothing changes when the agents are already safe."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import interplay
from interplay.errors import InterplayError
from interplay.games.normal_form import normal_form
from interplay.safety.shields import Shield, as_actor, play, shielded_step
from interplay.safety.spec import global_state, safety_spec, spec_from_table


def _random_game(rng: np.random.Generator):
    n = int(rng.integers(2, 4))
    shape = tuple(int(k) for k in rng.integers(2, 4, size=n))
    return normal_form(rng.normal(size=(n, *shape)), id="random-v1")


def _random_agents(rng: np.random.Generator, shape: tuple[int, ...], kinds: list[str]):
    agents = []
    for i, k in enumerate(kinds):
        p = rng.dirichlet(np.ones(shape[i]))
        if k == "probs":
            agents.append(p)
        elif k == "act":  # a black box that only acts
            agents.append(lambda obs, r, p=p: int(r.choice(len(p), p=p)))
        else:  # a black box that accepts the offered actions (an LLM agent's options)
            def act(obs, r, allowed=None, p=p):
                q = p if allowed is None else p * np.isin(np.arange(len(p)), allowed)
                q = q if q.sum() > 0 else np.isin(np.arange(len(p)), allowed).astype(float)
                return int(r.choice(len(p), p=q / q.sum()))
            agents.append(act)
    return agents


@pytest.mark.parametrize("mode", ["post-posed", "pre-emptive"])
@pytest.mark.parametrize("layout", ["centralised", "factored"])
def test_shield_never_plays_a_forbidden_joint_action(mode, layout):
    rng = np.random.default_rng(7)
    checked = 0
    for trial in range(60):
        game = _random_game(rng)
        shape = game.num_actions
        forbidden = rng.random(shape) < (0.35 if layout == "centralised" else 0.2)
        forbidden[tuple(int(rng.integers(k)) for k in shape)] = False  # at least one safe joint action
        spec = spec_from_table(game, forbidden)
        try:
            shield = Shield.centralised(spec, mode) if layout == "centralised" else Shield.factored(spec, mode=mode)
        except InterplayError as exc:  # factored shields may be infeasible: the message says why
            assert layout == "factored" and "no joint action is safe" in str(exc)
            continue
        kinds = list(rng.choice(["probs", "act", "allowed"] if mode == "pre-emptive" else ["probs", "act"],
                                size=len(shape)))
        if mode == "pre-emptive" and "act" in kinds:
            kinds = ["allowed" if k == "act" else k for k in kinds]
        agents = _random_agents(rng, shape, kinds)
        unshielded = play(game, agents, spec, episodes=40, seed=trial)
        rec = play(game, agents, spec, shield=shield, episodes=40, seed=trial)
        assert not rec.violations.any()
        for e in rec.executed:
            assert not forbidden[tuple(e)]
        assert rec.blamed.sum() == 0 and rec.costs.sum() == 0
        checked += int(unshielded.violations.any())
    assert checked >= 15  # the unshielded agents did violate in many of these games


@pytest.mark.parametrize("mode", ["post-posed", "pre-emptive"])
def test_shield_changes_nothing_for_safe_agents(mode):
    rng = np.random.default_rng(3)
    for trial in range(30):
        game = _random_game(rng)
        shape = game.num_actions
        n = len(shape)
        # forbid some single actions; agents put no mass on them (so the joint is safe for any shield)
        rules, agents = [], []
        for i in range(n):
            bad = [int(a) for a in rng.choice(shape[i], size=shape[i] - 1, replace=False)[: int(rng.integers(0, 2))]]
            if bad:
                rules.append({"player": i, "actions": bad})
            p = rng.dirichlet(np.ones(shape[i]))
            p[bad] = 0.0
            agents.append(p / p.sum())
        spec = safety_spec(game, forbid_actions=rules)
        for shield in (Shield.centralised(spec, mode), Shield.factored(spec, mode=mode)):
            base = play(game, agents, spec, episodes=50, seed=trial)
            rec = play(game, agents, spec, shield=shield, episodes=50, seed=trial)
            np.testing.assert_array_equal(rec.executed, base.executed)
            np.testing.assert_array_equal(rec.rewards, base.rewards)
            assert shield.interventions.sum() == 0
            assert not base.violations.any()


def test_centralised_post_posed_changes_the_likeliest_agent_exactly():
    """IPD, (D, D) forbidden; Random vs Defector: the shield turns the random player's D into C."""
    game = interplay.make("ipd-v1", horizon=40)
    spec = safety_spec(game, forbid_joint=[{"joint": ["D", "D"]}])
    shield = Shield.centralised(spec)
    rec = play(game, ["Random: 0.5", "Defector"], spec, shield=shield, episodes=3, seed=5)
    assert (rec.executed == [0, 1]).all()
    assert (rec.rewards == [0.0, 5.0]).all()  # S and T of the tournament payoffs
    assert shield.interventions.tolist() == [int((rec.proposed[:, 0] == 1).sum()), 0]
    assert 0 < shield.interventions[0] < 120
    # the factored shields cannot see each other, so both must cooperate: mutual cooperation
    fshield = Shield.factored(spec)
    rec = play(game, ["Random: 0.5", "Defector"], spec, shield=fshield, episodes=3, seed=5)
    assert (rec.executed == [0, 0]).all() and (rec.rewards == 3.0).all()
    assert fshield.interventions[1] == 120


def test_preemptive_group_sampling_is_the_restricted_product():
    """Sequential conditional sampling = product distribution restricted to the safe set."""
    game = normal_form(np.zeros((2, 3, 3)), id="zeros-v1")
    forbidden = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0]], dtype=bool)
    spec = spec_from_table(game, forbidden)
    shield = Shield.centralised(spec, "pre-emptive")
    p1, p2 = np.array([0.5, 0.3, 0.2]), np.array([0.2, 0.3, 0.5])
    target = np.outer(p1, p2) * ~forbidden
    target /= target.sum()
    rng = np.random.default_rng(0)
    counts = np.zeros((3, 3))
    for u in rng.random((20000, 2)):
        counts[shield.sample_group(0, 0, [p1, p2], u)] += 1
    np.testing.assert_allclose(counts / counts.sum(), target, atol=0.012)
    assert counts[forbidden].sum() == 0


def test_factored_shield_reports_infeasible_groups():
    game = interplay.make("prisoners-dilemma-v1")
    spec = safety_spec(game, forbid_joint=[{"joint": ["C", "D"]}, {"joint": ["D", "C"]}])
    with pytest.raises(InterplayError, match="no joint action is safe"):
        Shield.factored(spec)
    Shield.centralised(spec)  # the centralised shield can keep them to (C,C) or (D,D)


def test_preemptive_needs_probabilities_or_offers():
    game = interplay.make("prisoners-dilemma-v1")
    spec = safety_spec(game, forbid_actions=[{"player": 0, "actions": ["D"]}])
    shield = Shield.factored(spec, mode="pre-emptive")
    with pytest.raises(InterplayError, match="post-posed"):
        play(game, [lambda obs, r: 1, [0.5, 0.5]], spec, shield=shield, episodes=2)


def test_iterated_states_are_global_and_per_state_rules_apply():
    """Forbid player 1's D right after (C, D) only: tit-for-tat vs always-defect alternate."""
    game = interplay.make("ipd-v1", horizon=6)
    assert global_state(game, 1, 2) == 3 and global_state(game, 1, 3) == 2 and global_state(game, 0, 2) == 2
    spec = safety_spec(game, forbid_actions=[{"player": 1, "actions": ["D"], "states": ["CD"]}])
    assert spec.safe_actions(2, 1) == [0] and spec.safe_actions(3, 1) == [0, 1]
    shield = Shield.factored(spec)
    rec = play(game, ["Tit For Tat", "Defector"], spec, shield=shield, episodes=1, seed=0)
    # C,D -> (state CD) player 1 forced to C: D,C -> C,D -> ...
    assert rec.executed.tolist() == [[0, 1], [1, 0], [0, 1], [1, 0], [0, 1], [1, 0]]
    assert shield.interventions.tolist() == [0, 3]


def test_spec_errors_name_the_problem():
    game = interplay.make("prisoners-dilemma-v1")
    with pytest.raises(InterplayError, match="unknown action of 'player_0' 'X'"):
        safety_spec(game, forbid_actions=[{"player": 0, "actions": ["X"]}])
    with pytest.raises(InterplayError, match="one entry per player"):
        safety_spec(game, forbid_joint=[{"joint": ["D"]}])
    with pytest.raises(InterplayError, match="cost function must return"):
        safety_spec(game, cost=lambda s, j: [1.0, 2.0, 3.0])
    with pytest.raises(InterplayError, match="unknown state"):
        safety_spec(game, forbid_actions=[{"player": 0, "actions": ["D"], "states": ["CC"]}])


def test_cost_function_and_wildcards():
    game = interplay.make("public-goods-v1")
    n = game.num_players
    spec = safety_spec(game, forbid_joint=[{"joint": ["*"] * (n - 1) + [game.spec.actions[-1][0]]}],
                       cost=lambda s, j: [float(a) for a in j])
    for j in itertools.product(*map(range, game.num_actions)):
        assert spec.costs_of(0, j).tolist() == [float(a) for a in j]
        assert spec.is_forbidden(0, j) == (j[-1] == 0)
        assert spec.blamed(0, j).tolist() == [False] * (n - 1) + [j[-1] == 0]


def test_step_with_no_shield_matches_as_actor_sampling():
    spec = safety_spec(interplay.make("prisoners-dilemma-v1"))
    actors = [as_actor([0.3, 0.7], 2), as_actor([0.9, 0.1], 2)]
    rng = np.random.default_rng(1)
    draws = [shielded_step(None, 0, actors, [0, 0], rng)[1] for _ in range(4000)]
    freq = np.mean(np.array(draws) == 0, axis=0)
    np.testing.assert_allclose(freq, [0.3, 0.9], atol=0.03)
    assert spec.num_states == 1


def test_per_turn_players_llm_and_machine_are_shielded_in_play_match():
    """An LLM agent that always answers D (over the loopback server) and a defector: the
    centralised shield changes exactly one of them each round; factored shields both."""
    from interplay.agents.fixed import MachinePlayer
    from interplay.agents.llm_agent import LLMAgent
    from interplay.agents.match import play_match
    from interplay.llm.base import run_sync
    from interplay.llm.testing import LoopbackServer
    from interplay.safety.shields import shield_players

    game = interplay.make("ipd-v1", horizon=5)
    spec = safety_spec(game, forbid_joint=[{"joint": ["D", "D"]}])
    with LoopbackServer(default="I defect.\nACTION: D") as server:
        llm = LLMAgent("llm", server.model())
        for shield, expected in ((Shield.centralised(spec), [0, 1]), (Shield.factored(spec), [0, 0])):
            players = shield_players([llm, MachinePlayer.memory_one("defector", "Defector")], shield)
            rec = run_sync(play_match(game, players, seed=0))
            assert rec.complete and rec.intended == [tuple(expected)] * 5
            assert shield.interventions.tolist() == [5, 5 * (expected[1] == 0)]
            moves = [e for e in rec.events if e.get("kind") == "move" and e["sender"] == "llm"]
            assert all(e["reason"] == "shield replaced D by C" for e in moves)
    with pytest.raises(InterplayError, match="post-posed"):
        shield_players([llm, llm], Shield.centralised(spec, "pre-emptive"))


def test_a_per_turn_player_is_not_taken_for_an_observation_actor():
    from interplay.agents.fixed import MachinePlayer
    from interplay.safety.shields import as_actor

    with pytest.raises(InterplayError, match="shield_players"):
        as_actor(MachinePlayer.memory_one("tft", "Tit For Tat"), 2)


def test_observation_actors_are_players_in_a_match():
    """Every Actor is also a Player: the Tit For Tat table plays tit for tat in a per-turn match (its
    observation read from the view), and a shield around it in the match corrects it as in play()."""
    from interplay.agents.fixed import MachinePlayer
    from interplay.agents.match import play_match
    from interplay.agents.protocol import Player
    from interplay.llm.base import run_sync
    from interplay.safety.shields import shield_players

    game = interplay.make("ipd-v1", horizon=5)
    tft = as_actor("Tit For Tat", 2, name="tft")
    assert isinstance(tft, Player) and tft.name == "tft"
    defector = MachinePlayer.memory_one("defector", "Defector")
    rec = run_sync(play_match(game, [tft, defector], seed=0))
    assert rec.actions == [(0, 1)] + [(1, 1)] * 4
    rec = run_sync(play_match(game, [defector, tft], seed=0))
    assert rec.actions == [(1, 0)] + [(1, 1)] * 4
    spec = safety_spec(game, forbid_joint=[{"joint": ["D", "D"]}])
    shield = Shield.factored(spec)
    rec = run_sync(play_match(game, shield_players([tft, defector], shield), seed=0))
    assert rec.intended == [(0, 0)] * 5 and shield.interventions.tolist() == [0, 5]
