"""Property-based fuzzing of `interplay run --check` over mutated example configs.

Every examples/*.yaml is mutated (fields deleted, retyped, set to extremes, keys misspelt, and
YAML-level junk: truncation, stray characters, duplicate lines, alias bombs, deep nesting) and
validated in-process through the CLI entry point. Every outcome must be exit 0, or exit 2 with a
message naming the file (and the line, for malformed YAML) and the mutated field; never a
traceback, never past a per-case time bound. The case budget is fixed and derandomised, so the
run is the same on any machine and fits CI.
"""

from __future__ import annotations

import collections
import shutil
import traceback
from pathlib import Path
from typing import Any

import pytest
import yaml
from fuzzing import EXTREMES, Hang, misspell, parent_of, paths, rename_key, run_cli, set_field
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
#: Fixed case budget (derandomised): the whole module stays well under 60 s on 2 cores.
CASES = 300
#: Seconds one validation may take before it counts as a hang (measured: ~0.01-0.2 s each).
TIME_BOUND = 10.0

STATS: collections.Counter[str] = collections.Counter()

#: the shared extremes, and text that is not plain
UNUSUAL = [*EXTREMES, "\u202e\u0000"]
JUNK = [":", "[", "{", "]", "}", "- ", "\t", "&a ", "*a ", "*undefined", "!!python/object:os.system ", "%YAML 1.1\n",
        "---\n", '"', "'", "? ", "|", ">", "\x00", "\x07", "@", "`", "#", ",", "!!binary ", "<<: *a\n", "\ufeff"]


def billion_laughs() -> str:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    return "\n".join(lines) + "\n"


@st.composite
def mutated(draw: Any) -> dict[str, Any]:
    """(example name, mutated text, mutation kind, the field names the error should mention)."""
    src = draw(st.sampled_from(EXAMPLES))
    text = src.read_text()
    data = yaml.safe_load(text)
    kind = draw(st.sampled_from(["delete", "retype", "extreme", "misspell", "junk"]))
    fields: list[str] = []
    if kind == "junk":
        how = draw(st.sampled_from(["insert", "truncate", "duplicate-line", "bomb", "deep", "replace", "empty"]))
        lines = text.splitlines(keepends=True)
        if how == "insert":
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(st.sampled_from(JUNK)) + text[at:]
        elif how == "truncate":
            text = text[: draw(st.integers(0, len(text)))]
        elif how == "duplicate-line":
            i = draw(st.integers(0, len(lines) - 1))
            text = "".join(lines[: i + 1] + [lines[i]] + lines[i + 1:])
        elif how == "bomb":
            text = text + billion_laughs()
        elif how == "deep":
            depth = draw(st.sampled_from([60, 500, 2000]))
            text = text + "deep: " + "[" * depth + "]" * depth + "\n"
        elif how == "replace":
            text = draw(st.sampled_from(["- a\n- b\n", "just a string\n", "42\n", "null\n", "[1, 2\n", "{a: 1\n"]))
        else:
            text = draw(st.sampled_from(["", "\n\n", "# comment only\n", "---\n"]))
        kind = f"junk:{how}"
    else:
        candidates = paths(data)
        if kind == "misspell":
            candidates = [p for p in candidates if isinstance(p[-1], str)]
        path = draw(st.sampled_from(candidates))
        parent = parent_of(data, path)
        fields = [k for k in path if isinstance(k, str)]
        if kind == "misspell":
            new = misspell(path[-1], draw(st.integers(0, 3)))
            if new in parent:
                new = new + "_x"
            rename_key(parent, path[-1], new)
            fields = [new]
        else:
            set_field(draw, parent, path[-1], kind, UNUSUAL)
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=False)
    return {"example": src.name, "text": text, "kind": kind, "fields": fields}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: Any) -> Path:
    """A copy of examples/ (model files and data beside the configs, as in the repository)."""
    d = tmp_path_factory.mktemp("fuzz") / "examples"
    shutil.copytree(ROOT / "examples", d)
    return d


def run_check(path: Path) -> tuple[int, str, float]:
    """`interplay run PATH --check` in-process: (exit code, stderr, seconds); raises on a hang."""
    return run_cli(["run", str(path), "--check"], TIME_BOUND)


def test_every_example_is_valid(workdir):
    for src in EXAMPLES:
        code, err, _ = run_check(workdir / src.name)
        assert code == 0, (src.name, err)


@settings(max_examples=CASES, derandomize=True, deadline=None, database=None, print_blob=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(case=mutated())
def test_mutated_configs_exit_0_or_2_with_a_clear_message(workdir, case):
    path = workdir / f"fuzzed-{case['example']}"
    path.write_text(case["text"], encoding="utf-8")
    STATS["cases"] += 1
    try:
        code, err, seconds = run_check(path)
    except Hang:
        STATS["hangs"] += 1
        pytest.fail(f"hang (> {TIME_BOUND} s) on {case['kind']} of {case['example']}:\n{case['text'][:2000]}")
    except BaseException as exc:  # anything but a clean exit is a traceback for the user
        STATS["tracebacks"] += 1
        pytest.fail(f"traceback on {case['kind']} of {case['example']}: {type(exc).__name__}: {exc}\n"
                    f"{traceback.format_exc()[-3000:]}\n--- config ---\n{case['text'][:2000]}")
    STATS["max_ms"] = max(STATS["max_ms"], int(seconds * 1000))
    message = " ".join(err.split())
    assert code in (0, 2), (code, err)
    assert "Traceback" not in err
    if code == 0:
        STATS["exit 0"] += 1
        return
    STATS["exit 2"] += 1
    assert str(path) in message, message  # names the file
    if "malformed YAML" in message:
        assert " line " in message, message
    if case["fields"]:
        named = [f for f in case["fields"] if f in message]
        assert named, (case["kind"], case["fields"], message)
        STATS["exit 2 naming the deepest field" if case["fields"][-1] in message else "exit 2 naming a parent"] += 1
    if f"{path}:" in message.replace(f"{path}: ", ""):
        STATS["exit 2 with FILE:LINE"] += 1


def test_fuzz_statistics():
    """Runs after the fuzz test (file order): every case ended cleanly, none hung."""
    print("\nfuzz statistics:", dict(STATS))
    assert STATS["cases"] >= CASES
    assert STATS["tracebacks"] == 0 and STATS["hangs"] == 0
    assert STATS["exit 0"] + STATS["exit 2"] == STATS["cases"]
    assert STATS["max_ms"] < TIME_BOUND * 1000
