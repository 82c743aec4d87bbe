"""What llama-cpp-python's server (the ``llamacpp_server`` fixture of tests/conftest.py, serving the
bundled GGUF file) does differently from ``transformers serve``, through interplay's HTTP backend.

Its quirks, as measured here: it answers a ``json_schema`` response_format with HTTP 500 (its
request model knows only ``text`` and ``json_object``), honours ``json_object`` with a schema
(a grammar: the reply is the JSON), returns token log-probabilities, and says its version in
its OpenAPI document.
"""

import math

import pytest

from interplay.llm import load_model
from interplay.llm.base import ModelWarning

IPD = [{"role": "system", "content": "You play the iterated prisoner's dilemma. Your actions: C, D."},
       {"role": "user", "content": "Round 1. Reply with your action only: one of C, D."}]


def test_structured_auto_steps_from_its_500_to_json_object_with_the_schema(llamacpp_server):
    model = load_model(llamacpp_server.model_config())
    with pytest.warns(ModelWarning, match="HTTP 500 to a json_schema request"):
        first = model.choose(IPD, ["Cooperate", "Defect"])
    # the grammar-constrained reply is exactly the requested JSON: the form is kept from now on
    assert model.auto_mode == "json_object" and model.formats_ok == {"json_object"}
    assert first.completion.text.replace(" ", "") in ('{"choice":"Cooperate"}', '{"choice":"Defect"}')
    second = model.choose(IPD, ["Stag", "Hare", "Rest"], seed=1)
    assert second.option in ("Stag", "Hare", "Rest") and second.completion.retries == 0
    assert len(model.notices) == 1
    # the failed json_schema call is not counted as an answer: two answered calls
    assert model.totals.calls == 2 and model.totals.failures == 0


def test_logprobs_choice_is_scored_from_its_token_probabilities(llamacpp_server):
    model = load_model(llamacpp_server.model_config(structured="logprobs"))
    choice = model.choose(IPD, ["C", "D"])
    assert choice.scores is not None and len(choice.scores) == 2
    assert all(s <= 0.0 for s in choice.scores) and any(math.isfinite(s) for s in choice.scores)
    # the chosen option is the better-scored one, and the mass of both is at most 1
    assert choice.option == ["C", "D"][max(range(2), key=lambda i: choice.scores[i])]
    assert sum(math.exp(s) for s in choice.scores) <= 1.0 + 1e-6
    assert not model.notices  # logprobs came back: nothing to say


def test_it_serves_the_same_chat_template_as_the_local_backend(llamacpp_server):
    remote = load_model(llamacpp_server.model_config())
    local = load_model({"provider": "transformers", "model": "smollm2-135m", "threads": 1})
    a = remote.generate(IPD, max_tokens=10)
    b = local.generate(IPD, max_tokens=10)
    assert a.prompt_tokens == b.prompt_tokens  # one chat template (the GGUF's), one tokenizer
    assert a.finish_reason in ("stop", "length") and a.completion_tokens <= 10 and a.text.strip()


def test_it_says_its_version(llamacpp_server):
    model = load_model(llamacpp_server.model_config())
    assert model.server_version() == ("llama-cpp-python", llamacpp_server.version)
    gone = load_model({**llamacpp_server.model_config(), "base_url": "http://127.0.0.1:9/v1"})
    assert gone.server_version() is None  # nothing listens there: no version, no error
