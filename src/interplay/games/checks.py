"""Checks of game parameters: whole numbers stay whole, reals stay finite, tables fit in memory.

Every registered game's factory validates its parameters with these, so a config value such as
``horizon: 2.5`` (not truncated to 2), ``horizon: 1e300``, ``discount: .nan`` or 30 players of
a dense public-goods table gets an :class:`InterplayError` naming the game, the parameter and
the allowed range, before any array is built.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from interplay.errors import InterplayError

#: The most rounds (or steps) of one episode: sampled play keeps per-turn arrays.
MAX_HORIZON = 1_000_000
#: The most numbers a dense payoff table may hold (players x product of action counts): 8 MB of floats.
MAX_TABLE_ENTRIES = 2**20
#: The largest payoff magnitude: beyond it sums over long matches and exponentials in the
#: evolutionary analyses lose all precision.
MAX_PAYOFF = 1e9


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _scalar(value: Any) -> Any:
    """A 0-d NumPy or JAX array as its Python number; anything else unchanged."""
    if not isinstance(value, numbers.Number) and hasattr(value, "dtype") and np.ndim(value) == 0:
        return value.item()
    return value


def integer(game: str, name: str, value: object, lo: int, hi: int) -> int:
    """``value`` as an int in [lo, hi]; a bool, a fractional or non-numeric value is refused."""
    value = _scalar(value)
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise InterplayError(f"{game}: {name} must be a whole number in [{lo}, {hi:,}], got {_shown(value)}.")
    if isinstance(value, numbers.Integral):
        out = int(value)
    else:
        x = float(value)
        if not math.isfinite(x) or x != int(x):
            raise InterplayError(f"{game}: {name} must be a whole number in [{lo}, {hi:,}], got {_shown(value)} "
                                 "(not truncated).")
        out = int(x)
    if not lo <= out <= hi:
        raise InterplayError(f"{game}: {name} must be a whole number in [{lo}, {hi:,}], got {_shown(value)}.")
    return out


def real(game: str, name: str, value: object, lo: float | None = None, hi: float | None = None, *,
         lo_open: bool = False, hi_open: bool = False) -> float:
    """``value`` as a finite float within the bounds (open where asked); NaN and inf are refused."""
    lo_s = "(-inf" if lo is None else ("(" if lo_open else "[") + f"{lo:g}"
    hi_s = "inf)" if hi is None else f"{hi:g}" + (")" if hi_open else "]")
    allowed = f"in {lo_s}, {hi_s} (a finite number)"
    value = _scalar(value)
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise InterplayError(f"{game}: {name} must be {allowed}, got {_shown(value)}.")
    x = float(value)
    ok = math.isfinite(x)
    if ok and lo is not None:
        ok = x > lo if lo_open else x >= lo
    if ok and hi is not None:
        ok = x < hi if hi_open else x <= hi
    if not ok:
        raise InterplayError(f"{game}: {name} must be {allowed}, got {_shown(value)}.")
    return x


def table_size(game: str, num_players: int, num_actions: Sequence[int]) -> None:
    """Refuse a dense payoff table of more than MAX_TABLE_ENTRIES numbers, before it is allocated."""
    entries = num_players * math.prod(int(a) for a in num_actions)
    if entries > MAX_TABLE_ENTRIES:
        fit = 1
        while (fit + 1) * 2 ** (fit + 1) <= MAX_TABLE_ENTRIES:
            fit += 1
        raise InterplayError(
            f"{game}: {num_players} players with {'x'.join(str(int(a)) for a in num_actions[:4])}"
            f"{'x...' if len(num_actions) > 4 else ''} actions need a payoff table of {entries:.3g} numbers; "
            f"the limit is {MAX_TABLE_ENTRIES:,} (at most {fit} players with 2 actions each).")
