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
import logging
import math
import re
import threading
import time
import warnings
import weakref
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Coroutine, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

from interplay.errors import InterplayError

T = TypeVar("T")
log = logging.getLogger(__name__)

#: ``max_tokens`` of a generate call when the caller gives none (every call sends a limit:
#: servers otherwise generate their own default, often 1,024 tokens or more).
DEFAULT_MAX_TOKENS = 512
#: ``max_tokens`` of a choice call (the answer is one option, or ``{"choice": "<option>"}``).
DEFAULT_CHOICE_MAX_TOKENS = 64


class ModelWarning(UserWarning):
    """A model's behaviour changed for the rest of the run (e.g. structured output switched off)."""

#: A chat message: ``{"role": "system" | "user" | "assistant", "content": str}``.
Message = Mapping[str, str]
ROLES = ("system", "user", "assistant")


#: Kinds of :class:`InvalidAnswer` (``exc.kind``): the answer was ``"empty"``; it was cut
#: by the length limit (``"length"``, finish_reason "length"); or it was complete but
#: names no legal option (``"unparsed"``).
INVALID_KINDS = ("empty", "length", "unparsed")


class InvalidAnswer(InterplayError):
    """The model answered, but its answer names none of the legal options.

    ``text`` is the raw answer, ``reason`` says what was wrong (shown to the model
    when an agent re-asks), ``completion`` carries the token counts of the call,
    ``kind`` is one of :data:`INVALID_KINDS` (``"empty"``, ``"length"``, ``"unparsed"``)
    so callers can count answers cut by the length limit or empty apart from the rest.
    """

    def __init__(self, reason: str, text: str, completion: Completion | None = None, *,
                 kind: str = "unparsed") -> None:
        super().__init__(f"invalid answer: {reason} (answer was {text[:200]!r})")
        self.reason = reason
        self.text = text
        self.completion = completion
        self.kind = kind if kind in INVALID_KINDS else "unparsed"


class ModelCallError(InterplayError):
    """A call failed for good (after retries): unreachable server, error status, timeouts."""


@dataclass(frozen=True)
class Completion:
    """One answer of a model.

    ``cost`` is in the currency of the configured prices (0 when none are set, and
    0 for answers from the cache: they cost nothing to repeat). ``retries`` counts
    transient failures (429, 5xx, timeouts, malformed replies) that were retried
    before this answer.

    ``finish_reason`` is the server's (``"stop"``, ``"length"``, ...; ``"scored"`` for
    a choice read from option likelihoods; None when the server sent none). It is
    kept in the cache and in every call record. Whether an answer can be used:

    * :attr:`truncated`: True when the answer was cut by the length limit
      (finish_reason ``"length"``): it is unfinished and must not be scored;
    * :attr:`empty`: True when the text is empty or only whitespace;
    * :attr:`problem`: None for a usable answer, else a short sentence saying why
      not (``"the answer was cut off by the length limit (finish_reason 'length')"``,
      ``"the answer was empty"``); :attr:`problem_kind` gives ``"length"`` / ``"empty"``.

    ``usage_estimated`` is True when the server reported no token usage and the
    counts are estimates (about 4 characters a token), so token budgets still apply.
    """

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    cached: bool = False
    finish_reason: str | None = None
    model: str = ""
    retries: int = 0
    usage_estimated: bool = False

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def truncated(self) -> bool:
        """The answer was cut by the length limit (finish_reason "length")."""
        return self.finish_reason == "length"

    @property
    def empty(self) -> bool:
        """The answer holds no text (empty or whitespace only)."""
        return not self.text.strip()

    @property
    def problem_kind(self) -> str | None:
        """``"length"`` (cut by the length limit), ``"empty"``, or None for a usable answer."""
        if self.truncated:
            return "length"
        if self.empty:
            return "empty"
        return None

    @property
    def problem(self) -> str | None:
        """Why this answer must not be scored (cut off, or empty), or None if it can be."""
        kind = self.problem_kind
        if kind == "length":
            return "the answer was cut off by the length limit (finish_reason 'length')"
        if kind == "empty":
            return "the answer was empty"
        return None


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


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even inside a running loop.

    Outside an event loop this is ``asyncio.run``; inside one (a notebook, an async
    test) the coroutine runs on a fresh loop in a worker thread.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="interplay-run-sync")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


_KEYLIKE = (
    (re.compile(r"(?i)\b(bearer|basic)\s+[^\s\"',;]+"), r"\1 <redacted>"),
    (re.compile(r"\bsk-[A-Za-z0-9_\-*.]{6,}"), "sk-<redacted>"),
    (re.compile(r"(?i)\b(api[_-]?key|access[_-]?token|secret|password)(\"?\s*[:=]\s*\"?)[^\s\"',;&]+"),
     r"\1\2<redacted>"),
)


def redact_secrets(text: str, secrets: Sequence[str] = ()) -> str:
    """``text`` with anything key-like replaced by ``<redacted>``.

    Removes every value in ``secrets`` (the actual keys, e.g. the API key read from
    the environment; values shorter than 4 characters are ignored), ``Bearer``/``Basic``
    credentials, ``sk-...`` style keys and ``api_key=...``/``"secret": ...`` pairs.
    Used on every server error message before it reaches an exception, a log or a
    results file.
    """
    out = str(text)
    for secret in secrets:
        if secret and len(secret) >= 4:
            out = out.replace(secret, "<redacted>")
    for pattern, repl in _KEYLIKE:
        out = pattern.sub(repl, out)
    return out


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
class CallTotals:
    """What model calls cost: calls (and answers from the cache), tokens, money, retries. The fields of
    a model's :class:`Totals` and of an agent's accounting (each adds a completion its own way)."""

    calls: int = 0
    cached_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    retries: int = 0


@dataclass
class Totals(CallTotals):
    """Running totals of one model object (all agents that share it)."""

    failures: int = 0
    #: changes of behaviour the model announced (see :meth:`ChatModel.notice`), in order
    notices: list[str] = field(default_factory=list)

    def add(self, c: Completion) -> None:
        if c.cached:
            self.cached_calls += 1
            return
        self.calls += 1
        self.prompt_tokens += _count(c.prompt_tokens)
        self.completion_tokens += _count(c.completion_tokens)
        self.cost += c.cost if math.isfinite(c.cost) and c.cost > 0 else 0.0
        self.retries += c.retries

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class ChatModel(ABC):
    """Base of every backend: cache, budget, concurrency bound, rate limit, accounting.

    Backends implement :meth:`_generate` and :meth:`_choose` (raw, uncached calls)
    and :meth:`identity` (what the cache key names: provider and model, never a
    secret). ``max_concurrency`` bounds calls in flight per event loop;
    ``requests_per_minute`` spaces call starts; prices are per million tokens.

    Every call sends a length limit: ``max_tokens`` (default :data:`DEFAULT_MAX_TOKENS`)
    for a generate call whose caller gives none, ``choice_max_tokens`` (default
    :data:`DEFAULT_CHOICE_MAX_TOKENS`) for a choice. The effective limit is part of the
    request (its cache key and call record).

    :attr:`notices` lists, once each, the changes of behaviour a model made during the
    run (structured output switched off, logprobs missing, malformed cache rows); each
    is also a :class:`ModelWarning`, a log line, and a ``notices`` field on the record of
    the call where it happened.
    """

    provider = "base"

    def __init__(self, name: str, *, cache: Any = None, budget: Any = None, max_concurrency: int = 8,
                 requests_per_minute: float | None = None, input_price: float = 0.0, output_price: float = 0.0,
                 record: str | Path | None = None, max_tokens: int = DEFAULT_MAX_TOKENS,
                 choice_max_tokens: int = DEFAULT_CHOICE_MAX_TOKENS) -> None:
        if max_concurrency < 1:
            raise InterplayError(f"model {name!r}: max_concurrency must be at least 1, got {max_concurrency}.")
        for field_name, value in (("max_tokens", max_tokens), ("choice_max_tokens", choice_max_tokens)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InterplayError(f"model {name!r}: {field_name} must be a positive whole number, got {value!r}.")
        self.max_tokens = int(max_tokens)
        self.choice_max_tokens = int(choice_max_tokens)
        self._pending_notices: list[str] = []
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
        #: the model's notices (the same list as ``totals.notices``, so results.json's totals carry them)
        self.notices: list[str] = self.totals.notices
        self._totals_lock = threading.Lock()
        self._semaphores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary())
        self._in_flight = 0
        self.max_in_flight_seen = 0
        self._stale: set[str] = set()

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
        if max_tokens is None:
            max_tokens = self.max_tokens
        elif isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
            raise InterplayError(f"model {self.name!r}: max_tokens must be a positive whole number, "
                                 f"got {max_tokens!r}.")
        request = {"op": "generate", "messages": msgs, "temperature": float(temperature),
                   "max_tokens": max_tokens, "seed": seed, "stop": stop_list}
        key = request_key(self.identity(), request)
        hit = self._cache_get(key, "generate")
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
        hit = self._cache_get(key, "choose", len(opts))
        if hit is not None:
            completion = _completion_from(hit, cached=True)
            self._account(completion, request, hit)
            return _choice_from(hit, opts, completion)
        try:
            choice = await self._guarded(self._choose(msgs, opts, temperature=float(temperature), seed=seed))
        except InvalidAnswer as exc:
            completion = exc.completion or Completion(text=exc.text)
            stored = {**_completion_to(completion), "invalid": exc.reason, "invalid_kind": exc.kind}
            self._cache_put(key, stored)
            self._account(completion, request, stored)
            raise
        stored = {**_completion_to(choice.completion), "index": choice.index,
                  "scores": _scores_to(choice.scores)}
        self._cache_put(key, stored)
        self._account(choice.completion, request, stored)
        return choice

    def generate(self, messages: Sequence[Message], *, temperature: float = 0.0, max_tokens: int | None = None,
                 seed: int | None = None, stop: Sequence[str] | None = None) -> Completion:
        """Sync convenience for :meth:`agenerate`."""
        return run_sync(self._closing(self.agenerate(messages, temperature=temperature, max_tokens=max_tokens,
                                                     seed=seed, stop=stop)))

    def choose(self, messages: Sequence[Message], options: Sequence[str], *, temperature: float = 0.0,
               seed: int | None = None) -> Choice:
        """Sync convenience for :meth:`achoose`."""
        return run_sync(self._closing(self.achoose(messages, options, temperature=temperature, seed=seed)))

    async def _closing(self, call: Awaitable[T]) -> T:
        """Await ``call``, then release this loop's connections: a sync call's event loop ends with it,
        and a client left behind would try to close its sockets on a closed loop when collected."""
        try:
            return await call
        finally:
            await self.aclose()

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
            except ModelCallError as exc:
                with self._totals_lock:
                    self.totals.failures += 1
                for fn in list(_FAILURE_OBSERVERS):
                    fn(self.identity(), exc)
                raise
            finally:
                with self._totals_lock:
                    self._in_flight -= 1

    def _cache_get(self, key: str, op: str, n_options: int = 0) -> dict[str, Any] | None:
        """The stored answer, or None; a stored row of the wrong shape is a miss, reported once."""
        if self.cache is None:
            return None
        hit = self.cache.get(key)
        if hit is None:
            return None
        problem = stored_problem(hit, op, n_options)
        if problem is None:
            return hit
        self._stale.add(key)
        report = getattr(self.cache, "report", None)
        msg = (f"LLM cache {getattr(self.cache, 'path', '')}: a stored {op} answer {problem}; "
               "it is ignored and asked again")
        if report is not None:
            report(msg)
        else:  # pragma: no cover - caches other than LLMCache
            warnings.warn(msg, ModelWarning, stacklevel=3)
        return None

    def _cache_put(self, key: str, value: dict[str, Any]) -> None:
        if self.cache is not None:
            if key in self._stale:
                self._stale.discard(key)
                self.cache.put(key, value, model=self.name, replace=True)
            else:
                self.cache.put(key, value, model=self.name)

    def notice(self, message: str) -> None:
        """Say once (warning, log, :attr:`notices`, the next call record) that this model changed behaviour."""
        with self._totals_lock:
            if message in self.notices:
                return
            self.notices.append(message)
            self._pending_notices.append(message)
        log.warning(message)
        warnings.warn(message, ModelWarning, stacklevel=2)

    def _account(self, completion: Completion, request: dict[str, Any], response: dict[str, Any]) -> None:
        with self._totals_lock:
            self.totals.add(completion)
        if not completion.cached and self.budget is not None:
            self.budget.charge(completion.total_tokens, completion.cost)
        with self._totals_lock:
            notices, self._pending_notices = self._pending_notices, []
        if notices:
            response = {**response, "notices": notices}
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
#: Callables ``fn(model_identity, error)`` told of every call that failed (after its retries).
_FAILURE_OBSERVERS: list[Any] = []


class observe_calls:  # noqa: N801  (a context manager used like a function)
    """``with observe_calls(fn, on_failure=g): ...``: ``fn`` sees every model call made inside the
    block, ``g(model_identity, error)`` every call that failed (a ModelCallError after retries)."""

    def __init__(self, fn: Any, on_failure: Any = None) -> None:
        self.fn = fn
        self.on_failure = on_failure

    def __enter__(self) -> Any:
        if self.fn is not None:
            _CALL_OBSERVERS.append(self.fn)
        if self.on_failure is not None:
            _FAILURE_OBSERVERS.append(self.on_failure)
        return self.fn

    def __exit__(self, *exc: Any) -> None:
        if self.fn in _CALL_OBSERVERS:
            _CALL_OBSERVERS.remove(self.fn)
        if self.on_failure in _FAILURE_OBSERVERS:
            _FAILURE_OBSERVERS.remove(self.on_failure)


def _close(call: Awaitable[Any]) -> None:
    close = getattr(call, "close", None)
    if close is not None:
        close()


def _count(x: Any) -> int:
    """A token count as reported: a non-negative whole number, else 0 (never summed negative)."""
    return int(x) if isinstance(x, int) and not isinstance(x, bool) and x > 0 else 0


def _is_count(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def stored_problem(d: Any, op: str, n_options: int = 0) -> str | None:
    """What is wrong with a stored (cached or recorded) answer, or None when it has the right shape.

    A generate answer is a mapping with ``text`` (str), non-negative whole ``prompt_tokens``
    and ``completion_tokens``, a finite ``cost`` and ``finish_reason`` (str or None); a
    choose answer has in addition ``invalid`` (str) or an ``index`` into the options and
    ``scores`` (None or one number per option).
    """
    if not isinstance(d, Mapping):
        return f"is a {type(d).__name__}, not a mapping"
    if not isinstance(d.get("text", ""), str):
        return f"has text of type {type(d.get('text')).__name__}"
    for k in ("prompt_tokens", "completion_tokens"):
        if k in d and d[k] is not None and not _is_count(d[k]):
            return f"has {k} {d[k]!r} (not a non-negative whole number)"
    cost = d.get("cost", 0.0)
    if cost is not None and (isinstance(cost, bool) or not isinstance(cost, int | float) or not math.isfinite(cost)
                             or cost < 0):
        return f"has cost {cost!r}"
    if d.get("finish_reason") is not None and not isinstance(d["finish_reason"], str):
        return f"has finish_reason {d['finish_reason']!r}"
    if op != "choose":
        return None
    if d.get("invalid") is not None:
        return None if isinstance(d["invalid"], str) else f"has invalid {d['invalid']!r}"
    index = d.get("index")
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < n_options:
        return f"has no valid index ({index!r} for {n_options} options)"
    scores = d.get("scores")
    if scores is not None and (not isinstance(scores, list) or len(scores) != n_options or not all(
            s is None or (isinstance(s, int | float) and not isinstance(s, bool)) for s in scores)):
        return f"has scores {scores!r} (not one number per option)"
    return None


def _scores_to(scores: tuple[float, ...] | None) -> list[float | None] | None:
    """Scores as stored: -inf (an option with no probability mass) becomes None (JSON has no infinity)."""
    if scores is None:
        return None
    return [float(s) if math.isfinite(s) else None for s in scores]


def _completion_to(c: Completion) -> dict[str, Any]:
    out = {"text": c.text, "prompt_tokens": c.prompt_tokens, "completion_tokens": c.completion_tokens,
           "cost": c.cost, "finish_reason": c.finish_reason, "model": c.model}
    if c.usage_estimated:
        out["usage_estimated"] = True
    return out


def _completion_from(d: Mapping[str, Any], *, cached: bool) -> Completion:
    cost = d.get("cost")
    cost = float(cost) if isinstance(cost, int | float) and math.isfinite(cost) and cost > 0 else 0.0
    return Completion(text=str(d.get("text") or ""), prompt_tokens=_count(d.get("prompt_tokens")),
                      completion_tokens=_count(d.get("completion_tokens")),
                      cost=0.0 if cached else cost, cached=cached,
                      finish_reason=d.get("finish_reason") if isinstance(d.get("finish_reason"), str) else None,
                      model=str(d.get("model") or ""), usage_estimated=bool(d.get("usage_estimated")))


def _choice_from(d: Mapping[str, Any], options: list[str], completion: Completion) -> Choice:
    """Rebuild a Choice (or re-raise the InvalidAnswer) from a stored answer."""
    if d.get("invalid") is not None:
        raise InvalidAnswer(str(d["invalid"]), completion.text, completion, kind=str(d.get("invalid_kind") or ""))
    index = d.get("index")
    if not isinstance(index, int) or not 0 <= index < len(options):
        raise InvalidAnswer(f"stored answer has no valid index ({index!r})", completion.text, completion)
    scores = d.get("scores")
    return Choice(index=index, option=options[index],
                  scores=tuple(float(s) if s is not None else -math.inf for s in scores) if scores is not None
                  else None, completion=completion)
