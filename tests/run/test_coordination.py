"""The coordination experiment: the fixed-strategy table, its evolutionary step, config errors, and LLM
agents under every mechanism on the bundled model (in-process and through ``transformers serve``)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from interplay.errors import InterplayError
from interplay.run.runner import load_config, run_experiment

SMALL = {"kind": "coordination", "name": "coord", "seed": 0, "seeds": 200, "rounds": 8}


def _results(run):
    return json.loads((run / "results.json").read_text())


def test_fixed_table_and_evolution(tmp_path):
    run = run_experiment(load_config(data=SMALL), tmp_path / "run", quiet=True)
    res = _results(run)
    assert res["meta"]["status"] == "completed"
    rows = {(r["mechanism"], r["game"]): r for r in res["table"]}
    assert len(rows) == 7 * 7
    for r in rows.values():
        c = r["cooperation"]
        assert c["n"] == 200 and c["low"] <= c["mean"] <= c["high"]
        assert 0.0 <= r["share_of_optimum"]["mean"] <= 1.0
        assert sum(r["evolved_shares"].values()) == pytest.approx(1.0)
    pd = "prisoners-dilemma-v1"
    # one-shot and with cheap talk the defector takes over; contracts, commitments and the mediator select
    # the reciprocator (CoopEval: "mechanisms get stronger under evolutionary pressure")
    for m in ("none", "cheap-talk"):
        assert rows[(m, pd)]["evolved_shares"]["Defector"] > 0.9
    for m in ("contracts", "commitments", "mediator", "repetition"):
        assert rows[(m, pd)]["evolved_shares"]["Reciprocator"] > 0.6
        assert rows[(m, pd)]["evolved_cooperation"] > rows[("none", pd)]["evolved_cooperation"] + 0.2
    # the defector's payoff falls under contracts: rejecting leaves it facing defecting reciprocators
    assert rows[("contracts", pd)]["payoffs"]["Defector"]["high"] < rows[("none", pd)]["payoffs"]["Defector"]["low"]
    report = (run / "report.html").read_text()
    assert "Cooperation rate" in report and "After evolution" in report
    assert (run / "cooperation.png").exists() and (run / "evolved-cooperation.png").exists()


def test_bad_configs_name_what_and_where(tmp_path):
    with pytest.raises(InterplayError, match="games.0: ipd-v1 is not a normal-form game"):
        run_experiment(load_config(data={**SMALL, "games": [{"id": "ipd-v1"}]}), tmp_path / "a", quiet=True)
    with pytest.raises(InterplayError, match="mechanisms"):
        load_config(data={**SMALL, "mechanisms": ["none", "bribery"]})
    with pytest.raises(InterplayError, match="llm.games"):
        load_config(data={**SMALL, "llm": {"agents": {"x": {"llm": {"model": {"provider": "transformers",
                                                                                "model": "smollm2-135m"}}}},
                                           "games": ["chess-v1"]}}).check()
    with pytest.raises(InterplayError, match="monitors"):
        load_config(data={**SMALL, "monitors": [{"kind": "injection"}]}).check()
    odd = _llm_cfg({"provider": "transformers", "model": "smollm2-135m"}, ["none"], ["Defector"])
    odd["llm"]["population"] = {"copies": 1, "fixed_copies": 1}  # 1 + 4 members: no pairs
    with pytest.raises(InterplayError, match="5 members .* cannot be split into groups of 2"):
        load_config(data=odd).check()


def _llm_cfg(model: dict, mechanisms: list[str], co_players: list[str]) -> dict:
    return {**SMALL, "seeds": 20, "games": [{"id": "prisoners-dilemma-v1"}], "mechanisms": mechanisms,
            "llm": {"agents": {"Smol": {"llm": {"model": model, "reasoning": False, "decision": "choose",
                                                "max_tokens": 24, "talk_max_tokens": 24, "max_reasks": 1}}},
                    "co_players": co_players, "rounds": 2, "cache": None},
            "monitors": [{"kind": "injection", "action": "flag"}]}


def _check_llm(res, mechanisms, co_players):
    rows = {r["mechanism"]: r for r in res["llm"]["rows"]}
    assert set(rows) == set(mechanisms)
    acc = res["accounting"]["Smol"]
    assert acc["decisions"] == sum(r["decisions"] for r in rows.values())
    assert acc["fallbacks"] == sum(r["fallbacks"] for r in rows.values())
    assert acc["invalid"] == sum(r["unparsed"] for r in rows.values())
    for m, r in rows.items():
        moves = len(co_players) * (2 if m in ("repetition", "reputation") else 1)
        assert r["cooperation"]["n"] == moves
        assert r["decisions"] >= moves  # moves, plus a vote (contracts) or a commitment
        assert 0.0 <= r["cooperation"]["mean"] <= 1.0
    if "contracts" in rows:
        assert rows["contracts"]["decisions"] == 2 * len(co_players)
    if "commitments" in rows:  # a commitment per encounter, then a move unless it committed
        assert len(co_players) <= rows["commitments"]["decisions"] <= 2 * len(co_players)
    assert res["monitors"]["monitors"][0]["checked"] > 0
    return rows


def test_llm_agents_on_the_bundled_model(tmp_path):
    mechanisms = ["none", "cheap-talk", "repetition", "reputation", "mediator", "contracts", "commitments"]
    cfg = _llm_cfg({"provider": "transformers", "model": "smollm2-135m"}, mechanisms, ["Defector"])
    run = run_experiment(load_config(data=cfg), tmp_path / "run", quiet=True)
    res = _results(run)
    assert res["meta"]["status"] == "completed", res["meta"]
    _check_llm(res, mechanisms, ["Defector"])
    outcomes = [json.loads(line) for line in (run / "outcomes.jsonl").read_text().splitlines()]
    assert {o["mechanism"] for o in outcomes} == set(mechanisms)
    for o in outcomes:  # the one record shape, whatever the mechanism
        assert {"who", "game", "actions", "payoffs", "messages"} <= set(o)
        assert np.isclose(sum(o["payoffs"]), sum(o["payoffs"]))
    by = {o["mechanism"]: o for o in outcomes}
    assert "delegations" in by["mediator"] and "transfers" in by["contracts"] and "commitments" in by["commitments"]
    assert not by["contracts"]["contract"]["bound"]  # the defector rejects
    assert any(m["kind"] == "commitment" for m in by["commitments"]["messages"])


def test_llm_agents_through_the_real_server(tmp_path, real_server):
    mechanisms = ["contracts", "commitments", "cheap-talk"]
    cfg = _llm_cfg(real_server.model_config(), mechanisms, ["Cooperator"])
    res = _results(run_experiment(load_config(data=cfg), tmp_path / "run", quiet=True))
    assert res["meta"]["status"] == "completed", res["meta"]
    _check_llm(res, mechanisms, ["Cooperator"])


def test_llm_mediator_on_the_bundled_model(tmp_path):
    """mediator: llm - the players message the mediator, the bundled model proposes a joint plan (a choice among
    the joint actions, counted as its decision), reciprocators follow it; the plan is in the outcome record."""
    model = {"provider": "transformers", "model": "smollm2-135m"}
    cfg = _llm_cfg(model, ["mediator"], ["Reciprocator", "Defector"])
    cfg["llm"]["agents"]["Mediator"] = {"llm": {"model": model, "max_reasks": 1}}
    cfg["llm"].update(mediator="llm", mediator_agent="Mediator")
    run = run_experiment(load_config(data=cfg), tmp_path / "run", quiet=True)
    res = _results(run)
    assert res["meta"]["status"] == "completed", res["meta"]
    assert [r["agent"] for r in res["llm"]["rows"]] == ["Smol"]  # the mediator does not play
    med = res["accounting"]["Mediator"]
    assert med["decisions"] == 2 and med["answers"] >= 2 - med["fallbacks"]
    outcomes = [json.loads(line) for line in (run / "outcomes.jsonl").read_text().splitlines()]
    assert len(outcomes) == 2
    for o in outcomes:
        plan = o.get("recommendations")
        if plan is None:  # the mediator's fallback: no plan
            assert any(m.get("fallback") for m in o["messages"])
            continue
        assert all(0 <= a < 2 for a in plan)
        reciprocator_seat = 1 - o["seat"]
        if o["co_player"] == "Reciprocator":
            assert o["actions"][reciprocator_seat] == plan[reciprocator_seat]  # it follows the plan
        assert any(m["sender"] == "mediator" and "proposes the plan" in m["text"] for m in o["messages"])


def test_cheap_talk_composed_in_the_table(tmp_path):
    cfg = {**SMALL, "seeds": 100, "games": [{"id": "prisoners-dilemma-v1"}], "talk": True,
           "mechanisms": ["none", "cheap-talk", "reputation", "contracts"]}
    res = _results(run_experiment(load_config(data=cfg), tmp_path / "run", quiet=True))
    assert res["mechanisms"] == ["none", "cheap-talk", "reputation", "contracts", "reputation+talk", "contracts+talk"]
    rows = {r["mechanism"]: r for r in res["table"]}
    assert [rows[m]["talk"] for m in res["mechanisms"]] == [False, True, False, False, True, True]
    # with talk the Reciprocator also defects on a Random that announced D, even under a binding contract
    assert rows["contracts+talk"]["payoffs"]["Random"]["mean"] < rows["contracts"]["payoffs"]["Random"]["mean"]


def test_moran_and_the_n_player_public_goods_game(tmp_path):
    games = [{"id": "prisoners-dilemma-v1"}, {"id": "public-goods-v1", "params": {"num_players": 3, "multiplier": 1.5}}]
    base = {**SMALL, "seeds": 150, "games": games, "mechanisms": ["none", "contracts"]}
    moran = _results(run_experiment(load_config(data={**base, "evolution": {"dynamics": "moran", "size": 24,
                                                                              "w": 0.5}}), tmp_path / "m", quiet=True))
    rows = {(r["mechanism"], r["game"]): r for r in moran["table"]}
    for r in rows.values():
        assert sum(r["evolved_shares"].values()) == pytest.approx(1.0)
        rho = np.array(r["fixation"], dtype=float)
        assert rho.shape == (4, 4) and np.all((rho[~np.isnan(rho)] > 0) & (rho[~np.isnan(rho)] < 1))
    for g in ("prisoners-dilemma-v1", "public-goods-v1"):
        assert rows[("none", g)]["evolved_shares"]["Defector"] > 0.6
        assert rows[("contracts", g)]["evolved_cooperation"] > rows[("none", g)]["evolved_cooperation"] + 0.3
        # a Defector mutant among Reciprocators under contracts: less likely to fix than a neutral mutant
        assert rows[("contracts", g)]["fixation"][1][2] < 1 / 24
    # the replicator step scores public goods groups as groups: under contracts the Reciprocator takes over
    rep = _results(run_experiment(load_config(data=base), tmp_path / "r", quiet=True))
    pg = {r["mechanism"]: r for r in rep["table"] if r["game"] == "public-goods-v1"}
    assert pg["contracts"]["evolved_shares"]["Reciprocator"] > 0.6 and pg["contracts"]["evolved_cooperation"] > 0.8


def test_llm_agents_in_a_re_matched_reputation_population(tmp_path):
    """Two members of the bundled model among the four fixed types (6 members, re-matched every round): every
    number of the population row comes from its own moves, the accounting adds up, the records are public."""
    cfg = _llm_cfg({"provider": "transformers", "model": "smollm2-135m"}, ["reputation"], ["Defector"])
    cfg["llm"]["population"] = {"copies": 2, "fixed_copies": 1, "rounds": 2}
    run = run_experiment(load_config(data=cfg), tmp_path / "run", quiet=True)
    res = _results(run)
    assert res["meta"]["status"] == "completed", res["meta"]
    rows = {r["member"]: r for r in res["llm"]["population"]["rows"]}
    assert set(rows) == {"Smol", "Cooperator", "Defector", "Reciprocator", "Random"}
    smol = rows["Smol"]
    assert smol["llm"] and smol["members"] == 2
    assert smol["decisions"] == smol["cooperation"]["n"] == 2 * 2  # two members, two rounds
    assert 0 <= smol["fallbacks"] <= smol["decisions"] and smol["invalid"] >= 0
    acc = res["accounting"]["Smol"]
    enc = res["llm"]["rows"]
    assert acc["decisions"] == sum(r["decisions"] for r in enc) + smol["decisions"]
    assert acc["fallbacks"] == sum(r["fallbacks"] for r in enc) + smol["fallbacks"]
    assert acc["invalid"] == sum(r["unparsed"] for r in enc) + smol["invalid"]
    outcomes = [json.loads(line) for line in (run / "population-outcomes.jsonl").read_text().splitlines()]
    assert len(outcomes) == 2 * 3 and all(o["population"] == 6 for o in outcomes)
    for o in outcomes:  # the Reciprocator cooperates iff every co-player is in good standing
        assert all(who.startswith("Player ") for who in o["who"])  # names say nothing of a member's kind
        for k, kind in enumerate(o["kinds"]):
            if kind == "Reciprocator":
                assert o["cooperated"][k] == all(g for j, g in enumerate(o["standing"]) if j != k)
    # standing, the default rule: after round 0, good iff it cooperated or met a co-player in bad standing (none
    # is bad in round 0), so the round-1 records show each member's round-0 move
    first = {who: o["cooperated"][k] for o in outcomes if o["round"] == 0 for k, who in enumerate(o["who"])}
    for o in outcomes:
        if o["round"] == 1:
            assert o["standing"] == [first[who] for who in o["who"]]
    assert "re-matched reputation population" in (run / "report.html").read_text()
