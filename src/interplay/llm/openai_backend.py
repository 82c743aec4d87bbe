"""OpenAI-compatible chat completions over HTTP, with the official ``openai`` client.

One backend covers hosted APIs and local servers that speak the protocol (vLLM,
Ollama, llama.cpp's server, LM Studio, ``transformers serve``): set ``base_url``
and ``model``. The API key is read from the environment variable named by
``api_key_env`` when the client is made; it is never stored in a config, a cache
key, a record or a log, and it is redacted from every server message we keep.
``base_url: null`` means api.openai.com; if ``OPENAI_BASE_URL`` is set in the
environment the model refuses to start instead of silently sending the key
there (set ``base_url`` explicitly, or ``base_url_from_env: true``).

Every call sends ``max_tokens`` (the caller's, else the model's ``max_tokens``;
choices: ``choice_max_tokens``). ``timeout`` bounds each attempt as a whole,
headers and body (a server trickling its answer is cut at ``timeout``), and an
attempt that times out is retried.

A 200 reply is checked before it counts as the model's answer. A body that is
not JSON (an HTML page), no choices, ``[{}]``, content that is not text or null,
token usage that is not a non-negative whole number, or a 200 carrying an
``error`` object is a *malformed reply*: retried like a 5xx, never cached, never
counted as an answer; after the last retry it is a :class:`ModelCallError`.
A server that reports no usage gets estimated counts (about 4 characters a token,
``Completion.usage_estimated``) so token budgets still apply.

Choosing an option (:meth:`OpenAIModel.achoose`), ``structured``:

* ``"json_schema"``: ``response_format`` with a JSON schema whose ``choice`` field
  is an enum of the options (OpenAI structured outputs; vLLM, llama.cpp, LM Studio);
* ``"json_object"``: ``response_format: {type: json_object, schema: ...}``, the
  form llama.cpp's server documents;
* ``"guided_choice"``: vLLM's ``guided_choice`` extension;
* ``"logprobs"``: the plain question with ``logprobs``/``top_logprobs``; each
  option is scored by the probability mass of the first answer tokens that spell
  its start (``Choice.scores``, natural-log probabilities; llama.cpp's server and
  vLLM return them). Without logprobs in the reply the text is parsed (said once);
* ``"none"``: plain text, parsed by :func:`interplay.llm.parsing.parse_choice`;
* ``"auto"`` (default): ``json_schema``; if the server rejects it (HTTP 400, 422
  or 500: llama-cpp-python's server answers a ``json_schema`` request with a 500)
  the ``json_object`` form, then plain text. A 200 whose content is not the requested
  JSON (a server that silently drops ``response_format``, like ``transformers serve``)
  switches the model to plain text as well. Each switch is said once
  (:meth:`ChatModel.notice`). A form the server has once answered with the requested
  JSON is kept: a later 500 to it is retried like any 5xx, a 400 is the request's fault,
  and a stray answer that is not the JSON is parsed as text, not a reason to switch.

Whatever the mode, the answer is parsed and checked against the options, so a
server that ignores the constraint can never slip in an illegal move; an answer
cut by the length limit is an :class:`InvalidAnswer` of kind ``"length"``.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import weakref
from dataclasses import dataclass
from typing import Any, Literal

import openai

from interplay.errors import InterplayError
from interplay.llm.base import (
    ChatModel,
    Choice,
    Completion,
    InvalidAnswer,
    ModelCallError,
    redact_secrets,
)
from interplay.llm.parsing import parse_choice
from interplay.llm.retry import RETRYABLE_STATUS, Attempts, RetryPolicy, parse_retry_after, with_retries

StructuredMode = Literal["auto", "json_schema", "json_object", "guided_choice", "logprobs", "none"]
STRUCTURED_MODES = ("auto", "json_schema", "json_object", "guided_choice", "logprobs", "none")
OPENAI_URL = "https://api.openai.com/v1"
#: Alternatives per token asked for in ``logprobs`` mode (OpenAI's maximum).
TOP_LOGPROBS = 20
#: Longest server message kept in an error (after redaction).
MAX_SERVER_MESSAGE = 300


def choice_instruction(options: list[str], *, json_format: bool) -> str:
    """The last user turn of a choice: name the options and the answer format."""
    listed = ", ".join(json.dumps(o) for o in options)
    if json_format:
        return f'Choose exactly one of the options {listed}. Reply with JSON only: {{"choice": "<option>"}}.'
    return f"Choose exactly one of the options {listed}. Reply with the option only."


def choice_schema(options: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": {"choice": {"type": "string", "enum": options}},
            "required": ["choice"], "additionalProperties": False}


class MalformedReply(Exception):
    """A 200 reply that is not a chat completion; retried as a transport fault."""


class CallTimeout(Exception):
    """One attempt took longer than the model's ``timeout`` (headers and body together)."""


@dataclass(frozen=True)
class Reply:
    """A checked chat-completion reply."""

    text: str
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    usage_estimated: bool
    model: str
    #: per generated token: (token, logprob, [(alternative, logprob), ...]); None when not sent
    logprobs: list[tuple[str, float, list[tuple[str, float]]]] | None


def _is_count(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def _estimate_tokens(text: str) -> int:
    return (len(text) + 3) // 4


def _read_logprobs(choice: dict[str, Any]) -> list[tuple[str, float, list[tuple[str, float]]]] | None:
    lp = choice.get("logprobs")
    content = lp.get("content") if isinstance(lp, dict) else None
    if not isinstance(content, list):
        return None
    out = []
    for item in content:
        if not isinstance(item, dict) or not isinstance(item.get("token"), str):
            return None
        lpv = item.get("logprob")
        if not isinstance(lpv, int | float) or isinstance(lpv, bool):
            return None
        top = []
        for alt in item.get("top_logprobs") or []:
            if isinstance(alt, dict) and isinstance(alt.get("token"), str) and isinstance(alt.get("logprob"),
                                                                                            int | float):
                top.append((alt["token"], float(alt["logprob"])))
        out.append((item["token"], float(lpv), top))
    return out


def read_reply(data: Any, prompt_chars: int, fallback_model: str) -> Reply:
    """Check a 200 reply's body; raises :class:`MalformedReply` (with the reason) when it is not a completion."""
    if isinstance(data, str | bytes):
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        try:
            data = json.loads(text)
        except ValueError:
            raise MalformedReply(f"the body is not JSON (starts {text.strip()[:40]!r})") from None
    if not isinstance(data, dict):
        raise MalformedReply(f"the body is a JSON {type(data).__name__}, not an object")
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices:
        err = data.get("error")
        if err is not None:
            msg = err.get("message") if isinstance(err, dict) else err
            raise MalformedReply(f"a 200 carrying an error ({str(msg)[:MAX_SERVER_MESSAGE]})")
        raise MalformedReply("no choices" if choices is None or choices == []
                             else f"choices is {type(choices).__name__}")
    first = choices[0]
    message = first.get("message") if isinstance(first, dict) else None
    if not isinstance(message, dict):
        raise MalformedReply("the first choice has no message")
    content = message.get("content")
    if content is None:
        content = ""
    elif not isinstance(content, str):
        raise MalformedReply(f"the message content is a JSON {type(content).__name__}, not text")
    finish = first.get("finish_reason")
    finish = finish if isinstance(finish, str) else None
    usage = data.get("usage")
    estimated = False
    if usage is None:
        pt, ct, estimated = _estimate_tokens(" " * prompt_chars), _estimate_tokens(content), True
    elif not isinstance(usage, dict):
        raise MalformedReply(f"usage is a JSON {type(usage).__name__}, not an object")
    else:
        counts = []
        for k, guess in (("prompt_tokens", prompt_chars), ("completion_tokens", len(content))):
            v = usage.get(k)
            if v is None:
                counts.append((guess + 3) // 4)
                estimated = True
            elif not _is_count(v):
                raise MalformedReply(f"usage.{k} is {v!r}, not a non-negative whole number")
            else:
                counts.append(int(v))
        pt, ct = counts
    model = data.get("model")
    return Reply(text=content, finish_reason=finish, prompt_tokens=pt, completion_tokens=ct, usage_estimated=estimated,
                 model=model if isinstance(model, str) and model else fallback_model,
                 logprobs=_read_logprobs(first))


def server_message(exc: BaseException) -> str:
    """The server's own explanation in an error reply (the ``error.message`` field, else the body), unredacted."""
    body = getattr(exc, "body", None)
    msg: Any = None
    if isinstance(body, dict):
        err = body.get("error", body)
        msg = err.get("message") if isinstance(err, dict) else err
        if msg is None and isinstance(body.get("detail"), str | list):
            msg = body["detail"]
    elif isinstance(body, str):
        msg = body
    if msg is None:
        response = getattr(exc, "response", None)
        try:
            msg = response.text if response is not None else None
        except Exception:  # noqa: BLE001 - a body that cannot be read has nothing to tell
            msg = None
    text = " ".join(str(msg).split()) if msg else ""
    return text[:MAX_SERVER_MESSAGE] + ("..." if len(text) > MAX_SERVER_MESSAGE else "")


def classify_openai_error(exc: BaseException) -> tuple[bool, float | None, str]:
    """(retryable, retry_after, cause) for an exception raised during one attempt."""
    if isinstance(exc, CallTimeout):
        return True, None, str(exc)
    if isinstance(exc, MalformedReply):
        return True, None, f"malformed reply ({exc})"
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
        return True, None, "malformed reply (the body is not JSON)"
    return False, None, type(exc).__name__


def option_scores(top: list[tuple[str, float]], options: list[str]) -> tuple[float, ...]:
    """Log of the probability mass of the alternatives that spell the start of each option.

    ``top`` is one position's ``(token, logprob)`` alternatives. A token counts for
    an option when, stripped of white space and quotes, it is a non-empty prefix of
    the option (case-insensitively unless two options differ only by case). An
    option no alternative spells gets ``-inf``.
    """
    fold = len({o.lower() for o in options}) == len(options)
    mass = [0.0] * len(options)
    for token, lp in top:
        t = token.strip().strip("\"'`*")
        if not t or not math.isfinite(lp):
            continue
        for i, o in enumerate(options):
            if (o.lower().startswith(t.lower()) if fold else o.startswith(t)):
                mass[i] += math.exp(lp)
    return tuple(math.log(m) if m > 0 else -math.inf for m in mass)


class OpenAIModel(ChatModel):
    """A chat model behind an OpenAI-compatible endpoint.

    Args:
        model: the model name the server knows (``"gpt-4o-mini"``, ``"qwen2.5-7b-instruct"``).
        base_url: the endpoint (``http://127.0.0.1:8000/v1``); None means api.openai.com
            (refused while ``OPENAI_BASE_URL`` is set, unless ``base_url_from_env``).
        base_url_from_env: with ``base_url=None``, use ``OPENAI_BASE_URL`` (an explicit opt-in).
        api_key_env: name of the environment variable holding the key; None for
            local servers that need none.
        timeout: seconds one attempt may take as a whole before it is retried.
        retry: the :class:`RetryPolicy`.
        structured: how choices are asked (see the module docstring).
        extra_body: extra JSON fields sent with every request (server-specific).
        name: display name (defaults to ``model``); the rest go to :class:`ChatModel`
            (``max_tokens``, ``choice_max_tokens``, cache, budget, ...).
    """

    provider = "openai"

    def __init__(self, model: str, *, base_url: str | None = None, base_url_from_env: bool = False,
                 api_key_env: str | None = "OPENAI_API_KEY", timeout: float = 60.0, retry: RetryPolicy | None = None,
                 structured: StructuredMode = "auto", extra_body: dict[str, Any] | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name or model, **kwargs)
        if structured not in STRUCTURED_MODES:
            raise InterplayError(f"model {self.name!r}: structured must be one of {', '.join(STRUCTURED_MODES)}, "
                                 f"got {structured!r}.")
        if not (isinstance(timeout, int | float) and math.isfinite(timeout) and timeout > 0):
            raise InterplayError(f"model {self.name!r}: timeout must be a positive number of seconds, got {timeout!r}.")
        env_url = os.environ.get("OPENAI_BASE_URL")
        if base_url is None:
            if base_url_from_env:
                if not env_url:
                    raise InterplayError(f"model {self.name!r}: base_url_from_env is true but OPENAI_BASE_URL is "
                                         "not set; set base_url to the server's address.")
                base_url = env_url
            elif env_url and env_url.rstrip("/") != OPENAI_URL:
                raise InterplayError(
                    f"model {self.name!r}: base_url is null but the environment sets OPENAI_BASE_URL={env_url!r}; "
                    "interplay does not send the API key to an address taken silently from the environment. "
                    f"Set base_url explicitly (e.g. base_url: {env_url}, or {OPENAI_URL}), or set "
                    "base_url_from_env: true to use the variable.")
            else:
                base_url = OPENAI_URL
        self.model = model
        self.base_url = base_url
        self.api_key_env = api_key_env
        self.timeout = float(timeout)
        self.retry = retry or RetryPolicy()
        self.structured: StructuredMode = structured
        #: the mode ``auto`` uses now (json_schema, then json_object, then none)
        self.auto_mode: str = "json_schema"
        #: the response_format types this server has answered with the requested JSON: a later
        #: error to one of them is an ordinary error (a 5xx retried), not "unsupported"
        self.formats_ok: set[str] = set()
        self._logprobs_missing = False
        self._server_version: tuple[str, str] | None = None
        self._server_asked = False
        self.extra_body = dict(extra_body or {})
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, openai.AsyncOpenAI] = (
            weakref.WeakKeyDictionary())
        self._api_key()  # fail early, with a clear message, if the variable is missing

    def identity(self) -> dict[str, Any]:
        return {"provider": "openai", "model": self.model}

    def choose_settings(self) -> dict[str, Any]:
        return {"structured": self.structured, "max_tokens": self.choice_max_tokens}

    def _api_key(self) -> str:
        if self.api_key_env is None:
            return "not-needed"
        key = os.environ.get(self.api_key_env)
        if not key:
            raise InterplayError(
                f"model {self.name!r}: the environment variable {self.api_key_env!r} (api_key_env) is not set; "
                "export the API key there, or set api_key_env: null for a local server that needs no key.")
        return key

    def _secrets(self) -> list[str]:
        key = os.environ.get(self.api_key_env) if self.api_key_env else None
        return [key] if key else []

    def redact(self, text: str) -> str:
        """``text`` with this model's key and anything key-like removed."""
        return redact_secrets(text, self._secrets())

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

    def server_version(self) -> tuple[str, str] | None:
        """The package serving this model and its version, when the server says: ``(name, version)``.

        Asked once (then kept) from the server's OpenAPI document, where FastAPI servers name
        themselves: llama-cpp-python's gives its title and ``llama_cpp.__version__``. None for
        OpenAI's own API (``base_url`` None), a server that does not say, or any error; the
        request carries no key and waits at most 3 s.
        """
        if not self._server_asked:
            self._server_asked = True
            if self.base_url is not None:
                self._server_version = _ask_server_version(self.base_url)
        return self._server_version

    def _where(self) -> str:
        return f"model {self.name!r} at {self.base_url}"

    async def _create(self, *, surface: frozenset[int] = frozenset({400, 422}), **params: Any) -> tuple[Reply,
                                                                                                       Attempts]:
        """POST one chat completion with retries; statuses in ``surface`` are raised at once (unretried).

        Returns the checked reply; raises :class:`ModelCallError` (redacted) when the
        call fails for good, or the ``openai.APIStatusError`` of a surfaced status.
        """
        attempts = Attempts()
        client = self._client()
        extra = {**self.extra_body, **params.pop("extra_body", {})}
        params = {k: v for k, v in params.items() if v is not None}
        body = {"model": self.model, **params, **extra}
        prompt_chars = sum(len(m.get("content") or "") for m in body.get("messages", []))

        async def attempt() -> Reply:
            try:
                # the client's low-level post: our body is plain JSON already (the per-field transform of
                # ``chat.completions.create`` costs about 1.5 ms a call); ``object`` returns the parsed JSON
                # (or the text of a non-JSON body), checked by read_reply
                raw = await asyncio.wait_for(client.post("/chat/completions", cast_to=object, body=body),
                                             self.timeout)
            except TimeoutError:
                raise CallTimeout(f"timeout (the whole call took over {self.timeout:g} s)") from None
            return read_reply(raw, prompt_chars, self.model)

        def classify(exc: BaseException) -> tuple[bool, float | None, str]:
            if isinstance(exc, openai.APIStatusError) and exc.status_code in surface:
                return False, None, f"HTTP {exc.status_code}"
            return classify_openai_error(exc)

        try:
            reply = await with_retries(attempt, self.retry, classify, attempts)
        except openai.APIStatusError as exc:
            if exc.status_code in surface:
                raise
            cause = self.redact(classify_openai_error(exc)[2])
            if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
                said = self.redact(server_message(exc))
                raise ModelCallError(f"{self._where()}: the server refused the key ({cause}"
                                     + (f": {said}" if said else "") + "); check the environment "
                                     f"variable {self.api_key_env!r}.") from None
            raise ModelCallError(self._failed(exc, cause, attempts)) from None
        except Exception as exc:
            cause = self.redact(classify_openai_error(exc)[2])
            raise ModelCallError(self._failed(exc, cause, attempts)) from None
        return reply, attempts

    def _failed(self, exc: BaseException, cause: str, attempts: Attempts) -> str:
        retryable = classify_openai_error(exc)[0]
        said = self.redact(server_message(exc)) if isinstance(exc, openai.APIStatusError) else ""
        said = f"; the server said: {said}" if said else ""
        if retryable:
            earlier = self.redact(", ".join(dict.fromkeys(attempts.causes)))
            return (f"{self._where()}: {cause} after {attempts.retries} retries"
                    + (f" (before: {earlier})" if earlier and earlier != cause else "") + f"{said}.")
        return f"{self._where()}: {cause}{said}."

    def _rejected(self, exc: openai.APIStatusError) -> ModelCallError:
        msg = self.redact(server_message(exc))
        return ModelCallError(f"{self._where()}: the server rejected the request (HTTP {exc.status_code}"
                              + (f": {msg}" if msg else "") + ").")

    def _completion(self, reply: Reply, attempts: Attempts) -> Completion:
        return Completion(text=reply.text, prompt_tokens=reply.prompt_tokens, completion_tokens=reply.completion_tokens,
                          cost=self.price(reply.prompt_tokens, reply.completion_tokens),
                          finish_reason=reply.finish_reason, model=reply.model, retries=attempts.retries,
                          usage_estimated=reply.usage_estimated)

    async def _generate(self, messages: list[dict[str, str]], *, temperature: float, max_tokens: int | None,
                        seed: int | None, stop: list[str] | None) -> Completion:
        try:
            reply, attempts = await self._create(messages=messages, temperature=temperature, max_tokens=max_tokens,
                                                 seed=seed, stop=stop)
        except openai.APIStatusError as exc:
            raise self._rejected(exc) from None
        return self._completion(reply, attempts)

    # -- choices -------------------------------------------------------------------
    def _mode(self) -> str:
        return self.auto_mode if self.structured == "auto" else self.structured

    def _choice_params(self, messages: list[dict[str, str]], options: list[str], mode: str, temperature: float,
                       seed: int | None) -> dict[str, Any]:
        json_format = mode in ("json_schema", "json_object")
        msgs = [*messages, {"role": "user", "content": choice_instruction(options, json_format=json_format)}]
        params: dict[str, Any] = {"messages": msgs, "temperature": temperature, "seed": seed,
                                  "max_tokens": self.choice_max_tokens}
        if mode == "json_schema":
            params["response_format"] = {"type": "json_schema", "json_schema": {
                "name": "choice", "strict": True, "schema": choice_schema(options)}}
        elif mode == "json_object":
            params["response_format"] = {"type": "json_object", "schema": choice_schema(options)}
        elif mode == "guided_choice":
            params["extra_body"] = {"guided_choice": options}
        elif mode == "logprobs":
            params["logprobs"] = True
            params["top_logprobs"] = TOP_LOGPROBS
        return params

    async def _choose(self, messages: list[dict[str, str]], options: list[str], *, temperature: float,
                      seed: int | None) -> Choice:
        mode = self._mode()
        while True:
            # auto steps down only while the format is unproven: a 500 after it has worked is a server
            # fault (retried), and a 400 then is about the request, not the format
            auto_step = (self.structured == "auto" and mode in ("json_schema", "json_object")
                         and mode not in self.formats_ok)
            surface = frozenset({400, 422, 500}) if auto_step else frozenset({400, 422})
            try:
                reply, attempts = await self._create(surface=surface,
                                                     **self._choice_params(messages, options, mode, temperature, seed))
                break
            except openai.APIStatusError as exc:
                if not auto_step:
                    raise self._rejected(exc) from None
                nxt = "json_object" if mode == "json_schema" else "none"
                msg = self.redact(server_message(exc))
                self.auto_mode = nxt
                self.notice(f"model {self.name!r}: the server answered HTTP {exc.status_code} to a {mode} request"
                            + (f" ({msg})" if msg else "")
                            + f"; its choices are asked as {_MODE_WORDS[nxt]} from now on.")
                mode = nxt
        completion = self._completion(reply, attempts)
        if completion.truncated:
            raise InvalidAnswer(f"{completion.problem} at max_tokens={self.choice_max_tokens}", completion.text,
                                completion, kind="length")
        proven = mode in ("json_schema", "json_object") and _json_choice_index(completion.text, options) is not None
        if proven:
            self.formats_ok.add(mode)
        elif (mode in ("json_schema", "json_object") and self.structured == "auto" and self.auto_mode != "none"
              and mode not in self.formats_ok):
            self.auto_mode = "none"
            self.notice(f"model {self.name!r}: the server's 200 reply to a {mode} request is not the requested "
                        f"JSON ({completion.text[:60]!r}): it ignores response_format; its choices are asked "
                        "as plain text from now on.")
        scores = None
        if mode == "logprobs":
            scores = self._logprob_scores(reply, options)
            if scores is not None:
                best = max(scores)
                top = [i for i, s in enumerate(scores) if s == best]
                if math.isfinite(best) and len(top) == 1:
                    return Choice(index=top[0], option=options[top[0]], scores=scores, completion=completion)
        try:
            index = parse_choice(completion.text, options)
        except InvalidAnswer as exc:
            raise InvalidAnswer(exc.reason, completion.text, completion, kind=exc.kind) from None
        return Choice(index=index, option=options[index], scores=scores, completion=completion)

    def _logprob_scores(self, reply: Reply, options: list[str]) -> tuple[float, ...] | None:
        """Option scores from the first answer position whose alternatives spell an option's start."""
        if not reply.logprobs:
            if not self._logprobs_missing:
                self._logprobs_missing = True
                self.notice(f"model {self.name!r}: the server returned no token logprobs for a logprobs choice; "
                            "the answer text is parsed instead.")
            return None
        for _, _, top in reply.logprobs[:8]:
            scores = option_scores(top, options)
            if any(math.isfinite(s) for s in scores):
                return scores
        return None


#: OpenAPI titles of servers that say their version there -> the package name recorded
SERVER_TITLES = {"llama.cpp python api": "llama-cpp-python"}


def _ask_server_version(base_url: str) -> tuple[str, str] | None:
    """``(package, version)`` from ``<server>/openapi.json`` (the base URL less a final ``/v1``), else None."""
    import urllib.request

    root = base_url.rstrip("/").removesuffix("/v1")
    try:
        with urllib.request.urlopen(f"{root}/openapi.json", timeout=3.0) as r:  # noqa: S310 - the model's own server
            info = json.loads(r.read(4_000_000)).get("info") or {}
    except Exception:  # noqa: BLE001 - a server that does not say is common, never an error
        return None
    title, version = info.get("title"), info.get("version")
    if not isinstance(title, str) or not isinstance(version, str):
        return None
    for word, package in SERVER_TITLES.items():
        if word in title.lower():
            return package, version
    return None


_MODE_WORDS = {"json_object": "response_format json_object with the schema", "none": "plain text"}


def _json_choice_index(text: str, options: list[str]) -> int | None:
    """The option of a reply that is exactly the requested JSON ``{"choice": <option>}``, else None."""
    try:
        obj = json.loads(text)
    except ValueError:
        return None
    if not isinstance(obj, dict) or obj.get("choice") not in options:
        return None
    return options.index(obj["choice"])
