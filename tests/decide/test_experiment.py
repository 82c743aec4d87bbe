"""The decide experiment kind and `interplay decide`, on the shipped examples (no network)."""

import json
from pathlib import Path

import pytest
import yaml

from interplay.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run_cli(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    out = capsys.readouterr()
    return exit_.value.code, out.out, out.err


def test_council_example_runs_offline(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out, _ = run_cli(["decide", "examples/decide-council.yaml", "-o", str(tmp_path / "c"), "-q"], capsys)
    assert code == 0
    assert "Winners under each rule" in out and "robustness evals > user study > scaling run" in out
    res = json.loads((tmp_path / "c" / "results.json").read_text())
    assert res["meta"]["status"] == "completed"
    assert res["majority"]["condorcet_winner"] is None
    assert res["majority"]["condorcet_loser"] == "new benchmark"
    assert res["winners"]["borda"] == ["user study"] and res["winners"]["star"] == ["robustness evals"]
    assert res["winners"]["plurality"] == ["new benchmark", "user study"]
    assert "condorcet_loser" in res["axioms_violated"]["plurality"]
    imp = res["importance"]
    assert sum(v["shapley"] for v in imp["players"].values()) == pytest.approx(imp["v_all"] - imp["v_empty"])
    orders = [b["ballot_order"] for b in res["ballots"] if "ballot_order" in b]
    assert len(orders) == 3 and all(sorted(o) == sorted(res["question"]["options"]) for o in orders)
    assert res["llm"]["Ada"]["calls"] == 3
    for f in ("report.html", "shapley.png", "margins.png", "llm-calls.jsonl"):
        assert (tmp_path / "c" / f).exists()


def test_hedge_example_runs(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out, _ = run_cli(["decide", "examples/decide-hedge.yaml", "-o", str(tmp_path / "h"), "-q",
                            "--set", "task.rounds=120", "--set", "learners=[hedge, exp3]"], capsys)
    assert code == 0 and "hedge" in out
    res = json.loads((tmp_path / "h" / "results.json").read_text())
    h = res["learners"]["hedge"]
    assert h["rounds"] == 120 and h["max_regret"] <= h["bound"]
    assert res["importance"]["Contrarian"]["shapley"] < 0 < res["importance"]["Ada"]["shapley"]
    assert len(res["weights"]["hedge"]) == 120
    assert (tmp_path / "h" / "weights-hedge.png").exists() and (tmp_path / "h" / "regret.png").exists()


def test_game_task_config(tmp_path):
    from interplay.run.runner import load_config, run_experiment

    cfg = load_config(data={"kind": "decide", "name": "g", "task": {"type": "game", "game": {"id": "ipd-v1"},
                                                                     "rounds": 60, "opponent": "Tit For Tat"},
                            "advisors": [{"name": "tft", "type": "policy", "policy": "Tit For Tat"},
                                         {"name": "alld", "type": "policy", "policy": "Defector"},
                                         {"name": "fp", "type": "best-response"}],
                            "learners": ["hedge", "exp4"]})
    res = json.loads((run_experiment(cfg, tmp_path / "g", quiet=True) / "results.json").read_text())
    assert res["options"] == ["C", "D"] and res["learners"]["hedge"]["rounds"] == 60


@pytest.mark.parametrize("patch,msg", [
    ({"advisors": [{"name": "a", "type": "oracle"}, {"name": "b", "type": "random"}]}, "needs `accuracy`"),
    ({"advisors": [{"name": "a", "type": "wizard"}, {"name": "b", "type": "random"}]}, "advisors.0.type"),
    ({"rules": ["bordaa"]}, "Unknown voting rule 'bordaa'"),
    ({"task": {"type": "question", "options": ["x", "y"]},
      "advisors": [{"name": "a", "type": "scripted", "ranking": ["x", "z"]}, {"name": "b", "type": "random"}]},
     "unknown option 'z'"),
])
def test_bad_configs_exit_2(tmp_path, capsys, patch, msg):
    base = {"kind": "decide", "task": {"type": "generated", "rounds": 5},
            "advisors": [{"name": "a", "type": "random"}, {"name": "b", "type": "random"}]}
    base.update(patch)
    p = tmp_path / "bad.yaml"
    p.write_text(yaml.safe_dump(base))
    code, _, err = run_cli(["decide", str(p), "-o", str(tmp_path / "o")], capsys)
    assert code == 2 and msg in err.replace("\n", " ")
    assert "Traceback" not in err


def test_jsonl_task_with_recorded_advice(tmp_path):
    from interplay.run.runner import load_config, run_experiment

    lines = [json.dumps({"options": ["x", "y", "z"], "best": ["x", "y", "z"][t % 3],
                         "advice": {"right": ["x", "y", "z"][t % 3], "stuck": "x"}}) for t in range(30)]
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(lines) + "\n")
    cfg = load_config(data={"kind": "decide", "task": {"type": "jsonl", "path": str(path)},
                            "advisors": [{"name": "right", "type": "recorded"}, {"name": "stuck", "type": "recorded"}],
                            "learners": ["hedge", "vote:borda"]})
    res = json.loads((run_experiment(cfg, tmp_path / "j", quiet=True) / "results.json").read_text())
    assert res["advisor_loss"] == {"right": 0.0, "stuck": 20.0}
    assert res["best_advisor"] == "right"
    assert res["learners"]["hedge"]["final_weights"]["right"] > 0.9


def test_config_voters_give_approvals_and_scores(tmp_path):
    """Scripted voters in a config can approve or grade instead of ranking; approval and score
    rules then count those ballots (hand counts below)."""
    from interplay.run.runner import load_config, run_experiment

    approvals = {"kind": "decide", "name": "appr", "rules": ["approval"],
                 "task": {"type": "question", "prompt": "Which?", "options": ["A", "B", "C"]},
                 "advisors": [{"name": "v1", "type": "scripted", "approvals": ["A", "B"]},
                              {"name": "v2", "type": "scripted", "approvals": ["B"]},
                              {"name": "v3", "type": "scripted", "approvals": ["C"]},
                              {"name": "v4", "type": "scripted", "approvals": ["A", "C"]},
                              {"name": "v5", "type": "scripted", "approvals": ["C"]}]}
    run = run_experiment(load_config(data=approvals), tmp_path / "a", quiet=True)
    res = json.loads((run / "results.json").read_text())
    assert res["winners"]["approval"] == ["C"]  # A 2, B 2, C 3
    assert res["ballots"][0]["approvals"] == ["A", "B"]

    scores = {"kind": "decide", "name": "score", "rules": ["score", "plurality"],
              "task": {"type": "question", "prompt": "Which?", "options": ["A", "B", "C"]},
              "advisors": [{"name": "v1", "type": "scripted", "scores": {"A": 5, "B": 4, "C": 0}},
                           {"name": "v2", "type": "scripted", "scores": {"A": 0, "B": 5, "C": 4}},
                           {"name": "v3", "type": "scripted", "scores": {"A": 5, "B": 3, "C": 0}}]}
    run = run_experiment(load_config(data=scores), tmp_path / "s", quiet=True)
    res = json.loads((run / "results.json").read_text())
    assert res["winners"]["score"] == ["B"]  # A 10, B 12, C 4
    assert res["winners"]["plurality"] == ["A"]  # tops: A, B, A
