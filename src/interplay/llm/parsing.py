"""Reading a choice among options out of a model's free-text answer.

Strict on purpose: an answer maps to an option only when it says so without
ambiguity, so garbage is never silently treated as a move. In order:

1. a JSON object (the whole answer, or the last ``{...}`` in it) with a
   ``choice``/``action``/``answer`` field naming an option;
2. the last line of the form ``ACTION: <option>`` (also ``Answer:``,
   ``Final answer:``, ``Choice:``), markdown emphasis and quotes stripped;
3. the whole answer (stripped of quotes, emphasis and a final full stop) equal to
   one option;
4. exactly one option named as a whole word in the last non-empty line.

Matching ignores case when that is unambiguous among the options.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from interplay.llm.base import InvalidAnswer

_JSON_KEYS = ("choice", "action", "answer", "move", "option")
# [ \t]* (never \s*, which crosses newlines): a run of n newlines would make every line
# start re-scan the rest, O(n^2); each match attempt here stays on its own line, so O(n).
_LABEL = re.compile(r"^[ \t]*(?:final[ \t]+)?(?:action|answer|choice|move)[ \t]*[:=][ \t]*(.+?)[ \t\r]*$", re.I | re.M)
_STRIP = " \t\n\r`*_\"'.!,;:()[]{}<>"


def _match(value: str, options: Sequence[str]) -> int | None:
    v = value.strip(_STRIP)
    if v in options:
        return list(options).index(v)
    folded = [o.lower() for o in options]
    if len(set(folded)) == len(folded) and v.lower() in folded:
        return folded.index(v.lower())
    return None


def _json_choice(text: str, options: Sequence[str]) -> tuple[int | None, str | None]:
    """(index, problem) from a JSON answer; (None, None) when there is no JSON at all."""
    candidates = [text.strip()]
    last = text.rfind("{")
    if last > 0:
        end = text.find("}", last)
        candidates.append(text[last:end + 1] if end > 0 else text[last:])
    saw_json = False
    for c in candidates:
        if not c.startswith("{"):
            continue
        saw_json = True
        try:
            obj = json.loads(c)
        except json.JSONDecodeError:
            continue
        if not isinstance(obj, dict):
            continue
        for k in _JSON_KEYS:
            if k in obj:
                idx = _match(str(obj[k]), options)
                if idx is None:
                    return None, f"{obj[k]!r} is not one of the legal options {list(options)}"
                return idx, None
        return None, f"the JSON answer has no 'choice' field (keys: {sorted(obj)})"
    if saw_json:
        return None, "the answer is malformed JSON"
    return None, None


def parse_choice(text: str | None, options: Sequence[str]) -> int:
    """Index of the option ``text`` names; raises :class:`InvalidAnswer` with the reason."""
    if text is None or not text.strip():
        raise InvalidAnswer("the answer was empty", text or "", kind="empty")
    idx, problem = _json_choice(text, options)
    if idx is not None:
        return idx
    labelled = _LABEL.findall(text)
    if labelled:
        idx = _match(labelled[-1], options)
        if idx is not None:
            return idx
        raise InvalidAnswer(f"{labelled[-1].strip(_STRIP)!r} is not one of the legal options {list(options)}", text)
    idx = _match(text, options)
    if idx is not None:
        return idx
    if problem is not None:
        raise InvalidAnswer(problem, text)
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    last = lines[-1] if lines else ""
    found = {i for i, o in enumerate(options) if re.search(rf"(?<!\w){re.escape(o)}(?!\w)", last)}
    if len(found) == 1:
        return found.pop()
    if len(found) > 1:
        raise InvalidAnswer(f"the answer names several options {[options[i] for i in sorted(found)]}", text)
    raise InvalidAnswer(f"the answer names none of the legal options {list(options)}", text)
