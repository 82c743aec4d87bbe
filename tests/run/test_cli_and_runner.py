"""The CLI and the experiment runner: run directories, overrides, and clear errors."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from interplay.cli import main

ROOT = Path(__file__).resolve().parents[2]


def cli(*args):
    """Run the CLI in-process; return (exit code)."""
    with pytest.raises(SystemExit) as info:
        main(list(args))
    return info.value.code


def small_config(tmp_path, text=None):
    path = tmp_path / "exp.yaml"
    path.write_text(text or (
        "kind: population\nname: small\nseed: 3\n"
        "game: {id: ipd-v1, params: {convention: lola, discount: 0.96, horizon: 120}}\n"
        "agents: {TFT: Tit For Tat, ALLD: Defector, mine: [0.9, 0.9, 0.1, 0.9, 0.1]}\n"
        "matches: 200\n"
    ))
    return path


def test_run_writes_a_complete_run_directory(tmp_path):
    out = tmp_path / "run"
    assert cli("run", str(small_config(tmp_path)), "-o", str(out), "-q") == 0
    for name in ("config.yaml", "results.json", "metrics.jsonl", "report.html", "payoff-heatmaps.png",
                 "exact-vs-sampled.png", "scores.png"):
        assert (out / name).is_file(), name
    res = json.loads((out / "results.json").read_text())
    assert res["meta"]["status"] == "completed"
    assert res["players"] == ["TFT", "ALLD", "mine"]
    # TFT vs ALLD, exact, LOLA payoffs: -2.04 per step
    assert res["exact_payoff_matrix"][0][1] == pytest.approx(-2.04, abs=1e-4)
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 9
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html
    assert "http://" not in html and "https://" not in html and "<script src" not in html


def test_same_seed_same_results(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    cfg = small_config(tmp_path)
    cli("run", str(cfg), "-o", str(a), "-q")
    cli("run", str(cfg), "-o", str(b), "-q")
    ra, rb = (json.loads((d / "results.json").read_text()) for d in (a, b))
    assert ra["sampled_payoff_matrix"] == rb["sampled_payoff_matrix"]
    cli("run", str(cfg), "-o", str(tmp_path / "c"), "-q", "--set", "seed=4")
    rc = json.loads((tmp_path / "c" / "results.json").read_text())
    assert rc["sampled_payoff_matrix"] != ra["sampled_payoff_matrix"]
    assert rc["exact_payoff_matrix"] == ra["exact_payoff_matrix"]


def test_set_override_changes_the_game(tmp_path):
    out = tmp_path / "o"
    assert cli("run", str(small_config(tmp_path)), "-o", str(out), "-q", "--set", "game.params.discount=0.5") == 0
    res = json.loads((out / "results.json").read_text())
    assert res["discount"] == 0.5
    # TFT vs ALLD at gamma 0.5: 0.5 * -3 + 0.5 * -2
    assert res["exact_payoff_matrix"][0][1] == pytest.approx(-2.5, abs=1e-5)


@pytest.mark.parametrize(
    "text,override,needle",
    [
        (None, "game.id=ipd-v9", "Unknown game id 'ipd-v9'"),
        (None, "game.params.discount=1.5", "discount must be in [0, 1)"),
        (None, "matches=1", "matches"),
        (None, "colour=blue", "colour: unknown field"),
        (None, "game.params.discont=0.9", "Did you mean: 'discount'"),
        ("kind: population\nagents: {x: [1, 2]}\n", None, "5 probabilities"),
        ("kind: population\ngame: {id: pd-v1}\n", None, "needs an iterated 2x2 game"),
        ("kind: [oops\n", None, "malformed YAML at line"),
        ("kind: nonsense\n", None, "Unknown experiment kind 'nonsense'"),
        ("kind: population\ngame: {id: custom-v1, params: {payoffs: [1, 2]}}\n", None, "shape"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(tmp_path, capsys, text, override, needle):
    cfg = small_config(tmp_path, text)
    args = ["run", str(cfg), "-o", str(tmp_path / "never"), "-q"]
    if override:
        args += ["--set", override]
    assert cli(*args) == 2
    err = capsys.readouterr().err
    assert needle in " ".join(err.split()), err
    assert "Traceback" not in err
    assert not (tmp_path / "never").exists()


def test_missing_config_file(capsys):
    assert cli("run", "/nonexistent/x.yaml") == 2
    assert "does not exist" in capsys.readouterr().err


def test_games_and_analyze_json(capsys):
    assert cli("games", "--json") == 0
    games = json.loads(capsys.readouterr().out)
    ids = {g["id"] for g in games}
    assert {"ipd-v1", "prisoners-dilemma-v1", "matching-pennies-v1", "public-goods-v1"} <= ids
    pd = next(g for g in games if g["id"] == "prisoners-dilemma-v1")
    assert pd["utility"] == "general-sum" and pd["actions"] == [["C", "D"], ["C", "D"]]
    assert cli("analyze", "prisoners-dilemma-v1", "--json") == 0
    a = json.loads(capsys.readouterr().out)
    assert [e["actions"] for e in a["pure_nash"]] == [["D", "D"]]
    assert a["max_welfare"] == 6
    assert cli("analyze", "public-goods-v1", "-p", "num_players=3", "-p", "multiplier=2", "--json") == 0
    a = json.loads(capsys.readouterr().out)
    assert a["mixed_nash"] is None and len(a["pure_nash"]) == 1


def test_console_script_exit_code():
    proc = subprocess.run([sys.executable, "-m", "interplay.cli", "analyze", "no-such-game"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2
    assert "Unknown game id" in proc.stderr and "Traceback" not in proc.stderr


def test_showcase_config_validates():
    from interplay.run.runner import load_config

    cfg = load_config(ROOT / "examples" / "showcase.yaml")
    assert cfg.name == "showcase"
