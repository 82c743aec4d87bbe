"""Model configs (a small mapping, or a YAML file holding one) and :func:`load_model`.

::

    provider: openai                      # or: transformers, replay
    base_url: http://127.0.0.1:8000/v1    # any OpenAI-compatible server
    model: qwen2.5-7b-instruct
    api_key_env: OPENAI_API_KEY           # the variable's NAME; null for local servers
    cache: ~/.cache/interplay/llm.sqlite  # optional answer cache

Relative paths (``cache``, ``record``, ``path``) are read from the YAML file's
folder. A mapping with an ``api_key`` field is refused: keys live in the
environment only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, overload

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from interplay.errors import InterplayError
from interplay.llm.base import DEFAULT_CHOICE_MAX_TOKENS, DEFAULT_MAX_TOKENS, ChatModel
from interplay.llm.budget import Budget
from interplay.llm.cache import LLMCache


class _ModelBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)  # inf/nan never make sense here

    name: str | None = Field(default=None, description="Display name in reports (default: the model or path).")
    cache: str | None = Field(default=None, description="SQLite answer cache file; null = no cache.")
    record: str | None = Field(default=None, description="Append every call (request and answer) to this JSONL file.")
    max_concurrency: int = Field(default=8, ge=1, description="Calls in flight at once, per event loop.")
    requests_per_minute: float | None = Field(default=None, gt=0, allow_inf_nan=False,
                                              description="Rate limit on call starts; null = none.")
    input_price: float = Field(default=0.0, ge=0, allow_inf_nan=False,
                               description="Price per million prompt tokens (for cost accounting).")
    output_price: float = Field(default=0.0, ge=0, allow_inf_nan=False,
                                description="Price per million completion tokens.")
    max_tokens: int = Field(default=DEFAULT_MAX_TOKENS, ge=1,
                            description="Length limit of a generate call whose caller "
                            "gives none (every call sends one).")
    choice_max_tokens: int = Field(default=DEFAULT_CHOICE_MAX_TOKENS, ge=1,
                                   description="Length limit of a choice call (one option, or {\"choice\": ...}).")


class OpenAIConfig(_ModelBase):
    """An OpenAI-compatible HTTP endpoint (OpenAI, vLLM, Ollama, llama.cpp server, LM Studio)."""

    provider: Literal["openai"] = "openai"
    model: str = Field(..., min_length=1, description="Model name as the server knows it.")
    base_url: str | None = Field(default=None,
                                 description="Endpoint, e.g. http://127.0.0.1:8000/v1; null = api.openai.com "
                                 "(refused while OPENAI_BASE_URL is set, unless base_url_from_env).")
    base_url_from_env: bool = Field(default=False, description="With base_url null, send requests (and the key) to "
                                    "$OPENAI_BASE_URL: an explicit opt-in.")
    api_key_env: str | None = Field(default="OPENAI_API_KEY", description="NAME of the env variable holding the key.")
    timeout: float = Field(default=60.0, gt=0, le=86400, allow_inf_nan=False,
                           description="Seconds one attempt may take as a whole (headers and body) before it is "
                                       "retried.")
    max_retries: int = Field(default=6, ge=0, le=100,
                             description="Retries on 429, 5xx, timeouts, connection errors and "
                             "malformed replies.")
    backoff_base: float = Field(default=0.5, ge=0, le=3600, allow_inf_nan=False,
                                description="First backoff in seconds (doubles, with jitter).")
    backoff_max: float = Field(default=30.0, ge=0, le=3600, allow_inf_nan=False,
                               description="Longest backoff in seconds.")
    max_retry_after: float | None = Field(default=None, ge=0, le=3600, allow_inf_nan=False,
                                          description="Longest wait a server's Retry-After may ask for; null = "
                                                      "backoff_max.")
    structured: Literal["auto", "json_schema", "json_object", "guided_choice", "logprobs", "none"] = Field(
        default="auto",
        description="How choices are asked: JSON schema, llama.cpp's json_object form, vLLM guided_choice, "
                            "option scores from token logprobs, or plain text (auto: schema, then json_object, "
                            "then text).")
    extra_body: dict[str, Any] = Field(default_factory=dict, description="Extra JSON fields for every request.")


class TransformersConfig(_ModelBase):
    """A local Hugging Face causal language model: a folder, a GGUF file, or a bundled model by name."""

    provider: Literal["transformers"] = "transformers"
    path: str | None = Field(default=None,
                             description="Folder with the model and tokenizer (save_pretrained output), or "
                                               "a .gguf file (made into a plain folder once, in the model cache).")
    model: str | None = Field(default=None, description="A bundled model by name instead of a path: smollm2-135m.")
    device: str = Field(default="cpu", description="torch device.")
    dtype: Literal["float32", "float16", "bfloat16"] = Field(default="float32", description="Weights dtype.")
    max_concurrency: int = Field(default=32, ge=1,
                                 description="Calls in flight at once, per event loop (concurrent calls "
                                                       "are batched, so more than the servers' 8 pays).")
    batch_size: int = Field(default=16, ge=1, description="Most requests (decisions or answers) run in one batch.")
    batch_wait: float = Field(default=0.01, ge=0, le=1, allow_inf_nan=False,
                              description="Seconds the batch waits for one more request before it runs.")
    threads: int | None = Field(default=None, ge=1, description="torch threads; null = half the CPU cores, at least 1.")
    kv_cache_tokens: int = Field(default=16384, ge=0, description="Prompt tokens whose keys and values are kept for "
                                                          "reuse by later prompts with the same prefix; 0 = none.")

    @model_validator(mode="after")
    def _one_source(self) -> TransformersConfig:
        if (self.path is None) == (self.model is None):
            raise ValueError("give exactly one of 'path' (a model folder or a .gguf file) and 'model' "
                             "(a bundled name: smollm2-135m)")
        return self


class ReplayConfig(_ModelBase):
    """Answers from a recorded JSONL file of calls."""

    provider: Literal["replay"] = "replay"
    path: str = Field(..., description="The record file (see `record`).")
    mode: Literal["exact", "sequential"] = Field(default="exact", description="Match by request, or answer in order.")
    model: str | None = Field(default=None, description="Only records of this model name.")


ModelConfig = Annotated[OpenAIConfig | TransformersConfig | ReplayConfig, Field(discriminator="provider")]
_ADAPTER: TypeAdapter[Any] = TypeAdapter(ModelConfig)


def _format_errors(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"][1:] if x is not None) or ".".join(str(x) for x in err["loc"])
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


def parse_model_config(spec: Any, *, where: str = "model") -> OpenAIConfig | TransformersConfig | ReplayConfig:
    """Validate a model mapping (or return a config unchanged); errors name the field."""
    if isinstance(spec, OpenAIConfig | TransformersConfig | ReplayConfig):
        return spec
    if not isinstance(spec, dict):
        raise InterplayError(f"{where}: a model is a mapping like {{provider: openai, model: ...}}, got {spec!r}.")
    if "api_key" in spec:
        raise InterplayError(f"{where}: never put an API key in a config; put it in an environment variable and "
                             "name the variable with api_key_env.")
    spec = dict(spec)
    spec.setdefault("provider", "openai")
    try:
        return _ADAPTER.validate_python(spec)
    except ValidationError as exc:
        raise InterplayError(f"{where}: {_format_errors(exc)}") from None


def read_model_file(path: str | Path) -> tuple[OpenAIConfig | TransformersConfig | ReplayConfig, Path]:
    """Read a model YAML file; returns the config and the folder relative paths are read from."""
    from interplay.serialize import read_yaml_mapping

    p = Path(path).expanduser()
    data = read_yaml_mapping(p, "model file")
    return parse_model_config(data, where=f"model file {p}"), p.parent


@overload
def _resolve(path: str, base: Path | None) -> Path: ...
@overload
def _resolve(path: None, base: Path | None) -> None: ...
def _resolve(path: str | None, base: Path | None) -> Path | None:
    if path is None:
        return None
    p = Path(path).expanduser()
    return p if p.is_absolute() or base is None else base / p


def load_model(spec: Any, *, cache: LLMCache | str | Path | None = None, budget: Budget | None = None,
               record: str | Path | None = None, base_dir: str | Path | None = None) -> ChatModel:
    """Build a model from a mapping, a validated config, or the path of a YAML file.

    ``cache``, ``budget`` and ``record`` given here override the config's (an
    experiment passes its run-wide ones); ``base_dir`` is where relative paths in a
    mapping are read from (default: the YAML file's folder, or the working folder).
    """
    base = Path(base_dir) if base_dir is not None else None
    if isinstance(spec, str | Path):
        cfg, base = read_model_file(spec)
    else:
        cfg = parse_model_config(spec)
    if cache is None and cfg.cache is not None:
        cache = _resolve(cfg.cache, base)
    if isinstance(cache, str | Path):
        cache = LLMCache(cache)
    record_path = Path(record) if record is not None else _resolve(cfg.record, base)
    common: dict[str, Any] = {"cache": cache, "budget": budget, "max_concurrency": cfg.max_concurrency,
                              "requests_per_minute": cfg.requests_per_minute, "input_price": cfg.input_price,
                              "output_price": cfg.output_price, "record": record_path,
                              "max_tokens": cfg.max_tokens, "choice_max_tokens": cfg.choice_max_tokens}
    if isinstance(cfg, OpenAIConfig):
        from interplay.llm.openai_backend import OpenAIModel
        from interplay.llm.retry import RetryPolicy

        retry = RetryPolicy(max_retries=cfg.max_retries, base_delay=cfg.backoff_base, max_delay=cfg.backoff_max,
                            max_retry_after=cfg.max_retry_after)
        return OpenAIModel(cfg.model, base_url=cfg.base_url, base_url_from_env=cfg.base_url_from_env,
                           api_key_env=cfg.api_key_env, timeout=cfg.timeout,
                           retry=retry, structured=cfg.structured, extra_body=cfg.extra_body, name=cfg.name, **common)
    if isinstance(cfg, TransformersConfig):
        from interplay.llm.transformers_backend import TransformersModel

        return TransformersModel(_resolve(cfg.path, base), model=cfg.model, device=cfg.device, dtype=cfg.dtype,
                                 batch_size=cfg.batch_size, batch_wait=cfg.batch_wait, threads=cfg.threads,
                                 kv_cache_tokens=cfg.kv_cache_tokens, name=cfg.name, **common)
    from interplay.llm.replay import ReplayModel

    common["cache"] = None  # replayed answers are not cached again
    return ReplayModel(_resolve(cfg.path, base), mode=cfg.mode, model=cfg.model, name=cfg.name, **common)
