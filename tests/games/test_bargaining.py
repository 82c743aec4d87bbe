"""Bargaining games: OpenSpiel's `bargaining` agrees with our payoffs and legal moves; the rules refuse
illegal moves; typed moves are read strictly; the scorable negotiation's vote rule; the Nash demand game."""

import itertools

import numpy as np
import pyspiel
import pytest

import interplay
from interplay.games.bargaining import ACCEPT, REJECT, BadMove, IllegalMove, Move, openspiel_instances


def _random_play(game, rng):
    """A random legal move sequence (offers of any split, accept with probability 1/3 when allowed)."""
    state = game.initial_state()
    while not state.done:
        legal = game.legal(state)
        options = []
        if legal.offer:
            options += [Move("offer", int(k)) for k in rng.choice(game.num_deals, size=3)]
        if legal.accept:
            options += [ACCEPT] * (2 if legal.offer else 1)
        if legal.reject:
            options.append(REJECT)
        state = game.step(state, options[rng.integers(len(options))])
    return state


def test_instances_are_openspiels():
    os_game = pyspiel.load_game("bargaining")
    ours = openspiel_instances()
    assert len(ours) == 1000
    for k in (0, 1, 517, 999):
        inst = os_game.all_instances()[k]
        assert ours[k] == (tuple(inst.pool), tuple(inst.values[0]), tuple(inst.values[1]))
        g = interplay.make("deal-or-no-deal-v1", instance=k)
        assert g.pool == tuple(inst.pool)
        # Lewis et al.: each side's whole pool is worth 10
        assert g.values @ np.array(g.pool) == pytest.approx([10, 10])


@pytest.mark.parametrize("instance", [0, 3, 42, 777])
def test_payoffs_and_legal_moves_agree_with_pyspiel(instance):
    """Replaying our move sequences in OpenSpiel gives the same returns, and at every state the same
    legal offers (OpenSpiel's quantities are the proposer's) and the same right to accept."""
    os_game = pyspiel.load_game("bargaining")
    offers = os_game.all_offers()
    g = interplay.make("deal-or-no-deal-v1", instance=instance)
    rng = np.random.default_rng(instance)
    for _ in range(30):
        final = _random_play(g, rng)
        os_state = os_game.new_initial_state()
        os_state.apply_action(instance)  # the chance node picks the instance
        replay = g.initial_state()
        for (party, move), action in zip(final.history, g.openspiel_actions(final), strict=True):
            legal = g.legal(replay)
            os_legal = set(os_state.legal_actions())
            assert os_state.current_player() == party == legal.party
            ours = {os_game.get_offer_by_quantities(list(g.mover_gets(k, party)))[1] for k in range(g.num_deals)}
            assert ours == {a for a in os_legal if a < len(offers)}
            assert legal.accept == (len(offers) in os_legal)
            os_state.apply_action(action)
            replay = g.step(replay, move)
        assert os_state.is_terminal()
        assert g.returns(final).tolist() == pytest.approx(os_state.returns())


def test_hand_computed_deal():
    # instance 0: pool 1 book, 2 hats, 3 balls; alice values 8, 1, 0; bob 4, 0, 2
    g = interplay.make("deal-or-no-deal-v1")
    s = g.step(g.initial_state(), g.parse_move("OFFER book=1 hat=2 ball=0", g.initial_state()))
    s = g.step(s, g.parse_move("accept", s))
    assert s.done and g.returns(s).tolist() == [8 * 1 + 1 * 2, 2 * 3]
    # bob's offers are typed as what bob gets
    s = g.step(g.initial_state(), Move("offer", g.deal_index((0, 0, 0), 0)))
    move = g.parse_move("OFFER books=1 hats=0 balls=3", s)
    assert g.mover_gets(move.deal, 1) == (1, 0, 3) and g.mover_gets(move.deal, 0) == (0, 2, 0)
    assert g.utilities[move.deal].tolist() == [2, 4 + 6]


@pytest.mark.parametrize("text, reason", [
    ("OFFER book=2 hat=0 ball=0", "impossible: the pool has 1 book"),
    ("OFFER book=1 hat=0", "leaves out ball"),
    ("OFFER book=1 hat=0 ball=0 car=1", "'car' is not an item"),
    ("OFFER book=1 book=0 hat=0 ball=0", "book is named twice"),
    ("OFFER book=0.5 hat=0 ball=0", "impossible"),
    ("OFFER me everything", "an offer lists what you get"),
    ("ACCEPT", "you cannot accept now"),
    ("REJECT", "you cannot reject now"),
    ("I think we should split", "does not start with a move word"),
    ("", "empty"),
])
def test_bad_moves_are_refused_with_the_reason(text, reason):
    g = interplay.make("deal-or-no-deal-v1")
    with pytest.raises(BadMove) as info:
        g.parse_move(text, g.initial_state())
    assert reason in info.value.reason


def test_step_refuses_illegal_moves_and_the_last_move_cannot_offer():
    g = interplay.make("deal-or-no-deal-v1", max_turns=3)
    s = g.initial_state()
    for bad in (ACCEPT, REJECT, Move("offer", g.num_deals), Move("offer", -1), Move("offer", None)):
        with pytest.raises(IllegalMove):
            g.step(s, bad)
    s = g.step(s, Move("offer", 0))
    s = g.step(s, Move("offer", 5))
    assert not g.legal(s).offer and g.legal(s).reject and g.legal(s).accept  # the 3rd and last move
    with pytest.raises(IllegalMove):
        g.step(s, Move("offer", 1))
    end = g.step(s, REJECT)
    assert end.done and end.agreement is None and g.returns(end).tolist() == [0, 0]
    with pytest.raises(IllegalMove):
        g.step(end, ACCEPT)


def test_ultimatum():
    g = interplay.make("ultimatum-v1", pie=10)
    s = g.initial_state()
    assert g.legal(s).offer and not g.legal(s).accept
    s = g.step(s, g.parse_move("OFFER coins=7", s))  # the proposer keeps 7
    legal = g.legal(s)
    assert (legal.party, legal.offer, legal.accept, legal.reject) == (1, False, True, True)
    with pytest.raises(BadMove, match="cannot offer"):
        g.parse_move("OFFER coins=5", s)
    assert g.returns(g.step(s, ACCEPT)).tolist() == [7, 3]
    assert g.returns(g.step(s, REJECT)).tolist() == [0, 0]


def _final(g, deal, votes):
    s = g.initial_state()
    while s.turn < g.final_turn:
        s = g.step(s, Move("offer", 0))
    s = g.step(s, Move("offer", deal))
    for v in votes:
        s = g.step(s, ACCEPT if v else REJECT)
    return s


def test_scorable_negotiation_vote_rule():
    g = interplay.make("scorable-negotiation-v1")
    assert g.parties == ("developer", "council", "greens", "union") and g.num_deals == 27
    deal = g.parse_move("PROPOSE size=medium green=partial jobs=40pct", g.initial_state()).deal
    # hand sums of the scores: developer 25+20+20, council 30+25+20, greens 20+25+10, union 20+15+25
    assert g.utilities[deal].tolist() == [65, 75, 55, 60]
    assert g.returns(_final(g, deal, [True, True, True])).tolist() == [65, 75, 55, 60]
    assert g.returns(_final(g, deal, [True, False, True])).tolist() == [65, 75, 55, 60]  # 3 of 4 with the veto
    minimums = [55, 60, 45, 50]
    assert g.returns(_final(g, deal, [False, True, True])).tolist() == minimums  # the veto party says no
    assert g.returns(_final(g, deal, [True, False, False])).tolist() == minimums  # 2 of 4: no quorum
    s = _final(g, deal, [])
    assert g.legal(s).party == 1 and not g.legal(s).offer
    with pytest.raises(BadMove, match="cannot offer"):
        g.parse_move("PROPOSE size=small green=full jobs=60pct", s)
    with pytest.raises(BadMove, match="'huge' is not an option of size"):
        g.parse_move("PROPOSE size=huge green=full jobs=60pct", g.initial_state())


def test_nash_demand_game():
    g = interplay.make("nash-demand-v1", pie=4)
    assert g.spec.actions[0] == ("0", "1", "2", "3", "4")
    for a, b in itertools.product(range(5), repeat=2):
        expected = [a, b] if a + b <= 4 else [0, 0]
        assert g.payoffs[:, a, b].tolist() == expected


def test_bargaining_games_are_in_the_registry():
    kinds = {e.id: e.kind for e in interplay.games.registry.list_games()}
    assert kinds["deal-or-no-deal-v1"] == kinds["ultimatum-v1"] == kinds["scorable-negotiation-v1"] == "bargaining"
    assert kinds["nash-demand-v1"] == "normal-form"
    with pytest.raises(interplay.errors.InterplayError, match="instance"):
        interplay.make("deal-or-no-deal-v1", instance=1000)


BUDGET = {"title": "Budget", "background": "Three departments share a budget.",
          "parties": ["chair", "finance", "research"],
          "issues": {"amount": ["low", "high"], "split": ["even", "skewed"]},
          "scores": {"chair": {"amount": [10, 30], "split": [20, 5]},
                     "finance": {"amount": [30, 0], "split": [10, 10]},
                     "research": {"amount": [0, 40], "split": [5, 25]}},
          "minimums": {"chair": 25, "finance": 20, "research": 15}, "veto": "finance"}


def test_a_scenario_of_ones_own():
    g = interplay.make("scorable-negotiation-v1", rounds=1, scenario=BUDGET)
    assert g.parties == ("chair", "finance", "research") and g.num_deals == 4 and g.quorum == 2
    deal = g.parse_move("PROPOSE amount=high split=skewed", g.initial_state()).deal
    assert g.utilities[deal].tolist() == [30 + 5, 0 + 10, 40 + 25]
    # finance (the veto) rejects, research accepts: 2 of 3 accept but the veto fails it
    s = g.initial_state()
    for _ in range(3):
        s = g.step(s, Move("offer", 0))
    s = g.step(g.step(g.step(s, Move("offer", deal)), REJECT), ACCEPT)
    assert s.done and g.returns(s).tolist() == [25, 20, 15]


@pytest.mark.parametrize("change, message", [
    ({"veto": "chair"}, "veto: one of ['finance', 'research']"),
    ({"minimums": {"chair": 1}}, "minimums: one entry per party"),
    ({"scores": {**BUDGET["scores"], "chair": {"amount": [1], "split": [1, 2]}}}, "scores.chair.amount: 2 whole"),
    ({"issues": {"amount": ["low"]}}, "at least 2 options"),
    ({"colour": "red"}, "unknown field(s) ['colour']"),
    ({"quorum": 9}, "quorum must be a whole number in [1, 3]"),
])
def test_bad_scenarios_are_named(change, message):
    with pytest.raises(interplay.errors.InterplayError) as info:
        interplay.make("scorable-negotiation-v1", scenario={**BUDGET, **change})
    assert message in str(info.value)
