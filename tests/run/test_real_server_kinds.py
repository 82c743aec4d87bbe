"""debate, decide and redteam through real third-party servers (``transformers serve`` and
llama-cpp-python's server with the bundled SmolLM2-135M-Instruct; the ``served`` fixture of
tests/conftest.py runs each test on both), at tiny sizes.

What a 135M model answers is not asserted; the accounting is: every answer is either read or
counted unparsed with its reason, an answer cut by the length limit is never read, and a bad
answer ends in the agent's fallback, never in an aborted run.
"""

import json

from interplay.run.runner import load_config, run_experiment


def _results(run):
    return json.loads((run / "results.json").read_text())


def test_debate_through_the_real_server(tmp_path, served):
    cfg = {"kind": "debate", "name": "real-debate", "seed": 0, "task": "arithmetic", "questions": 1,
           "debate": {"agents": 2, "rounds": 0, "vote_samples": False, "max_tokens": 24, "temperature": 0.0},
           "model": served.model_config()}
    res = _results(run_experiment(load_config(data=cfg), tmp_path / "run", quiet=True))
    assert res["meta"]["status"] == "completed"
    rec = res["records"][0]
    acc = res["accounting"]
    assert sum(a["answers"] for a in acc.values()) == 2
    # an answer is read (not None) exactly when it has no unparsed reason
    assert [a is None for a in rec["answers"][0]] == [u is not None for u in rec["unparsed"][0]]
    single = res["summary"]["table"]["single agent"]
    assert single["n"] == 2 and single["unparsed"] == sum(u is not None for u in rec["unparsed"][0])
    messages = [json.loads(line) for line in (tmp_path / "run" / "transcripts.jsonl").read_text().splitlines()]
    posted = [m for m in messages[0]["messages"] if m["sender"].startswith("agent-")]
    assert len(posted) == 2
    for m in posted:  # the real server's finish_reason is kept; a cut answer is never read
        assert m["finish_reason"] in ("stop", "length")
        if m["finish_reason"] == "length":
            assert m["unparsed"] == "length" and m.get("answer") is None


def test_decide_through_the_real_server(tmp_path, served):
    # transformers serve drops response_format: plain text; llama.cpp: the default auto (its HTTP 500
    # to json_schema, then json_object with the schema)
    structured = "none" if served.kind == "transformers" else "auto"
    cfg = {"kind": "decide", "name": "real-decide", "seed": 0,
           "task": {"type": "question", "prompt": "Which should the city fund first?",
                    "options": ["parks", "roads", "schools"]},
           "advisors": [{"name": "Sm", "type": "llm", "model": served.model_config(structured=structured),
                         "max_reasks": 1, "max_tokens": 8},
                        {"name": "Dee", "type": "scripted", "ranking": ["schools", "parks", "roads"]}],
           "rules": ["plurality", "borda"], "axioms": ["condorcet_winner"]}
    run = run_experiment(load_config(data=cfg), tmp_path / "run", quiet=True)
    res = _results(run)
    assert res["meta"]["status"] == "completed"  # bad answers end in the fallback, not an abort
    a = res["accounting"]["Sm"]
    assert a["decisions"] == 2 and 0 <= a["fallbacks"] <= 2
    assert a["answers"] == a["invalid"] + (a["decisions"] - a["fallbacks"])  # one valid answer per own pick
    assert a["reasks"] == a["answers"] - a["decisions"]
    ballot = next(b for b in res["ballots"] if b["voter"] == "Sm")
    assert sorted(o for tier in ballot["ranking"] for o in tier) == ["parks", "roads", "schools"]
    assert res["position_bias"]["Sm"]["n"] == 1
    calls = [json.loads(line) for line in (run / "llm-calls.jsonl").read_text().splitlines()]
    assert calls and {c["request"].get("max_tokens") for c in calls} == {8}  # the advisor's cap was sent


def test_redteam_through_the_real_server(tmp_path, served):
    spec = served.model_config()
    cfg = {"kind": "redteam", "name": "real-redteam", "seed": 0, "scenarios": ["injection"], "rounds": 1,
           "conditions": ["unmonitored"], "models": {"mallory": spec, "victor": spec},
           "agent": {"max_tokens": 12, "talk_max_tokens": 12, "max_reasks": 0, "reasoning": False,
                     "fallback": "Tit For Tat"}}
    res = _results(run_experiment(load_config(data=cfg), tmp_path / "run", quiet=True))
    assert res["meta"]["status"] == "completed"
    row = res["redteam"]["injection"]["conditions"]["unmonitored"]
    assert row["honest_moves"] == 1 and row["honest_own_moves"] + row["honest_fallback_moves"] == 1
    for seat in ("mallory", "victor"):
        a = row["agents"][seat]
        assert a["decisions"] == 1 and a["answers"] == 1 and a["fallbacks"] == a["invalid"]
    assert row["adversary_messages"] <= row["adversary_messages_total"] <= 1
    assert row["adversary_delivered"] <= row["adversary_messages"]
    warned = any(w.startswith("victor (unmonitored)") for w in res["warnings"])
    assert warned == (row["honest_fallback_moves"] == 1)
