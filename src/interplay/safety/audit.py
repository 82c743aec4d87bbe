"""A tamper-evident audit log: an append-only JSONL hash chain.

Every action, message and model call of a run can be appended to ``RUN_DIR/audit.jsonl``.
Each line is one entry::

    {"seq": 7, "time": "...", "kind": "message", "data": {...}, "prev": "<hash of entry 6>", "hash": "<hash>"}

where ``hash = SHA-256(canonical JSON of seq, time, kind, data, prev)`` (canonical: sorted
keys, no spaces, UTF-8), and the first entry's ``prev`` is 64 zeros: a hash chain, the
construction of Haber & Stornetta (1991) used by certificate-transparency logs and
blockchains. ``audit.head.json`` seals the number of entries and the last hash, so
cutting entries off the end is detected too. With ``key_env`` naming an environment
variable that holds a secret, the hashes are HMAC-SHA-256 under that key (RFC 2104):
then someone who edits the log cannot recompute a valid chain without the key.

:func:`verify` re-reads a log and names the first bad entry: an edited entry (its hash no
longer matches its content), a deleted or reordered one (its sequence number or its
link to the previous entry is wrong), a truncated end, or a line that is not JSON.
``interplay audit verify RUN_DIR`` runs it from the command line.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interplay.errors import InterplayError

GENESIS = "0" * 64
LOG_NAME = "audit.jsonl"
HEAD_NAME = "audit.head.json"


def _canonical(entry: dict[str, Any]) -> bytes:
    body = {k: entry[k] for k in ("seq", "time", "kind", "data", "prev")}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def _key(key_env: str | None) -> bytes | None:
    if key_env is None:
        return None
    value = os.environ.get(key_env)
    if not value:
        raise InterplayError(f"audit log: the environment variable {key_env!r} (the HMAC key) is not set.")
    return value.encode()


def entry_hash(entry: dict[str, Any], key: bytes | None = None) -> str:
    """The hash of an entry's content (HMAC-SHA-256 when ``key`` is given)."""
    data = _canonical(entry)
    if key is not None:
        return hmac.new(key, data, hashlib.sha256).hexdigest()
    return hashlib.sha256(data).hexdigest()


def _jsonable(x: Any) -> Any:
    try:
        from interplay.serialize import to_jsonable  # numpy/jax values, dataclasses

        return to_jsonable(x)
    except ImportError:  # pragma: no cover - run is always installed with safety
        return x


class AuditLog:
    """Append-only hash-chained log. ``AuditLog(run_dir)`` or ``AuditLog(path/to/audit.jsonl)``.

    Opening an existing log continues its chain (after verifying it, unless
    ``verify_existing=False``). Appends are thread-safe and flushed line by line.
    """

    def __init__(self, path: str | Path, *, key_env: str | None = None, verify_existing: bool = True) -> None:
        p = Path(path)
        self.path = p / LOG_NAME if p.is_dir() or p.suffix != ".jsonl" else p
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.head_path = self.path.with_name(self.path.stem + ".head.json")
        self.key_env = key_env
        self._key = _key(key_env)
        self._lock = threading.Lock()
        self.count = 0
        self.last_hash = GENESIS
        if self.path.exists() and self.path.stat().st_size > 0:
            if verify_existing:
                report = verify(self.path, key_env=key_env)
                if not report.ok:
                    raise InterplayError(f"audit log {self.path}: cannot continue a broken chain: {report.message}")
            lines = [ln for ln in self.path.read_text().splitlines() if ln.strip()]
            last = json.loads(lines[-1])
            self.count, self.last_hash = int(last["seq"]), str(last["hash"])

    def append(self, kind: str, data: Any) -> dict[str, Any]:
        """Append one entry (``kind``: "action", "message", "model_call", ...) and return it."""
        with self._lock:
            entry = {"seq": self.count + 1, "time": _dt.datetime.now(_dt.UTC).isoformat(timespec="microseconds"),
                     "kind": str(kind), "data": _jsonable(data), "prev": self.last_hash}
            entry["hash"] = entry_hash(entry, self._key)
            line = json.dumps(entry, ensure_ascii=False, default=str)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")
            self.count += 1
            self.last_hash = entry["hash"]
            self._write_head()
            return entry

    def _write_head(self) -> None:
        head = {"entries": self.count, "last_hash": self.last_hash,
                "algorithm": "hmac-sha256" if self._key is not None else "sha256", "log": self.path.name}
        tmp = self.head_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(head))
        os.replace(tmp, self.head_path)

    # conveniences for the three kinds the issue names
    def action(self, **data: Any) -> dict[str, Any]:
        return self.append("action", data)

    def message(self, message: Any) -> dict[str, Any]:
        """A talk-channel Message (or a transcript dict)."""
        return self.append("message", message.to_dict() if hasattr(message, "to_dict") else dict(message))

    def model_call(self, **data: Any) -> dict[str, Any]:
        return self.append("model_call", data)


@dataclass(frozen=True)
class VerifyReport:
    """The result of :func:`verify`: ``ok``, the number of good entries, and the first bad one.

    ``bad_line`` is the 1-based line of the first bad entry (None when intact); ``bad_seq``
    the entry number expected there; ``problem`` one of "edited", "deleted", "reordered",
    "truncated", "malformed", "rehashed"; ``message`` says it in words.
    """

    ok: bool
    entries: int
    path: str
    last_hash: str
    bad_line: int | None = None
    bad_seq: int | None = None
    problem: str | None = None
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _find_log(path: str | Path) -> Path:
    p = Path(path)
    if p.is_dir():
        p = p / LOG_NAME
    if not p.is_file():
        raise InterplayError(f"audit: no audit log at {str(p)!r} (a run directory holds {LOG_NAME}).")
    return p


def verify(path: str | Path, *, key_env: str | None = None) -> VerifyReport:
    """Re-read a log (a run directory or a .jsonl file) and check the whole chain.

    Returns a :class:`VerifyReport` naming the first bad entry; raises
    :class:`InterplayError` only when there is no log to read.
    """
    log = _find_log(path)
    key = _key(key_env)
    raw = log.read_text(encoding="utf-8").split("\n")
    if raw and raw[-1] == "":
        raw = raw[:-1]
    entries: list[dict[str, Any] | None] = []
    for ln in raw:
        try:
            e = json.loads(ln)
            entries.append(e if isinstance(e, dict) and {"seq", "kind", "data", "prev", "hash", "time"} <= set(e)
                           else None)
        except json.JSONDecodeError:
            entries.append(None)

    def bad(line: int, seq: int, problem: str, message: str, good: int, last: str) -> VerifyReport:
        return VerifyReport(False, good, str(log), last, line, seq, problem, f"line {line} (entry {seq}): {message}")

    prev = GENESIS
    for k, e in enumerate(entries, start=1):
        if e is None:
            return bad(k, k, "malformed", "not a valid audit entry (broken JSON or missing fields)", k - 1, prev)
        seq = e.get("seq")
        if seq != k:
            later = [j for j, x in enumerate(entries[k:], start=k + 1) if x is not None and x.get("seq") == k]
            if later:
                return bad(k, k, "reordered", f"holds entry {seq}; entry {k} appears at line {later[0]} "
                           "(entries were reordered)", k - 1, prev)
            return bad(k, k, "deleted", f"entry {k} is missing (line {k} holds entry {seq}): deleted", k - 1, prev)
        if entry_hash(e, key) != e["hash"]:
            return bad(k, k, "edited", "its content does not match its hash (the entry was edited)", k - 1, prev)
        if e["prev"] != prev:
            return bad(k - 1, k - 1, "rehashed", f"entry {k - 1} was changed after entry {k} was written (entry {k} "
                       "recorded a different hash for it)", k - 2, prev)
        prev = e["hash"]
    n = len(entries)
    head_path = log.with_name(log.stem + ".head.json")
    if head_path.exists():
        try:
            head = json.loads(head_path.read_text())
            sealed, sealed_hash = int(head["entries"]), str(head["last_hash"])
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            return bad(n + 1, n + 1, "malformed", f"the head file {head_path.name} is unreadable", n, prev)
        if sealed > n:
            return bad(n + 1, n + 1, "truncated", f"the log ends after entry {n} but its head records {sealed} "
                       f"entries: entries {n + 1}..{sealed} were deleted", n, prev)
        if sealed < n:
            return bad(sealed + 1, sealed + 1, "edited", f"entries {sealed + 1}..{n} were added after the head was "
                       f"sealed at {sealed}", sealed, prev)
        if sealed_hash != prev:
            return bad(n, n, "rehashed", "the last entry's hash differs from the one sealed in the head", n - 1, prev)
    return VerifyReport(True, n, str(log), prev, message=f"intact: {n} entries, last hash {prev[:16]}...")


class AuditedModel:
    """A language model that records every call in an audit log; the model is unchanged.

    Wraps anything with the :class:`~interplay.llm.LanguageModel` methods; each call appends a
    ``model_call`` entry with the model name, the messages, the options (for ``choose``),
    the answer, token counts, cost and whether it came from the cache.
    """

    def __init__(self, model: Any, log: AuditLog, agent: str | None = None) -> None:
        self.model = model
        self.log = log
        self.agent = agent
        self.name = getattr(model, "name", type(model).__name__)

    def __getattr__(self, attr: str) -> Any:  # accounting, budgets... pass through
        return getattr(self.model, attr)

    def _record(self, op: str, messages: Sequence[Any], result: Any, options: Sequence[str] | None = None,
                error: str | None = None) -> None:
        comp = getattr(result, "completion", result)
        data: dict[str, Any] = {"model": self.name, "op": op, "messages": [dict(m) for m in messages]}
        if self.agent:
            data["agent"] = self.agent
        if options is not None:
            data["options"] = list(options)
            if result is not None:
                data["choice"] = int(result.index)
        if comp is not None:
            for k in ("text", "prompt_tokens", "completion_tokens", "cost", "cached"):
                if hasattr(comp, k):
                    data[k] = getattr(comp, k)
        if error:
            data["error"] = error
        self.log.model_call(**data)

    async def agenerate(self, messages: Sequence[Any], **kw: Any) -> Any:
        try:
            out = await self.model.agenerate(messages, **kw)
        except Exception as exc:
            self._record("generate", messages, None, error=f"{type(exc).__name__}: {exc}")
            raise
        self._record("generate", messages, out)
        return out

    async def achoose(self, messages: Sequence[Any], options: Sequence[str], **kw: Any) -> Any:
        try:
            out = await self.model.achoose(messages, options, **kw)
        except Exception as exc:
            self._record("choose", messages, None, options, error=f"{type(exc).__name__}: {exc}")
            raise
        self._record("choose", messages, out, options)
        return out

    def generate(self, messages: Sequence[Any], **kw: Any) -> Any:
        try:
            out = self.model.generate(messages, **kw)
        except Exception as exc:
            self._record("generate", messages, None, error=f"{type(exc).__name__}: {exc}")
            raise
        self._record("generate", messages, out)
        return out

    def choose(self, messages: Sequence[Any], options: Sequence[str], **kw: Any) -> Any:
        try:
            out = self.model.choose(messages, options, **kw)
        except Exception as exc:
            self._record("choose", messages, None, options, error=f"{type(exc).__name__}: {exc}")
            raise
        self._record("choose", messages, out, options)
        return out


#: The audit entry kind of each kind of transcript record of a per-turn match.
EVENT_KINDS = {"talk": "message", "move": "action", "outcome": "outcome"}


def match_events(log: AuditLog, **context: Any) -> Any:
    """An ``on_event(record, event)`` hook for :func:`interplay.agents.interactive.play_match` and
    ``round_robin``: appends every message (with its monitors' flags), move and outcome of a match
    to ``log`` as ``message`` / ``action`` / ``outcome`` entries, tagged with the match's seat names
    and seed and with ``context`` (e.g. the scenario and condition)."""

    def on_event(record: Any, event: dict[str, Any]) -> None:
        kind = EVENT_KINDS.get(str(event.get("kind")), "event")
        log.append(kind, {**context, "match": list(record.names), "seed": record.seed, **event})

    return on_event


class AuditMonitor:
    """A talk-channel monitor that never flags: it appends every message to the audit log.

    Put it last in the channel's monitors so the entry carries the other monitors' flags.
    """

    name = "audit"

    def __init__(self, log: AuditLog) -> None:
        self.log = log
        self.findings: list[Any] = []

    def __call__(self, message: Any, channel: Any = None) -> None:
        self.log.message(message)
        return None
