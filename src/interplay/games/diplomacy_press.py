"""Promises vs orders in Diplomacy press: orders written in messages, checked against the orders given.

A message *proposes* an order when it contains the order in the engine's notation, one of the
possible orders of a unit on the board in that phase (``A PAR - BUR``, ``F LON S A WAL - BEL``,
``A MAR S A PAR - BUR``, ``A BUR H``); spacing around ``-``, letter case and punctuation around the order do not matter,
longer orders are matched first (so the move inside a support is not counted twice). Orders in
plain words ("I'll go to Burgundy") are not read: nothing is guessed.

After the phase is adjudicated, each proposed order is checked against the orders its unit's
power gave:

* a **promise** is an order for one of the sender's own units: *kept* when the sender gave
  exactly that order, *broken* otherwise;
* a **request** is an order for another power's unit: *followed* when that power gave it.

Only the engine's possible orders can match, so the check needs the phase's possible orders
(``DiplomacyEnv._possible``: location -> orders, every power's units) and who owns each unit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from interplay.games.diplomacy import POWERS, order_kind

_DASH = re.compile(r"\s*-\s*>?\s*")
_SPACE = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w/>\-\s]")  # punctuation around orders in prose (not - > / of the notation)


def normal_order_text(text: str) -> str:
    """Upper case, one space between words, `` - `` for a move (also written ``-``, ``->``)."""
    t = _DASH.sub(" - ", str(text).upper())
    return _SPACE.sub(" ", t).strip()


def orders_in_text(text: str, possible: Mapping[str, Sequence[str]]) -> list[str]:
    """The possible orders written in ``text``, in the order they appear (each once).

    ``possible``: location -> the engine's possible orders there (a whole phase's, any power's).
    Longest orders are matched first and their span is taken out, so ``A MAR S A PAR - BUR``
    does not also yield ``A PAR - BUR``.
    """
    body = f" {normal_order_text(_PUNCT.sub(' ', str(text)))} "
    candidates = sorted({normal_order_text(o) for os in possible.values() for o in os
                         if order_kind(o) in ("move", "support", "hold", "convoy")}, key=len, reverse=True)
    found: list[tuple[int, str]] = []
    for order in candidates:
        if order.split()[0] not in ("A", "F"):
            continue
        pat = f" {order} "
        start = 0
        while True:
            k = body.find(pat, start)
            if k < 0:
                break
            found.append((k, order))
            body = body[:k + 1] + "#" * len(order) + body[k + 1 + len(order):]
            start = k + 1
    seen: list[str] = []
    for _, order in sorted(found):
        if order not in seen:
            seen.append(order)
    return seen


@dataclass
class PromiseCheck:
    """The proposals of one game and what became of them."""

    #: one row per (message, proposed order): phase, sender, recipients, order, unit's power,
    #: kind ("promise" or "request"), kept (bool)
    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(self, phase: str, sender: str, to: Sequence[str], order: str, owner: str, kept: bool) -> None:
        self.rows.append({"phase": phase, "sender": sender, "to": list(to), "order": order, "power": owner,
                          "kind": "promise" if owner == sender else "request", "kept": bool(kept)})

    def per_power(self) -> dict[str, dict[str, int]]:
        """power -> promises made, kept, broken; requests made, followed (by the sender)."""
        out = {p: {"promises": 0, "kept": 0, "broken": 0, "requests": 0, "followed": 0} for p in POWERS}
        for r in self.rows:
            c = out[r["sender"]]
            if r["kind"] == "promise":
                c["promises"] += 1
                c["kept" if r["kept"] else "broken"] += 1
            else:
                c["requests"] += 1
                c["followed"] += r["kept"]
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "per_power": self.per_power()}


def unit_owners(units: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """``"A PAR"`` -> its power, from ``{power: [units]}`` (coasts kept: ``"F STP/SC"``)."""
    return {u.upper(): p for p, us in units.items() for u in us}


def check_phase(check: PromiseCheck, phase: str, messages: Iterable[Any], possible: Mapping[str, Sequence[str]],
                units: Mapping[str, Iterable[str]], orders: Mapping[str, Sequence[str]]) -> None:
    """Check the messages of one phase (objects or dicts with ``sender``, ``to``, ``text``) against
    ``orders`` (power -> the orders it gave), with the phase's ``possible`` orders and ``units``.
    Blocked messages (never delivered) are still the sender's word and are checked too."""
    owners = unit_owners(units)
    given = {p: {normal_order_text(o) for o in os} for p, os in orders.items()}
    for m in messages:
        sender = m["sender"] if isinstance(m, Mapping) else m.sender
        to = m["to"] if isinstance(m, Mapping) else m.to
        text = m["text"] if isinstance(m, Mapping) else m.text
        for order in orders_in_text(text, possible):
            unit = " ".join(order.split()[:2])
            owner = owners.get(unit)
            if owner is None:  # a unit of no one (cannot happen for engine orders, kept safe)
                continue
            check.add(phase, sender, tuple(to), order, owner, order in given.get(owner, set()))


__all__ = ["PromiseCheck", "check_phase", "normal_order_text", "orders_in_text", "unit_owners"]
