"""Multi-agent debate driven over HTTP by the loopback server, and re-run by the replay backend."""

import json
import re
import threading

import pytest

from interplay.errors import InterplayError
from interplay.llm.replay import ReplayModel
from interplay.llm.testing import LoopbackServer, Reply
from interplay.talk.debate import DebateSettings, debate_question, run_debates
from interplay.talk.metrics import debate_summary
from interplay.talk.tasks import Question

Q = Question(id="q", question="What is the result of 1+2*3+4-0*5?", answer="11")


def round_of(prompt_messages):
    """Round number = how many assistant turns the agent's own context already holds."""
    return sum(m["role"] == "assistant" for m in prompt_messages)


def marker_responder(answers):
    """Each agent (its model name) says who it is and gives answers[agent][round].

    An agent's later round-0 requests are the vote control's independent samples (drawn
    after the debate): they answer "independent sample. Answer: 11".
    """
    lock = threading.Lock()
    starts: dict[str, int] = {}

    def respond(req):
        agent = req.body["model"]
        r = round_of(req.messages)
        if r == 0:
            with lock:
                starts[agent] = starts.get(agent, 0) + 1
                if starts[agent] > 1:
                    return Reply.text("independent sample. Answer: 11")
        return Reply.text(f"[{agent} says in round {r}] Answer: {answers[agent][r]}")

    return respond


def agent_models(server, names, **kw):
    return [server.model(model=n, **kw) for n in names]


async def test_ring_graph_each_agent_hears_exactly_its_neighbours():
    names = [f"agent-{i}" for i in range(1, 5)]
    answers = {n: ["11", "11", "11"] for n in names}
    with LoopbackServer(default=marker_responder(answers)) as server:
        res = await debate_question(Q, agent_models(server, names),
                                    DebateSettings(agents=4, rounds=2, graph="ring", vote_samples=False))
        prompts = {(r.body["model"], round_of(r.messages)): r.messages[-1]["content"] for r in server.requests}
    assert server.calls == 4 * 3
    ring = {"agent-1": {"agent-4", "agent-2"}, "agent-2": {"agent-1", "agent-3"}, "agent-3": {"agent-2", "agent-4"},
            "agent-4": {"agent-3", "agent-1"}}
    for a in names:
        for r in (1, 2):
            heard = set(re.findall(rf"\[(agent-\d) says in round {r - 1}\]", prompts[(a, r)]))
            assert heard == ring[a], (a, r, heard)
            assert f"[{a} says" not in prompts[(a, r)]  # its own answer is in its context, not re-sent
    # the channel record says the same: agent-1's round-0 answer went to agent-2 and agent-4 only
    first = next(m for m in res.transcript if m["sender"] == "agent-1" and m["round"] == 0)
    assert sorted(first["to"]) == ["agent-2", "agent-4"] and first["visibility"] == "private"


async def test_no_graph_is_self_reflection_and_private_messages_never_leak():
    names = ["agent-1", "agent-2"]
    answers = {"agent-1": ["SECRET-ONE 3", "3"], "agent-2": ["5", "5"]}
    with LoopbackServer(default=marker_responder(answers)) as server:
        await debate_question(Q, agent_models(server, names),
                              DebateSettings(agents=2, rounds=1, graph="none", vote_samples=False))
        agent2_prompts = [json.dumps(r.messages) for r in server.requests if r.body["model"] == "agent-2"]
        agent1_round1 = [r.messages[-1]["content"] for r in server.requests
                         if r.body["model"] == "agent-1" and round_of(r.messages) == 1]
    assert not any("SECRET-ONE" in p for p in agent2_prompts)
    assert agent1_round1[0].startswith("Can you double check")


async def test_majority_switches_and_vote_control_over_http():
    names = ["agent-1", "agent-2", "agent-3"]
    # round 0: 11, 12, 13 (one right); round 1: 11, 11, 13; round 2: all 11
    answers = {"agent-1": ["11", "11", "11"], "agent-2": ["12", "11", "11"], "agent-3": ["13", "13", "11"]}
    with LoopbackServer(default=marker_responder(answers)) as server:
        res = await debate_question(Q, agent_models(server, names), DebateSettings(agents=3, rounds=2))
    rec = res.record
    assert rec["answers"] == [["11", "12", "13"], ["11", "11", "13"], ["11", "11", "11"]]
    assert rec["final"] == "11" and rec["correct"] == "11"
    # 3 agents x 3 rounds + 6 extra independent samples (from the markerless default answer)
    assert res.calls == 15 and len(rec["samples"]) == 9 and rec["samples"][3:] == ["11"] * 6
    summary = debate_summary([rec])
    assert summary["switches"][0]["wrong_to_right"] == 1 and summary["switches"][1]["wrong_to_right"] == 1
    assert [p["consensus"] for p in summary["per_round"]] == [0.0, 0.0, 1.0]


async def test_judge_aggregation_and_unparseable_answers():
    names = ["agent-1", "agent-2", "agent-3"]
    answers = {"agent-1": ["12"], "agent-2": ["i do not know"], "agent-3": ["11"]}
    with LoopbackServer(default=marker_responder(answers)) as server:
        judge_server = LoopbackServer([Reply.choice("11")]).start()
        try:
            res = await debate_question(Q, agent_models(server, names),
                                        DebateSettings(agents=3, rounds=0, aggregate="judge"),
                                        judge=judge_server.model())
            judge_req = judge_server.requests[0]
        finally:
            judge_server.stop()
    assert res.record["answers"] == [["12", None, "11"]]
    assert res.record["final"] == "11" and res.record["judge"]["options"] == ["12", "11"]
    assert judge_req.options == ["12", "11"]
    # the judge read every final response
    assert all(f"[{a} says in round 0]" in judge_req.prompt for a in names)
    judge_msg = res.transcript[-1]
    assert judge_msg["sender"] == "judge" and judge_msg["answer"] == "11"


async def test_replay_reruns_a_recorded_debate_exactly(tmp_path):
    names = ["agent-1", "agent-2", "agent-3"]
    answers = {"agent-1": ["11", "11"], "agent-2": ["12", "11"], "agent-3": ["13", "12"]}
    record = tmp_path / "calls.jsonl"
    qs = [Q, Question(id="q2", question="What is the result of 0+0*0+1-0*0?", answer="1")]
    with LoopbackServer(default=marker_responder(answers)) as server:
        live = await run_debates(qs, [server.model(model=n, record=record) for n in names],
                                 DebateSettings(agents=3, rounds=1), seed=5)
        n_live = server.calls
    replayed = await run_debates(qs, [ReplayModel(record, model=n) for n in names],
                                 DebateSettings(agents=3, rounds=1), seed=5)
    assert n_live == 2 * (3 * 2 + 3)
    assert [r.record for r in replayed] == [r.record for r in live]
    assert [r.texts for r in replayed] == [r.texts for r in live]
    # a different seed asks different requests, which the replay refuses to make up
    with pytest.raises(InterplayError, match="no recorded answer"):
        await run_debates(qs, [ReplayModel(record, model=n) for n in names], DebateSettings(agents=3, rounds=1),
                          seed=6)


async def test_sequential_replay_script_drives_the_protocol(tmp_path):
    script = tmp_path / "script.jsonl"
    texts = ["11", "Answer: 10", "The answer is 11.", "Answer: 11", "I now agree: 11", "Answer: 11"]
    with script.open("w") as fh:
        for t in texts:
            fh.write(json.dumps({"model": {"model": "s"}, "request": {"op": "generate"},
                                "response": {"text": t}}) + "\n")
    res = await debate_question(Q, ReplayModel(script, mode="sequential"),
                                DebateSettings(agents=3, rounds=1, vote_samples=False))
    assert res.record["answers"] == [["11", "10", "11"], ["11", "11", "11"]]
    assert res.record["final"] == "11"


async def test_settings_are_validated():
    with pytest.raises(InterplayError, match="one per agent"):
        await debate_question(Q, [object(), object()], DebateSettings(agents=3))
    with pytest.raises(InterplayError, match="needs a judge"):
        await debate_question(Q, [object()], DebateSettings(aggregate="judge"))


async def test_a_blocked_answer_counts_for_its_author_but_reaches_nobody():
    from interplay.talk.channel import Flag

    names = ["agent-1", "agent-2", "agent-3"]
    answers = {"agent-1": ["13", "13"], "agent-2": ["11", "11"], "agent-3": ["11", "11"]}

    def block_agent_1(msg, channel):
        return Flag("test", "blocked", block=True) if msg.sender == "agent-1" else None

    with LoopbackServer(default=marker_responder(answers)) as server:
        res = await debate_question(Q, agent_models(server, names), DebateSettings(agents=3, rounds=1,
                                    vote_samples=False), monitors=[block_agent_1])
        later = [r.messages[-1]["content"] for r in server.requests if round_of(r.messages) == 1]
    assert res.record["answers"][0] == ["13", "11", "11"]
    assert len(later) == 3 and not any("[agent-1 says" in p for p in later)
    assert all(m.get("blocked") for m in res.transcript if m["sender"] == "agent-1")
