"""Retries with exponential backoff and jitter, honouring Retry-After.

Transient failures are retried: HTTP 408, 409, 429 and 5xx, timeouts, lost
connections and garbled response bodies. The wait before retry ``k`` (0-based)
is the server's ``Retry-After`` (seconds or an HTTP date; OpenAI's
``retry-after-ms`` too) when it sends one, capped at ``max_retry_after``;
otherwise "equal jitter" exponential backoff (Brooker, "Exponential Backoff and
Jitter", AWS Architecture Blog 2015): ``d = min(max_delay, base_delay * 2**k)``,
wait ``d/2 + U(0, d/2)``. Other errors (400, 401, 404, ...) fail at once.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")

RETRYABLE_STATUS = frozenset({408, 409, 429})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry (all times in seconds)."""

    max_retries: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 300.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def backoff(self, attempt: int) -> float:
        d = min(self.max_delay, self.base_delay * (2.0**attempt))
        return d / 2.0 + self.rng.uniform(0.0, d / 2.0)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        return self.backoff(attempt)


def parse_retry_after(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or HTTP date), else None."""
    if not headers:
        return None
    lower = {k.lower(): v for k, v in headers.items()}
    ms = lower.get("retry-after-ms")
    if ms is not None:
        try:
            return float(ms) / 1000.0
        except ValueError:
            pass
    value = lower.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


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
