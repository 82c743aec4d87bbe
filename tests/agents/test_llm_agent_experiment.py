"""The llm-tournament experiment against the loopback server: results, transcripts, cache, budget, no key."""

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from interplay.llm.testing import LoopbackServer, tit_for_tat_answer
from interplay.run.runner import load_config, run_experiment

EXAMPLE = Path(__file__).parents[2] / "examples" / "llm-mixed-population.yaml"


def _config(tmp_path, server, **changes):
    data = yaml.safe_load(EXAMPLE.read_text())
    data["agents"]["LLM"]["llm"]["model"].update(base_url=server.base_url, api_key_env="EXP_TEST_KEY",
                                                 backoff_base=0.01)
    data.update({"cache": str(tmp_path / "cache.sqlite"), "repetitions": 1, **changes})
    data["game"]["params"]["horizon"] = 4
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_config(path, [])


def test_mixed_population_run_and_rerun_from_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("EXP_TEST_KEY", "sk-exp-secret-456")
    with LoopbackServer(default=tit_for_tat_answer) as server:
        run1 = run_experiment(_config(tmp_path, server), tmp_path / "run1", quiet=True)
        calls = server.calls
        run2 = run_experiment(_config(tmp_path, server), tmp_path / "run2", quiet=True)
        assert server.calls == calls  # the re-run is served by the cache
    r1 = json.loads((run1 / "results.json").read_text())
    r2 = json.loads((run2 / "results.json").read_text())
    names = r1["players"]
    assert names == ["LLM", "Tit For Tat", "Defector", "Win-Stay Lose-Shift", "Random", "LOLA"]
    M = np.array(r1["payoff_matrix"], dtype=float)
    assert M.shape == (6, 6) and not np.isnan(M).any()
    # the scripted model plays tit for tat: mutual cooperation with TFT (3 a turn), and against
    # the defector it is exploited once in 4 turns: (0 + 1 + 1 + 1) / 4
    assert M[0, 1] == 3.0 and M[0, 2] == 0.75 and M[2, 0] == (5 + 1 + 1 + 1) / 4
    assert M[0, 0] == 3.0
    assert r2["payoff_matrix"] == r1["payoff_matrix"] and r2["alpha_rank"] == r1["alpha_rank"]
    assert abs(sum(r1["alpha_rank"].values()) - 1) < 1e-9
    llm = r1["llm"]["LLM"]
    # 6 matches with the LLM (one of them self-play: two seats) x 4 rounds
    assert llm["moves"] == 7 * 4 and llm["calls"] == calls and llm["invalid_rate"] == 0.0
    assert r2["llm"]["LLM"]["calls"] == 0 and r2["llm"]["LLM"]["cached_calls"] == calls
    assert r1["matches_played"] == 21 and r1["stopped"] is None
    # ratings from match wins: self-play is left out, so each of 6 players has 5 rated games; the
    # defector never loses a prisoner's dilemma match, so its Elo cannot fall below the start
    elo = {e["name"]: e for e in r1["ratings"]["elo"]}
    assert {e["games"] for e in elo.values()} == {5}
    assert elo["Defector"]["rating"] >= 1500 and elo["Defector"]["rating"] > elo["LLM"]["rating"]
    assert sum(e["rating"] for e in elo.values()) == pytest.approx(6 * 1500)  # Elo is zero-sum
    assert {o["name"] for o in r1["ratings"]["openskill"]} == set(names)
    transcripts = sorted((run1 / "transcripts").glob("*.json"))
    assert len(transcripts) == 6
    first = json.loads(transcripts[0].read_text())
    assert any(e["kind"] == "move" and "ACTION:" in e["text"] for e in first)
    assert (run1 / "llm-calls.jsonl").exists() and (run1 / "report.html").exists()
    for f in [*run1.rglob("*"), *run2.rglob("*"), tmp_path / "cache.sqlite"]:
        if f.is_file():
            assert b"sk-exp-secret-456" not in f.read_bytes(), f


def test_budget_stops_cleanly_and_reports(tmp_path, monkeypatch):
    monkeypatch.setenv("EXP_TEST_KEY", "k")
    with LoopbackServer(default=tit_for_tat_answer) as server:
        # first LLM self-play (2 seats x 4 rounds = 8 calls), then LLM vs TFT (4 calls), then the budget is spent
        cfg = _config(tmp_path, server, budget={"max_calls": 12}, max_matches=1, cache=None)
        run = run_experiment(cfg, tmp_path / "run", quiet=True)
        assert server.calls == 12
    r = json.loads((run / "results.json").read_text())
    assert "call budget spent (12 of 12 calls)" in r["stopped"]
    assert r["matches_played"] == 2 and r["matches_incomplete"] == [
        {"players": ["LLM", "Defector"], "rounds": 0, "error": r["matches_incomplete"][0]["error"]}]
    assert r["payoff_matrix"][0][1] == 3.0 and r["payoff_matrix"][1][2] is None  # never started
    assert r["budget"]["calls"] == 12 and r["alpha_rank"] is None
    assert "Stopped early" in (run / "report.html").read_text()


def test_safety_rules_give_violation_columns(tmp_path, monkeypatch):
    """LLM (tit for tat) vs Defector, 4 turns: C/D, D/D, D/D, D/D. With D/D forbidden and blamed on
    both, each agent violates on 3 of 4 turns; welfare lost per turn (optimum 6): (1 + 4 + 4 + 4) / 4."""
    monkeypatch.setenv("EXP_TEST_KEY", "k")
    with LoopbackServer(default=tit_for_tat_answer) as server:
        data = _config(tmp_path, server, self_play=False).model_dump()
        data["agents"] = {"LLM": data["agents"]["LLM"], "Defector": "Defector"}
        data["safety"] = {"forbid_joint": [{"joint": ["D", "D"]}]}
        run = run_experiment(load_config(data=data), tmp_path / "run", quiet=True)
    rows = {r["name"]: r for r in json.loads((run / "results.json").read_text())["safety"]}
    assert rows["LLM"]["violations_per_turn"] == pytest.approx(0.75)
    assert rows["Defector"]["violations_per_turn"] == pytest.approx(0.75)
    assert rows["LLM"]["welfare_lost_per_turn"] == pytest.approx(13 / 4)
