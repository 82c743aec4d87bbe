"""A person at a web seat in the mechanisms and in negotiation, driven through the Hub (no browser): the
questions the page gets, bad answers refused (nothing changes), the answers' effect on the outcome against
hand-computed payoffs, and silence handed to the declared fallback."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from interplay.agents.people import Hub, WebNegotiator, WebPlayer, deal_fields
from interplay.games.catalogue import prisoners_dilemma
from interplay.mechanisms.fast import COOPERATOR, DEFECTOR, RECIPROCATOR, Settings
from interplay.mechanisms.play import FixedPlayer, encounter
from interplay.mechanisms.roles import roles

PD = prisoners_dilemma()  # R=3, S=0, T=5, P=1; actions C, D
RL = roles(PD)
S0 = Settings(rounds=2, noise=0.0)


class Person(threading.Thread):
    """Answers a seat's questions in order: ``script`` is a list of (kind, [posted answers]); every answer
    but the last of a question must be refused (ValueError) and leave the question open."""

    def __init__(self, seat, script):
        super().__init__(daemon=True)
        self.seat, self.script, self.asks, self.refused = seat, list(script), [], []

    def run(self):
        t0 = time.monotonic()
        while self.script and time.monotonic() - t0 < 60:
            ask = self.seat.state()["ask"]
            if ask is None:
                time.sleep(0.01)
                continue
            kind, answers = self.script.pop(0)
            assert ask["kind"] == kind, (ask["kind"], kind)
            self.asks.append(ask)
            for posted in answers[:-1]:
                try:
                    self.seat.answer(ask["id"], dict(posted))
                except ValueError as exc:
                    self.refused.append(str(exc))
                    assert self.seat.state()["ask"]["id"] == ask["id"]  # still open, unchanged
                else:
                    raise AssertionError(f"accepted a bad answer {posted}")
            self.seat.answer(ask["id"], dict(answers[-1]))


def _seat(timeout=30.0):
    hub = Hub(timeout=timeout, join_timeout=timeout)
    seat = hub.seat("pat", "player")
    seat.claim(seat.token)
    return seat


def _person(seat, mech, fallback=DEFECTOR):
    return WebPlayer("pat", seat, FixedPlayer("pat (fallback)", fallback, mech, RL))


def test_a_web_person_votes_on_a_contract_then_plays():
    seat = _seat()
    p = Person(
        seat, [("contract", [{"accept": "yes"}, {}, {"accept": True}]), ("move", [{"action": 5}, {"action": 1}])]
    )
    p.start()
    enc = asyncio.run(
        encounter(
            PD, "contracts", [_person(seat, "contracts"), FixedPlayer("c", COOPERATOR, "contracts", RL)], settings=S0
        )
    )
    p.join(5)
    o = enc.outcomes[0]
    assert len(p.refused) == 3 and all("must be" in r for r in p.refused)
    ask = p.asks[0]
    assert "pays 2.5" in ask["contract"]
    # the page shows the game with the contract (D against C pays 5 - 2.5) and without it
    cell = {tuple(c["actions"]): c["payoffs"] for c in ask["payoff_table"]}
    base = {tuple(c["actions"]): c["payoffs"] for c in ask["base_table"]}
    assert cell[("D", "C")] == [2.5, 2.5] and base[("D", "C")] == [5.0, 0.0] and cell[("C", "C")] == [3.0, 3.0]
    # the contract binds (the cooperator accepts too); the person defects and pays the transfer
    assert o.contract["bound"] and o.contract["accepted"] == [True, True]
    assert o.actions == (1, 0) and o.transfers == (-2.5, 2.5) and o.payoffs == (2.5, 2.5)
    assert seat.counts["answers"] == 2 and seat.counts["bad_answers"] == 3


def test_a_web_person_rejects_and_the_base_game_is_played():
    seat = _seat()
    p = Person(seat, [("contract", [{"accept": False}]), ("move", [{"action": 0}])])
    p.start()
    enc = asyncio.run(
        encounter(
            PD, "contracts", [_person(seat, "contracts"), FixedPlayer("r", RECIPROCATOR, "contracts", RL)], settings=S0
        )
    )
    o = enc.outcomes[0]
    assert not o.contract["bound"] and o.contract["accepted"] == [False, True]
    assert o.actions == (0, 1) and o.payoffs == (0.0, 5.0)  # unbound, the reciprocator defects on C


@pytest.mark.parametrize(
    ("posted", "co", "actions", "text"),
    [
        (
            {"commitment": "conditional", "action": 0, "else": 1},
            RECIPROCATOR,
            (0, 0),
            "commits to C if every co-player",
        ),
        ({"commitment": "commit", "action": 1}, COOPERATOR, (1, 0), "commits to D"),
        ({"commitment": "conditional", "action": 0, "else": 1}, DEFECTOR, (1, 1), "commits to C if every co-player"),
    ],
)
def test_a_web_person_commits(posted, co, actions, text):
    seat = _seat()
    script = [("commit", [{"commitment": "maybe"}, {"commitment": "commit", "action": 2}, posted])]
    p = Person(seat, script)
    p.start()
    enc = asyncio.run(
        encounter(
            PD, "commitments", [_person(seat, "commitments"), FixedPlayer("x", co, "commitments", RL)], settings=S0
        )
    )
    o = enc.outcomes[0]
    assert len(p.refused) == 2 and p.asks[0]["legal"] == ["C", "D"] and p.asks[0]["cooperate"] == 0
    assert o.actions == actions and o.commitments[0].startswith(text)
    assert seat.counts["questions"] == 1  # the enforced commitment plays the move: no move is asked


def test_a_web_person_commits_to_nothing_then_chooses():
    seat = _seat()
    p = Person(seat, [("commit", [{"commitment": "none"}]), ("move", [{"action": 1}])])
    p.start()
    enc = asyncio.run(
        encounter(
            PD,
            "commitments",
            [_person(seat, "commitments"), FixedPlayer("c", COOPERATOR, "commitments", RL)],
            settings=S0,
        )
    )
    o = enc.outcomes[0]
    assert o.commitments == ("no commitment", "commits to C") and o.actions == (1, 0) and o.payoffs == (5.0, 0.0)


def test_a_web_person_delegates_to_the_mediator():
    seat = _seat()
    p = Person(seat, [("move", [{"action": 2}])])  # C, D, Delegate
    p.start()
    enc = asyncio.run(
        encounter(
            PD, "mediator", [_person(seat, "mediator"), FixedPlayer("r", RECIPROCATOR, "mediator", RL)], settings=S0
        )
    )
    o = enc.outcomes[0]
    assert p.asks[0]["legal"] == ["C", "D", "Delegate"]
    assert o.delegations == (True, True) and o.actions == (0, 0) and o.payoffs == (3.0, 3.0)


def test_a_silent_web_person_is_replaced_by_its_fallback():
    seat = _seat(timeout=0.3)
    enc = asyncio.run(
        encounter(
            PD,
            "contracts",
            [_person(seat, "contracts", fallback=COOPERATOR), FixedPlayer("c", COOPERATOR, "contracts", RL)],
            settings=S0,
        )
    )
    o = enc.outcomes[0]
    assert o.contract["accepted"] == [False, True] and not o.contract["bound"]  # silence rejects
    assert o.messages[-1]["fallback"] and "silent" in o.messages[-1]["reason"]
    assert o.actions == (0, 0)  # the move by the fallback (a Cooperator)
    enc = asyncio.run(
        encounter(
            PD,
            "commitments",
            [_person(seat, "commitments"), FixedPlayer("c", COOPERATOR, "commitments", RL)],
            settings=S0,
        )
    )
    o = enc.outcomes[0]
    assert o.commitments[0] == "no commitment" and o.messages[0]["fallback"]


# -- negotiation ---------------------------------------------------------------------------------------


def test_deal_fields():
    assert deal_fields(["book=1 hat=0", "book=0 hat=2", "book=10 hat=1"]) == [
        ["book", ["0", "1", "10"]],
        ["hat", ["0", "1", "2"]],
    ]
    assert deal_fields(["size=small green=full", "size=large green=none"]) == [
        ["size", ["small", "large"]],
        ["green", ["full", "none"]],
    ]


def test_a_web_negotiator_in_the_ultimatum_game():
    from interplay.agents.negotiators import Threshold
    from interplay.games.registry import make
    from interplay.talk.negotiation import negotiate

    g = make("ultimatum-v1", pie=10)
    seat = _seat()
    # the person proposes, keeping 6 coins (a bad move first: refused at the seat, it never reaches the game)
    p = Person(
        seat,
        [
            (
                "negotiate",
                [
                    {"message": "hi", "move": "OFFER coin=11"},
                    {"message": "hi", "move": "ACCEPT"},
                    {"message": "Six for me, four for you.", "move": "OFFER coin=6"},
                ],
            )
        ],
    )
    p.start()
    r = asyncio.run(negotiate(g, [WebNegotiator("pat", seat), Threshold("t", 0.4)]))
    ask = p.asks[0]
    assert ask["offer"] and not ask["accept"] and ask["fields"] == [["coin", [str(k) for k in range(11)]]]
    assert "coin" in ask["private"]
    assert len(p.refused) == 2 and all("legal moves" in x for x in p.refused)
    assert r.agreement is not None and r.payoffs == [6.0, 4.0]
    assert r.moves[0]["move"] == "offer" and not r.moves[0]["fallback"] and r.moves[0]["attempts"] == 1
    talk = [(m["sender"], m["text"]) for m in r.transcript if m.get("kind") == "talk"]
    assert talk == [("proposer", "Six for me, four for you."), ("responder", "I accept.")]


def test_a_web_negotiator_votes_in_the_scorable_negotiation_and_silence_falls_back():
    from interplay.agents.negotiators import conceder
    from interplay.games.registry import make
    from interplay.talk.negotiation import negotiate

    g = make("scorable-negotiation-v1", rounds=0)  # the harbour: the developer proposes, the others vote
    seat = _seat()
    p = Person(seat, [("negotiate", [{"move": "PROPOSE size=medium"}, {"move": "REJECT"}])])
    p.start()
    others = [conceder(f"c{k}") for k in range(4)]
    r = asyncio.run(
        negotiate(
            g,
            [others[0], WebNegotiator("pat", seat), *others[2:]],
            fallbacks=[others[0], conceder("pat/fallback"), *others[2:]],
        )
    )
    ask = p.asks[0]
    assert not ask["offer"] and ask["accept"] and ask["reject"] and ask["fields"] == []
    assert "Your private scores" in ask["private"] and "council" in ask["you"]
    assert r.moves[1]["move"] == "reject" and not r.moves[1]["fallback"]
    assert r.agreement is None and r.payoffs == g.disagreement.tolist()  # the veto party said no
    # silent past the seat's time: the declared fallback moves at once (no re-asks), marked as a fallback
    quiet = _seat(timeout=0.2)
    r = asyncio.run(
        negotiate(
            g,
            [others[0], WebNegotiator("pat", quiet), *others[2:]],
            fallbacks=[others[0], conceder("pat/fallback"), *others[2:]],
            max_reasks=20,
        )
    )
    assert r.moves[1]["fallback"] and r.moves[1]["attempts"] == 1
    assert r.counts["pat"].reasks == 0 and r.counts["pat"].fallbacks == 1
    assert quiet.counts["timeouts"] == 1
