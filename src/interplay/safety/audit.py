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
then someone who edits the log cannot recompute a valid chain without the key, and the
head carries an HMAC of itself, so it cannot be rewritten to match a cut log either.

The head is written around each entry, write-ahead: first a head that still seals the
entries already written and names the one about to be (``pending``: its number and
hash), then the entry's line, then the head that seals it. A writer killed at any point
leaves a state :func:`verify` recognises as such and :class:`AuditLog` continues from: the
pending entry not written (the log ends at the sealed count), written but not yet sealed
(its hash is the pending one), or its line cut part-way (dropped when the log is
continued). A log cut by anyone else still ends short of the sealed count.

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

    def __init__(self, path: str | Path, *, key_env: str | None = None, verify_existing: bool = True,
                 redact: Any = None) -> None:
        p = Path(path)
        self.path = p / LOG_NAME if p.is_dir() or p.suffix != ".jsonl" else p
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.head_path = self.path.with_name(self.path.stem + ".head.json")
        self.key_env = key_env
        self._key = _key(key_env)
        self._lock = threading.Lock()
        #: applied to every entry's data before it is hashed and written (secrets -> [REDACTED])
        self.redact = redact
        self.count = 0
        self.last_hash = GENESIS
        #: what continuing the log recovered from a writer killed mid-entry (None: nothing)
        self.recovered: str | None = None
        if self.path.exists() and self.path.stat().st_size > 0:
            if verify_existing:
                report = verify(self.path, key_env=key_env, chain_only=True)
                if not report.ok:
                    raise InterplayError(f"audit log {self.path}: cannot continue a broken chain: {report.message}")
                self.recovered = report.recovered
            raw = self.path.read_bytes()
            lines = raw.split(b"\n")
            if not raw.endswith(b"\n"):  # the last write was stopped part-way
                if _is_entry(lines[-1]):  # all but its newline
                    with self.path.open("ab") as fh:
                        fh.write(b"\n")
                else:  # a line cut by a kill: drop it
                    with self.path.open("r+b") as fh:
                        fh.truncate(len(raw) - len(lines[-1]))
            good = [ln for ln in lines if ln.strip() and _is_entry(ln)]
            if good:
                last = json.loads(good[-1])
                self.count, self.last_hash = int(last["seq"]), str(last["hash"])
            self._write_head()

    def append(self, kind: str, data: Any) -> dict[str, Any]:
        """Append one entry (``kind``: "action", "message", "model_call", ...) and return it."""
        with self._lock:
            entry = {"seq": self.count + 1, "time": _dt.datetime.now(_dt.UTC).isoformat(timespec="microseconds"),
                     "kind": str(kind), "data": self._clean(data), "prev": self.last_hash}
            entry["hash"] = entry_hash(entry, self._key)
            line = json.dumps(entry, ensure_ascii=False, default=str)
            self._write_head(pending=entry)  # 1. the head names the entry about to be written
            self._write_line(line)  # 2. the entry
            self.count += 1
            self.last_hash = entry["hash"]
            self._write_head()  # 3. the head seals it
            return entry

    def _write_line(self, line: str) -> None:
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    def _clean(self, data: Any) -> Any:
        data = _jsonable(data)
        return self.redact(data) if self.redact is not None else data

    @property
    def algorithm(self) -> str:
        return "hmac-sha256" if self._key is not None else "sha256"

    def anchor(self) -> dict[str, Any]:
        """What results.json records of the log (verify checks the log against it)."""
        return {"entries": self.count, "last_hash": self.last_hash, "algorithm": self.algorithm,
                "key_env": self.key_env}

    def _write_head(self, pending: dict[str, Any] | None = None) -> None:
        head: dict[str, Any] = {"entries": self.count, "last_hash": self.last_hash, "algorithm": self.algorithm,
                                "key_env": self.key_env, "log": self.path.name,
                                "pending": None if pending is None else {"seq": pending["seq"],
                                                                         "hash": pending["hash"]}}
        if self._key is not None:
            head["mac"] = head_mac(head, self._key)
        tmp = self.head_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(head))
        os.replace(tmp, self.head_path)  # atomic: a reader (or a kill) sees the old head or the new

    # conveniences for the three kinds the issue names
    def action(self, **data: Any) -> dict[str, Any]:
        return self.append("action", data)

    def message(self, message: Any) -> dict[str, Any]:
        """A talk-channel Message (or a transcript dict)."""
        return self.append("message", message.to_dict() if hasattr(message, "to_dict") else dict(message))

    def model_call(self, **data: Any) -> dict[str, Any]:
        return self.append("model_call", data)


def head_mac(head: dict[str, Any], key: bytes) -> str:
    """HMAC-SHA-256 of a head's fields (all but ``mac``): a keyed log's head cannot be rewritten without the key."""
    body = {k: v for k, v in head.items() if k != "mac"}
    return hmac.new(key, json.dumps(body, sort_keys=True, separators=(",", ":")).encode(), hashlib.sha256).hexdigest()


def _is_entry(line: bytes | str) -> bool:
    try:
        e = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False
    return isinstance(e, dict) and {"seq", "kind", "data", "prev", "hash", "time"} <= set(e)


@dataclass(frozen=True)
class VerifyReport:
    """The result of :func:`verify`: ``ok``, the number of good entries, and the first bad one.

    ``bad_line`` is the 1-based line of the first bad entry (None when intact); ``bad_seq``
    the entry number expected there; ``problem`` one of "edited", "deleted", "reordered",
    "truncated", "malformed", "rehashed", "head-missing", "head-forged" (a keyed log's head without
    a valid HMAC), "unsealed", "files" (a sealed file
    changed, vanished or appeared), "keyed" (a keyed log verified without its key: nothing was
    checked), "not-keyed"; ``message`` says it in words and ``limits`` what the chain cannot prove.
    """

    ok: bool
    entries: int
    path: str
    last_hash: str
    bad_line: int | None = None
    bad_seq: int | None = None
    problem: str | None = None
    message: str = ""
    #: what this kind of chain cannot prove (keyless: a forger can recompute it)
    limits: str = ""
    #: a writer killed mid-entry, as the head shows it (the pending entry not written, written but
    #: not sealed, or its line cut part-way); None when the last write completed
    recovered: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _find_log(path: str | Path) -> Path:
    p = Path(path)
    if p.is_dir():
        p = p / LOG_NAME
    if not p.is_file():
        if p.name == LOG_NAME and p.parent.is_dir() and ((p.parent / HEAD_NAME).exists()
                                                         or _anchor(p.parent) is not None):
            return p  # the log was deleted but its head or results.json's anchor says it existed
        raise InterplayError(f"audit: no audit log at {str(p)!r} (a run directory holds {LOG_NAME}).")
    return p


#: What a keyless chain cannot prove, stated by every report of one.
KEYLESS_LIMITS = ("unkeyed SHA-256 chain: it shows the files agree with the chain, not that nobody rewrote them "
                  "all; a forger who edits a file can recompute every hash, the seal, the head and results.json's "
                  "anchor. Key the log (audit: {key_env: NAME}) or keep the last hash somewhere else")
KEYED_LIMITS = ("HMAC-SHA-256 chain: an edited, forged or re-hashed entry needs the key; a cut end is caught by the "
                "seal, the head and results.json's anchor. Whoever holds the key can still rewrite the whole log")

#: Run-directory files the final ``seal`` entry commits to (those present when the run ends).
SEALED_FILES = ("config.yaml", "results.json", "units.jsonl", "metrics.jsonl", "llm-calls.jsonl", "transcripts.jsonl")


def results_digest(path: Path) -> str:
    """SHA-256 of results.json without its ``audit`` section (which records the seal itself)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, dict):
        data.pop("audit", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                                     default=str).encode()).hexdigest()


def file_digests(run_dir: str | Path) -> dict[str, str]:
    """``{file: sha256}`` of a run directory's results.json, metrics.jsonl, transcripts and the other
    records a seal covers (those that exist)."""
    d = Path(run_dir)
    out: dict[str, str] = {}
    for name in SEALED_FILES:
        p = d / name
        if p.is_file():
            out[name] = results_digest(p) if name == "results.json" else hashlib.sha256(p.read_bytes()).hexdigest()
    tdir = d / "transcripts"
    if tdir.is_dir():
        for p in sorted(tdir.glob("*.json")):
            out[f"transcripts/{p.name}"] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _anchor(run_dir: Path) -> dict[str, Any] | None:
    """results.json's record of the audit head (``{"entries", "last_hash", ...}``), if any."""
    p = run_dir / "results.json"
    if not p.is_file():
        return None
    try:
        a = json.loads(p.read_text(encoding="utf-8")).get("audit")
    except (json.JSONDecodeError, AttributeError, OSError):
        return None
    return a if isinstance(a, dict) and "entries" in a and "last_hash" in a else None


def verify(path: str | Path, *, key_env: str | None = None, chain_only: bool = False) -> VerifyReport:
    """Re-read a log (a run directory or a .jsonl file) and check the whole chain.

    Checks, in order: every entry's hash and link (edited, deleted, reordered, re-hashed,
    malformed lines); the head file (missing, cut end, entries added after it); for a log
    in a run directory, results.json's anchor (its record of the entry count and last hash);
    and for a run's log (first entry ``run``), that it ends with the ``seal`` entry and that
    the files the seal lists still have the hashes it recorded. ``chain_only`` stops after
    the head (used when continuing a log). Returns a :class:`VerifyReport` naming the first
    problem; raises :class:`InterplayError` only when there is no log to read.
    """
    log = _find_log(path)
    head_path = log.with_name(log.stem + ".head.json")
    anchor = None if chain_only else _anchor(log.parent)
    head: dict[str, Any] | None = None
    if head_path.exists():
        try:
            loaded = json.loads(head_path.read_text())
            int(loaded["entries"])
            str(loaded["last_hash"])
            head = loaded
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            head = {"unreadable": True}
    algorithm = (head or {}).get("algorithm") or (anchor or {}).get("algorithm")
    named_env = (head or {}).get("key_env") or (anchor or {}).get("key_env")

    recovered: list[str] = []

    def report(ok: bool, n: int, last: str, line: int | None = None, seq: int | None = None,
               problem: str | None = None, message: str = "") -> VerifyReport:
        limits = KEYED_LIMITS if key_env else KEYLESS_LIMITS
        note = recovered[0] if recovered else None
        if ok and note:
            message = f"{message} ({note})"
        return VerifyReport(ok, n, str(log), last, line, seq, problem, message, limits, note)

    if algorithm == "hmac-sha256" and key_env is None:
        env = f" (its key was in ${named_env})" if named_env else ""
        return report(False, 0, GENESIS, problem="keyed",
                      message=f"keyed with HMAC-SHA-256{env}; cannot verify without the key: give "
                              f"--key-env {named_env or 'NAME'}. Nothing was found wrong, and nothing was checked.")
    if algorithm == "sha256" and key_env is not None:
        return report(False, 0, GENESIS, problem="not-keyed",
                      message="this log is not keyed (plain SHA-256); verify it without --key-env.")
    key = _key(key_env)
    if not log.exists():
        return report(False, 0, GENESIS, 1, 1, "deleted",
                      f"{log.name} is missing, but its head or results.json records a log: the log was deleted")
    text = log.read_text(encoding="utf-8", errors="replace")
    raw = text.split("\n")
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
    pending = (head or {}).get("pending") if isinstance((head or {}).get("pending"), dict) else None
    if (pending is not None and entries and entries[-1] is None and len(entries) == int(pending.get("seq", -1))
            and not text.endswith("\n")):
        # the writer was killed while writing the pending entry's line: its first part is all there is
        entries.pop()
        recovered.append(f"the write of entry {pending['seq']} was cut by a stop part-way; the cut line is "
                         "ignored and dropped when the log is continued")

    def bad(line: int, seq: int, problem: str, message: str, good: int, last: str) -> VerifyReport:
        return report(False, good, last, line, seq, problem, f"line {line} (entry {seq}): {message}")

    prev = GENESIS
    good_entries: list[dict[str, Any]] = []  # every entry, once each is known to be well formed
    for k, e in enumerate(entries, start=1):
        if e is None:
            return bad(k, k, "malformed", "not a valid audit entry (broken JSON or missing fields)", k - 1, prev)
        good_entries.append(e)
        seq = e.get("seq")
        if seq != k:
            later = [j for j, x in enumerate(entries[k:], start=k + 1) if x is not None and x.get("seq") == k]
            if later:
                return bad(k, k, "reordered", f"holds entry {seq}; entry {k} appears at line {later[0]} "
                           "(entries were reordered)", k - 1, prev)
            return bad(k, k, "deleted", f"entry {k} is missing (line {k} holds entry {seq}): deleted", k - 1, prev)
        if entry_hash(e, key) != e["hash"]:
            hint = (" (or the log is keyed and needs --key-env)" if k == 1 and key is None and head is None else "")
            return bad(k, k, "edited", f"its content does not match its hash (the entry was edited){hint}", k - 1,
                       prev)
        if e["prev"] != prev:
            return bad(k - 1, k - 1, "rehashed", f"entry {k - 1} was changed after entry {k} was written (entry {k} "
                       "recorded a different hash for it)", k - 2, prev)
        prev = e["hash"]
    n = len(entries)
    if (head is not None and not head.get("unreadable") and key is not None
            and head.get("mac") != head_mac(head, key)):
        return bad(n + 1, n + 1, "head-forged", f"{head_path.name} does not carry a valid HMAC under the key: it "
                   "was rewritten by someone without the key (or the key is wrong)", n, prev)
    if head is None:
        if n == 0:
            return bad(1, 1, "truncated", f"the log is empty and {HEAD_NAME} is missing: a log starts with an "
                       "entry, so it was emptied (and its head deleted)", 0, prev)
        return bad(n + 1, n + 1, "head-missing", f"{HEAD_NAME} is missing: without it a cut end cannot be told "
                   "from a complete log, so the log cannot be shown intact (was the head deleted?)", n, prev)
    if head.get("unreadable"):
        return bad(n + 1, n + 1, "malformed", f"the head file {head_path.name} is unreadable", n, prev)
    sealed, sealed_hash = int(head["entries"]), str(head["last_hash"])
    if pending is not None and n == sealed + 1 == int(pending.get("seq", -1)) and pending.get("hash") == prev:
        # written, but the writer stopped before the head sealed it: the head named this very entry
        sealed, sealed_hash = n, prev
        recovered.append(f"entry {n} was written but the writer stopped before sealing it in the head; "
                         "the head named it in advance")
    elif pending is not None and n == sealed and not recovered:
        recovered.append(f"the writer stopped before entry {pending.get('seq')} was written (the head named it "
                         "in advance; nothing is missing)")
    if sealed > n:
        return bad(n + 1, n + 1, "truncated", f"the log ends after entry {n} but its head records {sealed} "
                   f"entries: entries {n + 1}..{sealed} were deleted", n, prev)
    if sealed < n:
        return bad(sealed + 1, sealed + 1, "edited", f"entries {sealed + 1}..{n} were added after the head was "
                   f"sealed at {sealed}", sealed, prev)
    if sealed_hash != prev:
        return bad(n, n, "rehashed", "the last entry's hash differs from the one sealed in the head", n - 1, prev)
    if chain_only:
        return report(True, n, prev, message=f"intact: {n} entries, last hash {prev[:16]}...")
    if anchor is not None:
        a_n = int(anchor["entries"])
        if a_n > n:
            return bad(n + 1, n + 1, "truncated", f"results.json records {a_n} audit entries but the log (and its "
                       f"head) end at {n}: entries {n + 1}..{a_n} were cut and the head rewritten", n, prev)
        if a_n >= 1 and good_entries[a_n - 1]["hash"] != anchor["last_hash"]:
            return bad(a_n, a_n, "rehashed", "this entry's hash differs from the one results.json recorded for it",
                       a_n - 1, prev)
    is_run = n > 0 and good_entries[0]["kind"] == "run"
    if is_run:
        last = good_entries[-1]
        if last["kind"] != "seal":
            return bad(n + 1, n + 1, "unsealed", f"the log does not end with the run's seal entry: the run was killed "
                       f"before it finished, or the log was cut after entry {n} (and its head rewritten)", n, prev)
        if anchor is not None and int(anchor["entries"]) != n:
            return bad(n, n, "edited", f"results.json anchors entry {anchor['entries']} but the sealed log has "
                       f"{n} entries", n - 1, prev)
        recorded = dict(last["data"].get("files") or {})
        now = file_digests(log.parent)
        for name, digest in recorded.items():
            if name not in now:
                return bad(n, n, "files", f"{name} is sealed in the log but missing from the run directory", n, prev)
            if now[name] != digest:
                return bad(n, n, "files", f"{name} was changed after the run sealed it (its hash differs from "
                           "the seal's)", n, prev)
        extra = sorted(set(now) - set(recorded))
        if extra:
            return bad(n, n, "files", f"{', '.join(extra)} appeared after the run was sealed (not in the seal)", n,
                       prev)
    covered = " and the files it seals" if is_run else ""
    return report(True, n, prev, message=f"intact: {n} entries{covered}, last hash {prev[:16]}...")


def seal_entry(log: AuditLog, run_dir: str | Path, status: str) -> dict[str, Any]:
    """Append the run's final ``seal`` entry: its status and the hashes of its files."""
    return log.append("seal", {"status": status, "files": file_digests(run_dir)})


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
    """An ``on_event(record, event)`` hook for :func:`interplay.agents.match.play_match` and
    ``run_tournament``: appends every message (with its monitors' flags), move and outcome of a match
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
