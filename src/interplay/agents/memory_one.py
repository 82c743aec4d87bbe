"""Named memory-one policies, as data.

A memory-one policy is 5 probabilities of cooperating (action 0):
``[start, after CC, after CD, after DC, after DD]``, each state read from the
player's own side (own move first). See :mod:`interplay.games.iterated`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from interplay.errors import InterplayError, UnknownNameError

#: The classic memory-one strategies (names as in the Axelrod library).
CLASSIC: dict[str, tuple[float, float, float, float, float]] = {
    # Always cooperates.
    "Cooperator": (1.0, 1.0, 1.0, 1.0, 1.0),
    # Always defects.
    "Defector": (0.0, 0.0, 0.0, 0.0, 0.0),
    # Tit for tat (Rapoport; Axelrod 1980): cooperate first, then copy the opponent.
    "Tit For Tat": (1.0, 1.0, 0.0, 1.0, 0.0),
    # Win-stay lose-shift / Pavlov (Nowak and Sigmund 1993): repeat after R or T, switch after S or P.
    "Win-Stay Lose-Shift": (1.0, 1.0, 0.0, 0.0, 1.0),
    # Uniformly random.
    "Random: 0.5": (0.5, 0.5, 0.5, 0.5, 0.5),
    # Generous tit for tat (Nowak and Sigmund 1992): forgive a defection with probability 1/3.
    "Generous Tit For Tat": (1.0, 1.0, 1.0 / 3.0, 1.0, 1.0 / 3.0),
    # Suspicious tit for tat: tit for tat that defects first.
    "Suspicious Tit For Tat": (0.0, 1.0, 0.0, 1.0, 0.0),
}


def memory_one_names() -> list[str]:
    return list(CLASSIC)


def memory_one(name_or_probs: str | Sequence[float], *, where: str = "policy") -> np.ndarray:
    """A memory-one policy by name, or validated from 5 probabilities."""
    if isinstance(name_or_probs, str):
        if name_or_probs not in CLASSIC:
            raise UnknownNameError("memory-one strategy", name_or_probs, CLASSIC)
        return np.array(CLASSIC[name_or_probs], dtype=float)
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
    return names, np.stack([memory_one(v, where=f"agent {k!r}") for k, v in spec.items()])
