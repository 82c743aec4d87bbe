"""Negotiation metrics on hand-made transcripts: every number below is worked out by hand."""

import math

import pytest

from interplay.evaluate.negotiation import (
    check_promises,
    nash_bargaining_solution,
    nbs_distance,
    outcome_metrics,
    pareto_deals,
    parse_promises,
    summarize,
)

# A hand-made game: 4 deals, payoffs (party 0, party 1); no deal: (0, 0).
U = [[6, 2], [4, 4], [1, 5], [3, 3]]


def _record(deal, payoffs=None, disagreement=(0, 0), turns=3, moves=(), messages=(), contents=None):
    return {"game": {"utilities": U, "disagreement": list(disagreement), "contents": contents or {}},
            "parties": ["alice", "bob"], "agreement": deal,
            "payoffs": payoffs if payoffs is not None else (U[deal] if deal is not None else list(disagreement)),
            "turns": turns, "moves": list(moves), "messages": list(messages)}


def test_nash_bargaining_solution_by_hand():
    # Nash products over d = (0, 0): 6*2 = 12, 4*4 = 16, 1*5 = 5, 3*3 = 9 -> deal 1
    assert nash_bargaining_solution(U, (0, 0)) == [1]
    # over d = (1, 1): 5*1 = 5, 3*3 = 9, deal 2 gives party 0 no gain (excluded), 2*2 = 4 -> deal 1
    assert nash_bargaining_solution(U, (1, 1)) == [1]
    # over d = (3, 0): only deals 0 (3*2 = 6) and 1 (1*4 = 4) gain for both -> deal 0
    assert nash_bargaining_solution(U, (3, 0)) == [0]
    assert nash_bargaining_solution(U, (7, 0)) == []  # nobody can give party 0 more than 7
    # a tie: both deals of product 4; the distance is to the nearer one
    assert nash_bargaining_solution([[4, 1], [1, 4], [0, 0]], (0, 0)) == [0, 1]
    assert nbs_distance([[4, 1], [1, 4]], (0, 0), (1, 3)) == pytest.approx(1.0)


def test_outcome_metrics_by_hand():
    m = outcome_metrics(_record(0))  # (6, 2)
    assert m["agreement"] and m["welfare"] == 8 and m["max_welfare"] == 8 and m["welfare_share"] == 1
    assert m["pareto"] and pareto_deals(U) == [0, 1, 2]
    assert m["nbs_distance"] == pytest.approx(math.sqrt((6 - 4) ** 2 + (2 - 4) ** 2))  # 2.828...
    assert m["shares"] == [0.75, 0.25] and m["of_max"] == [1.0, 2 / 5]
    assert m["turns_to_agreement"] == 3
    m = outcome_metrics(_record(3))  # (3, 3) is dominated by (4, 4)
    assert not m["pareto"] and m["welfare_share"] == 6 / 8 and m["nbs_distance"] == pytest.approx(math.sqrt(2))
    m = outcome_metrics(_record(None, turns=10))  # no deal: (0, 0)
    assert not m["agreement"] and not m["pareto"] and m["welfare"] == 0 and m["shares"] == [None, None]
    assert m["nbs_distance"] == pytest.approx(math.sqrt(32)) and m["turns_to_agreement"] is None


def test_summary_by_hand():
    s = summarize([_record(0, turns=2), _record(1, turns=4), _record(None, turns=10), _record(3, turns=6)])
    assert s["n"] == 4 and s["agreements"] == 3 and s["agreement_rate"] == 0.75
    assert s["mean_welfare"] == (8 + 8 + 0 + 6) / 4
    assert s["pareto_rate"] == 2 / 4
    assert s["mean_turns_to_agreement"] == (2 + 4 + 6) / 3
    assert s["mean_payoffs"] == [(6 + 4 + 0 + 3) / 4, (2 + 4 + 0 + 3) / 4]
    assert s["mean_shares"] == [pytest.approx((0.75 + 0.5 + 0.5) / 3), pytest.approx((0.25 + 0.5 + 0.5) / 3)]
    assert s["mean_nbs_distance"] == pytest.approx((math.sqrt(8) + 0 + math.sqrt(32) + math.sqrt(2)) / 4)
    low, high = s["agreement_ci"]  # Wilson interval of 3/4
    assert low == pytest.approx(0.3006, abs=1e-4) and high == pytest.approx(0.9544, abs=1e-4)


# Deal or No Deal instance 0: pool 1 book, 2 hats, 3 balls; gets[deal] = [alice's, bob's].
ITEMS = {"items": ["book", "hat", "ball"], "pool": [1, 2, 3],
         "gets": [[[1, 0, 0], [0, 2, 3]], [[0, 1, 3], [1, 1, 0]], [[1, 2, 3], [0, 0, 0]]]}


def test_parse_promises():
    ps = parse_promises("OK. I will give you 2 hats and you'll get all the balls. I'll accept if so.", ITEMS)
    assert [(p.kind, p.item, p.amount) for p in ps] == [("give", "hat", 2), ("give", "ball", 3), ("accept", None, None)]
    assert parse_promises("Give me the book.", ITEMS) == []
    assert [(p.kind, p.amount) for p in parse_promises("I can offer you one book", ITEMS)] == [("give", 1)]
    issues = {"issues": [["size", ["small", "medium", "large"]]], "options": [["small"], ["medium"], ["large"]]}
    ps = parse_promises("I will support medium, and I will accept the deal.", issues)
    assert [(p.kind, p.option) for p in ps] == [("support", "medium"), ("accept", None)]


def test_promises_against_the_next_offer():
    moves = [{"turn": 0, "seat": 0, "move": "offer", "deal": 0},   # alice: bob gets 2 hats, 3 balls
             {"turn": 1, "seat": 1, "move": "offer", "deal": 1},   # bob: alice gets 1 hat, 3 balls
             {"turn": 2, "seat": 0, "move": "offer", "deal": 2},   # alice takes everything
             {"turn": 3, "seat": 1, "move": "accept", "deal": None}]
    messages = [{"sender": "alice", "round": 0, "text": "I will give you 2 hats."},        # kept at turn 0
                {"sender": "bob", "round": 1, "text": "You will get 3 balls. I will accept your next offer."},
                {"sender": "alice", "round": 2, "text": "I'll give you a ball."},           # broken at turn 2
                {"sender": "bob", "round": 3, "text": "I will give you the book.", "blocked": True}]  # not delivered
    got = check_promises(_record(2, payoffs=[10, 0], moves=moves, messages=messages, contents=ITEMS))
    assert [(p["party"], p["kind"], p["kept"]) for p in got] == [
        ("alice", "give", True),    # offer 0 gives bob 2 hats
        ("bob", "give", True),      # offer 1 gives alice 3 balls
        ("bob", "accept", False),   # bob's next move after turn 1 is turn 1's offer, not an accept
        ("alice", "give", False)]   # offer 2 gives bob no ball
    s = summarize([_record(2, payoffs=[10, 0], moves=moves, messages=messages, contents=ITEMS)])
    assert (s["promises"], s["promises_tested"], s["promises_kept"]) == (4, 4, 2)
