"""Tasks (JSONL, generated, game plays), advisors, and the decision loop."""

import io
import json

import numpy as np
import pytest

from interplay.decide.advisors import (
    BestResponse,
    Constant,
    Contrarian,
    FixedRanking,
    Human,
    MemoryOnePolicy,
    Oracle,
    Recorded,
    UniformRandom,
)
from interplay.decide.loop import decide_once, run_online
from interplay.decide.online import hedge_bound
from interplay.decide.tasks import DecisionQuestion, GameTask, SequenceTask, generate_task, load_jsonl
from interplay.errors import InterplayError


def write(tmp_path, lines):
    p = tmp_path / "d.jsonl"
    p.write_text("\n".join(lines) + "\n")
    return p


def test_jsonl_loads_every_outcome_form(tmp_path):
    p = write(tmp_path, [
        '# a comment',
        json.dumps({"id": "a", "question": "Q?", "options": ["x", "y", "z"], "best": "y",
                    "advice": {"ann": "y", "bob": ["z", ["x", "y"]]}}),
        "",
        json.dumps({"options": ["x", "y", "z"], "losses": {"x": 0.2, "y": 0.0, "z": 1}}),
        json.dumps({"options": ["x", "y", "z"], "rewards": {"x": 10, "y": 0, "z": 5}, "reward_range": [0, 10]}),
    ])
    qs = load_jsonl(p)
    assert [q.losses for q in qs] == [(1.0, 0.0, 1.0), (0.2, 0.0, 1.0), (0.0, 1.0, 0.5)]
    assert qs[0].recorded("bob") == (("z",), ("x", "y"))
    assert qs[1].id == "q4"  # default id: the line number
    task = SequenceTask(qs)
    assert task.rounds == 3 and task.options == ("x", "y", "z")


@pytest.mark.parametrize("line,msg", [
    ('{"options": ["x", "y"], "best": "w"}', "line 2: 'best' must be an option"),
    ('{"options": ["x", "y"], "best": "x"', "line 2: not valid JSON"),
    ('{"options": ["x"], "best": "x"}', "line 2: 'options' must be a list of at least 2"),
    ('{"options": ["x", "y"], "losses": {"x": 0.5}}', "line 2: 'losses' must map every option"),
    ('{"options": ["x", "y"], "losses": {"x": 0.5, "y": 3}}', r"line 2: losses must lie in \[0, 1\]"),
    ('{"options": ["x", "y"], "best": "x", "colour": 1}', r"line 2: unknown field\(s\) \['colour'\]"),
    ('{"options": ["x", "y"], "best": "x", "advice": {"a": "q"}}', "line 2: advice of 'a': bad ranking"),
])
def test_jsonl_errors_name_the_line(tmp_path, line, msg):
    p = write(tmp_path, ['{"options": ["x", "y"], "best": "x"}', line])
    with pytest.raises(InterplayError, match=msg) as err:
        load_jsonl(p)
    assert str(p) in str(err.value)


def test_generated_task_is_reproducible():
    a, b = generate_task(50, seed=3), generate_task(50, seed=3)
    assert [q.losses for q in a.questions] == [q.losses for q in b.questions]
    assert all(sorted(q.losses) == [0.0, 1.0, 1.0] for q in a.questions)
    assert [q.losses for q in generate_task(50, seed=4).questions] != [q.losses for q in a.questions]


def test_game_task_tit_for_tat_opponent_copies_our_moves():
    task = GameTask("ipd-v1", rounds=5, opponent="Tit For Tat")
    task.reset(0)
    ours = [1, 0, 0, 1, 1]  # D C C D D
    theirs, losses = [], []
    for t, a in enumerate(ours):
        task.question(t)
        losses.append(task.outcome(t, a))
        theirs.append(task.last[1])
    assert theirs == [0, 1, 0, 0, 1]  # C first, then our previous move
    # payoffs R=3, S=0, T=5, P=1: loss = (5 - u) / 5; against C: C 0.4, D 0; against D: C 1, D 0.8
    np.testing.assert_allclose(losses[0], [0.4, 0.0])
    np.testing.assert_allclose(losses[1], [1.0, 0.8])
    q = task.question(5)
    assert q.ctx["last"] == ["D", "D"] and q.ctx["opponent_counts"] == [3, 2]


def test_policy_and_best_response_advisors():
    task = GameTask("prisoners-dilemma-v1", rounds=3, opponent=[0.5, 0.5])
    task.reset(0)
    tft = MemoryOnePolicy("tft", "Tit For Tat")
    br = BestResponse("fp", task.utility)
    rng = np.random.default_rng(0)
    q = task.question(0)
    assert tft.advise(q, rng).top == ("C",)
    assert br.advise(q, rng).top == ("D",)  # defection dominates in the prisoner's dilemma
    task.outcome(0, 0)
    theirs = task.last[1]
    assert tft.advise(task.question(1), rng).top == (("C", "D")[theirs],)


def test_oracle_accuracy_and_schedule():
    task = generate_task(2000, seed=1)
    o = Oracle("o", [[1, 0.9], [1001, 0.2]])
    hits = np.array([o.advise(q, np.random.default_rng([0, t])).top[0] in q.best
                     for t, q in enumerate(task.questions)])
    # binomial: 1000 draws each, 4 standard deviations
    assert abs(hits[:1000].mean() - 0.9) < 4 * np.sqrt(0.09 / 1000)
    assert abs(hits[1000:].mean() - 0.2) < 4 * np.sqrt(0.16 / 1000)
    assert all(Contrarian("c").advise(q, np.random.default_rng(0)).top[0] not in q.best for q in task.questions[:50])


def test_human_at_a_terminal():
    q = DecisionQuestion("q", ("tea", "coffee", "water"), "Drink?")
    out = io.StringIO()
    h = Human("pat", stdin=io.StringIO("milk\n2 > tea = 3\n"), stdout=out)
    adv = h.advise(q, np.random.default_rng(0))
    assert adv.ranking == (("coffee",), ("tea", "water"))
    assert "not understood: 'milk' is not an option" in out.getvalue()
    with pytest.raises(InterplayError, match="input ended"):
        Human("pat", stdin=io.StringIO(""), stdout=io.StringIO()).advise(q, np.random.default_rng(0))


def test_hedge_learns_whom_to_trust_and_stays_under_its_bound():
    task = generate_task(400, seed=2)
    make = lambda: [Oracle("good", 0.85), Oracle("fair", 0.6), UniformRandom("coin"), Contrarian("liar")]  # noqa: E731
    res = run_online(task, make, ["hedge", "exp3", "exp4", "vote:plurality", "uniform"], seed=0)
    h = res.runs["hedge"]
    assert res.best_advisor == "good"
    assert h.summary(res.advisors)["final_weights"]["good"] > 0.9
    assert h.tracker.regret.max() <= hedge_bound(4, 400)
    for name in ("exp3", "exp4"):
        r = res.runs[name]
        assert r.tracker.expected[-1] < res.runs["uniform"].tracker.expected[-1]
    # importance per round: efficiency of the exact Shapley values in every round
    for rec in res.per_round_importance[:20]:
        tot = sum(p["shapley"] for p in rec["players"].values())
        assert tot == pytest.approx(rec["v_all"] - rec["v_empty"])
    mean = res.mean_importance()
    assert mean["good"]["shapley"] > mean["fair"]["shapley"] > mean["coin"]["shapley"] > mean["liar"]["shapley"]
    again = run_online(task, make, ["hedge"], seed=0)
    assert again.runs["hedge"].chosen == h.chosen and again.transcript == res.transcript


def test_recorded_advice_and_errors(tmp_path):
    p = write(tmp_path, [json.dumps({"options": ["x", "y"], "best": "x", "advice": {"ann": "x", "bob": "y"}}),
                         json.dumps({"options": ["x", "y"], "best": "y", "advice": {"ann": "x", "bob": "y"}})])
    task = SequenceTask(load_jsonl(p))
    res = run_online(task, lambda: [Recorded("ann"), Recorded("bob")], ["hedge"], seed=0)
    np.testing.assert_allclose(res.advisor_cum_loss, [1.0, 1.0])
    with pytest.raises(InterplayError, match="no recorded advice"):
        run_online(task, lambda: [Recorded("ann"), Recorded("cid")], ["hedge"])
    with pytest.raises(InterplayError, match="unknown learner"):
        run_online(task, lambda: [Recorded("ann"), Recorded("bob")], ["hedgehog"])
    game = GameTask("ipd-v1", rounds=3)
    with pytest.raises(InterplayError, match="known outcomes"):
        run_online(game, lambda: [Oracle("o", 0.9), Constant("c", "C")], ["hedge"])


def test_decide_once_reports_the_vote():
    q = DecisionQuestion("q", ("A", "B", "C"), "Pick", (1.0, 0.0, 0.5))
    voters = [FixedRanking(f"a{i}", ["A", "B", "C"]) for i in range(4)]
    voters += [FixedRanking(f"b{i}", ["B", "C", "A"]) for i in range(3)]
    voters += [FixedRanking(f"c{i}", ["C", "B", "A"]) for i in range(2)]
    rep = decide_once(q, voters, rules=["plurality", "borda"], axioms=["condorcet_winner", "condorcet_loser"],
                      importance_rule="borda")
    d = rep.as_dict()
    assert d["winners"] == {"plurality": ["A"], "borda": ["B"]}
    assert d["axioms_violated"] == {"plurality": ["condorcet_winner", "condorcet_loser"], "borda": []}
    assert d["majority"]["condorcet_winner"] == "B"
    imp = d["importance"]
    assert imp["method"] == "exact" and imp["v_all"] == 1.0 and imp["v_empty"] == 0.5
    shap = {k: v["shapley"] for k, v in imp["players"].items()}
    assert sum(shap.values()) == pytest.approx(0.5)
    # symmetric voters get equal values; A-voters push the worst option and are harmful
    assert shap["a0"] == pytest.approx(shap["a3"]) and shap["a0"] < 0 < shap["b0"]
    assert d["pivotal"]["plurality"]["a0"] is True  # without one A voter: A 3, B 3 tie


def test_advisors_are_players_in_a_match():
    """An advisor sits in a match through AdvisorPlayer (the one Player protocol) and plays its advice:
    the Tit For Tat policy advisor against the defector cooperates once, then defects; fictitious play
    (best response to the empirical mix) defects in the prisoner's dilemma; a fixed ranking plays its top."""
    import interplay
    from interplay.agents.fixed import MachinePlayer
    from interplay.agents.match import play_match
    from interplay.agents.protocol import Player
    from interplay.decide.advisors import AdvisorPlayer
    from interplay.llm.base import run_sync

    game = interplay.make("ipd-v1", horizon=4)
    defector = MachinePlayer.memory_one("defector", "Defector")
    tft = AdvisorPlayer(MemoryOnePolicy("tft advisor", "Tit For Tat"))
    assert isinstance(tft, Player)
    rec = run_sync(play_match(game, [tft, defector], seed=3))
    assert rec.complete and rec.actions == [(0, 1), (1, 1), (1, 1), (1, 1)]
    moves = [e for e in rec.events if e.get("kind") == "move" and e["sender"] == "tft advisor"]
    assert [m["text"] for m in moves] == ["C > D", "D > C", "D > C", "D > C"]
    # in the second seat the advisor reads the history from its own side
    rec = run_sync(play_match(game, [defector, tft], seed=3))
    assert rec.actions == [(1, 0), (1, 1), (1, 1), (1, 1)]
    stage = game.stage
    fp = AdvisorPlayer(BestResponse("fp", stage.payoffs[0]))
    rec = run_sync(play_match(game, [fp, MachinePlayer.memory_one("cooperator", "Cooperator")], seed=0))
    assert rec.actions == [(1, 0)] * 4
    rec = run_sync(play_match(game, [AdvisorPlayer(FixedRanking("c", ["C", "D"])), defector], seed=0))
    assert rec.actions == [(0, 1)] * 4


def test_a_game_task_asks_what_a_seat_of_a_match_sees():
    """GameTask's question is the view's question (view_question): same prompt and context in both seats."""
    import interplay
    from interplay.agents.protocol import View
    from interplay.decide.tasks import view_question

    stage = interplay.make("prisoners-dilemma-v1")
    for seat in (0, 1):
        task = GameTask("prisoners-dilemma-v1", rounds=3, seat=seat, opponent="Defector")
        task.reset(0)
        task.outcome(0, 0)
        task.outcome(1, 1)
        q = task.question(2)
        history = ((0, 1), (1, 1)) if seat == 0 else ((1, 0), (1, 1))
        view = View(spec=stage.spec, payoffs=np.asarray(stage.payoffs), seat=seat, names=stage.spec.players,
                    round=2, history=history)
        assert view_question(view, game="prisoners-dilemma-v1") == q
        assert q.ctx["last_index"] == (1, 1) and q.ctx["opponent_counts"] == [0, 2] and q.ctx["round"] == 3
        assert q.id == "round-3" and "Last round you played D and the other player played D." in q.prompt
