"""LLM Diplomacy agents against a real model: the bundled SmolLM2-135M-Instruct, locally
(``provider: transformers``) and through ``transformers serve`` (the ``real_server`` fixture).

What a 135M model writes is not asserted; what is: every order given is one of the engine's
legal orders, each decision is the model's choice or a counted fallback, and the accounting
adds up (answers = invalid answers + decisions made by the model).
"""

import json
from pathlib import Path

import pytest

from interplay.games.diplomacy import DiplomacyEnv

pytest.importorskip("diplomacy")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "diplomacy-llm.yaml"


def _run(tmp_path, **over):
    import yaml

    from interplay.run.runner import load_config, run_experiment

    cfg = {**yaml.safe_load(EXAMPLE.read_text()), **over}
    run = run_experiment(load_config(data=cfg), tmp_path / "run", quiet=True)
    return run, json.loads((run / "results.json").read_text())


def test_the_example_on_the_bundled_model(tmp_path):
    """examples/diplomacy-llm.yaml, cut to its first phase with one LLM power (the 2-core test budget)."""
    run, res = _run(tmp_path, max_phases=1, lineups=[{"name": "smollm2-F", "default": "greedy",
                                                      "powers": {"FRANCE": "smollm2"}}])
    assert res["meta"]["status"] == "completed"
    game = json.loads((run / "games" / "smollm2-F-0.json").read_text())
    french = game["phases"][0]["orders"]["FRANCE"]
    legal = DiplomacyEnv(max_years=1).legal_orders("FRANCE")
    assert sorted(o.split()[1] for o in french) == sorted(legal)  # one order per unit
    assert all(o in legal[o.split()[1]] for o in french)  # each from its legal list
    a = res["accounting"]["smollm2"]
    # the local model chooses by option log-likelihood: always one of the options, never a fallback
    assert a["decisions"] == 3 and a["answers"] == 3 and a["invalid"] == 0 and a["fallbacks"] == 0
    assert a["press_answers"] == 1 and a["press_invalid"] == 0
    sent = [m for m in res["units"]["smollm2-F-0"]["messages"] if m["sender"] == "FRANCE"]
    assert len(sent) == a["messages"] <= 1
    for m in sent:  # a message to one power or to all six others, checked by the monitor
        assert 0 < len(m["text"]) <= 400 and len(m["to"]) in (1, 6)
    assert res["monitors"]["monitors"][0]["checked"] == len(sent)
    s = res["llm"]["smollm2"]  # one recipient choice, one message, three orders
    assert s["calls"] + s["cached_calls"] == 5


def test_an_llm_power_through_transformers_serve(tmp_path, real_server):
    """The same agent through a real OpenAI-compatible server (prompted choices, parsed strictly):
    every invalid answer ends in the hold fallback (no re-asks here), never in an illegal order."""
    agent = {"llm": {"model": real_server.model_config(structured="none"), "max_reasks": 0, "fallback": "hold",
                     "talk_max_tokens": 8}}
    run, res = _run(tmp_path, max_phases=1, agents={"smollm2": agent},
                    lineups=[{"name": "serve-F", "default": "hold", "powers": {"FRANCE": "smollm2"}}])
    assert res["meta"]["status"] == "completed"
    a = res["accounting"]["smollm2"]
    assert a["decisions"] == 3 and a["reasks"] == 0
    assert a["fallbacks"] == a["invalid"] and a["answers"] == 3
    game = json.loads((run / "games" / "serve-F-0.json").read_text())
    french = game["phases"][0]["orders"]["FRANCE"]
    legal = DiplomacyEnv(max_years=1).legal_orders("FRANCE")
    assert all(o in legal[o.split()[1]] for o in french) and len(french) == 3
    rec = res["units"]["serve-F-0"]
    assert rec["decisions"]["FRANCE"] == {"decisions": 3, "fallbacks": a["fallbacks"], "invalid": a["invalid"]}
