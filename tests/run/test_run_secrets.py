"""No key on disk: a config or model file holding a key is refused before anything is written
(and the message never shows it); a key echoed back by a server is redacted by every writer of
the run directory; a test greps the whole run directory for the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from interplay.cli import main
from interplay.llm.testing import LoopbackServer, Reply
from interplay.run.context import RunContext
from interplay.safety.audit import AuditLog, verify
from interplay.safety.secrets import REDACTED, Redactor

KEY = "sk-test-" + "Zq8w" * 10  # shaped like an OpenAI key
PLAIN_KEY = "c0ffee" * 8          # a key with no recognisable shape


def _cli(*args: str) -> int:
    try:
        main(list(args))
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def _grep(folder: Path, *needles: str) -> list[str]:
    hits = []
    for p in folder.rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            hits += [f"{p.name}: {n[:8]}..." for n in needles if n.encode() in data]
    return hits


def _tournament(tmp_path: Path, model: dict | str, **extra) -> Path:
    cfg = {"kind": "llm-tournament", "name": "s", "game": {"id": "ipd-v1", "params": {"horizon": 2}},
           "agents": {"LLM": model if isinstance(model, str) else {"llm": {"model": model}}, "TFT": "Tit For Tat"},
           "self_play": False, "cache": None, **extra}
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


@pytest.mark.parametrize("where", ["model file", "inline", "redteam model file"])
def test_a_key_in_a_config_or_model_file_is_refused_before_anything_is_written(tmp_path, capsys, where):
    model = {"provider": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "m", "api_key": KEY}
    mfile = tmp_path / "model.yaml"
    mfile.write_text(yaml.safe_dump(model))
    if where == "model file":
        cfg = _tournament(tmp_path, f"llm:{mfile}")
    elif where == "inline":
        cfg = _tournament(tmp_path, model)
    else:
        cfg = tmp_path / "r.yaml"
        cfg.write_text(yaml.safe_dump({"kind": "redteam", "name": "r", "scenarios": ["extraction"],
                                       "models": {"mallory": str(mfile), "victor": str(mfile)}}))
    out = tmp_path / "run"
    assert _cli("run", str(cfg), "-o", str(out), "-q") == 2
    err = capsys.readouterr()
    assert "api_key" in err.err and "not shown" in err.err
    assert KEY not in err.err + err.out
    assert not out.exists()  # nothing written: no config.yaml, no results.json


def test_api_key_env_set_to_the_key_itself_is_refused_without_echoing_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MY_KEY", PLAIN_KEY)
    for value in (KEY, PLAIN_KEY):  # a key-shaped value, and the value of a set variable
        cfg = _tournament(tmp_path, {"provider": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "m",
                                     "api_key_env": value})
        assert _cli("run", str(cfg), "-o", str(tmp_path / "run"), "-q") == 2
        err = capsys.readouterr()
        assert "looks like a key" in err.err and value not in err.err + err.out
        assert not (tmp_path / "run").exists()


def test_a_key_echoed_by_the_server_never_reaches_the_run_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("ECHO_TEST_KEY", PLAIN_KEY)
    echo = Reply.error(401, message=f"Incorrect API key provided: {PLAIN_KEY}. Bearer {KEY} rejected.")
    with LoopbackServer(default=echo) as server:
        cfg = _tournament(tmp_path, {"provider": "openai", "base_url": server.base_url, "model": "m",
                                     "api_key_env": "ECHO_TEST_KEY", "max_retries": 0}, audit=True)
        run = tmp_path / "run"
        assert _cli("run", str(cfg), "-o", str(run), "-q") == 1  # every call failed
    assert server.calls >= 1
    assert _grep(run, PLAIN_KEY, KEY) == []
    res = json.loads((run / "results.json").read_text())
    assert res["meta"]["status"] == "failed" and verify(run).ok


def test_every_run_directory_writer_redacts(tmp_path):
    red = Redactor([PLAIN_KEY])
    ctx = RunContext(tmp_path, quiet=True, redact=red)
    ctx.audit = AuditLog(tmp_path, redact=red)
    ctx.log_metric(error=f"server said {PLAIN_KEY}")
    ctx.unit_done("u1", {"error": f"Bearer {KEY}"}, transcript=[{"text": PLAIN_KEY}],
                  journal="transcripts.jsonl", journal_row={"m": KEY})
    ctx.add_transcript("t", [{"sender": "a", "text": f"my key is {PLAIN_KEY}"}])
    ctx.save_json("extra.json", {"k": PLAIN_KEY})
    assert _grep(tmp_path, PLAIN_KEY, KEY) == []
    assert REDACTED in (tmp_path / "metrics.jsonl").read_text()
    assert REDACTED in (tmp_path / "audit.jsonl").read_text()
    # the redactor leaves ordinary text alone
    assert red({"a": ["cooperate", 3, None]}) == {"a": ["cooperate", 3, None]}
