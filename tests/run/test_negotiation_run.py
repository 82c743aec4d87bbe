"""The `negotiation` experiment: a run directory whose numbers are the metrics of its own records,
clear errors for bad configs, and the LLM negotiator on the real bundled model (in process, and
through `transformers serve`): every move it makes is legal, and its answers are counted."""

import asyncio
import json

import pytest

import interplay
from interplay.cli import main
from interplay.evaluate.negotiation import summarize

FIXED = """
kind: negotiation
name: neg
seed: 2
negotiators:
  boulware: {kind: boulware}
  conceder: {kind: conceder}
  stingy: {kind: threshold, threshold: 0.9, floor: 0.5}
games:
  - {id: deal-or-no-deal-v1, episodes: 4, params: {max_turns: 6}}
  - {id: ultimatum-v1, lineups: [[boulware, stingy], [conceder, conceder]]}
  - {id: scorable-negotiation-v1, params: {rounds: 1}}
monitors: [{kind: injection, action: flag}]
"""


def cli(*args):
    with pytest.raises(SystemExit) as info:
        main(list(args))
    return info.value.code


def test_run_directory_and_its_numbers(tmp_path):
    path = tmp_path / "neg.yaml"
    path.write_text(FIXED)
    out = tmp_path / "run"
    assert cli("run", str(path), "-o", str(out), "-q") == 0
    res = json.loads((out / "results.json").read_text())
    assert res["meta"]["status"] == "completed"
    games = res["games"]
    assert set(games) == {"deal-or-no-deal-v1", "ultimatum-v1", "scorable-negotiation-v1"}
    assert len(games["deal-or-no-deal-v1"]) == 9  # every ordered pair of 3 negotiators
    assert list(games["ultimatum-v1"]) == ["boulware-stingy", "conceder-conceder"]
    assert len(games["scorable-negotiation-v1"]) == 3  # each negotiator in every seat
    # the ultimatum by hand: boulware keeps all 10 coins at its first and only offer; the stingy responder
    # (floor 0.5: never less than 5 of its best 10) rejects it: no deal
    s = games["ultimatum-v1"]["boulware-stingy"]
    assert (s["agreements"], s["mean_payoffs"]) == (0, [0.0, 0.0])
    # the summary of every line-up is the summary of its own unit records (read back from results.json)
    units = res["units"]
    for lu, s in games["deal-or-no-deal-v1"].items():
        recs = [units[f"deal-or-no-deal-v1/{lu}/{k}"] for k in range(4)]
        assert [r["seed"] for r in recs] == [2, 3, 4, 5]
        for k, r in enumerate(recs):  # episode k is OpenSpiel instance k
            r["game"] = interplay.make("deal-or-no-deal-v1", instance=k, max_turns=6).public_record()
        again = summarize(recs)
        assert again["agreement_rate"] == s["agreement_rate"] and again["mean_welfare"] == s["mean_welfare"]
        assert again["mean_nbs_distance"] == pytest.approx(s["mean_nbs_distance"])
    for name in ("negotiation-deal-or-no-deal-v1.png", "negotiation-ultimatum-v1.png", "report.html"):
        assert (out / name).is_file()
    assert len(list((out / "transcripts").glob("*.json"))) == 9 * 4 + 2 + 3
    assert res["monitors"]["monitors"][0]["checked"] > 0


@pytest.mark.parametrize("change, message", [
    ("games: [{id: ultimatum-v1, lineups: [[boulware, nobody]]}]", "unknown negotiators ['nobody']"),
    ("games: [{id: prisoners-dilemma-v1}]", "not a bargaining game"),
    ("games: [{id: ultimatum-v1}, {id: ultimatum-v1}]", "games listed twice"),
    ("games: [{id: ultimatum-v1, lineups: [[boulware, boulware, boulware]]}]", "line-up(s)"),
])
def test_bad_configs_are_clear_errors(tmp_path, capsys, change, message):
    text = FIXED.split("games:")[0] + change + "\n"
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    assert cli("run", str(path), "-o", str(tmp_path / "r"), "-q") == 2
    err = capsys.readouterr().err
    assert message in " ".join(err.split()) and "Traceback" not in err


def test_llm_negotiator_on_the_bundled_model():
    """The real SmolLM2-135M (provider: transformers) proposes in the ultimatum game: whatever it writes,
    the move played is legal, and n, unparsed, re-asks and fallbacks add up."""
    from interplay.agents.negotiators import LLMNegotiator, Threshold, conceder
    from interplay.llm.config import load_model
    from interplay.talk.negotiation import negotiate

    model = load_model({"provider": "transformers", "model": "smollm2-135m"})
    game = interplay.make("ultimatum-v1")
    llm = LLMNegotiator("smol", model, max_tokens=24)
    r = asyncio.run(negotiate(game, [llm, Threshold()], fallbacks=[conceder("fb"), conceder("fb")], max_reasks=1))
    c = r.counts["smol"]
    first = r.moves[0]
    assert first["move"] == "offer" and 0 <= first["deal"] < game.num_deals
    assert c.decisions == 1 and c.answers == first["attempts"] == 1 + c.reasks
    assert c.fallbacks == int(first["fallback"]) and c.calls == c.answers and c.tokens > 0
    assert c.invalid == c.answers - (0 if first["fallback"] else 1)  # every answer but a played one is unparsed
    assert r.payoffs == game.returns(_replay(game, r)).tolist()


def test_llm_negotiator_choosing_on_the_bundled_model():
    """decision: choose on the real model: every move is the model's own (a choice among the legal moves),
    none a fallback; its message call and its choice are both counted."""
    from interplay.agents.negotiators import LLMNegotiator, conceder
    from interplay.llm.config import load_model
    from interplay.talk.negotiation import negotiate

    model = load_model({"provider": "transformers", "model": "smollm2-135m"})
    game = interplay.make("ultimatum-v1")
    llm = LLMNegotiator("smol", model, decision="choose", message_tokens=12)
    r = asyncio.run(negotiate(game, [llm, llm], fallbacks=[conceder("fb"), conceder("fb")], max_reasks=1))
    c = r.counts["smol"]
    assert (c.decisions, c.answers, c.invalid, c.reasks, c.fallbacks, c.calls) == (2, 2, 0, 0, 0, 4)
    assert r.moves[0]["move"] == "offer" and r.moves[1]["move"] in ("accept", "reject")
    assert r.payoffs == game.returns(_replay(game, r)).tolist()


def _replay(game, r):
    from interplay.games.bargaining import Move

    s = game.initial_state()
    for m in r.moves:
        s = game.step(s, Move(m["move"], m["deal"]))
    return s


def test_llm_negotiator_through_transformers_serve(real_server):
    """The same bundled model behind Hugging Face's own OpenAI-compatible server."""
    from interplay.agents.negotiators import LLMNegotiator, Threshold, conceder
    from interplay.llm.config import load_model
    from interplay.talk.negotiation import negotiate

    model = load_model(real_server.model_config())
    game = interplay.make("ultimatum-v1")
    llm = LLMNegotiator("served", model, max_tokens=24)
    r = asyncio.run(negotiate(game, [Threshold(), llm], fallbacks=[conceder("fb"), conceder("fb")], max_reasks=1))
    c = r.counts["served"]
    answer = r.moves[1]
    assert answer["move"] in ("accept", "reject") and c.decisions == 1 and c.answers == answer["attempts"]
    assert c.fallbacks == int(answer["fallback"]) and c.tokens > 0
    assert r.payoffs == game.returns(_replay(game, r)).tolist()
    # decision: choose over HTTP (a message, then a choice the server may not constrain): whatever comes
    # back is read strictly; one message call, one call per choice
    chooser = LLMNegotiator("served-choose", model, decision="choose", message_tokens=12)
    r = asyncio.run(negotiate(game, [Threshold(), chooser], fallbacks=[conceder("fb"), conceder("fb")],
                              max_reasks=1))
    c, answer = r.counts["served-choose"], r.moves[1]
    assert c.decisions == 1 and c.answers == answer["attempts"] == 1 + c.reasks and c.calls == 1 + c.answers
    assert c.fallbacks == int(answer["fallback"]) and c.invalid == c.answers - (0 if answer["fallback"] else 1)
    assert answer["move"] in ("accept", "reject") and r.payoffs == game.returns(_replay(game, r)).tolist()


def test_negotiation_resumes_after_sigkill_to_the_uninterrupted_numbers(tmp_path):
    import yaml
    from test_resume_kinds import kill_resume_and_compare

    data = yaml.safe_load(FIXED)
    del data["monitors"]  # with monitors a resumed run redoes every negotiation (they must see every message)
    res = kill_resume_and_compare(tmp_path, data, kill_after=5)
    assert len(res["units"]) == 9 * 4 + 2 + 3


def test_a_person_negotiates_at_the_terminal(tmp_path):
    """`kind: human` reads the terminal: a bad move is re-asked with the reason, then played."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    cfg = tmp_path / "human.yaml"
    cfg.write_text("kind: negotiation\nname: human\nnegotiators:\n  me: {kind: human}\n"
                   "  fair: {kind: threshold, threshold: 0.5}\ngames:\n  - {id: ultimatum-v1, lineups: [[me, fair]]}\n")
    src = str(Path(__file__).resolve().parents[2] / "src")
    proc = subprocess.run([sys.executable, "-m", "interplay.cli", "run", str(cfg), "-o", str(tmp_path / "r"), "-q"],
                          input="Half each?\nOFFER coins=11\nMOVE: OFFER coins=5\n", capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": src})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "coin=11 is impossible: the pool has 10 coins" in proc.stdout
    unit = json.loads((tmp_path / "r" / "results.json").read_text())["units"]["ultimatum-v1/me-fair/0"]
    assert unit["payoffs"] == [5.0, 5.0] and unit["messages"][0]["text"] == "Half each?"
    assert unit["counts"]["me"]["unparsed"] == {"invalid": 1} and unit["counts"]["me"]["fallbacks"] == 0
    # the input ends before a move: a clear error, exit 2, no traceback
    proc = subprocess.run([sys.executable, "-m", "interplay.cli", "run", str(cfg), "-o", str(tmp_path / "r2"), "-q"],
                          input="", capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": src})
    assert proc.returncode == 2 and "no more input" in proc.stderr and "Traceback" not in proc.stderr
