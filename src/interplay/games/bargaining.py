"""Bargaining games: what negotiators may agree on, who moves when, and what each party gets.

Three negotiation games, each a pure rule book (no agents, no messages: the negotiation
protocol of :mod:`interplay.talk.negotiation` adds free-form talk between the moves):

* :class:`ItemBargaining`, the multi-issue **Deal or No Deal** game (Lewis et al. 2017,
  "Deal or no deal? End-to-end learning of negotiation dialogues"): a pool of items of
  3 types, each party values each type privately (each party's whole pool is worth 10);
  parties alternate offers of how to split the pool; an accepted offer is played, no
  agreement by the turn limit pays 0 to both. The instances are OpenSpiel's (its
  ``bargaining`` game ships 1000 of them; read through pyspiel) and the turn rule is
  OpenSpiel's: ``max_turns`` moves in all, so the last mover can accept or let it end.
  ``deal-or-no-deal-v1``.
* the **ultimatum game** (Gueth, Schmittberger and Schwarze 1982) is the same rule book
  with one item type and two moves: the proposer splits ``pie`` coins, the responder
  accepts or rejects (both get 0). ``ultimatum-v1``.
* :class:`ScorableNegotiation`, a **multi-party scorable negotiation** after Abdelnabi et
  al. 2024 ("Cooperation, competition, and maliciousness: LLM-stakeholders interactive
  negotiation"): several issues with a few options each, private integer scores per
  option, each party's minimum score to accept; the lead party proposes a final deal
  after ``rounds`` rounds (the deadline), every other party votes, and the deal passes
  when the veto party and at least ``quorum`` parties (the lead included) accept.
  Without a deal every party gets its minimum (its outside option). A small built-in
  scenario (4 parties, 3 issues) is the default. ``scorable-negotiation-v1``.

A deal is an index into :meth:`deals`; :attr:`utilities` holds every party's payoff of
every deal (shape ``(n_deals, n_parties)``) and :attr:`disagreement` the payoffs without
one, so evaluation (:mod:`interplay.evaluate.negotiation`) computes the Pareto set and the
Nash bargaining solution by enumeration. A move is a :class:`Move`; ``legal(state)``
says which moves the party to move may make, ``step`` refuses any other
(:class:`IllegalMove`), and ``parse_move`` reads a typed move (``OFFER book=1 hat=0
ball=2``, ``ACCEPT``, ``PROPOSE A2 B1 C3``) or says what is wrong with it
(:class:`BadMove`), so the protocol can re-ask.

Also the **Nash demand game** (Nash 1953) as a normal-form game (``nash-demand-v1``): two
players demand part of ``pie`` at once; compatible demands are paid, others pay 0. It is the
one-shot bargaining game the coordination table runs as an array program.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from interplay.errors import InterplayError
from interplay.games.checks import integer
from interplay.games.entry import game_entry
from interplay.games.normal_form import NormalFormGame, normal_form
from interplay.games.spec import Dynamics, GameSpec, UtilityKind

MoveKind = Literal["offer", "accept", "reject"]


class IllegalMove(InterplayError):
    """A move the rules do not allow here reached :meth:`NegotiationGame.step`."""


class BadMove(InterplayError):
    """A typed move that cannot be read, or is not legal now; ``reason`` says which and why."""

    def __init__(self, reason: str, text: str) -> None:
        super().__init__(f"bad move: {reason} (move was {text[:200]!r})")
        self.reason = reason
        self.text = text


@dataclass(frozen=True)
class Move:
    """``offer`` (of deal index ``deal``; PROPOSE in the multi-party game), ``accept`` or ``reject``."""

    kind: MoveKind
    deal: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **({} if self.deal is None else {"deal": self.deal})}


ACCEPT = Move("accept")
REJECT = Move("reject")


@dataclass(frozen=True)
class State:
    """Where a negotiation stands. ``offer`` is the deal on the table (None: none yet) and
    ``proposer`` who put it there; ``votes`` the final votes so far (multi-party game)."""

    turn: int = 0
    history: tuple[tuple[int, Move], ...] = ()
    offer: int | None = None
    proposer: int | None = None
    votes: tuple[bool, ...] = ()
    done: bool = False
    agreement: int | None = None


@dataclass(frozen=True)
class Legal:
    """The moves open to ``party``: may it offer (any deal), accept the offer on the table, reject it."""

    party: int
    offer: bool
    accept: bool
    reject: bool

    def allows(self, move: Move) -> bool:
        return {"offer": self.offer, "accept": self.accept, "reject": self.reject}[move.kind]


class NegotiationGame:
    """What every bargaining game provides (see the module docstring). Subclasses set the
    attributes in ``__init__`` and implement the rules (``legal``, ``step``) and the texts."""

    spec: GameSpec
    parties: tuple[str, ...]
    utilities: np.ndarray  # (n_deals, n_parties)
    disagreement: np.ndarray  # (n_parties,)
    max_turns: int

    @property
    def num_parties(self) -> int:
        return len(self.parties)

    @property
    def num_deals(self) -> int:
        return int(self.utilities.shape[0])

    def initial_state(self) -> State:
        return State()

    def legal(self, state: State) -> Legal:  # pragma: no cover - every game overrides it
        raise NotImplementedError

    def to_move(self, state: State) -> int | None:
        return None if state.done else self.legal(state).party

    def why_illegal(self, state: State, move: Move) -> str | None:
        """None when ``move`` is legal for the party to move, else why not (in words, for a re-ask)."""
        if state.done:
            return "the negotiation is over"
        legal = self.legal(state)
        if not legal.allows(move):
            return f"you cannot {move.kind} now ({self.move_form(state)})"
        if move.kind == "offer" and (move.deal is None or not 0 <= int(move.deal) < self.num_deals):
            return f"there is no deal number {move.deal}"
        return None

    def step(self, state: State, move: Move) -> State:  # pragma: no cover - every game overrides it
        raise NotImplementedError

    def _mover_and_history(self, state: State, move: Move) -> tuple[int, tuple[tuple[int, Move], ...]]:
        """(the party to move, the history with ``move`` added) for a step; IllegalMove if the rules
        do not allow ``move`` here."""
        why = self.why_illegal(state, move)
        if why is not None:
            raise IllegalMove(f"{self.spec.id}: illegal move {move} at turn {state.turn}: {why}.")
        party = self.legal(state).party
        return party, (*state.history, (party, move))

    def returns(self, state: State) -> np.ndarray:
        """Each party's payoff: the agreed deal's, else the disagreement payoffs."""
        if state.agreement is None:
            return self.disagreement.copy()
        return self.utilities[state.agreement].copy()

    # -- texts ---------------------------------------------------------------------------
    def deal_text(self, deal: int, party: int) -> str:  # pragma: no cover - every game overrides it
        raise NotImplementedError

    def describe_deal(self, deal: int, party: int) -> str:  # pragma: no cover - every game overrides it
        """Deal ``deal`` in words, from ``party``'s side (for prompts and people)."""
        raise NotImplementedError

    def move_text(self, move: Move, party: int) -> str:
        """A move as ``party`` would type it (``parse_move`` reads it back)."""
        if move.kind == "offer":
            return f"{self.offer_word} {self.deal_text(int(move.deal or 0), party)}"
        return move.kind.upper()

    offer_word = "OFFER"

    def neutral_text(self, deal: int) -> str:
        """A deal as nobody's side: what it gives everyone."""
        return self.deal_text(deal, 0)

    def move_form(self, state: State) -> str:  # pragma: no cover - every game overrides it
        raise NotImplementedError

    def private_text(self, party: int) -> str:  # pragma: no cover - every game overrides it
        raise NotImplementedError

    def parse_deal(self, text: str, party: int) -> int:  # pragma: no cover - every game overrides it
        raise NotImplementedError

    def parse_move(self, text: str | None, state: State) -> Move:
        """The legal move typed in ``text`` (one move: ``OFFER ...``/``PROPOSE ...``, ``ACCEPT``, ``REJECT``).

        Raises :class:`BadMove` naming what is wrong: no move word, an unreadable or impossible
        deal, or a move not open now.
        """
        raw = (text or "").strip()
        if not raw:
            raise BadMove("it is empty", raw)
        party = self.legal(state).party
        words = raw.split(None, 1)
        head = words[0].upper().rstrip(":.,!")
        if head in ("OFFER", "PROPOSE"):
            move = Move("offer", self.parse_deal(words[1] if len(words) > 1 else "", party))
        elif head in ("ACCEPT", "REJECT"):
            if len(words) > 1 and words[1].strip(" .!"):
                raise BadMove(f"{head} takes nothing after it", raw)
            move = ACCEPT if head == "ACCEPT" else REJECT
        else:
            raise BadMove(f"it does not start with a move word ({self.move_form(state)})", raw)
        why = self.why_illegal(state, move)
        if why is not None:
            raise BadMove(why, raw)
        return move

    def given(self, deal: int, party: int) -> float:
        """A public, value-free measure of how much of the deal goes to the others (items, for item games)."""
        return 0.0

    def public_record(self) -> dict[str, Any]:
        """What evaluation needs of this game: names, every deal's payoffs and contents, the disagreement point."""
        return {"id": self.spec.id, "parties": list(self.parties), "utilities": self.utilities.tolist(),
                "disagreement": self.disagreement.tolist(), "contents": self.contents()}

    def contents(self) -> dict[str, Any]:  # pragma: no cover - every game overrides it
        raise NotImplementedError


def read_assignments(text: str, value: str, keys: Sequence[str], key_of: Callable[[str], int],
                     value_of: Callable[[int, str], int], *, malformed: str, leaves_out: Callable[[str], str]
                     ) -> list[int]:
    """The values of a typed ``key=value`` list (``key: value`` too), one per key, in the order of ``keys``.

    ``value`` is the pattern of a value; ``key_of(word)`` and ``value_of(k, raw)`` read a key and its
    value, raising :class:`BadMove` themselves. Raises BadMove with ``malformed`` when the text is no
    such list, when a key is named twice, and with ``leaves_out(the missing keys)`` when one is left out.
    """
    body = text.strip().rstrip(".")
    pattern = rf"([A-Za-z]+)\s*[=:]\s*({value})"
    pairs = re.findall(pattern, body)
    leftover = re.sub(pattern, " ", body).strip(" ,;")
    if not pairs or leftover:
        raise BadMove(malformed, text)
    got: dict[int, int] = {}
    for word, raw in pairs:
        k = key_of(word)
        if k in got:
            raise BadMove(f"{keys[k]} is named twice", text)
        got[k] = value_of(k, raw)
    missing = [keys[k] for k in range(len(keys)) if k not in got]
    if missing:
        raise BadMove(leaves_out(", ".join(missing)), text)
    return [got[k] for k in range(len(keys))]


# -- Deal or No Deal and the ultimatum game ----------------------------------------------


@functools.cache
def openspiel_instances() -> tuple[tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]], ...]:
    """OpenSpiel's 1000 Deal-or-No-Deal instances, as (pool, values of party 0, values of party 1)."""
    try:
        import pyspiel
    except ImportError:  # pragma: no cover - open-spiel is a core dependency
        raise InterplayError("deal-or-no-deal-v1 reads OpenSpiel's instances: pip install open-spiel.") from None
    game = pyspiel.load_game("bargaining")
    return tuple((tuple(i.pool), tuple(i.values[0]), tuple(i.values[1])) for i in game.all_instances())


class ItemBargaining(NegotiationGame):
    """Two parties split a pool of items by alternating offers (Deal or No Deal; the ultimatum game).

    A deal is the quantities party 0 receives (party 1 gets the rest); its index is the
    quantities' position in ``itertools.product(range(pool_0 + 1), ...)``. Turn rule
    (OpenSpiel's ``bargaining``): ``max_turns`` moves alternate from party 0; a move offers a
    split (typed as the items the *mover* gets) or accepts the other's offer on the table;
    at the last move offering is pointless, so the mover accepts or rejects. With
    ``counteroffers=False`` only party 0 offers (once) and party 1 accepts or rejects: the
    ultimatum game.
    """

    def __init__(self, pool: Sequence[int], values: Sequence[Sequence[float]], *, items: Sequence[str],
                 max_turns: int = 10, counteroffers: bool = True, id: str = "deal-or-no-deal-v1",
                 name: str = "Deal or No Deal", parties: Sequence[str] = ("alice", "bob"),
                 instance: int | None = None, description: str | None = None) -> None:
        self.pool = tuple(integer(id, f"pool[{k}]", q, 0, 20) for k, q in enumerate(pool))
        self.items = tuple(items)
        if len(self.items) != len(self.pool) or not self.pool:
            raise InterplayError(f"{id}: {len(self.pool)} pool counts for {len(self.items)} item names.")
        vals = np.asarray(values, dtype=float)
        if vals.shape != (2, len(self.pool)) or not np.all(np.isfinite(vals)) or np.any(vals < 0):
            raise InterplayError(f"{id}: values must be 2 rows of {len(self.pool)} non-negative numbers, "
                                 f"got {np.asarray(values).tolist()}.")
        self.values = vals
        self.max_turns = integer(id, "max_turns", max_turns, 2, 1000)
        self.counteroffers = bool(counteroffers)
        self.instance = instance
        self.parties = tuple(parties)
        if len(self.parties) != 2 or len(set(self.parties)) != 2:
            raise InterplayError(f"{id}: two distinct party names, got {list(parties)}.")
        self.splits = tuple(itertools.product(*[range(q + 1) for q in self.pool]))
        got = np.array(self.splits, dtype=float)
        self.utilities = np.stack([got @ vals[0], (np.array(self.pool) - got) @ vals[1]], axis=1)
        self.disagreement = np.zeros(2)
        pool_text = ", ".join(f"{q} {self._name(k, q)}" for k, q in enumerate(self.pool))
        rule = (f"{self.parties[0]} offers a split once and {self.parties[1]} accepts or rejects it"
                if not self.counteroffers else
                f"the parties alternate, {self.parties[0]} first: each move offers a split or accepts the "
                f"other's offer; after {self.max_turns} moves without acceptance the negotiation ends")
        self.spec = GameSpec(
            id=id, name=name, players=self.parties, actions=(("offer", "accept", "reject"),) * 2,
            utility=UtilityKind.GENERAL_SUM, dynamics=Dynamics.SEQUENTIAL, horizon=self.max_turns,
            description=description or (f"Two parties divide a pool of {pool_text}. Each party values the items "
                                        f"privately. Rules: {rule}. An accepted split is carried out; no agreement "
                                        "gives both 0."),
            extra=(("pool", self.pool), ("items", self.items), ("instance", instance)))

    def _name(self, k: int, q: int) -> str:
        return self.items[k] if q == 1 else self.items[k] + "s"

    def legal(self, state: State) -> Legal:
        if state.done:
            raise InterplayError(f"{self.spec.id}: the negotiation is over; nobody moves.")
        party = state.turn % 2
        on_table = state.offer is not None and state.proposer != party
        last = state.turn == self.max_turns - 1 or not self.counteroffers and state.turn >= 1
        return Legal(party, offer=not last, accept=on_table, reject=last)

    def step(self, state: State, move: Move) -> State:
        party, hist = self._mover_and_history(state, move)
        if move.kind == "accept":
            return replace(state, turn=state.turn + 1, history=hist, done=True, agreement=state.offer)
        if move.kind == "reject":
            return replace(state, turn=state.turn + 1, history=hist, done=True)
        return replace(state, turn=state.turn + 1, history=hist, offer=int(move.deal or 0), proposer=party)

    def given(self, deal: int, party: int) -> float:
        return float(sum(self.mover_gets(deal, 1 - party)))

    def contents(self) -> dict[str, Any]:
        """``items``, ``pool`` and, per deal, the quantities each party gets (``gets[deal][party][item]``)."""
        return {"items": list(self.items), "pool": list(self.pool),
                "gets": [[list(self.mover_gets(k, 0)), list(self.mover_gets(k, 1))] for k in range(self.num_deals)]}

    def mover_gets(self, deal: int, party: int) -> tuple[int, ...]:
        got = self.splits[deal]
        return tuple(got) if party == 0 else tuple(p - g for p, g in zip(self.pool, got, strict=True))

    def deal_index(self, gets: Sequence[int], party: int) -> int:
        """The deal in which ``party`` receives ``gets``."""
        zero = tuple(int(g) for g in gets) if party == 0 else tuple(p - int(g) for p, g in zip(self.pool, gets,
                                                                                                strict=True))
        return self.splits.index(zero)

    def deal_text(self, deal: int, party: int) -> str:
        return " ".join(f"{item}={q}" for item, q in zip(self.items, self.mover_gets(deal, party), strict=True))

    def neutral_text(self, deal: int) -> str:
        return "; ".join(f"{self.parties[p]} gets {self.deal_text(deal, p)}" for p in range(2))

    def describe_deal(self, deal: int, party: int) -> str:
        """``"you get 1 book, 0 hats; bob gets ..."`` from ``party``'s side."""
        mine, theirs = self.mover_gets(deal, party), self.mover_gets(deal, 1 - party)
        fmt = ", ".join
        return (f"you get {fmt(f'{q} {self._name(k, q)}' for k, q in enumerate(mine))}; {self.parties[1 - party]} "
                f"gets {fmt(f'{q} {self._name(k, q)}' for k, q in enumerate(theirs))}")

    def parse_deal(self, text: str, party: int) -> int:
        def item(word: str) -> int:
            k = self._item(word)
            if k is None:
                raise BadMove(f"{word!r} is not an item (items: {', '.join(self.items)})", text)
            return k

        def count(k: int, num: str) -> int:
            if "." in num or not 0 <= int(num) <= self.pool[k]:
                raise BadMove(f"{self.items[k]}={num} is impossible: the pool has {self.pool[k]} "
                              f"{self._name(k, self.pool[k])}", text)
            return int(num)

        gets = read_assignments(text, r"-?\d+(?:\.\d+)?", self.items, item, count,
                                malformed=f"an offer lists what you get as {self._form()}",
                                leaves_out=lambda missing: f"the offer leaves out {missing}; name every item "
                                                           f"({self._form()})")
        return self.deal_index(gets, party)

    def _item(self, word: str) -> int | None:
        w = word.lower()
        for k, item in enumerate(self.items):
            if w in (item, item + "s", item + "es"):
                return k
        return None

    def _form(self) -> str:
        return " ".join(f"{item}=<0-{q}>" for item, q in zip(self.items, self.pool, strict=True))

    def move_form(self, state: State) -> str:
        legal = self.legal(state)
        forms = []
        if legal.offer:
            forms.append(f"OFFER {self._form()} (the items you get; the other party gets the rest)")
        if legal.accept:
            forms.append("ACCEPT (the offer on the table)")
        if legal.reject:
            forms.append("REJECT (no deal: both get 0)")
        return "one of: " + "; or ".join(forms)

    def private_text(self, party: int) -> str:
        worth = ", ".join(f"each {item} is worth {v:g}" for item, v in zip(self.items, self.values[party],
                                                                          strict=True))
        total = float(self.values[party] @ np.array(self.pool))
        return f"Your private values: {worth} (the whole pool is worth {total:g} to you). Nobody else knows them."

    def openspiel_actions(self, state: State) -> list[int]:
        """The same moves as OpenSpiel ``bargaining`` actions (offers by the proposer's quantities)."""
        import pyspiel

        game = pyspiel.load_game("bargaining")
        out = []
        for party, move in state.history:
            if move.kind == "offer":
                out.append(game.get_offer_by_quantities(list(self.mover_gets(int(move.deal or 0), party)))[1])
            elif move.kind == "accept":
                out.append(len(game.all_offers()))
            else:  # OpenSpiel has no reject: the last move's offer ends the game without agreement
                out.append(game.get_offer_by_quantities(list(self.mover_gets(0, party)))[1])
        return out


def deal_or_no_deal(instance: int = 0, max_turns: int = 10, pool: Sequence[int] | None = None,
                    values: Sequence[Sequence[float]] | None = None,
                    items: Sequence[str] = ("book", "hat", "ball"),
                    parties: Sequence[str] = ("alice", "bob")) -> ItemBargaining:
    """Deal or No Deal (Lewis et al. 2017): OpenSpiel's instance ``instance`` (0-999), or your own pool and values.

    Alternating offers for at most ``max_turns`` moves (OpenSpiel's default 10); no agreement pays 0.
    """
    if pool is None and values is None:
        inst = openspiel_instances()
        k = integer("deal-or-no-deal-v1", "instance", instance, 0, len(inst) - 1)
        pool, v0, v1 = inst[k]
        values, chosen = (v0, v1), k
    elif pool is None or values is None:
        raise InterplayError("deal-or-no-deal-v1: give both pool and values, or neither (an OpenSpiel instance).")
    else:
        chosen = None
    return ItemBargaining(pool, values, items=items, max_turns=max_turns, parties=parties, instance=chosen)


def ultimatum(pie: int = 10, parties: Sequence[str] = ("proposer", "responder")) -> ItemBargaining:
    """The ultimatum game (Gueth et al. 1982): the proposer splits ``pie`` coins, the responder accepts or rejects."""
    pie = integer("ultimatum-v1", "pie", pie, 1, 20)
    return ItemBargaining((pie,), ((1.0,), (1.0,)), items=("coin",), max_turns=2, counteroffers=False,
                          id="ultimatum-v1", name=f"Ultimatum game ({pie} coins)", parties=parties,
                          description=f"{parties[0]} proposes how to split {pie} coins (each coin is worth 1 to "
                                      f"both); {parties[1]} accepts (the split is carried out) or rejects (both get "
                                      "0). One offer, one answer.")


# -- the multi-party scorable negotiation ------------------------------------------------


@dataclass(frozen=True)
class Issue:
    """One issue: its name and its options (each option a short label)."""

    name: str
    options: tuple[str, ...]


@dataclass(frozen=True)
class Scenario:
    """A scorable negotiation: parties (the lead first), issues, each party's score of each option
    (``scores[party][issue][option]``), minimum scores to accept, the veto party and the quorum."""

    title: str
    background: str
    parties: tuple[str, ...]
    issues: tuple[Issue, ...]
    scores: tuple[tuple[tuple[int, ...], ...], ...]
    minimums: tuple[int, ...]
    veto: int = 1
    quorum: int | None = None  # default: all but one party
    roles: tuple[str, ...] = field(default=())


#: The built-in scenario: a harbour redevelopment, four parties, three issues (3 options each).
HARBOUR = Scenario(
    title="Harbour redevelopment",
    background="A city harbour is to be redeveloped. The developer leads the talks and makes the final "
               "proposal; the city council must approve (it holds a veto); the deal passes when at least "
               "three of the four parties accept, the council among them.",
    parties=("developer", "council", "greens", "union"),
    roles=("the developer who leads the talks", "the city council (holds a veto)",
           "an environmental group", "the dock workers' union"),
    issues=(Issue("size", ("small", "medium", "large")),
            Issue("green", ("none", "partial", "full")),
            Issue("jobs", ("20pct", "40pct", "60pct"))),
    scores=(((10, 25, 40), (30, 20, 5), (30, 20, 10)),   # developer: large, no green rules, few local jobs
            ((15, 30, 20), (10, 25, 30), (10, 20, 40)),   # council: medium, green, local jobs
            ((40, 20, 0), (0, 25, 45), (5, 10, 15)),      # greens: small, full green
            ((0, 20, 35), (20, 15, 10), (0, 25, 50))),    # union: big and local jobs
    minimums=(55, 60, 45, 50),
    veto=1,
)


class ScorableNegotiation(NegotiationGame):
    """A multi-party scorable negotiation (after Abdelnabi et al. 2024), on a :class:`Scenario`.

    Turns: ``rounds`` rounds in which each party in order (the lead first) proposes a full
    deal (``PROPOSE size=medium green=partial jobs=40pct``) or supports the proposal on the
    table (``ACCEPT``: not binding); then the deadline: the lead makes the final proposal and
    every other party votes ``ACCEPT`` or ``REJECT``. The deal passes when the veto party and
    at least ``quorum`` parties (the lead counts as accepting) accept; a party's payoff is its
    score of the passed deal (the sum of its option scores), else its minimum.
    """

    offer_word = "PROPOSE"

    def __init__(self, scenario: Scenario = HARBOUR, rounds: int = 2, id: str = "scorable-negotiation-v1") -> None:
        s = scenario
        n = len(s.parties)
        if n < 3 or len(set(s.parties)) != n:
            raise InterplayError(f"{id}: at least 3 distinct parties, got {list(s.parties)}.")
        if len(s.scores) != n or len(s.minimums) != n:
            raise InterplayError(f"{id}: scores and minimums need one entry per party ({n}).")
        for p, table in enumerate(s.scores):
            if len(table) != len(s.issues) or any(len(row) != len(iss.options)
                                                  for row, iss in zip(table, s.issues, strict=True)):
                raise InterplayError(f"{id}: {s.parties[p]}'s scores must give one number per option of each issue.")
        self.scenario = s
        self.rounds = integer(id, "rounds", rounds, 0, 50)
        self.parties = s.parties
        self.veto = integer(id, "veto", s.veto, 1, n - 1)
        self.quorum = integer(id, "quorum", n - 1 if s.quorum is None else s.quorum, 1, n)
        self.max_turns = self.rounds * n + n
        self.deals_options = tuple(itertools.product(*[range(len(i.options)) for i in s.issues]))
        self.utilities = np.array([[sum(s.scores[p][k][o] for k, o in enumerate(d)) for p in range(n)]
                                   for d in self.deals_options], dtype=float)
        self.disagreement = np.array(s.minimums, dtype=float)
        issues = "; ".join(f"{i.name}: {', '.join(i.options)}" for i in s.issues)
        self.spec = GameSpec(
            id=id, name=s.title, players=self.parties, actions=(("propose", "accept", "reject"),) * n,
            utility=UtilityKind.GENERAL_SUM, dynamics=Dynamics.SEQUENTIAL, horizon=self.max_turns,
            description=(f"{s.background} Issues and options: {issues}. Each party scores every option "
                         f"privately and has a private minimum score. For {self.rounds} round(s) each party in "
                         f"turn proposes a deal (one option per issue) or supports the proposal on the table; "
                         f"then {self.parties[0]} makes the final proposal and the others vote. It passes with "
                         f"{self.parties[self.veto]}'s acceptance and at least {self.quorum} of {n} parties "
                         f"accepting ({self.parties[0]} included); otherwise every party gets its minimum."),
            extra=(("issues", tuple((i.name, i.options) for i in s.issues)),))

    @property
    def final_turn(self) -> int:
        return self.rounds * self.num_parties

    def legal(self, state: State) -> Legal:
        if state.done:
            raise InterplayError(f"{self.spec.id}: the negotiation is over; nobody moves.")
        n, t = self.num_parties, state.turn
        if t < self.final_turn:
            return Legal(t % n, offer=True, accept=state.offer is not None and state.proposer != t % n, reject=False)
        if t == self.final_turn:
            return Legal(0, offer=True, accept=False, reject=False)
        return Legal(t - self.final_turn, offer=False, accept=True, reject=True)

    def step(self, state: State, move: Move) -> State:
        party, hist = self._mover_and_history(state, move)
        nxt = replace(state, turn=state.turn + 1, history=hist)
        if move.kind == "offer":
            return replace(nxt, offer=int(move.deal or 0), proposer=party)
        if state.turn <= self.final_turn:  # support of a proposal: recorded, binds nobody
            return nxt
        votes = (*state.votes, move.kind == "accept")
        if len(votes) < self.num_parties - 1:
            return replace(nxt, votes=votes)
        yes = [True, *votes]  # the lead accepts its own final proposal
        passed = yes[self.veto] and sum(yes) >= self.quorum
        return replace(nxt, votes=votes, done=True, agreement=state.offer if passed else None)

    def contents(self) -> dict[str, Any]:
        """``issues`` (name and options) and, per deal, the option chosen on each issue (``options[deal]``)."""
        return {"issues": [[i.name, list(i.options)] for i in self.scenario.issues],
                "options": [[i.options[o] for i, o in zip(self.scenario.issues, d, strict=True)]
                            for d in self.deals_options]}

    def deal_text(self, deal: int, party: int) -> str:
        d = self.deals_options[deal]
        return " ".join(f"{i.name}={i.options[o]}" for i, o in zip(self.scenario.issues, d, strict=True))

    def describe_deal(self, deal: int, party: int) -> str:
        return f"{self.deal_text(deal, party)} (worth {self.utilities[deal, party]:g} to you)"

    def parse_deal(self, text: str, party: int) -> int:
        names = [i.name for i in self.scenario.issues]

        def issue(word: str) -> int:
            if word.lower() not in names:
                raise BadMove(f"{word!r} is not an issue (issues: {', '.join(names)})", text)
            return names.index(word.lower())

        def option(k: int, opt: str) -> int:
            options = [o.lower() for o in self.scenario.issues[k].options]
            if opt.lower() not in options:
                raise BadMove(f"{opt!r} is not an option of {names[k]} ({', '.join(options)})", text)
            return options.index(opt.lower())

        chosen = read_assignments(text, r"[A-Za-z0-9_]+", names, issue, option,
                                  malformed=f"a proposal names one option per issue: {self._form()}",
                                  leaves_out=lambda missing: f"the proposal leaves out {missing} ({self._form()})")
        return self.deals_options.index(tuple(chosen))

    def _form(self) -> str:
        return " ".join(f"{i.name}=<{'|'.join(i.options)}>" for i in self.scenario.issues)

    def move_form(self, state: State) -> str:
        legal = self.legal(state)
        forms = []
        if legal.offer:
            forms.append(f"PROPOSE {self._form()}")
        if legal.accept:
            forms.append("ACCEPT (the proposal on the table)" if not legal.reject else "ACCEPT (vote yes)")
        if legal.reject:
            forms.append("REJECT (vote no)")
        return "one of: " + "; or ".join(forms)

    def private_text(self, party: int) -> str:
        s = self.scenario
        role = f" You are {s.roles[party]}." if s.roles else ""
        lines = [f"{i.name}: " + ", ".join(f"{o}={sc}" for o, sc in zip(i.options, s.scores[party][k], strict=True))
                 for k, i in enumerate(s.issues)]
        best = float(self.utilities[:, party].max())
        return (f"{role} Your private scores (a deal is worth the sum of its options' scores; best possible "
                f"{best:g}): " + "; ".join(lines) + f". Your minimum: {s.minimums[party]} (what you get "
                "without a deal). Nobody else knows these numbers.").strip()


#: The most deals a scenario may have (the metrics enumerate them).
MAX_DEALS = 100_000


def scenario_from_mapping(data: Any, where: str = "scorable-negotiation-v1: scenario") -> Scenario:
    """A :class:`Scenario` from plain data (a config's ``scenario:``), every field checked::

        title: Budget
        background: Three departments share a budget.
        parties: [chair, finance, research]        # the lead (final proposer) first
        issues: {amount: [low, high], split: [even, skewed]}
        scores: {chair: {amount: [10, 30], split: [20, 5]}, finance: {...}, research: {...}}
        minimums: {chair: 25, finance: 20, research: 15}
        veto: finance                               # any party but the lead
        quorum: 2                                   # default: all but one
        roles: {chair: the committee chair}         # optional
    """
    if not isinstance(data, dict):
        raise InterplayError(f"{where}: expected a mapping (title, parties, issues, scores, minimums, veto), got "
                             f"{type(data).__name__}.")
    known = {"title", "background", "parties", "issues", "scores", "minimums", "veto", "quorum", "roles"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InterplayError(f"{where}: unknown field(s) {unknown}; the fields are {sorted(known)}.")
    missing = sorted({"parties", "issues", "scores", "minimums", "veto"} - set(data))
    if missing:
        raise InterplayError(f"{where}: missing {', '.join(missing)}.")
    parties = data["parties"]
    if not isinstance(parties, list) or not all(isinstance(p, str) and p for p in parties):
        raise InterplayError(f"{where}.parties: a list of party names, got {parties!r}.")
    issues = data["issues"]
    if not isinstance(issues, dict) or not issues or not all(
            isinstance(k, str) and re.fullmatch(r"[A-Za-z]+", k) and isinstance(v, list) and len(v) >= 2
            and all(isinstance(o, str) and re.fullmatch(r"[A-Za-z0-9_]+", o) for o in v) for k, v in issues.items()):
        raise InterplayError(f"{where}.issues: a mapping issue -> list of at least 2 options (issue names: letters; "
                             f"options: letters, digits, _), got {issues!r}.")
    n_deals = int(np.prod([len(v) for v in issues.values()]))
    if n_deals > MAX_DEALS:
        raise InterplayError(f"{where}.issues: {n_deals:,} possible deals; at most {MAX_DEALS:,}.")
    scores, minimums = data["scores"], data["minimums"]
    for name, table in (("scores", scores), ("minimums", minimums)):
        if not isinstance(table, dict) or sorted(table) != sorted(parties):
            raise InterplayError(f"{where}.{name}: one entry per party {parties}, got "
                                 f"{sorted(table) if isinstance(table, dict) else table!r}.")
    rows = []
    for p in parties:
        t = scores[p]
        if not isinstance(t, dict) or sorted(t) != sorted(issues):
            raise InterplayError(f"{where}.scores.{p}: one list of scores per issue {list(issues)}.")
        row = []
        for issue, options in issues.items():
            vals = t[issue]
            if not isinstance(vals, list) or len(vals) != len(options):
                raise InterplayError(f"{where}.scores.{p}.{issue}: {len(options)} whole numbers (one per option), "
                                     f"got {vals!r}.")
            row.append(tuple(integer(where, f"scores.{p}.{issue}", v, -10**6, 10**6) for v in vals))
        rows.append(tuple(row))
    mins = tuple(integer(where, f"minimums.{p}", minimums[p], -10**7, 10**7) for p in parties)
    veto = data["veto"]
    if veto not in parties[1:]:
        raise InterplayError(f"{where}.veto: one of {parties[1:]} (not the lead {parties[0]!r}), got {veto!r}.")
    roles = data.get("roles") or {}
    if not isinstance(roles, dict) or not set(roles) <= set(parties):
        raise InterplayError(f"{where}.roles: a mapping party -> a few words, for parties {parties}.")
    return Scenario(title=str(data.get("title", "Negotiation")), background=str(data.get("background", "")),
                    parties=tuple(parties), issues=tuple(Issue(k.lower(), tuple(v)) for k, v in issues.items()),
                    scores=tuple(rows), minimums=mins, veto=parties.index(veto),
                    quorum=None if data.get("quorum") is None else integer(where, "quorum", data["quorum"], 1,
                                                                           len(parties)),
                    roles=tuple(str(roles.get(p, p)) for p in parties) if roles else ())


def scorable_negotiation(rounds: int = 2, scenario: dict[str, Any] | None = None) -> ScorableNegotiation:
    """Multi-party scorable negotiation (Abdelnabi et al. 2024): the built-in harbour scenario (4 parties, a veto),
    or your own ``scenario`` (see :func:`scenario_from_mapping`)."""
    return ScorableNegotiation(HARBOUR if scenario is None else scenario_from_mapping(scenario), rounds=rounds)


# -- the Nash demand game ---------------------------------------------------------------


def nash_demand(pie: int = 10, step: int = 1) -> NormalFormGame:
    """Nash demand game (Nash 1953): both demand part of ``pie`` at once; if the demands fit, each gets its
    demand, else both get 0. Demands 0, step, 2 step, ..., pie."""
    pie = integer("nash-demand-v1", "pie", pie, 1, 1000)
    step = integer("nash-demand-v1", "step", step, 1, pie)
    demands = list(range(0, pie + 1, step))
    d = np.array(demands, dtype=float)
    fits = (d[:, None] + d[None, :]) <= pie
    pay = np.stack([np.where(fits, d[:, None], 0.0), np.where(fits, d[None, :], 0.0)])
    return normal_form(pay, id="nash-demand-v1", name=f"Nash demand game (pie {pie})",
                       actions=[[str(x) for x in demands]] * 2,
                       description=f"Both players demand part of {pie} at once; if the demands add up to at most "
                                   f"{pie} each gets its demand, otherwise both get 0.")


#: Registry entries (listed by :mod:`interplay.games.builtin`).
ENTRIES = (game_entry("deal-or-no-deal-v1", deal_or_no_deal, aliases=("dond-v1",), kind="bargaining"),
           game_entry("ultimatum-v1", ultimatum, kind="bargaining"),
           game_entry("scorable-negotiation-v1", scorable_negotiation, kind="bargaining"),
           game_entry("nash-demand-v1", nash_demand, kind="normal-form"))
