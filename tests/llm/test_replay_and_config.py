"""Replay from a record of calls, and model-config parsing."""

import json

import pytest

from interplay.errors import InterplayError
from interplay.llm import InvalidAnswer, load_model, parse_model_config
from interplay.llm.replay import ReplayModel
from interplay.llm.testing import LoopbackServer, Reply

USER = [{"role": "user", "content": "Pick a move."}]


def test_replay_reproduces_a_recorded_run_exactly(tmp_path):
    record = tmp_path / "calls.jsonl"
    with LoopbackServer(["thinking...", Reply.choice("D"), Reply.choice("X"), "second"]) as s:
        model = s.model(record=record)
        live = [model.generate(USER, seed=1).text, model.choose(USER, ["C", "D"], seed=1).option]
        with pytest.raises(InvalidAnswer):
            model.choose(USER, ["C", "D"], seed=2)
        live.append(model.generate(USER, seed=2).text)
    assert len(record.read_text().splitlines()) == 4
    replay = load_model({"provider": "replay", "path": str(record)})
    # asked in a different order: answers follow the requests, not the order
    assert replay.generate(USER, seed=2).text == live[2]
    assert replay.choose(USER, ["C", "D"], seed=1).option == live[1]
    assert replay.generate(USER, seed=1).text == live[0]
    with pytest.raises(InvalidAnswer, match="not one of the legal options"):
        replay.choose(USER, ["C", "D"], seed=2)
    with pytest.raises(InterplayError, match="no recorded answer"):
        replay.generate(USER, seed=3)


def test_sequential_replay_and_bad_records(tmp_path):
    path = tmp_path / "r.jsonl"
    rows = [{"model": {"model": "m"}, "request": {"op": "generate"}, "response": {"text": t}} for t in ("a", "b")]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    seq = ReplayModel(path, mode="sequential")
    assert [seq.generate(USER).text, seq.generate([{"role": "user", "content": "x"}]).text] == ["a", "b"]
    with pytest.raises(InterplayError, match="used up"):
        seq.generate(USER)
    path.write_text('{"request": {"op": "generate"}, "response": {}}\nnot json\n')
    with pytest.raises(InterplayError, match="line 2"):
        ReplayModel(path)
    with pytest.raises(InterplayError, match="no record file"):
        ReplayModel(tmp_path / "missing.jsonl")


def test_config_errors_name_the_field(tmp_path):
    with pytest.raises(InterplayError, match="never put an API key"):
        parse_model_config({"provider": "openai", "model": "m", "api_key": "sk-x"})
    with pytest.raises(InterplayError, match="temprature"):
        parse_model_config({"provider": "openai", "model": "m", "temprature": 1})
    with pytest.raises(InterplayError, match="provider"):
        parse_model_config({"provider": "anthropic-direct", "model": "m"})
    with pytest.raises(InterplayError, match="max_concurrency"):
        parse_model_config({"model": "m", "max_concurrency": 0})
    bad = tmp_path / "bad.yaml"
    bad.write_text("provider: [unclosed\n")
    with pytest.raises(InterplayError, match="malformed YAML at line 2"):
        load_model(bad)
    with pytest.raises(InterplayError, match="does not exist"):
        load_model(tmp_path / "nope.yaml")
    cfg = parse_model_config({"model": "qwen2.5-7b-instruct", "base_url": "http://127.0.0.1:8000/v1"})
    assert (cfg.provider, cfg.api_key_env, cfg.structured) == ("openai", "OPENAI_API_KEY", "auto")


def test_example_model_files_parse():
    from pathlib import Path

    files = sorted(Path(__file__).parents[2].joinpath("examples", "models").glob("*.yaml"))
    assert files, "examples/models/*.yaml missing"
    for f in files:
        from interplay.llm import read_model_file

        cfg, _ = read_model_file(f)
        assert cfg.provider in ("openai", "transformers", "replay")
