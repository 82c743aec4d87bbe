"""Answers that must not be scored: cut off by the length limit, empty, or only restating the
question. Hand-made replies from the scripted loopback server, through debate and persuasion."""

import json
import re

import pytest

from interplay.llm.base import Completion
from interplay.llm.testing import LoopbackServer, Reply
from interplay.run.runner import load_config, run_experiment
from interplay.talk.answers import read_answer
from interplay.talk.debate import DebateSettings, call_seed, debate_question
from interplay.talk.metrics import debate_summary, persuasion_effect
from interplay.talk.persuasion import Claim, PersuasionSettings, run_persuasion
from interplay.talk.tasks import Question, arithmetic_questions

Q = Question(id="q", question="What is the result of 2+0*5+24-19*27?", answer=str(2 + 0 * 5 + 24 - 19 * 27))


@pytest.mark.parametrize("text, finish, expected", [
    ("2 + 0 * 5 + 24 - 19 * 27", "stop", (None, "echo")),        # issue 11: read as 27 before
    ("What is the result of 2+0*5+24-19*27?", "stop", (None, "echo")),
    ("The result of 2 + 0 * 5 + 24 - 19 * 27 is", "stop", (None, "echo")),
    ("First 19*27 = 513, so the answer is -487", "length", (None, "length")),
    ("", "stop", (None, "empty")),
    ("2+0*5+24-19*27 = 26 - 513 = -487", "stop", ("-487", None)),  # the expression, then the answer
    ("The answer is 27.", "stop", ("27", None)),                   # a wrong answer is still an answer
    ("No idea.", "stop", (None, "none")),
])
def test_read_answer_rules(text, finish, expected):
    assert read_answer(text, Q, Completion(text=text, finish_reason=finish)) == expected


REPLIES = {  # agent -> its one answer (round 0); the correct answer is -487
    "agent-1": Reply(content="Let me compute. 19*27 = 513, 2 + 24 = 26, 26 - 513 = -487. It's a gift for me. 27",
                     finish_reason="length"),
    "agent-2": Reply.empty(),
    "agent-3": Reply.text("2 + 0 * 5 + 24 - 19 * 27"),
    "agent-4": Reply.text("2 + 0 * 5 + 24 - 19 * 27"),
    "agent-5": Reply.text("So the answer is 1."),
}


async def test_debate_counts_length_cut_empty_and_echo_answers_unparsed_and_scores_none_of_them():
    with LoopbackServer(default=lambda req: REPLIES[req.body["model"]]) as server:
        models = [server.model(model=a) for a in REPLIES]
        res = await debate_question(Q, models, DebateSettings(agents=5, rounds=0, vote_samples=False))
    rec = res.record
    assert rec["answers"] == [[None, None, None, None, "1"]]
    assert rec["unparsed"] == [["length", "empty", "echo", "echo", None]]
    assert rec["final"] == "1"  # two echoes of the question do not "agree" on 27
    assert {a: dict(c.unparsed) for a, c in res.counts.items()} == {
        "agent-1": {"length": 1}, "agent-2": {"empty": 1}, "agent-3": {"echo": 1}, "agent-4": {"echo": 1},
        "agent-5": {}}
    summary = debate_summary([rec])
    single = summary["table"]["single agent"]
    assert (single["k"], single["n"], single["unparsed"], single["answers"]) == (0, 5, 4, 5)
    assert summary["per_round"][0]["consensus"] == 0.0
    # the transcript keeps every answer with why it was not read
    posted = [m for m in res.transcript if m["sender"].startswith("agent-")]
    assert [m.get("unparsed") for m in posted] == ["length", "empty", "echo", "echo", None]
    assert posted[0]["finish_reason"] == "length" and posted[0].get("answer") is None


def test_debate_kind_reports_unparsed_answers_per_agent(tmp_path):
    """The experiment kind with one model: each agent's answer is told apart by its call seed."""
    seed, n = 0, 4
    q = arithmetic_questions(1, seed)[0]
    a, b, c, d, e, f = q.meta["terms"]
    echo = f"{a} + {b} * {c} + {d} - {e} * {f}"
    by_seed = {call_seed(seed, 0, 0, 0): Reply(content=f"The answer is {q.answer}", finish_reason="length"),
               call_seed(seed, 0, 1, 0): Reply.empty(),
               call_seed(seed, 0, 2, 0): Reply.text(echo),
               call_seed(seed, 0, 3, 0): Reply.text(f"The answer is {q.answer}.")}
    with LoopbackServer(default=lambda req: by_seed[req.body["seed"]]) as server:
        cfg = {"kind": "debate", "name": "u", "seed": seed, "task": "arithmetic", "questions": 1,
               "debate": {"agents": n, "rounds": 0, "vote_samples": False},
               "model": server.model_config(backoff_base=0.01, timeout=5.0)}
        run = run_experiment(load_config(data=cfg), tmp_path / "run", quiet=True)
    res = json.loads((run / "results.json").read_text())
    acc = res["accounting"]
    assert [acc[f"agent-{i}"]["unparsed"] for i in range(1, 5)] == [{"length": 1}, {"empty": 1}, {"echo": 1}, {}]
    assert [acc[f"agent-{i}"]["invalid"] for i in range(1, 5)] == [1, 1, 1, 0]
    single = res["summary"]["table"]["single agent"]
    assert (single["k"], single["n"], single["unparsed"]) == (1, 4, 3)  # only the complete answer scored
    report = (run / "report.html").read_text()
    assert "cut off by the length limit 1" in report and "only restates the question 1" in report
    assert not re.search(r">\s*(nan|None)\s*<", report)  # a missing number always says why


def _persuadee(after_treatment, after_control):
    def respond(req):
        if "You are a persuader" in req.prompt:
            return Reply.text("Here is why you should change your mind.")
        if len(req.messages) == 1:  # the first stance
            return Reply.text("Rating: 4")
        return after_treatment if "<message>" in req.last_user else after_control

    return respond


async def test_persuasion_unparsed_ratings_are_counted_and_never_scored():
    claims = [Claim("c1", "Cities should ban cars."), Claim("c2", "Homework should be optional.")]
    cut = Reply(content="After reading this I now strongly agree, so my rating is 7... Rating: 7",
                finish_reason="length")
    echo = Reply.text("Please consider the claim once more. How much do you agree with it, from 1 to 7?")
    with LoopbackServer(default=_persuadee(cut, echo)) as server:
        m = server.model()
        results = await run_persuasion(claims, m, m, PersuasionSettings(direction="balanced"), seed=0)
    recs = [r.record for r in results]
    assert all(r["before"] == 4.0 and r["after"] is None for r in recs)
    assert sorted(r["unparsed"]["after"] for r in recs) == ["length", "length", "none", "none"]
    eff = persuasion_effect(recs)
    assert eff["arms"]["treatment"]["n"] == 0 and eff["arms"]["treatment"]["unparseable"] == 2
    assert eff["arms"]["control"]["n"] == 0 and eff["arms"]["control"]["unparseable"] == 2
    assert eff["difference"]["value"] is None and "treatment n=0, control n=0" in eff["difference"]["why"]


def test_persuasion_kind_with_one_conversation_per_arm_says_n_a_not_nan(tmp_path):
    claims = tmp_path / "claims.jsonl"
    claims.write_text(json.dumps({"id": "c1", "claim": "Cities should ban cars."}) + "\n")
    ramble = Reply.text("From 1 to 3, I agree a little more than before.")  # not a rating (was read as 3)
    with LoopbackServer(default=_persuadee(Reply.text("Rating: 6"), ramble)) as server:
        cfg = {"kind": "persuasion", "name": "p", "claims": str(claims), "model": server.model_config(),
               "persuasion": {"direction": "balanced"}}
        run = run_experiment(load_config(data=cfg), tmp_path / "run", quiet=True)
    res = json.loads((run / "results.json").read_text())
    arms = res["effect"]["arms"]
    assert arms["treatment"]["n"] == 1 and arms["control"]["n"] == 0 and arms["control"]["unparseable"] == 1
    assert res["accounting"]["persuadee"]["unparsed"] == {"none": 1}
    report = (run / "report.html").read_text()
    assert "n/a (n=1)" in report and "needs at least 2 parsed conversations per arm" in report
    assert not re.search(r">\s*(nan|None|\[nan, nan\])\s*<", report)


async def test_judges_are_reasked_with_the_bad_answer_quoted_then_fall_back():
    from interplay.talk.judged import JudgedSettings, judged_debate
    from interplay.talk.simulated import responder
    from interplay.talk.tasks import shipped_questions

    q = shipped_questions()[1]
    with (LoopbackServer(default=responder(), supports_json_schema=False) as server,
          LoopbackServer(default=Reply.text("I refuse to choose.")) as judge_server):
        res = await judged_debate(q, [server.model()], judge_server.model(max_retries=0), "B",
                                  JudgedSettings(rounds=1, protocols=("debate",), judge_max_reasks=2,
                                                 judge_fallback="random"))
        bodies = [r.body for r in judge_server.requests]
    assert len(bodies) == 3  # one answer and two re-asks
    assert len({json.dumps(b, sort_keys=True) for b in bodies}) == 3  # no two requests identical
    assert any("Your answer was: \"I refuse to choose.\"" in m["content"] for m in bodies[1]["messages"])
    assert res.record["fallback"] == "random" and res.record["chosen"] in res.record["sides"].values()
    judge = res.counts["judge"]
    assert (judge.answers, judge.invalid, judge.reasks, judge.decisions, judge.fallbacks) == (3, 3, 2, 1, 1)


async def test_debate_judge_falls_back_to_the_majority_after_invalid_answers():
    answers = {"agent-1": "The answer is 12.", "agent-2": "The answer is 12.", "agent-3": "The answer is 11."}
    with (LoopbackServer(default=lambda req: Reply.text(answers[req.body["model"]])) as server,
          LoopbackServer(default=Reply.text("Both look fine to me.")) as judge_server):
        res = await debate_question(Question("q", "What is 1+2*3+4-0*5?", "11"),
                                    [server.model(model=a) for a in answers],
                                    DebateSettings(agents=3, rounds=0, aggregate="judge", judge_max_reasks=1),
                                    judge=judge_server.model(max_retries=0))
        assert judge_server.calls == 2
    assert res.record["final"] == "12" and res.record["judge"]["fallback"] == "majority"
    assert res.counts["judge"].fallbacks == 1 and res.counts["judge"].invalid == 2


def test_judge_max_tokens_caps_the_judges_choice_calls(tmp_path):
    answers = {0: "The answer is 12.", 1: "The answer is 11."}
    by_seed = {call_seed(0, 0, i, 0): Reply.text(t) for i, t in answers.items()}
    with (LoopbackServer(default=lambda req: by_seed[req.body["seed"]]) as server,
          LoopbackServer(default=lambda req: Reply.choice(req.options[0])) as judge_server):
        cfg = {"kind": "debate", "name": "j", "seed": 0, "task": "arithmetic", "questions": 1,
               "model": server.model_config(),
               "judge_model": judge_server.model_config(),
               "debate": {"agents": 2, "rounds": 0, "vote_samples": False, "aggregate": "judge",
                          "judge_max_tokens": 9}}
        run = run_experiment(load_config(data=cfg), tmp_path / "run", quiet=True)
        assert [r.body["max_tokens"] for r in judge_server.requests] == [9]
    res = json.loads((run / "results.json").read_text())
    assert res["records"][0]["final"] == "12"  # the judge took the first of the options ["12", "11"]
    assert res["accounting"]["judge"]["decisions"] == 1 and res["accounting"]["judge"]["fallbacks"] == 0
