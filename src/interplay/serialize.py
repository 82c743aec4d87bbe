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
    for method in ("model_dump", "to_dict"):  # pydantic models, interplay's records
        convert = getattr(x, method, None)
        if callable(convert):
            return to_jsonable(convert())
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


#: Deepest nesting of mappings and lists a YAML file may have (configs need a handful).
YAML_MAX_DEPTH = 50
#: Most values a YAML file's aliases (``*name``) may expand it to.
YAML_MAX_EXPANDED = 100_000


class YamlMapping(dict):
    """A mapping read from a YAML file, remembering where each field was written.

    ``lines[path]`` is the 1-based line of the key (or list item) at ``path``, a tuple of
    keys and list indices, e.g. ``lines[("game", "params", "horizon")]``. Values reached
    only through an alias are not listed.
    """

    lines: dict[tuple[Any, ...], int]
    source: str

    def line_of(self, path: tuple[Any, ...]) -> int | None:
        """The line of ``path``, or of its nearest written ancestor; None if unknown."""
        lines = getattr(self, "lines", {})
        for k in range(len(path), 0, -1):
            if path[:k] in lines:
                return lines[path[:k]]
        return None


def _yaml_loader_class() -> Any:
    """A SafeLoader that refuses duplicate keys, deep nesting, and recursive or exploding aliases."""
    import yaml
    from yaml.constructor import ConstructorError
    from yaml.events import AliasEvent
    from yaml.nodes import MappingNode

    class Loader(yaml.SafeLoader):
        def __init__(self, stream: Any) -> None:
            super().__init__(stream)
            self._depth = 0
            self.aliases = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(AliasEvent):
                self.aliases += 1
                return super().compose_node(parent, index)
            self._depth += 1
            try:
                if self._depth > YAML_MAX_DEPTH:
                    raise ConstructorError(None, None, f"nested more than {YAML_MAX_DEPTH} levels deep",
                                           self.peek_event().start_mark)
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            if isinstance(node, MappingNode):
                seen: dict[Any, int] = {}
                for key_node, _ in node.value:
                    if key_node.tag == "tag:yaml.org,2002:merge":
                        continue
                    key = self.construct_object(key_node, deep=True)
                    try:
                        first = seen.get(key)
                    except TypeError:  # unhashable: the base class reports it
                        continue
                    if first is not None:
                        raise ConstructorError(None, None, f"duplicate key {_short(key)} (first given at line "
                                               f"{first})", key_node.start_mark)
                    seen[key] = key_node.start_mark.line + 1
            return super().construct_mapping(node, deep)

    return Loader


def _short(value: Any, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters (error messages never echo a large input)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _children(node: Any) -> list[Any]:
    from yaml.nodes import MappingNode, SequenceNode

    if isinstance(node, MappingNode):
        return [x for pair in node.value for x in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def _check_aliases(root: Any) -> None:
    """Refuse a node graph whose aliases are recursive, expand it past YAML_MAX_EXPANDED values
    or nest it deeper than YAML_MAX_DEPTH. Iterative, linear in the written nodes."""
    from yaml.constructor import ConstructorError

    done: dict[int, tuple[int, int]] = {}  # id(node) -> (expanded size, expanded depth)
    open_: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        nid = id(node)
        if finished:
            kids = [done[id(c)] for c in _children(node)]
            size = 1 + sum(k[0] for k in kids)
            depth = 1 + max((k[1] for k in kids), default=0)
            open_.discard(nid)
            done[nid] = (size, depth)
            if size > YAML_MAX_EXPANDED:
                raise ConstructorError(None, None, f"aliases expand this value to more than {YAML_MAX_EXPANDED:,} "
                                       f"values (from {len(done):,} written); refusing it", node.start_mark)
            if depth > YAML_MAX_DEPTH:
                raise ConstructorError(None, None, f"aliases nest this value more than {YAML_MAX_DEPTH} levels "
                                       "deep", node.start_mark)
            continue
        if nid in done:
            continue
        if nid in open_:
            raise ConstructorError(None, None, "an alias refers to a value that contains it (a recursive "
                                   "structure)", node.start_mark)
        open_.add(nid)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in done)


def _node_lines(loader: Any, root: Any) -> dict[tuple[Any, ...], int]:
    """Line (1-based) of every key and list item reachable without an alias, by path."""
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    lines: dict[tuple[Any, ...], int] = {}
    seen: set[int] = set()

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, MappingNode):
            for k, v in node.value:
                if isinstance(k, ScalarNode):
                    key = loader.construct_object(k, deep=True)
                    try:
                        hash(key)
                    except TypeError:
                        continue
                    lines.setdefault(path + (key,), k.start_mark.line + 1)
                    walk(v, path + (key,))
        elif isinstance(node, SequenceNode):
            for i, item in enumerate(node.value):
                lines.setdefault(path + (i,), item.start_mark.line + 1)
                walk(item, path + (i,))

    walk(root, ())
    return lines


def load_yaml_text(text: str) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """Parse one YAML document safely: (value, line of each key by path).

    Refuses (with ``yaml.YAMLError`` carrying the line) duplicate keys, nesting deeper than
    ``YAML_MAX_DEPTH``, recursive aliases and aliases expanding past ``YAML_MAX_EXPANDED``
    values (a "billion laughs" bomb), all before any value is built.
    """
    loader = _yaml_loader_class()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        if loader.aliases:
            _check_aliases(node)
        data = loader.construct_document(node)
        return data, _node_lines(loader, node)
    finally:
        loader.dispose()


def read_yaml_mapping(path: Any, what: str = "config file") -> YamlMapping:
    """A YAML file holding a mapping, with errors that name the file, line and column.

    A missing path, a folder, an empty file, malformed YAML (including duplicate keys, deep
    nesting and alias bombs, see :func:`load_yaml_text`) and a non-mapping top level raise
    InterplayError. The result records the line of every field (:class:`YamlMapping`).
    """
    import yaml

    from interplay.errors import InterplayError

    p = Path(path).expanduser()
    if p.is_dir():
        raise InterplayError(f"{what} {str(p)!r} is a directory, not a file.")
    if not p.is_file():
        raise InterplayError(f"{what} {str(p)!r} does not exist.")
    try:
        data, lines = load_yaml_text(p.read_text(encoding="utf-8"))
    except yaml.reader.ReaderError as exc:
        raise InterplayError(f"{what} {p}: character #x{exc.character:04x} at position {exc.position} is not "
                             "allowed in YAML.") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise InterplayError(f"{what} {p}: malformed YAML{where}: {problem}.") from None
    except UnicodeDecodeError as exc:
        raise InterplayError(f"{what} {p}: not UTF-8 text ({exc.reason}).") from None
    except OSError as exc:
        raise InterplayError(f"{what} {p}: cannot be read ({exc.strerror or exc}).") from None
    if data is None:
        raise InterplayError(f"{what} {p} is empty (it holds no fields).")
    if not isinstance(data, dict):
        raise InterplayError(f"{what} {p}: expected a mapping of fields, got {type(data).__name__}.")
    out = YamlMapping(data)
    out.lines = lines
    out.source = str(p)
    return out
