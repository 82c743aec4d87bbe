"""A per-run budget of calls, tokens and cost, shared by every model of a run.

Each uncached call first reserves one call (so concurrent calls never exceed the
call limit); its tokens and cost are charged when it returns. Once a limit is
reached, the next reservation raises :class:`BudgetExceeded`: the experiment stops
starting new matches, keeps every finished one and says why it stopped. Calls
already in flight when the limit is reached still finish and are charged, so the
token or cost total may pass its limit by at most what those calls used.
Answers from the cache are free and never charged.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from interplay.errors import InterplayError


class BudgetExceeded(InterplayError):
    """The run's budget is spent; finished work is kept."""


@dataclass
class Budget:
    """Limits (None = unlimited) and what has been spent so far."""

    max_calls: int | None = None
    max_tokens: int | None = None
    max_cost: float | None = None
    calls: int = 0
    tokens: int = 0
    cost: float = 0.0

    def __post_init__(self) -> None:
        for name in ("max_calls", "max_tokens", "max_cost"):
            v = getattr(self, name)
            if v is not None and v < 0:
                raise InterplayError(f"budget: {name} must be non-negative, got {v}.")
        self._lock = threading.Lock()

    def spent_reason(self) -> str | None:
        """Why the budget is spent, or None while something is left."""
        if self.max_calls is not None and self.calls >= self.max_calls:
            return f"call budget spent ({self.calls} of {self.max_calls} calls)"
        if self.max_tokens is not None and self.tokens >= self.max_tokens:
            return f"token budget spent ({self.tokens} of {self.max_tokens} tokens)"
        if self.max_cost is not None and self.cost >= self.max_cost:
            return f"cost budget spent ({self.cost:.4f} of {self.max_cost})"
        return None

    @property
    def exhausted(self) -> bool:
        return self.spent_reason() is not None

    def reserve_call(self, model: str = "") -> None:
        """Count one call, or raise :class:`BudgetExceeded` if none is left."""
        with self._lock:
            reason = self.spent_reason()
            if reason is not None:
                raise BudgetExceeded(f"{reason}; no further call{' to ' + repr(model) if model else ''} is made.")
            self.calls += 1

    def charge(self, tokens: int, cost: float) -> None:
        """Add a returned call's tokens and cost; negative or non-finite amounts are never summed."""
        t = int(tokens) if isinstance(tokens, int) and not isinstance(tokens, bool) and tokens > 0 else 0
        c = float(cost) if isinstance(cost, int | float) and math.isfinite(cost) and cost > 0 else 0.0
        with self._lock:
            self.tokens += t
            self.cost += c

    def as_dict(self) -> dict[str, object]:
        return {"max_calls": self.max_calls, "max_tokens": self.max_tokens, "max_cost": self.max_cost,
                "calls": self.calls, "tokens": self.tokens, "cost": self.cost, "spent": self.spent_reason()}
