"""The answer cache: one SQLite file (standard library), safe under concurrent writers.

Keys are :func:`interplay.llm.base.request_key` hashes of the model identity
(provider and model name) and the full request (operation, messages, sampling
parameters); the API key and the server address are never part of a key or a
value. With the cache, re-running a finished study makes no calls and gives the
same answers.

Concurrency: the database runs in WAL mode with a busy timeout, every thread
uses its own connection, and a write is a single ``INSERT OR IGNORE`` (the first
answer stored under a key wins), so several processes or threads can share one
file. A file that is not a SQLite database, or a database that is not an
interplay cache, is reported (a warning and :attr:`LLMCache.set_aside`) and
renamed to ``<name>.corrupt-<time>``; a fresh cache takes its place and the run
goes on. An error while reading or writing later disables the cache for the rest
of the run, with a warning, instead of crashing.

A single stored row that is not JSON, or JSON of the wrong shape (checked by the
model with :func:`interplay.llm.base.stored_problem`), is a miss: it is reported
(:meth:`LLMCache.report`: a warning and :attr:`LLMCache.problems`), the call is made
again, and the fresh answer replaces the row.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
import warnings
from pathlib import Path
from typing import Any

from interplay.errors import InterplayError

log = logging.getLogger(__name__)

FORMAT = "interplay-llm-cache"
VERSION = "1"


class CacheWarning(UserWarning):
    """A cache file was corrupt or foreign and was set aside, or the cache was disabled."""


class LLMCache:
    """SQLite answer cache at ``path`` (created with its parent folders if missing)."""

    def __init__(self, path: str | Path, *, timeout: float = 30.0) -> None:
        self.path = Path(path).expanduser()
        self.timeout = float(timeout)
        self.set_aside: Path | None = None
        self.problems: list[str] = []
        self.disabled = False
        self.bad_rows = 0
        self.hits = 0
        self.misses = 0
        self._local = threading.local()
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InterplayError(f"LLM cache {self.path}: cannot create its folder ({exc}).") from None
        self._open_checked()

    def __repr__(self) -> str:
        return f"LLMCache({str(self.path)!r})"

    # -- opening -------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
        return conn

    def _open_checked(self) -> None:
        problem = self._check()
        if problem is not None:
            self._move_aside(problem)
            problem = self._check()
            if problem is not None:  # pragma: no cover - a fresh file that fails is an OS problem
                raise InterplayError(f"LLM cache {self.path}: cannot create a fresh cache ({problem}).")

    def _check(self) -> str | None:
        """Create the schema if the file is new; return a problem description if it is not ours."""
        try:
            conn = self._connect()
            try:
                tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
                if not tables:
                    conn.execute("PRAGMA journal_mode=WAL")
                    conn.execute("BEGIN IMMEDIATE")
                    conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                    conn.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, model TEXT, "
                                 "value TEXT NOT NULL, created REAL NOT NULL)")
                    conn.execute("INSERT OR IGNORE INTO meta VALUES ('format', ?), ('version', ?)", (FORMAT, VERSION))
                    conn.execute("COMMIT")
                    return None
                if not {"meta", "answers"} <= tables:
                    return f"not an interplay LLM cache (tables: {sorted(tables)})"
                meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
                if meta.get("format") != FORMAT:
                    return f"not an interplay LLM cache (format {meta.get('format')!r})"
                if meta.get("version") != VERSION:
                    return f"cache version {meta.get('version')!r}, this interplay reads version {VERSION!r}"
                conn.execute("PRAGMA journal_mode=WAL")
                row = conn.execute("PRAGMA quick_check").fetchone()
                if row is None or row[0] != "ok":
                    return f"damaged database ({row[0] if row else 'no answer from quick_check'})"
                return None
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            return f"not a readable SQLite database ({exc})"

    def _move_aside(self, problem: str) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while target.exists():
            target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
            n += 1
        self.path.rename(target)
        for suffix in ("-wal", "-shm"):
            side = self.path.with_name(self.path.name + suffix)
            if side.exists():
                side.rename(target.with_name(target.name + suffix))
        msg = f"LLM cache {self.path}: {problem}; moved it to {target} and started a fresh cache."
        self.set_aside = target
        self.problems.append(msg)
        log.warning(msg)
        warnings.warn(msg, CacheWarning, stacklevel=3)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    def _disable(self, exc: Exception) -> None:
        with self._lock:
            if self.disabled:
                return
            self.disabled = True
        msg = f"LLM cache {self.path}: {exc}; the cache is off for the rest of this run."
        self.problems.append(msg)
        log.warning(msg)
        warnings.warn(msg, CacheWarning, stacklevel=3)

    # -- use -----------------------------------------------------------------------
    def report(self, message: str) -> None:
        """Report a problem with one stored row (a warning, a log line, :attr:`problems`)."""
        with self._lock:
            self.bad_rows += 1
            first = message not in self.problems
            if first:
                self.problems.append(message)
        if first:
            log.warning(message)
            warnings.warn(message, CacheWarning, stacklevel=3)

    def get(self, key: str) -> Any:
        """The stored answer for ``key`` (normally a dict; the raw text if the row is not JSON), or None."""
        if self.disabled:
            return None
        try:
            row = self._conn().execute("SELECT value FROM answers WHERE key = ?", (key,)).fetchone()
        except sqlite3.DatabaseError as exc:
            self._disable(exc)
            return None
        value = None
        if row is not None:
            try:
                value = json.loads(row[0])
            except (json.JSONDecodeError, TypeError):
                value = row[0]  # not JSON: the model sees a value of the wrong shape and treats it as a miss
        with self._lock:
            if value is None:
                self.misses += 1
            else:
                self.hits += 1
        return value

    def put(self, key: str, value: dict[str, Any], *, model: str = "", replace: bool = False) -> None:
        """Store an answer; the first answer under a key wins (``replace=True`` overwrites a bad row)."""
        if self.disabled:
            return
        verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
        try:
            self._conn().execute(f"{verb} INTO answers VALUES (?, ?, ?, ?)",
                                 (key, model, json.dumps(value, ensure_ascii=False), time.time()))
        except sqlite3.DatabaseError as exc:
            self._disable(exc)

    def __len__(self) -> int:
        try:
            return int(self._conn().execute("SELECT COUNT(*) FROM answers").fetchone()[0])
        except sqlite3.DatabaseError:
            return 0

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
