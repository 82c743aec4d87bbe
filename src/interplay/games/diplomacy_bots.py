"""Diplomacy bots: pure functions ``policy(obs, rng) -> orders`` of a :class:`DiplomacyEnv` observation.

Every order a bot gives is taken from ``obs["legal_orders"]``, so it is always legal. None of
them imports the engine.

- :func:`random_orders`: each orderable location gets one of its legal orders uniformly at
  random (in adjustments: as many builds as allowed, at random locations).
- :func:`hold_orders`: every unit holds; a dislodged unit disbands; no builds (waive), the
  disbands the engine requires are the first units listed. Among hold bots the board never
  changes.
- :func:`greedy_orders`: a supply-centre grabber (below).
- :func:`welfare_orders` (for Welfare Diplomacy): every unit holds, it never builds, and each
  winter it voluntarily disbands down to ``ceil(centres / 2)`` units (the units farthest from
  its own centres first), banking the rest of its centres as welfare points.

Greedy supply-centre heuristic. Let ``d(u, c)`` be the fewest moves (``obs["distances"]``,
breadth-first over the map, per unit type) from a unit's location to supply centre ``c``, and
``targets`` the supply centres the power does not own.

1. Movement: a unit standing on a target in a Fall phase holds (it takes the centre). Any other
   unit looks at its legal moves (no convoys) and scores each destination ``p``: 0 if ``p`` is a
   target, else ``min_c d(p, c)`` over the targets; it moves to the best-scoring destination not
   already chosen by one of its own units this phase (ties broken at random), provided the
   score beats staying (its own ``min_c d``); otherwise it holds. Units are taken in a random
   order.
2. Retreat: to the legal destination with the best score as above, else disband.
3. Adjustment: builds at as many home centres as allowed (an army where it can, else a fleet);
   required disbands remove the units farthest from any target.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from interplay.games.diplomacy import order_kind, order_target, province

Policy = Callable[[dict[str, Any], np.random.Generator], list[str]]


def _unit_of(order: str) -> str:
    return " ".join(order.split()[:2])


def _adjust(obs: dict[str, Any], rng: np.random.Generator, pick_builds: Callable[[list[list[str]]], list[str]],
            rank_disbands: Callable[[list[str]], list[str]]) -> list[str]:
    legal = obs["legal_orders"]
    n_build = obs["builds_allowed"]
    if n_build > 0:
        per_loc = [[o for o in os if order_kind(o) == "build"] for os in legal.values()]
        return pick_builds([os for os in per_loc if os])[:n_build]
    need = max(0, len(obs["my_units"]) - len(obs["my_centres"]))
    if need == 0:
        return []
    disbands = [o for os in legal.values() for o in os if order_kind(o) == "disband"]
    return rank_disbands(disbands)[:need]


def random_orders(obs: dict[str, Any], rng: np.random.Generator) -> list[str]:
    """One uniformly random legal order per orderable location (builds: random locations)."""
    legal = obs["legal_orders"]
    if obs["phase_type"] == "A":
        def builds(per_loc: list[list[str]]) -> list[str]:
            order = rng.permutation(len(per_loc))
            return [per_loc[i][int(rng.integers(len(per_loc[i])))] for i in order]

        def disbands(ds: list[str]) -> list[str]:
            return [ds[i] for i in rng.permutation(len(ds))]

        return _adjust(obs, rng, builds, disbands)
    return [os[int(rng.integers(len(os)))] for _, os in sorted(legal.items())]


def hold_orders(obs: dict[str, Any], rng: np.random.Generator) -> list[str]:
    """Every unit holds; dislodged units disband; no builds; required disbands in listed order."""
    out = []
    if obs["phase_type"] == "A":
        return _adjust(obs, rng, lambda per_loc: [], lambda ds: sorted(ds))
    for _, os in sorted(obs["legal_orders"].items()):
        pick = [o for o in os if order_kind(o) in ("hold", "disband")]
        if pick:
            out.append(pick[0])
    return out


def _closeness(obs: dict[str, Any], utype: str, loc: str, targets: set[str]) -> int:
    dist = obs["distances"][utype].get(loc.upper(), {})
    return min((d for c, d in dist.items() if c in targets), default=1 << 20)


def _score(obs: dict[str, Any], utype: str, loc: str, targets: set[str]) -> int:
    return 0 if province(loc) in targets else _closeness(obs, utype, loc, targets)


def greedy_orders(obs: dict[str, Any], rng: np.random.Generator) -> list[str]:
    """The greedy supply-centre bot (heuristic in the module docstring)."""
    me = obs["power"]
    targets = set(obs["supply_centres"]) - set(obs["centres"][me])
    legal = obs["legal_orders"]
    if obs["phase_type"] == "A":
        def builds(per_loc: list[list[str]]) -> list[str]:
            picks = []
            for os in per_loc:
                armies = [o for o in os if o.startswith("A ")]
                picks.append((armies or os)[0])
            return [picks[i] for i in rng.permutation(len(picks))]

        def disbands(ds: list[str]) -> list[str]:
            def far(o: str) -> int:
                utype, loc = o.split()[:2]
                return -_closeness(obs, utype, loc, targets)
            return sorted(ds, key=far)

        return _adjust(obs, rng, builds, disbands)
    fall = obs["phase"].startswith("F")
    out, taken = [], set()
    locs = sorted(legal)
    for i in rng.permutation(len(locs)):
        os = legal[locs[i]]
        utype, loc = _unit_of(os[0]).split()
        if obs["phase_type"] == "R":
            moves = [o for o in os if order_kind(o) == "retreat" and order_target(o) not in taken]
            if not moves:
                out.append(next(o for o in os if order_kind(o) == "disband"))
                continue
            best = min(_score(obs, utype, o.split()[3], targets) for o in moves)
            pick = [o for o in moves if _score(obs, utype, o.split()[3], targets) == best]
            choice = pick[int(rng.integers(len(pick)))]
            taken.add(order_target(choice))
            out.append(choice)
            continue
        hold = next(o for o in os if order_kind(o) == "hold")
        if fall and province(loc) in targets:
            out.append(hold)
            taken.add(province(loc))
            continue
        moves = [o for o in os if order_kind(o) == "move" and "VIA" not in o and order_target(o) not in taken]
        stay = _closeness(obs, utype, loc, targets)
        if moves:
            scores = [_score(obs, utype, o.split()[3], targets) for o in moves]
            best = min(scores)
            if best < stay:
                pick = [o for o, s in zip(moves, scores) if s == best]
                choice = pick[int(rng.integers(len(pick)))]
                taken.add(order_target(choice))
                out.append(choice)
                continue
        out.append(hold)
        taken.add(province(loc))
    return out


def welfare_orders(obs: dict[str, Any], rng: np.random.Generator) -> list[str]:
    """Hold, never build, and each winter disband down to ``ceil(centres / 2)`` units."""
    if obs["phase_type"] != "A":
        return hold_orders(obs, rng)
    own = set(obs["my_centres"])
    keep = -(-len(own) // 2)
    extra = len(obs["my_units"]) - keep
    if extra <= 0:
        return []
    disbands = [o for os in obs["legal_orders"].values() for o in os if order_kind(o) == "disband"]

    def far(o: str) -> int:
        utype, loc = o.split()[:2]
        return -_closeness(obs, utype, loc, own)

    return sorted(disbands, key=far)[:extra]


#: name -> bot, for configs.
BOTS: dict[str, Policy] = {"random": random_orders, "hold": hold_orders, "greedy": greedy_orders,
                         "welfare": welfare_orders}
