"""Runs are never lost and can resume: results.json holds every finished match after SIGINT or
SIGKILL (a real subprocess), a non-empty run directory is refused, --resume finishes the run
with the same numbers as an uninterrupted one (finished matches not replayed), and --overwrite
replaces it. Status "failed" / "degraded" follow the share of failed model calls."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from interplay.cli import main
from interplay.llm.testing import LoopbackServer, Reply, tit_for_tat_answer
from interplay.run.runner import DEGRADED_SHARE, load_config, run_experiment

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _config(tmp_path: Path, base_url: str, **extra) -> Path:
    cfg = {"kind": "llm-tournament", "name": "resumable", "seed": 3,
           "game": {"id": "ipd-v1", "params": {"horizon": 3}},
           "agents": {"LLM": {"llm": {"model": {"provider": "openai", "base_url": base_url, "model": "loopback",
                                                "api_key_env": None, "max_retries": 0}}},
                      "TFT": "Tit For Tat", "ALLD": "Defector", "ALLC": "Cooperator"},
           "self_play": True, "max_matches": 1, "cache": str(tmp_path / "cache.sqlite"), **extra}
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))  # the LLM agent first: its matches start first
    return path


def _slow_tft(delay: float):
    def answer(req):
        return Reply.text(tit_for_tat_answer(req), delay=delay)
    return answer


def _gated_tft(gate: threading.Event, opponent: str = "ALLC"):
    """Tit-for-tat answers, except that the LLM's match against ``opponent`` waits for ``gate``: the
    run cannot finish before the test has stopped it, however fast the machine."""
    def answer(req):
        if f"the other player(s): {opponent}." in json.dumps(req.messages):
            gate.wait(120)
            return Reply.text(tit_for_tat_answer(req), delay=0.3)  # the stop lands before this match ends
        return Reply.text(tit_for_tat_answer(req), delay=0.05)
    return answer


def _cli(*args: str) -> int:
    try:
        main(list(args))
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def _units(run: Path) -> dict:
    try:
        return json.loads((run / "results.json").read_text()).get("units") or {}
    except (OSError, json.JSONDecodeError):
        return {}


def _start_and_stop(cfg: Path, run: Path, sig: int, after_units: int, llm_units: int = 0,
                    release=None) -> tuple[int, str]:
    """Start a run, wait for ``after_units`` finished units (``llm_units`` of them with the LLM), send
    ``sig``, then call ``release`` (a gated server's answers may be what the stopping run waits on)."""
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    # A background job of a non-interactive shell (CI) starts with SIGINT ignored, and Python then never
    # turns SIGINT into KeyboardInterrupt: the child installs Python's handler first, as under a terminal.
    child = ("import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
             "from interplay.cli import main; main(sys.argv[1:])")
    proc = subprocess.Popen([sys.executable, "-c", child, "run", str(cfg), "-o", str(run), "-q"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    def enough() -> bool:
        units = _units(run)
        return len(units) >= after_units and sum("LLM" in u.get("names", ()) for u in units.values()) >= llm_units

    while not enough() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, f"the run ended before it was stopped: {proc.communicate()}"
    proc.send_signal(sig)
    if release is not None:
        release()
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_stopped_run_keeps_finished_matches_and_resumes_to_the_uninterrupted_result(tmp_path, sig):
    gate = threading.Event()
    with LoopbackServer(default=_gated_tft(gate)) as server:
        cfg = _config(tmp_path, server.base_url)
        run = tmp_path / "run"
        try:
            code, err = _start_and_stop(cfg, run, sig, after_units=2, llm_units=1, release=gate.set)
        finally:
            gate.set()  # the resumed and the reference runs are answered at once
        res = json.loads((run / "results.json").read_text())
        kept = res["units"]
        assert len(kept) >= 2 and res["meta"]["status"] == ("interrupted" if sig == signal.SIGINT else "running")
        if sig == signal.SIGINT:
            assert code == 130 and "Traceback" not in err and "resume" in err
        # every kept LLM match has its transcript on disk
        assert any("LLM" in unit["names"] for unit in kept.values())
        for key, unit in kept.items():
            if "LLM" in unit["names"]:
                assert unit["transcript"] and (run / "transcripts" / f"{key}.json").is_file()
        # a second run into the same folder is refused, naming the way out
        assert _cli("run", str(cfg), "-o", str(run), "-q") == 2
        calls_before = server.calls
        assert _cli("run", str(cfg), "-o", str(run), "-q", "--resume") == 0
        resumed_calls = server.calls - calls_before
        final = json.loads((run / "results.json").read_text())

        # the same tournament, uninterrupted, with an empty cache
        (tmp_path / "ref").mkdir()
        ref_cfg = _config(tmp_path / "ref", server.base_url)
        calls_before = server.calls
        ref = json.loads((run_experiment(load_config(ref_cfg), tmp_path / "ref" / "run", quiet=True)
                          / "results.json").read_text())
        full_calls = server.calls - calls_before
    assert final["meta"]["status"] == "completed" and final["meta"]["units"]["resumed"] == len(kept)
    assert final["payoff_matrix"] == ref["payoff_matrix"] and final["matches_played"] == ref["matches_played"] == 10
    assert sorted(final["units"]) == sorted(ref["units"])
    # finished matches were not played again: the resumed part made fewer calls than a whole run
    assert resumed_calls < full_calls
    # one metrics row per match, never two for one match
    rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert sorted(r["unit"] for r in rows) == sorted(final["units"])


def test_overwrite_replaces_and_resume_of_a_completed_run_changes_nothing(tmp_path, capsys):
    data = {"kind": "population", "name": "p", "matches": 20, "agents": {"TFT": "Tit For Tat", "ALLD": "Defector"}}
    cfg = tmp_path / "p.yaml"
    cfg.write_text(yaml.safe_dump(data))
    run = tmp_path / "run"
    assert _cli("run", str(cfg), "-o", str(run), "-q") == 0
    first = (run / "metrics.jsonl").read_text()
    assert _cli("run", str(cfg), "-o", str(run), "-q") == 2
    assert "not empty" in capsys.readouterr().err
    assert _cli("run", str(cfg), "-o", str(run), "-q", "--overwrite") == 0
    assert (run / "metrics.jsonl").read_text().count("\n") == first.count("\n")  # replaced, not appended
    assert _cli("resume", str(run), "-q") == 0
    assert "nothing to resume" in capsys.readouterr().out
    assert (run / "metrics.jsonl").read_text().count("\n") == first.count("\n")
    # --overwrite never deletes files a run did not write
    (run / "notes.txt").write_text("mine")
    assert _cli("run", str(cfg), "-o", str(run), "-q", "--overwrite") == 2
    assert (run / "notes.txt").read_text() == "mine"
    # --resume with a different config is refused, naming the field
    assert _cli("run", str(cfg), "-o", str(run), "-q", "--resume", "--set", "seed=5") == 2
    assert "seed" in capsys.readouterr().err


def test_every_call_failing_is_a_failed_run_and_exits_1(tmp_path, capsys):
    with LoopbackServer(default=Reply.error(500, message="down")) as server:
        cfg = _config(tmp_path, server.base_url)
        assert _cli("run", str(cfg), "-o", str(tmp_path / "run"), "-q") == 1
    res = json.loads((tmp_path / "run" / "results.json").read_text())
    calls = res["meta"]["model_calls"]
    assert res["meta"]["status"] == "failed" and calls["answered"] == 0 and calls["failed"] >= 1
    assert "every model call failed" in res["meta"]["error"] and "run failed" in capsys.readouterr().err


def test_some_calls_failing_is_degraded_above_the_stated_share(tmp_path):
    count = {"n": 0}

    def flaky(req):  # every third call fails (33% > 10%)
        count["n"] += 1
        return Reply.error(500) if count["n"] % 3 == 0 else Reply.text(tit_for_tat_answer(req))

    with LoopbackServer(default=flaky) as server:
        cfg = _config(tmp_path, server.base_url, cache=None)
        assert _cli("run", str(cfg), "-o", str(tmp_path / "run"), "-q") == 0
    meta = json.loads((tmp_path / "run" / "results.json").read_text())["meta"]
    calls = meta["model_calls"]
    assert calls["failed"] >= 1 and calls["failed"] / (calls["failed"] + calls["answered"]) > DEGRADED_SHARE
    assert meta["status"] == "degraded"


def test_zero_call_budget_lists_every_match_it_did_not_play(tmp_path):
    with LoopbackServer(default=tit_for_tat_answer) as server:
        cfg = _config(tmp_path, server.base_url, budget={"max_calls": 0})
        assert _cli("run", str(cfg), "-o", str(tmp_path / "run"), "-q") == 0
        assert server.calls == 0
    res = json.loads((tmp_path / "run" / "results.json").read_text())
    planned = res["meta"]["units"]["planned"]
    assert planned == 10  # 4 agents with self-play
    accounted = res["matches_played"] + len(res["matches_incomplete"]) + len(res["matches_not_played"])
    assert accounted == planned and res["matches_not_played"]
    assert len(res["meta"]["units"]["not_played"]) == len(res["matches_not_played"])


def test_results_record_the_versions_of_the_main_packages(tmp_path):
    import jax
    import numpy

    run = run_experiment(load_config(data={"kind": "population", "name": "v", "matches": 4,
                                           "agents": {"a": "Tit For Tat", "b": "Defector"}}), tmp_path / "r",
                         quiet=True)
    v = json.loads((run / "results.json").read_text())["meta"]["versions"]
    assert v["jax"] == jax.__version__ and v["numpy"] == numpy.__version__
    assert v["python"] == ".".join(map(str, sys.version_info[:3])) and v["interplay"]


@pytest.mark.parametrize("name, needle", [("../../x", "must not contain '/'"), ("a" * 300, "300 characters"),
                                          ("bad\x00name", "must not contain"), ("..", "must not start with '.'")])
def test_run_names_never_leave_runs(tmp_path, name, needle):
    from interplay.errors import InterplayError

    with pytest.raises(InterplayError, match="name") as info:
        load_config(data={"kind": "population", "name": name, "agents": {"a": "Tit For Tat", "b": "Defector"}})
    assert needle in str(info.value)


def _as_if_killed_after(run: Path, kept: int) -> list[str]:
    """Cut the units journal to its first ``kept`` units and mark the run running (a kill)."""
    lines = (run / "units.jsonl").read_text().splitlines()[:kept]
    (run / "units.jsonl").write_text("".join(x + "\n" for x in lines))
    res = json.loads((run / "results.json").read_text())
    res["meta"]["status"] = "running"
    (run / "results.json").write_text(json.dumps(res))
    return [json.loads(x)["unit"] for x in lines]


@pytest.mark.parametrize("data, same", [
    ({"kind": "debate", "task": "arithmetic", "questions": 5, "debate": {"agents": 2, "rounds": 1}},
     ("summary", "records", "accounting")),
    ({"kind": "judged-debate", "task": "reading", "questions": 2, "judged": {"rounds": 1}},
     ("judge_accuracy", "records", "accounting")),
    ({"kind": "persuasion", "persuasion": {"repeats": 1}}, ("effect", "records", "accounting")),
])
def test_talk_kinds_resume_skips_finished_units_with_the_uninterrupted_numbers(tmp_path, data, same):
    data = {**data, "name": "t", "seed": 1, "simulate": {"accuracy": 0.6}}
    ref_dir = run_experiment(load_config(data=dict(data)), tmp_path / "ref", quiet=True)
    ref = json.loads((ref_dir / "results.json").read_text())
    run = run_experiment(load_config(data=dict(data)), tmp_path / "run", quiet=True)
    kept = _as_if_killed_after(run, 2)
    run_experiment(load_config(data=dict(data)), run, quiet=True, resume=True)
    res = json.loads((run / "results.json").read_text())
    assert res["meta"]["status"] == "completed" and res["meta"]["units"]["resumed"] == 2
    for key in same:
        assert res[key] == ref[key], key
    # the kept units were not asked again, not even from a cache: the resumed process made exactly
    # the calls of the units it redid (every call is a line of llm-calls.jsonl)
    redone = [k for k in ref["units"] if k not in kept]
    calls = [(d / "llm-calls.jsonl").read_text().count("\n") for d in (ref_dir, run)]
    assert calls[1] - calls[0] == sum(ref["units"][k]["calls"] for k in redone)
    assert sum(ref["units"][k]["calls"] for k in kept) > 0
    for name in ("metrics.jsonl", "transcripts.jsonl", "units.jsonl"):
        rows = [json.loads(x)["unit"] for x in (run / name).read_text().splitlines()]
        assert sorted(rows) == sorted(ref["units"]), name


def test_talk_kinds_write_each_question_as_it_finishes_and_redo_them_on_resume(tmp_path):
    data = {"kind": "debate", "name": "d", "seed": 0, "task": "arithmetic", "questions": 4,
            "debate": {"agents": 2, "rounds": 1}, "simulate": {"accuracy": 0.5}}
    run = run_experiment(load_config(data=dict(data)), tmp_path / "run", quiet=True)
    res = json.loads((run / "results.json").read_text())
    assert res["meta"]["units"] == {"done": 4, "resumed": 0, "planned": 4, "not_played": []}
    assert sorted(res["units"]) == sorted(f"question-{r['question_id']}" for r in res["records"])
    # as if killed after two questions: resume redoes the unfinished work, one row per question at the end
    res["meta"]["status"] = "running"
    (run / "results.json").write_text(json.dumps(res))
    run_experiment(load_config(data=dict(data)), run, quiet=True, resume=True)
    again = json.loads((run / "results.json").read_text())
    assert again["summary"] == res["summary"] and again["meta"]["status"] == "completed"
    for name in ("metrics.jsonl", "transcripts.jsonl"):
        rows = [json.loads(x)["unit"] for x in (run / name).read_text().splitlines()]
        assert sorted(rows) == sorted(res["units"])
