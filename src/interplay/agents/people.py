"""People in the loop through a web page: seats, one-time tokens, and the person as a Player.

This module holds no web code (the page and its server are :mod:`interplay.run.web`); it is the
meeting point of a run and the people in it, safe to use from two threads:

* a :class:`Seat` is one place a person takes: a player of a game, a debate judge, a decide
  advisor. Its link carries a one-time token; the first page to present it gets a session
  secret (a cookie), a second presentation of the token is refused, and only that session may
  read or answer the seat. Neither the token nor the session is written anywhere: they are
  not in the seat's :meth:`Seat.record`, which is what the run directory gets;
* the run asks a seat a question with :meth:`Seat.request` (a JSON-able ``ask`` and a
  ``validate`` that turns a posted answer into the value, raising ``ValueError`` on a bad
  one: the page gets a 4xx and nothing changes) and waits for the answer up to a stated time;
  a seat that stays silent past it is *replaced*: this and every later question goes to the
  seat's declared fallback at once, until the person is back on the page (it polls), which
  rejoins the seat;
* :class:`WebPlayer` is the person as a :class:`~interplay.agents.protocol.Player` (and
  speaker where the game has cheap talk): its moves are :class:`~interplay.agents.protocol.Decision` s,
  a fallback move marked ``fallback=True`` with the reason, so results.json, transcripts and the
  audit log record a person like any agent.

While ``interplay serve`` runs, :func:`active_hub` is the run's :class:`Hub`; the factories that
make people (``human`` player specs, ``human`` advisors, a ``person`` judge) take their seat from
it, and make terminal people when no hub is active.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hmac
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from interplay.agents.protocol import Decision, View
from interplay.errors import InterplayError

SEAT_NAME = re.compile(r"^[^/\\\x00-\x1f#?%]{1,64}$")
ROLES = ("player", "judge", "advisor")
#: A person counts as on the page while it polled within this many seconds.
PRESENT_WITHIN = 5.0


class SeatRefused(Exception):
    """A token or session that does not open the seat (the page gets 403)."""


class Silent(Exception):
    """The person did not answer in time (or the seat is replaced); the caller uses its fallback."""


class _Entry:
    """One question to a seat: the ask shown, its validator, the answer's future, and whether it is first."""

    def __init__(self, ask: dict[str, Any], validate: Callable[[dict[str, Any]], Any]) -> None:
        self.ask = ask
        self.validate = validate
        self.future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self.front: concurrent.futures.Future[bool] = concurrent.futures.Future()


class Seat:
    """One person's place in a run (see the module docstring)."""

    def __init__(self, name: str, role: str, *, timeout: float = 120.0, join_timeout: float = 600.0) -> None:
        if not SEAT_NAME.match(name):
            raise InterplayError(f"people: seat name {name!r} must be 1-64 characters without / \\ # ? % or "
                                 "control characters (it is part of the seat's link).")
        if role not in ROLES:
            raise InterplayError(f"people: seat {name!r}: role must be one of {', '.join(ROLES)}, got {role!r}.")
        self.name = name
        self.role = role
        self.timeout = float(timeout)
        self.join_timeout = float(join_timeout)
        self.token = secrets.token_urlsafe(24)
        self._session: str | None = None
        self._lock = threading.Lock()
        self._queue: list[_Entry] = []
        self._next_id = 0
        self.replaced = False
        self.last_seen: float | None = None
        self.done: list[dict[str, Any]] = []  # what the person answered (shown on the page, kept in the record)
        self.counts = {"questions": 0, "answers": 0, "fallbacks": 0, "timeouts": 0, "rejoins": 0,
                       "refused_tokens": 0, "bad_answers": 0, "reissued": 0}
        self.finished = False

    # -- joining ----------------------------------------------------------------------
    @property
    def taken(self) -> bool:
        return self._session is not None

    def claim(self, token: str) -> str:
        """Exchange the one-time token for the seat's session secret; a used or wrong token is refused."""
        with self._lock:
            if self._session is not None or not hmac.compare_digest(str(token), self.token):
                self.counts["refused_tokens"] += 1
                raise SeatRefused("this link is not valid for this seat (wrong token, or the seat is taken)")
            self._session = secrets.token_urlsafe(24)
            self.last_seen = time.monotonic()
            return self._session

    def reissue(self) -> None:
        """A new one-time token for the seat (the experimenter's page): the old session no longer opens it,
        so a person who lost their browser can take the seat again from a new link."""
        with self._lock:
            self.token = secrets.token_urlsafe(24)
            self._session = None
            self.counts["reissued"] += 1

    def check(self, session: str | None) -> None:
        """Raise :class:`SeatRefused` unless ``session`` is this seat's."""
        if self._session is None or session is None or not hmac.compare_digest(str(session), self._session):
            raise SeatRefused("not this seat's session")

    def seen(self) -> None:
        """The person's page polled: it is present (and rejoins a replaced seat)."""
        with self._lock:
            self.last_seen = time.monotonic()
            if self.replaced:
                self.replaced = False
                self.counts["rejoins"] += 1

    def present(self) -> bool:
        return self.last_seen is not None and time.monotonic() - self.last_seen <= PRESENT_WITHIN

    @property
    def status(self) -> str:
        if self.finished:
            return "finished"
        if not self.taken:
            return "waiting for a person"
        if self.replaced:
            return "replaced by its fallback"
        return "answering" if self._ask is not None else "seated"

    # -- questions ----------------------------------------------------------------------
    # Questions wait in order (a judge may be asked by several debates at once): the page shows
    # the first; a question's time starts when it is first in line.
    @property
    def _ask(self) -> dict[str, Any] | None:
        return self._queue[0].ask if self._queue else None

    def state(self) -> dict[str, Any]:
        """What the seat's page shows: the question (if one is open), past answers, status."""
        with self._lock:
            return {"seat": self.name, "role": self.role, "status": self.status, "ask": self._ask,
                    "waiting": max(len(self._queue) - 1, 0), "done": self.done[-50:], "finished": self.finished,
                    "timeout": self.timeout}

    def answer(self, ask_id: int, posted: dict[str, Any]) -> Any:
        """Answer the open question; ``ValueError`` (bad answer, or no such question open) changes nothing."""
        with self._lock:
            if not self._queue or self._queue[0].ask["id"] != ask_id:
                raise ValueError("no such question is open (it was answered, timed out, or the run moved on)")
            entry = self._queue[0]
            try:
                value = entry.validate(posted)
            except (ValueError, TypeError, KeyError) as exc:
                self.counts["bad_answers"] += 1
                raise ValueError(str(exc) or "bad answer") from None
            self._pop(entry)
            self.counts["answers"] += 1
            self.done.append({"id": ask_id, "title": posted.get("_title", ""), "answer": _shown(posted)})
        entry.future.set_result(value)
        return value

    def _pop(self, entry: _Entry) -> None:  # under the lock
        if entry in self._queue:
            first = self._queue[0] is entry
            self._queue.remove(entry)
            if first and self._queue:
                self._queue[0].front.set_result(True)

    def _open(self, ask: dict[str, Any], validate: Callable[[dict[str, Any]], Any]) -> _Entry:
        with self._lock:
            self.counts["questions"] += 1
            self._next_id += 1
            entry = _Entry({**ask, "id": self._next_id}, validate)
            self._queue.append(entry)
            if len(self._queue) == 1:
                entry.front.set_result(True)
            return entry

    def _started(self, entry: _Entry) -> float:
        """The entry is first in line: the seconds it may wait, or :class:`Silent` if the seat is replaced."""
        with self._lock:
            if self.replaced:
                self._pop(entry)
                self.counts["fallbacks"] += 1
                raise Silent("the seat is replaced by its fallback")
            return self.timeout if self.taken else self.join_timeout

    def _expired(self, entry: _Entry, wait: float) -> Any:
        with self._lock:
            if entry in self._queue:  # not answered: timed out
                self._pop(entry)
                self.replaced = True
                self.counts["timeouts"] += 1
                self.counts["fallbacks"] += 1
                raise Silent(f"no answer within {wait:g} s")
        return entry.future.result()

    def request(self, ask: dict[str, Any], validate: Callable[[dict[str, Any]], Any]) -> Any:
        """Ask and wait (this thread) for the answer; :class:`Silent` after the seat's time."""
        entry = self._open(ask, validate)
        entry.front.result()
        wait = self._started(entry)
        try:
            return entry.future.result(timeout=wait)
        except concurrent.futures.TimeoutError:
            return self._expired(entry, wait)

    async def arequest(self, ask: dict[str, Any], validate: Callable[[dict[str, Any]], Any]) -> Any:
        """:meth:`request` without blocking the event loop."""
        entry = self._open(ask, validate)
        try:
            await asyncio.wrap_future(entry.front)
        except asyncio.CancelledError:
            with self._lock:
                self._pop(entry)
            raise
        wait = self._started(entry)
        try:
            return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(entry.future)), wait)
        except TimeoutError:
            return self._expired(entry, wait)
        except asyncio.CancelledError:
            with self._lock:
                self._pop(entry)
            raise

    def record(self) -> dict[str, Any]:
        """What the run directory keeps of the seat (no token, no session)."""
        with self._lock:
            return {"role": self.role, "taken": self.taken, "timeout": self.timeout, **self.counts}


def _shown(posted: dict[str, Any]) -> str:
    return str(posted.get("_shown") or {k: v for k, v in posted.items() if not k.startswith("_")})


class Hub:
    """The seats of one run (thread-safe); the web server and the run both hold it."""

    def __init__(self, *, timeout: float = 120.0, join_timeout: float = 600.0,
                 fallbacks: dict[str, Any] | None = None, timeouts: dict[str, float] | None = None) -> None:
        self.timeout = float(timeout)
        self.join_timeout = float(join_timeout)
        self.fallbacks = dict(fallbacks or {})
        self.timeouts = dict(timeouts or {})
        self.admin_token = secrets.token_urlsafe(24)
        self._seats: dict[str, Seat] = {}
        self._lock = threading.Lock()
        self.finished = False

    def seat(self, name: str, role: str) -> Seat:
        """The seat ``name`` (made on first use); one name holds one role."""
        with self._lock:
            s = self._seats.get(name)
            if s is None:
                s = self._seats[name] = Seat(name, role, timeout=self.timeouts.get(name, self.timeout),
                                             join_timeout=self.join_timeout)
            elif s.role != role:
                raise InterplayError(f"people: seat {name!r} is a {s.role}; it cannot also be a {role}.")
            return s

    def get(self, name: str) -> Seat | None:
        return self._seats.get(name)

    @property
    def seats(self) -> dict[str, Seat]:
        with self._lock:
            return dict(self._seats)

    def secrets(self) -> list[str]:
        """Every token and session of the run (for tests that check none was written)."""
        out = [self.admin_token]
        for s in self.seats.values():
            out.append(s.token)
            if s._session:
                out.append(s._session)
        return out

    def finish(self) -> None:
        self.finished = True
        for s in self.seats.values():
            s.finished = True

    def record(self) -> dict[str, Any]:
        return {name: s.record() for name, s in self.seats.items()}


_ACTIVE: Hub | None = None


def active_hub() -> Hub | None:
    """The hub of the ``interplay serve`` run in progress, or None (people are at the terminal)."""
    return _ACTIVE


@contextmanager
def activated(hub: Hub) -> Iterator[Hub]:
    """Make ``hub`` the active one for the duration (people made meanwhile sit at its seats)."""
    global _ACTIVE
    before, _ACTIVE = _ACTIVE, hub
    try:
        yield hub
    finally:
        _ACTIVE = before


# -- the person as a player -------------------------------------------------------------


def view_state(view: View) -> dict[str, Any]:
    """A view as the play page shows it: the game, the legal actions, the history and payoffs so far."""
    spec = view.spec
    n = len(view.names)
    table = []
    import itertools

    for joint in itertools.product(*(range(len(a)) for a in spec.actions)):
        table.append({"actions": [spec.actions[i][a] for i, a in enumerate(joint)],
                      "payoffs": [float(view.payoffs[(i, *joint)]) for i in range(n)]})
    history = [{"round": r + 1, "actions": [spec.actions[i][a] for i, a in enumerate(joint)],
                "rewards": [float(x) for x in view.rewards[r]] if r < len(view.rewards) else []}
               for r, joint in enumerate(view.history)]
    totals = [sum(float(rw[i]) for rw in view.rewards) for i in range(n)]
    msgs = [{"sender": m.sender, "text": m.text, "round": m.round + 1} for m in view.messages
            if m.visible_to(view.me)][-20:]
    return {"game": spec.name, "game_id": spec.id, "description": spec.description, "you": view.me,
            "seat_index": view.seat, "names": list(view.names), "round": view.round + 1, "horizon": view.horizon,
            "legal": list(view.legal), "payoff_table": table, "history": history, "totals": totals,
            "messages": msgs}


class WebPlayer:
    """A person at a web seat, playing turn by turn (a :class:`~interplay.agents.protocol.Player`).

    ``fallback`` is the declared player that moves when the person is silent past the seat's
    time (or has left); its move is recorded with ``fallback=True`` and the reason.
    """

    def __init__(self, name: str, seat: Seat, fallback: Any) -> None:
        self.name = name
        self.seat = seat
        self.fallback = fallback

    #: a person: its matches' transcripts are kept like an LLM agent's
    person = True

    async def act(self, view: View) -> Decision:
        legal = list(view.legal)

        def validate(posted: dict[str, Any]) -> int:
            a = posted.get("action")
            if isinstance(a, bool) or not isinstance(a, int) or not 0 <= a < len(legal):
                raise ValueError(f"action must be an integer 0..{len(legal) - 1} ({', '.join(legal)}), got {a!r}")
            posted["_shown"] = legal[a]
            posted["_title"] = f"round {view.round + 1}"
            return a

        try:
            a = await self.seat.arequest({"kind": "move", **view_state(view)}, validate)
        except Silent as exc:
            out = await self.fallback.act(view)
            d = out if isinstance(out, Decision) else Decision(action=int(out))
            return Decision(action=d.action, text="", fallback=True,
                            reason=f"person silent ({exc}); fallback {getattr(self.fallback, 'name', '?')}")
        return Decision(action=a, text=legal[a], meta={"by": "person"})

    async def speak(self, view: View, to: tuple[str, ...]) -> str | None:
        def validate(posted: dict[str, Any]) -> str:
            text = posted.get("text", "")
            if not isinstance(text, str) or len(text) > 2000:
                raise ValueError("text must be a string of at most 2000 characters")
            posted["_shown"] = text or "(silence)"
            posted["_title"] = f"message, round {view.round + 1}"
            return text.strip()

        try:
            text = await self.seat.arequest({"kind": "talk", "to": list(to), **view_state(view)}, validate)
        except Silent:
            return None
        return text or None


# -- the person as a negotiator -----------------------------------------------------------


def deal_fields(deal_texts: Any) -> list[list[Any]]:
    """The fields of the deals as typed (``book=1 hat=0``, ``size=medium green=full``): each name with its
    values, in the order they appear (numbers sorted), so a page can offer one choice per field."""
    names: list[str] = []
    values: dict[str, list[str]] = {}
    for text in deal_texts:
        for part in str(text).split():
            if "=" not in part:
                continue
            k, v = part.split("=", 1)
            if k not in values:
                names.append(k)
                values[k] = []
            if v not in values[k]:
                values[k].append(v)
    out = []
    for k in names:
        vs = values[k]
        if all(v.isdigit() for v in vs):
            vs = sorted(vs, key=int)
        out.append([k, vs])
    return out


def negotiation_state(view: Any) -> dict[str, Any]:
    """A :class:`~interplay.agents.negotiation.NegotiationView` as the negotiation page shows it: the rules,
    the person's own private values, the moves and messages so far, the table, and the legal moves."""
    from interplay.agents.negotiators import table_line

    legal = view.legal
    return {"game": view.spec.name, "description": view.spec.description, "you": view.me,
            "names": list(view.names), "private": view.private, "turn": view.turn + 1, "max_turns": view.max_turns,
            "history": [{"who": who, "text": text} for who, text in view.history],
            "messages": [{"sender": m.get("sender"), "text": m.get("text")} for m in view.messages][-20:],
            "table": table_line(view), "form": view.form, "accept": bool(legal.accept),
            "reject": bool(legal.reject), "offer": bool(legal.offer), "offer_word": view.offer_word,
            "fields": deal_fields(view.deal_texts) if legal.offer else [], "feedback": view.feedback}


class WebNegotiator:
    """A person at a web seat in a negotiation (a :class:`~interplay.agents.negotiation.Negotiator`).

    The page shows the person's own values, the moves and messages, and the legal moves; it posts a
    message and a move (``ACCEPT``, ``REJECT``, or the offer word with one value per field). The seat
    refuses (422) a move that is not one of the view's legal moves, so nothing illegal reaches the
    protocol; the protocol still parses and checks it. When the person is silent past the seat's time,
    the turn says so (``meta["silent"]``) and the protocol lets the declared fallback move at once.
    """

    #: a person: its negotiations are kept like an LLM negotiator's
    person = True

    def __init__(self, name: str, seat: Seat) -> None:
        self.name = name
        self.seat = seat

    async def negotiate(self, view: Any) -> Any:
        from interplay.agents.negotiation import NegotiationTurn

        legal = {" ".join(m.split()).lower(): m for m in view.legal_moves()}

        def validate(posted: dict[str, Any]) -> tuple[str | None, str]:
            text = posted.get("message", "")
            move = posted.get("move")
            if not isinstance(text, str) or len(text) > 2000:
                raise ValueError("message must be a string of at most 2000 characters")
            if not isinstance(move, str) or " ".join(move.split()).lower() not in legal:
                raise ValueError(f"move must be one of the legal moves ({view.form}), got {move!r}")
            chosen = legal[" ".join(move.split()).lower()]
            posted["_shown"] = chosen + (f' ("{text.strip()}")' if text.strip() else "")
            posted["_title"] = f"move {view.turn + 1}"
            return text.strip() or None, chosen

        try:
            message, move = await self.seat.arequest({"kind": "negotiate", **negotiation_state(view)}, validate)
        except Silent as exc:
            return NegotiationTurn(None, None, raw="", meta={"silent": f"person silent ({exc})"})
        return NegotiationTurn(message, move, raw=move, meta={"by": "person"})
