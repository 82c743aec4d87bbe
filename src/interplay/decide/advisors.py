"""Advisors: people at a terminal, LLM agents, policies and fixed heuristics.

One protocol for the role: ``advise(question, rng) -> Advice`` (a ranking of the
options, best first, ties allowed, and the distribution over options it recommends;
EXP4 reads the distribution, votes read the ranking, Hedge and EXP3 follow the top),
and ``observe(question, losses)`` after the round (for advisors that learn). A voter in
a one-off decision is an advisor too: its ranking is its ballot. In a match, an advisor is a
:class:`~interplay.agents.protocol.Player` like every other thing that acts turn by turn
(:class:`AdvisorPlayer`: it plays the move it advises).

Origins of the heuristics: the noisy oracle is the standard "expert of accuracy p"
model of the prediction-with-expert-advice literature (Cesa-Bianchi and Lugosi 2006,
ch. 2); fictitious play is Brown (1951); Cournot best response answers the last move.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

import numpy as np

from interplay.agents.protocol import Decision, View
from interplay.decide.tasks import DecisionQuestion
from interplay.errors import InterplayError


@dataclass(frozen=True)
class Advice:
    """An advisor's ranking (tiers, best first) and recommended distribution over options."""

    advisor: str
    ranking: tuple[tuple[str, ...], ...]
    probs: tuple[float, ...]
    meta: tuple[tuple[str, Any], ...] = field(default=())
    approvals: frozenset[str] | None = None  # approval ballots (a voter that approves, not ranks)
    scores: tuple[tuple[str, int], ...] | None = None  # 0..5 grades (score, STAR, majority judgement)

    @property
    def top(self) -> tuple[str, ...]:
        return self.ranking[0] if self.ranking else ()

    def as_dict(self) -> dict[str, Any]:
        return {"advisor": self.advisor, "ranking": [list(t) for t in self.ranking],
                "probs": list(self.probs), **dict(self.meta)}


def make_advice(advisor: str, options: Sequence[str], ranking: Sequence[Sequence[str]] | Sequence[str],
                probs: Sequence[float] | None = None, meta: Mapping[str, Any] | None = None) -> Advice:
    """Advice from a ranking (names or tie groups); ``probs`` default: uniform over the top tier.

    Options left out of the ranking are appended as one last tier.
    """
    tiers = [tuple([t]) if isinstance(t, str) else tuple(t) for t in ranking]
    listed = {o for t in tiers for o in t}
    rest = tuple(o for o in options if o not in listed)
    if rest:
        tiers.append(rest)
    if probs is None:
        top = set(tiers[0])
        p = np.array([1.0 if o in top else 0.0 for o in options])
        p /= p.sum()
    else:
        p = np.asarray(probs, dtype=float)
    return Advice(advisor, tuple(tiers), tuple(float(x) for x in p), tuple((meta or {}).items()))


class Advisor(Protocol):
    """What the group asks each round (see the module docstring); in a match an advisor is a
    :class:`~interplay.agents.protocol.Player` through :class:`AdvisorPlayer`."""

    name: str
    kind: str

    def advise(self, question: DecisionQuestion, rng: np.random.Generator) -> Advice: ...

    def observe(self, question: DecisionQuestion, losses: np.ndarray) -> None: ...


class AdvisorPlayer:
    """An advisor as a :class:`~interplay.agents.protocol.Player`, the one turn-by-turn contract: it
    can sit in any match (:func:`~interplay.agents.match.play_match`, a round robin) and play.

    Each turn the advisor is asked the seat's decision (:func:`~interplay.decide.tasks.view_question`:
    what a :class:`~interplay.decide.tasks.GameTask` asks, so policy and best-response advisors
    read the history) and the move is drawn from the distribution it recommends, as a group
    following it plays. The generator is seeded by the match seed, the seat and the round, so a
    match is reproducible and the player holds no state (outcomes are in the next view; advisors
    that learn from ``observe`` are not told the losses of a match). Advisors that wait on a person
    or a model are asked in a worker thread, so the other matches go on. The decision's ``text``
    is the advised ranking; ``fallback`` when the advisor's first place was its fallback.
    """

    def __init__(self, advisor: Advisor) -> None:
        self.advisor = advisor
        self.name = advisor.name

    async def act(self, view: View) -> Decision:
        import asyncio

        from interplay.decide.tasks import view_question

        question = view_question(view)
        rng = np.random.default_rng([view.seed, view.seat, view.round, 13])
        advice = await asyncio.to_thread(self.advisor.advise, question, rng)
        p = np.asarray(advice.probs, dtype=float)
        action = int(rng.choice(len(p), p=p / p.sum()))
        meta = dict(advice.meta)
        fallback = bool(meta.get("fallback")) or any(f.get("place") == 1 for f in meta.get("fallback_places", ()))
        return Decision(action=action, text=" > ".join(" = ".join(t) for t in advice.ranking), fallback=fallback,
                        reason=meta.get("reason"), invalid=int(meta.get("invalid_answers", 0)),
                        meta={"advice": advice.as_dict()})


class _Base:
    kind = "advisor"

    def __init__(self, name: str) -> None:
        self.name = name

    def observe(self, question: DecisionQuestion, losses: np.ndarray) -> None:
        return None

    def describe(self) -> str:
        return self.kind


def _rest_random(options: Sequence[str], first: str, rng: np.random.Generator) -> list[str]:
    rest = [o for o in options if o != first]
    return [first, *[rest[i] for i in rng.permutation(len(rest))]]


def _needs_losses(q: DecisionQuestion, who: str) -> tuple[float, ...]:
    if q.losses is None:
        raise InterplayError(f"advisor {who!r} needs questions with known outcomes; this task reveals them "
                             "only after the decision (e.g. a game): use a policy advisor.")
    return q.losses


class FixedRanking(_Base):
    """Always the same ranking (a scripted person or a fixed preference)."""

    kind = "scripted"

    def __init__(self, name: str, ranking: Sequence[Sequence[str] | str] | None = None, *,
                 approvals: Sequence[str] | None = None, scores: Mapping[str, int] | None = None) -> None:
        super().__init__(name)
        if ranking is None and approvals is None and scores is None:
            raise InterplayError(f"advisor {name!r}: give a ranking, approvals or scores.")
        self.ranking = None if ranking is None else list(ranking)
        self.approvals = None if approvals is None else frozenset(approvals)
        self.scores = None if scores is None else dict(scores)

    def advise(self, question: DecisionQuestion, rng: np.random.Generator) -> Advice:
        named = [o for t in self.ranking or [] for o in ([t] if isinstance(t, str) else t)]
        named += sorted(self.approvals or ()) + list(self.scores or {})
        bad = sorted({o for o in named if o not in question.options})
        if bad:
            raise InterplayError(f"advisor {self.name!r}: option(s) {bad} not among {list(question.options)}.")
        ranking: list[Any]
        if self.ranking is not None:
            ranking = self.ranking
        elif self.scores is not None:  # equal grades tie; ungraded options come last
            grades = sorted(set(self.scores.values()), reverse=True)
            ranking = [[o for o in question.options if self.scores.get(o) == g] for g in grades]
        else:
            ranking = [[o for o in question.options if o in (self.approvals or ())]] if self.approvals else []
        advice = make_advice(self.name, question.options, ranking or [list(question.options)])
        scores = None if self.scores is None else tuple((o, int(s)) for o, s in self.scores.items())
        return dataclasses.replace(advice, approvals=self.approvals, scores=scores)


class Recorded(_Base):
    """The advice recorded under this advisor's name in each question (JSONL ``advice``)."""

    kind = "recorded"

    def advise(self, question: DecisionQuestion, rng: np.random.Generator) -> Advice:
        r = question.recorded(self.name)
        if r is None:
            raise InterplayError(f"advisor {self.name!r}: question {question.id!r} has no recorded advice for it.")
        return make_advice(self.name, question.options, r)


class Oracle(_Base):
    """A noisy oracle: suggests a best option with probability ``accuracy``, else a random other one.

    ``accuracy`` may be a schedule ``[[from_round, p], ...]`` (1-based rounds), to model
    an advisor whose reliability changes.
    """

    kind = "oracle"

    def __init__(self, name: str, accuracy: float | Sequence[Sequence[float]]) -> None:
        super().__init__(name)
        if isinstance(accuracy, int | float):
            self.schedule = [(1, float(accuracy))]
        else:
            self.schedule = sorted((int(r), float(p)) for r, p in accuracy)
        if not self.schedule or any(not 0 <= p <= 1 for _, p in self.schedule):
            raise InterplayError(f"advisor {name!r}: accuracy must be in [0, 1] (or [[round, p], ...]).")

    def accuracy_at(self, round_: int) -> float:
        p = self.schedule[0][1]
        for r, q in self.schedule:
            if round_ >= r:
                p = q
        return p

    def advise(self, question: DecisionQuestion, rng: np.random.Generator) -> Advice:
        losses = np.asarray(_needs_losses(question, self.name))
        best = np.flatnonzero(losses == losses.min())
        others = np.flatnonzero(losses != losses.min())
        round_ = int(question.ctx.get("round", 1))
        right = rng.random() < self.accuracy_at(round_) or len(others) == 0
        pick = int(rng.choice(best if right else others))
        return make_advice(self.name, question.options, _rest_random(question.options, question.options[pick], rng))

    def describe(self) -> str:
        return "oracle, accuracy " + ", ".join(f"{p:g} from round {r}" for r, p in self.schedule)


class Constant(_Base):
    """Always suggests the same option."""

    kind = "constant"

    def __init__(self, name: str, option: str) -> None:
        super().__init__(name)
        self.option = option

    def advise(self, question: DecisionQuestion, rng: np.random.Generator) -> Advice:
        if self.option not in question.options:
            raise InterplayError(f"advisor {self.name!r}: option {self.option!r} not among {list(question.options)}.")
        return make_advice(self.name, question.options, _rest_random(question.options, self.option, rng))


class UniformRandom(_Base):
    """A uniformly random ranking."""

    kind = "random"

    def advise(self, question: DecisionQuestion, rng: np.random.Generator) -> Advice:
        order = [question.options[i] for i in rng.permutation(len(question.options))]
        return make_advice(self.name, question.options, order)


class Contrarian(_Base):
    """Ranks the options worst first (knows the outcome; an adversarial advisor)."""

    kind = "contrarian"

    def advise(self, question: DecisionQuestion, rng: np.random.Generator) -> Advice:
        losses = np.asarray(_needs_losses(question, self.name))
        order = np.lexsort((rng.random(len(losses)), -losses))
        return make_advice(self.name, question.options, [question.options[i] for i in order])


class MemoryOnePolicy(_Base):
    """A memory-one policy of a 2x2 game task (e.g. Tit For Tat) suggesting our move.

    Reads the last joint action from the question's context (our move first); suggests
    action 0 with the policy's probability for that state.
    """

    kind = "policy"

    def __init__(self, name: str, policy: str | Sequence[float]) -> None:
        from interplay.agents.memory_one import memory_one_probs

        super().__init__(name)
        self.policy_name = policy if isinstance(policy, str) else "memory-one " + str(list(policy))
        self.p = memory_one_probs(policy, where=f"advisor {name!r}")

    def advise(self, question: DecisionQuestion, rng: np.random.Generator) -> Advice:
        if len(question.options) != 2 or "last_index" not in question.ctx:
            raise InterplayError(f"advisor {self.name!r}: a memory-one policy advises in 2x2 game tasks only.")
        last = question.ctx["last_index"]
        state = 0 if last is None else 1 + 2 * int(last[0]) + int(last[1])
        p0 = float(self.p[state])
        move = 0 if rng.random() < p0 else 1
        order = [question.options[move], question.options[1 - move]]
        return make_advice(self.name, question.options, order, probs=[p0, 1 - p0])

    def describe(self) -> str:
        return f"policy {self.policy_name}"


class BestResponse(_Base):
    """Best response in a game task: to the opponent's empirical mix (fictitious play, Brown
    1951) or, with ``memory="last"``, to its last move (Cournot). Needs the game's payoffs."""

    kind = "best-response"

    def __init__(self, name: str, utility: np.ndarray, memory: str = "all") -> None:
        super().__init__(name)
        if memory not in ("all", "last"):
            raise InterplayError(f"advisor {name!r}: memory must be 'all' or 'last', got {memory!r}.")
        self.u = np.asarray(utility, dtype=float)
        self.memory = memory

    def advise(self, question: DecisionQuestion, rng: np.random.Generator) -> Advice:
        ctx = question.ctx
        if "opponent_counts" not in ctx:
            raise InterplayError(f"advisor {self.name!r}: best response advises in game tasks only.")
        counts = np.asarray(ctx["opponent_counts"], dtype=float)
        if self.memory == "last" and ctx.get("last_index") is not None:
            counts = np.zeros_like(counts)
            counts[int(ctx["last_index"][1])] = 1.0
        belief = counts / counts.sum() if counts.sum() > 0 else np.full(len(counts), 1 / len(counts))
        ev = self.u @ belief
        order = np.lexsort((rng.random(len(ev)), -ev))
        tiers: list[list[str]] = []
        prev: float | None = None
        for i in order:
            if prev is not None and np.isclose(ev[i], prev):
                tiers[-1].append(question.options[i])
            else:
                tiers.append([question.options[i]])
            prev = float(ev[i])
        return make_advice(self.name, question.options, tiers)


class Human(_Base):
    """A person at a terminal: shown the question and options, types a ranking.

    Accepts an option's number or name for a single choice, or a ranking such as
    ``B > A > C`` (``=`` ties: ``B > A = C``). Re-asks on bad input (up to ``retries``).
    ``stdin``/``stdout`` can be any text streams (tests pass StringIO).
    """

    kind = "human"

    def __init__(self, name: str, stdin: IO[str] | None = None, stdout: IO[str] | None = None,
                 retries: int = 5) -> None:
        super().__init__(name)
        self.stdin = stdin
        self.stdout = stdout
        self.retries = retries

    def parse(self, text: str, options: Sequence[str]) -> list[list[str]]:
        by_name = {o.lower(): o for o in options}
        tiers: list[list[str]] = []
        seen: set[str] = set()
        for part in text.split(">"):
            tier = []
            for tok in part.split("="):
                t = tok.strip()
                if not t:
                    raise ValueError("empty item")
                if t.isdigit() and 1 <= int(t) <= len(options):
                    o = options[int(t) - 1]
                elif t.lower() in by_name:
                    o = by_name[t.lower()]
                else:
                    raise ValueError(f"{t!r} is not an option")
                if o in seen:
                    raise ValueError(f"{o!r} given twice")
                seen.add(o)
                tier.append(o)
            tiers.append(tier)
        return tiers

    def advise(self, question: DecisionQuestion, rng: np.random.Generator) -> Advice:
        from interplay.agents.human import Terminal

        term = Terminal.from_streams(f"advisor {self.name!r}", self.stdin or sys.stdin, self.stdout or sys.stdout,
                                     eof="input ended before an answer was given.")
        term.tell(f"\n[{self.name}] {question.prompt or question.id}")
        for i, o in enumerate(question.options, 1):
            term.tell(f"  {i}. {o}")
        typed: list[str] = []

        def ranking(text: str) -> list[list[str]]:
            typed.append(text)
            return self.parse(text, question.options)

        tiers = term.choose("Your choice (number or name; or a ranking like 2 > 1 = 3): ", ranking,
                            tries=self.retries, complaint=lambda exc: f"  not understood: {exc}.",
                            exhausted=lambda _: InterplayError(f"advisor {self.name!r}: no valid answer after "
                                                               f"{self.retries} tries."))
        return make_advice(self.name, question.options, tiers, meta={"typed": typed[-1]})


class WebAdvisor(_Base):
    """A person advising from a web page (a seat of ``interplay serve``; :mod:`interplay.agents.people`).

    The page shows the question and the options; the person ranks them (best first), approves
    some (approved > the rest), or scores each 0-10 (tiers by score; equal scores tie). A person
    silent past the seat's time abstains: all options tied (it moves no rule), with
    ``fallback: true`` in the advice's meta, and the seat's fallback count in results.json.
    """

    kind = "human"

    def __init__(self, name: str, seat: Any) -> None:
        super().__init__(name)
        self.seat = seat

    @staticmethod
    def tiers(posted: Mapping[str, Any], options: Sequence[str]) -> list[list[str]]:
        """The ranking (tie groups, best first) of a posted answer; ``ValueError`` names what is wrong."""
        mode = posted.get("mode")
        known = set(options)
        if mode == "rank":
            ranking = posted.get("ranking")
            if not isinstance(ranking, list) or sorted(map(str, ranking)) != sorted(options) or len(ranking) != len(
                    options):
                raise ValueError(f"ranking must list every option once, got {ranking!r}")
            return [[str(o)] for o in ranking]
        if mode == "approve":
            approved = posted.get("approved")
            if not isinstance(approved, list) or not set(map(str, approved)) <= known or len(set(approved)) != len(
                    approved):
                raise ValueError(f"approved must be a list of distinct options, got {approved!r}")
            top = [o for o in options if o in approved]
            rest = [o for o in options if o not in approved]
            return [t for t in (top, rest) if t]
        if mode == "score":
            scores = posted.get("scores")
            if not isinstance(scores, dict) or set(scores) != known:
                raise ValueError(f"scores must give every option a score, got {scores!r}")
            for o, v in scores.items():
                if isinstance(v, bool) or not isinstance(v, int | float) or v != int(v) or not 0 <= v <= 10:
                    raise ValueError(f"score of {o!r} must be a whole number from 0 to 10, got {v!r}")
            levels = sorted({float(v) for v in scores.values()}, reverse=True)
            return [[o for o in options if float(scores[o]) == lv] for lv in levels]
        raise ValueError(f"mode must be 'rank', 'approve' or 'score', got {mode!r}")

    def advise(self, question: DecisionQuestion, rng: np.random.Generator) -> Advice:
        from interplay.agents.people import Silent

        options = list(question.options)

        scores: dict[str, float] = {}
        approved: list[str] = []

        def validate(posted: dict[str, Any]) -> tuple[list[list[str]], str]:
            tiers = self.tiers(posted, options)
            if posted["mode"] == "score":
                scores.update(posted["scores"])
            if posted["mode"] == "approve":
                approved[:] = [str(o) for o in posted["approved"]]
            posted["_shown"] = " > ".join(" = ".join(t) for t in tiers)
            posted["_title"] = str(question.id)
            return tiers, str(posted["mode"])

        try:
            tiers, mode = self.seat.request({"kind": "advise", "prompt": question.prompt or str(question.id),
                                             "options": options}, validate)
        except Silent as exc:
            return make_advice(self.name, options, [options], meta={"fallback": True, "reason": str(exc)})
        advice = make_advice(self.name, options, tiers, meta={"mode": mode})
        if mode == "approve":  # approval voting reads the approvals, score voting the scores
            return dataclasses.replace(advice, approvals=frozenset(approved))
        if mode == "score":
            return dataclasses.replace(advice, scores=tuple((o, int(sc)) for o, sc in scores.items()))
        return advice


def person_advisor(name: str) -> _Base:
    """A ``type: human`` advisor: at a web seat while ``interplay serve`` runs, else at the terminal."""
    from interplay.agents.people import active_hub

    hub = active_hub()
    return WebAdvisor(name, hub.seat(name, "advisor")) if hub is not None else Human(name)


LLM_SYSTEM = "You are {name}, one of several advisors helping a group decide. {persona}"
LLM_FIRST = ("{prompt}\n\nThe options are:\n{listing}\n\n"
             "Which option do you recommend most? Answer with the option's name only.")
LLM_NEXT = "Of the remaining options ({remaining}), which do you recommend most? Answer with the option's name only."


class LLMAdvisor(_Base):
    """An LLM agent that ranks the options through the LLM layer (``interplay.llm``).

    The ranking is elicited one place at a time, as a conversation: the model picks
    its favourite among the options (a constrained ``choose`` call: a JSON-schema enum
    on HTTP servers, option log-likelihoods on local models), then its favourite among
    the rest, and so on; the last option is ranked last. Since the order in which
    options are shown changes LLM answers (position bias; Zheng et al. 2023, "Judging
    LLM-as-a-judge"), the order is shuffled per advisor and per question with the
    round's seeded generator, and recorded in the advice (``ballot_order``, and
    ``first_pick_position``: where in the shown list its first pick stood), together
    with the calls' token counts.

    An answer naming none of the remaining options (e.g. one already ranked) is re-asked
    up to ``max_reasks`` times, quoting the answer and the remaining options, with a new
    seed; then the advisor's ``fallback`` picks that place (``random``: uniformly among
    the remaining options, from the round's generator; ``shown``: the first remaining
    option in the order shown) and the advice records it (``fallbacks``). A call that
    fails for good falls back too (``on_error: fallback``) or stops the run
    (``on_error: stop``). :attr:`counts` holds the advisor's answers, invalid ones by
    reason, re-asks, decisions (places ranked by the model or its fallback) and fallbacks.
    """

    kind = "llm"

    def __init__(self, name: str, model: Any, *, persona: str = "", temperature: float = 0.0,
                 shuffle: bool = True, max_reasks: int = 2, system: str = LLM_SYSTEM, fallback: str = "random",
                 on_error: str = "fallback") -> None:
        from interplay.talk.answers import AnswerCounts

        super().__init__(name)
        if fallback not in ("random", "shown"):
            raise InterplayError(f"advisor {name!r}: fallback must be 'random' or 'shown', got {fallback!r}.")
        if on_error not in ("stop", "fallback"):
            raise InterplayError(f"advisor {name!r}: on_error must be 'stop' or 'fallback', got {on_error!r}.")
        self.model = model
        self.persona = persona
        self.temperature = temperature
        self.shuffle = shuffle
        self.max_reasks = max_reasks
        self.system = system
        self.fallback = fallback
        self.on_error = on_error
        self.counts = AnswerCounts()
        self.first_picks: list[tuple[int, int]] = []  # (position of the first pick in the shown order, options)

    @property
    def calls(self) -> int:
        return self.counts.calls

    @property
    def tokens(self) -> int:
        return self.counts.tokens

    def _choose(self, messages: list[dict[str, str]], options: list[str], seed: int) -> tuple[Any, list[Any]]:
        from interplay.llm.base import run_sync
        from interplay.talk.answers import choose_with_reasks

        return run_sync(choose_with_reasks(self.model, messages, options, counts=self.counts, seed=seed,
                                           temperature=self.temperature, max_reasks=self.max_reasks,
                                           on_error=self.on_error))

    def advise(self, question: DecisionQuestion, rng: np.random.Generator) -> Advice:
        opts = list(question.options)
        order = [opts[i] for i in rng.permutation(len(opts))] if self.shuffle else opts
        seed = int(rng.integers(2**31 - 1))
        messages = [{"role": "system", "content": self.system.format(name=self.name, persona=self.persona).strip()},
                    {"role": "user", "content": LLM_FIRST.format(
                        prompt=question.prompt.strip() or f"Decision {question.id}.",
                        listing="\n".join(f"- {o}" for o in order))}]
        ranking: list[str] = []
        remaining = list(order)
        before = (self.counts.calls, self.counts.tokens, self.counts.invalid, self.counts.reasks,
                  self.counts.fallbacks)
        fell_back: list[dict[str, Any]] = []
        while len(remaining) > 1:
            self.counts.decisions += 1
            choice, attempts = self._choose(messages, remaining, seed)
            if choice is None:  # the fallback ranks this place
                self.counts.fallbacks += 1
                pick = remaining[int(rng.integers(len(remaining)))] if self.fallback == "random" else remaining[0]
                fell_back.append({"place": len(ranking) + 1, "pick": pick, "after": attempts[-1]["invalid"]
                                  if attempts else "no answer", "answers": [a["text"] for a in attempts]})
            else:
                pick = remaining[choice.index]
            if not ranking:
                self.first_picks.append((order.index(pick), len(order)))
            ranking.append(pick)
            remaining.remove(pick)
            messages = [*messages, {"role": "assistant", "content": pick}]
            if len(remaining) > 1:
                messages.append({"role": "user", "content": LLM_NEXT.format(remaining=", ".join(remaining))})
        ranking.extend(remaining)
        c = self.counts
        meta = {"ballot_order": order, "first_pick_position": order.index(ranking[0]) + 1,
                "llm_calls": c.calls - before[0], "llm_tokens": c.tokens - before[1],
                "invalid_answers": c.invalid - before[2], "reasks": c.reasks - before[3],
                "fallbacks": c.fallbacks - before[4], "model": getattr(self.model, "name", "?")}
        if fell_back:
            meta["fallback_places"] = fell_back
        return make_advice(self.name, question.options, ranking, meta=meta)

    def describe(self) -> str:
        return f"LLM {getattr(self.model, 'name', '?')}"
