"""The one protocol of everything that acts turn by turn, and what it is shown.

Fixed strategies, learned policies, LLM agents, people, decision advisors, talk judges and
shielded actors all enter a match as a :class:`Player`:

* a :class:`Player` has a ``name`` and ``async act(view) -> Decision | int``;
  optionally ``async speak(view, to) -> str | None`` for cheap talk (a :class:`Speaker`;
  players without it stay silent);
* a :class:`View` is all a seat may know: the game's public spec and stage payoffs, its
  seat, the history of joint actions and rewards, and the messages it can read. Players
  are stateless between calls (everything is in the view), so one object can sit in many
  concurrent matches and in both seats;
* a :class:`Decision` is a move and how it came about (answer text, fallback, invalid
  answers met on the way).

This module declares shapes only: it imports no player, no engine and no model layer.
The match engine is :mod:`interplay.agents.match`, players that are data live in
:mod:`interplay.agents.fixed`, the spec-to-player factory in :mod:`interplay.agents.factory`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from interplay.games.spec import GameSpec

Visibility = Literal["public", "private"]


@dataclass(frozen=True)
class TalkMessage:
    """One cheap-talk message; ``to`` lists its readers (sender excluded).

    :meth:`to_dict` gives the transcript record of :mod:`interplay.talk.channel`
    (sender, to, visibility, round, turn, text), so reports show both alike.
    """

    sender: str
    text: str
    round: int
    visibility: Visibility
    to: tuple[str, ...]
    turn: int = 0
    talk_round: int = 0
    flags: tuple[dict[str, Any], ...] = ()
    blocked: bool = False

    def visible_to(self, name: str) -> bool:
        """The sender always; a reader only if the message was not blocked."""
        return name == self.sender or (not self.blocked and name in self.to)

    def to_dict(self) -> dict[str, Any]:
        return message_record(self, sender=self.sender, to=list(self.to), visibility=self.visibility,
                              round=self.round, turn=self.turn, text=self.text, kind="talk",
                              talk_round=self.talk_round)


def message_record(message: Any, **fields: Any) -> dict[str, Any]:
    """A message's transcript record: ``fields`` in their order, then the monitors' ``flags`` and
    ``blocked: true`` when the message has them (a talk or press message)."""
    out = dict(fields)
    if message.flags:
        out["flags"] = [dict(f) for f in message.flags]
    if message.blocked:
        out["blocked"] = True
    return out


@dataclass(frozen=True)
class View:
    """What one seat knows when it speaks or acts."""

    spec: GameSpec
    payoffs: np.ndarray  # stage game, shape (n, a_1, ..., a_n)
    seat: int
    names: tuple[str, ...]
    round: int
    history: tuple[tuple[int, ...], ...] = ()
    rewards: tuple[tuple[float, ...], ...] = ()
    messages: tuple[TalkMessage, ...] = ()
    seed: int = 0
    horizon: int | None = None
    discount: float | None = None
    noise: float = 0.0
    end_prob: float = 0.0

    @property
    def me(self) -> str:
        return self.names[self.seat]

    @property
    def legal(self) -> tuple[str, ...]:
        """This seat's action names (all legal in the games interplay ships)."""
        return self.spec.actions[self.seat]

    @property
    def others(self) -> tuple[str, ...]:
        return tuple(n for i, n in enumerate(self.names) if i != self.seat)


@dataclass
class Decision:
    """A move and how it came about.

    ``text`` is the answer the move was read from (for the transcript); ``fallback``
    says the move is the agent's declared fallback, not its own answer; ``invalid``
    counts illegal or unparseable answers met on the way.
    """

    action: int
    text: str = ""
    fallback: bool = False
    reason: str | None = None
    invalid: int = 0
    meta: dict[str, Any] = field(default_factory=dict)


class PostedMessage(Protocol):
    """What a channel returns for a posted message: its monitors' flags and whether it was blocked.

    Each flag has ``to_dict()`` (or is a mapping) and may have ``block``.
    """

    flags: Sequence[Any]
    blocked: bool


class TalkChannel(Protocol):
    """Where cheap talk is posted (satisfied by :class:`interplay.talk.channel.Channel`)."""

    def post(self, sender: str, text: str, *, visibility: Any = "public", to: Sequence[str] | None = None,
             round: int | None = None, **meta: Any) -> PostedMessage: ...


@runtime_checkable
class Player(Protocol):
    """Anything that acts turn by turn (see the module docstring)."""

    name: str

    async def act(self, view: View) -> Decision | int: ...


@runtime_checkable
class Speaker(Protocol):
    """A player that also talks: one cheap-talk message before a move (None or empty: silence)."""

    name: str

    async def speak(self, view: View, to: tuple[str, ...]) -> str | None: ...
