"""The tournament experiment kind and the CLI commands, end to end (small and fast)."""

from __future__ import annotations

import json

import pytest
import yaml

from interplay.cli import main
from interplay.run.runner import load_config, run_experiment


def test_tournament_experiment_writes_results_and_plots(tmp_path):
    cfg_path = tmp_path / "t.yaml"
    cfg_path.write_text(yaml.safe_dump({
        "kind": "tournament", "name": "small", "strategies": ["Tit For Tat", "Defector", "Cooperator", "Grudger"],
        "policies": {"learned": [1, 1, 0, 1, 0]}, "turns": 20, "repetitions": 2,
        "analysis": {"top": 4, "m": 10},
    }))
    run_dir = run_experiment(load_config(cfg_path, []), tmp_path / "run", quiet=True)
    res = json.loads((run_dir / "results.json").read_text())["tournament"]
    assert res["players"] == ["Tit For Tat", "Defector", "Cooperator", "Grudger", "learned"]
    # the learned vector is tit for tat: identical payoffs against everyone
    assert res["payoff_matrix"][4] == res["payoff_matrix"][0]
    assert res["analyses"]["alpharank"]["ranking"][0]["name"] == "Defector"
    for png in ("payoff-heatmap", "cooperation-matrix", "ranking", "alpharank", "moran-fixation", "replicator"):
        assert (run_dir / f"{png}.png").is_file()
    assert "alpha-Rank" in (run_dir / "report.html").read_text()


def test_unknown_strategy_in_a_config_is_a_named_error(tmp_path):
    cfg_path = tmp_path / "t.yaml"
    cfg_path.write_text("kind: tournament\nstrategies: [Tit For Tatt, Defector]\n")
    assert _cli(["run", str(cfg_path), "-o", str(tmp_path / "r")]) == 2


def _cli(args: list[str]) -> int:
    try:
        main(args)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_cli_tournament_json_and_errors(capsys):
    assert _cli(["tournament", "--strategies", "Tit For Tat,Defector,Cooperator", "--turns", "10", "-r", "2",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["players"] == ["Tit For Tat", "Defector", "Cooperator"]
    assert out["ranked_names"][0] == "Defector"
    assert out["payoff_matrix"][0][1] == pytest.approx(0.9)  # TFT vs ALLD over 10 turns: 0 then 9 x 1
    assert _cli(["tournament", "--strategies", "Tit For Tatt,Defector"]) == 2
    assert "Did you mean" in capsys.readouterr().err
    assert _cli(["strategies", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) >= 60 and {"name", "memory_depth", "stochastic", "origin"} <= set(rows[0])
