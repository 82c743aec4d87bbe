"""The showcase (what `make demo` runs), at reduced size: every part lands in one run."""

import json
from pathlib import Path

import pytest

from interplay.run.runner import load_config, run_experiment

ROOT = Path(__file__).resolve().parents[2]


def test_showcase_runs_end_to_end(tmp_path):
    cfg = load_config(ROOT / "examples" / "showcase.yaml",
                      ["population.matches=100", "learning.seeds=4", "tournament.repetitions=3"])
    out = run_experiment(cfg, tmp_path / "run", quiet=True)
    res = json.loads((out / "results.json").read_text())
    # part 1: exact values with the LOLA payoffs (TFT vs Defector: -2.04 per step)
    names = res["players"]
    assert res["exact_payoff_matrix"][names.index("Tit For Tat")][names.index("Defector")] == pytest.approx(-2.04,
                                                                                                           abs=1e-4)
    # part 2: naive learners end in mutual defection (-2 per step); LOLA does much better
    assert res["learning"]["NL vs NL"]["reward_per_step_mean"][0] == pytest.approx(-2.0, abs=0.02)
    assert res["learning"]["LOLA vs LOLA"]["reward_per_step_mean"][0] > -1.5
    # part 3: the learned policies are tournament players
    players = res["tournament-tournament"]["players"]
    assert "LOLA (learned vs LOLA)" in players and "NL (learned vs NL)" in players
    assert "alpharank" in res["tournament-tournament"]["analyses"]
    for png in ("payoff-heatmaps.png", "learning-1.png", "tournament-alpharank.png", "tournament-moran-fixation.png"):
        assert (out / png).is_file(), png


def test_showcase_llm_part_puts_the_bundled_model_in_the_population(tmp_path):
    cfg = load_config(ROOT / "examples" / "showcase.yaml",
                      ["population.matches=50", "learning.seeds=2", "learning.updates=20", "tournament.repetitions=1",
                       "tournament.turns=20", "llm.rounds=2", "llm.strategies=[Tit For Tat, Defector]"])
    out = run_experiment(cfg, tmp_path / "run", quiet=True)
    res = json.loads((out / "results.json").read_text())["llm"]
    llm = ["SmolLM2 (log-likelihood choice)", "SmolLM2 (free text)"]
    assert set(res["players"]) == {"Tit For Tat", "Defector", "LOLA (learned vs LOLA)", "NL (learned vs NL)", *llm}
    assert sorted(res["rank"].values()) == list(range(1, 7)) and sum(res["alpha_rank"].values()) == pytest.approx(1)
    for name in llm:
        s = res["llm"][name]
        # 5 opponents + self-play (both seats) = 7 matches of 2 rounds
        assert s["moves"] == 14 and s["answers"] == s["moves"] + s["reasks"]
        assert s["fallbacks"] <= s["moves"] and s["invalid_answers"] <= s["answers"]
    choice = res["llm"][llm[0]]
    assert choice["invalid_answers"] == 0 and choice["fallbacks"] == 0  # a scored choice is always legal
    # Defector's score is its row of the payoff matrix averaged (self-play included)
    i = res["players"].index("Defector")
    assert res["scores"]["Defector"] == pytest.approx(sum(res["payoff_matrix"][i]) / 6)
    report = (out / "report.html").read_text()
    assert "LLM agents in the population: ranking" in report and "moves by fallback" in report


async def test_showcase_llm_agents_ask_once():
    """The log-likelihood agent's move prompt asks no question of its own (its choice turn names the
    options); the free-text agent's asks for one of the actions."""
    import interplay
    from interplay.agents.fixed import MachinePlayer
    from interplay.agents.llm_agent import LLMAgent
    from interplay.agents.match import play_match
    from interplay.llm.testing import LoopbackServer, Reply
    from interplay.run.showcase import LLMPart

    agents = LLMPart().agents
    with LoopbackServer(default=Reply.choice("C")) as server:
        agent = LLMAgent("llm", server.model(), agents["SmolLM2 (log-likelihood choice)"])
        await play_match(interplay.make("ipd-v1", horizon=2), [agent, MachinePlayer.memory_one("T", "Tit For Tat")])
    move, choice = server.requests[1].messages[1]["content"], server.requests[1].last_user
    assert move.endswith("you got 3, T got 3.\nRound 2 of 2.") and "C, D" not in move
    assert choice.startswith('Choose exactly one of the options "C", "D".')
    assert agents["SmolLM2 (free text)"]["move_template"].endswith("Reply with your action only: one of {actions}.")
