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


# -- the head anchored, the files sealed, keyed logs from configs ------------------------------------

POP = {"kind": "population", "name": "p", "matches": 20, "agents": {"TFT": "Tit For Tat", "ALLD": "Defector"},
       "audit": True}


def _run(tmp_path, data=POP, name="run"):
    return run_experiment(load_config(data=dict(data)), tmp_path / name, quiet=True)


def _cut(run, k):
    """Drop the last k entries and rewrite the head to match: what a careful truncation does."""
    lines = (run / "audit.jsonl").read_text().splitlines()[:-k]
    (run / "audit.jsonl").write_text("".join(x + "\n" for x in lines))
    last = json.loads(lines[-1])
    head = json.loads((run / "audit.head.json").read_text())
    (run / "audit.head.json").write_text(json.dumps({**head, "entries": last["seq"], "last_hash": last["hash"]}))


def test_a_sealed_run_verifies_and_says_what_a_keyless_chain_cannot_prove(tmp_path, capsys):
    run = _run(tmp_path)
    entries = _entries(run)
    seal = entries[-1]
    assert seal["kind"] == "seal" and {"results.json", "metrics.jsonl", "config.yaml"} <= set(seal["data"]["files"])
    res = json.loads((run / "results.json").read_text())
    assert res["audit"]["sealed"] and res["audit"]["entries"] == len(entries)
    assert res["audit"]["last_hash"] == seal["hash"]
    report = verify(run)
    assert report.ok and "recompute" in report.limits
    with pytest.raises(SystemExit) as info:
        main(["audit", "verify", str(run)])
    assert info.value.code == 0 and "recompute" in capsys.readouterr().out


@pytest.mark.parametrize("k", [1, 3])
def test_truncation_with_a_rewritten_head_is_caught_by_results_json(tmp_path, k):
    run = _run(tmp_path)
    _cut(run, k)
    r = verify(run)
    assert not r.ok and r.problem == "truncated" and "results.json records" in r.message


def test_truncation_with_head_and_results_anchor_rewritten_is_caught_by_the_missing_seal(tmp_path):
    run = _run(tmp_path)
    _cut(run, 2)
    res = json.loads((run / "results.json").read_text())
    head = json.loads((run / "audit.head.json").read_text())
    res["audit"].update(entries=head["entries"], last_hash=head["last_hash"])
    (run / "results.json").write_text(json.dumps(res))
    r = verify(run)
    assert not r.ok and r.problem == "unsealed"


def test_deleted_head_or_emptied_log_fails(tmp_path):
    run = _run(tmp_path)
    (run / "audit.head.json").unlink()
    r = verify(run)
    assert not r.ok and r.problem == "head-missing"
    (run / "audit.jsonl").write_text("")
    r = verify(run)
    assert not r.ok and r.problem == "truncated" and "empty" in r.message
    (run / "audit.jsonl").unlink()
    r = verify(run)  # results.json still records the log
    assert not r.ok and r.problem == "deleted"


@pytest.mark.parametrize("target", ["results.json", "metrics.jsonl", "transcript", "new transcript"])
def test_the_seal_catches_edited_results_metrics_and_transcripts(tmp_path, target):
    run = run_experiment(load_config(data=dict(DEBATE)), tmp_path / "run", quiet=True)
    assert verify(run).ok
    if target == "results.json":
        res = json.loads((run / "results.json").read_text())
        res["summary"]["questions"] = 99
        (run / "results.json").write_text(json.dumps(res))
    elif target == "metrics.jsonl":
        p = run / "metrics.jsonl"
        p.write_text(p.read_text().replace('"correct"', '"korrect"', 1))
    elif target == "transcript":
        p = sorted((run / "transcripts").glob("*.json"))[0]
        p.write_text(p.read_text().replace("a", "b", 1))
    else:
        (run / "transcripts" / "forged.json").write_text("[]")
    r = verify(run)
    assert not r.ok and r.problem == "files"


def test_keyed_from_the_config_and_verified_with_the_key(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RUN_AUDIT_KEY", "k3y-for-the-test-only")
    run = _run(tmp_path, {**POP, "audit": {"key_env": "RUN_AUDIT_KEY"}})
    assert b"k3y-for-the-test-only" not in b"".join(p.read_bytes() for p in run.rglob("*") if p.is_file())
    assert verify(run, key_env="RUN_AUDIT_KEY").ok
    r = verify(run)
    assert not r.ok and r.problem == "keyed" and "cannot verify without the key" in r.message
    assert "edited" not in r.message and "--key-env RUN_AUDIT_KEY" in r.message
    with pytest.raises(SystemExit) as info:
        main(["audit", "verify", str(run), "--key-env", "RUN_AUDIT_KEY"])
    assert info.value.code == 0
    # a forger without the key: cut the log, re-hash a seal with plain SHA-256, rewrite head and anchor
    from interplay.safety.audit import entry_hash, file_digests

    lines = (run / "audit.jsonl").read_text().splitlines()[:-2]
    last = json.loads(lines[-1])
    forged = {"seq": last["seq"] + 1, "time": last["time"], "kind": "seal",
              "data": {"status": "completed", "files": file_digests(run)}, "prev": last["hash"]}
    forged["hash"] = entry_hash(forged)
    lines.append(json.dumps(forged))
    (run / "audit.jsonl").write_text("".join(x + "\n" for x in lines))
    head = json.loads((run / "audit.head.json").read_text())
    (run / "audit.head.json").write_text(json.dumps({**head, "entries": forged["seq"], "last_hash": forged["hash"]}))
    res = json.loads((run / "results.json").read_text())
    res["audit"].update(entries=forged["seq"], last_hash=forged["hash"])
    (run / "results.json").write_text(json.dumps(res))
    r = verify(run, key_env="RUN_AUDIT_KEY")
    assert not r.ok and r.problem == "edited" and r.bad_line == forged["seq"]


def test_an_interrupted_audited_run_resumes_its_chain(tmp_path):
    run = _run(tmp_path)
    res = json.loads((run / "results.json").read_text())
    res["meta"]["status"] = "interrupted"  # as Ctrl-C leaves it (the seal then says "interrupted")
    (run / "results.json").write_text(json.dumps(res))
    run_experiment(load_config(data=dict(POP)), run, quiet=True, resume=True)
    kinds = [e["kind"] for e in _entries(run)]
    assert kinds[0] == "run" and "resume" in kinds and kinds[-1] == "seal" and kinds.count("seal") == 2
    assert verify(run).ok


def test_a_keyed_audit_without_its_key_variable_is_refused_before_writing(tmp_path, monkeypatch):
    from interplay.errors import InterplayError

    monkeypatch.delenv("UNSET_AUDIT_KEY", raising=False)
    cfg = load_config(data={**POP, "audit": {"key_env": "UNSET_AUDIT_KEY"}})
    with pytest.raises(InterplayError, match="UNSET_AUDIT_KEY"):
        run_experiment(cfg, tmp_path / "run", quiet=True)
    assert not (tmp_path / "run").exists()
