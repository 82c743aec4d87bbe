"""The Abdelnabi-scale scenario of examples/negotiation-abdelnabi.yaml (6 parties, 5 issues, a veto party,
per-party minimums, 5 of 6 to pass): scores and the vote rule against hand sums, the feasible deals counted
by a plain loop over the yaml (not the game's arrays), and the fixed line-ups through the protocol."""

import asyncio
import itertools
from pathlib import Path

import numpy as np
import pytest
import yaml

import interplay
from interplay.games.bargaining import ACCEPT, REJECT, Move

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "negotiation-abdelnabi.yaml"


@pytest.fixture(scope="module")
def cfg():
    return yaml.safe_load(EXAMPLE.read_text())


@pytest.fixture(scope="module")
def scenario(cfg):
    return cfg["games"][0]["params"]["scenario"]


def _game(scenario, rounds=0):
    return interplay.make("scorable-negotiation-v1", rounds=rounds, scenario=scenario)


def _deal(g, text):
    return g.parse_move(f"PROPOSE {text}", g.initial_state()).deal


def _vote(g, deal, votes):
    """rounds=0: the lead's final proposal, then the other five vote in party order."""
    s = g.step(g.initial_state(), Move("offer", deal))
    for v in votes:
        s = g.step(s, ACCEPT if v else REJECT)
    assert s.done
    return s


def test_the_scale_is_abdelnabis(scenario):
    g = _game(scenario)
    assert g.parties == ("windco", "ministry", "fishers", "greens", "port", "neighbours")
    assert [len(i.options) for i in g.scenario.issues] == [3, 3, 3, 4, 4] and g.num_deals == 432
    assert g.parties[g.veto] == "ministry" and g.quorum == 5
    assert g.utilities.max(axis=0).tolist() == [100] * 6  # each party's best deal is worth 100 to it
    assert g.disagreement.tolist() == [55, 60, 50, 60, 50, 45]
    assert _game(scenario, rounds=1).max_turns == 12  # 6 proposals or supports, the final proposal, 5 votes


# hand sums of the scores in the yaml, issue by issue (turbines, zone, fund, subsidy, compensation)
HAND = {
    # feasible: greens alone below its minimum; the ministry exactly at its minimum (60)
    "turbines=some zone=near fund=small subsidy=mid compensation=high": (
        [
            15 + 20 + 8 + 18 + 0,
            20 + 10 + 15 + 10 + 5,
            15 + 20 + 15 + 5 + 0,
            20 + 0 + 10 + 10 + 5,
            15 + 30 + 15 + 10 + 0,
            10 + 0 + 5 + 5 + 40,
        ],
        True,
    ),
    # feasible and the developer's favourite among them; the neighbours get 5
    "turbines=many zone=near fund=small subsidy=high compensation=none": (
        [
            25 + 20 + 8 + 25 + 15,
            30 + 10 + 15 + 0 + 10,
            0 + 20 + 15 + 5 + 15,
            35 + 0 + 10 + 15 + 5,
            25 + 30 + 15 + 10 + 10,
            0 + 0 + 5 + 0 + 0,
        ],
        True,
    ),
    # five parties at or above their minimums, but not the veto party (55 < 60): infeasible
    "turbines=many zone=near fund=large subsidy=high compensation=high": (
        [
            25 + 20 + 0 + 25 + 0,
            30 + 10 + 10 + 0 + 5,
            0 + 20 + 30 + 5 + 0,
            35 + 0 + 15 + 15 + 5,
            25 + 30 + 25 + 10 + 0,
            0 + 0 + 10 + 0 + 40,
        ],
        False,
    ),
    # the lead and the veto party content, but only 4 of 6: no quorum
    "turbines=some zone=near fund=small subsidy=low compensation=none": (
        [
            15 + 20 + 8 + 10 + 15,
            20 + 10 + 15 + 20 + 10,
            15 + 20 + 15 + 5 + 15,
            20 + 0 + 10 + 5 + 5,
            15 + 30 + 15 + 5 + 10,
            10 + 0 + 5 + 10 + 0,
        ],
        False,
    ),
}


@pytest.mark.parametrize("text", list(HAND))
def test_hand_computed_scores_and_votes(scenario, text):
    g = _game(scenario)
    scores, feasible = HAND[text]
    deal = _deal(g, text)
    assert g.utilities[deal].tolist() == scores
    minimums = g.disagreement.tolist()
    content = [s >= m for s, m in zip(scores, minimums)]
    assert (content[0] and content[1] and sum(content) >= 5) is feasible
    # everyone votes for what meets their minimum: the deal passes exactly when it is feasible
    s = _vote(g, deal, content[1:])
    assert (s.agreement == deal) is feasible
    assert g.returns(s).tolist() == (scores if feasible else minimums)


def test_the_vote_rule_at_the_edges(scenario):
    g = _game(scenario)
    deal = _deal(g, "turbines=many zone=near fund=small subsidy=high compensation=none")
    scores, minimums = g.utilities[deal].tolist(), g.disagreement.tolist()
    assert g.returns(_vote(g, deal, [True, True, True, True, False])).tolist() == scores  # 5 of 6 with the veto
    assert g.returns(_vote(g, deal, [True, True, True, False, False])).tolist() == minimums  # 4 of 6
    assert g.returns(_vote(g, deal, [False, True, True, True, True])).tolist() == minimums  # the veto says no
    assert g.returns(_vote(g, deal, [True] * 5)).tolist() == scores


def test_feasible_deals_counted_by_a_plain_loop(scenario):
    issues = scenario["issues"]
    sc, mins = scenario["scores"], scenario["minimums"]
    parties = scenario["parties"]
    feasible = []
    for combo in itertools.product(*(range(len(v)) for v in issues.values())):
        total = {p: sum(sc[p][iss][o] for iss, o in zip(issues, combo)) for p in parties}
        ok = {p: total[p] >= mins[p] for p in parties}
        if ok["windco"] and ok["ministry"] and sum(ok.values()) >= 5:
            feasible.append(combo)
    assert len(feasible) == 63  # of 432 (the number the example's header states)
    g = _game(scenario)
    u, d = g.utilities, g.disagreement
    ok = u >= d
    mask = ok[:, 0] & ok[:, 1] & (ok.sum(axis=1) >= 5)
    assert sorted(g.deals_options[k] for k in np.flatnonzero(mask)) == sorted(feasible)


def test_fixed_line_ups_through_the_protocol(scenario):
    from interplay.agents.negotiators import Threshold, conceder
    from interplay.evaluate.negotiation import outcome_metrics
    from interplay.talk.negotiation import negotiate

    g = _game(scenario, rounds=1)
    names = g.parties
    r = asyncio.run(negotiate(g, [conceder(f"c{k}") for k in range(6)]))
    assert r.turns == 12 and len(r.moves) == 12 and not any(m["fallback"] for m in r.moves)
    rec = r.to_record()
    m = outcome_metrics(rec)
    if r.agreement is not None:  # what passed meets the rule: the lead, the veto party and 5 of 6 content
        u = g.utilities[r.agreement]
        content = u >= g.disagreement
        assert content[0] and content[1] and content.sum() >= 5
        assert r.payoffs == u.tolist()
    else:
        assert r.payoffs == g.disagreement.tolist()
    assert m["agreement"] == (r.agreement is not None)
    # threshold negotiators ask 60% of their best (60 each); at the vote each accepts what is worth at least its
    # minimum (its outside option), so the final proposal passes exactly when it is feasible
    r = asyncio.run(negotiate(g, [Threshold(f"t{k}", 0.6) for k in range(6)]))
    final = r.moves[6]
    assert final["party"] == names[0] and final["move"] == "offer"
    votes = [mv["move"] == "accept" for mv in r.moves[7:]]
    assert g.utilities[final["deal"], 0] >= 60
    assert votes == [bool(g.utilities[final["deal"], k] >= g.disagreement[k]) for k in range(1, 6)]
    passed = votes[0] and 1 + sum(votes) >= 5
    assert (r.agreement is not None) is passed
