"""Asking an LLM agent's model: a constrained choice re-asked on a bad answer, and the fallback's move.

The Stratego and Diplomacy agents choose among listed options the same way: ask, and on an
invalid answer (cut off, empty, no option) quote it back and ask again with a new seed, up to
``max_reasks`` times; a call that fails for good raises (``on_error: stop``) or ends the asking.
:func:`choose_option` is that loop, with every answer counted in the agent's
:class:`~interplay.agents.llm_agent.AgentStats`; :func:`fallback_decision` is the move of the
declared fallback once the asking gave nothing (counted as a move and a fallback).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from interplay.agents.protocol import Decision
from interplay.llm.base import InvalidAnswer, ModelCallError

__all__ = ["Chosen", "choose_option", "count_answer", "fallback_decision"]

#: How much of a bad answer a re-ask quotes back.
QUOTE_CHARS = 300


@dataclass
class Chosen:
    """What the asking gave: ``option`` (None: no usable answer, the caller's fallback decides), the
    ``invalid`` answers met, the ``reason`` there is no option, and every answer's text in order."""

    option: str | None
    invalid: int = 0
    reason: str = ""
    texts: list[str] = field(default_factory=list)


def count_answer(stats: Any, bad: InvalidAnswer | None) -> None:
    """Count one answer for a decision in ``stats``: invalid ones (and of those, the ones cut by the
    length limit or empty) apart."""
    stats.answers += 1
    if bad is not None:
        stats.invalid_answers += 1
        stats.truncated_answers += bad.kind == "length"
        stats.empty_answers += bad.kind == "empty"


async def choose_option(model: Any, messages: Sequence[dict[str, str]], options: Sequence[str], *, stats: Any,
                        max_reasks: int, temperature: float, on_error: str, seed: Callable[[int], int],
                        reask: Callable[[str, str], str],
                        count: Callable[[InvalidAnswer | None], None] | None = None,
                        count_reasks: bool = True) -> Chosen:
    """Ask ``model`` to choose one of ``options``; re-ask an invalid answer up to ``max_reasks`` times.

    ``seed(attempt)`` is each request's seed; ``reask(quoted answer, reason)`` the text of a re-ask
    (after the bad answer as the assistant's turn). Calls and tokens go to ``stats.add``, each answer
    to ``count`` (default :func:`count_answer` on ``stats``), re-asks to ``stats.reasks`` (unless
    ``count_reasks`` is false) and a failed call to ``stats.call_errors``.
    """
    out = Chosen(None)
    msgs = list(messages)
    tally = count if count is not None else (lambda bad: count_answer(stats, bad))
    for attempt in range(max_reasks + 1):
        if attempt and count_reasks:
            stats.reasks += 1
        try:
            choice = await model.achoose(msgs, list(options), temperature=temperature, seed=seed(attempt))
        except InvalidAnswer as exc:
            stats.add(exc.completion)
            tally(exc)
            out.invalid += 1
            out.reason = exc.reason
            out.texts.append(exc.text or "")
            quoted = " ".join((exc.text or "").split())[:QUOTE_CHARS] or "(nothing)"
            msgs = [*msgs, {"role": "assistant", "content": exc.text or "(empty)"},
                    {"role": "user", "content": reask(quoted, exc.reason)}]
            continue
        except ModelCallError as exc:
            stats.call_errors += 1
            if on_error == "stop":
                raise
            out.reason = f"call failed: {exc}"
            return out
        stats.add(choice.completion)
        tally(None)
        out.texts.append(choice.completion.text)
        out.option = choice.option
        return out
    return out


async def fallback_decision(fallback: Any, view: Any, stats: Any, *, declared: str, reason: str | None,
                            invalid: int, texts: Sequence[str]) -> Decision:
    """The move of the ``declared`` fallback player once the model gave none (a move and a fallback)."""
    d = await fallback.act(view)
    stats.fallbacks += 1
    stats.moves += 1
    return Decision(action=d.action, text="\n".join(texts), fallback=True, invalid=invalid,
                    reason=f"fallback ({declared}) after: {reason}")
