"""Replay: answer from a recorded transcript of calls, for tests and exact re-runs.

Any model records its calls when given ``record: PATH`` (one JSON object a line:
``{"model": ..., "request": ..., "response": ...}``); an experiment records to
``llm-calls.jsonl`` in its run directory. :class:`ReplayModel` reads such a file
and answers each request with the recorded response:

* ``mode="exact"`` (default): by request (operation, messages, options and
  sampling parameters); a request that was never recorded is an error naming it,
  never a made-up answer;
* ``mode="sequential"``: the recorded responses in file order, whatever is asked
  (a scripted model for tests); running past the end is an error.

A replayed answer reports the recorded token counts and zero cost.
"""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from interplay.errors import InterplayError
from interplay.llm.base import ChatModel, Choice, Completion, _choice_from, _completion_from, stored_problem

_CORE = ("op", "messages", "options", "temperature", "max_tokens", "seed", "stop")


def _core(request: dict[str, Any]) -> str:
    # a choice's length limit is a backend setting (choice_max_tokens), not part of the question
    keys = [k for k in _CORE if not (k == "max_tokens" and request.get("op") == "choose")]
    return json.dumps({k: request.get(k) for k in keys}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _replayed(response: dict[str, Any]) -> Completion:
    return replace(_completion_from(response, cached=False), cost=0.0)


class ReplayModel(ChatModel):
    """Answers from a JSONL record of calls.

    Args:
        path: the record file.
        mode: "exact" (by request) or "sequential" (in order).
        model: use only records of this model name (when a file holds several).
    """

    provider = "replay"

    def __init__(self, path: str | Path, *, mode: Literal["exact", "sequential"] = "exact", model: str | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        self.path = Path(path).expanduser()
        super().__init__(name or f"replay:{self.path.name}", **kwargs)
        if mode not in ("exact", "sequential"):
            raise InterplayError(f"replay model {self.path}: mode must be 'exact' or 'sequential', got {mode!r}.")
        self.mode = mode
        self.model_filter = model
        self._records: list[tuple[dict[str, Any], dict[str, Any]]] = []
        self._by_request: dict[str, list[dict[str, Any]]] = {}
        self._used: dict[str, int] = {}
        self._position = 0
        self._lock = threading.Lock()
        self._load()

    def _load(self) -> None:
        if not self.path.is_file():
            raise InterplayError(f"replay model: no record file at {self.path}.")
        with self.path.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                    request, response = rec["request"], rec["response"]
                    model = rec.get("model", {}).get("model")
                except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
                    raise InterplayError(
                        f"replay record {self.path}, line {lineno}: not a call record ({exc}).") from None
                op = request.get("op") if isinstance(request, dict) else None
                options = request.get("options") if isinstance(request, dict) else None
                problem = ("its request has no op 'generate' or 'choose'" if op not in ("generate", "choose")
                           else stored_problem(response, op, len(options) if isinstance(options, list) else 0))
                if problem is not None:
                    raise InterplayError(f"replay record {self.path}, line {lineno}: the recorded answer {problem}.")
                if self.model_filter is not None and model != self.model_filter:
                    continue
                self._records.append((request, response))
                self._by_request.setdefault(_core(request), []).append(response)
        if not self._records:
            which = f" for model {self.model_filter!r}" if self.model_filter else ""
            raise InterplayError(f"replay model: {self.path} holds no call records{which}.")

    def identity(self) -> dict[str, Any]:
        return {"provider": "replay", "path": self.path.name, "model": self.model_filter}

    def __len__(self) -> int:
        return len(self._records)

    def _lookup(self, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if self.mode == "sequential":
                if self._position >= len(self._records):
                    raise InterplayError(f"replay model {self.path}: all {len(self._records)} recorded answers "
                                         "are used up.")
                response = self._records[self._position][1]
                self._position += 1
                return response
            key = _core(request)
            answers = self._by_request.get(key)
            if not answers:
                last = request["messages"][-1]["content"] if request.get("messages") else ""
                raise InterplayError(
                    f"replay model {self.path}: no recorded answer for this {request['op']} request "
                    f"(last message {last[:160]!r}); the run asks something the recorded run did not.")
            # the same request asked again gets the next recorded answer to it (the last one repeats)
            n = self._used.get(key, 0)
            self._used[key] = n + 1
            return answers[min(n, len(answers) - 1)]

    async def _generate(self, messages: list[dict[str, str]], *, temperature: float, max_tokens: int | None,
                        seed: int | None, stop: list[str] | None) -> Completion:
        response = self._lookup({"op": "generate", "messages": messages, "temperature": temperature,
                                 "max_tokens": max_tokens, "seed": seed, "stop": stop})
        return _replayed(response)

    async def _choose(self, messages: list[dict[str, str]], options: list[str], *, temperature: float,
                      seed: int | None) -> Choice:
        response = self._lookup({"op": "choose", "messages": messages, "options": options,
                                 "temperature": temperature, "seed": seed})
        return _choice_from(response, options, _replayed(response))
