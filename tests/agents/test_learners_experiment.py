"""The opponent-shaping experiment kind: YAML -> run directory with curves and results."""

import json

import pytest
import yaml

from interplay.errors import InterplayError
from interplay.run.runner import load_config, run_experiment


def _write(tmp_path, cfg):
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_pairings_from_yaml(tmp_path):
    cfg = {"kind": "opponent-shaping", "name": "t", "seeds": 8, "updates": 200,
           "game": {"id": "ipd-v1", "params": {"convention": "lola", "discount": 0.96}},
           "pairings": [{"learners": [{"kind": "naive"}, {"kind": "fixed", "policy": "Tit For Tat"}]},
                        {"learners": [{"kind": "sos"}, {"kind": "lola", "correction": 1.0}]},
                        {"learners": [{"kind": "mfos", "iterations": 2, "episodes": 8}, {"kind": "naive"}]},
                        {"learners": [{"kind": "pg"}, {"kind": "lola-dice"}]}],
           "rollout_batch": 8, "rollout_length": 20}
    run_dir = run_experiment(load_config(_write(tmp_path, cfg), []), tmp_path / "out", quiet=True)
    res = json.loads((run_dir / "results.json").read_text())["pairings"]
    assert list(res) == ["NL vs Fixed", "SOS vs LOLA", "M-FOS vs NL", "PG vs LOLA-DiCE"]
    # a naive learner facing tit-for-tat learns to cooperate: -1 per step (theory)
    assert abs(res["NL vs Fixed"]["reward_per_step_mean"][0] + 1.0) < 0.01
    assert res["NL vs Fixed"]["tft_like_fraction"][1] == 1.0
    assert len(res["SOS vs LOLA"]["final_policies"]) == 8
    assert len(res["M-FOS vs NL"]["curve_reward_per_step"]) == 200  # one point per meta-step
    assert len(res["PG vs LOLA-DiCE"]["curve_reward_per_step"]) == 201
    assert sorted(p.name for p in run_dir.glob("curves-*.png")) == [f"curves-{i}.png" for i in range(1, 5)]
    assert "Reward per step" in (run_dir / "report.html").read_text()


def test_bad_configs(tmp_path):
    base = {"kind": "opponent-shaping", "seeds": 2, "updates": 2}
    with pytest.raises(InterplayError, match="first seat"):
        cfg = load_config(_write(tmp_path, {**base, "pairings": [
            {"learners": [{"kind": "naive"}, {"kind": "mfos"}]}]}), [])
        run_experiment(cfg, tmp_path / "o1", quiet=True)
    with pytest.raises(InterplayError):
        bad_lr = {"learners": [{"kind": "lola", "lr": -1}, {"kind": "naive"}]}
        load_config(_write(tmp_path, {**base, "pairings": [bad_lr]}), [])
    with pytest.raises(InterplayError, match="each other only"):
        cfg = load_config(_write(tmp_path, {**base, "pairings": [
            {"learners": [{"kind": "pg"}, {"kind": "naive"}]}]}), [])
        run_experiment(cfg, tmp_path / "o3", quiet=True)
    with pytest.raises(InterplayError, match="5 probabilities"):
        cfg = load_config(_write(tmp_path, {**base, "pairings": [
            {"learners": [{"kind": "naive"}, {"kind": "fixed", "policy": [1, 0]}]}]}), [])
        run_experiment(cfg, tmp_path / "o2", quiet=True)
