"""Keeping API keys out of everything a run writes.

Keys come only from the environment (``api_key_env`` names the variable). Two lines of
defence keep them off disk:

* :func:`check_config_secrets` refuses, before anything is written, a config (or a model
  file it names) that holds an ``api_key:`` field, or an ``api_key_env:`` whose value
  looks like a key rather than a variable's name. The messages never show the value.
* :class:`Redactor` replaces the values of the key variables a run uses, and anything
  shaped like a bearer token or an ``sk-...`` key, with ``[REDACTED]`` in every record
  the run directory's writers (results.json, metrics.jsonl, transcripts, audit.jsonl,
  report.html, error.txt) and the CLI's error messages receive, e.g. a server error that
  echoes the key it was sent.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from interplay.errors import InterplayError

REDACTED = "[REDACTED]"

#: Shapes of keys that are redacted wherever they appear, known or not.
_PATTERNS = (
    re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}"),                       # OpenAI-style secret keys
    re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/\-]{8,}=*"),     # Authorization: Bearer <token>
)
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_KEY_PREFIX = re.compile(r"(?i)^(sk|pk|rk|key|api)[-_][A-Za-z0-9]")
#: Shortest secret value redacted by value (shorter ones would blank ordinary words).
MIN_SECRET = 6


class Redactor:
    """``redactor(obj)``: a copy of a JSON-like value with every secret replaced by ``[REDACTED]``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = sorted({s for s in secrets if isinstance(s, str) and len(s) >= MIN_SECRET},
                              key=len, reverse=True)

    @classmethod
    def from_env(cls, names: Iterable[str | None]) -> Redactor:
        """Redact the values of the environment variables ``names`` (those not set are skipped)."""
        return cls(os.environ.get(n) or "" for n in names if n)

    def text(self, s: str) -> str:
        for secret in self.secrets:
            if secret in s:
                s = s.replace(secret, REDACTED)
        s = _PATTERNS[0].sub(REDACTED, s)
        return _PATTERNS[1].sub(lambda m: m.group(1) + REDACTED, s)

    def __call__(self, obj: Any) -> Any:
        if isinstance(obj, str):
            return self.text(obj)
        if isinstance(obj, dict):
            return {self.text(k) if isinstance(k, str) else k: self(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [self(v) for v in obj]
        return obj


def looks_like_key(value: str) -> bool:
    """True if an ``api_key_env`` value is a key rather than the NAME of a variable."""
    if not _ENV_NAME.fullmatch(value) or _KEY_PREFIX.match(value):
        return True
    return len(value) >= 8 and any(value == v for v in os.environ.values())


def _model_files(value: str, bases: list[Path]) -> list[Path]:
    """The model YAML file a config string names (``llm:PATH`` or ``PATH.yaml``), if it exists."""
    text = value[4:] if value.startswith("llm:") else value
    if not text.endswith((".yaml", ".yml")) or len(text) > 4096 or "\x00" in text:
        return []
    p = Path(text).expanduser()
    for cand in ([p] if p.is_absolute() else [b / p for b in bases]):
        try:
            if cand.is_file():
                return [cand]
        except OSError:
            continue
    return []


def check_config_secrets(data: Any, source: str, *, base: str | Path | None = None) -> list[str]:
    """Refuse a config holding a key (``api_key:`` anywhere, or ``api_key_env:`` set to a key),
    in the mapping itself or in a model file it names. Returns the ``api_key_env`` names used
    (the variables whose values a run must redact). Messages never show a key."""
    bases = [Path.cwd()] + ([Path(base)] if base is not None else [])
    names: set[str] = {"OPENAI_API_KEY"}
    seen: set[Path] = set()
    stack: list[tuple[Any, str, str]] = [(data, "", source)]
    while stack:  # iterative: a deeply nested config must not overflow the stack here
        node, where, origin = stack.pop()
        if isinstance(node, dict):
            for k, v in node.items():
                at = f"{where}.{k}" if where else str(k)
                if k == "api_key":
                    raise InterplayError(f"{origin}: {at}: never put an API key in a config or model file (the "
                                         "value is not shown); put it in an environment variable and name the "
                                         "variable with api_key_env.")
                if k == "api_key_env" and isinstance(v, str):
                    if looks_like_key(v):
                        raise InterplayError(f"{origin}: {at}: must be the NAME of an environment variable (like "
                                             "OPENAI_API_KEY); the value given looks like a key itself and is not "
                                             "shown. Put the key in an environment variable and name it here.")
                    names.add(v)
                stack.append((v, at, origin))
        elif isinstance(node, list):
            stack.extend((v, f"{where}.{i}", origin) for i, v in enumerate(node))
        elif isinstance(node, str):
            for path in _model_files(node, bases):
                resolved = path.resolve()
                if resolved in seen:
                    continue
                seen.add(resolved)
                from interplay.serialize import read_yaml_mapping

                stack.append((read_yaml_mapping(path, "model file"), "", f"model file {path} (named at {where})"))
    return sorted(names)
