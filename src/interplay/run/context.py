"""RunContext: what an experiment writes into its run directory.

Everything is written as it arrives (metrics line by line, figures as PNG, transcripts
as JSON), so an interrupted run keeps its finished work.

Units of work. A kind that does its work in units (a match, a question, a conversation, a
block of repetitions) reports each one as it finishes with :meth:`RunContext.unit_done`: its
record is appended at once to the journal ``units.jsonl`` (one line a unit, so an interrupt,
a crash or SIGKILL keeps every finished unit, and the cost per unit does not grow with the
run), and results.json is rewritten atomically, throttled so that rewriting it never takes
more than a small share of the run (see :class:`interplay.run.runner.Checkpoints`). On
``--resume``, :meth:`RunContext.finished_units` gives the units of the earlier run (read
from the journal), which the kind skips::

    done = ctx.finished_units()                  # {key: record} from the interrupted run
    for q in questions:
        if q.id in done:
            continue
        record = work(q)
        ctx.unit_done(q.id, record, metric={"correct": ...}, transcript=messages)

Every string written passes the run's :class:`~interplay.safety.secrets.Redactor`.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from interplay.run.resources import RunResources
from interplay.serialize import to_jsonable

__all__ = ["UNITS_JOURNAL", "RunContext", "Section", "load_units", "to_jsonable"]

#: The append-only journal of finished units in a run directory.
UNITS_JOURNAL = "units.jsonl"

T = TypeVar("T")


@dataclass
class Section:
    """One block of the report, in order of arrival."""

    kind: str  # "table" | "figure" | "text" | "transcript"
    title: str
    payload: dict[str, Any] = field(default_factory=dict)


class RunContext:
    """Handed to every experiment's run function."""

    def __init__(self, directory: Path, *, quiet: bool = False, redact: Callable[[Any], Any] | None = None,
                 units: dict[str, Any] | None = None) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.results: dict[str, Any] = {}
        self.sections: list[Section] = []
        self.quiet = quiet
        self._metrics_path = self.dir / "metrics.jsonl"
        self._units_path = self.dir / UNITS_JOURNAL
        self._t0 = time.time()
        #: the run-level audit log (an ``interplay.safety.audit.AuditLog``) when the config asks for one
        self.audit: Any = None
        #: the run's LLM cache, budget, call record and models (:mod:`interplay.run.resources`); the
        #: runner replaces this default (no cache, no limits) with the config's
        self.resources = RunResources(self.dir)
        #: False for kinds that audit every message themselves (transcripts are then not re-appended)
        self.audit_transcripts = True
        #: applied to everything written (secrets -> [REDACTED]); the identity when not given
        self.redact: Callable[[Any], Any] = redact or (lambda x: x)
        self._units: dict[str, Any] = dict(units or {})
        self._resumed = frozenset(self._units)
        self._planned: list[str] | None = None
        self._lock = threading.RLock()
        #: called after each unit with the context; the runner sets it to rewrite results.json
        self.on_checkpoint: Callable[[RunContext], None] | None = None
        #: the unit being worked on, if a kind says so (:meth:`unit_scope`): metric rows are tagged with it
        self.scope: str | None = None

    # -- units of work (results.json after every one; resume) -------------------
    def finished_units(self) -> dict[str, Any]:
        """``{key: record}`` of the units finished so far (those of the interrupted run when resuming)."""
        with self._lock:
            return dict(self._units)

    @property
    def resumed_units(self) -> frozenset[str]:
        """Keys of the units carried over from the interrupted run (empty unless resuming)."""
        return self._resumed

    def plan_units(self, keys: Iterable[str]) -> None:
        """Declare units the run means to do (added to those declared before): those never done are
        listed as ``not_played``."""
        with self._lock:
            planned = list(self._planned or [])
            planned += [k for k in map(str, keys) if k not in set(planned)]
            self._planned = planned

    def unit_done(self, key: str, record: Any, *, metric: dict[str, Any] | None = None,
                  transcript: Sequence[dict[str, Any]] | None = None, journal: str | None = None,
                  journal_row: dict[str, Any] | None = None) -> None:
        """One unit of work finished: append its record to units.jsonl, then checkpoint results.json.

        ``metric`` is appended to metrics.jsonl and ``journal_row`` to the JSONL file
        ``journal`` (both tagged ``unit: key``, so a resume keeps only finished units' rows);
        ``transcript`` is saved as transcripts/KEY.json. The record goes to the journal at
        once and under ``results.json["units"][key]``; keep it to plain data (JSON numbers
        round-trip exactly, so a resumed run rebuilds the same results from it).
        """
        key = str(key)
        rec = to_jsonable(record)
        with self._lock:
            if transcript is not None:
                self.save_transcript(key, transcript)
            if journal is not None and journal_row is not None:
                self.append_jsonl(journal, {"unit": key, **journal_row})
            if metric is not None:
                self.log_metric(unit=key, **metric)
            self.append_jsonl(UNITS_JOURNAL, {"unit": key, "record": rec})  # the unit is done once this line is
            self._units[key] = rec
            if self.on_checkpoint is not None:
                self.on_checkpoint(self)

    @contextlib.contextmanager
    def unit_scope(self, key: str) -> Iterator[None]:
        """Within it, metric rows without a ``unit`` are tagged ``unit: key``, so a resume keeps them
        only once the unit is done (for units whose rows are written before they finish)."""
        outer, self.scope = self.scope, str(key)
        try:
            yield
        finally:
            self.scope = outer

    def units_summary(self) -> dict[str, Any]:
        """What results.json says of the units: planned, done, resumed, and the ones never done."""
        with self._lock:
            done = list(self._units)
            out: dict[str, Any] = {"done": len(done), "resumed": len(self._resumed)}
            if self._planned is not None:
                out["planned"] = len(self._planned)
                out["not_played"] = [k for k in self._planned if k not in self._units]
            return out

    # -- progress --------------------------------------------------------------
    def progress(self, items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
        """Iterate with a rich progress bar (hidden when quiet or not a terminal)."""
        if self.quiet:
            yield from items
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        if total is None and isinstance(items, Sized):
            total = len(items)
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), TimeRemainingColumn(), transient=False) as bar:
            task = bar.add_task(description, total=total)
            for item in items:
                yield item
                bar.advance(task)

    # -- outputs ---------------------------------------------------------------
    def log_metric(self, **row: Any) -> None:
        """Append one row of metrics (e.g. step=..., reward=...) to metrics.jsonl."""
        if self.scope is not None and "unit" not in row:
            row = {"unit": self.scope, **row}
        row = self.redact(to_jsonable(row))
        with self._lock, self._metrics_path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(row) + "\n")
        if self.audit is not None:
            self.audit.append("metric", row)

    def append_jsonl(self, name: str, row: dict[str, Any]) -> Path:
        """Append one JSON line to NAME in the run directory (redacted)."""
        path = self.dir / name
        with self._lock, path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(self.redact(to_jsonable(row))) + "\n")
        return path

    def add_table(self, title: str, rows: Sequence[Sequence[Any]], columns: Sequence[str],
                  note: str = "") -> None:
        self.sections.append(Section("table", title, {"rows": to_jsonable(list(rows)),
                                                      "columns": list(columns), "note": note}))

    def add_figure(self, name: str, fig: Any, caption: str = "", title: str | None = None) -> Path:
        """Save a matplotlib figure as NAME.png in the run directory and show it in the report."""
        import matplotlib.pyplot as plt

        safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in name)
        path = self.dir / f"{safe}.png"
        fig.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(fig)
        self.show_figure(path.name, caption, title or name)
        return path

    def show_figure(self, file: str, caption: str = "", title: str | None = None) -> None:
        """Show a PNG already in the run directory (e.g. a finished unit's figure, on resume)."""
        self.sections.append(Section("figure", title or file, {"file": file, "caption": caption}))

    def add_text(self, title: str, text: str, html: bool = False) -> None:
        self.sections.append(Section("text", title, {"text": text, "html": html}))

    def save_transcript(self, name: str, messages: Sequence[dict[str, Any]]) -> Path:
        """Write transcripts/NAME.json (no report section, no audit entry); returns its path."""
        tdir = self.dir / "transcripts"
        tdir.mkdir(exist_ok=True)
        path = tdir / f"{transcript_file(name)}"
        write_atomic(path, json.dumps(self.redact(to_jsonable(list(messages))), indent=1))
        return path

    def add_transcript(self, name: str, messages: Sequence[dict[str, Any]], title: str | None = None) -> Path:
        """Save a transcript (list of message dicts) under transcripts/NAME.json and show it."""
        path = self.save_transcript(name, messages)
        data = self.redact(to_jsonable(list(messages)))
        if self.audit is not None and self.audit_transcripts:
            for m in data:
                self.audit.append("message", {"transcript": path.name, **m} if isinstance(m, dict) else m)
        self.sections.append(Section("transcript", title or name, {"file": f"transcripts/{path.name}",
                                                                   "messages": data}))
        return path

    def save_json(self, name: str, data: Any) -> Path:
        path = self.dir / name
        write_atomic(path, json.dumps(self.redact(to_jsonable(data)), indent=1))
        return path

    @property
    def elapsed(self) -> float:
        return time.time() - self._t0

    def journal_rows(self, name: str) -> dict[str, dict[str, Any]]:
        """``{unit: row}`` of a JSONL file's rows tagged ``unit`` (the last one of a unit wins;
        a line cut by a kill is skipped). A resuming kind reads its finished units' transcripts here."""
        return _read_unit_rows(self.dir / name)

    def keep_finished_rows(self, names: Iterable[str] = ("metrics.jsonl",)) -> None:
        """On resume: drop the JSONL rows of units that did not finish (a unit's rows carry ``unit``),
        and rewrite the units journal with the kept units only."""
        keep = set(self._units)
        write_atomic(self._units_path, "".join(json.dumps({"unit": k, "record": r}) + "\n"
                                               for k, r in self._units.items()))
        for name in names:
            path = self.dir / name
            if not path.exists():
                continue
            rows = []
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:  # a line cut by a kill: its unit is redone
                    continue
                if isinstance(row, dict) and row.get("unit") in keep:
                    rows.append(line)
            write_atomic(path, "".join(r + "\n" for r in rows))

    def read_metrics(self) -> list[dict[str, Any]]:
        if not self._metrics_path.exists():
            return []
        return [json.loads(line) for line in self._metrics_path.read_text().splitlines() if line.strip()]


def _read_unit_rows(path: Path) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    if not path.is_file():
        return out
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:  # a line cut by a kill: its unit is redone
                continue
            if isinstance(row, dict) and isinstance(row.get("unit"), str):
                out[row["unit"]] = row
    return out


def load_units(run_dir: str | Path) -> dict[str, Any] | None:
    """``{key: record}`` of the finished units in a run directory's ``units.jsonl`` (None: no journal)."""
    path = Path(run_dir) / UNITS_JOURNAL
    if not path.is_file():
        return None
    return {k: row.get("record") for k, row in _read_unit_rows(path).items()}


def transcript_file(name: str) -> str:
    """The file name a transcript called ``name`` is saved as, under transcripts/."""
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in str(name))[:150] + ".json"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename: a reader (or a kill)
    sees the old content or the new, never half of it."""
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
