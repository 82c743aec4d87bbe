"""Judged debate, consultancy and judge alone over HTTP (loopback server): who sees what, quotes, sides."""

import asyncio

import pytest

from interplay.llm.testing import LoopbackServer, Reply
from interplay.talk.judged import (
    JudgedSettings,
    TerminalJudge,
    assignments,
    judged_debate,
    run_judged,
    verify_quotes,
)
from interplay.talk.metrics import judge_accuracy
from interplay.talk.simulated import SimulatedAgents, responder
from interplay.talk.tasks import shipped_questions

QS = shipped_questions()


def kind(req):
    text = req.prompt
    if req.options is not None:
        return "judge"
    if "You are debater A" in text:
        return "A"
    if "You are debater B" in text:
        return "B"
    if "You are a consultant" in text:
        return "consultant"
    return "judge-question"


def test_quote_verification_ignores_case_spacing_and_punctuation():
    src = QS[0].source
    text, v, u = verify_quotes("See <quote>the keeper Ansel  Brae switched to PARAFFIN</quote> and "
                               "<quote>the keeper used gas</quote>.", src)
    assert (v, u) == (1, 1)
    assert "<v_quote>the keeper Ansel  Brae switched to PARAFFIN</v_quote>" in text
    assert "<u_quote>the keeper used gas</u_quote>" in text
    assert verify_quotes("<quote>anything</quote>", None)[1:] == (0, 1)
    assert verify_quotes("<quote> ... </quote>", src)[1:] == (0, 1)  # empty quotes verify nothing


def test_sides_are_balanced():
    sides, honest = assignments(20, seed=3)
    assert sides.count("A") == 10 and sum(honest) == 10
    assert assignments(20, seed=3) == (sides, honest)
    assert assignments(20, seed=4) != (sides, honest)


async def test_information_asymmetry_and_what_the_judge_reads():
    with LoopbackServer(default=responder()) as server:
        model = server.model()
        results = await run_judged(QS[:6], model, model, JudgedSettings(rounds=2), seed=1)
        reqs = list(server.requests)
    by_kind = {}
    for r in reqs:
        by_kind.setdefault(kind(r), []).append(r)
    # 6 questions: debate 2 rounds x 2 debaters + judge; consultancy 2 rounds + judge; judge alone 1
    assert len(by_kind["A"]) == len(by_kind["B"]) == 12 and len(by_kind["consultant"]) == 12
    assert len(by_kind["judge"]) == 18 and "judge-question" not in by_kind
    for r in by_kind["A"] + by_kind["B"] + by_kind["consultant"]:
        assert "<source>" in r.prompt
    for r in by_kind["judge"]:
        assert "<source>" not in r.prompt
        assert not any(q.source in r.prompt for q in QS)
    # the judge reads checked quotes only, never raw <quote> tags
    debate_judges = [r for r in by_kind["judge"] if "Transcript" in r.prompt]
    assert len(debate_judges) == 12 and all("<quote>" not in r.prompt for r in debate_judges)
    assert any("<v_quote>" in r.prompt for r in debate_judges)
    # the judge's options are [A's answer, B's answer] and the record says which side it chose
    for res in (x for x in results if x.protocol == "debate"):
        rec = res.record
        assert rec["chosen"] == rec["sides"][rec["chosen_side"]]
        assert rec["sides"][rec["correct_side"]] == rec["correct"]
        assert rec["correct"] == res.question.answer
    alone = [x for x in results if x.protocol == "judge-alone"]
    assert all(x.calls == 1 for x in alone)


async def test_simultaneous_vs_sequential_rounds_and_judge_questions():
    q = QS[0]
    for sequential in (False, True):
        with LoopbackServer(default=responder()) as server:
            res = await judged_debate(q, [server.model()], server.model(), "A",
                                      JudgedSettings(rounds=2, sequential=sequential, judge_questions=True))
            b_first = next(r for r in server.requests if kind(r) == "B")
            b_second = [r for r in server.requests if kind(r) == "B"][1]
        a_first_text = next(m["text"] for m in res.transcript if m["sender"] == "A")
        assert (a_first_text in b_first.prompt) is sequential
        # the judge asked one question after round 1, and both debaters read it in round 2
        asked = [m for m in res.transcript if m["sender"] == "judge" and m["round"] == 0]
        assert len(asked) == 1 and asked[0]["text"] in b_second.prompt


async def test_simulated_judge_result_pattern_debate_beats_consultancy_and_alone():
    """With verified quotes the simulated judge does better in debate than alone or with one consultant."""
    with LoopbackServer(default=responder(SimulatedAgents(gullibility=0.7))) as server:
        model = server.model()
        results = await run_judged(QS, model, model, JudgedSettings(rounds=1), seed=0)
    acc = judge_accuracy([r.record for r in results])
    assert acc["debate"]["accuracy"]["n"] == acc["judge-alone"]["accuracy"]["n"] == 20
    assert acc["debate"]["accuracy"]["value"] > acc["judge-alone"]["accuracy"]["value"]
    assert acc["debate"]["accuracy"]["value"] > acc["consultancy"]["accuracy"]["value"]
    # an honest consultant quotes the source and is always believed
    assert acc["consultancy"]["honest_consultant"]["value"] == 1.0


async def test_invalid_judge_answer_is_no_decision():
    with LoopbackServer(default=responder(), supports_json_schema=False) as server:
        judge_server = LoopbackServer(default=Reply.text("I refuse to choose.")).start()
        try:
            res = await judged_debate(QS[1], [server.model()], judge_server.model(max_retries=0), "B",
                                      JudgedSettings(rounds=1, protocols=("debate",)))
        finally:
            judge_server.stop()
    assert res.record["chosen"] is None and res.record["chosen_side"] is None and "invalid" in res.record
    assert judge_accuracy([res.record])["debate"]["no_decision"] == 1


async def test_terminal_judge_reads_a_person():
    typed = iter(["banana", "2"])
    shown = []
    judge = TerminalJudge(read=lambda prompt: next(typed), write=shown.append)
    with LoopbackServer(default=responder()) as server:
        res = await judged_debate(QS[0], [server.model()], judge, "A", JudgedSettings(rounds=1))
    assert res.record["chosen_side"] == "B"
    assert any("Please type a number" in s for s in shown)
    assert any("<v_quote>" in s or "<u_quote>" in s for s in shown)  # the person reads checked quotes
    with pytest.raises(Exception, match="no valid choice"):
        bad = TerminalJudge(read=lambda prompt: "x", write=lambda s: None)
        await bad.achoose([{"role": "user", "content": "?"}], ["a", "b"])


def test_terminal_judge_sync_round_trip():
    judge = TerminalJudge(read=lambda p: "1", write=lambda s: None)
    choice = asyncio.run(judge.achoose([{"role": "user", "content": "pick"}], ["x", "y"]))
    assert choice.index == 0 and choice.option == "x"
