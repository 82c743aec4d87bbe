"""LLM agents against a scripted loopback server: exact moves, re-asks, fallbacks, talk, budgets, cache."""

import asyncio
import re

import numpy as np
import pytest

import interplay
from interplay.agents.fixed import MachinePlayer
from interplay.agents.llm_agent import LLMAgent, parse_agent_config
from interplay.agents.match import play_match
from interplay.errors import InterplayError
from interplay.evaluate.tournament import run_tournament_async
from interplay.llm import Budget, LLMCache, load_model
from interplay.llm.testing import LoopbackServer, Reply, tit_for_tat_answer

TFT = MachinePlayer.memory_one("Tit For Tat", "Tit For Tat")
DEFECTOR = MachinePlayer.memory_one("Defector", "Defector")


def round_of(req):
    m = re.search(r"Round (\d+)", req.last_user)
    return int(m.group(1)) if m else 0


def defect_in_round_3(req):
    """A scripted 'model': reasons, then defects in round 3 only."""
    return "They have cooperated.\nACTION: " + ("D" if round_of(req) == 3 else "C")


async def test_exact_moves_and_payoffs_against_tit_for_tat():
    with LoopbackServer(default=defect_in_round_3) as server:
        agent = LLMAgent("llm", server.model())
        rec = await play_match(interplay.make("ipd-v1", horizon=4), [agent, TFT], seed=5)
    assert rec.complete and rec.actions == [(0, 0), (0, 0), (1, 0), (0, 1)]
    assert rec.totals.tolist() == [3 + 3 + 5 + 0, 3 + 3 + 0 + 5]
    assert server.calls == 4 and agent.stats.moves == 4 and agent.stats.invalid_answers == 0
    system, user = server.requests[3].messages
    assert "you get 5, Tit For Tat gets 0" in system["content"]  # payoffs from the spec, seat's own view
    assert "Round 3: you played D, Tit For Tat played C; you got 5" in user["content"]
    assert "Round 4 of 4" in user["content"]


async def test_illegal_answers_reask_then_declared_fallback():
    script = ["banana", "ACTION: X", Reply.empty()]
    with LoopbackServer(script, default="ACTION: C") as server:
        agent = LLMAgent("llm", server.model(), {"max_reasks": 2, "fallback": "Defector"})
        rec = await play_match(interplay.make("ipd-v1", horizon=2), [agent, TFT], seed=0)
    assert rec.actions == [(1, 0), (0, 1)]  # round 1: fallback Defector plays D; round 2: C
    move = rec.events[0]
    assert move["fallback"] is True and move["invalid"] == 3 and "the answer was empty" in move["reason"]
    s = agent.stats
    assert (s.moves, s.answers, s.invalid_answers, s.reasks, s.fallbacks) == (2, 4, 3, 2, 1)
    assert s.fallback_rate == 0.5 and s.invalid_rate == 0.75
    reask = server.requests[1].messages
    assert reask[-2] == {"role": "assistant", "content": "banana"}
    assert "names none of the legal options ['C', 'D']" in reask[-1]["content"]
    assert "'X' is not one of the legal options" in server.requests[2].messages[-1]["content"]
    assert rec.fallbacks == [1, 0] and rec.invalid == [3, 0]


async def test_choose_mode_reasons_then_constrained_choice():
    with LoopbackServer(["I will hunt the stag.", Reply.choice("Hare")]) as server:
        agent = LLMAgent("llm", server.model(), {"decision": "choose"})
        rec = await play_match(interplay.make("stag-hunt-v1"), [agent, MachinePlayer.memory_one("C", "Cooperator")])
    assert rec.actions == [(1, 0)] and rec.totals.tolist() == [3.0, 0.0]
    assert "response_format" not in server.requests[0].body
    assert server.requests[1].options == ["Stag", "Hare"]
    assert server.requests[1].messages[2] == {"role": "assistant", "content": "I will hunt the stag."}
    assert "The game is played once." in server.requests[0].messages[0]["content"]


async def test_actions_listed_by_system_and_payoffs_not_again_by_the_move_prompt():
    """The move prompt's answer format names no actions (the system prompt and its payoff table do);
    a re-ask lists them, and a constrained choice names its options in its own last turn."""
    with LoopbackServer(["banana", "ACTION: D"]) as server:
        agent = LLMAgent("llm", server.model(), {"max_reasks": 1})
        await play_match(interplay.make("ipd-v1", horizon=1), [agent, TFT])
    system, user = (m["content"] for m in server.requests[0].messages)
    assert "Your possible actions: C, D." in system and "If you play C and Tit For Tat plays D" in system
    assert "C, D" not in user and user.endswith("ACTION: <your action>")
    assert "The legal actions are: C, D." in server.requests[1].last_user
    for reasoning in (True, False):
        script = ["I will hunt the stag.", Reply.choice("Hare")] if reasoning else [Reply.choice("Hare")]
        with LoopbackServer(script) as server:
            agent = LLMAgent("llm", server.model(), {"decision": "choose", "reasoning": reasoning})
            rec = await play_match(interplay.make("stag-hunt-v1"), [agent, MachinePlayer.memory_one("C", "Cooperator")])
        choice = server.requests[-1]
        assert rec.actions == [(1, 0)] and choice.options == ["Stag", "Hare"]
        assert "Stag, Hare" not in choice.messages[1]["content"]  # the move prompt
        assert choice.last_user.startswith('Choose exactly one of the options "Stag", "Hare".')


async def test_scripted_tit_for_tat_opens_with_the_first_action_of_the_system_prompt():
    with LoopbackServer(default=tit_for_tat_answer) as server:
        agent = LLMAgent("llm", server.model())
        rec = await play_match(interplay.make("stag-hunt-v1"), [agent, MachinePlayer.memory_one("C", "Cooperator")])
    assert rec.actions == [(0, 0)] and agent.stats.invalid_answers == 0  # Stag, not the IPD's "C"


async def test_private_talk_is_seen_only_by_its_recipient():
    def responder(req):
        if "message to" in req.last_user:
            me = re.search(r"You are (\w+);", req.messages[0]["content"]).group(1)
            to = re.search(r"message to ([\w, ]+)\.", req.last_user).group(1)
            return f"secret from {me} to {to}"
        return "ACTION: C"

    with LoopbackServer(default=responder) as server:
        model = server.model()
        agents = [LLMAgent(n, model) for n in ("Ann", "Bob", "Cat")]
        game = interplay.make("public-goods-v1", num_players=3)
        rec = await play_match(game, agents, talk_rounds=1, talk_visibility="private")
    assert len(rec.messages) == 6 and all(len(m.to) == 1 for m in rec.messages)
    assert {(m.sender, m.to[0]) for m in rec.messages} == {(a, b) for a in ["Ann", "Bob", "Cat"]
                                                           for b in ["Ann", "Bob", "Cat"] if a != b}
    move_prompts = [r for r in server.requests if "ACTION:" in r.last_user]
    cat = next(r for r in move_prompts if "You are Cat;" in r.messages[0]["content"]).last_user
    assert "Ann to you: secret from Ann to Cat" in cat and "secret from Ann to Bob" not in cat
    assert rec.events[0]["kind"] == "talk" and rec.events[0]["visibility"] == "private"


async def test_budget_stops_tournament_and_keeps_finished_matches():
    budget = Budget(max_calls=4)
    with LoopbackServer(default="ACTION: C") as server:
        agent = LLMAgent("llm", server.model(budget=budget))
        result = await run_tournament_async({"llm": agent, "Tit For Tat": TFT, "Defector": DEFECTOR},
                                            game=interplay.make("ipd-v1", horizon=3), self_play=False, max_matches=1)
    assert server.calls == 4 and "call budget spent" in result.stopped
    done = [m for m in result.matches if m.complete]
    assert [m.names for m in done] == [("llm", "Tit For Tat")]
    assert result.incomplete[0].names == ("llm", "Defector") and result.incomplete[0].length == 1
    assert result.payoff_matrix[0, 1] == 3.0 and np.isnan(result.payoff_matrix[1, 2])  # never started
    assert len(result.matches) == 2


async def test_server_down_stops_only_that_match():
    with LoopbackServer(default=Reply.error(503)) as server:
        agent = LLMAgent("llm", server.model(max_retries=1))
        rec = await play_match(interplay.make("ipd-v1", horizon=3), [agent, TFT])
    assert not rec.complete and rec.error_type == "ModelCallError" and "HTTP 503 after 1 retries" in rec.error
    assert server.calls == 2 and agent.stats.call_errors == 1 and agent.stats.moves == 0


async def test_matches_run_concurrently_under_the_bounds():
    with LoopbackServer(default=Reply.text("ACTION: C", delay=0.15)) as server:
        model = server.model(max_concurrency=6)
        players = {f"llm{i}": LLMAgent(f"llm{i}", model) for i in range(4)}
        result = await run_tournament_async(players, game=interplay.make("ipd-v1", horizon=2), self_play=False,
                                            max_matches=64)
    assert len(result.matches) == 6 and server.calls == 6 * 2 * 2
    assert server.max_in_flight == 6  # 12 calls per round wanted, the model's bound holds them to 6
    assert np.allclose(result.payoff_matrix[~np.eye(4, dtype=bool)], 3.0)


async def test_rerun_with_cache_makes_no_calls_and_replay_matches(tmp_path):
    game = interplay.make("ipd-v1", horizon=3, noise=0.1)
    cache = tmp_path / "cache.sqlite"
    record = tmp_path / "calls.jsonl"

    async def study(model):
        agent = LLMAgent("llm", model, {"temperature": 0.7})
        return await run_tournament_async({"llm": agent, "Tit For Tat": TFT, "Defector": DEFECTOR}, game=game,
                                          self_play=False, repetitions=2, seed=3, talk_rounds=1)

    rng = np.random.default_rng(0)
    with LoopbackServer(default=lambda req: f"ACTION: {'CD'[int(rng.integers(2))]}") as server:
        first = await study(server.model(cache=cache, record=record))
        assert server.calls == 4 * 3 * 2  # 4 LLM matches x 3 rounds x (talk + move)
    with LoopbackServer(default=Reply.error(500)) as server:
        model = server.model(cache=LLMCache(cache))
        second = await study(model)
        assert server.calls == 0 and model.totals.cached_calls == 24
    replayed = await study(load_model({"provider": "replay", "path": str(record)}))
    for other in (second, replayed):
        np.testing.assert_array_equal(other.payoff_matrix, first.payoff_matrix)
        assert [m.transcript() for m in other.matches] == [m.transcript() for m in first.matches]


def test_config_validation_and_custom_templates():
    with pytest.raises(InterplayError, match="unknown placeholder"):
        parse_agent_config({"model": "m.yaml", "move_template": "Play {movez}"})
    with pytest.raises(InterplayError, match="fallback"):
        parse_agent_config({"model": "m.yaml", "fallback": "Tit For Three Tats"})
    with pytest.raises(InterplayError, match="max_reask"):
        parse_agent_config({"model": "m.yaml", "max_reask": 3})
    with LoopbackServer(default="Tails") as server:
        agent = LLMAgent("llm", server.model(), {"model": "m.yaml", "reasoning": False,
                                                 "move_template": "Pick one of {actions} in {game_id}."})
        out = asyncio.run(play_match(interplay.make("matching-pennies-v1"), [agent, TFT]))
    assert out.actions == [(1, 0)]
    assert server.requests[0].last_user == "Pick one of Heads, Tails in matching-pennies-v1."


def test_llm_agent_in_the_library_tournament_agrees_with_round_robin():
    """The LLM agent against the library's strategies (batched among themselves) and against the same
    strategies as per-turn machines in the game (every match per turn): one engine, both paths agree."""
    from interplay.agents.fixed import strategy_player
    from interplay.evaluate.tournament import run_tournament
    from interplay.llm.testing import tit_for_tat_answer

    names = ["Tit For Tat", "Defector", "Grudger", "Alternator"]
    with LoopbackServer(default=tit_for_tat_answer) as server:
        agent = LLMAgent("LLM", server.model())
        lib = run_tournament([agent, *names], turns=6, repetitions=1, self_play=False)
        game = interplay.make("ipd-v1", horizon=6)
        ours = run_tournament({"LLM": agent, **{n: strategy_player(n, game) for n in names}}, game=game,
                              self_play=False)
    lib_m = np.array(lib.payoff_matrix, dtype=float)
    ours_m = ours.payoff_matrix
    off = ~np.eye(5, dtype=bool)
    np.testing.assert_allclose(lib_m[off], ours_m[off])
    # the scripted model plays tit for tat: the same row as the library's Tit For Tat
    np.testing.assert_allclose(lib_m[0, 2:], lib_m[1, 2:])
