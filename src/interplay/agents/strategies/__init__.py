"""The iterated prisoner's dilemma strategy library, as data.

    from interplay.agents.strategies import get, names
    tft = get("Tit For Tat")
    tft.machine().play([C, D, D, C])      # -> [0, 0, 1, 1]

Every strategy compiles to a :class:`Machine` (see :mod:`.core`), so a tournament is one
batched array program. A memory-one policy given as 5 probabilities ``[start, CC, CD, DC, DD]``
(own view, as in :mod:`interplay.games.iterated`) enters the same way through :func:`memory_one_strategy`,
e.g. a policy learned by an opponent-shaping learner.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from interplay.agents.strategies.core import (
    ACTION_NAMES,
    DEFAULT_PAYOFFS,
    C,
    Context,
    D,
    Machine,
    MachineRule,
    Strategy,
    compile_rule,
)
from interplay.agents.strategies.families import FSM, Lookup, MemoryOne
from interplay.agents.strategies.library import MACHINES, PARAMETRISED_NAMES
from interplay.agents.strategies.per_turn import PER_TURN
from interplay.errors import InterplayError
from interplay.registry import Registry

__all__ = [
    "ACTION_NAMES", "C", "D", "DEFAULT_PAYOFFS", "FSM", "LIBRARY", "Context", "Lookup", "Machine", "MachineRule",
    "MemoryOne", "Strategy", "check_names", "compile_rule", "get", "memory_one_strategy", "names", "resolve_strategy",
    "strategies",
]

#: Every strategy: the data forms, then the per-turn rules; the Axelrod library's str() of a
#: parametrised player (as in its ranked_names) resolves too.
LIBRARY: list[Strategy] = [replace(s, aliases=(*s.aliases, PARAMETRISED_NAMES[s.name])) if s.name in PARAMETRISED_NAMES
                           else s for s in (*MACHINES, *PER_TURN)]

#: The library by name and alias (any case).
STRATEGIES: Registry[Strategy] = Registry("strategy", listing="interplay strategies", case_insensitive=True)
for _s in LIBRARY:
    STRATEGIES.add(_s.name, _s, aliases=_s.aliases)


def names() -> list[str]:
    """The canonical names of the library's strategies, in library order."""
    return [s.name for s in LIBRARY]


def strategies() -> list[Strategy]:
    return list(LIBRARY)


def get(name: str) -> Strategy:
    """A library strategy by name or alias (case-insensitive); unknown names list the closest ones."""
    return STRATEGIES.get(name)


def check_names(names: Sequence[str], where: str = "strategies") -> None:
    """Raise one InterplayError naming every unknown strategy name (with close matches), not only the first."""
    STRATEGIES.check(names, where)


def memory_one_strategy(probs: Sequence[float], name: str | None = None,
                        origin: str = "a memory-one policy") -> Strategy:
    """A strategy from 5 probabilities of cooperating ``[start, CC, CD, DC, DD]`` (own move first)."""
    arr = np.asarray(probs, dtype=float)
    if arr.shape != (5,) or not np.all(np.isfinite(arr)) or np.any(arr < 0) or np.any(arr > 1):
        raise InterplayError(
            f"{name or 'memory-one policy'}: needs 5 probabilities in [0, 1] [start, CC, CD, DC, DD], "
            f"got {list(np.atleast_1d(arr).tolist())}."
        )
    p0, p1, p2, p3, p4 = (float(x) for x in arr)
    probs5 = (p0, p1, p2, p3, p4)
    label = name or "Memory One: " + ", ".join(f"{p:.3g}" for p in probs5)
    return Strategy(name=label, rule=MemoryOne(probs5), origin=origin, memory_depth=1 if len(set(probs5[1:])) > 1
                    else 0, stochastic=any(0 < p < 1 for p in probs5), kind="memory-one")


def resolve_strategy(entry: str | Strategy | Sequence[float], name: str | None = None) -> Strategy:
    """A strategy from a library name, a :class:`Strategy`, or 5 memory-one probabilities."""
    if isinstance(entry, Strategy):
        return entry
    if isinstance(entry, str):
        return get(entry)
    try:
        return memory_one_strategy(entry, name=name)
    except TypeError:
        raise InterplayError(f"{name or 'player'}: expected a strategy name or 5 probabilities, got {entry!r}.") \
            from None

