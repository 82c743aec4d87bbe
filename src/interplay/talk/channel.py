"""A channel of messages between agents, with visibility, rounds and monitors.

Every language protocol of interplay (multi-agent debate, judged debate,
consultancy, persuasion, cheap talk before a move in a game) posts through one
:class:`Channel`, so who saw what is decided in one place and recorded the same
way everywhere.

A message has a sender, a visibility and, for private messages, recipients:

* ``"public"``: every participant and every judge sees it;
* ``"private"``: only the sender and the listed recipients see it (``to=[]`` is a
  note only its sender sees, e.g. an answer in a debate without communication);
* ``"judge"``: only the sender and the judges see it (e.g. a closing statement,
  or the final answers handed to an aggregating judge).

Monitors (the hook for the safety layer) run on every message before delivery.
A monitor is any callable ``monitor(message, channel)`` returning ``None`` (pass)
or a :class:`Flag` (or a list of them). Flags are recorded on the message; a flag
with ``block=True`` stops delivery: the message stays in the log (for the audit
trail and the transcript) but is in nobody's inbox, and :meth:`Channel.post`
returns it with ``blocked=True`` so the protocol can react.

The record of a message (:meth:`Message.to_dict`) is the transcript format the
report viewer reads: ``sender``, ``to``, ``visibility``, ``text``, ``round``,
``turn`` and optional ``answer``, ``model``, ``flags``, ``blocked``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from interplay.errors import InterplayError

Visibility = Literal["public", "private", "judge"]
VISIBILITIES: tuple[str, ...] = ("public", "private", "judge")


@dataclass(frozen=True)
class Flag:
    """What a monitor says about a message: its name, why, and whether to block it."""

    monitor: str
    reason: str = ""
    block: bool = False
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"monitor": self.monitor, "reason": self.reason, "block": self.block}
        if self.score is not None:
            out["score"] = self.score
        return out


@dataclass
class Message:
    """One message on a channel.

    ``to`` holds the resolved recipients (everyone who may read it, the sender
    excluded); ``turn`` is the message's position in the channel's log; ``meta``
    carries protocol data (the model, the parsed answer, token counts...).
    """

    sender: str
    text: str
    visibility: Visibility
    to: tuple[str, ...]
    round: int
    turn: int
    answer: Any = None
    flags: list[Flag] = field(default_factory=list)
    blocked: bool = False
    meta: dict[str, Any] = field(default_factory=dict)

    def visible_to(self, agent: str) -> bool:
        """Whether ``agent`` receives this message (blocked messages reach nobody but their sender)."""
        if agent == self.sender:
            return True
        return not self.blocked and agent in self.to

    def to_dict(self) -> dict[str, Any]:
        """The transcript record (what the run directory and the report viewer store)."""
        out: dict[str, Any] = {"sender": self.sender, "to": list(self.to), "visibility": self.visibility,
                               "round": self.round, "turn": self.turn, "text": self.text}
        if self.answer is not None:
            out["answer"] = self.answer
        if self.flags:
            out["flags"] = [f.to_dict() for f in self.flags]
        if self.blocked:
            out["blocked"] = True
        out.update(self.meta)
        return out


Monitor = Callable[[Message, "Channel"], "Flag | Sequence[Flag] | None"]


class Channel:
    """Messages among named participants (and judges), in rounds, with monitors.

    Args:
        participants: the agents who talk (debaters, persuader and persuadee, players).
        judges: readers who receive public messages and ``"judge"`` messages.
        monitors: callables run on every message before delivery (see the module doc).

    The channel's ``round`` is the current round number (``next_round()`` moves it
    on); messages record the round they were posted in.
    """

    def __init__(self, participants: Iterable[str], judges: Iterable[str] = (),
                 monitors: Iterable[Monitor] = ()) -> None:
        self.participants: tuple[str, ...] = tuple(participants)
        self.judges: tuple[str, ...] = tuple(judges)
        everyone = self.participants + self.judges
        if not self.participants:
            raise InterplayError("channel: at least one participant is needed.")
        if len(set(everyone)) != len(everyone):
            raise InterplayError(f"channel: names must be distinct, got {list(everyone)}.")
        self.monitors: list[Monitor] = list(monitors)
        self.log: list[Message] = []
        self.round = 0

    @property
    def members(self) -> tuple[str, ...]:
        return self.participants + self.judges

    def next_round(self) -> int:
        self.round += 1
        return self.round

    def add_monitor(self, monitor: Monitor) -> None:
        self.monitors.append(monitor)

    def _recipients(self, sender: str, visibility: str, to: Sequence[str] | None) -> tuple[str, ...]:
        if visibility == "public":
            if to is not None:
                raise InterplayError("channel: a public message goes to everyone; give `to` only for private ones.")
            return tuple(m for m in self.members if m != sender)
        if visibility == "judge":
            if not self.judges:
                raise InterplayError(f"channel: {sender!r} sent a message to the judge, but there is no judge.")
            return tuple(j for j in self.judges if j != sender)
        if visibility == "private":
            if to is None:
                raise InterplayError(f"channel: a private message from {sender!r} needs recipients (`to`; "
                                     "an empty list makes a note only its sender sees).")
            unknown = [r for r in to if r not in self.members]
            if unknown:
                raise InterplayError(f"channel: {sender!r} wrote to {unknown}, who are not on the channel "
                                     f"(members: {list(self.members)}).")
            return tuple(dict.fromkeys(r for r in to if r != sender))
        raise InterplayError(f"channel: visibility must be one of {VISIBILITIES}, got {visibility!r}.")

    def post(self, sender: str, text: str, *, visibility: Visibility = "public", to: Sequence[str] | None = None,
             answer: Any = None, round: int | None = None, **meta: Any) -> Message:
        """Post a message: resolve recipients, run the monitors, log it, and return it.

        A private message to a single name may pass ``to="name"``.
        """
        if sender not in self.members:
            raise InterplayError(f"channel: unknown sender {sender!r} (members: {list(self.members)}).")
        if isinstance(to, str):
            to = (to,)
        msg = Message(sender=sender, text=str(text), visibility=visibility,
                      to=self._recipients(sender, visibility, to), round=self.round if round is None else round,
                      turn=len(self.log), answer=answer, meta=dict(meta))
        for monitor in self.monitors:
            verdict = monitor(msg, self)
            if verdict is None:
                continue
            flags = [verdict] if isinstance(verdict, Flag) else list(verdict)
            for f in flags:
                if not isinstance(f, Flag):
                    raise InterplayError(f"channel: monitor {monitor!r} returned {f!r}; expected a Flag or None.")
                msg.flags.append(f)
                msg.blocked = msg.blocked or f.block
        self.log.append(msg)
        return msg

    # -- reading -------------------------------------------------------------------
    def inbox(self, agent: str, *, round: int | None = None, include_own: bool = False) -> list[Message]:
        """Messages ``agent`` received (optionally only those of one round), oldest first."""
        if agent not in self.members:
            raise InterplayError(f"channel: unknown reader {agent!r} (members: {list(self.members)}).")
        return [m for m in self.log
                if m.visible_to(agent) and (include_own or m.sender != agent) and (round is None or m.round == round)]

    def view(self, agent: str, *, round: int | None = None) -> list[Message]:
        """Everything ``agent`` can see: what it received and what it sent itself."""
        return self.inbox(agent, round=round, include_own=True)

    def flagged(self) -> list[Message]:
        return [m for m in self.log if m.flags]

    def transcript(self) -> list[dict[str, Any]]:
        """The whole log as transcript records (blocked messages included, marked)."""
        return [m.to_dict() for m in self.log]


def graph_neighbours(kind: str | Mapping[str, Sequence[str]] | Sequence[Sequence[int]], names: Sequence[str]
                     ) -> dict[str, tuple[str, ...]]:
    """Who reads whom in a multi-agent debate: ``{reader: (authors it sees)}``.

    ``kind`` is ``"all"`` (everyone sees everyone, Du et al. 2023), ``"ring"`` (agent i
    sees agent i-1 and i+1), ``"none"`` (no communication: each agent only revises on
    its own, the self-reflection control), a mapping ``{reader: [authors]}``, or an
    adjacency matrix ``A[i][j] = 1`` when agent i reads agent j.
    """
    n = len(names)
    if isinstance(kind, str):
        if kind == "all":
            return {a: tuple(b for b in names if b != a) for a in names}
        if kind == "none":
            return {a: () for a in names}
        if kind == "ring":
            if n <= 2:
                return graph_neighbours("all", names)
            return {names[i]: tuple(dict.fromkeys((names[(i - 1) % n], names[(i + 1) % n]))) for i in range(n)}
        raise InterplayError(f"debate graph: expected 'all', 'ring', 'none', a mapping or a matrix, got {kind!r}.")
    if isinstance(kind, dict):
        out = {}
        for reader, authors in kind.items():
            if reader not in names:
                raise InterplayError(f"debate graph: unknown agent {reader!r} (agents: {list(names)}).")
            bad = [a for a in authors if a not in names or a == reader]
            if bad:
                raise InterplayError(f"debate graph: {reader!r} cannot read {bad} (agents: {list(names)}, "
                                     "not itself).")
            out[reader] = tuple(dict.fromkeys(authors))
        return {a: out.get(a, ()) for a in names}
    rows = [list(r) for r in kind]
    if len(rows) != n or any(len(r) != n for r in rows):
        raise InterplayError(f"debate graph: an adjacency matrix for {n} agents must be {n}x{n}.")
    out = {}
    for i, row in enumerate(rows):
        if any(v not in (0, 1) for v in row):
            raise InterplayError(f"debate graph: row {i} of the adjacency matrix must hold 0/1, got {row}.")
        out[names[i]] = tuple(names[j] for j, v in enumerate(row) if v and j != i)
    return out
