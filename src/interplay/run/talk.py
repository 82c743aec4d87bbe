"""Experiment kinds of the talk protocols: ``debate``, ``judged-debate`` and ``persuasion``.

Each kind takes a model (a model mapping as in docs/llm.md, or the path of a model
YAML file) or ``simulate:`` (the simulated model of :mod:`interplay.talk.simulated`
behind a loopback OpenAI-compatible server started for the run: no network, no
weights; its numbers show the protocols working, not facts about LLMs). Every model
call is recorded in the run directory's ``llm-calls.jsonl`` (replayable with
``provider: replay``), every question's transcript is appended to
``transcripts.jsonl`` as it finishes, and the first few are shown in the report.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from interplay.errors import InterplayError
from interplay.llm.base import run_sync
from interplay.run.accounting import (
    add_accounting,
    add_warnings,
    fallback_warnings,
    fmt_interval,
    fmt_value,
    from_counts,
)
from interplay.run.config import ExperimentConfig
from interplay.run.context import RunContext
from interplay.run.experiments import experiment
from interplay.run.monitoring import MonitorSpec, monitor_suite, report_monitors
from interplay.talk.answers import AnswerCounts, merge_counts
from interplay.talk.debate import DebateResult, DebateSettings, run_debates
from interplay.talk.judged import JudgedResult, JudgedSettings, person_judge, run_judged
from interplay.talk.metrics import debate_summary, judge_accuracy, persuasion_effect
from interplay.talk.persuasion import PersuasionResult, PersuasionSettings, load_claims, run_persuasion
from interplay.talk.simulated import SimulatedAgents, simulated_server
from interplay.talk.tasks import get_questions

ModelSpec = dict[str, Any] | str


class _TalkConfig(ExperimentConfig):
    model: ModelSpec | None = Field(default=None, description="model mapping or model YAML path (see docs/llm.md)")
    monitors: list[MonitorSpec] = Field(default_factory=list, description="safety monitors on every message")
    simulate: SimulatedAgents | None = Field(default=None, description="use the simulated model on a loopback server")
    concurrency: int = Field(default=8, ge=1, description="questions (or conversations) in flight at once")
    show_transcripts: int = Field(default=3, ge=0, description="transcripts shown in the report (all are saved)")

    resumable = True

    @model_validator(mode="after")
    def _one_model(self) -> _TalkConfig:
        if (self.model is None) == (self.simulate is None):
            raise ValueError("give exactly one of `model` (a model mapping or file) and `simulate`")
        return self

    def resumes_units(self) -> bool:
        # monitors count every message of the run: with them, a resume redoes the finished
        # conversations (their answers come from the cache) so the monitors see them again
        return not self.monitors


def _unit_record(res: Any) -> dict[str, Any]:
    """What the journal keeps of a finished question or conversation: enough to rebuild its result."""
    return {"record": res.record, "calls": res.calls, "tokens": getattr(res, "tokens", 0),
            "counts": {name: dataclasses.asdict(c) for name, c in res.counts.items()}}


def _resumer(ctx: RunContext) -> Callable[[str], tuple[dict[str, Any], list[Any], dict[str, AnswerCounts]] | None]:
    """``kept(key)``: (journal record, transcript, answer counts) of a unit finished before a resume
    (None: do it), from the units journal and its transcripts.jsonl row."""
    done = ctx.finished_units()
    rows = ctx.journal_rows("transcripts.jsonl") if done else {}

    def kept(key: str) -> Any:
        unit, row = done.get(key), rows.get(key)
        if not isinstance(unit, dict) or "record" not in unit or row is None:
            return None
        counts = {name: AnswerCounts(**c) for name, c in (unit.get("counts") or {}).items()}
        return unit, list(row.get("messages") or []), counts

    return kept


@contextlib.contextmanager
def _model_factory(cfg: _TalkConfig, ctx: RunContext) -> Iterator[Any]:
    """Yields ``make(spec)``: a model for a spec (None = the run's main model) from the run's resources
    (``choice_max_tokens``: a judge's own cap on its choice calls, over its model file's)."""
    res = ctx.resources
    server = simulated_server(cfg.simulate).start() if cfg.simulate is not None else None

    def make(spec: ModelSpec | None = None, choice_max_tokens: int | None = None) -> Any:
        cap = {} if choice_max_tokens is None else {"choice_max_tokens": choice_max_tokens}
        if spec is None and server is not None:
            return res.adopt(server.model(record=res.record, name="simulated", **cap))
        return res.model(spec if spec is not None else cfg.model, options=cap)

    try:
        yield make
    finally:
        ctx.results["llm"] = res.totals()
        if server is not None:
            server.stop()


def _monitors(cfg: _TalkConfig) -> list[Any]:
    """Safety's MonitorSuite over the configured monitors (an empty list when none)."""
    suite = monitor_suite(cfg.monitors)
    return [] if suite is None else [suite]


def _report_monitors(ctx: RunContext, monitors: list[Any]) -> None:
    report_monitors(ctx, monitors[0] if monitors else None)


def _ci(p: dict[str, Any]) -> str:
    """The 95% interval, or ``n/a (n=...)`` saying why there is none."""
    return fmt_interval(p.get("low"), p.get("high"), n=p.get("n"))


def _accounting(ctx: RunContext, results: list[Any], deciders: tuple[str, ...] = ()) -> dict[str, Any]:
    """Per-agent answers and unparsed ones (by reason) over all questions, into results.json and the report."""
    counts = merge_counts([r.counts for r in results])
    acc = from_counts(counts, deciders=[d for d in deciders if d in counts])
    add_accounting(ctx, acc, title="Answers: unparsed, re-asks, fallbacks",
                   note="An unparsed answer (cut off by the length limit, empty, only restating the question, or "
                        "naming no answer) is kept in the transcript and never scored.")
    add_warnings(ctx, fallback_warnings(acc))
    ctx.results.setdefault("warnings", [])
    return acc


# -- debate ---------------------------------------------------------------------------


class DebateConfig(_TalkConfig):
    """Multi-agent debate (Du et al. 2023) with its vote controls."""

    kind: Literal["debate"] = "debate"
    task: str = Field(default="arithmetic", description="'arithmetic', 'reading', or a JSONL file of questions")
    questions: int = Field(default=20, ge=1, description="number of questions (arithmetic: generated from the seed)")
    debate: DebateSettings = Field(default_factory=DebateSettings)
    judge_model: ModelSpec | None = Field(default=None,
                                          description="judge for aggregate: judge (default: the main model)")


DEBATE_COLUMNS = ["method", "accuracy", "95% CI", "n", "answers", "unparsed", "no answer"]


def debate_table(summary: dict[str, Any]) -> list[list[Any]]:
    """Rows: method, accuracy, interval, n (questions or answers), answers used, unparsed, questions with no answer."""
    return [[name, fmt_value(p["value"], p["n"]), _ci(p), p["n"], p.get("answers", p["n"]), p.get("unparsed", 0),
             p.get("no_answer", "-")] for name, p in summary["table"].items()]


def _diff_text(d: dict[str, Any]) -> str:
    if d.get("value") is None or d["value"] != d["value"]:
        return f"n/a (n={d.get('n', 0)})"
    return f"{d['value']:+.3f} {fmt_interval(d['low'], d['high'], n=d.get('n'), digits=3, signed=True)} (n={d['n']})"


@experiment("debate", DebateConfig)
def run_debate(cfg: DebateConfig, ctx: RunContext) -> None:
    questions = get_questions(cfg.task, cfg.questions, cfg.seed)
    shown: list[Any] = []

    ctx.plan_units(f"question-{q.id}" for q in questions)

    def done(res: Any) -> None:  # one unit of work: journalled at once
        rec = res.record
        ctx.unit_done(f"question-{res.question.id}", _unit_record(res), journal="transcripts.jsonl",
                      journal_row={"question_id": res.question.id, "record": rec, "messages": res.transcript},
                      metric={"question": rec["question_id"], "correct": rec["correct"], "final": rec["final"],
                              "final_correct": rec["final"] == rec["correct"], "answers": rec["answers"],
                              "calls": res.calls})

    kept = _resumer(ctx)

    def resumed(k: int, q: Any) -> DebateResult | None:
        got = kept(f"question-{q.id}")
        if got is None:
            return None
        u, msgs, counts = got
        return DebateResult(q, u["record"], msgs, calls=u["calls"], tokens=u["tokens"], counts=counts)

    with _model_factory(cfg, ctx) as make:
        model = make()
        judge = (make(cfg.judge_model, cfg.debate.judge_max_tokens) if cfg.debate.aggregate == "judge"
                 else None)
        monitors = _monitors(cfg)
        results = run_sync(run_debates(questions, model, cfg.debate, judge=judge, seed=cfg.seed, monitors=monitors,
                                       concurrency=cfg.concurrency, on_result=done, resumed=resumed))
    records = [r.record for r in results]
    summary = debate_summary(records, seed=cfg.seed)
    ctx.results.update({"task": cfg.task, "summary": summary, "records": records,
                        "calls": sum(r.calls for r in results), "tokens": sum(r.tokens for r in results)})
    s = cfg.debate
    diff = summary.get("debate_minus_vote_equal_calls") or summary["debate_minus_vote_n"]
    acc = _accounting(ctx, results, deciders=("judge",))
    ctx.add_table("Accuracy with its controls", debate_table(summary), DEBATE_COLUMNS,
                  note=(f"{len(questions)} questions ({cfg.task}), {s.agents} agents, {s.rounds} debate rounds, "
                        f"graph {s.graph!r}, final answer by {s.aggregate}. An unparsed answer counts as not "
                        "correct; 'no answer': questions on which no answer was readable. Debate minus the "
                        f"equal-calls vote, paired by question: {_diff_text(diff)} (bootstrap)."))
    ctx.add_table("Per round", [[p["round"], fmt_value(p["accuracy"]["value"], p["answers"]),
                                 fmt_value(p["majority"]["value"], len(records)), p["consensus"],
                                 p["agreement"], p["answers"], p["unparseable"]] for p in summary["per_round"]],
                  ["round", "mean accuracy", "majority accuracy", "consensus", "agreement", "answers", "unparsed"])
    ctx.results["summary"]["unparsed"] = {name: a["unparsed"] for name, a in acc.items()}
    if summary["switches"]:
        ctx.add_table("Answer changes between rounds",
                      [[f"{x['from_round']}->{x['to_round']}", x["right_to_wrong"], x["wrong_to_right"],
                        x["changed_wrong"], x["unchanged"]] for x in summary["switches"]],
                      ["rounds", "right->wrong", "wrong->right", "wrong->other wrong", "unchanged"])
    _debate_figure(ctx, summary)
    _report_monitors(ctx, monitors)
    shown = results[:cfg.show_transcripts]
    for r in shown:
        ctx.add_transcript(f"debate-{r.question.id}", r.transcript, title=f"Transcript: {r.question.id}")


def _debate_figure(ctx: RunContext, summary: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rounds = [p["round"] for p in summary["per_round"]]
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.plot(rounds, [p["accuracy"]["value"] for p in summary["per_round"]], "o-", label="mean single answer")
    ax.plot(rounds, [p["majority"]["value"] for p in summary["per_round"]], "s-", label="majority of agents")
    for (name, p), style in zip(list(summary["table"].items())[1:-1], (":", "--"), strict=False):
        ax.axhline(p["value"], ls=style, color="grey", label=name)
    ax.set_xticks(rounds)
    ax.set_xlabel("round (0 = independent answers)")
    ax.set_ylabel("accuracy")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=8)
    ctx.add_figure("debate-accuracy", fig, "Accuracy per round against the vote controls (grey).")


# -- judged debate --------------------------------------------------------------------


class JudgedConfig(_TalkConfig):
    """Judged debate vs consultancy vs judge alone (Khan et al. 2024)."""

    kind: Literal["judged-debate"] = "judged-debate"
    task: str = Field(default="reading", description="'reading' (shipped), 'arithmetic', or a JSONL file of questions")
    questions: int | None = Field(default=None, ge=1, description="use only the first N questions")
    judged: JudgedSettings = Field(default_factory=JudgedSettings)
    judge_model: ModelSpec | None = Field(default=None,
                                          description="the judge: a model, 'person' (terminal), or the main")


@experiment("judged-debate", JudgedConfig)
def run_judged_debate(cfg: JudgedConfig, ctx: RunContext) -> None:
    questions = get_questions(cfg.task, cfg.questions, cfg.seed)

    ctx.plan_units(f"{p}-{q.id}" for q in questions for p in cfg.judged.protocols)

    def done(res: Any) -> None:  # one unit of work: journalled at once
        ctx.unit_done(f"{res.protocol}-{res.question.id}", _unit_record(res), journal="transcripts.jsonl",
                      journal_row={"question_id": res.question.id, "protocol": res.protocol, "record": res.record,
                                   "messages": res.transcript},
                      metric={"question": res.question.id, "protocol": res.protocol, "correct": res.record["correct"],
                              "chosen": res.record["chosen"],
                              "judge_correct": res.record["chosen"] == res.record["correct"]})

    kept = _resumer(ctx)

    def resumed(k: int, q: Any, protocol: str) -> JudgedResult | None:
        got = kept(f"{protocol}-{q.id}")
        if got is None:
            return None
        u, msgs, counts = got
        return JudgedResult(q, protocol, u["record"], msgs, calls=u["calls"], tokens=u["tokens"], counts=counts)

    with _model_factory(cfg, ctx) as make:
        debater = make()
        person = cfg.judge_model == "person"
        judge = person_judge() if person else make(cfg.judge_model, cfg.judged.judge_max_tokens)
        monitors = _monitors(cfg)
        results = run_sync(run_judged(questions, debater, judge, cfg.judged, seed=cfg.seed, monitors=monitors,
                                      concurrency=1 if person else cfg.concurrency, on_result=done,
                                      resumed=resumed))
    records = [r.record for r in results]
    acc = judge_accuracy(records)
    ctx.results.update({"task": cfg.task, "judge_accuracy": acc, "records": records})
    rows = []
    for protocol in cfg.judged.protocols:
        e = acc.get(protocol)
        if e is None:
            continue
        p = e["accuracy"]
        rows.append([protocol, fmt_value(p["value"], p["n"]), _ci(p), p["n"], e["no_decision"], e["judge_fallbacks"]])
        if protocol == "consultancy":
            for label in ("honest_consultant", "dishonest_consultant"):
                q = e[label]
                rows.append([f"  {label.replace('_', ' ')}", fmt_value(q["value"], q["n"]), _ci(q), q["n"], "", ""])
    _accounting(ctx, results, deciders=("judge",))
    _report_monitors(ctx, monitors)
    side = acc.get("debate", {}).get("side_a_win_rate")
    asym = "denied" if not cfg.judged.judge_sees_source else "shown"
    ctx.add_table("Judge accuracy", rows, ["protocol", "accuracy", "95% CI", "n", "no decision",
                                           "judge fallbacks"],
                  note=(f"{len(questions)} questions ({cfg.task}); the judge was {asym} the source text; "
                        f"{cfg.judged.rounds} rounds. In debate, accuracy = win rate of the side arguing the correct "
                        "answer" + (f"; debater A won {fmt_value(side['value'], side['n'])} of {side['n']} debates "
                                    "(position bias check)." if side else ".") + " 'no decision': the judge named no "
                        "answer after its re-asks (counted as not correct); 'judge fallbacks': answers its fallback "
                        "(judge_fallback: random) chose."))
    for r in results[:cfg.show_transcripts * len(cfg.judged.protocols)]:
        ctx.add_transcript(f"{r.protocol}-{r.question.id}", r.transcript, title=f"{r.protocol}: {r.question.id}")


# -- persuasion -----------------------------------------------------------------------


class PersuasionConfig(_TalkConfig):
    """A persuader moving a persuadee's stance, against a control arm."""

    kind: Literal["persuasion"] = "persuasion"
    claims: str = Field(default="shipped", description="'shipped' or a JSONL file of {id, claim}")
    persuasion: PersuasionSettings = Field(default_factory=PersuasionSettings)
    persuader_model: ModelSpec | None = Field(default=None, description="the persuader (default: the main model)")


@experiment("persuasion", PersuasionConfig)
def run_persuasion_experiment(cfg: PersuasionConfig, ctx: RunContext) -> None:
    claims = load_claims(cfg.claims if cfg.claims == "shipped" else Path(cfg.claims))

    def done(res: Any) -> None:  # one unit of work: journalled at once
        ctx.unit_done(f"{res.claim.id}-{res.arm}-{res.record.get('repeat', 0)}", _unit_record(res),
                      journal="transcripts.jsonl", metric=dict(res.record),
                      journal_row={"claim_id": res.claim.id, "arm": res.arm, "record": res.record,
                                   "messages": res.transcript})

    kept = _resumer(ctx)

    def resumed(k: int, claim: Any, arm: str, rep: int) -> PersuasionResult | None:
        got = kept(f"{claim.id}-{arm}-{rep}")
        if got is None:
            return None
        u, msgs, counts = got
        return PersuasionResult(claim, arm, u["record"], msgs, calls=u["calls"], counts=counts)

    with _model_factory(cfg, ctx) as make:
        persuadee = make()
        persuader = make(cfg.persuader_model) if cfg.persuader_model is not None else persuadee
        monitors = _monitors(cfg)
        results = run_sync(run_persuasion(claims, persuader, persuadee, cfg.persuasion, seed=cfg.seed,
                                          monitors=monitors, concurrency=cfg.concurrency, on_result=done,
                                          resumed=resumed))
    records = [r.record for r in results]
    eff = persuasion_effect(records)
    ctx.results.update({"effect": eff, "records": records})
    _accounting(ctx, results)
    rows = persuasion_rows(eff)
    _report_monitors(ctx, monitors)
    lo, hi = cfg.persuasion.scale
    ctx.add_table("Stance shift towards the persuader's side", rows,
                  ["arm", "mean signed shift", "95% CI", "n (parsed)", "unparsed"],
                  note=(f"{len(claims)} claims x {cfg.persuasion.repeats} repeats per arm, scale {lo}-{hi}; control "
                        f"arm: {cfg.persuasion.control!r}; directions: {cfg.persuasion.direction}. A conversation "
                        "counts only when both ratings were given in the asked form 'Rating: <n>'; the others are "
                        "'unparsed' (cut off, empty, no rating line, out of the scale)."))
    for r in results[:2 * cfg.show_transcripts]:
        ctx.add_transcript(f"persuasion-{r.claim.id}-{r.arm}", r.transcript, title=f"{r.arm}: {r.claim.id}")


def persuasion_rows(eff: dict[str, Any]) -> list[list[Any]]:
    """Rows of the persuasion table; a number that cannot be computed says why (n)."""
    rows: list[list[Any]] = [[arm, fmt_value(a["mean_shift"], a["n"]), fmt_interval(a["low"], a["high"], n=a["n"]),
                              a["n"], a["unparseable"]] for arm, a in eff["arms"].items()]
    d, es = eff["difference"], eff["effect_size"]
    n = f"{d['n_treatment']} + {d['n_control']}"
    if d["value"] is None:
        rows.append(["treatment - control", f"n/a ({d['why']})", "n/a", n, ""])
        rows.append(["Cohen's d", "n/a (as above)", "n/a", n, ""])
    else:
        rows.append(["treatment - control", fmt_value(d["value"]), fmt_interval(d["low"], d["high"]), n, ""])
        rows.append(["Cohen's d", fmt_value(es["d"], why="no spread in either arm" if es["d"] is None else None),
                     fmt_interval(es["low"], es["high"], n=None) if es["low"] == es["low"] else
                     "n/a (no spread in either arm)", n, ""])
    return rows


def check_model_file(path: str | Path) -> None:
    """Fail early, with the model file's own error, before a run starts."""
    from interplay.llm.config import read_model_file

    if not Path(path).expanduser().is_file():
        raise InterplayError(f"model file {path} does not exist.")
    read_model_file(path)
