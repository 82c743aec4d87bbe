"""The one LanguageModel protocol, its answer records, and the shared machinery.

Every backend (OpenAI-compatible HTTP, local transformers, replay) is a
:class:`ChatModel`: an async-first object with two operations,

* ``await model.agenerate(messages, temperature=, max_tokens=, seed=, stop=)``
  returns a :class:`Completion` (text, token counts, cost, whether it came from
  the cache);
* ``await model.achoose(messages, options, temperature=, seed=)`` returns a
  :class:`Choice` (the chosen index and, where the backend can, one score per
  option), or raises :class:`InvalidAnswer` when the model's answer names none
  of the options;

plus the sync conveniences ``generate`` and ``choose``. :class:`ChatModel` wraps
the backend's raw call with the things every backend shares: the SQLite cache,
the per-run :class:`~interplay.llm.budget.Budget`, a bound on calls in flight and
a rate limit, accounting of calls, tokens and cost, and an optional JSONL record
of every call that :class:`~interplay.llm.replay.ReplayModel` answers from.

Anything with ``agenerate``/``achoose`` (and ``name``) satisfies the
:class:`LanguageModel` protocol; agents only rely on the protocol.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import time
import weakref
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

from interplay.errors import InterplayError

T = TypeVar("T")

#: A chat message: ``{"role": "system" | "user" | "assistant", "content": str}``.
Message = Mapping[str, str]
ROLES = ("system", "user", "assistant")


class InvalidAnswer(InterplayError):
    """The model answered, but its answer names none of the legal options.

    ``text`` is the raw answer, ``reason`` says what was wrong (shown to the model
    when an agent re-asks), ``completion`` carries the token counts of the call.
    """

    def __init__(self, reason: str, text: str, completion: Completion | None = None) -> None:
        super().__init__(f"invalid answer: {reason} (answer was {text[:200]!r})")
        self.reason = reason
        self.text = text
        self.completion = completion


class ModelCallError(InterplayError):
    """A call failed for good (after retries): unreachable server, error status, timeouts."""


@dataclass(frozen=True)
class Completion:
    """One answer of a model.

    ``cost`` is in the currency of the configured prices (0 when none are set, and
    0 for answers from the cache: they cost nothing to repeat). ``retries`` counts
    transient failures (429, 5xx, timeouts) that were retried before this answer.
    """

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    cached: bool = False
    finish_reason: str | None = None
    model: str = ""
    retries: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class Choice:
    """The option a model chose: ``index`` into the options, optional ``scores``.

    ``scores`` are per-option log-likelihoods (transformers backend) or None when
    the backend only returns an answer (HTTP backends). ``completion`` is the raw
    answer the index was read from (its text, tokens and cost).
    """

    index: int
    option: str
    scores: tuple[float, ...] | None = None
    completion: Completion = field(default_factory=lambda: Completion(text=""))


@runtime_checkable
class LanguageModel(Protocol):
    """What agents, debates and advisors need of a language model."""

    name: str

    async def agenerate(self, messages: Sequence[Message], *, temperature: float = 0.0,
                        max_tokens: int | None = None, seed: int | None = None,
                        stop: Sequence[str] | None = None) -> Completion: ...

    async def achoose(self, messages: Sequence[Message], options: Sequence[str], *,
                      temperature: float = 0.0, seed: int | None = None) -> Choice: ...

    def generate(self, messages: Sequence[Message], *, temperature: float = 0.0, max_tokens: int | None = None,
                 seed: int | None = None, stop: Sequence[str] | None = None) -> Completion: ...

    def choose(self, messages: Sequence[Message], options: Sequence[str], *, temperature: float = 0.0,
               seed: int | None = None) -> Choice: ...


# -- helpers -------------------------------------------------------------------------


def run_sync(coro: Awaitable[T]) -> T:
    """Run a coroutine to completion from sync code, even inside a running loop.

    Outside an event loop this is ``asyncio.run``; inside one (a notebook, an async
    test) the coroutine runs on a fresh loop in a worker thread.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)  # type: ignore[arg-type]
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)  # type: ignore[arg-type]
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="interplay-run-sync")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def normalise_messages(messages: Sequence[Message], where: str = "messages") -> list[dict[str, str]]:
    """Validate chat messages and return plain ``{"role", "content"}`` dicts."""
    if isinstance(messages, str | bytes) or not isinstance(messages, Sequence):
        raise InterplayError(f"{where}: expected a list of {{role, content}} messages, got {type(messages).__name__}.")
    out = []
    for i, m in enumerate(messages):
        if not isinstance(m, Mapping) or "role" not in m or "content" not in m:
            raise InterplayError(f"{where}[{i}]: a message needs 'role' and 'content', got {m!r}.")
        if m["role"] not in ROLES:
            raise InterplayError(f"{where}[{i}]: role must be one of {ROLES}, got {m['role']!r}.")
        if not isinstance(m["content"], str):
            raise InterplayError(f"{where}[{i}]: content must be text, got {type(m['content']).__name__}.")
        out.append({"role": str(m["role"]), "content": m["content"]})
    if not out:
        raise InterplayError(f"{where}: no messages to send.")
    return out


def request_key(identity: Mapping[str, Any], request: Mapping[str, Any]) -> str:
    """Cache key: SHA-256 of the model identity and the full request, canonical JSON.

    The identity names the provider and model (never the API key or the server
    address); the request holds the operation, the messages and every sampling
    parameter, so any change to them is a different key.
    """
    payload = json.dumps({"model": dict(identity), "request": dict(request)}, sort_keys=True,
                         separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


class RateLimiter:
    """Spaces call starts at least ``60 / requests_per_minute`` seconds apart (per event loop)."""

    def __init__(self, requests_per_minute: float) -> None:
        if requests_per_minute <= 0:
            raise InterplayError(f"requests_per_minute must be positive, got {requests_per_minute}.")
        self.interval = 60.0 / requests_per_minute
        self._next = 0.0
        self._lock = threading.Lock()

    async def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            await asyncio.sleep(start - now)


@dataclass
class Totals:
    """Running totals of one model object (all agents that share it)."""

    calls: int = 0
    cached_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    retries: int = 0
    failures: int = 0

    def add(self, c: Completion) -> None:
        if c.cached:
            self.cached_calls += 1
            return
        self.calls += 1
        self.prompt_tokens += c.prompt_tokens
        self.completion_tokens += c.completion_tokens
        self.cost += c.cost
        self.retries += c.retries

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class ChatModel(ABC):
    """Base of every backend: cache, budget, concurrency bound, rate limit, accounting.

    Backends implement :meth:`_generate` and :meth:`_choose` (raw, uncached calls)
    and :meth:`identity` (what the cache key names: provider and model, never a
    secret). ``max_concurrency`` bounds calls in flight per event loop;
    ``requests_per_minute`` spaces call starts; prices are per million tokens.
    """

    provider = "base"

    def __init__(self, name: str, *, cache: Any = None, budget: Any = None, max_concurrency: int = 8,
                 requests_per_minute: float | None = None, input_price: float = 0.0, output_price: float = 0.0,
                 record: str | Path | None = None) -> None:
        if max_concurrency < 1:
            raise InterplayError(f"model {name!r}: max_concurrency must be at least 1, got {max_concurrency}.")
        self.name = name
        self.cache = cache
        self.budget = budget
        self.max_concurrency = int(max_concurrency)
        self.rate_limiter = RateLimiter(requests_per_minute) if requests_per_minute else None
        self.input_price = float(input_price)
        self.output_price = float(output_price)
        self.record_path = Path(record) if record else None
        self._record_lock = threading.Lock()
        self.totals = Totals()
        self._totals_lock = threading.Lock()
        self._semaphores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary())
        self._in_flight = 0
        self.max_in_flight_seen = 0

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"

    # -- what backends provide -----------------------------------------------------
    @abstractmethod
    def identity(self) -> dict[str, Any]:
        """Provider and model for the cache key (no secrets, no server address)."""

    @abstractmethod
    async def _generate(self, messages: list[dict[str, str]], *, temperature: float, max_tokens: int | None,
                        seed: int | None, stop: list[str] | None) -> Completion:
        """One raw call (no cache, no budget)."""

    @abstractmethod
    async def _choose(self, messages: list[dict[str, str]], options: list[str], *, temperature: float,
                      seed: int | None) -> Choice:
        """One raw choice; raises :class:`InvalidAnswer` when the answer names no option."""

    def choose_settings(self) -> dict[str, Any]:
        """Backend settings that change how a choice is asked (part of the cache key)."""
        return {}

    # -- pricing -------------------------------------------------------------------
    def price(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.input_price + completion_tokens * self.output_price) / 1e6

    # -- the protocol --------------------------------------------------------------
    async def agenerate(self, messages: Sequence[Message], *, temperature: float = 0.0,
                        max_tokens: int | None = None, seed: int | None = None,
                        stop: Sequence[str] | None = None) -> Completion:
        msgs = normalise_messages(messages, where=f"model {self.name!r}")
        stop_list = list(stop) if stop else None
        request = {"op": "generate", "messages": msgs, "temperature": float(temperature),
                   "max_tokens": max_tokens, "seed": seed, "stop": stop_list}
        key = request_key(self.identity(), request)
        hit = self._cache_get(key)
        if hit is not None:
            completion = _completion_from(hit, cached=True)
            self._account(completion, request, hit)
            return completion
        completion = await self._guarded(self._generate(msgs, temperature=float(temperature), max_tokens=max_tokens,
                                                        seed=seed, stop=stop_list))
        stored = _completion_to(completion)
        self._cache_put(key, stored)
        self._account(completion, request, stored)
        return completion

    async def achoose(self, messages: Sequence[Message], options: Sequence[str], *, temperature: float = 0.0,
                      seed: int | None = None) -> Choice:
        msgs = normalise_messages(messages, where=f"model {self.name!r}")
        opts = [str(o) for o in options]
        if not opts:
            raise InterplayError(f"model {self.name!r}: choose needs at least one option.")
        if len(set(opts)) != len(opts):
            raise InterplayError(f"model {self.name!r}: options must be distinct, got {opts}.")
        request = {"op": "choose", "messages": msgs, "options": opts, "temperature": float(temperature),
                   "seed": seed, **self.choose_settings()}
        key = request_key(self.identity(), request)
        hit = self._cache_get(key)
        if hit is not None:
            completion = _completion_from(hit, cached=True)
            self._account(completion, request, hit)
            return _choice_from(hit, opts, completion)
        try:
            choice = await self._guarded(self._choose(msgs, opts, temperature=float(temperature), seed=seed))
        except InvalidAnswer as exc:
            completion = exc.completion or Completion(text=exc.text)
            stored = {**_completion_to(completion), "invalid": exc.reason}
            self._cache_put(key, stored)
            self._account(completion, request, stored)
            raise
        stored = {**_completion_to(choice.completion), "index": choice.index,
                  "scores": list(choice.scores) if choice.scores is not None else None}
        self._cache_put(key, stored)
        self._account(choice.completion, request, stored)
        return choice

    def generate(self, messages: Sequence[Message], *, temperature: float = 0.0, max_tokens: int | None = None,
                 seed: int | None = None, stop: Sequence[str] | None = None) -> Completion:
        """Sync convenience for :meth:`agenerate`."""
        return run_sync(self.agenerate(messages, temperature=temperature, max_tokens=max_tokens, seed=seed,
                                       stop=stop))

    def choose(self, messages: Sequence[Message], options: Sequence[str], *, temperature: float = 0.0,
               seed: int | None = None) -> Choice:
        """Sync convenience for :meth:`achoose`."""
        return run_sync(self.achoose(messages, options, temperature=temperature, seed=seed))

    async def aclose(self) -> None:
        """Release connections (backends with clients override)."""
        return None

    # -- shared machinery ----------------------------------------------------------
    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        sem = self._semaphores.get(loop)
        if sem is None:
            sem = asyncio.Semaphore(self.max_concurrency)
            self._semaphores[loop] = sem
        return sem

    async def _guarded(self, call: Awaitable[T]) -> T:
        """Run one uncached call under the budget, the concurrency bound and the rate limit."""
        if self.budget is not None:
            try:
                self.budget.reserve_call(self.name)
            except BaseException:
                _close(call)
                raise
        async with self._semaphore():
            if self.rate_limiter is not None:
                await self.rate_limiter.wait()
            with self._totals_lock:
                self._in_flight += 1
                self.max_in_flight_seen = max(self.max_in_flight_seen, self._in_flight)
            try:
                return await call
            except ModelCallError:
                with self._totals_lock:
                    self.totals.failures += 1
                raise
            finally:
                with self._totals_lock:
                    self._in_flight -= 1

    def _cache_get(self, key: str) -> dict[str, Any] | None:
        return self.cache.get(key) if self.cache is not None else None

    def _cache_put(self, key: str, value: dict[str, Any]) -> None:
        if self.cache is not None:
            self.cache.put(key, value, model=self.name)

    def _account(self, completion: Completion, request: dict[str, Any], response: dict[str, Any]) -> None:
        with self._totals_lock:
            self.totals.add(completion)
        if not completion.cached and self.budget is not None:
            self.budget.charge(completion.total_tokens, completion.cost)
        if self.record_path is not None:
            line = json.dumps({"model": self.identity(), "request": request, "response": response},
                              ensure_ascii=False)
            with self._record_lock:
                self.record_path.parent.mkdir(parents=True, exist_ok=True)
                with self.record_path.open("a", encoding="utf-8") as fh:
                    fh.write(line + "\n")
        for fn in list(_CALL_OBSERVERS):
            fn(self.identity(), request, response, completion)


#: Callables ``fn(model_identity, request, response, completion)`` told of every call of every
#: ChatModel (cached answers included), e.g. the run-level audit log. Use :func:`observe_calls`.
_CALL_OBSERVERS: list[Any] = []


class observe_calls:  # noqa: N801  (a context manager used like a function)
    """``with observe_calls(fn): ...``: ``fn`` sees every model call made inside the block."""

    def __init__(self, fn: Any) -> None:
        self.fn = fn

    def __enter__(self) -> Any:
        _CALL_OBSERVERS.append(self.fn)
        return self.fn

    def __exit__(self, *exc: Any) -> None:
        if self.fn in _CALL_OBSERVERS:
            _CALL_OBSERVERS.remove(self.fn)


def _close(call: Awaitable[Any]) -> None:
    close = getattr(call, "close", None)
    if close is not None:
        close()


def _completion_to(c: Completion) -> dict[str, Any]:
    return {"text": c.text, "prompt_tokens": c.prompt_tokens, "completion_tokens": c.completion_tokens,
            "cost": c.cost, "finish_reason": c.finish_reason, "model": c.model}


def _completion_from(d: Mapping[str, Any], *, cached: bool) -> Completion:
    return Completion(text=str(d.get("text") or ""), prompt_tokens=int(d.get("prompt_tokens") or 0),
                      completion_tokens=int(d.get("completion_tokens") or 0),
                      cost=0.0 if cached else float(d.get("cost") or 0.0), cached=cached,
                      finish_reason=d.get("finish_reason"), model=str(d.get("model") or ""))


def _choice_from(d: Mapping[str, Any], options: list[str], completion: Completion) -> Choice:
    """Rebuild a Choice (or re-raise the InvalidAnswer) from a stored answer."""
    if d.get("invalid") is not None:
        raise InvalidAnswer(str(d["invalid"]), completion.text, completion)
    index = d.get("index")
    if not isinstance(index, int) or not 0 <= index < len(options):
        raise InvalidAnswer(f"stored answer has no valid index ({index!r})", completion.text, completion)
    scores = d.get("scores")
    return Choice(index=index, option=options[index],
                  scores=tuple(float(s) for s in scores) if scores is not None else None, completion=completion)
