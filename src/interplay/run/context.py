"""RunContext: what an experiment writes into its run directory.

Everything is written as it arrives (metrics line by line, figures as PNG, transcripts
as JSON), so an interrupted run keeps its finished work.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from interplay.serialize import to_jsonable

__all__ = ["RunContext", "Section", "to_jsonable"]

T = TypeVar("T")


@dataclass
class Section:
    """One block of the report, in order of arrival."""

    kind: str  # "table" | "figure" | "text" | "transcript"
    title: str
    payload: dict[str, Any] = field(default_factory=dict)


class RunContext:
    """Handed to every experiment's run function."""

    def __init__(self, directory: Path, *, quiet: bool = False) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.results: dict[str, Any] = {}
        self.sections: list[Section] = []
        self.quiet = quiet
        self._metrics_path = self.dir / "metrics.jsonl"
        self._t0 = time.time()
        #: the run-level audit log (an ``interplay.safety.audit.AuditLog``) when the config asks for one
        self.audit: Any = None

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

        if total is None and hasattr(items, "__len__"):
            total = len(items)  # type: ignore[arg-type]
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), TimeRemainingColumn(), transient=False) as bar:
            task = bar.add_task(description, total=total)
            for item in items:
                yield item
                bar.advance(task)

    # -- outputs ---------------------------------------------------------------
    def log_metric(self, **row: Any) -> None:
        """Append one row of metrics (e.g. step=..., reward=...) to metrics.jsonl."""
        with self._metrics_path.open("a") as fh:
            fh.write(json.dumps(to_jsonable(row)) + "\n")
        if self.audit is not None:
            self.audit.append("metric", row)

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
        self.sections.append(Section("figure", title or name, {"file": path.name, "caption": caption}))
        return path

    def add_text(self, title: str, text: str, html: bool = False) -> None:
        self.sections.append(Section("text", title, {"text": text, "html": html}))

    def add_transcript(self, name: str, messages: Sequence[dict[str, Any]], title: str | None = None) -> Path:
        """Save a transcript (list of message dicts) under transcripts/NAME.json and show it."""
        tdir = self.dir / "transcripts"
        tdir.mkdir(exist_ok=True)
        safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in name)
        path = tdir / f"{safe}.json"
        data = to_jsonable(list(messages))
        path.write_text(json.dumps(data, indent=1))
        if self.audit is not None:
            for m in data:
                self.audit.append("message", {"transcript": path.name, **m} if isinstance(m, dict) else m)
        self.sections.append(Section("transcript", title or name, {"file": f"transcripts/{path.name}",
                                                                   "messages": data}))
        return path

    def save_json(self, name: str, data: Any) -> Path:
        path = self.dir / name
        path.write_text(json.dumps(to_jsonable(data), indent=1))
        return path

    @property
    def elapsed(self) -> float:
        return time.time() - self._t0

    def read_metrics(self) -> list[dict[str, Any]]:
        if not self._metrics_path.exists():
            return []
        return [json.loads(line) for line in self._metrics_path.read_text().splitlines() if line.strip()]
