"""The match engine: per-turn matches between :class:`~interplay.agents.protocol.Player` s.

Every player (see :mod:`interplay.agents.protocol`) is asked for one move at a time from
its :class:`~interplay.agents.protocol.View`, with optional cheap talk before each move.

:func:`play_match` plays one match under asyncio (both seats decide concurrently); a
player's error ends the match, recorded as incomplete with the error (a
:class:`MatchRecord` is always returned). Every per-turn match of interplay is played
here; the round robin over a population (many matches at once, library strategies
batched) is :func:`interplay.evaluate.tournament.run_tournament`.

Match semantics follow :mod:`interplay.games.iterated`: ``horizon`` turns, each
chosen action flipped with probability ``noise``, the match ending after each
turn with probability ``end_prob``; a normal-form game is one turn.

Two injected hooks connect a match to the layers above without this module
importing them (dependencies point down: agents know neither talk nor safety):

* ``channel``: a factory ``channel(names) -> TalkChannel``; every cheap-talk message
  is posted on the channel it returns (e.g. :class:`interplay.talk.channel.Channel`
  with safety monitors), and the channel's verdict is kept on the message record
  (``flags``, ``blocked``). A blocked message reaches none of its readers: it stays in
  the transcript (and in its sender's view, as on the channel) but in no other view.
* ``on_event(record, event)``: called with every transcript record as it is appended
  (talk, move, outcome), e.g. to write an audit log as the match goes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from interplay.agents.protocol import Decision, TalkChannel, TalkMessage, View, Visibility
from interplay.errors import InterplayError
from interplay.games.iterated import IteratedGame
from interplay.games.normal_form import NormalFormGame
from interplay.games.spec import GameSpec

#: ``channel(names) -> TalkChannel``: one channel per match, among the match's seat names.
ChannelFactory = Callable[[tuple[str, ...]], TalkChannel]
#: ``on_event(record, event)``: sees every transcript record of a match as it is appended.
EventHook = Callable[["MatchRecord", dict[str, Any]], None]


def _flag_dict(f: Any) -> dict[str, Any]:
    if isinstance(f, Mapping):
        return dict(f)
    return dict(f.to_dict())


@dataclass
class MatchRecord:
    """The outcome of one match: plain data, written to the run directory.

    ``intended`` are the chosen actions, ``actions`` those played after noise.
    ``events`` is the transcript: talk messages, moves and outcomes in order.
    """

    game: str
    names: tuple[str, ...]
    seed: int
    actions: list[tuple[int, ...]] = field(default_factory=list)
    intended: list[tuple[int, ...]] = field(default_factory=list)
    rewards: list[tuple[float, ...]] = field(default_factory=list)
    messages: list[TalkMessage] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    fallbacks: list[int] = field(default_factory=list)
    invalid: list[int] = field(default_factory=list)
    complete: bool = False
    error: str | None = None
    error_type: str | None = None
    planned_length: int = 0
    #: (i, j, repetition) of the round-robin pairing this match played (None outside a round robin)
    pairing: tuple[int, int, int] | None = None
    #: the seats' players as named by the caller (``names`` tells the seats of a self-play match apart)
    players: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, d: dict[str, Any], events: list[dict[str, Any]] | None = None) -> MatchRecord:
        """The record :meth:`to_dict` wrote (with ``error_type``, ``planned_length`` and
        ``pairing`` when present): a finished match carried over by a resumed run."""
        msgs = [TalkMessage(sender=m["sender"], text=m["text"], round=int(m["round"]), visibility=m["visibility"],
                            to=tuple(m.get("to") or ()), turn=int(m.get("turn", 0)),
                            talk_round=int(m.get("talk_round", 0)), flags=tuple(m.get("flags") or ()),
                            blocked=bool(m.get("blocked", False))) for m in d.get("messages") or []]
        pairing = d.get("pairing")
        if pairing is not None:
            i, j, rep = (int(x) for x in pairing)
            pairing = (i, j, rep)
        return cls(game=d["game"], names=tuple(d["names"]), seed=int(d["seed"]),
                   actions=[tuple(int(x) for x in a) for a in d.get("actions") or []],
                   intended=[tuple(int(x) for x in a) for a in d.get("intended") or []],
                   rewards=[tuple(float(x) for x in r) for r in d.get("rewards") or []], messages=msgs,
                   events=list(events or []), fallbacks=list(d.get("fallbacks") or []),
                   invalid=list(d.get("invalid") or []), complete=bool(d.get("complete")), error=d.get("error"),
                   error_type=d.get("error_type"), planned_length=int(d.get("planned_length") or 0),
                   pairing=pairing,
                   players=tuple(d.get("players") or ()))

    @property
    def length(self) -> int:
        return len(self.actions)

    @property
    def totals(self) -> np.ndarray:
        n = len(self.names)
        return np.sum(np.asarray(self.rewards, dtype=float).reshape(-1, n), axis=0)

    @property
    def mean_per_turn(self) -> np.ndarray:
        return self.totals / max(self.length, 1)

    def to_dict(self) -> dict[str, Any]:
        return {"game": self.game, "names": list(self.names), "players": list(self.players or self.names),
                "seed": self.seed, "length": self.length,
                "complete": self.complete, "error": self.error, "actions": [list(a) for a in self.actions],
                "intended": [list(a) for a in self.intended], "rewards": [list(r) for r in self.rewards],
                "totals": self.totals.tolist(), "fallbacks": self.fallbacks, "invalid": self.invalid,
                "messages": [m.to_dict() for m in self.messages]}

    def transcript(self) -> list[dict[str, Any]]:
        return list(self.events)

    def message_counts(self) -> dict[str, dict[str, int]]:
        """Per sender: messages sent, flagged (by any monitor) and blocked."""
        out: dict[str, dict[str, int]] = {}
        for m in self.messages:
            c = out.setdefault(m.sender, {"messages": 0, "flagged": 0, "blocked": 0})
            c["messages"] += 1
            c["flagged"] += int(bool(m.flags))
            c["blocked"] += int(m.blocked)
        return out


def stage_of(game: Any) -> tuple[GameSpec, np.ndarray, int, float, float, float | None]:
    """(spec, stage payoffs, horizon, noise, end_prob, discount) of a supported game."""
    if isinstance(game, IteratedGame):
        return (game.spec, np.asarray(game.stage.payoffs, dtype=float), int(game.horizon), float(game.noise),
                float(game.end_prob), float(game.discount))
    if isinstance(game, NormalFormGame):
        return game.spec, np.asarray(game.payoffs, dtype=float), 1, 0.0, 0.0, None
    raise InterplayError(f"per-turn play needs a normal-form or iterated game, got {type(game).__name__}.")


def _as_decision(out: Decision | int, view: View, who: str) -> Decision:
    d = out if isinstance(out, Decision) else Decision(action=int(out))
    if not 0 <= d.action < len(view.legal):
        raise InterplayError(f"agent {who!r} returned action {d.action} in {view.spec.id}; legal: "
                             f"0..{len(view.legal) - 1} {list(view.legal)}.")
    return d


async def gather_or_cancel(aws: Any) -> list[Any]:
    """``asyncio.gather`` that cancels the other seats' calls when one fails.

    Plain ``gather`` lets the siblings of a failed awaitable run on: in self-play the
    seat whose call failed ends the match, while the other seat kept calling (and
    re-asking) a model for a match that was already over.
    """
    tasks = [asyncio.ensure_future(a) for a in aws]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def play_match(game: Any, players: Sequence[Any], *, seed: int = 0, rounds: int | None = None,
                     talk_rounds: int = 0, talk_visibility: Visibility = "public",
                     names: Sequence[str] | None = None, channel: ChannelFactory | None = None,
                     on_event: EventHook | None = None) -> MatchRecord:
    """Play one match between per-turn players (one per seat); see the module docstring.

    ``rounds`` overrides the game's horizon; ``talk_rounds`` rounds of cheap talk come
    before each move (``"public"``: one message to everyone; ``"private"``: one message
    to each other player, seen only by the two). ``channel`` (a factory of the seat
    names) routes every message through a monitored channel; ``on_event`` sees every
    transcript record. Errors of a player end the match: the record is returned with
    ``complete=False`` and the error.
    """
    spec, payoffs, horizon, noise, end_prob, discount = stage_of(game)
    if len(players) != spec.num_players:
        raise InterplayError(f"{spec.id} has {spec.num_players} players; {len(players)} agents were given.")
    if talk_visibility not in ("public", "private"):
        raise InterplayError(f"talk visibility must be 'public' or 'private', got {talk_visibility!r}.")
    if names is None:
        names = [getattr(p, "name", f"player_{i}") for i, p in enumerate(players)]
    names = players_named = tuple(names)
    if len(set(names)) != len(names):  # self-play: tell the seats apart
        names = tuple(f"{n} ({spec.players[i]})" for i, n in enumerate(names))
    horizon = int(rounds) if rounds is not None else horizon
    rng = np.random.default_rng([seed, 2024])
    length = horizon
    if end_prob > 0:
        length = min(horizon, int(rng.geometric(end_prob)))
    record = MatchRecord(game=spec.id, names=names, seed=seed, fallbacks=[0] * len(names), invalid=[0] * len(names),
                         planned_length=length, players=players_named)
    chan = channel(names) if channel is not None and talk_rounds > 0 else None

    def emit(event: dict[str, Any]) -> None:
        record.events.append(event)
        if on_event is not None:
            on_event(record, event)

    def view(seat: int, t: int) -> View:
        return View(spec=spec, payoffs=payoffs, seat=seat, names=names, round=t, history=tuple(record.actions),
                    rewards=tuple(record.rewards), seed=seed, horizon=horizon if rounds is not None or end_prob == 0
                    else None, discount=discount, noise=noise, end_prob=end_prob,
                    messages=tuple(m for m in record.messages if m.visible_to(names[seat])))

    try:
        for t in range(length):
            for k in range(talk_rounds):
                await _talk(players, names, view, t, k, talk_visibility, record, chan, emit)
            views = [view(i, t) for i in range(len(players))]
            outs = await gather_or_cancel(p.act(v) for p, v in zip(players, views, strict=True))
            decisions = [_as_decision(o, v, n) for o, v, n in zip(outs, views, names, strict=True)]
            intended = tuple(d.action for d in decisions)
            flips = rng.random(len(intended)) < noise if noise > 0 else np.zeros(len(intended), bool)
            played = tuple(int(1 - a) if f and spec.num_actions[i] == 2 else int(a)
                           for i, (a, f) in enumerate(zip(intended, flips, strict=True)))
            reward = tuple(float(x) for x in payoffs[(slice(None), *played)])
            for i, d in enumerate(decisions):
                record.fallbacks[i] += int(d.fallback)
                record.invalid[i] += d.invalid
                entry = {"sender": names[i], "to": [], "visibility": "public", "round": t,
                         "turn": len(record.events), "kind": "move", "text": d.text,
                         "action": spec.actions[i][d.action], "fallback": d.fallback}
                if d.reason:
                    entry["reason"] = d.reason
                if d.invalid:
                    entry["invalid"] = d.invalid
                emit(entry)
            record.intended.append(intended)
            record.actions.append(played)
            record.rewards.append(reward)
            label = ", ".join(spec.actions[i][a] for i, a in enumerate(played))
            emit({"sender": "game", "to": list(names), "visibility": "public", "round": t,
                  "turn": len(record.events), "kind": "outcome",
                  "text": f"played {label}; payoffs {', '.join(f'{r:g}' for r in reward)}"
                  + (" (noise flipped a move)" if played != intended else "")})
        record.complete = True
    except InterplayError as exc:
        record.error, record.error_type = str(exc), type(exc).__name__
    return record


async def _talk(players: Sequence[Any], names: tuple[str, ...], view: Any, t: int, k: int, visibility: Visibility,
                record: MatchRecord, chan: TalkChannel | None, emit: Callable[[dict[str, Any]], None]) -> None:
    """One round of simultaneous messages (nobody sees the others' messages of the same round).

    With a channel, each message is posted on it first; its flags and block are recorded."""
    jobs: list[tuple[int, tuple[str, ...]]] = []
    for i, p in enumerate(players):
        if getattr(p, "speak", None) is None:
            continue
        if visibility == "public":
            jobs.append((i, tuple(n for j, n in enumerate(names) if j != i)))
        else:
            jobs.extend((i, (n,)) for j, n in enumerate(names) if j != i)
    texts = await gather_or_cancel(players[i].speak(view(i, t), to) for i, to in jobs)
    for (i, to), text in zip(jobs, texts, strict=True):
        if text is None or not str(text).strip():
            continue
        body = str(text).strip()
        flags: tuple[dict[str, Any], ...] = ()
        blocked = False
        if chan is not None:
            posted = chan.post(names[i], body, visibility=visibility, to=to if visibility == "private" else None,
                               round=t, kind="talk", talk_round=k)
            flags = tuple(_flag_dict(f) for f in posted.flags)
            blocked = bool(posted.blocked)
        msg = TalkMessage(sender=names[i], text=body, round=t, visibility=visibility, to=to,
                          turn=len(record.events), talk_round=k, flags=flags, blocked=blocked)
        record.messages.append(msg)
        emit(msg.to_dict())
