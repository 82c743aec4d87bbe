"""Stratego players and the stratego kind: bots on both paths, people, LLM agents (a scripted server
and the bundled SmolLM2 locally and through ``transformers serve``)."""

import asyncio
import json

import jax
import numpy as np
import pytest

from interplay.agents.stratego import HumanStrategoPlayer, LLMStrategoAgent, StrategoBot, play_stratego
from interplay.errors import InterplayError
from interplay.games.stratego import stratego
from interplay.games.stratego.bots import heuristic_policy, random_policy
from interplay.games.stratego.text import legal_moves


@pytest.fixture(scope="module")
def barrage():
    return stratego("barrage", max_plies=60)


def test_move_by_move_bots_play_the_batched_paths_game(barrage):
    key = jax.random.PRNGKey(3)
    rec = barrage.play(key, 2, (heuristic_policy, random_policy), record=True)
    for g, gk in enumerate(jax.random.split(key, 2)):
        one = asyncio.run(play_stratego(barrage, (StrategoBot("h", "heuristic"), StrategoBot("r", "random")), gk))
        n = int(rec.plies[g])
        assert one.plies == n and one.winner == int(rec.winner[g]) and one.truncated == bool(rec.truncated[g])
        assert one.actions == np.asarray(rec.actions[g])[:n].tolist()


class _Illegal:
    name = "cheat"

    async def act(self, view):
        return int(np.flatnonzero(~np.asarray(view.mask))[0])


def test_an_illegal_move_from_a_player_is_a_clear_error(barrage):
    with pytest.raises(InterplayError, match="cheat \\(red\\) played an illegal move"):
        asyncio.run(play_stratego(barrage, (_Illegal(), StrategoBot("r", "random")), jax.random.PRNGKey(0)))


def test_a_person_types_moves_and_bad_ones_are_asked_again(barrage):
    key = jax.random.PRNGKey(5)
    _, state = barrage.reset(jax.random.split(key)[0])
    first = legal_moves(state)
    shown = []
    answers = iter(["a1-a1", "zz", first[0].replace("-", " to "), "1", "1", "1", "1", "1", "1", "1"] + ["1"] * 40)
    human = HumanStrategoPlayer("pat", ask=lambda p: next(answers), tell=shown.append)
    game = asyncio.run(play_stratego(stratego("barrage", max_plies=6), (human, StrategoBot("r", "random")), key))
    assert game.moves[0] == first[0]
    assert sum("is not one of your" in t for t in shown) == 2
    assert "You are red; your side is at the bottom." in shown[0]


def test_an_llm_that_never_answers_a_legal_move_falls_back_every_move(barrage):
    from interplay.llm.config import load_model
    from interplay.llm.testing import LoopbackServer

    with LoopbackServer(default="I would like to castle kingside.", port=18661) as server:
        model = load_model({"provider": "openai", "base_url": server.base_url, "model": "loopback",
                            "api_key_env": None, "structured": "none", "max_retries": 0})
        agent = LLMStrategoAgent("bad", model, {"max_reasks": 2, "fallback": "random"})
        game = asyncio.run(play_stratego(stratego("barrage", max_plies=8), (agent, StrategoBot("r", "random")),
                                         jax.random.PRNGKey(1)))
    s = agent.stats.as_dict()
    mine = (game.plies + 1) // 2  # red moves first
    assert s["moves"] == s["fallbacks"] == mine and game.fallbacks == (mine, 0)
    assert s["answers"] == s["invalid_answers"] == 3 * mine and s["reasks"] == 2 * mine
    # the fallback is the random bot on the same key: the same game as two random bots
    same = asyncio.run(play_stratego(stratego("barrage", max_plies=8),
                                     (StrategoBot("r0", "random"), StrategoBot("r", "random")), jax.random.PRNGKey(1)))
    assert game.actions == same.actions


def test_the_stratego_kind_between_bots(tmp_path):
    from interplay.run.runner import load_config, run_experiment

    cfg = {"kind": "stratego", "name": "st", "seed": 0, "variant": "barrage", "max_plies": 120, "games": 6,
           "players": {"random": "random", "heuristic": "heuristic"}}
    run = run_experiment(load_config(data=cfg), tmp_path / "run", quiet=True)
    res = json.loads((run / "results.json").read_text())
    assert res["games_played"] == 12
    for t in res["table"].values():
        assert t["games"] == 12 and t["wins"] + t["draws"] + t["losses"] == 12
    h, r = res["table"]["heuristic"], res["table"]["random"]
    assert h["wins"] == r["losses"] and h["draws"] == r["draws"]
    # the first block (random red vs heuristic blue) is the batched path's games from its key
    game = stratego("barrage", max_plies=120)
    rec = game.play(jax.random.fold_in(jax.random.PRNGKey(0), 0), 6, (random_policy, heuristic_policy))
    blue_wins = int(np.sum(np.asarray(rec.winner) == 1))
    M = np.array(res["score_matrix"])
    assert abs(M[0, 1] + M[1, 0] - 1) < 1e-12 and abs(sum(res["alpha_rank"].values()) - 1) < 1e-9
    metrics = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    first = next(m for m in metrics if m.get("red") == "random")
    assert first["blue_wins"] == blue_wins
    assert "tournament" in (run / "report.html").read_text()


def test_unknown_stratego_bot_is_a_config_error():
    from interplay.run.runner import load_config

    with pytest.raises(InterplayError, match="unknown bot 'heuristc'"):
        load_config(data={"kind": "stratego", "name": "x", "players": {"a": "random", "b": "heuristc"}})


def test_own_frame_shows_each_player_its_side_at_the_bottom():
    """A position and its half-turned mirror with the colours swapped look the same to the mover."""
    from interplay.games.stratego.aec import aec_env
    from interplay.games.stratego.core import ROTATE_ACTION_NP, own_frame

    game = stratego("barrage")
    red = game.position({"b2": "red marshal", "d4": "red scout", "a1": "red flag",
                         "h8": "blue miner", "j10": "blue flag", "c7": "blue bomb"}, to_move="red")
    blue = game.position({"i9": "blue marshal", "g7": "blue scout", "j10": "blue flag",
                          "c3": "red miner", "a1": "red flag", "h4": "red bomb"}, to_move="blue")
    o_red, m_red = own_frame(game.observe(red, 0), red.mask, 0)
    o_blue, m_blue = own_frame(game.observe(blue, 1), blue.mask, 1)
    assert np.array_equal(np.asarray(o_red)[:-1], np.asarray(o_blue)[:-1])  # all but the player bit
    assert np.array_equal(np.asarray(m_red), np.asarray(m_blue)) and int(np.sum(np.asarray(m_red))) > 0
    # the AEC env in own frame: blue's own-frame action is the board's turned move
    env = aec_env("stratego-barrage-v1", own_frame=True)
    env.reset(seed=2)
    env.step(int(np.flatnonzero(env.observe("red")["action_mask"])[0]))
    own = env.observe("blue")["action_mask"]
    board = np.asarray(env.state().mask)
    assert np.array_equal(own, board[ROTATE_ACTION_NP].astype(np.int8))
    b = int(np.flatnonzero(own)[0])
    before = env.state()
    env.step(b)
    ref = game.transition(before, int(ROTATE_ACTION_NP[b]))[0]
    assert np.array_equal(np.asarray(env.state().owner), np.asarray(ref.owner))


def test_own_frame_aec_env_passes_pettingzoo_api_test():
    from pettingzoo.test import api_test

    from interplay.games.stratego.aec import aec_env

    api_test(aec_env("stratego-barrage-v1", own_frame=True), num_cycles=100)


def test_the_stratego_kinds_llm_accounting_adds_up_the_blocks_records(tmp_path):
    from interplay.llm.testing import LoopbackServer
    from interplay.run.runner import load_config, run_experiment

    with LoopbackServer(default="no idea", port=18663) as server:
        model = {"provider": "openai", "base_url": server.base_url, "model": "loopback", "api_key_env": None,
                 "structured": "none", "max_retries": 0}
        cfg = {"kind": "stratego", "name": "st-acc", "seed": 0, "variant": "barrage", "max_plies": 4, "games": 2,
               "players": {"bad": {"llm": {"model": model, "max_reasks": 1}}, "random": "random"}}
        run = run_experiment(load_config(data=cfg), tmp_path / "run", quiet=True)
    res = json.loads((run / "results.json").read_text())
    shares = [b["llm_stats"]["bad"]["moves"] for b in res["units"].values()]
    assert shares == [4, 4]  # two 4-ply games a block, two moves each
    a = res["accounting"]["bad"]
    assert a["decisions"] == a["fallbacks"] == 8 and a["answers"] == a["invalid"] == 16 and a["reasks"] == 8
    fb = [g["fallbacks"] for b in res["units"].values() for g in b["games"]]
    assert sum(x for pair in fb for x in pair) == 8


def test_shuffled_moves_are_listed_in_a_seeded_order_and_the_pick_is_the_one_named():
    from interplay.llm.config import load_model
    from interplay.llm.testing import LoopbackServer

    def first_listed(req):
        line = next(x for x in req.prompt.split("\n") if x.startswith("Your legal moves"))
        return line.split(": ", 1)[1].split()[0]

    with LoopbackServer(default=first_listed, port=18665) as server:
        model = load_model({"provider": "openai", "base_url": server.base_url, "model": "loopback",
                            "api_key_env": None, "structured": "none", "max_retries": 0})
        agent = LLMStrategoAgent("first", model, {"max_reasks": 0, "shuffle_options": True})
        game = asyncio.run(play_stratego(stratego("barrage", max_plies=6), (agent, StrategoBot("r", "random")),
                                         jax.random.PRNGKey(2)))
        shown = [first_listed(r) for r in server.requests]
    assert agent.stats.fallbacks == 0 and agent.stats.moves == 3
    assert game.moves[0::2] == shown  # red's moves are the ones named first in its shuffled lists
    _, state = stratego("barrage").reset(jax.random.split(jax.random.PRNGKey(2))[0])
    assert shown[0] != legal_moves(state)[0]  # not the text view's own first move
