"""LLM agents as voters and advisors, against a real loopback HTTP server and the replay backend."""

import numpy as np
import pytest

from interplay.decide.advisors import FixedRanking, LLMAdvisor
from interplay.decide.loop import decide_once
from interplay.decide.tasks import DecisionQuestion
from interplay.errors import InterplayError
from interplay.llm.config import load_model
from interplay.llm.testing import LoopbackServer, Reply

Q = DecisionQuestion("budget", ("parks", "roads", "schools", "libraries"), "Where should the city spend its surplus?",
             (0.6, 1.0, 0.0, 0.3))
TASTES = {"Ada": ["schools", "libraries", "parks", "roads"], "Bo": ["roads", "parks", "schools", "libraries"],
          "Cy": ["parks", "schools", "roads", "libraries"]}


def by_persona(req):
    """A scripted model: the advisor named in the system prompt picks by its fixed taste."""
    system = req.messages[0]["content"]
    who = next(n for n in TASTES if f"You are {n}," in system)
    if req.options is None:  # plain-text mode: the options are named in the last user message
        return Reply.text(next(o for o in TASTES[who] if o in req.last_user))
    return Reply.choice(next(o for o in TASTES[who] if o in req.options))


def first_listed(req):
    """A maximally position-biased model: always the first option it is shown."""
    return Reply.choice(req.options[0])


def test_llm_voters_rank_through_the_llm_layer_with_shuffled_recorded_order():
    with LoopbackServer(default=by_persona) as server:
        model = server.model()
        voters = [LLMAdvisor(n, model, persona=f"You care about {TASTES[n][0]}.") for n in TASTES]
        voters.append(FixedRanking("Dee", ["libraries", "schools", "parks", "roads"]))
        rep = decide_once(Q, voters, rules=["plurality", "borda", "schulze"], axioms=["condorcet_winner"], seed=4)
        assert server.calls == 3 * 3  # three places elicited per LLM voter (the last is implied)
    d = rep.as_dict()
    for b in d["ballots"][:3]:
        assert b["ranking"] == [[o] for o in TASTES[b["voter"]]]
        assert sorted(b["ballot_order"]) == sorted(Q.options) and b["llm_calls"] == 3
    orders = [tuple(b["ballot_order"]) for b in d["ballots"][:3]]
    assert len(set(orders)) > 1  # shuffled per voter
    # Borda (points 3, 2, 1, 0): schools 3+1+2+2=8, parks 1+2+3+1=7, libraries 2+0+0+3=5, roads 0+3+1+0=4
    assert d["winners"]["borda"] == ["schools"]
    # schools ties parks 2-2 and beats the rest 3-1; parks ties schools and libraries: both are weak
    # Condorcet winners, and there is no Condorcet winner
    assert d["majority"]["condorcet_winner"] is None
    assert d["majority"]["weak_condorcet_winners"] == ["parks", "schools"]
    assert sum(p["shapley"] for p in d["importance"]["players"].values()) == pytest.approx(
        d["importance"]["v_all"] - d["importance"]["v_empty"])


def test_shuffling_exposes_position_bias():
    with LoopbackServer(default=first_listed) as server:
        model = server.model()
        rng = np.random.default_rng(0)
        shuffled = LLMAdvisor("Pos", model).advise(Q, rng)
        fixed = LLMAdvisor("Pos", model, shuffle=False).advise(Q, rng)
    meta = dict(shuffled.meta)
    assert [t[0] for t in shuffled.ranking] == meta["ballot_order"] != list(Q.options)
    assert [t[0] for t in fixed.ranking] == list(Q.options)


def test_invalid_answer_is_reasked_then_ends_in_the_fallback_not_an_abort():
    with LoopbackServer([Reply.text("bananas"), Reply.choice("roads")], default=by_persona) as server:
        adv = LLMAdvisor("Bo", server.model(structured="none")).advise(Q, np.random.default_rng(1))
        assert adv.top == ("roads",)
        meta = dict(adv.meta)
        assert meta["llm_calls"] == 4 and meta["reasks"] == 1 and meta["invalid_answers"] == 1
        assert meta["fallbacks"] == 0
    # always the same bad answer: each of the 3 places gets 1 answer + 1 re-ask, then the fallback
    with LoopbackServer(default=Reply.text("bananas")) as server:
        bo = LLMAdvisor("Bo", server.model(structured="none"), max_reasks=1, fallback="shown")
        adv = bo.advise(Q, np.random.default_rng(1))
        assert server.calls == 6
        bodies = [r.body["messages"] for r in server.requests[:2]]
    meta = dict(adv.meta)
    assert [t[0] for t in adv.ranking] == meta["ballot_order"]  # 'shown': the order it was shown
    assert meta["fallbacks"] == 3 and meta["invalid_answers"] == 6 and meta["reasks"] == 3
    assert [f["place"] for f in meta["fallback_places"]] == [1, 2, 3]
    assert (bo.counts.decisions, bo.counts.fallbacks, bo.counts.answers) == (3, 3, 6)
    assert bodies[0] != bodies[1] and any('Your answer was: "bananas"' in m["content"] for m in bodies[1])


def test_an_advisor_repeating_a_ranked_option_is_reasked_then_falls_back():
    """The model always names its favourite, even once it is ranked (issue 11's advisor 'Cy')."""
    with LoopbackServer(default=Reply.text("parks")) as server:
        cy = LLMAdvisor("Cy", server.model(structured="none"), max_reasks=2)
        adv = cy.advise(Q, np.random.default_rng(3))
        assert server.calls == 1 + 3 + 3  # place 1 answered; places 2 and 3: 1 answer + 2 re-asks each
    meta = dict(adv.meta)
    assert adv.top == ("parks",) and meta["fallbacks"] == 2 and meta["invalid_answers"] == 6
    assert sorted(t[0] for t in adv.ranking) == sorted(Q.options)  # still a full ballot


def test_decide_experiment_with_an_always_invalid_advisor_completes_and_reports(tmp_path):
    import json

    from interplay.run.runner import load_config, run_experiment

    with LoopbackServer(default=Reply.text("none of these")) as bad, LoopbackServer(default=first_listed) as good:
        cfg = {"kind": "decide", "name": "d", "seed": 0,
               "task": {"type": "question", "prompt": "Where?", "options": list(Q.options),
                        "quality": dict(zip(Q.options, (0.6, 1.0, 0.0, 0.3)))},
               "advisors": [{"name": "Bad", "type": "llm", "model": bad.model_config(structured="none"),
                             "max_reasks": 1},
                            {"name": "Pos", "type": "llm", "model": good.model_config(), "max_tokens": 7},
                            {"name": "Dee", "type": "scripted", "ranking": ["libraries", "schools", "parks",
                                                                            "roads"]}]}
        run = run_experiment(load_config(data=cfg), tmp_path / "run", quiet=True)
        assert {r.body["max_tokens"] for r in good.requests} == {7}  # the advisor's max_tokens caps its choices
    res = json.loads((run / "results.json").read_text())
    assert res["meta"]["status"] == "completed"
    acc = res["accounting"]
    assert acc["Bad"]["decisions"] == 3 and acc["Bad"]["fallbacks"] == 3 and acc["Bad"]["fallback_rate"] == 1.0
    assert acc["Bad"]["answers"] == 6 and acc["Bad"]["invalid"] == 6 and acc["Bad"]["reasks"] == 3
    assert acc["Pos"]["fallbacks"] == 0 and acc["Pos"]["invalid"] == 0
    assert len(res["warnings"]) == 1 and res["warnings"][0].startswith("Bad: 3 of 3 decisions (100%)")
    bias = res["position_bias"]
    # 'Pos' always takes the first option shown: first pick at position 1 in 1 of 1 decisions, chance 1/4
    assert bias["Pos"]["first_position_rate"] == 1.0 and bias["Pos"]["n"] == 1 and bias["Pos"]["chance"] == 0.25
    report = (run / "report.html").read_text()
    assert "Position bias" in report and "Bad: 3 of 3 decisions (100%)" in report


def test_replay_reproduces_the_ballots_without_a_server(tmp_path):
    record = tmp_path / "calls.jsonl"
    with LoopbackServer(default=by_persona) as server:
        live = [LLMAdvisor(n, server.model(record=record)).advise(Q, np.random.default_rng([7, i]))
                for i, n in enumerate(TASTES)]
    replay = load_model({"provider": "replay", "path": str(record)})
    again = [LLMAdvisor(n, replay).advise(Q, np.random.default_rng([7, i])) for i, n in enumerate(TASTES)]
    assert [a.ranking for a in again] == [a.ranking for a in live]
    assert [dict(a.meta)["ballot_order"] for a in again] == [dict(a.meta)["ballot_order"] for a in live]
    with pytest.raises(InterplayError):  # a different shuffle is a request never recorded
        LLMAdvisor("Ada", replay).advise(Q, np.random.default_rng([8, 0]))


def test_position_bias_by_hand():
    from scipy import stats

    from interplay.run.decide import position_bias

    b = position_bias([(0, 4), (0, 4), (2, 4), (0, 4)])
    assert (b["n"], b["first_position"], b["first_position_rate"], b["chance"]) == (4, 3, 0.75, 0.25)
    assert b["mean_position"] == 1.5 and b["chance_mean_position"] == 2.5
    assert b["p_value"] == pytest.approx(stats.binomtest(3, 4, 0.25).pvalue)
    assert position_bias([])["first_position_rate"] is None


def test_online_task_accounts_every_pass_and_position_bias_from_the_first(tmp_path):
    import json

    from interplay.run.runner import load_config, run_experiment

    with LoopbackServer(default=first_listed) as server:
        cfg = {"kind": "decide", "name": "o", "seed": 1, "learners": ["hedge", "uniform"],
               "task": {"type": "generated", "rounds": 3, "options": ["A", "B", "C"]},
               "advisors": [{"name": "Pos", "type": "llm", "model": server.model_config()},
                            {"name": "Or", "type": "oracle", "accuracy": 0.8}]}
        run = run_experiment(load_config(data=cfg), tmp_path / "run", quiet=True)
        assert server.calls == 2 * 3 * 2  # 2 passes x 3 rounds x 2 places elicited (of 3 options)
    res = json.loads((run / "results.json").read_text())
    assert res["accounting"]["Pos"]["decisions"] == 12 and res["accounting"]["Pos"]["fallbacks"] == 0
    bias = res["position_bias"]["Pos"]
    assert (bias["n"], bias["first_position"], bias["chance"]) == (3, 3, pytest.approx(1 / 3))
