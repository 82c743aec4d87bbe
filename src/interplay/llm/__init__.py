"""How interplay talks to language models.

One protocol (:class:`LanguageModel`: ``agenerate``/``achoose``, sync ``generate``/``choose``),
three backends (OpenAI-compatible HTTP, local transformers, replay), an SQLite answer cache,
retries with backoff, a per-run budget and token/cost accounting. Build a model with
:func:`load_model` from a mapping or a YAML file; see docs/llm.md.
"""

from interplay.llm.base import (
    ChatModel,
    Choice,
    Completion,
    InvalidAnswer,
    LanguageModel,
    Message,
    ModelCallError,
    ModelWarning,
    redact_secrets,
    run_sync,
)
from interplay.llm.budget import Budget, BudgetExceeded
from interplay.llm.cache import CacheWarning, LLMCache
from interplay.llm.config import (
    ModelConfig,
    OpenAIConfig,
    ReplayConfig,
    TransformersConfig,
    load_model,
    parse_model_config,
    read_model_file,
)
from interplay.llm.parsing import parse_choice
from interplay.llm.retry import RetryPolicy

__all__ = [
    "Budget",
    "BudgetExceeded",
    "CacheWarning",
    "ChatModel",
    "Choice",
    "Completion",
    "InvalidAnswer",
    "LLMCache",
    "LanguageModel",
    "Message",
    "ModelCallError",
    "ModelConfig",
    "ModelWarning",
    "OpenAIConfig",
    "ReplayConfig",
    "RetryPolicy",
    "TransformersConfig",
    "load_model",
    "parse_choice",
    "parse_model_config",
    "read_model_file",
    "redact_secrets",
    "run_sync",
]
