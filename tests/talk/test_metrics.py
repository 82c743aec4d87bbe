"""Metric values on hand-made transcripts, checked against hand counts and scipy."""

import math

import numpy as np
import pytest
from scipy import stats

from interplay.errors import InterplayError
from interplay.talk.metrics import (
    accuracy_per_round,
    cohens_d,
    debate_summary,
    judge_accuracy,
    paired_bootstrap,
    persuasion_effect,
    plurality_answer,
    switches,
    vote_accuracy,
    wilson_interval,
)

# Three questions, three agents, rounds 0..2. Hand counts are in the comments.
RECORDS = [
    {"question_id": "q1", "correct": "7",
     "answers": [["7", "8", None], ["7", "7", "8"], ["7", "7", "7"]],
     "final": "7", "samples": ["7", "8", None, "8", "8", "9", "7", "8", "8"]},
    {"question_id": "q2", "correct": "3",
     "answers": [["3", "3", "5"], ["3", "5", "5"], ["5", "5", "5"]],
     "final": "5", "samples": ["3", "3", "5", "3", "3", "3", "5", "5", "3"]},
    {"question_id": "q3", "correct": "10",
     "answers": [["9", "1", "2"], ["9", "10", "9"], ["10", "10", "9"]],
     "final": "10", "samples": ["9", "1", "2", "10", "10", "10", "10", "4", "4"]},
]


def test_majority_and_ties():
    assert plurality_answer(["a", "b", "b"]) == ("b", False)
    assert plurality_answer(["a", "b", None, "b", "a"]) == ("a", True)  # tie: first given wins
    assert plurality_answer([None, None]) == (None, False)
    assert plurality_answer(["x", None, None]) == ("x", False)  # unparseable answers do not vote


def test_accuracy_per_round_by_hand():
    per = accuracy_per_round(RECORDS)
    # round 0: q1 1 right, q2 2 right, q3 0 right -> 3/9; majorities 7 (tie 7/8 -> first), 3, 9 -> 2/3
    assert per[0]["accuracy"]["k"] == 3 and per[0]["accuracy"]["n"] == 9
    assert per[0]["majority"]["k"] == 2
    assert per[0]["unparseable"] == 1
    # round 1: q1 2, q2 1, q3 1 -> 4/9; majority 7, 5, 9 -> 1/3
    assert per[1]["accuracy"]["k"] == 4 and per[1]["majority"]["k"] == 1
    # round 2: q1 3, q2 0, q3 2 -> 5/9; majority 7, 5, 10 -> 2/3; unanimous q1, q2 -> 2/3
    assert per[2]["accuracy"]["k"] == 5 and per[2]["majority"]["k"] == 2
    assert per[2]["consensus"] == pytest.approx(2 / 3)
    assert per[2]["agreement"] == pytest.approx((1 + 1 + 2 / 3) / 3)
    assert per[0]["consensus"] == 0.0
    # agreement round 0: q1 top "7" 1/3, q2 "3" 2/3, q3 "9" 1/3
    assert per[0]["agreement"] == pytest.approx((1 / 3 + 2 / 3 + 1 / 3) / 3)


def test_switches_by_hand():
    s = switches(RECORDS)
    # r0->r1: q1 (8->7 WR, None->8 changed wrong), q2 (3->5 RW, 5->5), q3 (1->10 WR, 2->9 changed)
    assert s[0] == {"from_round": 0, "to_round": 1, "right_to_wrong": 1, "wrong_to_right": 2,
                    "changed_wrong": 2, "unchanged": 4}
    # r1->r2: q1 (8->7 WR), q2 (3->5 RW), q3 (9->10 WR, 9->9)
    assert s[1] == {"from_round": 1, "to_round": 2, "right_to_wrong": 1, "wrong_to_right": 2,
                    "changed_wrong": 0, "unchanged": 6}


def test_vote_controls_and_summary():
    # vote over 9 samples: q1 "8" (4 of 8), q2 "3", q3 "10" -> 2/3
    assert vote_accuracy(RECORDS, 9)["k"] == 2
    with pytest.raises(InterplayError, match="10 needed"):
        vote_accuracy(RECORDS, 10)
    summary = debate_summary(RECORDS)
    table = summary["table"]
    assert list(table) == ["single agent", "vote of 3 samples", "vote of 9 samples (same calls)",
                           "debate (3 agents, 2 rounds)"]
    assert table["single agent"]["value"] == pytest.approx(3 / 9)
    assert table["vote of 3 samples"]["value"] == pytest.approx(2 / 3)
    assert table["debate (3 agents, 2 rounds)"]["value"] == pytest.approx(2 / 3)
    # debate right on q1, q3; equal-calls vote right on q2, q3 -> paired differences (1, -1, 0)
    diff = summary["debate_minus_vote_equal_calls"]
    assert diff["value"] == pytest.approx(0.0) and diff["low"] <= 0 <= diff["high"]


def test_wilson_matches_scipy_and_bootstrap_brackets_the_mean():
    for k, n in [(8, 10), (0, 12), (37, 50)]:
        ref = stats.binomtest(k, n).proportion_ci(0.95, method="wilson")
        assert wilson_interval(k, n) == pytest.approx((ref.low, ref.high), abs=1e-12)
    assert all(math.isnan(x) for x in wilson_interval(0, 0))
    rng = np.random.default_rng(1)
    a, b = rng.random(200) < 0.7, rng.random(200) < 0.5
    res = paired_bootstrap(a, b, seed=3)
    assert res["value"] == pytest.approx(a.mean() - b.mean())
    assert res["low"] < res["value"] < res["high"]
    # half-width close to the normal approximation of the paired difference
    d = a.astype(float) - b
    assert (res["high"] - res["low"]) / 2 == pytest.approx(1.96 * d.std(ddof=1) / np.sqrt(200), rel=0.15)


def test_judge_accuracy_by_hand():
    recs = [
        {"protocol": "debate", "correct": "x", "chosen": "x", "correct_side": "A", "chosen_side": "A"},
        {"protocol": "debate", "correct": "x", "chosen": "y", "correct_side": "B", "chosen_side": "A"},
        {"protocol": "debate", "correct": "y", "chosen": "y", "correct_side": "B", "chosen_side": "B"},
        {"protocol": "debate", "correct": "y", "chosen": "y", "correct_side": "A", "chosen_side": "A"},
        {"protocol": "consultancy", "correct": "x", "chosen": "x", "consultant_correct": True},
        {"protocol": "consultancy", "correct": "x", "chosen": "y", "consultant_correct": False},
        {"protocol": "consultancy", "correct": "x", "chosen": "x", "consultant_correct": False},
        {"protocol": "judge-alone", "correct": "x", "chosen": None},
        {"protocol": "judge-alone", "correct": "x", "chosen": "x"},
    ]
    acc = judge_accuracy(recs)
    assert acc["debate"]["accuracy"]["value"] == 0.75
    assert acc["debate"]["correct_side_win_rate"]["value"] == 0.75
    assert acc["debate"]["side_a_win_rate"]["value"] == 0.75
    assert acc["consultancy"]["accuracy"]["k"] == 2
    assert acc["consultancy"]["honest_consultant"]["value"] == 1.0
    assert acc["consultancy"]["dishonest_consultant"]["value"] == 0.5
    assert acc["judge-alone"]["accuracy"]["value"] == 0.5 and acc["judge-alone"]["no_decision"] == 1


def test_persuasion_effect_against_scipy():
    treat = [(2, 5, 1), (3, 6, 1), (5, 2, -1), (4, 4, 1), (6, 3, -1)]   # signed shifts 3, 3, 3, 0, 3
    ctrl = [(2, 3, 1), (4, 4, 1), (5, 5, -1), (3, 2, 1), (6, 6, -1)]    # signed shifts 1, 0, 0, -1, 0
    recs = ([{"arm": "treatment", "before": b, "after": a, "direction": d} for b, a, d in treat]
            + [{"arm": "control", "before": b, "after": a, "direction": d} for b, a, d in ctrl]
            + [{"arm": "control", "before": None, "after": 3, "direction": 1}])
    eff = persuasion_effect(recs)
    t, c = np.array([3, 3, 3, 0, 3.0]), np.array([1, 0, 0, -1, 0.0])
    assert eff["arms"]["treatment"]["mean_shift"] == pytest.approx(2.4)
    assert eff["arms"]["control"]["mean_shift"] == pytest.approx(0.0)
    assert eff["arms"]["control"]["unparseable"] == 1 and eff["arms"]["control"]["n"] == 5
    half = stats.t.ppf(0.975, 4) * t.std(ddof=1) / np.sqrt(5)
    assert eff["arms"]["treatment"]["low"] == pytest.approx(2.4 - half)
    welch = stats.ttest_ind(t, c, equal_var=False)
    assert eff["difference"]["p_value"] == pytest.approx(welch.pvalue)
    assert eff["difference"]["low"] == pytest.approx(welch.confidence_interval().low)
    pooled = np.sqrt((t.var(ddof=1) + c.var(ddof=1)) / 2)
    assert eff["effect_size"]["d"] == pytest.approx(2.4 / pooled)
    assert eff["effect_size"]["g"] == pytest.approx(2.4 / pooled * (1 - 3 / 31))


def test_cohens_d_interval_covers_the_truth_about_95_percent():
    rng = np.random.default_rng(0)
    hits = 0
    for _ in range(400):
        d = cohens_d(rng.normal(0.5, 1, 40), rng.normal(0, 1, 40))
        hits += d["low"] <= 0.5 <= d["high"]
    assert 0.91 <= hits / 400 <= 0.98
