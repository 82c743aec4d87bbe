"""Per-turn play under each mechanism: fixed types give the array program's outcomes; commitments parse."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from interplay.games.catalogue import prisoners_dilemma, public_goods
from interplay.mechanisms.fast import COOPERATOR, DEFECTOR, RANDOM, RECIPROCATOR, Settings
from interplay.mechanisms.induced import Commitment
from interplay.mechanisms.play import FixedPlayer, InvalidCommitment, encounter, parse_commitment
from interplay.mechanisms.roles import roles

PD = prisoners_dilemma()
RL = roles(PD)
S0 = Settings(rounds=4, noise=0.0)


def _play(mech, kinds, game=PD, **kw):
    players = [FixedPlayer(f"p{i}", k, mech, roles(game)) for i, k in enumerate(kinds)]
    return asyncio.run(encounter(game, mech, players, settings=S0, seed=3, **kw))


@pytest.mark.parametrize(("mech", "kinds", "actions", "payoffs"), [
    ("none", (RECIPROCATOR, DEFECTOR), (0, 1), (0.0, 5.0)),
    ("cheap-talk", (RECIPROCATOR, DEFECTOR), (0, 1), (0.0, 5.0)),  # the defector's promise is believed
    ("contracts", (RECIPROCATOR, DEFECTOR), (1, 1), (1.0, 1.0)),  # rejected: no contract, the reciprocator defects
    ("contracts", (RECIPROCATOR, COOPERATOR), (0, 0), (3.0, 3.0)),
    ("commitments", (RECIPROCATOR, COOPERATOR), (0, 0), (3.0, 3.0)),
    ("commitments", (RECIPROCATOR, DEFECTOR), (1, 1), (1.0, 1.0)),
    ("mediator", (RECIPROCATOR, RECIPROCATOR), (0, 0), (3.0, 3.0)),
    ("mediator", (RECIPROCATOR, COOPERATOR), (1, 0), (5.0, 0.0)),  # the mediator defects for its delegate
])
def test_fixed_types_per_turn_match_the_array_program(mech, kinds, actions, payoffs):
    enc = _play(mech, kinds)
    assert enc.error is None
    (o,) = enc.outcomes
    assert o.actions == actions and o.payoffs == payoffs and o.mechanism == mech
    if mech == "mediator":
        assert o.delegations == tuple(k == RECIPROCATOR for k in kinds)
    if mech == "contracts":
        assert o.contract["bound"] == (DEFECTOR not in kinds) and len(o.transfers) == 2
    if mech == "commitments":
        assert o.commitments[0].startswith("commits to C if every co-player")
    d = o.to_dict()
    assert d["who"] == ["p0", "p1"] and "messages" in d


def test_repetition_is_tit_for_tat_and_reputation_rematches():
    enc = _play("repetition", (RECIPROCATOR, DEFECTOR))
    assert [o.actions for o in enc.outcomes] == [(0, 1), (1, 1), (1, 1), (1, 1)]
    enc = _play("reputation", (RECIPROCATOR,), co_player_types=[COOPERATOR, DEFECTOR, RECIPROCATOR, RANDOM])
    who = [o.who[1] for o in enc.outcomes]
    assert who == ["Cooperator #1.1", "Defector #2.1", "Reciprocator #3.1", "Random #4.1"]
    # the discriminator cooperates with the good cooperator, defects on the bad defector (justified under
    # standing, so it stays good), and the reciprocator co-player then cooperates with it
    assert [o.actions for o in enc.outcomes][:3] == [(0, 0), (1, 1), (0, 0)]
    assert [o.extra["standing"][0] for o in enc.outcomes][:3] == [True, True, True]


def test_public_goods_encounter_with_three_seats():
    g = public_goods(3, 1.5)
    enc = _play("commitments", (RECIPROCATOR, RECIPROCATOR, COOPERATOR), game=g)
    assert enc.outcomes[0].actions == (0, 0, 0) and enc.outcomes[0].payoffs == pytest.approx((1.5, 1.5, 1.5))
    enc = _play("contracts", (RECIPROCATOR, COOPERATOR, DEFECTOR), game=g)
    assert enc.outcomes[0].actions == (1, 0, 1) and not enc.outcomes[0].contract["bound"]


def test_correlated_mediator_recommends_from_the_best_ce():
    from interplay.games.catalogue import chicken

    g = chicken(win=1.0, lose=-4.0, crash=-6.0)
    seen = set()
    for seed in range(40):
        players = [FixedPlayer(f"p{i}", RECIPROCATOR, "mediator", roles(g)) for i in range(2)]
        enc = asyncio.run(encounter(g, "mediator", players, settings=S0, mediator="correlated", seed=seed))
        o = enc.outcomes[0]
        assert o.actions == o.recommendations  # obedient
        assert all(m["visibility"] == "private" for m in o.messages)
        seen.add(o.actions)
    assert seen == {(0, 0), (0, 1), (1, 0)}  # never both straight: the CE puts no mass there


def test_parse_commitment():
    legal = ("C", "D")
    assert parse_commitment("I think so.\nCOMMIT: C", legal, 1) == Commitment("commit", 0)
    assert parse_commitment("commit: c if all commit else d", legal, 1) == Commitment("conditional", 0, 1)
    assert parse_commitment("COMMIT: C IF ALL COMMIT", legal, 1) == Commitment("conditional", 0, 1)
    assert parse_commitment("COMMIT: none", legal, 1) == Commitment("none")
    with pytest.raises(InvalidCommitment, match="no line"):
        parse_commitment("I will cooperate", legal, 1)
    with pytest.raises(InvalidCommitment, match="not one of the legal actions"):
        parse_commitment("COMMIT: Cooperate", legal, 1)
    assert np.isfinite(RL.best_welfare)


def test_every_mechanism_composes_with_cheap_talk_and_the_monitors():
    from interplay.safety.monitors import InjectionMonitor, MonitorSuite, monitored_channel

    suite = MonitorSuite([InjectionMonitor(action="flag")])
    for mech in ("contracts", "commitments", "mediator", "repetition", "reputation", "none"):
        players = [FixedPlayer(f"p{i}", RECIPROCATOR, mech, RL) for i in range(2 if mech != "reputation" else 1)]
        enc = asyncio.run(encounter(PD, mech, players, settings=S0, seed=1, talk_rounds=1,
                                    channel=monitored_channel([suite]), co_player_types=[COOPERATOR]))
        talk = [m for o in enc.outcomes for m in o.messages if m.get("kind") == "talk"]
        assert talk and all(m["text"] == "I will play C." for m in talk), mech
    assert suite.summary()["monitors"][0]["checked"] > 0


def test_a_person_votes_and_commits_by_typing():
    from interplay.agents.human import HumanPlayer

    def person(lines):
        it = iter(lines)
        return HumanPlayer("you", ask=lambda prompt: next(it), tell=lambda text: None)

    # a bad answer is re-asked; the contract binds with the cooperator, the person then plays D and pays
    enc = asyncio.run(encounter(PD, "contracts", [person(["maybe", "accept", "D"]),
                                                  FixedPlayer("c", COOPERATOR, "contracts", RL)], settings=S0))
    o = enc.outcomes[0]
    assert o.contract["bound"] and o.actions == (1, 0) and o.transfers == (-2.5, 2.5)
    assert o.payoffs == (5.0 - 2.5, 0.0 + 2.5)
    # a conditional commitment typed in the short form, matched by the reciprocator's: both cooperate, enforced
    enc = asyncio.run(encounter(PD, "commitments", [person(["C if all commit"]),
                                                    FixedPlayer("r", RECIPROCATOR, "commitments", RL)], settings=S0))
    o = enc.outcomes[0]
    assert o.actions == (0, 0) and o.commitments[0].startswith("commits to C if every co-player")


def test_reputation_population_of_fixed_types_agrees_with_the_fast_table():
    """The per-turn re-matched population (any players; here only fixed types) against the array program: the
    same rules, no noise, so each type's payoff per round agrees in distribution; the Reciprocator cooperates
    exactly when every co-player is in good standing."""
    from interplay.errors import InterplayError
    from interplay.mechanisms.fast import TYPES, simulate
    from interplay.mechanisms.play import reputation_population

    pd = prisoners_dilemma()
    rl = roles(pd)
    kinds = ["Cooperator", "Defector", "Reciprocator", "Reciprocator", "Defector", "Reciprocator"]
    for rule in ("image-scoring", "standing"):
        s = Settings(rounds=4, noise=0.0, reputation=rule)
        pays: dict[str, list[float]] = {}
        for run in range(60):
            members = [(f"{k} #{i}", k, FixedPlayer(f"{k} #{i}", TYPES.index(k), "reputation", rl))
                       for i, k in enumerate(kinds)]
            res = asyncio.run(reputation_population(pd, members, settings=s, rounds=4, seed=run))
            assert res.error is None and len(res.outcomes) == 4 * 3
            for k in set(kinds):  # each type's mean payoff per round in this run
                pays.setdefault(k, []).append(float(np.mean([m.payoffs for m in res.members if m.kind == k])))
            for o in res.outcomes:
                for k, kind in enumerate(o.extra["kinds"]):
                    if kind == "Reciprocator":
                        others_good = all(g for j, g in enumerate(o.extra["standing"]) if j != k)
                        assert o.cooperated[k] == others_good
        fast = simulate(pd, "reputation", np.array([TYPES.index(k) for k in kinds]), 2000, s, seed=3)
        for k in set(kinds):
            got = np.asarray(pays[k])
            col = fast.type_payoff[:, TYPES.index(k)]
            se = np.sqrt(got.var(ddof=1) / got.size + col.var(ddof=1) / col.size)
            assert abs(got.mean() - col.mean()) <= 5 * se + 1e-9, (rule, k)
    with pytest.raises(InterplayError, match="groups of 2"):
        asyncio.run(reputation_population(pd, members[:5], settings=s, rounds=1))
