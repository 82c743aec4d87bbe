"""The YAML-mapping reader: alias bombs, deep nesting, duplicate keys, folders and empty files
are refused with the file and line, fast and in bounded memory, never echoing the input."""

import time
import tracemalloc

import pytest

from interplay.errors import InterplayError
from interplay.serialize import YAML_MAX_DEPTH, YAML_MAX_EXPANDED, load_yaml_text, read_yaml_mapping


def billion_laughs(levels: int = 9, width: int = 9) -> str:
    """The classic bomb: each level lists the previous one ``width`` times (width**levels strings)."""
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "kind: tournament\n" + "\n".join(lines) + "\n"


def refused(tmp_path, text: str, name: str = "x.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InterplayError) as info:
        read_yaml_mapping(path)
    msg = str(info.value)
    assert str(path) in msg
    return msg


def test_alias_bomb_is_refused_fast_in_bounded_memory(tmp_path):
    text = billion_laughs()
    assert len(text.encode()) < 1000  # 9**9 = 387,420,489 strings once expanded
    tracemalloc.start()
    t0 = time.perf_counter()
    msg = refused(tmp_path, text)
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert f"more than {YAML_MAX_EXPANDED:,} values" in msg
    assert "line " in msg
    assert "lol" not in msg  # the (expanded) input is never printed
    assert seconds < 1.0, seconds  # measured ~0.01 s
    assert peak < 20 * 2**20, peak  # measured well under 1 MB


def test_aliases_that_stay_small_still_work():
    data, lines = load_yaml_text("base: &b {x: 1, y: [1, 2]}\nother: *b\nmerged: {<<: *b, x: 2}\n")
    assert data == {"base": {"x": 1, "y": [1, 2]}, "other": {"x": 1, "y": [1, 2]}, "merged": {"x": 2, "y": [1, 2]}}
    assert lines[("base", "x")] == 1 and lines[("merged",)] == 3


def test_recursive_alias_is_refused(tmp_path):
    assert "recursive" in refused(tmp_path, "a: &a [1, *a]\n")


def test_alias_chain_cannot_nest_past_the_depth_limit(tmp_path):
    # every line is shallow, but each alias wraps the previous value once more
    lines = ["x0: &x0 [1]"] + [f"x{i}: &x{i} [*x{i - 1}]" for i in range(1, 2 * YAML_MAX_DEPTH)]
    msg = refused(tmp_path, "\n".join(lines) + "\n")
    assert f"more than {YAML_MAX_DEPTH} levels deep" in msg


@pytest.mark.parametrize("text", [
    "kind: tournament\nx: " + "[" * 2000 + "]" * 2000 + "\n",
    "x:\n" + "".join("  " * d + "a:\n" for d in range(1, 2001)),
    "x: " + "{a: " * 2000 + "1" + "}" * 2000 + "\n",
])
def test_deep_nesting_is_a_clear_error_not_a_recursion_error(tmp_path, text):
    msg = refused(tmp_path, text)
    assert f"nested more than {YAML_MAX_DEPTH} levels deep" in msg and "line " in msg


def test_duplicate_keys_name_both_lines(tmp_path):
    msg = refused(tmp_path, "kind: tournament\nseed: 1\nname: a\nseed: 2\n")
    assert "duplicate key 'seed'" in msg
    assert "line 4" in msg and "first given at line 2" in msg


def test_nested_duplicate_keys_are_refused(tmp_path):
    msg = refused(tmp_path, "game:\n  id: ipd-v1\n  params: {discount: 0.9, discount: 0.5}\n")
    assert "duplicate key 'discount'" in msg and "line 3" in msg and "first given at line 3" in msg


def test_folder_empty_file_and_non_mapping(tmp_path):
    with pytest.raises(InterplayError, match="is a directory, not a file"):
        read_yaml_mapping(tmp_path)
    assert "is empty" in refused(tmp_path, "# only a comment\n", name="empty.yaml")
    assert "expected a mapping" in refused(tmp_path, "- 1\n- 2\n", name="list.yaml")
    assert "not allowed in YAML" in refused(tmp_path, "a: b\x00\n", name="nul.yaml")


def test_lines_of_fields():
    text = "kind: tournament\ngame:\n  id: ipd-v1\n  params:\n    horizon: 5\nxs:\n  - 1\n  - 2\n"
    data, lines = load_yaml_text(text)
    assert data["game"]["params"]["horizon"] == 5
    assert lines[("game", "params", "horizon")] == 5
    assert lines[("xs", 1)] == 8
