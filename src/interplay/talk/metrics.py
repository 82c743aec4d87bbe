"""Honest metrics for debate, judging and persuasion, computed from plain records.

The protocols write one record per question (or per claim); these functions only
read records, so they can be recomputed from a run directory's ``results.json``
and tested on hand-made transcripts.

Debate record (multi-agent debate, :mod:`interplay.talk.debate`)::

    {"question_id": "q1", "correct": "42",
     "answers": [["42", "41", None], ["42", "42", "41"], ...],   # round 0..R, one per agent
     "final": "42",                                              # majority or judge
     "samples": ["42", "41", None, "42", ...]}                   # independent answers, no debate

``None`` is an unparsed answer (cut off, empty, only the question, or no answer; the
record's ``unparsed`` lists why, per round and agent): it is never read as an answer,
it counts as not correct, and every accuracy row says how many answers it rests on
(``answers``), how many of them were unparsed (``unparsed``) and, for votes, on how
many questions no answer was readable at all (``no_answer``).
``samples`` holds independent answers to the same question; the first N are the
round-0 answers, so "vote over N samples" is the majority of round 0 and "vote
over the same number of calls" uses N*(R+1) samples. Du et al. (2023) compare
debate with a single agent; Smit et al. (2024, "Should we be going MAD?") and "Debate
or Vote" (2025) find majority voting explains most of debate's gain, so this module puts the
vote controls and the paired difference debate - vote next to every debate number.

Judge record (judged debate, consultancy, judge alone; :mod:`interplay.talk.judged`)::

    {"question_id": "q1", "protocol": "debate" | "consultancy" | "judge-alone",
     "correct": "steam tug", "chosen": "steam tug",
     "correct_side": "A", "chosen_side": "A",      # debate: which debater argued the truth
     "consultant_correct": True}                   # consultancy: was the advisor honest

Persuasion record (:mod:`interplay.talk.persuasion`)::

    {"claim_id": "c1", "arm": "treatment" | "control", "direction": +1 | -1,
     "before": 3.0, "after": 5.0}                  # stance on the claim's scale

Intervals: Wilson score intervals for proportions; Student t for means; Welch for
a difference of means; a percentile bootstrap over questions for paired
differences; Cohen's d with the Hedges & Olkin (1985) large-sample standard error.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from scipy import stats

from interplay.errors import InterplayError

Record = Mapping[str, Any]


# -- small statistics ----------------------------------------------------------------


def wilson_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion (Wilson 1927); (nan, nan) when n = 0."""
    if n == 0:
        return (math.nan, math.nan)
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def mean_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high) with a Student t interval; the interval is nan below two values."""
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return (math.nan, math.nan, math.nan)
    m = float(x.mean())
    if x.size < 2:
        return (m, math.nan, math.nan)
    half = float(stats.t.ppf(0.5 + level / 2, x.size - 1)) * float(x.std(ddof=1)) / math.sqrt(x.size)
    return (m, m - half, m + half)


def proportion(successes: int, n: int, level: float = 0.95) -> dict[str, Any]:
    lo, hi = wilson_interval(successes, n, level)
    return {"value": successes / n if n else math.nan, "low": lo, "high": hi, "k": successes, "n": n}


def paired_bootstrap(a: Sequence[float], b: Sequence[float], *, n_boot: int = 2000, seed: int = 0,
                     level: float = 0.95) -> dict[str, float]:
    """Mean of a - b over paired units (questions) with a percentile bootstrap interval."""
    x, y = np.asarray(a, float), np.asarray(b, float)
    if x.shape != y.shape:
        raise InterplayError(f"paired bootstrap: {x.size} and {y.size} values are not paired.")
    d = x - y
    if d.size == 0:
        return {"value": math.nan, "low": math.nan, "high": math.nan, "n": 0}
    idx = np.random.default_rng(seed).integers(0, d.size, size=(n_boot, d.size))
    boots = d[idx].mean(1)
    lo, hi = np.quantile(boots, [(1 - level) / 2, (1 + level) / 2])
    return {"value": float(d.mean()), "low": float(lo), "high": float(hi), "n": int(d.size)}


# -- voting --------------------------------------------------------------------------


def plurality_answer(answers: Iterable[Hashable | None]) -> tuple[Any, bool]:
    """Plurality answer among the parsed ones and whether the top count was tied.

    Ties go to the tied answer given first (Du et al.'s ``most_frequent`` keeps the
    first answer reaching the top count). All unparseable: ``(None, False)``.
    """
    parsed = [a for a in answers if a is not None]
    if not parsed:
        return None, False
    counts = Counter(parsed)
    top = max(counts.values())
    tied = [a for a in dict.fromkeys(parsed) if counts[a] == top]
    return tied[0], len(tied) > 1


# -- multi-agent debate ----------------------------------------------------------------


def _rounds(records: Sequence[Record]) -> int:
    if not records:
        raise InterplayError("debate metrics: no records.")
    lengths = {len(r["answers"]) for r in records}
    if len(lengths) != 1:
        raise InterplayError(f"debate metrics: records have different numbers of rounds {sorted(lengths)}.")
    return lengths.pop()


def accuracy_per_round(records: Sequence[Record]) -> list[dict[str, Any]]:
    """Per round: mean accuracy of single answers, majority accuracy, unparseable count, consensus.

    ``consensus`` is the fraction of questions on which every agent gave the same
    parsed answer; ``agreement`` the mean share of agents agreeing with the plurality.
    """
    out = []
    for r in range(_rounds(records)):
        right = total = unparsed = vote_right = unanimous = 0
        agreement = []
        for rec in records:
            answers = rec["answers"][r]
            total += len(answers)
            right += sum(a is not None and a == rec["correct"] for a in answers)
            unparsed += sum(a is None for a in answers)
            top, _ = plurality_answer(answers)
            vote_right += top is not None and top == rec["correct"]
            unanimous += top is not None and all(a == top for a in answers)
            agreement.append(sum(a == top for a in answers) / len(answers) if top is not None else 0.0)
        out.append({"round": r, "accuracy": proportion(right, total), "majority": proportion(vote_right, len(records)),
                    "unparseable": unparsed, "answers": total, "consensus": unanimous / len(records),
                    "agreement": float(np.mean(agreement))})
    return out


def switches(records: Sequence[Record]) -> list[dict[str, int]]:
    """Per transition round r-1 -> r: answers going right->wrong, wrong->right, and other changes.

    An unparseable answer counts as wrong. ``changed_wrong`` counts wrong->different wrong.
    """
    out = []
    for r in range(1, _rounds(records)):
        rw = wr = ww = kept = 0
        for rec in records:
            for before, after in zip(rec["answers"][r - 1], rec["answers"][r], strict=True):
                b_ok = before is not None and before == rec["correct"]
                a_ok = after is not None and after == rec["correct"]
                if b_ok and not a_ok:
                    rw += 1
                elif a_ok and not b_ok:
                    wr += 1
                elif not a_ok and before != after:
                    ww += 1
                else:
                    kept += 1
        out.append({"from_round": r - 1, "to_round": r, "right_to_wrong": rw, "wrong_to_right": wr,
                    "changed_wrong": ww, "unchanged": kept})
    return out


def vote_accuracy(records: Sequence[Record], k: int) -> dict[str, Any]:
    """Accuracy of the majority over the first ``k`` independent samples of each question."""
    right = 0
    for rec in records:
        samples = list(rec.get("samples") or [])
        if len(samples) < k:
            raise InterplayError(f"debate metrics: question {rec.get('question_id')!r} has {len(samples)} "
                                 f"independent samples, {k} needed for the vote control.")
        top, _ = plurality_answer(samples[:k])
        right += top is not None and top == rec["correct"]
    return proportion(right, len(records))


def debate_summary(records: Sequence[Record], *, seed: int = 0) -> dict[str, Any]:
    """The accuracy table with its controls, and the per-round dynamics.

    Rows: single agent (round-0 answers), majority vote of N independent samples
    (round 0), majority vote of N*(R+1) independent samples (the same number of
    model calls as the debate, when the records hold them), and the debate's final
    answer. ``debate_minus_vote`` is the paired difference (per question) between the
    debate and the equal-calls vote, with a bootstrap interval: the number that says
    whether debate beats voting.
    """
    n_rounds = _rounds(records)
    n_agents = len(records[0]["answers"][0])
    per_round = accuracy_per_round(records)
    final_right = [float(r.get("final") is not None and r.get("final") == r["correct"]) for r in records]
    first = [a for r in records for a in r["answers"][0]]
    last = [a for r in records for a in r["answers"][-1]]
    rows = {
        "single agent": {**per_round[0]["accuracy"], "unparsed": sum(a is None for a in first),
                         "answers": len(first)},
        f"vote of {n_agents} samples": {**per_round[0]["majority"], "unparsed": sum(a is None for a in first),
                                        "answers": len(first),
                                        "no_answer": sum(plurality_answer(r["answers"][0])[0] is None
                                                         for r in records)},
    }
    k_equal = n_agents * n_rounds
    vote_equal_right = None
    if all(len(r.get("samples") or []) >= k_equal for r in records):
        used = [a for r in records for a in r["samples"][:k_equal]]
        rows[f"vote of {k_equal} samples (same calls)"] = {
            **vote_accuracy(records, k_equal), "unparsed": sum(a is None for a in used), "answers": len(used),
            "no_answer": sum(plurality_answer(r["samples"][:k_equal])[0] is None for r in records)}
        vote_equal_right = [float(plurality_answer(r["samples"][:k_equal])[0] == r["correct"]) for r in records]
    rows[f"debate ({n_agents} agents, {n_rounds - 1} rounds)"] = {
        **proportion(int(sum(final_right)), len(records)), "unparsed": sum(a is None for a in last),
        "answers": len(last), "no_answer": sum(r.get("final") is None for r in records)}
    vote_n_right = [float(plurality_answer(r["answers"][0])[0] == r["correct"]) for r in records]
    out: dict[str, Any] = {
        "questions": len(records), "agents": n_agents, "rounds": n_rounds - 1,
        "table": rows, "per_round": per_round, "switches": switches(records),
        "debate_minus_vote_n": paired_bootstrap(final_right, vote_n_right, seed=seed),
    }
    if vote_equal_right is not None:
        out["debate_minus_vote_equal_calls"] = paired_bootstrap(final_right, vote_equal_right, seed=seed)
    return out


# -- judges -----------------------------------------------------------------------------


def judge_accuracy(records: Sequence[Record]) -> dict[str, dict[str, Any]]:
    """Judge accuracy per protocol, with consultancy split by the advisor's honesty.

    For debates, accuracy is also the win rate of the debater arguing the correct
    answer; ``side_a_win_rate`` shows position bias (0.5 when sides are balanced and
    the judge ignores position).
    """
    out: dict[str, dict[str, Any]] = {}
    by: dict[str, list[Record]] = {}
    for rec in records:
        by.setdefault(str(rec["protocol"]), []).append(rec)
    for protocol, recs in by.items():
        right = sum(r.get("chosen") is not None and r["chosen"] == r["correct"] for r in recs)
        entry: dict[str, Any] = {"accuracy": proportion(right, len(recs)),
                                 "no_decision": sum(r.get("chosen") is None for r in recs),
                                 "judge_fallbacks": sum(r.get("fallback") is not None for r in recs)}
        if protocol == "debate":
            entry["correct_side_win_rate"] = entry["accuracy"]
            a_wins = sum(r.get("chosen_side") == "A" for r in recs)
            entry["side_a_win_rate"] = proportion(a_wins, len(recs))
        if protocol == "consultancy":
            for honest, label in ((True, "honest_consultant"), (False, "dishonest_consultant")):
                sub = [r for r in recs if bool(r.get("consultant_correct")) == honest]
                k = sum(r.get("chosen") is not None and r["chosen"] == r["correct"] for r in sub)
                entry[label] = proportion(k, len(sub))
        out[protocol] = entry
    return out


# -- persuasion -----------------------------------------------------------------------


def signed_shift(rec: Record) -> float | None:
    """direction * (after - before): positive when the stance moved the way the persuader pushed."""
    if rec.get("before") is None or rec.get("after") is None:
        return None
    return float(rec.get("direction", 1)) * (float(rec["after"]) - float(rec["before"]))


def cohens_d(x: Sequence[float], y: Sequence[float], level: float = 0.95) -> dict[str, float]:
    """Cohen's d (pooled SD), Hedges' g and a normal interval for d.

    SE(d) = sqrt((n1+n2)/(n1 n2) + d^2 / (2 (n1+n2))) (Hedges & Olkin 1985, eq. 5.14's
    large-sample form); g = d (1 - 3 / (4 (n1+n2) - 9)).
    """
    a, b = np.asarray(x, float), np.asarray(y, float)
    n1, n2 = a.size, b.size
    if n1 < 2 or n2 < 2:
        return {"d": math.nan, "g": math.nan, "low": math.nan, "high": math.nan}
    pooled = math.sqrt(((n1 - 1) * a.var(ddof=1) + (n2 - 1) * b.var(ddof=1)) / (n1 + n2 - 2))
    if pooled == 0:
        diff = float(a.mean() - b.mean())
        d = math.copysign(math.inf, diff) if diff else 0.0
        return {"d": d, "g": d, "low": math.nan, "high": math.nan}
    d = float((a.mean() - b.mean()) / pooled)
    se = math.sqrt((n1 + n2) / (n1 * n2) + d * d / (2 * (n1 + n2)))
    z = float(stats.norm.ppf(0.5 + level / 2))
    return {"d": d, "g": d * (1 - 3 / (4 * (n1 + n2) - 9)), "low": d - z * se, "high": d + z * se}


def persuasion_effect(records: Sequence[Record], level: float = 0.95) -> dict[str, Any]:
    """Mean signed shift per arm, treatment - control (Welch interval), and the effect size."""
    arms: dict[str, list[float]] = {}
    unparsed: dict[str, int] = {}
    for rec in records:
        arm = str(rec["arm"])
        s = signed_shift(rec)
        if s is None:
            unparsed[arm] = unparsed.get(arm, 0) + 1
            arms.setdefault(arm, [])
        else:
            arms.setdefault(arm, []).append(s)
    out: dict[str, Any] = {"arms": {}}
    for arm, values in arms.items():
        m, lo, hi = mean_interval(values, level)
        out["arms"][arm] = {"mean_shift": m, "low": lo, "high": hi, "n": len(values),
                            "unparseable": unparsed.get(arm, 0)}
    t, c = arms.get("treatment", []), arms.get("control", [])
    if len(t) >= 2 and len(c) >= 2:
        res = stats.ttest_ind(t, c, equal_var=False)
        ci = res.confidence_interval(level)
        out["difference"] = {"value": float(np.mean(t) - np.mean(c)), "low": float(ci.low), "high": float(ci.high),
                             "p_value": float(res.pvalue),  # pyright: ignore[reportAttributeAccessIssue]
                             "n_treatment": len(t), "n_control": len(c)}
        out["effect_size"] = {**cohens_d(t, c, level), "n_treatment": len(t), "n_control": len(c)}
    else:  # say why, rather than leave a nan or a gap
        why = (f"needs at least 2 parsed conversations per arm; treatment n={len(t)}, control n={len(c)} "
               f"({unparsed.get('treatment', 0)} and {unparsed.get('control', 0)} unparsed)")
        out["difference"] = {"value": None, "why": why, "n_treatment": len(t), "n_control": len(c)}
        out["effect_size"] = {"d": None, "why": why, "n_treatment": len(t), "n_control": len(c)}
    return out
