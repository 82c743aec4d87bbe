"""Negotiators: fixed concession strategies, LLM negotiators and people at the terminal.

Fixed negotiators only read their own payoffs (``view.own_utility``). Each keeps a
*target* (the own payoff it asks for), offers the deal whose own payoff is the smallest
at or above the target (ties: the one that leaves the others the most, then the first),
and accepts an offer worth at least the target; at a move that cannot be answered with
another offer (the last move, a vote) it accepts whatever beats its reservation value
(the disagreement payoff, or ``floor`` times its best payoff):

* :class:`TimeDependent` (Faratin, Sierra and Jennings 1998, "Negotiation decision
  functions for autonomous agents"): target(t) = lo + (hi - lo) (1 - (t / T)^(1/e)) over
  the moves t = 0..T; ``e < 1`` concedes late (**Boulware**), ``e > 1`` early
  (**Conceder**), ``e = 1`` linearly;
* :class:`Threshold` (accept-above-threshold): a fixed target ``threshold * hi``;
* :class:`SplitTheDifference`: the target is the midpoint (in its own payoff) of its last
  offer and the last offer made to it; it accepts an offer within ``tolerance * hi`` of
  that midpoint (without a tolerance, offers on a grid of payoffs could circle for ever).

:class:`LLMNegotiator` asks a :class:`~interplay.llm.LanguageModel` for a short message and
one line ``MOVE: ...``; :class:`HumanNegotiator` asks a person for both at the terminal.
Neither checks its move: the protocol (:mod:`interplay.talk.negotiation`) parses it,
re-asks and falls back.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from interplay.agents.human import Terminal
from interplay.agents.negotiation import NegotiationTurn, NegotiationView
from interplay.errors import InterplayError
from interplay.games.bargaining import ACCEPT, REJECT, Move

_EPS = 1e-9


def choose_offer(view: NegotiationView, target: float) -> int:
    """The deal worth the least to this party at or above ``target``; ties: most given away, then the first."""
    u = view.own_utility
    ok = np.flatnonzero(u >= target - _EPS)
    if ok.size == 0:
        ok = np.flatnonzero(u >= u.max() - _EPS)
    order = np.lexsort((ok, -view.given[ok], u[ok]))
    return int(ok[order[0]])


class _Fixed:
    """The shared decision rule of the fixed negotiators (see the module docstring)."""

    name: str
    floor: float = 0.0

    def target(self, view: NegotiationView, hi: float, lo: float) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    def accepts(self, view: NegotiationView, offered: float, target: float, hi: float) -> bool:
        return offered >= target - _EPS

    def bounds(self, view: NegotiationView) -> tuple[float, float]:
        hi = float(view.own_utility.max())
        return hi, min(hi, max(view.own_disagreement, self.floor * hi))

    async def negotiate(self, view: NegotiationView) -> NegotiationTurn:
        hi, lo = self.bounds(view)
        target = float(np.clip(self.target(view, hi, lo), lo, hi))
        legal = view.legal
        if legal.accept and view.offer is not None:
            offered = float(view.own_utility[view.offer])
            if (self.accepts(view, offered, target, hi) if legal.offer else offered >= lo - _EPS):
                return NegotiationTurn("I accept.", ACCEPT)
        if legal.offer:
            deal = choose_offer(view, target)
            return NegotiationTurn(f"My offer: {view.deal_texts[deal]}.", Move("offer", deal))
        if legal.reject:
            return NegotiationTurn("I reject.", REJECT)
        return NegotiationTurn("I accept.", ACCEPT)  # pragma: no cover - every state allows a move


class TimeDependent(_Fixed):
    """Time-dependent concession (Faratin et al. 1998): Boulware (e < 1), linear (e = 1), Conceder (e > 1)."""

    def __init__(self, name: str = "boulware", e: float = 0.2, floor: float = 0.0) -> None:
        if not 0 < e <= 100:
            raise InterplayError(f"negotiator {name!r}: e must be in (0, 100], got {e}.")
        if not 0 <= floor <= 1:
            raise InterplayError(f"negotiator {name!r}: floor must be in [0, 1], got {floor}.")
        self.name, self.e, self.floor = name, float(e), float(floor)

    def target(self, view: NegotiationView, hi: float, lo: float) -> float:
        last = max(view.max_turns - 1, 1)
        frac = min(view.turn / last, 1.0) ** (1.0 / self.e)
        return lo + (hi - lo) * (1.0 - frac)


def boulware(name: str = "boulware", e: float = 0.2, floor: float = 0.0) -> TimeDependent:
    """Concedes little until the deadline (e = 0.2)."""
    return TimeDependent(name, e, floor)


def conceder(name: str = "conceder", e: float = 3.0, floor: float = 0.0) -> TimeDependent:
    """Concedes early (e = 3)."""
    return TimeDependent(name, e, floor)


class Threshold(_Fixed):
    """Accept-above-threshold: asks for and accepts ``threshold`` times its best payoff."""

    def __init__(self, name: str = "threshold", threshold: float = 0.6, floor: float = 0.0) -> None:
        if not 0 <= threshold <= 1:
            raise InterplayError(f"negotiator {name!r}: threshold must be in [0, 1], got {threshold}.")
        self.name, self.threshold, self.floor = name, float(threshold), float(floor)

    def target(self, view: NegotiationView, hi: float, lo: float) -> float:
        return self.threshold * hi


class SplitTheDifference(_Fixed):
    """Meets in the middle: targets the midpoint of its last offer and the last offer made to it."""

    def __init__(self, name: str = "split", tolerance: float = 0.1, floor: float = 0.0) -> None:
        if not 0 <= tolerance <= 1:
            raise InterplayError(f"negotiator {name!r}: tolerance must be in [0, 1], got {tolerance}.")
        self.name, self.tolerance, self.floor = name, float(tolerance), float(floor)

    def target(self, view: NegotiationView, hi: float, lo: float) -> float:
        mine = [m.deal for s, m in view.moves if s == view.seat and m.kind == "offer"]
        theirs = [m.deal for s, m in view.moves if s != view.seat and m.kind == "offer"]
        if not mine or not theirs:
            return hi
        u = view.own_utility
        return (float(u[mine[-1]]) + float(u[theirs[-1]])) / 2

    def accepts(self, view: NegotiationView, offered: float, target: float, hi: float) -> bool:
        return offered >= target - self.tolerance * hi - _EPS


#: Fixed negotiators by kind (``kind:`` in a config), each a factory of (name, **options).
FIXED: dict[str, Callable[..., _Fixed]] = {"boulware": boulware, "conceder": conceder, "linear":
                                            lambda name="linear", floor=0.0: TimeDependent(name, 1.0, floor),
                                            "time-dependent": TimeDependent, "threshold": Threshold,
                                            "split-the-difference": SplitTheDifference}


# -- LLM negotiators -------------------------------------------------------------------

SYSTEM = """You are {me}, one of the parties in a negotiation: {game_name}.
{rules}
{private}
Parties: {parties}. You are {me}."""

TURN = """Move {move_number} of at most {max_turns}.
Moves so far:
{history}
{messages}
{table}
Write a short message to the other parties (one or two sentences), then end your answer with one line:
MOVE: {form}"""

TALK = """Move {move_number} of at most {max_turns}.
Moves so far:
{history}
{messages}
{table}
Write a short message to the other parties (one or two sentences). Only the message."""

CHOOSE = "Now your move: {form}"

REASK = """Your move "{bad}" cannot be played: {reason}.
Reply with one line only:
MOVE: {form}"""

_MOVE_LINE = re.compile(r"^\W*move\W*:\s*(?P<move>.+?)\s*$", re.IGNORECASE)
_BARE_MOVE = re.compile(r"^\W*(?P<move>(?:offer|propose|accept|reject)\b.*?)\s*$", re.IGNORECASE)


def split_answer(text: str) -> tuple[str, str | None]:
    """(message, move text) of an answer: the move is the last ``MOVE: ...`` line (or the last line starting
    with OFFER, PROPOSE, ACCEPT or REJECT); the message is what comes before it."""
    lines = text.strip().splitlines()
    for pattern in (_MOVE_LINE, _BARE_MOVE):
        for k in range(len(lines) - 1, -1, -1):
            m = pattern.match(lines[k])
            if m:
                message = " ".join(" ".join(lines[:k]).split())
                message = re.sub(r"^\W*message\W*:\s*", "", message, flags=re.IGNORECASE)
                return message, m.group("move").strip().strip("*`\"'").strip()
    return " ".join(text.split()), None


def history_lines(view: NegotiationView) -> str:
    if not view.history:
        return "(none yet)"
    return "\n".join(f"{k + 1}. {'you' if who == view.me else who}: {text}" for k, (who, text) in
                     enumerate(view.history))


def message_lines(view: NegotiationView, limit: int = 12) -> str:
    if not view.messages:
        return ""
    rows = [f"{'you' if m['sender'] == view.me else m['sender']}: {m['text']}" for m in view.messages[-limit:]]
    return "Messages:\n" + "\n".join(rows)


def table_line(view: NegotiationView) -> str:
    if view.offer is None:
        return "No offer is on the table yet."
    worth = float(view.own_utility[view.offer])
    whose = "your own" if view.proposer == view.me else f"{view.proposer}'s"
    return (f"On the table ({whose} offer): "
            f"{view.offer_text} (worth {worth:g} to you; no deal is worth {view.own_disagreement:g}).")


class LLMNegotiator:
    """A negotiator backed by a LanguageModel.

    ``decision="parse"`` (one call a move): a short message, then one line ``MOVE: ...``, read by the
    protocol; a re-ask quotes the bad move, says why, and asks for the move line only, with a new seed.
    ``decision="choose"`` (two calls a move): a short message (at most ``message_tokens``; posted even if
    cut off: a message is talk, not a scored answer), then a constrained choice among the legal moves
    (option log-likelihoods on local models, guided choice on HTTP servers), as ``LLMAgent``'s
    ``decision: choose``.
    """

    def __init__(self, name: str, model: Any, *, temperature: float = 0.0, max_tokens: int | None = 120,
                 message_chars: int = 400, decision: str = "parse", message_tokens: int = 40) -> None:
        if decision not in ("parse", "choose"):
            raise InterplayError(f"negotiator {name!r}: decision must be 'parse' or 'choose', got {decision!r}.")
        self.name, self.model = name, model
        self.temperature, self.max_tokens, self.message_chars = float(temperature), max_tokens, int(message_chars)
        self.decision, self.message_tokens = decision, int(message_tokens)

    def fields(self, view: NegotiationView) -> dict[str, str]:
        return {"me": view.me, "game_name": view.spec.name, "rules": view.spec.description, "private": view.private,
                "parties": ", ".join(view.names), "move_number": str(view.turn + 1),
                "max_turns": str(view.max_turns), "history": history_lines(view), "messages": message_lines(view),
                "table": table_line(view), "form": view.form}

    def prompt(self, view: NegotiationView, template: str = TURN) -> list[dict[str, str]]:
        f = self.fields(view)
        msgs = [{"role": "system", "content": SYSTEM.format(**f)}, {"role": "user", "content": template.format(**f)}]
        if view.feedback is not None:
            if view.previous:
                msgs.append({"role": "assistant", "content": view.previous})
            msgs.append({"role": "user", "content": view.feedback})
        return msgs

    async def negotiate(self, view: NegotiationView) -> NegotiationTurn:
        if self.decision == "choose":
            return await self._choose(view)
        c = await self.model.agenerate(self.prompt(view), temperature=self.temperature, max_tokens=self.max_tokens,
                                       seed=view.seed)
        if c.problem is not None:  # cut off or empty: not read at all
            return NegotiationTurn(None, None, raw=c.text, completion=c)
        message, move = split_answer(c.text)
        return NegotiationTurn(message[:self.message_chars] or None, move, raw=c.text, completion=c)

    async def _choose(self, view: NegotiationView) -> NegotiationTurn:
        from interplay.llm.base import InvalidAnswer

        msgs = self.prompt(view, TALK)
        message, calls = None, []
        if view.feedback is None:
            c = await self.model.agenerate(msgs, temperature=self.temperature, max_tokens=self.message_tokens,
                                           seed=view.seed)
            calls.append(c)
            message = " ".join(c.text.split())[:self.message_chars] or None
            msgs = [*msgs, {"role": "assistant", "content": c.text}]
        msgs = [*msgs, {"role": "user", "content": CHOOSE.format(form=view.form)}]
        try:
            choice = await self.model.achoose(msgs, view.legal_moves(), temperature=self.temperature,
                                              seed=view.seed + 1)
        except InvalidAnswer as exc:
            return NegotiationTurn(message, exc.text, raw=exc.text, completion=exc.completion,
                                   meta={"calls": calls})
        return NegotiationTurn(message, choice.option, raw=choice.option, completion=choice.completion,
                               meta={"calls": calls})


# -- people ------------------------------------------------------------------------------


class HumanNegotiator:
    """A person at the terminal: shown the rules and their values once, then the table and the messages;
    asked for a message (empty: none) and a move. ``ask``/``tell`` are injectable (tests, other front ends)."""

    def __init__(self, name: str = "human", *, ask: Callable[[str], str] = input,
                 tell: Callable[[str], None] = print) -> None:
        self.name, self.tell = name, tell
        self.terminal = Terminal(name, ask=ask, tell=tell, eof="no more input (end of file); the negotiation stops "
                                 "here.")

    async def negotiate(self, view: NegotiationView) -> NegotiationTurn:
        if view.feedback is None and not any(s == view.seat for s, _ in view.moves):  # its first move: the rules
            self.tell(f"== {view.spec.name} ==\n{view.spec.description}\n{view.private}\nYou are {view.me}.")
        if view.feedback is not None:
            self.tell(view.feedback)
            text = await self.terminal.aread(f"Your move ({view.form}): ")
            return NegotiationTurn(None, _typed_move(text), raw=text)
        self.tell(f"Moves so far:\n{history_lines(view)}\n{message_lines(view, 5)}\n{table_line(view)}")
        message = await self.terminal.aread("Message to the others (empty for none): ")
        move = await self.terminal.aread(f"Your move ({view.form}): ")
        return NegotiationTurn(message or None, _typed_move(move), raw=f"{message}\n{move}")


def _typed_move(text: str) -> str:
    """A person's move line, with a ``MOVE:`` in front of it taken off (as the re-ask shows the form)."""
    return split_answer(text)[1] or text
