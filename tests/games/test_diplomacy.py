"""Diplomacy through the ``diplomacy`` engine: legal orders are the engine's, illegal orders are
refused, hold bots never change the board, greedy beats random on supply centres, Welfare
Diplomacy accounting by hand on constructed positions, saved games reload in the engine."""

import json
from pathlib import Path

import diplomacy
import numpy as np
import pytest

from interplay.errors import InterplayError
from interplay.games.diplomacy import POWERS, DiplomacyEnv, order_kind, play_game
from interplay.games.diplomacy_bots import BOTS, greedy_orders, hold_orders, random_orders, welfare_orders

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _engine_legal(game, power):
    possible = game.get_all_possible_orders()
    return {loc: sorted(possible[loc]) for loc in game.get_orderable_locations(power) if possible[loc]}


def test_start_legal_orders_equal_a_fresh_engine():
    env = DiplomacyEnv(max_years=1)
    fresh = diplomacy.Game()
    for p in POWERS:
        assert env.legal_orders(p) == _engine_legal(fresh, p)
    obs, _ = env.reset()
    assert obs["FRANCE"]["legal_orders"]["PAR"] == sorted(fresh.get_all_possible_orders()["PAR"])
    assert sorted(obs["FRANCE"]["my_units"]) == ["A MAR", "A PAR", "F BRE"]
    assert obs["RUSSIA"]["my_centres"] == ["MOS", "SEV", "STP", "WAR"]
    assert sum(len(c) for c in obs["ENGLAND"]["centres"].values()) == 22


def test_legal_orders_equal_the_engine_in_every_phase_of_a_random_game():
    env = DiplomacyEnv(max_years=4)
    obs, _ = env.reset()
    rng = np.random.default_rng(3)
    kinds = set()
    while not env.done:
        kinds.add(env.phase_type)
        for p in env.agents:
            assert env.legal_orders(p) == _engine_legal(env.game, p), (env.phase, p)
        obs, *_ = env.step({p: random_orders(obs[p], rng) for p in env.agents})
    assert {"M", "A"} <= kinds


def test_illegal_orders_refused_with_clear_errors():
    env = DiplomacyEnv(max_years=1)
    with pytest.raises(InterplayError, match=r"illegal order 'A PAR - MOS' for FRANCE in S1901M.*legal orders at PAR"):
        env.step({"FRANCE": ["A PAR - MOS"]})
    with pytest.raises(InterplayError, match="illegal order 'A BER - BUR' for FRANCE"):
        env.step({"FRANCE": ["A BER - BUR"]})  # another power's unit
    with pytest.raises(InterplayError, match="two orders for PAR"):
        env.step({"FRANCE": ["A PAR H", "A PAR - BUR"]})
    with pytest.raises(InterplayError, match="unknown Diplomacy power 'NARNIA'"):
        env.step({"NARNIA": []})
    with pytest.raises(InterplayError, match="must be a list of order strings"):
        env.step({"FRANCE": "A PAR H"})
    with pytest.raises(InterplayError, match="max_years"):
        DiplomacyEnv(max_years=0)
    assert env.phase == "S1901M"  # nothing was adjudicated
    env.step({"FRANCE": ["A PAR - BUR"]})
    assert "A BUR" in env.game.get_power("FRANCE").units


def test_too_many_builds_refused():
    env = DiplomacyEnv(max_years=2)
    env.set_position(units={"FRANCE": ["A PAR"]})
    env.step({})
    env.step({})
    assert env.phase == "W1901A" and env.builds_allowed("FRANCE") == 2
    with pytest.raises(InterplayError, match="may build 2 unit"):
        env.step({"FRANCE": ["F BRE B", "A MAR B", "WAIVE"]})
    with pytest.raises(InterplayError, match="two orders for MAR"):
        env.step({"FRANCE": ["F MAR B", "A MAR B"]})
    env.step({"FRANCE": ["F BRE B", "A MAR B"]})
    assert sorted(env.game.get_power("FRANCE").units) == ["A MAR", "A PAR", "F BRE"]


def test_hold_bots_never_change_the_board():
    env = DiplomacyEnv(max_years=5)
    obs, _ = env.reset()
    units0, centres0 = env.units(), env.centres()
    rng = np.random.default_rng(0)
    steps = 0
    while not env.done:
        obs, rewards, terms, truncs, _ = env.step({p: hold_orders(obs[p], rng) for p in env.agents})
        steps += 1
        assert env.units() == units0 and env.centres() == centres0
        assert set(rewards.values()) == {0.0}
    assert steps == 10 and all(truncs.values()) and not any(terms.values())
    assert env.record.outcome() == "draw: " + ", ".join(POWERS)
    assert sum(env.record.conflicts.values()) == 0 and sum(env.record.stolen.values()) == 0


def test_bots_only_give_legal_orders_and_greedy_beats_random():
    greedy, rand = [], []
    for seed in range(4):
        side = {"ENGLAND", "GERMANY", "RUSSIA"} if seed % 2 == 0 else {"AUSTRIA", "FRANCE", "ITALY", "TURKEY"}
        env = play_game({p: greedy_orders if p in side else random_orders for p in POWERS}, max_years=6, seed=seed)
        final = env.record.final_centres()
        greedy += [final[p] for p in side]
        rand += [final[p] for p in POWERS if p not in side]
    # each power played both sides; greedy holds at least 1.5x the centres of random per power
    assert np.mean(greedy) >= 1.5 * np.mean(rand), (greedy, rand)


def test_welfare_accounting_by_hand_on_a_constructed_position():
    env = DiplomacyEnv(max_years=2, welfare=True)
    # France: 5 centres, one army; everyone else as at the start.
    env.set_position(units={"FRANCE": ["A PAR"]}, centres={"FRANCE": ["BRE", "MAR", "PAR", "SPA", "POR"]})
    env.step({})
    env.step({})  # spring and fall 1901, all hold
    assert env.phase == "W1901A" and env.builds_allowed("FRANCE") == 4
    assert "A PAR D" in env.legal_orders("FRANCE")["PAR"]  # voluntary disbanding is legal
    assert "A PAR D" not in env.legal_orders("ENGLAND").get("PAR", [])
    _, rewards, *_ = env.step({"FRANCE": ["A MAR B"]})
    # after winter 1901: France 5 centres - 2 units = 3; Russia 4 - 4, others 3 - 3
    assert env.record.welfare_points == {**dict.fromkeys(POWERS, 0), "FRANCE": 3}
    assert rewards["FRANCE"] == 3.0 and rewards["ENGLAND"] == 0.0
    env.step({})
    env.step({})
    assert env.phase == "W1902A"
    env.step({"FRANCE": ["A PAR D"], "GERMANY": ["A BER D", "F KIE D"]})  # voluntary disbands
    # France 5 - 1 = 4 more (7); Germany 3 - 1 = 2
    assert env.record.welfare_points["FRANCE"] == 7 and env.record.welfare_points["GERMANY"] == 2
    assert env.done and env.phase == "S1903M"
    assert env.game.get_power("GERMANY").units == ["A MUN"]
    assert env.record.root_nash_welfare() == 0.0  # some power has 0 points


def test_welfare_winter_the_engine_skips_is_played_and_root_nash_welfare():
    env = play_game({p: welfare_orders for p in POWERS}, max_years=3, welfare=True)
    assert [c[0] for c in env.record.centres][:4] == ["S1901M", "F1901M", "W1901A", "S1902M"]
    # every power keeps ceil(c/2) units: 3 centres -> 1 point a year, Russia's 4 -> 2 a year
    assert env.record.welfare_points == {**dict.fromkeys(POWERS, 3), "RUSSIA": 6}
    assert env.record.root_nash_welfare() == pytest.approx((3**6 * 6) ** (1 / 7))
    assert env.record.winner is None and env.record.eliminated == {}


def test_saved_game_reloads_in_the_engine():
    from diplomacy.utils.export import from_saved_game_format

    env = play_game({p: BOTS["random"] for p in POWERS}, max_years=3, seed=5)
    saved = json.loads(json.dumps(env.saved_game()))
    game = from_saved_game_format(saved)
    assert game.get_current_phase() == env.game.get_current_phase() == "S1904M"
    for p in POWERS:
        assert sorted(game.get_power(p).centers) == sorted(env.game.get_power(p).centers)
        assert sorted(game.get_power(p).units) == sorted(env.game.get_power(p).units)
    history = [ph.name for ph in game.get_phase_history()]
    assert history == [c[0] for c in env.record.centres[:-1]]
    assert env.render_svg().lstrip().startswith("<?xml") or "<svg" in env.render_svg()[:500]


def test_observation_messages_only_to_their_recipients():
    env = DiplomacyEnv(max_years=1)
    env.send_message("FRANCE", "ENGLAND", "DMZ in the Channel?")
    env.send_message("TURKEY", "GLOBAL", "peace")
    assert [m["body"] for m in env.observe("ENGLAND")["messages"]] == ["DMZ in the Channel?", "peace"]
    assert [m["body"] for m in env.observe("GERMANY")["messages"]] == ["peace"]
    assert [m["body"] for m in env.observe("FRANCE")["messages"]] == ["DMZ in the Channel?", "peace"]
    with pytest.raises(InterplayError, match="non-empty"):
        env.send_message("FRANCE", "ENGLAND", "")


def test_order_kinds():
    assert [order_kind(o) for o in ["A PAR - BUR", "A PAR H", "A PAR S A MAR - BUR", "F NTH C A LON - NWY",
                                    "A PAR R BUR", "A PAR D", "A PAR B", "WAIVE"]] == [
        "move", "hold", "support", "convoy", "retreat", "disband", "build", "waive"]


def test_experiment_kind_writes_saved_games_svgs_and_tables(tmp_path):
    from diplomacy.utils.export import from_saved_game_format

    from interplay.run.runner import load_config, run_experiment

    cfg = load_config(EXAMPLES / "diplomacy-welfare.yaml", ["max_years=2", "lineups.1.powers.FRANCE=hold"])
    run_dir = run_experiment(cfg, tmp_path / "run", quiet=True)
    res = json.loads((run_dir / "results.json").read_text())
    unit = res["units"]["all-welfare-0"]
    assert unit["welfare_points"] == {**dict.fromkeys(POWERS, 2), "RUSSIA": 4}  # 1 (2 for Russia) a year
    assert res["lineups"]["all-welfare"]["mean_root_nash_welfare"] == pytest.approx((2**6 * 4) ** (1 / 7))
    assert res["lineups"]["welfare-vs-greedy"]["bots"]["FRANCE"] == "hold"
    for key in ("all-welfare-0", "welfare-vs-greedy-0"):
        game = from_saved_game_format(json.loads((run_dir / "games" / f"{key}.json").read_text()))
        assert {p: len(game.get_power(p).centers) for p in POWERS} == res["units"][key]["final_centres"]
        assert "<svg" in (run_dir / "games" / f"{key}.svg").read_text()[:2000]
    report = (run_dir / "report.html").read_text()
    assert "data:image/svg+xml;base64" in report and "root-Nash welfare" in report


@pytest.mark.parametrize("body, what", [
    ("lineups: [{name: a, powers: {NARNIA: greedy}}]", "NARNIA"),
    ("lineups: [{name: a, default: genius}]", "genius"),
    ("lineups: [{name: a}, {name: a}]", "repeated"),
    ("max_years: 0\nlineups: [{name: a}]", "max_years"),
])
def test_bad_diplomacy_configs_are_exit_2(tmp_path, capsys, body, what):
    from interplay.cli import main

    path = tmp_path / "d.yaml"
    path.write_text("kind: diplomacy\n" + body + "\n")
    try:
        main(["run", str(path), "-o", str(tmp_path / "r")])
        code = 0
    except SystemExit as e:
        code = e.code
    assert code == 2
    out = capsys.readouterr()
    assert what in out.out + out.err


def test_elimination_and_solo_victory_on_a_constructed_position():
    env = DiplomacyEnv(max_years=2)
    # France owns 17 centres (not Belgium) with one army beside Belgium; Italy has nothing left.
    french = ["BRE", "MAR", "PAR", "SPA", "POR", "HOL", "DEN", "NWY", "SWE", "GRE", "BUL", "RUM", "SER", "TUN",
              "ROM", "NAP", "VEN"]
    env.set_position(units={"FRANCE": ["A PIC"], "ITALY": []}, centres={"FRANCE": french, "ITALY": []})
    _, _, terms, _, _ = env.step({"FRANCE": ["A PIC - BEL"]})
    assert terms["ITALY"] and "ITALY" not in env.agents and env.record.eliminated == {"ITALY": "F1901M"}
    with pytest.raises(InterplayError, match="ITALY is not in the game"):
        env.step({"ITALY": []})
    _, rewards, terms, truncs, _ = env.step({})  # Belgium is French after the fall: 18 centres
    assert env.done and all(terms.values()) and not any(truncs.values())
    assert env.record.winner == "FRANCE" and env.record.outcome() == "solo victory: FRANCE"
    assert rewards["FRANCE"] == 1.0 and env.record.final_centres()["FRANCE"] == 18
    with pytest.raises(InterplayError, match="game is over"):
        env.step({})


def test_welfare_diplomacy_has_no_solo_victory():
    env = DiplomacyEnv(max_years=2, welfare=True)
    french = ["BRE", "MAR", "PAR", "SPA", "POR", "HOL", "DEN", "NWY", "SWE", "GRE", "BUL", "RUM", "SER", "TUN",
              "ROM", "NAP", "VEN"]
    env.set_position(units={"FRANCE": ["A PIC"], "ITALY": []}, centres={"FRANCE": french, "ITALY": []})
    env.step({"FRANCE": ["A PIC - BEL"]})
    env.step({})
    assert len(env.game.get_power("FRANCE").centers) == 18 and not env.done and env.record.winner is None
    assert env.phase == "W1901A"
