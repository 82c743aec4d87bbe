"""The negotiator role: what a party at a bargaining table is shown, and what it answers.

A :class:`Negotiator` has a ``name`` and ``async negotiate(view) -> NegotiationTurn``: given
a :class:`NegotiationView` (the game's public spec, its own private values, the offer on
the table, the moves and the messages it can read, the legal form of a move) it answers
with a free-form message (or none) and a move: a :class:`~interplay.games.bargaining.Move`
(fixed negotiators) or the move as typed text (LLM negotiators, people), which the
protocol (:mod:`interplay.talk.negotiation`) parses and checks against the legal set
before anything reaches the game. When the move cannot be played the protocol asks
again with ``feedback`` (the bad move quoted, why, and the legal form) and ``previous``
(the whole earlier answer) set on the view; after the re-asks a declared fallback moves.

A view carries only the party's own values (``own_utility``: its payoff of every deal),
never another party's: negotiators know the game through its public spec and their own
private information. This module declares shapes only; the negotiators are in
:mod:`interplay.agents.negotiators`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from interplay.games.bargaining import Legal, Move
from interplay.games.spec import GameSpec


@dataclass(frozen=True)
class NegotiationView:
    """What one party knows when it is its turn.

    ``deal_texts[k]`` is deal k as this party would type it, ``own_utility[k]`` its payoff of
    deal k, ``given[k]`` a public, value-free measure of how much of deal k goes to the
    others (items); ``history`` holds ``(party name, move text from this party's side)``;
    ``messages`` the messages it can read (transcript records: sender, to, text, round).
    """

    spec: GameSpec
    seat: int
    names: tuple[str, ...]
    private: str
    own_utility: np.ndarray
    own_disagreement: float
    deal_texts: tuple[str, ...]
    given: np.ndarray
    legal: Legal
    form: str
    turn: int
    max_turns: int
    offer: int | None = None
    offer_text: str = ""
    proposer: str | None = None
    history: tuple[tuple[str, str], ...] = ()
    moves: tuple[tuple[int, Move], ...] = ()
    messages: tuple[dict[str, Any], ...] = ()
    feedback: str | None = None
    previous: str | None = None
    attempt: int = 0
    seed: int = 0
    offer_word: str = "OFFER"

    @property
    def me(self) -> str:
        return self.names[self.seat]

    @property
    def others(self) -> tuple[str, ...]:
        return tuple(n for i, n in enumerate(self.names) if i != self.seat)

    def legal_moves(self) -> list[str]:
        """Every legal move as typed (``ACCEPT``, ``REJECT``, ``OFFER <deal>`` for every deal)."""
        out = ["ACCEPT"] if self.legal.accept else []
        out += ["REJECT"] if self.legal.reject else []
        if self.legal.offer:
            out += [f"{self.offer_word} {t}" for t in self.deal_texts]
        return out

    @property
    def final(self) -> bool:
        """True at a move that cannot be answered by another offer (the last move, or a vote)."""
        return not self.legal.offer


@dataclass
class NegotiationTurn:
    """A party's answer: a message to the others (None: silence) and its move.

    ``move`` is a :class:`Move` or the move as typed (``"OFFER book=1 hat=0 ball=2"``,
    ``"ACCEPT"``); None means the answer held no move. ``raw`` is the whole answer and
    ``completion`` the model call behind it (for the accounting), if any.
    """

    message: str | None = None
    move: Move | str | None = None
    raw: str = ""
    completion: Any = None
    meta: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Negotiator(Protocol):
    """A party at a bargaining table (see the module docstring)."""

    name: str

    async def negotiate(self, view: NegotiationView) -> NegotiationTurn: ...
