"""OpenAI-compatible chat completions over HTTP, with the official ``openai`` client.

One backend covers hosted APIs and local servers that speak the protocol (vLLM,
Ollama, llama.cpp's server, LM Studio): set ``base_url`` and ``model``. The API
key is read from the environment variable named by ``api_key_env`` when the
client is made; it is never stored in a config, a cache key, a record or a log.

Choosing an option (:meth:`OpenAIModel.achoose`) asks for structured output:

* ``structured="json_schema"``: ``response_format`` with a JSON schema whose
  ``choice`` field is an enum of the options (OpenAI structured outputs; vLLM,
  llama.cpp and LM Studio accept it too);
* ``structured="guided_choice"``: vLLM's ``guided_choice`` extension;
* ``structured="none"``: plain text, parsed by :func:`interplay.llm.parsing.parse_choice`;
* ``structured="auto"`` (default): JSON schema first; if the server rejects it
  (HTTP 400 or 422) the model falls back to parsing for the rest of the run.

Whatever the mode, the answer is parsed and checked against the options, so a
server that ignores the constraint can never slip in an illegal move.
"""

from __future__ import annotations

import asyncio
import json
import os
import weakref
from typing import Any, Literal

import openai
from openai.types.chat import ChatCompletion

from interplay.errors import InterplayError
from interplay.llm.base import ChatModel, Choice, Completion, InvalidAnswer, ModelCallError
from interplay.llm.parsing import parse_choice
from interplay.llm.retry import RETRYABLE_STATUS, Attempts, RetryPolicy, parse_retry_after, with_retries

StructuredMode = Literal["auto", "json_schema", "guided_choice", "none"]


def choice_instruction(options: list[str], *, json_format: bool) -> str:
    """The last user turn of a choice: name the options and the answer format."""
    listed = ", ".join(json.dumps(o) for o in options)
    if json_format:
        return f'Choose exactly one of the options {listed}. Reply with JSON only: {{"choice": "<option>"}}.'
    return f"Choose exactly one of the options {listed}. Reply with the option only."


def classify_openai_error(exc: BaseException) -> tuple[bool, float | None, str]:
    """(retryable, retry_after, cause) for an exception raised by the openai client."""
    if isinstance(exc, openai.APITimeoutError):
        return True, None, "timeout"
    if isinstance(exc, openai.APIConnectionError):
        return True, None, "connection error"
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        retry_after = parse_retry_after(dict(exc.response.headers)) if exc.response is not None else None
        retryable = status in RETRYABLE_STATUS or status >= 500
        return retryable, retry_after, f"HTTP {status}"
    if isinstance(exc, openai.APIResponseValidationError | json.JSONDecodeError | ValueError):
        return True, None, "malformed response body"
    return False, None, type(exc).__name__


class OpenAIModel(ChatModel):
    """A chat model behind an OpenAI-compatible endpoint.

    Args:
        model: the model name the server knows (``"gpt-4o-mini"``, ``"qwen2.5-7b-instruct"``).
        base_url: the endpoint (``http://127.0.0.1:8000/v1``); None means api.openai.com.
        api_key_env: name of the environment variable holding the key; None for
            local servers that need none.
        timeout: seconds per request before it counts as a (retryable) timeout.
        retry: the :class:`RetryPolicy`.
        structured: how choices are constrained (see the module docstring).
        extra_body: extra JSON fields sent with every request (server-specific).
        name: display name (defaults to ``model``); the rest go to :class:`ChatModel`.
    """

    provider = "openai"

    def __init__(self, model: str, *, base_url: str | None = None, api_key_env: str | None = "OPENAI_API_KEY",
                 timeout: float = 60.0, retry: RetryPolicy | None = None, structured: StructuredMode = "auto",
                 extra_body: dict[str, Any] | None = None, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name or model, **kwargs)
        if structured not in ("auto", "json_schema", "guided_choice", "none"):
            raise InterplayError(f"model {self.name!r}: structured must be auto, json_schema, guided_choice or none, "
                                 f"got {structured!r}.")
        self.model = model
        self.base_url = base_url
        self.api_key_env = api_key_env
        self.timeout = float(timeout)
        self.retry = retry or RetryPolicy()
        self.structured: StructuredMode = structured
        self._structured_ok = structured != "none"
        self.extra_body = dict(extra_body or {})
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, openai.AsyncOpenAI] = (
            weakref.WeakKeyDictionary())
        self._api_key()  # fail early, with a clear message, if the variable is missing

    def identity(self) -> dict[str, Any]:
        return {"provider": "openai", "model": self.model}

    def choose_settings(self) -> dict[str, Any]:
        return {"structured": self.structured}

    def _api_key(self) -> str:
        if self.api_key_env is None:
            return "not-needed"
        key = os.environ.get(self.api_key_env)
        if not key:
            raise InterplayError(
                f"model {self.name!r}: the environment variable {self.api_key_env!r} (api_key_env) is not set; "
                "export the API key there, or set api_key_env: null for a local server that needs no key.")
        return key

    def _client(self) -> openai.AsyncOpenAI:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = openai.AsyncOpenAI(api_key=self._api_key(), base_url=self.base_url, timeout=self.timeout,
                                        max_retries=0)
            self._clients[loop] = client
        return client

    async def aclose(self) -> None:
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.close()

    async def _create(self, **params: Any) -> tuple[Any, Attempts]:
        attempts = Attempts()
        client = self._client()
        extra = {**self.extra_body, **params.pop("extra_body", {})}
        params = {k: v for k, v in params.items() if v is not None}
        body = {"model": self.model, **params, **extra}
        try:
            # the client's low-level post: our body is plain JSON already, so the per-field
            # transform of ``chat.completions.create`` (about 1.5 ms a call) is skipped
            resp = await with_retries(lambda: client.post("/chat/completions", cast_to=ChatCompletion, body=body),
                                      self.retry, classify_openai_error, attempts)
        except (openai.BadRequestError, openai.UnprocessableEntityError):
            raise
        except Exception as exc:
            retryable, _, cause = classify_openai_error(exc)
            where = f"model {self.name!r} at {self.base_url or 'api.openai.com'}"
            if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
                raise ModelCallError(f"{where}: the server refused the key ({cause}); check the environment "
                                     f"variable {self.api_key_env!r}.") from None
            if retryable:
                raise ModelCallError(f"{where}: {cause} after {attempts.retries} retries "
                                     f"({', '.join(attempts.causes) or 'no retries'}).") from None
            raise ModelCallError(f"{where}: {cause}: {exc}") from None
        return resp, attempts

    def _completion(self, resp: Any, attempts: Attempts) -> Completion:
        choices = getattr(resp, "choices", None) or []
        message = choices[0].message if choices else None
        text = (message.content if message is not None else None) or ""
        usage = getattr(resp, "usage", None)
        pt = int(getattr(usage, "prompt_tokens", 0) or 0)
        ct = int(getattr(usage, "completion_tokens", 0) or 0)
        return Completion(text=text, prompt_tokens=pt, completion_tokens=ct, cost=self.price(pt, ct),
                          finish_reason=choices[0].finish_reason if choices else None,
                          model=str(getattr(resp, "model", "") or self.model), retries=attempts.retries)

    async def _generate(self, messages: list[dict[str, str]], *, temperature: float, max_tokens: int | None,
                        seed: int | None, stop: list[str] | None) -> Completion:
        try:
            resp, attempts = await self._create(messages=messages, temperature=temperature, max_tokens=max_tokens,
                                                seed=seed, stop=stop)
        except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
            raise ModelCallError(f"model {self.name!r}: the server rejected the request ({exc}).") from None
        return self._completion(resp, attempts)

    async def _choose(self, messages: list[dict[str, str]], options: list[str], *, temperature: float,
                      seed: int | None) -> Choice:
        mode = self.structured if self._structured_ok else "none"
        if mode == "auto":
            mode = "json_schema"
        while True:
            msgs = [*messages, {"role": "user", "content": choice_instruction(options,
                                                                              json_format=mode == "json_schema")}]
            params: dict[str, Any] = {"messages": msgs, "temperature": temperature, "seed": seed}
            if mode == "json_schema":
                params["response_format"] = {"type": "json_schema", "json_schema": {
                    "name": "choice", "strict": True,
                    "schema": {"type": "object", "properties": {"choice": {"type": "string", "enum": options}},
                               "required": ["choice"], "additionalProperties": False}}}
            elif mode == "guided_choice":
                params["extra_body"] = {"guided_choice": options}
            try:
                resp, attempts = await self._create(**params)
                break
            except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
                if self.structured == "auto" and mode != "none":
                    self._structured_ok = False  # the server does not do structured output: parse from now on
                    mode = "none"
                    continue
                raise ModelCallError(f"model {self.name!r}: the server rejected the request ({exc}).") from None
        completion = self._completion(resp, attempts)
        try:
            index = parse_choice(completion.text, options)
        except InvalidAnswer as exc:
            raise InvalidAnswer(exc.reason, completion.text, completion) from None
        return Choice(index=index, option=options[index], scores=None, completion=completion)
