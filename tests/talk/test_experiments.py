"""The debate, judged-debate and persuasion experiment kinds, the `interplay debate` command,
and exact re-runs from a run directory's call record."""

import json

import pytest

from interplay.cli import main
from interplay.errors import InterplayError
from interplay.run.runner import load_config, run_experiment


def cli(*args):
    with pytest.raises(SystemExit) as info:
        main(list(args))
    return info.value.code


def lines(path):
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


DEBATE = {"kind": "debate", "name": "t", "seed": 2, "task": "arithmetic", "questions": 6,
          "debate": {"agents": 3, "rounds": 1}, "simulate": {"accuracy": 0.5}, "show_transcripts": 2}


def test_debate_run_directory_and_exact_replay(tmp_path):
    run = run_experiment(load_config(data=dict(DEBATE)), tmp_path / "live", quiet=True)
    res = json.loads((run / "results.json").read_text())
    assert res["meta"]["status"] == "completed"
    assert list(res["summary"]["table"]) == ["single agent", "vote of 3 samples", "vote of 6 samples (same calls)",
                                             "debate (3 agents, 1 rounds)"]
    # every call is recorded: 3 agents x 2 rounds + 3 extra samples, per question
    calls = lines(run / "llm-calls.jsonl")
    assert len(calls) == res["calls"] == 6 * 9 == res["llm"]["simulated"]["calls"]
    assert len(lines(run / "transcripts.jsonl")) == 6
    assert len(list((run / "transcripts").glob("*.json"))) == 2
    report = (run / "report.html").read_text()
    assert "Accuracy with its controls" in report and "agent-2" in report
    # the same config answered from the record: identical records, no server involved
    replay = {k: v for k, v in DEBATE.items() if k != "simulate"}
    replay["model"] = {"provider": "replay", "path": str(run / "llm-calls.jsonl")}
    rerun = run_experiment(load_config(data=replay), tmp_path / "replay", quiet=True)
    assert json.loads((rerun / "results.json").read_text())["records"] == res["records"]


def test_judged_and_persuasion_kinds(tmp_path):
    judged = {"kind": "judged-debate", "name": "j", "task": "reading", "questions": 4,
              "judged": {"rounds": 1}, "simulate": {}, "monitors": [{"kind": "injection", "action": "block"}]}
    run = run_experiment(load_config(data=judged), tmp_path / "j", quiet=True)
    res = json.loads((run / "results.json").read_text())
    # safety's monitor read every message: per question, debate 2 arguments + verdict, consultancy 1 + verdict
    assert res["monitors"]["monitors"][0]["checked"] == 4 * 5 and res["monitors"]["blocked"] == 0
    assert set(res["judge_accuracy"]) == {"debate", "consultancy", "judge-alone"}
    assert len(res["records"]) == 12 and len(lines(run / "transcripts.jsonl")) == 12
    assert "Judge accuracy" in (run / "report.html").read_text()

    pers = {"kind": "persuasion", "name": "p", "persuasion": {"repeats": 1}, "simulate": {"noise": 0.0}}
    run = run_experiment(load_config(data=pers), tmp_path / "p", quiet=True)
    res = json.loads((run / "results.json").read_text())
    assert res["effect"]["arms"]["control"]["mean_shift"] == 0.0
    assert res["effect"]["difference"]["low"] > 0


def test_config_errors_are_named(tmp_path):
    with pytest.raises(InterplayError, match="exactly one of `model`"):
        load_config(data={"kind": "debate"})
    with pytest.raises(InterplayError, match="debate.agents"):
        load_config(data={**DEBATE, "debate": {"agents": 0}})
    bad = tmp_path / "q.jsonl"
    bad.write_text('{"question": "x?", "answer": "1"}\n{"question": 3}\n')
    cfg = load_config(data={**DEBATE, "task": str(bad)})
    with pytest.raises(InterplayError, match="line 2: 'question' must be"):
        run_experiment(cfg, tmp_path / "bad", quiet=True)


def test_debate_command(tmp_path, capsys):
    assert cli("debate", "--simulate", "-n", "4", "--rounds", "1", "-o", str(tmp_path / "d")) == 0
    out = capsys.readouterr().out
    assert "vote of 6 samples (same calls)" in out and "debate - vote (same calls)" in out
    assert cli("debate", "--simulate", "-n", "4", "--json", "-o", str(tmp_path / "e")) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["agents"] == 3 and summary["rounds"] == 2
    assert cli("debate") == 2
    assert cli("debate", "--model", str(tmp_path / "missing.yaml")) == 2


@pytest.mark.parametrize("config", [
    {"kind": "judged-debate", "name": "j", "task": "reading", "questions": 3, "judged": {"rounds": 1}},
    {"kind": "persuasion", "name": "p", "persuasion": {"control": "neutral"}},
])
def test_judged_and_persuasion_rerun_exactly_from_the_call_record(tmp_path, config):
    live = run_experiment(load_config(data={**config, "simulate": {}}), tmp_path / "live", quiet=True)
    replay = {**config, "model": {"provider": "replay", "path": str(live / "llm-calls.jsonl")}}
    again = run_experiment(load_config(data=replay), tmp_path / "again", quiet=True)
    first, second = (json.loads((d / "results.json").read_text()) for d in (live, again))
    assert second["records"] == first["records"]
    assert second["llm"][next(iter(second["llm"]))]["calls"] == first["llm"]["simulated"]["calls"]
