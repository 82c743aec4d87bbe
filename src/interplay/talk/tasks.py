"""Questions for debate and judging: generated arithmetic, JSONL datasets, the shipped set,
and robust extraction of a final answer from free text.

* :func:`arithmetic_questions`: Du et al. (2023), "Improving Factuality and Reasoning
  in Language Models through Multiagent Debate", arithmetic task: ``a+b*c+d-e*f``
  with six integers drawn uniformly from ``[0, 30)`` (their ``np.random.randint(0, 30,
  size=6)``), exact integer answers.
* :func:`load_questions`: a user's JSONL file, one question a line::

      {"id": "q1", "question": "...", "choices": ["...", "..."], "answer": "...", "source": "..."}

  ``question`` and ``answer`` are required; ``choices`` (at least two distinct
  strings, the answer among them) and ``source`` (text the debaters may see and a
  judge may be denied) are optional; ``id`` defaults to ``line-N``. Every bad line is
  reported with its line number in one :class:`~interplay.errors.InterplayError`.
* :func:`shipped_questions`: a small reading-comprehension set written for this
  package (fictional passages, so a model cannot know the answer without the
  source); in each item the correct choice occurs verbatim in the source and the
  wrong ones do not (checked by the tests).
* :func:`extract_answer`: the final answer in a model's free text, or ``None``
  (counted as unparseable by the metrics, never guessed).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from interplay.errors import InterplayError, UnknownNameError
from interplay.llm.base import InvalidAnswer
from interplay.llm.parsing import parse_choice
from interplay.serialize import parse_jsonl

LETTERS = "ABCDEFGHIJ"


@dataclass(frozen=True)
class Question:
    """One question with its correct answer.

    ``choices`` empty means a free answer (numeric when the answer is a number);
    ``source`` is the text debaters may read and a judge may be denied.
    """

    id: str
    question: str
    answer: str
    choices: tuple[str, ...] = ()
    source: str | None = None
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def numeric(self) -> bool:
        return not self.choices and _number(self.answer) is not None

    def canonical(self, value: Any) -> str | None:
        """An answer in comparable form: numbers without trailing zeros, choices as their text."""
        if value is None:
            return None
        if self.choices:
            s = str(value)
            return s if s in self.choices else None
        if self.numeric:
            n = _number(str(value))
            return None if n is None else _fmt_number(n)
        return _norm_text(str(value))

    def is_correct(self, value: Any) -> bool:
        return value is not None and self.canonical(value) == self.canonical(self.answer)

    def render(self, *, with_source: bool = False, with_choices: bool = True) -> str:
        """The question as shown to a model: source (if asked), question, lettered choices."""
        parts = []
        if with_source and self.source:
            parts.append(f"<source>\n{self.source}\n</source>")
        parts.append(self.question)
        if with_choices and self.choices:
            parts.append("\n".join(f"({LETTERS[i]}) {c}" for i, c in enumerate(self.choices)))
        return "\n\n".join(parts)

    def wrong_answer(self, rng: np.random.Generator) -> str:
        """A plausible wrong answer: another choice, or (numeric) the answer shifted by 1 to 30."""
        if self.choices:
            others = [c for c in self.choices if not self.is_correct(c)]
            return others[int(rng.integers(len(others)))]
        n = _number(self.answer)  # not None: a numeric question (it has no choices)
        if n is not None:
            delta = int(rng.integers(1, 31)) * (1 if rng.random() < 0.5 else -1)
            return _fmt_number(n + delta)
        raise InterplayError(f"question {self.id!r}: a free-text question has no natural wrong answer; "
                             "give it choices for a judged debate.")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "question": self.question, "answer": self.answer}
        if self.choices:
            out["choices"] = list(self.choices)
        if self.source is not None:
            out["source"] = self.source
        return out


# -- generated arithmetic (Du et al. 2023) -----------------------------------------------


def arithmetic_questions(n: int, seed: int = 0, low: int = 0, high: int = 30) -> list[Question]:
    """``n`` questions "What is the result of a+b*c+d-e*f?" with integers from [low, high)."""
    if n < 1:
        raise InterplayError(f"arithmetic task: need at least one question, got n={n}.")
    if high <= low:
        raise InterplayError(f"arithmetic task: high ({high}) must exceed low ({low}).")
    draws = np.random.default_rng(seed).integers(low, high, size=(n, 6))
    out = []
    for k, (a, b, c, d, e, f) in enumerate(draws.tolist()):
        value = a + b * c + d - e * f
        out.append(Question(id=f"arith-{seed}-{k}", question=f"What is the result of {a}+{b}*{c}+{d}-{e}*{f}?",
                            answer=str(value), meta={"terms": [a, b, c, d, e, f]}))
    return out


# -- JSONL datasets ---------------------------------------------------------------------

_KEYS = {"id", "question", "answer", "choices", "source", "meta"}


def _question_from(obj: Any, line: int) -> Question:
    """One line's question, or an InterplayError message (without the file prefix)."""
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    unknown = sorted(set(obj) - _KEYS)
    if unknown:
        raise ValueError(f"unknown field(s) {unknown}; allowed: {sorted(_KEYS)}")
    q = obj.get("question")
    if not isinstance(q, str) or not q.strip():
        raise ValueError("'question' must be non-empty text")
    if "answer" not in obj or obj["answer"] is None or isinstance(obj["answer"], bool | dict | list):
        raise ValueError("'answer' is required (text or a number)")
    answer = str(obj["answer"]).strip()
    if not answer:
        raise ValueError("'answer' is empty")
    choices: tuple[str, ...] = ()
    if obj.get("choices") is not None:
        raw = obj["choices"]
        if not isinstance(raw, list) or len(raw) < 2 or not all(isinstance(c, str | int | float) for c in raw):
            raise ValueError("'choices' must be a list of at least two texts")
        choices = tuple(str(c).strip() for c in raw)
        if len(set(choices)) != len(choices) or any(not c for c in choices):
            raise ValueError(f"'choices' must be distinct and non-empty, got {list(choices)}")
        if len(choices) > len(LETTERS):
            raise ValueError(f"at most {len(LETTERS)} choices, got {len(choices)}")
        if answer not in choices:
            raise ValueError(f"'answer' {answer!r} is not one of the choices {list(choices)}")
    source = obj.get("source")
    if source is not None and not isinstance(source, str):
        raise ValueError("'source' must be text")
    qid = obj.get("id", f"line-{line}")
    if not isinstance(qid, str | int) or isinstance(qid, bool):
        raise ValueError("'id' must be text or an integer")
    meta = obj.get("meta") or {}
    if not isinstance(meta, dict):
        raise ValueError("'meta' must be an object")
    return Question(id=str(qid), question=q.strip(), answer=answer, choices=choices, source=source, meta=meta)


def parse_questions(lines: Sequence[str], where: str) -> list[Question]:
    """Questions from JSONL lines; all bad lines are reported together, each by number."""
    return parse_jsonl(lines, where, _question_from, "questions")


def load_questions(path: str | Path) -> list[Question]:
    """Read and validate a JSONL question file (see the module doc for the fields)."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise InterplayError(f"question file {p} does not exist.")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InterplayError(f"question file {p}: not UTF-8 text ({exc.reason} at byte {exc.start}).") from None
    return parse_questions(text.splitlines(), str(p))


SHIPPED = {"reading": "reading.jsonl"}


def shipped_questions(name: str = "reading") -> list[Question]:
    """A question set shipped in ``interplay/talk/data`` (``"reading"``: passages with two to four choices)."""
    if name not in SHIPPED:
        raise UnknownNameError("question set", name, SHIPPED)
    text = resources.files("interplay.talk").joinpath("data", SHIPPED[name]).read_text(encoding="utf-8")
    return parse_questions(text.splitlines(), f"interplay/talk/data/{SHIPPED[name]}")


def get_questions(task: str, n: int | None = None, seed: int = 0) -> list[Question]:
    """Questions by task name: ``"arithmetic"`` (generated), a shipped set name, or a path to a JSONL file."""
    if task == "arithmetic":
        return arithmetic_questions(n or 20, seed)
    if task in SHIPPED:
        qs = shipped_questions(task)
    elif task.endswith(".jsonl") or Path(task).expanduser().is_file():
        qs = load_questions(task)
    else:
        raise UnknownNameError("task", task, ["arithmetic", *SHIPPED, "<path to a .jsonl file>"])
    return qs[:n] if n else qs


# -- answer extraction ------------------------------------------------------------------

_NUM = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?(?![\w])")
_BOXED = re.compile(r"\\boxed\{([^{}]*)\}")
_LABELLED = re.compile(r"(?:final\s+answer|answer|result)\s*(?:is|=|:)\s*\**\s*([^\n]*)", re.I)


def _number(text: str) -> float | None:
    s = text.strip().strip("*$`'\". ").replace(",", "")
    try:
        value = float(s)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def _fmt_number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _norm_text(s: str) -> str:
    return " ".join(s.strip().strip(".*`'\"").lower().split())


def _last_number(text: str) -> str | None:
    nums = _NUM.findall(text)
    for tok in reversed(nums):
        value = _number(tok)
        if value is not None:
            return _fmt_number(value)
    return None


def _json_answer(text: str) -> Any:
    start = text.rfind("{")
    if start < 0:
        return None
    end = text.find("}", start)
    try:
        obj = json.loads(text[start:end + 1])
    except (json.JSONDecodeError, ValueError):
        return None
    return obj.get("answer") if isinstance(obj, dict) else None


def extract_answer(text: str | None, question: Question) -> str | None:
    """The final answer stated in ``text`` for ``question``, in canonical form, or ``None``.

    Numeric questions, in order: a JSON ``{"answer": ...}``; the last ``\\boxed{...}``;
    the last "answer is / answer: / result is" phrase (the last number of its sentence; if
    that phrase closes the text and names no number, the answer is unparseable); else
    the last number in the text (Du et al.'s own parser reads the last number too).
    Choice questions: :func:`interplay.llm.parsing.parse_choice` over the choice texts,
    then over the letters (A), (B)...; ``None`` when it names none or several.
    """
    if text is None or not text.strip():
        return None
    if question.choices:
        return _extract_choice(text, question.choices)
    js = _json_answer(text)
    if js is not None and question.canonical(js) is not None:
        return question.canonical(js)
    if question.numeric:
        boxed = _BOXED.findall(text)
        if boxed:
            found = _last_number(boxed[-1])
            if found is not None:
                return found
        labelled = list(_LABELLED.finditer(text))
        for k, m in enumerate(reversed(labelled)):
            found = _last_number(re.split(r"\.\s", m.group(1), maxsplit=1)[0])  # up to the sentence's end
            if found is not None:
                return found
            if k == 0 and not text[m.end():].strip():
                return None  # the closing "Answer: ..." names no number: unparseable, not a guess
        return _last_number(text)
    labelled = _LABELLED.findall(text)
    if labelled:
        return _norm_text(labelled[-1])
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return _norm_text(lines[-1]) if lines else None


def _extract_choice(text: str, choices: Sequence[str]) -> str | None:
    letters = list(LETTERS[:len(choices)])
    # "(B)" anywhere in a labelled line, or "Answer: B"
    for phrase in reversed(_LABELLED.findall(text)):
        m = re.fullmatch(r"\W*\(?([A-J])\)?(?:\W.*)?", phrase.strip())
        if m and m.group(1) in letters:
            return choices[letters.index(m.group(1))]
        idx = _choice_index(phrase, choices)
        if idx is not None:
            return choices[idx]
    idx = _choice_index(text, choices)
    if idx is not None:
        return choices[idx]
    marked = {letters.index(x) for x in re.findall(r"\(([A-J])\)", _last_line(text)) if x in letters}
    if len(marked) == 1:
        return choices[marked.pop()]
    return None


def _choice_index(text: str, choices: Sequence[str]) -> int | None:
    try:
        return parse_choice(text, list(choices))
    except InvalidAnswer:
        return None


def _last_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else ""
