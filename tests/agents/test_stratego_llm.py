"""LLM Stratego agents on a real model: the bundled SmolLM2-135M-Instruct locally
(``provider: transformers``) and through ``transformers serve`` (the ``real_server`` fixture).
What the model plays is not asserted; that every move is one of the legal moves of its text
view, and that the accounting adds up, is."""

import asyncio
import json

import jax

from interplay.agents.stratego import LLMStrategoAgent, StrategoBot, play_stratego
from interplay.games.stratego import stratego


def test_an_llm_chooses_legal_stratego_moves_on_the_bundled_model():
    from interplay.llm.config import load_model

    model = load_model({"provider": "transformers", "model": "smollm2-135m", "threads": 1})
    agent = LLMStrategoAgent("smollm2", model, {"max_reasks": 1})
    game = stratego("barrage", max_plies=4)
    seen = []

    class Watch:
        name = "smollm2"

        async def act(self, view):
            d = await agent.act(view)
            seen.append((view.moves, view.actions, d.action))
            return d

    out = asyncio.run(play_stratego(game, (Watch(), StrategoBot("r", "random")),
                                    jax.random.PRNGKey(0)))
    assert out.plies == 4 and out.winner == -1 and out.truncated  # the turn limit
    assert len(seen) == 2
    for k, (moves, actions, a) in enumerate(seen):  # red's moves are plies 0 and 2
        assert a in actions and out.moves[2 * k] == moves[actions.index(a)]
    s = agent.stats.as_dict()
    # option log-likelihoods always name an option: two moves, two answers, no fallback
    assert s["moves"] == 2 and s["answers"] == 2 and s["invalid_answers"] == 0 and s["fallbacks"] == 0


def test_the_stratego_kind_with_an_llm_through_transformers_serve(tmp_path, real_server):
    from interplay.run.runner import load_config, run_experiment

    agent = {"llm": {"model": real_server.model_config(structured="none"), "max_reasks": 0, "fallback": "random"}}
    cfg = {"kind": "stratego", "name": "st-llm", "seed": 0, "variant": "barrage", "max_plies": 2, "games": 1,
           "players": {"smollm2": agent, "random": "random"}}
    run = run_experiment(load_config(data=cfg), tmp_path / "run", quiet=True)
    res = json.loads((run / "results.json").read_text())
    assert res["meta"]["status"] == "completed" and res["games_played"] == 2
    a = res["accounting"]["smollm2"]
    assert a["decisions"] == 2 and a["answers"] == 2 and a["reasks"] == 0  # one move a game, as red and as blue
    assert a["fallbacks"] == a["invalid"]  # no re-asks: every invalid answer is a fallback move
    assert {b["path"] for b in res["blocks"]} == {"move by move"}
