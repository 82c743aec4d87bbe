"""The OpenAI-compatible backend against a real HTTP server on 127.0.0.1."""

import asyncio
import json
import time

import pytest

from interplay.errors import InterplayError
from interplay.llm import Budget, BudgetExceeded, InvalidAnswer, ModelCallError, load_model
from interplay.llm.testing import LoopbackServer, Reply

USER = [{"role": "user", "content": "Pick a move."}]


def test_generate_sends_parameters_and_reads_usage(server):
    server.push(Reply.text("C", prompt_tokens=11, completion_tokens=3))
    model = server.model(input_price=2.0, output_price=10.0)
    c = model.generate(USER, temperature=0.7, max_tokens=5, seed=42, stop=["\n"])
    assert (c.text, c.prompt_tokens, c.completion_tokens, c.cached, c.retries) == ("C", 11, 3, False, 0)
    assert c.cost == pytest.approx((11 * 2.0 + 3 * 10.0) / 1e6)
    body = server.requests[0].body
    assert body["messages"] == USER
    assert (body["model"], body["temperature"], body["max_tokens"], body["seed"], body["stop"]) == (
        "loopback", 0.7, 5, 42, ["\n"])
    assert model.totals.calls == 1 and model.totals.prompt_tokens == 11


def test_429_honours_retry_after():
    with LoopbackServer([Reply.error(429, retry_after=1), Reply.text("D")]) as server:
        model = server.model(max_retry_after=5.0)  # the cap defaults to backoff_max (50 ms here)
        t0 = time.monotonic()
        c = model.generate(USER)
        elapsed = time.monotonic() - t0
    assert c.text == "D" and c.retries == 1 and server.calls == 2
    assert 1.0 <= elapsed < 3.0  # waited what the server asked, not the 10 ms backoff


def test_5xx_retried_then_given_up():
    with LoopbackServer([Reply.error(500), Reply.error(503), Reply.text("C")]) as server:
        model = server.model()
        assert model.generate(USER).retries == 2
        assert server.calls == 3
        server.push(*[Reply.error(500)] * 3)
        failing = server.model(max_retries=2)
        with pytest.raises(ModelCallError, match=r"HTTP 500 after 2 retries"):
            failing.generate(USER)
        assert server.calls == 6 and failing.totals.failures == 1


def test_timeout_and_malformed_body_are_retried():
    with LoopbackServer([Reply.slow(1.0, "late"), Reply.malformed_body(), Reply.text("C")]) as server:
        model = server.model(timeout=0.2)
        c = model.generate(USER)
    assert c.text == "C" and c.retries == 2 and server.calls == 3


def test_client_errors_are_not_retried():
    with LoopbackServer([Reply.error(404), Reply.error(401)]) as server:
        model = server.model()
        with pytest.raises(ModelCallError, match="404"):
            model.generate(USER)
        with pytest.raises(ModelCallError, match="refused the key"):
            model.generate(USER)
        assert server.calls == 2


def test_choose_uses_json_schema_enum():
    with LoopbackServer([Reply.choice("D")]) as server:
        choice = server.model().choose(USER, ["C", "D"])
    assert (choice.index, choice.option, choice.scores) == (1, "D", None)
    rf = server.requests[0].body["response_format"]
    assert rf["json_schema"]["schema"]["properties"]["choice"]["enum"] == ["C", "D"]
    assert server.requests[0].options == ["C", "D"]


def test_choose_falls_back_to_parsing_when_schema_unsupported():
    with LoopbackServer(["ACTION: D", "C"], supports_json_schema=False) as server:
        model = server.model()
        assert model.choose(USER, ["C", "D"]).index == 1
        assert model.choose(USER + [{"role": "user", "content": "again"}], ["C", "D"]).index == 0
    # json_schema rejected (400), then the json_object form (400), then parsing only: the second
    # choice goes straight to plain text
    assert [(r.body.get("response_format") or {}).get("type") for r in server.requests] == [
        "json_schema", "json_object", None, None]
    assert len(model.notices) == 2 and "plain text" in model.notices[1]


def test_guided_choice_mode_sends_vllm_extension():
    with LoopbackServer(["Hare"]) as server:
        choice = server.model(structured="guided_choice").choose(USER, ["Stag", "Hare"])
    assert choice.option == "Hare" and server.requests[0].body["guided_choice"] == ["Stag", "Hare"]


@pytest.mark.parametrize(
    ("reply", "reason"),
    [(Reply.choice("X"), "not one of the legal options"), (Reply.empty(), "empty"), (Reply.null(), "empty"),
     (Reply.malformed_json(), "malformed JSON")],
)
def test_choose_reports_invalid_answers(reply, reason):
    with LoopbackServer([reply]) as server:
        model = server.model()
        with pytest.raises(InvalidAnswer) as info:
            model.choose(USER, ["C", "D"])
    assert reason in info.value.reason
    assert info.value.completion is not None and model.totals.calls == 1


def test_api_key_from_env_only(monkeypatch, tmp_path):
    secret = "sk-test-0123456789-never-write-me"
    monkeypatch.setenv("INTERPLAY_TEST_KEY", secret)
    with LoopbackServer(["C", "D"]) as server:
        model = server.model(api_key_env="INTERPLAY_TEST_KEY", cache=tmp_path / "c.sqlite",
                          record=tmp_path / "calls.jsonl")
        model.generate(USER)
        model.choose(USER, ["C", "D"])
        assert server.requests[0].headers["authorization"] == f"Bearer {secret}"
    for f in tmp_path.iterdir():
        assert secret.encode() not in f.read_bytes(), f
    assert secret not in repr(model)
    monkeypatch.delenv("INTERPLAY_TEST_KEY")
    with pytest.raises(InterplayError, match="INTERPLAY_TEST_KEY"):
        load_model({"model": "m", "base_url": "http://127.0.0.1:9/v1", "api_key_env": "INTERPLAY_TEST_KEY"})


async def test_concurrency_bound_and_rate_limit():
    with LoopbackServer(default=Reply.text("C", delay=0.1)) as server:
        model = server.model(max_concurrency=3)
        await asyncio.gather(*[model.agenerate(USER, seed=i) for i in range(9)])
        assert server.max_in_flight == 3 and model.max_in_flight_seen == 3
        limited = server.model(requests_per_minute=1200, max_concurrency=16)  # one start per 50 ms
        t0 = time.monotonic()
        await asyncio.gather(*[limited.agenerate(USER, seed=i) for i in range(6)])
        assert time.monotonic() - t0 >= 5 * 0.05


async def test_budget_stops_calls_and_cache_is_free(tmp_path):
    from interplay.llm import LLMCache

    budget = Budget(max_calls=3)
    cache = LLMCache(tmp_path / "c.sqlite")
    with LoopbackServer(default="C") as server:
        model = server.model(budget=budget, cache=cache)
        for i in range(3):
            await model.agenerate(USER, seed=i)
        with pytest.raises(BudgetExceeded, match="3 of 3 calls"):
            await model.agenerate(USER, seed=99)
        again = await model.agenerate(USER, seed=0)  # cached: allowed and free
        assert again.cached and again.cost == 0.0
        assert server.calls == 3 and budget.calls == 3
    assert model.totals.calls == 3 and model.totals.cached_calls == 1


async def test_sync_call_inside_running_loop():
    with LoopbackServer(["C"]) as server:
        assert server.model().generate(USER).text == "C"


def test_every_call_sends_a_length_limit_and_keeps_finish_reason(tmp_path):
    from interplay.llm import LLMCache

    cut = Reply(content="Let me think about this step by", finish_reason="length")
    with LoopbackServer([cut, Reply.choice("D"), Reply(content='{"choi', finish_reason="length")]) as server:
        model = server.model(cache=LLMCache(tmp_path / "c.sqlite"), record=tmp_path / "calls.jsonl",
                             max_tokens=77, choice_max_tokens=9)
        c = model.generate(USER)
        assert model.choose(USER, ["C", "D"]).option == "D"
        with pytest.raises(InvalidAnswer) as info:
            model.choose(USER + [{"role": "user", "content": "again"}], ["C", "D"])
        again = model.generate(USER)  # from the cache: finish_reason kept
    assert [r.body["max_tokens"] for r in server.requests] == [77, 9, 9]
    assert (c.finish_reason, c.truncated, c.empty, c.problem_kind) == ("length", True, False, "length")
    assert "cut off by the length limit" in c.problem
    assert info.value.kind == "length" and "max_tokens=9" in info.value.reason
    assert again.cached and again.truncated and server.calls == 3
    records = [json.loads(line) for line in (tmp_path / "calls.jsonl").read_text().splitlines()]
    assert [r["response"]["finish_reason"] for r in records] == ["length", "stop", "length", "length"]
    assert records[0]["request"]["max_tokens"] == 77
    # the defaults: 512 for a generate call, 64 for a choice
    with LoopbackServer([Reply.text("C"), Reply.choice("C"), Reply.empty()]) as server:
        model = server.model()
        model.generate(USER)
        model.choose(USER, ["C", "D"])
        e = model.generate(USER, seed=1)
    assert [r.body["max_tokens"] for r in server.requests] == [512, 64, 512]
    assert e.empty and e.problem == "the answer was empty" and e.problem_kind == "empty"


def test_loopback_reads_options_of_every_structured_form():
    from interplay.llm.testing import ChatRequest

    schema = {"properties": {"choice": {"enum": ["C", "D"]}}}
    forms = [{"response_format": {"type": "json_schema", "json_schema": {"schema": schema}}},
             {"response_format": {"type": "json_object", "schema": schema}}, {"guided_choice": ["C", "D"]}]
    assert [ChatRequest(0, "/v1/chat/completions", body).options for body in forms] == [["C", "D"]] * 3
    assert ChatRequest(0, "/", {"response_format": {"type": "json_object"}}).options is None
