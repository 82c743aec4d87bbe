"""Retries with exponential backoff and jitter, honouring Retry-After.

Transient failures are retried: HTTP 408, 409, 429 and 5xx, timeouts, lost
connections and malformed replies (a body that is not JSON, no choices, content
that is not text, token usage that is not a non-negative whole number). The wait
before retry ``k`` (0-based) is the server's ``Retry-After`` (seconds or an HTTP
date; OpenAI's ``retry-after-ms`` too) when it sends a usable one, capped at
``max_retry_after`` (default: ``max_delay``); a value that is not a finite
number of seconds or a date (``nan``, ``inf``, ``soon``) is ignored; otherwise
"equal jitter" exponential backoff (Brooker, "Exponential Backoff and Jitter", AWS
Architecture Blog 2015): ``d = min(max_delay, base_delay * 2**k)``, wait
``d/2 + U(0, d/2)``. Other errors (400, 401, 404, ...) fail at once.
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from interplay.errors import InterplayError

T = TypeVar("T")

RETRYABLE_STATUS = frozenset({408, 409, 429})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry (all times in seconds)."""

    max_retries: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    #: longest wait a server's Retry-After can ask for; None = ``max_delay``
    max_retry_after: float | None = None
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("base_delay", "max_delay", "max_retry_after"):
            v = getattr(self, name)
            if v is not None and not (math.isfinite(v) and v >= 0):
                raise InterplayError(f"retry policy: {name} must be a finite number of seconds >= 0, got {v!r}.")
        if self.max_retries < 0:
            raise InterplayError(f"retry policy: max_retries must be >= 0, got {self.max_retries!r}.")

    @property
    def retry_after_cap(self) -> float:
        return self.max_delay if self.max_retry_after is None else self.max_retry_after

    def backoff(self, attempt: int) -> float:
        d = min(self.max_delay, self.base_delay * (2.0 ** min(attempt, 64)))
        return d / 2.0 + self.rng.uniform(0.0, d / 2.0)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None and math.isfinite(retry_after):
            return min(max(retry_after, 0.0), self.retry_after_cap)
        return self.backoff(attempt)


def parse_retry_after(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or HTTP date), else None."""
    if not headers:
        return None
    lower = {k.lower(): v for k, v in headers.items()}
    ms = _seconds(lower.get("retry-after-ms"))
    if ms is not None:
        return ms / 1000.0
    value = lower.get("retry-after")
    if value is None:
        return None
    seconds = _seconds(value)
    if seconds is not None:
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # an HTTP date is GMT; a naive one cannot be compared
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _seconds(value: str | None) -> float | None:
    """A finite, non-negative number of seconds from a header value, else None (nan, inf, garbage)."""
    if value is None:
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, x) if math.isfinite(x) else None


@dataclass
class Attempts:
    """What happened on the way to an answer: the retries and their causes."""

    retries: int = 0
    causes: list[str] = field(default_factory=list)
    waited: float = 0.0


async def with_retries(call: Callable[[], Awaitable[T]], policy: RetryPolicy,
                       classify: Callable[[BaseException], tuple[bool, float | None, str]],
                       attempts: Attempts | None = None,
                       sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> T:
    """Await ``call()`` until it succeeds or fails for good.

    ``classify(exc)`` returns (retryable, retry_after seconds or None, a short cause).
    Non-retryable errors and the last retryable one propagate unchanged.
    """
    attempts = attempts if attempts is not None else Attempts()
    for attempt in range(policy.max_retries + 1):
        try:
            return await call()
        except Exception as exc:
            retryable, retry_after, cause = classify(exc)
            if not retryable or attempt == policy.max_retries:
                raise
            wait = policy.delay(attempt, retry_after)
            attempts.retries += 1
            attempts.causes.append(cause)
            attempts.waited += wait
            await sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover
