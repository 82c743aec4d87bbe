"""Named memory-one policies, as data.

A memory-one policy is 5 probabilities of cooperating (action 0):
``[start, after CC, after CD, after DC, after DD]``, each state read from the
player's own side (own move first). See :mod:`interplay.games.iterated`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from interplay.errors import InterplayError, UnknownNameError

#: The classic memory-one strategies shown by default; every memory-one strategy of the
#: strategy library (:mod:`interplay.agents.strategies`, the one source of truth) resolves too.
_CLASSIC_NAMES = ("Cooperator", "Defector", "Tit For Tat", "Win-Stay Lose-Shift", "Random: 0.5",
                  "Generous Tit For Tat", "Suspicious Tit For Tat")


def _library_vector(name: str) -> tuple[float, float, float, float, float]:
    from interplay.agents.strategies import get

    vector = get(name).memory_one_vector()
    if vector is None:
        raise InterplayError(f"{name!r} is not a memory-one strategy.")
    return vector


CLASSIC: dict[str, tuple[float, float, float, float, float]] = {
    n: _library_vector(n) for n in _CLASSIC_NAMES
}


def _memory_one_library() -> dict[str, tuple[float, ...]]:
    from interplay.agents.strategies import strategies

    out: dict[str, tuple[float, ...]] = {}
    for s in strategies():
        vec = s.memory_one_vector()
        if vec is not None:
            for n in (s.name, *s.aliases):
                out[n] = vec
    return out


def memory_one_names() -> list[str]:
    return list(CLASSIC)


def memory_one_probs(name_or_probs: str | Sequence[float], *, where: str = "policy") -> np.ndarray:
    """A memory-one policy by name, or validated from 5 probabilities."""
    if isinstance(name_or_probs, str):
        known = _memory_one_library()
        if name_or_probs not in known:
            raise UnknownNameError("memory-one strategy", name_or_probs, known, listing="interplay strategies")
        return np.array(known[name_or_probs], dtype=float)
    arr = np.asarray(name_or_probs, dtype=float)
    if arr.shape != (5,):
        raise InterplayError(
            f"{where}: a memory-one policy needs 5 probabilities [start, CC, CD, DC, DD], got {list(name_or_probs)}."
        )
    if np.any(~np.isfinite(arr)) or np.any(arr < 0) or np.any(arr > 1):
        raise InterplayError(f"{where}: probabilities must be in [0, 1], got {arr.tolist()}.")
    return arr


def population(spec: Mapping[str, str | Sequence[float]]) -> tuple[list[str], np.ndarray]:
    """Names and a (N, 5) array from ``{display name: strategy name or 5 probabilities}``."""
    names = list(spec)
    return names, np.stack([memory_one_probs(v, where=f"agent {k!r}") for k, v in spec.items()])
