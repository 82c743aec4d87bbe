"""`audit: true` on any experiment kind: a hash chain of the run's model calls, messages,
metric rows and results, which verifies untouched and names the first edited line."""

import json

import pytest

from interplay.cli import main
from interplay.run.runner import load_config, run_experiment
from interplay.safety.audit import verify

DEBATE = {"kind": "debate", "name": "audited", "seed": 0, "task": "arithmetic", "questions": 3,
          "debate": {"agents": 3, "rounds": 1}, "simulate": {"accuracy": 0.5}, "audit": True}


def _entries(run):
    return [json.loads(line) for line in (run / "audit.jsonl").read_text().splitlines()]


def test_debate_run_audits_every_model_call_and_message(tmp_path):
    run = run_experiment(load_config(data=dict(DEBATE)), tmp_path / "run", quiet=True)
    entries = _entries(run)
    kinds = [e["kind"] for e in entries]
    calls = (run / "llm-calls.jsonl").read_text().splitlines()
    assert kinds[0] == "run" and kinds[-1] == "seal"
    assert kinds.count("model_call") == len(calls) > 0  # every call recorded, no more
    transcript_messages = sum(len(json.loads(p.read_text())) for p in (run / "transcripts").glob("*.json"))
    assert kinds.count("message") == transcript_messages > 0
    res = json.loads((run / "results.json").read_text())
    assert res["audit"]["ok"] is True
    assert verify(run).ok

    # edit one model answer: verification fails and names that line
    lines = (run / "audit.jsonl").read_text().splitlines()
    k = kinds.index("model_call")
    lines[k] = lines[k].replace('"cached": false', '"cached": true')
    (run / "audit.jsonl").write_text("\n".join(lines) + "\n")
    report = verify(run)
    assert not report.ok and f"line {k + 1}" in report.message


def test_audit_off_by_default_and_on_for_the_population_kind(tmp_path):
    base = {"kind": "population", "name": "p", "matches": 20,
            "agents": {"TFT": "Tit For Tat", "ALLD": "Defector"}}
    off = run_experiment(load_config(data=dict(base)), tmp_path / "off", quiet=True)
    assert not (off / "audit.jsonl").exists()
    on = run_experiment(load_config(data={**base, "audit": True}), tmp_path / "on", quiet=True)
    kinds = [e["kind"] for e in _entries(on)]
    assert kinds.count("metric") == 4 and kinds.count("model_call") == 0  # 2 x 2 pairs, no model
    with pytest.raises(SystemExit) as info:
        main(["audit", "verify", str(on)])
    assert info.value.code == 0
