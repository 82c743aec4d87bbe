"""The SQLite answer cache: repeat runs make no calls, concurrent writers, bad files."""

import sqlite3
import subprocess
import sys
import textwrap

import pytest

from interplay.llm import CacheWarning, LLMCache, load_model
from interplay.llm.base import request_key
from interplay.llm.testing import LoopbackServer, Reply

USER = [{"role": "user", "content": "Pick a move."}]


def _study(model):
    """A small 'study': a few generations and choices with different seeds."""
    out = []
    for seed in range(3):
        out.append(model.generate(USER, temperature=0.8, seed=seed).text)
        out.append(model.choose(USER, ["C", "D"], seed=seed).option)
    return out


def test_second_run_makes_no_calls_and_is_identical(tmp_path):
    answers = iter(["C", "D", "hello", "C", "x", "D"])
    with LoopbackServer(default=lambda req: Reply.choice(next(answers)) if req.wants_json else next(answers)) as s:
        first = _study(s.model(cache=tmp_path / "cache.sqlite"))
        assert s.calls == 6
    # a different server (other port, scripted to fail every call): all answers come from the cache
    with LoopbackServer(default=Reply.error(500)) as s2:
        model = s2.model(cache=tmp_path / "cache.sqlite")
        second = _study(model)
        assert s2.calls == 0
    assert second == first and model.totals.cached_calls == 6 and model.totals.calls == 0


def test_key_covers_model_messages_and_sampling():
    ident = {"provider": "openai", "model": "m"}
    base = {"op": "generate", "messages": USER, "temperature": 0.0, "max_tokens": None, "seed": 1, "stop": None}
    keys = {request_key(ident, base)}
    for change in [{"seed": 2}, {"temperature": 0.5}, {"max_tokens": 7}, {"stop": ["x"]},
                   {"messages": [{"role": "user", "content": "Pick a move!"}]}]:
        keys.add(request_key(ident, {**base, **change}))
    keys.add(request_key({"provider": "openai", "model": "other"}, base))
    assert len(keys) == 7
    assert request_key(ident, dict(reversed(list(base.items())))) == request_key(ident, base)


def test_concurrent_writers_from_processes(tmp_path):
    path = tmp_path / "shared.sqlite"
    LLMCache(path)  # create the schema once, as a run does before starting workers
    script = textwrap.dedent(f"""
        import sys
        from interplay.llm.cache import LLMCache
        w = int(sys.argv[1])
        c = LLMCache({str(path)!r})
        for i in range(150):
            c.put(f"k{{w}}-{{i}}", {{"text": f"{{w}}:{{i}}"}})
            c.put("common", {{"text": f"writer {{w}}"}})
            assert c.get(f"k{{w}}-{{i}}") == {{"text": f"{{w}}:{{i}}"}}
        print(len(c.problems))
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script, str(w)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for w in range(4)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], [o[1].decode()[-500:] for o in outs]
    assert [o[0].strip() for o in outs] == [b"0"] * 4  # no writer hit a problem
    cache = LLMCache(path)
    assert len(cache) == 4 * 150 + 1
    assert cache.get("k3-149") == {"text": "3:149"}
    assert cache.get("common")["text"].startswith("writer ")  # the first write won, once


def test_corrupt_file_is_set_aside(tmp_path):
    path = tmp_path / "cache.sqlite"
    garbage = b"this is not a database" * 100
    path.write_bytes(garbage)
    with pytest.warns(CacheWarning, match="not a readable SQLite database"):
        cache = LLMCache(path)
    assert cache.set_aside is not None and cache.set_aside.read_bytes() == garbage
    assert cache.set_aside.name.startswith("cache.sqlite.corrupt-")
    cache.put("k", {"text": "C"})
    assert cache.get("k") == {"text": "C"}


def test_foreign_database_is_set_aside_and_run_goes_on(tmp_path):
    path = tmp_path / "cache.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE users (name TEXT)")
        conn.execute("INSERT INTO users VALUES ('alice')")
    conn.close()
    with LoopbackServer(["C"]) as s, pytest.warns(CacheWarning, match="not an interplay LLM cache"):
        model = s.model(cache=path)
        assert model.generate(USER).text == "C"
    with sqlite3.connect(model.cache.set_aside) as conn:
        assert conn.execute("SELECT name FROM users").fetchall() == [("alice",)]
    conn.close()
    assert len(LLMCache(path)) == 1


def test_file_damaged_during_run_disables_cache_without_crash(tmp_path):
    path = tmp_path / "cache.sqlite"
    with LoopbackServer(default="C") as s:
        model = s.model(cache=path)
        model.generate(USER, seed=1)
        model.cache.close()
        path.write_bytes(b"\0garbage" * 512)  # overwritten behind the run's back
        for side in ("-wal", "-shm"):
            (tmp_path / f"cache.sqlite{side}").unlink(missing_ok=True)
        with pytest.warns(CacheWarning, match="cache is off"):
            assert model.generate(USER, seed=2).text == "C"
        assert model.cache.disabled and s.calls == 2


def test_yaml_relative_cache_path(tmp_path):
    (tmp_path / "model.yaml").write_text("provider: openai\nmodel: m\nbase_url: http://127.0.0.1:9/v1\n"
                                         "api_key_env: null\ncache: sub/llm.sqlite\n")
    model = load_model(tmp_path / "model.yaml")
    assert model.cache.path == tmp_path / "sub" / "llm.sqlite" and model.cache.path.exists()
