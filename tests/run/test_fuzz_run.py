"""Fuzzing that really runs: mutated small configs of the examples, run to the end.

The --check fuzz (test_fuzz.py) validates configs; this module also *runs* a fixed,
derandomised share of mutated ones. Every example that runs offline is first shrunk to
tiny sizes (a few turns, seeds, updates, questions); a mutation then deletes, retypes,
sets to an extreme value or misspells one field that is not a size (so a case cannot
simply ask for a long run), and the config is run with ``interplay run CONFIG -o DIR``
in-process. Every outcome must be exit 0 (with results.json saying the run finished) or
exit 2 (a clear message, nothing half-written reported as finished); never a traceback,
never past a time bound per case. The case budget keeps the module near a minute on 2 cores.
"""

from __future__ import annotations

import collections
import json
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

#: Examples that run offline (simulated or replayed models, no weights), and how to make them tiny:
#: dotted path -> value; a list value of None keeps only the first few items of a list.
SHRINK: dict[str, dict[str, Any]] = {
    "tournament.yaml": {"turns": 5, "repetitions": 1, "strategies": ("first", 4), "policies": ("first", 1)},
    "lola-ipd.yaml": {"seeds": 2, "updates": 3, "pairings": ("first", 2)},
    "lola-mp.yaml": {"seeds": 2, "updates": 3},
    "sos-ipd.yaml": {"seeds": 2, "updates": 3, "pairings": ("first", 2)},
    "decide-hedge.yaml": {"task.rounds": 12},
    "decide-council.yaml": {"rules": ("first", 3)},
    "debate-arithmetic.yaml": {"questions": 2, "debate.rounds": 1},
    "debate-judged.yaml": {"questions": 1, "judged.rounds": 1},
    "debate-ring.yaml": {"questions": 1, "debate.rounds": 1},
    "persuasion.yaml": {"persuasion.repeats": 1},
    "redteam-collusion.yaml": {"rounds": 2},
    "redteam-extraction.yaml": {"rounds": 2},
}
RUNNABLE = sorted(SHRINK)
#: Fixed case budget (derandomised).
CASES = 24
#: Seconds one run may take before it counts as a hang (tiny runs take 0.2-10 s; JIT compiles included).
TIME_BOUND = 60.0

STATS: collections.Counter[str] = collections.Counter()

def shrunk(name: str, data: dict[str, Any]) -> dict[str, Any]:
    for dotted, value in SHRINK[name].items():
        *parents, last = dotted.split(".")
        node = data
        for k in parents:
            node = node.setdefault(k, {})
        if isinstance(value, tuple):  # ("first", n): keep the first n items of a list or mapping
            if isinstance(node.get(last), list):
                node[last] = node[last][: value[1]]
            elif isinstance(node.get(last), dict):
                node[last] = dict(list(node[last].items())[: value[1]])
        else:
            node[last] = value
    return data


def _is_size(name: str, path: tuple[Any, ...]) -> bool:
    dotted = ".".join(str(k) for k in path)
    return any(dotted == s or dotted.startswith(s + ".") for s in SHRINK[name])


@st.composite
def mutated(draw: Any) -> dict[str, Any]:
    name = draw(st.sampled_from(RUNNABLE))
    data = shrunk(name, yaml.safe_load((ROOT / "examples" / name).read_text()))
    candidates = [p for p in paths(data) if not _is_size(name, p) and p[0] not in ("name", "description")]
    kind = draw(st.sampled_from(["none", "delete", "retype", "extreme", "misspell"]))
    path: tuple[Any, ...] = ()
    if kind != "none":
        if kind == "misspell":
            candidates = [p for p in candidates if isinstance(p[-1], str)]
        path = draw(st.sampled_from(candidates))
        parent = parent_of(data, path)
        if kind == "misspell":
            rename_key(parent, path[-1], misspell(path[-1], 0))  # the first two letters swapped
        else:
            set_field(draw, parent, path[-1], kind, EXTREMES)
    return {"example": name, "data": data, "kind": kind, "path": ".".join(map(str, path))}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: Any) -> Path:
    """A copy of examples/ (replayed answers and data beside the configs, paths as in the repository)."""
    d = tmp_path_factory.mktemp("fuzzrun")
    shutil.copytree(ROOT / "examples", d / "examples")
    return d


def run_case(cfg: Path, out: Path) -> tuple[int, str, float]:
    return run_cli(["run", str(cfg), "-o", str(out), "-q"], TIME_BOUND)


@settings(max_examples=CASES, derandomize=True, deadline=None, database=None, print_blob=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(case=mutated())
def test_mutated_small_configs_run_to_exit_0_or_2(workdir, case, monkeypatch):
    monkeypatch.chdir(workdir)  # examples name their data as examples/...
    STATS["cases"] += 1
    k = STATS["cases"]
    cfg = workdir / f"case-{k}.yaml"
    cfg.write_text(yaml.safe_dump(case["data"], sort_keys=False), encoding="utf-8")
    out = workdir / f"run-{k}"
    what = f"{case['kind']} {case['path']} of {case['example']}"
    try:
        code, err, seconds = run_case(cfg, out)
    except Hang:
        STATS["hangs"] += 1
        pytest.fail(f"hang (> {TIME_BOUND} s) on {what}:\n{cfg.read_text()[:2000]}")
    except BaseException as exc:  # anything but a clean exit is a traceback for the user
        STATS["tracebacks"] += 1
        pytest.fail(f"traceback on {what}: {type(exc).__name__}: {exc}\n{traceback.format_exc()[-3000:]}")
    STATS["max_ms"] = max(STATS["max_ms"], int(seconds * 1000))
    assert "Traceback" not in err, (what, err)
    assert code in (0, 2), (what, code, err[-2000:])
    if code == 0:
        STATS["ran: exit 0"] += 1
        meta = json.loads((out / "results.json").read_text())["meta"]
        assert meta["status"] in ("completed", "degraded"), (what, meta)
        assert (out / "report.html").is_file()
    else:
        STATS["exit 2"] += 1
        assert err.strip(), what
        if (out / "results.json").is_file():  # an error during the run: never reported as finished
            assert json.loads((out / "results.json").read_text())["meta"]["status"] == "failed", what


def test_fuzz_run_statistics():
    """Runs after the fuzz test (file order): every case ended cleanly, none hung, some really ran."""
    print("\nfuzz-run statistics:", dict(STATS))
    assert STATS["cases"] >= CASES
    assert STATS["tracebacks"] == 0 and STATS["hangs"] == 0
    assert STATS["ran: exit 0"] + STATS["exit 2"] == STATS["cases"]
    assert STATS["ran: exit 0"] >= CASES // 3
    assert STATS["max_ms"] < TIME_BOUND * 1000
