"""Multi-agent debate (Du et al. 2023, "Improving Factuality and Reasoning in Language
Models through Multiagent Debate", ICML 2024), with a visibility graph and vote controls.

Protocol, per question:

1. round 0: each of N agents answers the question independently;
2. rounds 1..R: each agent reads the latest answers of the agents it is connected
   to (``graph``: everyone, a ring, none, or any directed graph) and answers again,
   in its own growing conversation (Du et al.'s "agent contexts");
3. the final answer is the majority of round R (ties: the first answer given
   reaching the top count, as in Du et al.'s ``most_frequent``) or a judge model's
   choice among the agents' distinct final answers.

Note on counting: ``rounds`` is the number of debate rounds *after* the independent
answers, so each agent answers R+1 times. Du et al.'s code counts the independent
answer as a round (their ``rounds = 2`` is our ``rounds = 1``).

Prompts are the paper's arithmetic prompts (Appendix, Figure 15): start "What is the
result of ...? Make sure to state your answer at the end of the response."; debate
"These are the recent/updated opinions from other agents: ... Use these opinions
carefully as additional advice, can you provide an updated answer? Make sure to
state your answer at the end of the response." An agent with no neighbours is asked
to double-check its answer (the paper's self-reflection control).

Each answer is posted on a :class:`~interplay.talk.channel.Channel` addressed to the
agents that read its author (and to the judge), and the next round's prompt is built
from the agent's inbox, so the graph is enforced by the channel: an agent never sees
a message not addressed to it. A message a monitor blocks still counts as its
author's answer but reaches no one. With ``vote_samples`` the protocol also draws N*R more
independent answers per question, so the metrics can compare the debate with a
majority vote over the same number of model calls (the control that matters).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from interplay.errors import InterplayError
from interplay.llm.base import Completion, LanguageModel
from interplay.talk.answers import AnswerCounts, choose_with_reasks, read_answer
from interplay.talk.channel import Channel, Monitor, graph_neighbours
from interplay.talk.metrics import plurality_answer
from interplay.talk.tasks import Question

ANSWER_HINT = "Make sure to state your answer at the end of the response."
DEBATE_PROMPT = ("These are the recent/updated opinions from other agents:{others}\n\n"
                 "Use these opinions carefully as additional advice, can you provide an updated answer? ")
REFLECT_PROMPT = "Can you double check that your answer is correct? "
JUDGE_PROMPT = ("You are the judge of a debate between {n} agents on the question below. Read their final "
                "responses and choose the correct answer.\n\nQuestion:\n{question}\n\nFinal responses:{responses}")


class DebateSettings(BaseModel):
    """Parameters of a multi-agent debate."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    agents: int = Field(default=3, ge=1, le=64, description="number of debating agents N")
    rounds: int = Field(default=2, ge=0, le=20, description="debate rounds R after the independent answers")
    graph: str | dict[str, list[str]] | list[list[int]] = Field(
        default="all", description="who reads whom: 'all', 'ring', 'none', {reader: [authors]}, or a 0/1 matrix")
    aggregate: Literal["majority", "judge"] = Field(default="majority", description="how the final answer is chosen")
    temperature: float = Field(default=1.0, ge=0, le=2, description="sampling temperature of the agents")
    max_tokens: int | None = Field(default=512, ge=1, description="token limit per answer")
    vote_samples: bool = Field(default=True, description="draw N*R extra independent answers for the equal-calls vote")
    show_source: bool = Field(default=True, description="show a question's source text (if any) to the agents")
    answer_hint: str = Field(default=ANSWER_HINT, description="appended to every prompt")
    judge_max_reasks: int = Field(default=2, ge=0, le=10,
                                  description="re-asks of the judge after an answer naming no option")
    judge_max_tokens: int | None = Field(default=None, ge=1, description="token limit of the judge's choice calls (its "
                                                                 "model's choice_max_tokens; None: the model's)")
    judge_fallback: Literal["majority", "none"] = Field(
        default="majority", description="after the judge's re-asks: the agents' majority answer, or no final answer")


@dataclass
class DebateResult:
    """A debated question: its metrics record, transcript and call accounting."""

    question: Question
    record: dict[str, Any]
    transcript: list[dict[str, Any]]
    calls: int = 0
    tokens: int = 0
    cached: int = 0
    texts: list[list[str]] = field(default_factory=list)
    counts: dict[str, AnswerCounts] = field(default_factory=dict)


def call_seed(*parts: int) -> int:
    """A 31-bit seed per call, from (run seed, question, agent, round): distinct and reproducible."""
    return int(np.random.SeedSequence([int(p) for p in parts]).generate_state(1)[0] & 0x7FFFFFFF)


def agent_names(n: int) -> list[str]:
    return [f"agent-{i + 1}" for i in range(n)]


def _models(models: LanguageModel | Sequence[LanguageModel], n: int) -> list[LanguageModel]:
    if isinstance(models, Sequence):
        ms = list(models)
        if len(ms) == 1:
            return ms * n
        if len(ms) != n:
            raise InterplayError(f"debate: {len(ms)} models given for {n} agents; give one, or one per agent.")
        return ms
    return [models] * n


class _Calls:
    """Counts calls, tokens and cache hits of one protocol run."""

    def __init__(self) -> None:
        self.calls = self.tokens = self.cached = 0

    def add(self, c: Completion) -> None:
        self.calls += 1
        self.tokens += c.total_tokens
        self.cached += int(c.cached)

    @staticmethod
    def meta(c: Completion, model: LanguageModel) -> dict[str, Any]:
        return {"model": getattr(model, "name", "?"), "tokens": c.total_tokens, "cached": c.cached}


async def debate_question(question: Question, models: LanguageModel | Sequence[LanguageModel],
                          settings: DebateSettings | None = None, *, judge: LanguageModel | None = None,
                          seed: int = 0, index: int = 0, monitors: Sequence[Monitor] = ()) -> DebateResult:
    """Debate one question; see the module doc for the protocol."""
    s = settings or DebateSettings()
    names = agent_names(s.agents)
    ms = _models(models, s.agents)
    if s.aggregate == "judge" and judge is None:
        raise InterplayError("debate: aggregate 'judge' needs a judge model.")
    readers_of = graph_neighbours(s.graph, names)  # reader -> authors it reads
    audience = {a: [r for r in names if a in readers_of[r]] for a in names}  # author -> readers
    judges = ("judge",) if s.aggregate == "judge" else ()
    channel = Channel(names, judges=judges, monitors=monitors)
    calls = _Calls()
    start = f"{question.render(with_source=s.show_source)} {s.answer_hint}"
    contexts: dict[str, list[dict[str, str]]] = {a: [{"role": "user", "content": start}] for a in names}
    answers: list[list[str | None]] = []
    unparsed: list[list[str | None]] = []  # per round and agent: why an answer was not read (None: it was)
    texts: list[list[str]] = []
    counts = {a: AnswerCounts() for a in names}

    for r in range(s.rounds + 1):
        if r > 0:
            for a in names:
                heard = [m for m in channel.inbox(a, round=r - 1) if m.sender in names]
                if heard:
                    others = "".join(f"\n\n One agent response: ```{m.text}```" for m in heard)
                    prompt = DEBATE_PROMPT.format(others=others) + s.answer_hint
                else:
                    prompt = REFLECT_PROMPT + s.answer_hint
                contexts[a].append({"role": "user", "content": prompt})
        completions = await asyncio.gather(*(
            ms[i].agenerate(contexts[a], temperature=s.temperature, max_tokens=s.max_tokens,
                            seed=call_seed(seed, index, i, r)) for i, a in enumerate(names)))
        row: list[str | None] = []
        why_row: list[str | None] = []
        row_texts = []
        for i, (a, c) in enumerate(zip(names, completions, strict=True)):
            calls.add(c)
            contexts[a].append({"role": "assistant", "content": c.text})
            ans, why = read_answer(c.text, question, c)
            counts[a].add(why, c)
            extra = {} if why is None else {"unparsed": why}
            channel.post(a, c.text, visibility="private", to=[*audience[a], *judges], answer=ans, round=r,
                         parsed=ans is not None, finish_reason=c.finish_reason, **extra, **_Calls.meta(c, ms[i]))
            row.append(ans)
            why_row.append(why)
            row_texts.append(c.text)
        answers.append(row)
        unparsed.append(why_row)
        texts.append(row_texts)
        channel.next_round()

    # the final answer
    final, tie = plurality_answer(answers[-1])
    judged = None
    if s.aggregate == "judge" and judge is not None:
        counts["judge"] = AnswerCounts()
        final, judged = await _judge_final(question, channel, judge, calls, seed, index, s, final,
                                           counts["judge"])

    # the vote control: N*R more independent answers to the start prompt (no debate)
    samples: list[str | None] = list(answers[0])
    sample_unparsed: list[str | None] = list(unparsed[0])
    if s.vote_samples and s.rounds > 0:
        extra = await asyncio.gather(*(
            ms[k % s.agents].agenerate([{"role": "user", "content": start}], temperature=s.temperature,
                                       max_tokens=s.max_tokens, seed=call_seed(seed, index, s.agents + k, 0))
            for k in range(s.agents * s.rounds)))
        counts["vote samples"] = AnswerCounts()
        for c in extra:
            calls.add(c)
            ans, why = read_answer(c.text, question, c)
            counts["vote samples"].add(why, c)
            samples.append(ans)
            sample_unparsed.append(why)

    record = {"question_id": question.id, "correct": question.canonical(question.answer), "answers": answers,
              "unparsed": unparsed, "final": final, "tie": tie, "samples": samples,
              "samples_unparsed": sample_unparsed}
    if judged is not None:
        record["judge"] = judged
    transcript = [{"sender": "task", "to": list(names), "visibility": "public", "round": 0, "text": start,
                   "answer": question.canonical(question.answer)}, *channel.transcript()]
    return DebateResult(question, record, transcript, calls.calls, calls.tokens, calls.cached, texts, counts)


async def _judge_final(question: Question, channel: Channel, judge: LanguageModel, calls: _Calls, seed: int,
                       index: int, s: DebateSettings, majority_answer: str | None,
                       counts: AnswerCounts) -> tuple[str | None, dict[str, Any]]:
    """The judge picks among the distinct parsed final answers it received.

    An answer naming none of them is re-asked ``s.judge_max_reasks`` times; then the
    fallback decides (``majority``: the agents' majority answer; ``none``: no final
    answer), and the record says so.
    """
    last = [m for m in channel.inbox("judge", round=channel.round - 1) if m.sender != "judge"]
    options = list(dict.fromkeys(m.answer for m in last if m.answer is not None))
    if not options:
        channel.post("judge", "No agent gave a readable final answer.", answer=None)
        return None, {"options": [], "chosen": None, "called": False}
    if len(options) == 1:
        channel.post("judge", f"All readable answers agree: {options[0]}.", answer=options[0])
        return options[0], {"options": options, "chosen": options[0], "called": False}
    responses = "".join(f"\n\n{m.sender}: ```{m.text}```" for m in last)
    prompt = JUDGE_PROMPT.format(n=len(last), question=question.render(), responses=responses)
    counts.decisions += 1
    choice, attempts = await choose_with_reasks(judge, [{"role": "user", "content": prompt}],
                                                [str(o) for o in options], counts=counts,
                                                seed=call_seed(seed, index, 9999), max_reasks=s.judge_max_reasks)
    for a in attempts:
        if a.get("completion") is not None:
            calls.add(a["completion"])
    for a in attempts[:-1] if choice is not None else attempts:
        channel.post("judge", a["text"], answer=None, invalid=a["invalid"])
    if choice is None:
        counts.fallbacks += 1
        chosen = majority_answer if s.judge_fallback == "majority" else None
        reason = attempts[-1]["invalid"] if attempts else "no answer"
        channel.post("judge", f"(fallback: {s.judge_fallback} -> {chosen})", answer=chosen, fallback=True,
                     reason=f"fallback ({s.judge_fallback}) after: {reason}")
        return chosen, {"options": options, "chosen": chosen, "called": True, "invalid": reason,
                        "fallback": s.judge_fallback, "attempts": len(attempts)}
    chosen = options[choice.index]
    channel.post("judge", choice.completion.text or str(chosen), answer=chosen,
                 **_Calls.meta(choice.completion, judge))
    return chosen, {"options": options, "chosen": chosen, "called": True, "attempts": len(attempts)}


async def run_debates(questions: Sequence[Question], models: LanguageModel | Sequence[LanguageModel],
                      settings: DebateSettings | None = None, *, judge: LanguageModel | None = None, seed: int = 0,
                      monitors: Sequence[Monitor] = (), concurrency: int = 8,
                      on_result: Callable[[DebateResult], None] | None = None,
                      resumed: Callable[[int, Question], DebateResult | None] | None = None) -> list[DebateResult]:
    """Debate every question, ``concurrency`` questions at a time; results in question order.

    ``on_result`` is called as each question finishes (the experiment writes its
    transcript and metrics row at once, so an interrupted run keeps finished work).
    ``resumed(k, question)`` may return the question's result from an earlier run: it is
    used as it is (no call, no ``on_result``); questions keep their index, hence their seeds.
    """
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(k: int, q: Question) -> DebateResult:
        kept = resumed(k, q) if resumed is not None else None
        if kept is not None:
            return kept
        async with gate:
            res = await debate_question(q, models, settings, judge=judge, seed=seed, index=k, monitors=monitors)
        if on_result is not None:
            on_result(res)
        return res

    return list(await asyncio.gather(*(one(k, q) for k, q in enumerate(questions))))
