"""Metrics of negotiations, from outcome records alone.

An outcome record (:meth:`interplay.talk.negotiation.NegotiationResult.to_record`) holds the
game's public record (every deal's payoffs ``utilities[deal][party]``, the disagreement point
``d``, the deals' contents), the agreed deal (or None), the payoffs, the moves and messages.
From it:

* **agreement** (0/1; the rate over many records with a Wilson interval);
* **welfare**: the sum of the payoffs, and its share of the best welfare any outcome gives;
* **Pareto efficiency**: no deal (nor disagreement) gives every party at least as much and
  one party more;
* **distance to the Nash bargaining solution** (Nash 1950): the NBS is the deal maximising
  prod_i (u_i - d_i) over the deals giving every party more than d; the distance is the
  Euclidean distance, in payoff units, from the outcome's payoffs to the NBS payoffs (to
  the nearest one when several deals tie); None when no deal gives every party more than d;
* each party's **share** of the welfare (u_i / sum u; None when the sum is 0) and its payoff
  as a fraction of the most it could get (u_i / max over deals);
* **turns to agreement** (the moves played, the accepting one included);
* **promises** made in messages against what the speaker then offered or did
  (:func:`parse_promises`, :func:`check_promises`): "I will give you 2 hats" is kept when the
  speaker's next offer gives the other party at least 2 hats; "I will accept" when its next
  move accepts; "I will support medium" (issue options) when its next proposal, or the
  proposal it next accepts, holds that option. A promise with no later move is unchecked.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

_TOL = 1e-9


def pareto_optimal(utilities: ArrayLike, u: ArrayLike) -> bool:
    """True when no row of ``utilities`` weakly dominates ``u`` with one strict gain."""
    U = np.asarray(utilities, float)
    x = np.asarray(u, float)
    dominated = np.all(x - _TOL <= U, axis=1) & np.any(x + _TOL < U, axis=1)
    return not bool(dominated.any())


def pareto_deals(utilities: ArrayLike) -> list[int]:
    """Indices of the Pareto-optimal deals."""
    U = np.asarray(utilities, float)
    return [k for k in range(len(U)) if pareto_optimal(U, U[k])]


def nash_bargaining_solution(utilities: ArrayLike, disagreement: ArrayLike) -> list[int]:
    """The deals maximising the Nash product prod_i (u_i - d_i) over deals better than d for every party
    (empty when there is none)."""
    U = np.asarray(utilities, float)
    d = np.asarray(disagreement, float)
    gains = U - d
    ok = np.all(gains > _TOL, axis=1)
    if not ok.any():
        return []
    # products in logs: sums of logs do not overflow and keep the order
    logp = np.where(ok, np.sum(np.log(np.where(ok[:, None], gains, 1.0)), axis=1), -np.inf)
    best = logp.max()
    return [int(k) for k in np.flatnonzero(logp >= best - 1e-9)]


def nbs_distance(utilities: ArrayLike, disagreement: ArrayLike, u: ArrayLike) -> float | None:
    """Euclidean distance from the payoffs ``u`` to the (nearest) Nash bargaining solution's payoffs."""
    nbs = nash_bargaining_solution(utilities, disagreement)
    if not nbs:
        return None
    U = np.asarray(utilities, float)
    x = np.asarray(u, float)
    return float(min(np.linalg.norm(U[k] - x) for k in nbs))


def outcome_metrics(record: Mapping[str, Any]) -> dict[str, Any]:
    """Every per-negotiation metric of one outcome record (see the module docstring)."""
    game = record["game"]
    U = np.asarray(game["utilities"], float)
    d = np.asarray(game["disagreement"], float)
    u = np.asarray(record["payoffs"], float)
    outcomes = np.vstack([U, d])
    welfare = float(u.sum())
    best = float(outcomes.sum(axis=1).max())
    agreed = record["agreement"] is not None
    total = welfare if abs(welfare) > _TOL else None
    most = U.max(axis=0)
    return {
        "agreement": agreed,
        "welfare": welfare,
        "max_welfare": best,
        "welfare_share": welfare / best if best > _TOL else None,
        "pareto": pareto_optimal(outcomes, u),
        "nbs_distance": nbs_distance(U, d, u),
        "shares": [None if total is None else float(x / total) for x in u],
        "of_max": [float(x / m) if m > _TOL else None for x, m in zip(u, most, strict=True)],
        "turns_to_agreement": int(record["turns"]) if agreed else None,
        "promises": check_promises(record),
    }


# -- promises ------------------------------------------------------------------------------

_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
            "eight": 8, "nine": 9, "ten": 10, "both": 2}
_WILL = r"(?:will|'ll|\u2019ll|shall|can|promise to|am going to|'m going to)"
_GIVE = re.compile(
    rf"\b(?:i\s*{_WILL}\s+(?:give|offer|leave)(?:\s+you)?|i\s*{_WILL}\s+let\s+you\s+(?:have|keep)"
    rf"|you\s*{_WILL}\s+(?:get|have|keep))\s+(?:the\s+)?(?P<n>\d+|all(?:\s+the)?|both(?:\s+the)?|an?|one|two|three"
    r"|four|five|six|seven|eight|nine|ten)\s+(?:of\s+the\s+)?(?P<item>[a-z]+)", re.IGNORECASE)
_ACCEPT = re.compile(rf"\bi\s*{_WILL}\s+accept\b(?:\s+(?:the\s+)?(?:option\s+)?(?P<next>[a-z0-9_]+))?", re.IGNORECASE)
_SUPPORT = re.compile(rf"\bi\s*{_WILL}\s+(?:propose|support|vote\s+for|accept|back)\s+(?:the\s+)?(?:option\s+)?"
                      r"(?P<opt>[a-z0-9_]+)", re.IGNORECASE)


@dataclass(frozen=True)
class Promise:
    """A promise read from a message: ``give`` (``amount`` of ``item``), ``accept``, or ``support`` (``option``)."""

    kind: str
    item: str | None = None
    amount: int | None = None
    option: str | None = None
    text: str = ""


def _item_index(word: str, items: Sequence[str]) -> int | None:
    w = word.lower()
    for k, item in enumerate(items):
        if w in (item, item + "s", item + "es"):
            return k
    return None


def parse_promises(text: str, contents: Mapping[str, Any]) -> list[Promise]:
    """The promises in one message, over the game's vocabulary (``contents`` of its public record)."""
    out: list[Promise] = []
    items = list(contents.get("items", ()))
    pool = list(contents.get("pool", ()))
    options = {o.lower() for _, opts in contents.get("issues", ()) for o in opts}
    if items:
        for m in _GIVE.finditer(text):
            k = _item_index(m.group("item"), items)
            if k is None:
                continue
            word = m.group("n").lower().split()[0]
            amount = pool[k] if word == "all" else int(word) if word.isdigit() else _NUMBERS[word]
            out.append(Promise("give", item=items[k], amount=amount, text=m.group(0)))
    for m in _SUPPORT.finditer(text):
        if m.group("opt").lower() in options:
            out.append(Promise("support", option=m.group("opt").lower(), text=m.group(0)))
    for m in _ACCEPT.finditer(text):
        if (m.group("next") or "").lower() not in options:  # "I will accept medium" is a support promise
            out.append(Promise("accept", text=m.group(0)))
    return out


def _kept(p: Promise, speaker: int, later: Sequence[Mapping[str, Any]], contents: Mapping[str, Any]) -> bool | None:
    """Whether the speaker's later moves keep ``p`` (None: no later move tests it)."""
    mine = [m for m in later if m["seat"] == speaker]
    if p.kind == "accept":
        return None if not mine else mine[0]["move"] == "accept"
    if p.kind == "give":
        nxt = next((m for m in mine if m["move"] == "offer"), None)
        if nxt is None:
            return None
        k = list(contents["items"]).index(p.item)
        gets = contents["gets"][int(nxt["deal"])]
        return gets[1 - speaker][k] >= int(p.amount or 0)
    offers = [m for m in later if m["move"] == "offer"]
    for m in mine:
        if m["move"] == "offer":
            return str(p.option) in [o.lower() for o in contents["options"][int(m["deal"])]]
        if m["move"] == "accept":  # accepting the proposal on the table: the last offer before this move
            before = [o for o in offers if o["turn"] < m["turn"]]
            if before:
                return str(p.option) in [o.lower() for o in contents["options"][int(before[-1]["deal"])]]
    return None


def check_promises(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every promise of every message of ``record``, with ``kept`` (True, False, or None: untested)."""
    contents = record["game"].get("contents", {})
    seat_of = {p: k for k, p in enumerate(record["parties"])}
    moves = record["moves"]
    out = []
    for msg in record.get("messages", ()):
        if msg.get("blocked"):
            continue
        speaker = seat_of.get(msg["sender"])
        if speaker is None:
            continue
        later = [m for m in moves if m["turn"] >= msg["round"]]
        for p in parse_promises(msg["text"], contents):
            out.append({"party": msg["sender"], "turn": msg["round"], "kind": p.kind, "item": p.item,
                        "amount": p.amount, "option": p.option, "text": p.text,
                        "kept": _kept(p, speaker, later, contents)})
    return out


# -- over many negotiations -------------------------------------------------------------------


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float | None, float | None]:
    """Wilson score interval of a rate k/n (None, None when n = 0)."""
    if n == 0:
        return None, None
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, mid - half), min(1.0, mid + half)


def _mean(xs: Sequence[float | None]) -> float | None:
    vals = [float(x) for x in xs if x is not None]
    return float(np.mean(vals)) if vals else None


def summarize(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Rates and means over negotiations of one game and line-up (each with its n)."""
    ms = [outcome_metrics(r) for r in records]
    n = len(ms)
    agreed = sum(m["agreement"] for m in ms)
    low, high = wilson(agreed, n)
    parties = len(records[0]["payoffs"]) if records else 0
    promises = [p for m in ms for p in m["promises"]]
    tested = [p for p in promises if p["kept"] is not None]
    dist = [m["nbs_distance"] for m in ms]
    return {
        "n": n, "agreements": agreed, "agreement_rate": agreed / n if n else None, "agreement_ci": [low, high],
        "mean_welfare": _mean([m["welfare"] for m in ms]),
        "mean_welfare_share": _mean([m["welfare_share"] for m in ms]),
        "pareto_rate": sum(m["pareto"] for m in ms) / n if n else None,
        "mean_nbs_distance": _mean(dist), "nbs_n": sum(x is not None for x in dist),
        "mean_payoffs": [_mean([float(r["payoffs"][k]) for r in records]) for k in range(parties)],
        "mean_shares": [_mean([m["shares"][k] for m in ms]) for k in range(parties)],
        "mean_turns_to_agreement": _mean([m["turns_to_agreement"] for m in ms]),
        "promises": len(promises), "promises_tested": len(tested),
        "promises_kept": sum(bool(p["kept"]) for p in tested),
    }
