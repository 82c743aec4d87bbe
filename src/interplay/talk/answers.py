"""Which model answers may be scored, and per-agent counts of those that may not.

An answer is *unparsed* (kept in the transcript, never read as an answer, never
scored) when, in this order:

* ``"length"``: it was cut off by the length limit (finish_reason ``"length"``): an
  unfinished answer's last number is not its answer;
* ``"empty"``: it is empty or only whitespace;
* ``"echo"``: it only restates the question: with every copy of the question (and,
  for arithmetic, of its expression, spaced any way) taken out, nothing that answers
  is left ("2 + 0 * 5 + 24 - 19 * 27" is not the answer 27);
* ``"none"``: it names no answer (see :func:`interplay.talk.tasks.extract_answer`).

:func:`read_answer` applies the rules; :class:`AnswerCounts` counts answers and
unparsed ones per reason, re-asks and fallbacks, for results.json. The choice
helper :func:`choose_with_reasks` is what judges and advisors use: an invalid
answer is re-asked (quoting it and the options, with a new seed, so a temperature-0
model is not asked the identical question), and after ``max_reasks`` the caller's
fallback decides; nothing is raised for a bad answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from interplay.accounting import UNPARSED_REASONS as UNPARSED_REASONS  # the reason names, kept with their counts
from interplay.llm.base import Choice, Completion, InvalidAnswer, ModelCallError

_EXPR = re.compile(r"-?\d+(?:\.\d+)?(?:\s*[-+*/x\u00d7]\s*-?\d+(?:\.\d+)?)+")
_OP = {"*": r"[*x\u00d7\u00b7]", "x": r"[*x\u00d7\u00b7]", "\u00d7": r"[*x\u00d7\u00b7]", "/": r"[/\u00f7]",
       "-": r"[-\u2212]", "+": r"\+"}


def answer_problem(c: Completion | None, text: str | None = None) -> str | None:
    """``"length"`` or ``"empty"`` when the answer must not be read, else None."""
    if c is not None and c.finish_reason == "length":
        return "length"
    body = c.text if c is not None and text is None else text
    if body is None or not str(body).strip():
        return "empty"
    return None


def _flexible(expr: str) -> re.Pattern[str]:
    """A pattern for an arithmetic expression written with any spacing and the usual operator signs."""
    tokens = re.findall(r"\d+(?:\.\d+)?|[-+*/x\u00d7]", expr)
    parts = [_OP[t] if t in _OP else re.escape(t) for t in tokens]
    return re.compile(r"\s*".join(parts))


def _normal(s: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", s.lower()).split())


def strip_question(text: str, question_text: str) -> str:
    """``text`` with every copy of the question, and of any arithmetic expression in it, taken out."""
    out = text
    q = question_text.strip()
    if q:
        out = out.replace(q, " ")
    for expr in sorted(set(_EXPR.findall(question_text)), key=len, reverse=True):
        out = _flexible(expr).sub(" ", out)
    return out


def read_answer(text: str | None, question: Any, completion: Completion | None = None) -> tuple[str | None, str | None]:
    """(answer, None) for a scorable answer, or (None, reason) with a key of :data:`UNPARSED_REASONS`."""
    from interplay.talk.tasks import extract_answer

    problem = answer_problem(completion, text)
    if problem is not None:
        return None, problem
    text = text or ""
    said = _normal(text)
    if len(said.split()) >= 3 and f" {said} " in f" {_normal(question.question)} ":  # a copy of (part of) it
        return None, "echo"
    rest = strip_question(text, question.question)
    answer = extract_answer(rest, question)
    if answer is not None:
        return answer, None
    if extract_answer(text, question) is not None:  # only the question's own numbers were there
        return None, "echo"
    return None, "none"


@dataclass
class AnswerCounts:
    """One agent's answers: how many, how many unparsed (by reason), re-asks, fallbacks."""

    answers: int = 0
    unparsed: dict[str, int] = field(default_factory=dict)
    reasks: int = 0
    decisions: int = 0
    fallbacks: int = 0
    calls: int = 0
    tokens: int = 0

    def add(self, reason: str | None, c: Completion | None = None) -> None:
        self.answers += 1
        if reason is not None:
            self.unparsed[reason] = self.unparsed.get(reason, 0) + 1
        if c is not None:
            self.calls += 1
            self.tokens += c.total_tokens

    @property
    def invalid(self) -> int:
        return sum(self.unparsed.values())

    def merge(self, other: AnswerCounts) -> None:
        self.answers += other.answers
        for k, v in other.unparsed.items():
            self.unparsed[k] = self.unparsed.get(k, 0) + v
        self.reasks += other.reasks
        self.decisions += other.decisions
        self.fallbacks += other.fallbacks
        self.calls += other.calls
        self.tokens += other.tokens

    def as_dict(self, *, decides: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"answers": self.answers, "invalid": self.invalid,
                               "invalid_rate": self.invalid / self.answers if self.answers else None,
                               "unparsed": dict(sorted(self.unparsed.items())), "reasks": self.reasks,
                               "calls": self.calls, "tokens": self.tokens}
        if decides:
            out.update(decisions=self.decisions, fallbacks=self.fallbacks,
                       fallback_rate=self.fallbacks / self.decisions if self.decisions else None)
        return out


def merge_counts(parts: Sequence[dict[str, AnswerCounts]]) -> dict[str, AnswerCounts]:
    out: dict[str, AnswerCounts] = {}
    for p in parts:
        for name, c in p.items():
            out.setdefault(name, AnswerCounts()).merge(c)
    return out


REASK = ("Your answer cannot be used: {reason}. Your answer was: \"{answer}\". Reply with exactly one of: "
         "{options}.")


def _clip(text: str, n: int = 300) -> str:
    t = " ".join(str(text).split())
    return t if len(t) <= n else t[:n] + "..."


async def choose_with_reasks(model: Any, messages: Sequence[dict[str, str]], options: Sequence[str], *,
                             counts: AnswerCounts, seed: int | None, temperature: float = 0.0, max_reasks: int = 2,
                             on_error: str = "fallback") -> tuple[Choice | None, list[dict[str, Any]]]:
    """Ask ``model`` to choose among ``options``; re-ask invalid answers; (choice or None, attempts).

    Every answer is counted in ``counts`` (an invalid one under ``"invalid"``, or under
    ``"length"``/``"empty"`` when the backend says so). Each re-ask quotes the bad answer
    and the options, and uses a new seed. None means the caller's fallback decides (the
    caller counts the fallback). A call that fails for good (:class:`ModelCallError`) is
    counted under ``"error"`` and returns None, unless ``on_error="stop"``.
    """
    msgs = list(messages)
    attempts: list[dict[str, Any]] = []
    opts = [str(o) for o in options]
    for attempt in range(max_reasks + 1):
        if attempt:
            counts.reasks += 1
        s = None if seed is None else int(seed) + 7919 * attempt
        try:
            choice = await model.achoose(msgs, opts, temperature=temperature, seed=s)
        except InvalidAnswer as exc:
            kind = getattr(exc, "kind", None)
            reason = kind if kind in ("length", "empty") else "invalid"
            counts.add(reason, exc.completion)
            attempts.append({"text": exc.text, "invalid": exc.reason, "completion": exc.completion})
            msgs = [*msgs, {"role": "assistant", "content": exc.text or "(empty)"},
                    {"role": "user", "content": REASK.format(reason=exc.reason, answer=_clip(exc.text or ""),
                                                             options=", ".join(opts))}]
            continue
        except ModelCallError as exc:
            if on_error == "stop":
                raise
            counts.add("error")
            attempts.append({"text": "", "invalid": f"call failed: {exc}"})
            return None, attempts
        counts.add(None, choice.completion)
        attempts.append({"text": choice.completion.text, "option": choice.option, "completion": choice.completion})
        return choice, attempts
    return None, attempts
