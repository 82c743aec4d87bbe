"""Voting rules on textbook profiles (pref_voting computes them; we check the known winners)."""

import numpy as np
import pytest

from interplay.decide.axioms import check_axioms, rule_properties, violated
from interplay.decide.profiles import Profile, ballot
from interplay.decide.rules import ALIASES, DEFAULT_RULES, apply_rule, apply_rules, get_rule, majority, rule_names
from interplay.errors import InterplayError, UnknownNameError

CYCLE = Profile.from_rankings(["a", "b", "c"], [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"]])
# 4 A>B>C, 3 B>C>A, 2 C>B>A: plurality elects A (4 first places), the Condorcet loser; Borda scores
# A 8, B 12, C 7 elect B, the Condorcet winner (B beats A 5-4 and C 7-2).
DISAGREE = Profile.from_rankings(["A", "B", "C"], [["A", "B", "C"]] * 4 + [["B", "C", "A"]] * 3 + [["C", "B", "A"]] * 2)


def test_condorcet_cycle_has_no_winner_and_every_rule_ties():
    maj = majority(CYCLE)
    assert maj.condorcet_winner is None
    assert maj.cycles == (("a", "b", "c"),)
    assert maj.smith_set == ("a", "b", "c")
    # a beats b, b beats c, c beats a, each by one voter
    assert maj.margins[0][1] == 1 and maj.margins[1][2] == 1 and maj.margins[2][0] == 1
    for name, res in apply_rules(CYCLE).items():
        assert res.winners == ("a", "b", "c"), name
        assert res.tied


def test_borda_and_plurality_disagree():
    res = apply_rules(DISAGREE)
    assert res["plurality"].winners == ("A",)
    assert res["borda"].winners == ("B",)
    for name in ("copeland", "kemeny-young", "schulze", "ranked-pairs", "instant-runoff", "minimax"):
        assert res[name].winners == ("B",), name
    data = DISAGREE.to_pref_voting()
    assert data.borda_scores() == {0: 8, 1: 12, 2: 7}
    maj = majority(DISAGREE)
    assert maj.condorcet_winner == "B" and maj.condorcet_loser == "A" and maj.cycles == ()


def test_axioms_at_stake():
    bad = violated(DISAGREE, "plurality", ["condorcet_winner", "condorcet_loser", "pareto_dominance"])
    assert bad == ["condorcet_winner", "condorcet_loser"]
    assert violated(DISAGREE, "borda", ["condorcet_winner", "condorcet_loser", "pareto_dominance"]) == []
    # pref_voting's general record: Borda can violate the Condorcet winner criterion
    assert "condorcet_winner" in rule_properties("borda")["violated"]
    grade = check_axioms(DISAGREE, "star", ["condorcet_winner"])
    assert grade[0].violated is None


def test_weights_count_like_copies():
    opts = ["x", "y", "z"]
    heavy = Profile(opts, [ballot("p", opts, ranking=["x", "y", "z"], weight=3),
                           ballot("q", opts, ranking=["y", "z", "x"], weight=2),
                           ballot("r", opts, ranking=["z", "y", "x"], weight=2)])
    copies = Profile.from_rankings(opts, [["x", "y", "z"]] * 3 + [["y", "z", "x"]] * 2 + [["z", "y", "x"]] * 2)
    for rule in DEFAULT_RULES:
        assert apply_rule(heavy, rule).winners == apply_rule(copies, rule).winners, rule
    assert majority(heavy).margins == majority(copies).margins
    half = Profile(opts, [ballot("p", opts, ranking=["x", "y", "z"], weight=1.5),
                          ballot("q", opts, ranking=["y", "x", "z"], weight=1.0)])
    assert apply_rule(half, "plurality").winners == ("x",)


def test_ties_and_truncation():
    opts = ["A", "B", "C"]
    prof = Profile(opts, [ballot("p", opts, ranking=[["A", "B"], "C"]), ballot("q", opts, ranking=["B"]),
                          ballot("r", opts, ranking=["C", "A", "B"])])
    # B: tied first for p, sole first for q -> B beats A 1-1? p ties A,B; q: B over A (A unlisted); r: A over B
    maj = majority(prof)
    assert maj.margins[1][0] == 0
    assert maj.margins[1][2] == 1  # p, q rank B over C; r ranks C over B
    with pytest.raises(InterplayError, match="Plurality"):
        apply_rule(prof, "plurality")
    assert apply_rule(prof, "borda").winners  # Borda reads truncated, tied ballots


def test_score_and_star_differ():
    opts = ["A", "B", "C"]
    ballots = [ballot(f"s{i}", opts, scores={"A": 5, "B": 0, "C": 0}) for i in range(2)]
    ballots += [ballot(f"t{i}", opts, scores={"A": 1, "B": 3, "C": 0}) for i in range(3)]
    prof = Profile(opts, ballots)
    # score totals A 13, B 9: Score elects A; STAR's runoff between A and B goes to B (3 voters to 2)
    assert apply_rule(prof, "score").winners == ("A",)
    assert apply_rule(prof, "star").winners == ("B",)
    # derived approvals (a score of 3 or more): A by 2 voters, B by 3
    assert apply_rule(prof, "approval").winners == ("B",)


def test_derived_scores_from_rankings():
    prof = Profile.from_rankings(["A", "B", "C", "D"], [["B", "A", "D", "C"]])
    assert prof.derived_scores(prof.ballots[0]) == {"B": 5, "A": 3, "D": 2, "C": 0}
    assert prof.derived_approvals(prof.ballots[0]) == frozenset({"A", "B"})


def test_rule_names_and_aliases():
    names = rule_names()
    assert len(names) >= 96
    for n in names:
        assert get_rule(n).name == n
    for alias, target in ALIASES.items():
        assert get_rule(alias).name == target
    assert get_rule("Beat path").name == get_rule("schulze").name == "Beat Path"
    with pytest.raises(UnknownNameError, match="bordaa|Borda"):
        get_rule("bordaa")


def test_bad_ballots_are_named():
    with pytest.raises(InterplayError, match="'eve'.*unknown option 'Z'"):
        ballot("eve", ["A", "B"], ranking=["A", "Z"])
    with pytest.raises(InterplayError, match="twice"):
        ballot("eve", ["A", "B"], ranking=["A", "A"])
    with pytest.raises(InterplayError, match="weight"):
        ballot("eve", ["A", "B"], ranking=["A"], weight=0)
    with pytest.raises(InterplayError, match="repeated"):
        Profile(["A", "B"], [ballot("x", ["A", "B"], ranking=["A"]), ballot("x", ["A", "B"], ranking=["B"])])


def test_array_profile_matches_ballots():
    rng = np.random.default_rng(0)
    arr = np.array([rng.permutation(4) for _ in range(200)])
    opts = ["a", "b", "c", "d"]
    fast = Profile.from_array(opts, arr)
    slow = Profile.from_rankings(opts, [[opts[k] for k in row] for row in arr])
    for rule in ("plurality", "borda", "schulze", "instant-runoff"):
        assert apply_rule(fast, rule).winners == apply_rule(slow, rule).winners
    assert majority(fast).margins == majority(slow).margins
