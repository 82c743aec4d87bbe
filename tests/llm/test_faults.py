"""Fault injection: the HTTP backend against a misbehaving server of these tests' own.

The server below is written here (not interplay's LoopbackServer) and speaks raw
HTTP on 127.0.0.1, so it can send what real servers send on a bad day: 200s with a
number for content, garbled or negative usage, HTML bodies, no choices, trickled
bodies, odd Retry-After values, error bodies that echo the key. Each class of fault
has a test: it is retried (or refused) as documented, never cached, never counted as
the model's answer, never a crash, and nothing is lost or double-counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from interplay.errors import InterplayError
from interplay.llm import Budget, BudgetExceeded, CacheWarning, InvalidAnswer, LLMCache, ModelCallError, load_model
from interplay.llm.base import ModelWarning, request_key
from interplay.llm.openai_backend import option_scores
from interplay.llm.parsing import parse_choice
from interplay.llm.retry import RetryPolicy, parse_retry_after

USER = [{"role": "user", "content": "Pick a move."}]
PORTS = range(18100, 18200)  # this helper's port range


def completion(content, *, usage=None, finish="stop", logprobs=None) -> dict:
    choice = {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}
    if logprobs is not None:
        choice["logprobs"] = {"content": logprobs}
    body = {"id": "x", "object": "chat.completion", "model": "faulty", "choices": [choice]}
    body["usage"] = {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12} if usage is None else usage
    if usage == "omit":
        del body["usage"]
    return body


class Fault:
    """What the server does with one request: status, headers, body bytes, and how to send them."""

    def __init__(self, body: bytes | dict | str, *, status: int = 200, headers: dict | None = None,
                 content_type: str = "application/json", delay: float = 0.0, trickle: float = 0.0) -> None:
        if isinstance(body, dict):
            body = json.dumps(body)
        self.body = body.encode() if isinstance(body, str) else body
        self.status, self.headers, self.content_type = status, headers or {}, content_type
        self.delay, self.trickle = delay, trickle


def ok(content="C", **kw) -> Fault:
    return Fault(completion(content, **kw))


class FaultServer:
    """A raw HTTP server on 127.0.0.1 answering from a script of Faults (then ``default``)."""

    def __init__(self, script=(), default: Fault | Callable[[dict], Fault] | None = None) -> None:
        self.script = list(script)
        self.default = default
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                return

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = json.loads(raw)
                with owner.lock:
                    owner.requests.append(body)
                    owner.headers.append({k.lower(): v for k, v in self.headers.items()})
                    fault = owner.script.pop(0) if owner.script else owner.default
                if callable(fault):
                    fault = fault(body)
                if fault is None:
                    fault = Fault({"error": {"message": "script exhausted"}}, status=418)
                time.sleep(fault.delay)
                try:
                    self.send_response(fault.status)
                    self.send_header("Content-Type", fault.content_type)
                    self.send_header("Content-Length", str(len(fault.body)))
                    for k, v in fault.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    if fault.trickle:
                        for b in fault.body:
                            self.wfile.write(bytes([b]))
                            self.wfile.flush()
                            time.sleep(fault.trickle)
                    else:
                        self.wfile.write(fault.body)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

        for port in PORTS:
            try:
                self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
                break
            except OSError:
                continue
        else:  # pragma: no cover - every port of the range busy
            raise RuntimeError("no free port in 18100-18199")
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> FaultServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    @property
    def calls(self) -> int:
        with self.lock:
            return len(self.requests)

    def model(self, **cfg):
        extra = {k: cfg.pop(k) for k in ("cache", "budget", "record") if k in cfg}
        spec = {"provider": "openai", "base_url": self.base_url, "model": "faulty", "api_key_env": None,
                "backoff_base": 0.01, "backoff_max": 0.03, "timeout": 5.0, **cfg}
        return load_model(spec, **extra)


# -- malformed 200s ---------------------------------------------------------------------

MALFORMED = {
    "content is a number": Fault(completion(42)),
    "content is an object": Fault(completion({"choice": "C"})),
    "usage is text": Fault(completion("C", usage={"prompt_tokens": "many", "completion_tokens": 1})),
    "usage is negative": Fault(completion("C", usage={"prompt_tokens": -100000, "completion_tokens": 5})),
    "usage is a float": Fault(completion("C", usage={"prompt_tokens": 1.5, "completion_tokens": 5})),
    "usage is a list": Fault(completion("C", usage=[1, 2])),
    "HTML body": Fault(b"<html><body>502 Bad Gateway</body></html>", content_type="text/html"),
    "plain text body": Fault(b"upstream overloaded", content_type="text/plain"),
    "JSON body that is not JSON": Fault(b'{"choices": [', content_type="application/json"),
    "body is a JSON list": Fault(b"[1, 2, 3]"),
    "no choices": Fault({"id": "x", "object": "chat.completion", "model": "faulty"}),
    "empty choices": Fault({"id": "x", "choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 0}}),
    "[{}] choices": Fault({"id": "x", "choices": [{}], "usage": {"prompt_tokens": 1, "completion_tokens": 0}}),
    "a 200 carrying an error": Fault({"error": {"message": "model overloaded"}}),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_200_is_retried_never_cached_never_an_answer(name, tmp_path):
    cache = LLMCache(tmp_path / "c.sqlite")
    budget = Budget(max_tokens=10_000)
    with FaultServer([MALFORMED[name], ok("D")]) as server:
        model = server.model(cache=cache, budget=budget)
        c = model.generate(USER)
        assert (c.text, c.retries, server.calls) == ("D", 1, 2)
        assert (c.prompt_tokens, c.completion_tokens) == (10, 2)  # only the good reply's usage
        assert budget.tokens == 12 and model.totals.prompt_tokens == 10
        # for good: every attempt malformed -> ModelCallError, nothing cached, nothing counted
        server.script = [MALFORMED[name]] * 3
        failing = server.model(cache=cache, budget=budget, max_retries=2)
        with pytest.raises(ModelCallError, match="malformed reply") as info:
            failing.generate(USER, seed=5)
        assert "after 2 retries" in str(info.value)
        assert server.calls == 5 and len(cache) == 1 and budget.tokens == 12
        assert failing.totals.failures == 1 and failing.totals.calls == 0


def test_malformed_choice_reply_is_not_an_invalid_answer():
    """A garbled 200 to a choice is a transport fault (retried), not the model choosing nothing."""
    with FaultServer([MALFORMED["[{}] choices"], Fault(completion('{"choice": "D"}'))]) as server:
        choice = server.model().choose(USER, ["C", "D"])
    assert choice.option == "D" and choice.completion.retries == 1


def test_agent_counts_a_malformed_reply_as_a_retry_not_an_answer():
    import interplay
    from interplay.agents.fixed import strategy_player
    from interplay.agents.llm_agent import LLMAgent
    from interplay.agents.match import play_match

    game = interplay.make("ipd-v1", horizon=2)
    with FaultServer([MALFORMED["content is a number"], ok("ACTION: C"), MALFORMED["HTML body"], ok("ACTION: D")]
                     ) as server:
        agent = LLMAgent("LLM", server.model())
        rec = asyncio.run(play_match(game, [agent, strategy_player("Tit For Tat", game)], rounds=2))
    s = agent.stats
    assert rec.complete and [a[0] for a in rec.actions] == [0, 1]
    assert (s.moves, s.answers, s.invalid_answers, s.fallbacks, s.retries, s.call_errors) == (2, 2, 0, 0, 2, 0)


def test_missing_usage_is_estimated_so_token_budgets_still_apply():
    budget = Budget(max_tokens=30)
    with FaultServer(default=ok("x" * 40, usage="omit")) as server:
        model = server.model(budget=budget)
        c = model.generate(USER)
        # 40 characters, about 4 a token; the prompt "Pick a move." (12 characters) 3 tokens
        assert c.usage_estimated and (c.prompt_tokens, c.completion_tokens) == (3, 10)
        while True:
            try:
                model.generate(USER, seed=server.calls)
            except BudgetExceeded:
                break
            assert server.calls < 10
    assert budget.tokens == 39 and server.calls == 3  # 13 + 13 < 30, 39 >= 30: the fourth call is refused


def test_negative_usage_never_summed_and_budget_still_triggers():
    """A server reporting -100000 prompt tokens is retried; the good replies are summed; the budget stops."""
    budget = Budget(max_tokens=30)
    bad = MALFORMED["usage is negative"]
    with FaultServer([bad, ok(), bad, ok(), ok()]) as server:
        model = server.model(budget=budget)
        model.generate(USER, seed=1)
        model.generate(USER, seed=2)
        model.generate(USER, seed=3)
        with pytest.raises(BudgetExceeded, match="36 of 30 tokens"):
            model.generate(USER, seed=4)
    assert budget.tokens == 36 and model.totals.prompt_tokens == 30 and server.calls == 5
    # defence in depth: the budget and the totals refuse negative or non-finite amounts
    b = Budget()
    b.charge(-2_500_125, -1.0)
    b.charge(5, math.nan)
    assert (b.tokens, b.cost) == (5, 0.0)


# -- cache rows of the wrong shape -------------------------------------------------------

BAD_ROWS = {
    "a list": [1, 2],
    "text of type int": {"text": 42, "prompt_tokens": 1, "completion_tokens": 1},
    "prompt_tokens 'abc'": {"text": "C", "prompt_tokens": "abc", "completion_tokens": 1},
    "negative tokens": {"text": "C", "prompt_tokens": -5, "completion_tokens": 1},
    "a string": "hello",
}


@pytest.mark.parametrize("name", sorted(BAD_ROWS))
def test_cache_row_of_the_wrong_shape_is_a_reported_miss(name, tmp_path):
    cache = LLMCache(tmp_path / "c.sqlite")
    with FaultServer(default=ok("D")) as server:
        model = server.model(cache=cache)
        req = {"op": "generate", "messages": USER, "temperature": 0.0, "max_tokens": 512, "seed": None,
               "stop": None}
        key = request_key(model.identity(), req)
        cache.put(key, BAD_ROWS[name])
        with pytest.warns(CacheWarning, match="ignored and asked again"):
            c = model.generate(USER)
        assert (c.text, c.cached, server.calls) == ("D", False, 1)
        again = model.generate(USER)  # the fresh answer replaced the bad row
        assert (again.text, again.cached, server.calls) == ("D", True, 1)
    assert cache.bad_rows == 1 and any("ignored" in p for p in cache.problems)


def test_cache_row_that_is_not_json_is_a_miss(tmp_path):
    cache = LLMCache(tmp_path / "c.sqlite")
    with FaultServer(default=Fault(completion('{"choice": "C"}'))) as server:
        model = server.model(cache=cache)
        req = {"op": "choose", "messages": USER, "options": ["C", "D"], "temperature": 0.0, "seed": None,
               **model.choose_settings()}
        key = request_key(model.identity(), req)
        cache._conn().execute("INSERT INTO answers VALUES (?, '', ?, 0)", (key, "{not json"))
        with pytest.warns(CacheWarning):
            assert model.choose(USER, ["C", "D"]).option == "C"
        cache.put(key, {"text": "x", "index": 7, "scores": None}, replace=True)  # index out of range
        with pytest.warns(CacheWarning, match="no valid index"):
            assert model.choose(USER, ["C", "D"]).option == "C"
    assert server.calls == 2


@pytest.mark.parametrize(("response", "problem"), [
    ({"text": "C", "index": 0, "scores": ["high", "low"]}, "scores"),
    ({"text": 42, "index": 0}, "text of type int"),
    ([1, 2], "not a mapping"),
    ({"text": "C", "index": 5}, "no valid index"),
])
def test_replay_record_of_the_wrong_shape_is_refused_with_its_line(tmp_path, response, problem):
    good = {"model": {"model": "m"}, "request": {"op": "generate", "messages": USER}, "response": {"text": "C"}}
    bad = {"model": {"model": "m"}, "request": {"op": "choose", "messages": USER, "options": ["C", "D"]},
           "response": response}
    path = tmp_path / "calls.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(InterplayError, match=rf"line 2: the recorded answer .*{problem}"):
        load_model({"provider": "replay", "path": str(path)})


# -- time: whole-call timeout, Retry-After -------------------------------------------------

def test_timeout_bounds_the_whole_call_even_when_the_body_trickles():
    trickled = Fault(completion("C" * 40), trickle=0.1)  # about 20 s of body, one byte each 0.1 s
    with FaultServer([trickled, ok("D")]) as server:
        model = server.model(timeout=1.0, max_retries=0)
        t0 = time.monotonic()
        with pytest.raises(ModelCallError, match=r"timeout \(the whole call took over 1 s\)"):
            model.generate(USER)
        assert time.monotonic() - t0 < 4.0  # each read was quick; only the whole call is slow
        retried = server.model(timeout=1.0, max_retries=1)
        server.script = [trickled, ok("D")]
        c = retried.generate(USER, seed=2)
    assert c.text == "D" and c.retries == 1


def test_retry_after_is_capped_by_a_configurable_cap():
    with FaultServer([Fault({"error": {"message": "slow down"}}, status=429, headers={"Retry-After": "300"}),
                      ok("D")]) as server:
        model = server.model(max_retry_after=0.2)
        t0 = time.monotonic()
        assert model.generate(USER).text == "D"
        assert time.monotonic() - t0 < 3.0
    assert RetryPolicy(max_delay=7.0).retry_after_cap == 7.0  # default: backoff_max
    assert RetryPolicy(max_delay=7.0, max_retry_after=2.0).delay(0, 300.0) == 2.0


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "soon", "", "1e999", "Wed, 99 Foo 2026 12:00:00"])
def test_retry_after_garbage_falls_back_to_backoff(value):
    assert parse_retry_after({"Retry-After": value}) is None
    assert parse_retry_after({"retry-after-ms": value}) is None
    with FaultServer([Fault(b'{"error": {"message": "busy"}}', status=503, headers={"Retry-After": value}),
                      ok("D")]) as server:
        t0 = time.monotonic()
        assert server.model().generate(USER).text == "D"
        assert time.monotonic() - t0 < 3.0  # the 10-30 ms backoff, not a wait that never ends


def test_retry_after_valid_forms():
    assert parse_retry_after({"Retry-After": "2.5"}) == 2.5
    assert parse_retry_after({"Retry-After": "-3"}) == 0.0
    assert parse_retry_after({"retry-after-ms": "1500"}) == 1.5
    assert parse_retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, now=1445412470.0) == 10.0
    with pytest.raises(InterplayError, match="base_delay"):
        RetryPolicy(base_delay=math.inf)
    for field in ("backoff_base", "backoff_max", "timeout", "max_retry_after", "requests_per_minute"):
        with pytest.raises(InterplayError, match=field):
            load_model({"provider": "openai", "model": "m", "base_url": "http://127.0.0.1:18199/v1",
                        "api_key_env": None, field: math.inf})


# -- parsing stays linear -------------------------------------------------------------------

@pytest.mark.parametrize("text", ["C" + "\n" * 200_000, "\n" * 200_000 + "ACTION: D", "ACTION:" + " " * 200_000,
                                  ("x\n" + " " * 10) * 50_000, "{" * 100_000, "answer: " + "\n \n" * 70_000])
def test_parse_choice_is_linear_on_pathological_answers(text):
    # 20,000 newlines took 20.5 s with a quadratic pattern; 200,000 would take over half an hour.
    # A linear parser does each in well under a second on any machine.
    t0 = time.monotonic()
    with contextlib.suppress(InvalidAnswer):
        parse_choice(text, ["C", "D"])
    assert time.monotonic() - t0 < 5.0


@pytest.mark.parametrize("text", ["x" + "\n" * 200_000, "\n" * 200_000 + "Rating: 3", " \n" * 100_000])
def test_rating_parser_is_linear_too(text):
    from interplay.talk.persuasion import parse_rating

    t0 = time.monotonic()
    value = parse_rating(text, 1, 7)
    assert time.monotonic() - t0 < 5.0  # quadratic: 8,000 newlines 0.6 s, 200,000 about 6 minutes
    assert value == (3.0 if "Rating" in text else None)
    assert parse_rating("I think so.\n  **Rating: 5**\n", 1, 7) == 5.0


def test_parse_choice_results_unchanged_by_the_linear_pattern():
    assert parse_choice("thinking...\n\n\n   ACTION: D\n\n", ["C", "D"]) == 1
    assert parse_choice("Final answer = C", ["C", "D"]) == 0
    assert parse_choice("ACTION: C\nlater\nAction: D", ["C", "D"]) == 1
    with pytest.raises(InvalidAnswer, match="X"):
        parse_choice("ACTION: X", ["C", "D"])
    with pytest.raises(InvalidAnswer) as info:
        parse_choice("\n\n", ["C", "D"])
    assert info.value.kind == "empty"


# -- secrets: server messages kept and redacted; base_url null ---------------------------------

def test_server_error_body_is_kept_and_redacted(monkeypatch):
    secret = "sk-live-abcdefghijklmnop0123"
    monkeypatch.setenv("FAULT_TEST_KEY", secret)
    echo = Fault({"error": {"message": f"Incorrect API key provided: Bearer {secret}. Also key={secret}."}},
                 status=401)
    pinned = Fault({"error": {"message": "Server is pinned to model SmolLM2; you asked for 'faulty'"}}, status=400)
    with FaultServer([echo, pinned, Fault({"error": {"message": f"overloaded ({secret[-10:]}... no)"}}, status=503),
                      Fault(b"<html>bad gateway " + secret.encode() + b"</html>", status=502,
                            content_type="text/html")]) as server:
        model = server.model(api_key_env="FAULT_TEST_KEY", max_retries=1)
        with pytest.raises(ModelCallError) as refused:
            model.generate(USER)
        with pytest.raises(ModelCallError, match="Server is pinned to model SmolLM2") as rejected:
            model.generate(USER, seed=1)
        with pytest.raises(ModelCallError) as failed:
            model.generate(USER, seed=2)
        assert server.headers[0]["authorization"] == f"Bearer {secret}"
    msg = str(refused.value)
    assert "Incorrect API key provided" in msg and "refused the key" in msg
    for exc in (refused, rejected, failed):
        assert secret not in str(exc.value) and "abcdefghijklmnop" not in str(exc.value)
    # "<redacted>", not "[redacted]": the terminal's rich markup would swallow a [tag]
    assert "Bearer <redacted>" in msg
    assert "HTTP 400" in str(rejected.value)
    assert "HTTP 502" in str(failed.value) and "bad gateway" in str(failed.value)


def test_base_url_null_never_follows_openai_base_url_silently(monkeypatch):
    monkeypatch.setenv("FAULT_TEST_KEY", "sk-fault-0123456789")
    with FaultServer(default=ok("C")) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        spec = {"provider": "openai", "model": "faulty", "api_key_env": "FAULT_TEST_KEY", "base_url": None}
        with pytest.raises(InterplayError, match="base_url_from_env") as info:
            load_model(spec)
        assert "OPENAI_BASE_URL" in str(info.value) and server.calls == 0
        model = load_model({**spec, "base_url_from_env": True})  # the explicit opt-in
        assert model.generate(USER).text == "C" and server.calls == 1
    monkeypatch.delenv("OPENAI_BASE_URL")
    assert load_model(spec).base_url == "https://api.openai.com/v1"
    with pytest.raises(InterplayError, match="not set"):
        load_model({**spec, "base_url_from_env": True})


# -- matches: a failed seat ends the match; budgets count exactly ------------------------------

def _seat(body: dict) -> str:
    return "A" if "You are LLM (player_0)" in body["messages"][0]["content"] else "B"


def test_self_play_a_failed_seat_ends_the_match_and_no_more_calls_are_made():
    import interplay
    from interplay.agents.llm_agent import LLMAgent
    from interplay.agents.match import play_match

    def respond(body: dict) -> Fault:
        if _seat(body) == "A":
            return Fault({"error": {"message": "no such model"}}, status=404)  # fails for good at once
        return Fault(completion("I am not sure."), delay=0.5)  # invalid: would be re-asked twice

    game = interplay.make("ipd-v1", horizon=3)
    with FaultServer(default=respond) as server:
        agent = LLMAgent("LLM", server.model())
        rec = asyncio.run(play_match(game, [agent, agent], rounds=3))
        time.sleep(1.5)  # a re-ask that was still going would arrive now
        calls = server.calls
    assert not rec.complete and "404" in rec.error and not rec.actions
    assert calls == 2  # seat A's failed call and seat B's first (cancelled) call; no re-asks after the end
    s = agent.stats
    assert (s.moves, s.answers, s.call_errors, s.fallbacks) == (0, 0, 1, 0)


def test_budget_stop_counts_moves_and_answers_exactly():
    import interplay
    from interplay.agents.fixed import strategy_player
    from interplay.agents.llm_agent import LLMAgent
    from interplay.agents.match import play_match

    # every move needs two answers: an invalid one, then a valid one
    answers = iter(["no idea", "ACTION: C"] * 10)
    game = interplay.make("ipd-v1", horizon=10)
    budget = Budget(max_calls=5)
    with FaultServer(default=lambda body: ok(next(answers))) as server:
        agent = LLMAgent("LLM", server.model(budget=budget))
        rec = asyncio.run(play_match(game, [agent, strategy_player("Tit For Tat", game)], rounds=10))
    s = agent.stats
    assert not rec.complete and "call budget spent" in rec.error and rec.error_type == "BudgetExceeded"
    assert server.calls == 5 and budget.calls == 5
    assert len(rec.actions) == 2 and s.moves == 2  # two moves played, the third cut by the budget
    assert (s.answers, s.invalid_answers, s.reasks, s.calls) == (5, 3, 3, 5)


# -- structured output, logprobs and re-asks ---------------------------------------------------

def test_a_200_that_ignores_the_schema_switches_to_plain_text_once(tmp_path):
    record = tmp_path / "calls.jsonl"
    with FaultServer(default=ok("ACTION: D")) as server:  # drops response_format, as transformers serve does
        model = server.model(record=record)
        with pytest.warns(ModelWarning, match="ignores response_format"):
            first = model.choose(USER, ["C", "D"])
        second = model.choose(USER, ["C", "D"], seed=1)
    assert first.option == second.option == "D"
    assert ["response_format" in r for r in server.requests] == [True, False]
    assert "JSON only" in server.requests[0]["messages"][-1]["content"]
    assert "option only" in server.requests[1]["messages"][-1]["content"]
    lines = [json.loads(x) for x in record.read_text().splitlines()]
    assert len(model.notices) == 1 and lines[0]["response"]["notices"] == model.notices
    assert model.totals.as_dict()["notices"] == model.notices  # what results.json's "llm" totals show
    assert "notices" not in lines[1]["response"]


def test_json_schema_500_falls_back_to_json_object_form_then_text():
    def llama(body: dict) -> Fault:
        rf = body.get("response_format") or {}
        if rf.get("type") == "json_schema":
            return Fault({"error": {"message": "failed to parse grammar"}}, status=500)
        if rf.get("type") == "json_object":
            assert rf["schema"]["properties"]["choice"]["enum"] == ["Stag", "Hare"]
            return Fault(completion('{"choice": "Hare"}'))
        return ok("Stag")

    with FaultServer(default=llama) as server:
        model = server.model()
        with pytest.warns(ModelWarning, match="HTTP 500 to a json_schema request"):
            assert model.choose(USER, ["Stag", "Hare"]).option == "Hare"
        assert model.choose(USER, ["Stag", "Hare"], seed=1).option == "Hare"
        assert model.auto_mode == "json_object"
    kinds = [(r.get("response_format") or {}).get("type") for r in server.requests]
    assert kinds == ["json_schema", "json_object", "json_object"]  # the 500 was not retried 6 times

    def no_json(body: dict) -> Fault:
        if body.get("response_format"):
            return Fault({"error": {"message": "response_format unsupported"}}, status=500)
        return ok("Hare")

    with FaultServer(default=no_json) as server:
        model = server.model()
        with pytest.warns(ModelWarning):
            assert model.choose(USER, ["Stag", "Hare"]).option == "Hare"
    assert server.calls == 3 and model.auto_mode == "none"


def test_a_500_to_a_proven_json_form_is_retried_not_a_step_down():
    # llama-cpp-python's server: json_schema -> 500, json_object works; later one transient 500
    # to the json_object form that has worked is a server fault (retried), not "unsupported"
    schema_500 = Fault({"error": {"message": "Internal Server Error"}}, status=500)
    script = [schema_500, Fault(completion('{"choice": "Hare"}')),
              Fault({"error": {"message": "busy"}}, status=500), Fault(completion('{"choice": "Stag"}')),
              Fault(completion("Stag, surely")), Fault(completion('{"choice": "Hare"}'))]
    with FaultServer(script) as server:
        model = server.model()
        with pytest.warns(ModelWarning, match="HTTP 500 to a json_schema request"):
            assert model.choose(USER, ["Stag", "Hare"]).option == "Hare"
        assert model.formats_ok == {"json_object"}
        second = model.choose(USER, ["Stag", "Hare"], seed=1)
        assert second.option == "Stag" and second.completion.retries == 1
        # a stray plain answer to the proven form is parsed as text; the form stays
        assert model.choose(USER, ["Stag", "Hare"], seed=2).option == "Stag"
        assert model.choose(USER, ["Stag", "Hare"], seed=3).option == "Hare"
    kinds = [(r.get("response_format") or {}).get("type") for r in server.requests]
    assert kinds == ["json_schema", *["json_object"] * 5]
    assert model.auto_mode == "json_object" and len(model.notices) == 1


def _token(tok: str, lp: float, top: list[tuple[str, float]]) -> dict:
    return {"token": tok, "logprob": lp, "bytes": list(tok.encode()),
            "top_logprobs": [{"token": t, "logprob": v, "bytes": list(t.encode())} for t, v in top]}


def test_logprobs_choice_scores_options_from_token_probabilities():
    # the answer's first token and its alternatives, as llama.cpp's server and vLLM return them
    top = [("Co", math.log(0.5)), (" Co", math.log(0.1)), ("Def", math.log(0.3)), ("I", math.log(0.1))]
    reply = Fault(completion("Cooperate", logprobs=[_token("Co", math.log(0.5), top),
                                                   _token("operate", -0.01, [("operate", -0.01)])]))
    with FaultServer([reply]) as server:
        model = server.model(structured="logprobs")
        choice = model.choose(USER, ["Cooperate", "Defect"])
    body = server.requests[0]
    assert body["logprobs"] is True and body["top_logprobs"] == 20 and "response_format" not in body
    assert choice.option == "Cooperate"
    assert choice.scores == pytest.approx((math.log(0.6), math.log(0.3)))  # "Co" + " Co"; "Def"
    assert option_scores([("C", -1.0), ("x", -0.1)], ["C", "D"]) == (-1.0, -math.inf)


def test_logprobs_choice_without_logprobs_parses_the_text_and_says_so():
    with FaultServer([ok("Defect"), ok("Cooperate")]) as server:
        model = server.model(structured="logprobs")
        with pytest.warns(ModelWarning, match="no token logprobs"):
            assert model.choose(USER, ["Cooperate", "Defect"]).option == "Defect"
        choice = model.choose(USER, ["Cooperate", "Defect"], seed=1)
    assert choice.option == "Cooperate" and choice.scores is None and len(model.notices) == 1


def test_reasks_are_never_the_identical_request():
    import interplay
    from interplay.agents.fixed import strategy_player
    from interplay.agents.llm_agent import LLMAgent
    from interplay.agents.match import play_match

    game = interplay.make("ipd-v1", horizon=10)
    with FaultServer(default=ok("I would rather not say.")) as server:  # a temperature-0 model, always the same
        agent = LLMAgent("LLM", server.model(), {"max_reasks": 2, "fallback": "Tit For Tat"})
        rec = asyncio.run(play_match(game, [agent, strategy_player("Tit For Tat", game)], rounds=1))
    assert rec.complete and rec.fallbacks == [1, 0] and server.calls == 3
    bodies = [json.dumps(b, sort_keys=True) for b in server.requests]
    assert len(set(bodies)) == 3
    assert len({b["seed"] for b in server.requests}) == 3
    reask = server.requests[1]["messages"][-1]["content"]
    assert 'Your answer was: "I would rather not say."' in reask and "The legal actions are: C, D" in reask
    assert agent.stats.as_dict()["moves"] == 1 and agent.stats.answers == 3


def test_prompt_states_the_match_length_once():
    import interplay
    from interplay.agents.fixed import strategy_player
    from interplay.agents.llm_agent import LLMAgent
    from interplay.agents.match import play_match

    game = interplay.make("ipd-v1")  # its own sampled play lasts 100 rounds
    with FaultServer(default=ok("ACTION: C")) as server:
        agent = LLMAgent("LLM", server.model())
        asyncio.run(play_match(game, [agent, strategy_player("Tit For Tat", game)], rounds=10))
    prompt = "\n".join(m["content"] for m in server.requests[0]["messages"])
    assert "repeated for 10 rounds" in prompt and "100 rounds" not in prompt
    assert "Round 1 of 10" in prompt


def test_length_cut_and_empty_answers_are_unparsed_and_reasked():
    import interplay
    from interplay.agents.fixed import strategy_player
    from interplay.agents.llm_agent import LLMAgent
    from interplay.agents.match import play_match

    game = interplay.make("ipd-v1", horizon=1)
    cut = Fault(completion("I think... ACTION: D and then", finish="length"))
    with FaultServer([cut, ok(""), ok("ACTION: C")]) as server:
        agent = LLMAgent("LLM", server.model())
        rec = asyncio.run(play_match(game, [agent, strategy_player("Tit For Tat", game)], rounds=1))
    s = agent.stats
    assert rec.actions == [(0, 0)]  # the cut answer's "D" was never played
    assert (s.answers, s.invalid_answers, s.truncated_answers, s.empty_answers, s.moves) == (3, 2, 1, 1, 1)
    assert "cut off by the length limit" in server.requests[1]["messages"][-1]["content"]


def test_fault_server_uses_its_own_port_range():
    with FaultServer() as server:
        assert server.httpd.server_address[1] in PORTS
        with socket.create_connection(server.httpd.server_address, timeout=2):
            pass
