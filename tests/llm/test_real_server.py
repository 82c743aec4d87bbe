"""The bundled model behind real third-party OpenAI-compatible servers (see tests/conftest.py):
``transformers serve`` and llama-cpp-python's server (the ``served`` parameter runs a test on each).

The servers are serial and slow on 2 cores, so every call here is short (a few tokens).
What is checked: the HTTP path and the local path give the same greedy answer (two
implementations of one model), and play and an llm-tournament run end to end through
each server with their accounting adding up.
"""

import json

import pytest
import yaml

from interplay.cli import main
from interplay.llm import load_model

IPD = [{"role": "system", "content": "You play the iterated prisoner's dilemma. Your actions: C, D."},
       {"role": "user", "content": "Round 1. Reply with your action only: one of C, D."}]


def test_server_and_local_backend_give_the_same_greedy_answer(real_server):
    remote = load_model(real_server.model_config())
    local = load_model({"provider": "transformers", "model": "smollm2-135m", "threads": 1})
    a = remote.generate(IPD, max_tokens=10)
    b = local.generate(IPD, max_tokens=10)
    assert a.text.strip() == b.text.strip() and a.text.strip()
    assert a.prompt_tokens == b.prompt_tokens  # the same chat template, the same tokens
    assert remote.totals.calls == 1 and remote.totals.failures == 0


def _agent_file(tmp_path, served, **options):
    path = tmp_path / "smollm2.yaml"
    path.write_text(yaml.safe_dump({**served.model_config(), "name": "smollm2",
                                    "agent": {"reasoning": False, "max_tokens": 6, **options}}))
    return path


def test_play_through_the_real_server(tmp_path, served):
    from typer.testing import CliRunner

    from interplay.cli import app

    agent = _agent_file(tmp_path, served, max_reasks=1, fallback="Tit For Tat")
    res = CliRunner().invoke(app, ["play", "ipd-v1", "-a", f"llm:{agent}", "-a", "Tit For Tat", "-r", "2", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    acc = data["accounting"]["smollm2"]
    assert acc["decisions"] == 2 and len(data["actions"]) == 2
    # each decision took one answer, plus one re-ask per invalid first answer (at most 1 re-ask)
    assert acc["decisions"] <= acc["answers"] <= 2 * acc["decisions"]
    assert acc["fallbacks"] <= acc["invalid"] and acc["answers"] - acc["invalid"] + acc["fallbacks"] == 2
    assert all(a[0] in (0, 1) for a in data["actions"])


def test_llm_tournament_through_the_real_server(tmp_path, capsys, served):
    agent = {"model": {**served.model_config(), "name": "smollm2"}, "reasoning": False, "max_tokens": 6,
             "max_reasks": 0, "fallback": "Tit For Tat"}
    cfg = {"kind": "llm-tournament", "name": "served", "seed": 0, "cache": None, "self_play": False,
           "game": {"id": "ipd-v1", "params": {"horizon": 2}},
           "agents": {"SmolLM2": {"llm": agent}, "Tit For Tat": "Tit For Tat", "Defector": "Defector"}}
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    with pytest.raises(SystemExit) as info:
        main(["run", str(path), "-o", str(tmp_path / "out"), "-q"])
    assert info.value.code in (0, None)
    res = json.loads((tmp_path / "out" / "results.json").read_text())
    acc = res["accounting"]["SmolLM2"]
    # 2 opponents x 2 rounds, no re-asks: one answer a decision, every invalid answer is a fallback move
    assert acc["decisions"] == 4 and acc["answers"] == 4 and acc["fallbacks"] == acc["invalid"]
    assert res["llm"]["SmolLM2"]["calls"] == 4 and res["matches_played"] == 3
    # the server's own version where it runs outside this interpreter (transformers: its package version)
    assert res["meta"]["versions"].get("llama-cpp-python") == served.version
    i = {n: k for k, n in enumerate(res["players"])}
    assert res["payoff_matrix"][i["Tit For Tat"]][i["Defector"]] == pytest.approx(0.5)  # (0 + 1) / 2
