"""Honest accounting of LLM answers, shared by every experiment kind that scores a model.

Every kind that scores LLM answers (llm-tournament, debate, judged-debate, persuasion,
decide, redteam) reports, per agent: the answers it received, how many were invalid
(or unparsed), the re-asks, and how many decisions were made by the agent's declared
fallback rather than by the model. Those counts go into results.json (under
``accounting``), into one table of the report and into the terminal output.

When an agent's fallback rate exceeds :data:`FALLBACK_WARNING` (10%), its score is
mostly its fallback's: :func:`fallback_warnings` says so in one sentence per agent;
the kinds put those sentences in ``results.json["warnings"]``, beside the ranking in
the report, and ``interplay run`` prints them.

Numbers that cannot be computed are never shown bare: :func:`fmt_rate` and
:func:`fmt_value` give ``"n/a (n=0)"`` or ``"n/a (n=1)"`` with the reason.

A leaf module (it imports only the standard library): every layer that scores LLM answers
(talk, safety, decide, run, the CLI) takes its counts and formats from here.
:mod:`interplay.run.accounting` re-exports it for the experiment kinds.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

#: Above this fallback rate an agent's score is reported as mostly its fallback's.
FALLBACK_WARNING = 0.10

#: Why an answer was not scored, by key (the ``unparsed`` counts of :func:`agent_accounting`);
#: :func:`interplay.talk.answers.read_answer` gives these keys.
UNPARSED_REASONS = {"length": "cut off by the length limit", "empty": "empty", "echo": "only restates the question",
                    "none": "names no answer", "invalid": "names no legal option", "error": "the call failed"}

#: The columns of :func:`accounting_rows`.
COLUMNS = ["agent", "answers", "invalid", "invalid rate", "re-asks", "decisions", "fallbacks", "fallback rate",
           "why invalid"]


def rate(k: int, n: int) -> float | None:
    """k / n, or None when there is nothing to divide by."""
    return k / n if n else None


def fmt_rate(k: int, n: int, digits: int = 3) -> str:
    """``"0.250 (2/8)"``; ``"n/a (n=0)"`` when n is 0."""
    if not n:
        return "n/a (n=0)"
    return f"{k / n:.{digits}f} ({k}/{n})"


def is_missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def fmt_value(x: Any, n: int | None = None, digits: int = 3, why: str | None = None) -> str:
    """A number for a table, or ``"n/a (...)"`` saying why it is missing.

    ``n`` is the sample size behind the number: a missing value with n = 1 reads
    ``"n/a (n=1)"`` (an interval or a spread needs two values).
    """
    if is_missing(x):
        if why:
            return f"n/a ({why})"
        return "n/a" if n is None else f"n/a (n={n})"
    if isinstance(x, float) and math.isinf(x):
        return "+inf" if x > 0 else "-inf"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def fmt_interval(low: Any, high: Any, n: int | None = None, digits: int = 2, signed: bool = False) -> str:
    """``"[0.12, 0.80]"``, or ``"n/a (n=1)"`` when the interval cannot be computed."""
    if is_missing(low) or is_missing(high):
        return "n/a" if n is None else f"n/a (n={n})"
    f = f"{{:+.{digits}f}}" if signed else f"{{:.{digits}f}}"
    return f"[{f.format(low)}, {f.format(high)}]"


def agent_accounting(*, answers: int, invalid: int, reasks: int = 0, decisions: int | None = None,
                     fallbacks: int = 0, **extra: Any) -> dict[str, Any]:
    """The per-agent record of results.json: counts, and rates (None when a count is 0)."""
    out: dict[str, Any] = {"answers": int(answers), "invalid": int(invalid),
                           "invalid_rate": rate(int(invalid), int(answers)), "reasks": int(reasks)}
    if decisions is not None:
        out.update(decisions=int(decisions), fallbacks=int(fallbacks),
                   fallback_rate=rate(int(fallbacks), int(decisions)))
    out.update(extra)
    return out


def from_agent_stats(s: Mapping[str, Any]) -> dict[str, Any]:
    """An :class:`~interplay.agents.llm_agent.AgentStats` dict in the common form (moves are decisions)."""
    invalid = int(s.get("invalid_answers", 0))
    cut, empty = int(s.get("truncated_answers", 0) or 0), int(s.get("empty_answers", 0) or 0)
    unparsed = {k: v for k, v in (("length", cut), ("empty", empty), ("invalid", invalid - cut - empty)) if v > 0}
    return agent_accounting(answers=int(s.get("answers", 0)), invalid=invalid,
                            reasks=int(s.get("reasks", 0)), decisions=int(s.get("moves", 0)),
                            fallbacks=int(s.get("fallbacks", 0)), call_errors=int(s.get("call_errors", 0)),
                            unparsed=unparsed)


def accounting_rows(acc: Mapping[str, Mapping[str, Any]]) -> list[list[Any]]:
    """Rows for a report or terminal table (see :data:`COLUMNS`)."""
    rows = []
    for name, a in acc.items():
        decided = a.get("decisions")
        rows.append([name, a["answers"], a["invalid"], fmt_rate(a["invalid"], a["answers"]), a.get("reasks", 0),
                     "-" if decided is None else decided, "-" if decided is None else a.get("fallbacks", 0),
                     "-" if decided is None else fmt_rate(a.get("fallbacks", 0), decided), why_invalid(a)])
    return rows


def accounting_table(acc: Mapping[str, Mapping[str, Any]], short: bool = False) -> tuple[list[str], list[list[Any]]]:
    """(columns, rows), leaving out the fallback columns when no agent makes decisions with a fallback;
    ``short``: the reasons by key (length, empty, echo, none, invalid), for a terminal."""
    rows = accounting_rows(acc)
    if short:
        for r, a in zip(rows, acc.values(), strict=True):
            r[-1] = ", ".join(f"{k} {v}" for k, v in (a.get("unparsed") or {}).items() if v) or "-"
    keep = [k for k, c in enumerate(COLUMNS)
            if not (c in ("decisions", "fallbacks", "fallback rate") and all(a.get("decisions") is None
                                                                           for a in acc.values()))]
    return [COLUMNS[k] for k in keep], [[r[k] for k in keep] for r in rows]


def why_invalid(a: Mapping[str, Any]) -> str:
    """``"cut off by the length limit 2, empty 1"`` from an ``unparsed`` mapping of reason -> count."""
    parts = [f"{UNPARSED_REASONS.get(k, k)} {v}" for k, v in (a.get("unparsed") or {}).items() if v]
    return ", ".join(parts) or "-"


def from_counts(counts: Mapping[str, Any], *, deciders: Sequence[str] = ()) -> dict[str, dict[str, Any]]:
    """:class:`~interplay.talk.answers.AnswerCounts` per agent in the common form; ``deciders`` also
    report decisions and fallbacks (judges, advisors)."""
    out = {}
    for name, c in counts.items():
        d = c.as_dict(decides=name in deciders)
        out[name] = agent_accounting(answers=d["answers"], invalid=d["invalid"], reasks=d["reasks"],
                                     decisions=d.get("decisions"), fallbacks=d.get("fallbacks", 0),
                                     unparsed=d["unparsed"], calls=d["calls"], tokens=d["tokens"])
    return out


def fallback_warnings(acc: Mapping[str, Mapping[str, Any]], fallback_names: Mapping[str, str] | None = None,
                      threshold: float = FALLBACK_WARNING) -> list[str]:
    """One sentence per agent whose fallback rate is above ``threshold``."""
    out = []
    for name, a in acc.items():
        r = a.get("fallback_rate")
        if r is None or r <= threshold:
            continue
        fb = (fallback_names or {}).get(name)
        who = f"its fallback ({fb})" if fb else "its fallback"
        out.append(f"{name}: {a['fallbacks']} of {a['decisions']} decisions ({r:.0%}) were made by {who}, not "
                   f"by the model ({a['invalid']} of {a['answers']} answers invalid); its score is mostly "
                   f"{who}'s.")
    return out


def fallback_cell(a: Mapping[str, Any] | None, num: str = "fallbacks", den: str = "decisions") -> str:
    """A ranking's cell of one agent's accounting: ``num`` of ``den`` as a rate (``"0.500 (3/6)"``; "-"
    without accounting), with ``" WARNING: mostly its fallback"`` when its fallback made more than
    :data:`FALLBACK_WARNING` of its decisions (the warning only on the fallback column)."""
    if a is None:
        return "-"
    text = fmt_rate(a[num], a[den])
    r = a.get("fallback_rate")
    if num == "fallbacks" and r is not None and r > FALLBACK_WARNING:
        text += " WARNING: mostly its fallback"
    return text


def warning_html(warnings: Sequence[str]) -> str:
    items = "".join(f"<li>{html.escape(w)}</li>" for w in warnings)
    return f"<div class='warning'><b>Warning</b><ul>{items}</ul></div>"


def add_warnings(ctx: Any, warnings: Sequence[str], title: str = "Warning: fallback moves") -> None:
    """Record warnings in results.json and put them in the report (call just before the ranking)."""
    if not warnings:
        return
    ctx.results.setdefault("warnings", [])
    ctx.results["warnings"].extend(w for w in warnings if w not in ctx.results["warnings"])
    ctx.add_text(title, warning_html(warnings), html=True)


def add_accounting(ctx: Any, acc: Mapping[str, Mapping[str, Any]], title: str = "LLM answers: invalid, re-asks, "
                   "fallbacks", note: str = "") -> None:
    """Put the per-agent accounting in results.json (``accounting``) and as a report table."""
    ctx.results.setdefault("accounting", {})
    ctx.results["accounting"].update({k: dict(v) for k, v in acc.items()})
    if acc:
        columns, rows = accounting_table(acc)
        ctx.add_table(title, rows, columns, note=note)


#: keys of an agent's stats dict that are rates or sums of others (recomputed, never added up)
_DERIVED = ("invalid_rate", "fallback_rate", "total_tokens")


def stats_counts(players: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    """The additive counts of every player with ``stats`` (LLM agents), now."""
    return {n: {k: v for k, v in p.stats.as_dict().items() if k not in _DERIVED and isinstance(v, int | float)}
            for n, p in players.items() if hasattr(p, "stats")}


def stats_delta(before: Mapping[str, Mapping[str, float]], after: Mapping[str, Mapping[str, float]]
                ) -> dict[str, dict[str, float]]:
    """What each agent's counts grew by between two :func:`stats_counts` (one unit of work's share)."""
    return {n: {k: v - before.get(n, {}).get(k, 0) for k, v in c.items()} for n, c in after.items()}


def stats_total(deltas: Sequence[Mapping[str, Mapping[str, float]] | None]) -> dict[str, dict[str, Any]]:
    """The per-unit shares added up (finished units of an interrupted run included), with the rates:
    an agent's accounting over the whole run, from the records of its units."""
    out: dict[str, dict[str, Any]] = {}
    for d in deltas:
        for n, c in (d or {}).items():
            t = out.setdefault(n, {})
            for k, v in c.items():
                t[k] = t.get(k, 0) + v
    for t in out.values():
        t["invalid_rate"] = rate(int(t.get("invalid_answers", 0)), int(t.get("answers", 0)))
        t["fallback_rate"] = rate(int(t.get("fallbacks", 0)), int(t.get("moves", 0)))
        t["total_tokens"] = t.get("prompt_tokens", 0) + t.get("completion_tokens", 0)
    return out
