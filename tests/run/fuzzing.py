"""What the two config fuzz modules (test_fuzz.py, test_fuzz_run.py) share: the values a field is
set to, the paths of a parsed config, the mutation of one field, and the CLI run in-process under a
time bound (a hang raises :class:`Hang`)."""

from __future__ import annotations

import contextlib
import io
import math
import signal
import time
from collections.abc import Callable, Sequence
from typing import Any

from interplay.cli import main

RETYPED = ["", "abc", 0, -1, 1.5, True, None, [], {}, [1, 2], {"x": 1}, "Tit For Tat"]
EXTREMES = [1e300, -1e300, math.inf, -math.inf, math.nan, 2**63, -(2**63), 10**9, 0, -1, 2.5, 1e-300,
            "x" * 300, "a\x00b", "../../x"]


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key and list-item path of a parsed config."""
    out: list[tuple[Any, ...]] = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for k, v in items:
        out.append(prefix + (k,))
        out += paths(v, prefix + (k,))
    return out


def parent_of(data: Any, path: tuple[Any, ...]) -> Any:
    for k in path[:-1]:
        data = data[k]
    return data


def misspell(key: str, how: int) -> str:
    if len(key) < 2:
        return key + "x"
    k = how % 4
    if k == 0:
        return key[1] + key[0] + key[2:]  # swap the first two letters
    if k == 1:
        return key[:-1]  # drop the last letter
    if k == 2:
        return key + "s"
    return key.upper()


def set_field(draw: Callable[[Any], Any], parent: Any, key: Any, kind: str, extremes: Sequence[Any]) -> None:
    """Mutate ``parent[key]``: ``delete`` it, ``retype`` it (a value of :data:`RETYPED`) or set it to
    an ``extreme`` (one of ``extremes``); misspelling is the caller's (see :func:`rename_key`)."""
    from hypothesis import strategies as st

    if kind == "delete":
        del parent[key]
    elif kind == "retype":
        parent[key] = draw(st.sampled_from(RETYPED))
    elif kind == "extreme":
        parent[key] = draw(st.sampled_from(list(extremes)))
    else:
        raise ValueError(kind)


def rename_key(parent: dict[Any, Any], key: Any, new: Any) -> None:
    """Rename one key of a mapping in place, keeping the order of its items."""
    items = list(parent.items())
    parent.clear()
    parent.update((new if k == key else k, v) for k, v in items)


class Hang(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise Hang()


def run_cli(args: list[str], time_bound: float) -> tuple[int, str, float]:
    """``interplay ARGS`` in-process: (exit code, stderr, seconds); raises :class:`Hang` past ``time_bound``."""
    err = io.StringIO()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, time_bound)
    t0 = time.perf_counter()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                main(args)
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    return code, err.getvalue(), time.perf_counter() - t0
