"""Plain-JSON conversion shared by every stage (results, transcripts, audit entries)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np


def to_jsonable(x: Any) -> Any:
    """Convert numpy/jax scalars and arrays, tuples and dataclass-like objects to JSON types."""
    if isinstance(x, dict):
        return {str(k): to_jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [to_jsonable(v) for v in x]
    if hasattr(x, "tolist") and not isinstance(x, str):
        return to_jsonable(x.tolist())
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return None
    if isinstance(x, np.generic):
        return x.item()
    if hasattr(x, "model_dump"):
        return to_jsonable(x.model_dump())
    if hasattr(x, "to_dict"):
        return to_jsonable(x.to_dict())
    if isinstance(x, Path):
        return str(x)
    return x


def parse_jsonl(lines: Any, where: str, build: Any, what: str = "records") -> list[Any]:
    """Records from JSONL lines, every bad line reported together, each by its number.

    ``build(obj, lineno)`` turns one JSON value into a record with an ``id`` attribute, or
    raises ValueError saying what is wrong with it. Blank lines are skipped; an id used twice
    is an error naming both lines. Raises :class:`interplay.errors.InterplayError`.
    """
    import json

    from interplay.errors import InterplayError

    out: list[Any] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"line {lineno}: not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        try:
            record = build(obj, lineno)
        except ValueError as exc:
            errors.append(f"line {lineno}: {exc}")
            continue
        rid = str(record.id)
        if rid in seen:
            errors.append(f"line {lineno}: id {rid!r} already used on line {seen[rid]}")
            continue
        seen[rid] = lineno
        out.append(record)
    if errors:
        shown = errors[:20] + ([f"... and {len(errors) - 20} more"] if len(errors) > 20 else [])
        raise InterplayError(f"{where}: {len(errors)} bad line(s):\n  " + "\n  ".join(shown))
    if not out:
        raise InterplayError(f"{where}: no {what} (the file is empty).")
    return out


def read_yaml_mapping(path: Any, what: str = "config file") -> dict[str, Any]:
    """A YAML file holding a mapping, with errors that name the file, line and column.

    Missing files, malformed YAML and a non-mapping top level raise InterplayError; an empty
    file gives ``{}``.
    """
    import yaml

    from interplay.errors import InterplayError

    p = Path(path).expanduser()
    if not p.is_file():
        raise InterplayError(f"{what} {str(p)!r} does not exist.")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InterplayError(f"{what} {p}: malformed YAML{where}: {problem}.") from None
    except UnicodeDecodeError as exc:
        raise InterplayError(f"{what} {p}: not UTF-8 text ({exc.reason}).") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InterplayError(f"{what} {p}: expected a mapping of fields, got {type(data).__name__}.")
    return data
