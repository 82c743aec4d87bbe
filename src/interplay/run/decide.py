"""The ``decide`` experiment: a mixture of experts (people, LLM agents, policies,
heuristics) advising one decision or a sequence of decisions.

* ``task.type: question`` -- one decision by vote: winners under each rule, the
  Condorcet winner or the majority cycle, the axioms each rule's result violates on
  this profile, pivotal voters, and each advisor's Shapley value, Banzhaf value and
  leave-one-out for the quality of the decision (when the options' quality is given).
* ``task.type: jsonl | generated | game`` -- online: Hedge, EXP3, EXP4 and vote
  baselines learn whom to trust; regret against the best advisor, weights over time,
  and the importance of each advisor per round and over the run.

See docs/decide.md.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

import numpy as np
from pydantic import Field, field_validator, model_validator

from interplay.decide.axioms import DEFAULT_AXIOMS
from interplay.decide.rules import DEFAULT_RULES
from interplay.errors import InterplayError
from interplay.run.accounting import fmt_rate, fmt_value
from interplay.run.config import BudgetConfig, ExperimentConfig, GameConfig, Strict
from interplay.run.context import RunContext
from interplay.run.experiments import experiment

T = TypeVar("T")

AdvisorType = Literal["scripted", "recorded", "oracle", "constant", "random", "contrarian", "policy",
                      "best-response", "human", "llm"]

_NEEDS: dict[str, str] = {"scripted": "ranking", "oracle": "accuracy", "constant": "option", "policy": "policy",
                          "llm": "model"}


class AdvisorConfig(Strict):
    """One advisor (or voter). ``type`` picks the kind; the fields it needs are named below."""

    name: str = Field(description="display name, unique")
    type: AdvisorType = Field(description="scripted | recorded | oracle | constant | random | contrarian | "
                                          "policy | best-response | human | llm")
    weight: float = Field(default=1.0, gt=0, le=1e6, description="voting weight (2 counts as two voters)")
    ranking: list[str | list[str]] | None = Field(default=None, description="scripted: fixed ranking, best first")
    approvals: list[str] | None = Field(default=None, description="scripted: approved options (approval voting)")
    scores: dict[str, int] | None = Field(default=None, description="scripted: grades 0..5 per option (score, STAR)")
    accuracy: float | list[list[float]] | None = Field(
        default=None, description="oracle: P(suggests a best option), or a schedule [[from_round, p], ...]")
    option: str | None = Field(default=None, description="constant: the option it always suggests")
    policy: str | list[float] | None = Field(default=None,
                                             description="policy: memory-one strategy name or 5 probabilities")
    memory: Literal["all", "last"] = Field(default="all",
                                           description="best-response: to the empirical mix or the last move")
    model: dict[str, Any] | str | None = Field(default=None,
                                               description="llm: model mapping or YAML path (docs/llm.md)")
    persona: str = Field(default="", description="llm: who this advisor is, added to its system prompt")
    temperature: float = Field(default=0.0, ge=0, description="llm: sampling temperature")
    shuffle: bool = Field(default=True, description="llm: shuffle the option order per question (recorded)")
    max_reasks: int = Field(default=2, ge=0, le=10,
                            description="llm: re-asks after an answer naming no remaining option")
    fallback: Literal["random", "shown"] = Field(
        default="random",
        description="llm: who ranks a place after the re-asks: a random remaining option, or the first "
                              "remaining one in the order shown (recorded as a fallback either way)")
    on_error: Literal["stop", "fallback"] = Field(
        default="fallback", description="llm: when a call fails for good: stop the run, or let the fallback rank")
    max_tokens: int | None = Field(default=None, ge=1, description="llm: longest answer to a choice call (the model's "
                                                           "choice_max_tokens)")

    @field_validator("accuracy")
    @classmethod
    def _accuracy(cls, v: float | list[list[float]] | None) -> float | list[list[float]] | None:
        if isinstance(v, list):
            for i, entry in enumerate(v):
                if len(entry) != 2 or entry[0] != int(entry[0]) or entry[0] < 1 or not 0 <= entry[1] <= 1:
                    raise ValueError(f"schedule entry {i} must be [from_round (a whole number >= 1), p in [0, 1]], "
                                     f"got {entry}")
        elif v is not None and not 0 <= v <= 1:
            raise ValueError(f"must be in [0, 1], got {v}")
        return v

    @model_validator(mode="after")
    def _fields(self) -> AdvisorConfig:
        need = _NEEDS.get(self.type)
        if self.type == "scripted" and (self.approvals is not None or self.scores is not None):
            need = None
        if need is not None and getattr(self, need) is None:
            raise ValueError(f"advisor {self.name!r} of type {self.type!r} needs `{need}`")
        return self


class TaskConfig(Strict):
    """What is decided: one question, a JSONL file, a generated sequence, or plays of a game."""

    type: Literal["question", "jsonl", "generated", "game"] = "question"
    prompt: str = Field(default="", description="question: the question put to the advisors")
    options: list[str] | None = Field(default=None, description="question / generated: the options")
    quality: dict[str, float] | None = Field(
        default=None, description="question: quality of each option in [0, 1], known afterwards (for Shapley)")
    path: str | None = Field(default=None, description="jsonl: decisions file (see docs/decide.md)")
    rounds: int = Field(default=200, ge=1, description="generated / game: number of rounds")
    loss_noise: float = Field(default=0.0, ge=0, le=1, description="generated: uniform noise mixed into the losses")
    game: GameConfig | None = Field(default=None, description="game: the registered 2-player game")
    opponent: str | list[float] = Field(default="Tit For Tat", description="game: memory-one name/5 probs, or a mixed "
                                                                  "strategy")
    seat: int = Field(default=0, ge=0, le=1, description="game: which seat the group plays")

    @model_validator(mode="after")
    def _fields(self) -> TaskConfig:
        if self.type == "question" and not self.options:
            raise ValueError("a question task needs `options`")
        if self.type == "jsonl" and not self.path:
            raise ValueError("a jsonl task needs `path`")
        if self.type == "game" and self.game is None:
            raise ValueError("a game task needs `game: {id: ...}`")
        if self.quality is not None:
            bad = {k: v for k, v in self.quality.items() if not 0 <= v <= 1}
            if bad:
                raise ValueError(f"quality must lie in [0, 1], got {bad}")
        return self


class DecideConfig(ExperimentConfig):
    """Aggregating advice: votes, online weighting, importance of each advisor."""

    kind: Literal["decide"] = "decide"
    task: TaskConfig = Field(description="what is decided (type: question, jsonl, generated or game)")
    advisors: list[AdvisorConfig] = Field(description="the advisors (voters)")
    rules: list[str] = Field(default_factory=lambda: list(DEFAULT_RULES), description="voting rules reported")
    axioms: list[str] = Field(default_factory=lambda: list(DEFAULT_AXIOMS), description="pref_voting axioms checked")
    importance_rule: str = Field(default="borda", description="the rule whose decision quality Shapley values explain "
                                                      "(online default: plurality of suggestions)")
    learners: list[str] = Field(default_factory=lambda: ["hedge", "exp3", "exp4", "vote:plurality", "uniform"],
                                description="online: hedge, exp3, exp4, uniform, vote:RULE")
    learning_rate: float | None = Field(default=None, gt=0,
                                        description="online: fixed rate (default: the standard ones)")
    exact_max: int = Field(default=15, ge=1, le=22,
                           description="exact Shapley up to this many advisors, else Monte Carlo")
    samples: int = Field(default=2000, ge=10, description="Monte Carlo permutations")
    confidence: float = Field(default=0.95, gt=0, lt=1, description="confidence of the Hoeffding intervals")
    cache: str | None = Field(default=None, description="LLM answer cache (SQLite file)")
    budget: BudgetConfig | None = Field(default=None, description="LLM budget: max_calls, max_tokens, max_cost")

    resumable = True

    def resumes_units(self) -> bool:
        # an online task's learner passes are independent units; LLM advisors' answer accounting is
        # summed over every pass, so with them a resume redoes the passes (answers from the cache)
        return self.task.type != "question" and not any(a.type == "llm" for a in self.advisors)

    def check(self) -> None:
        from interplay.decide.axioms import get_axiom
        from interplay.decide.rules import get_rule

        names = [a.name for a in self.advisors]
        if len(names) < 2:
            raise InterplayError("advisors: give at least 2 advisors.")
        if len(set(names)) != len(names):
            raise InterplayError(f"advisors: names must be distinct, got {names}.")
        for r in [*self.rules, self.importance_rule]:
            get_rule(r)
        for a in self.axioms:
            get_axiom(a)
        if self.task.type == "question":
            opts = self.task.options or []
            for adv in self.advisors:
                for item in adv.ranking or []:
                    for o in [item] if isinstance(item, str) else item:
                        if o not in opts:
                            raise InterplayError(f"advisors.{adv.name}.ranking: unknown option {o!r} "
                                                 f"(options: {', '.join(opts)}).")
            if self.task.quality is not None and set(self.task.quality) != set(opts):
                missing = [o for o in opts if o not in self.task.quality]
                unknown = [k for k in self.task.quality if k not in opts]
                raise InterplayError(f"task.quality must give every option {opts} a value"
                                     + (f"; missing: {missing}" if missing else "")
                                     + (f"; not an option: {unknown}" if unknown else "") + ".")
        if self.task.type == "game":
            _given(self.task.game, "task.game").make()


# -- building --------------------------------------------------------------------------


def _given(value: T | None, where: str) -> T:
    """A field its type requires (the validators above check it; this says so to the type checker)."""
    if value is None:
        raise InterplayError(f"{where} is required here.")
    return value


def build_task(cfg: DecideConfig) -> Any:
    from interplay.decide.tasks import GameTask, SequenceTask, generate_task, load_jsonl

    t = cfg.task
    if t.type == "jsonl":
        return SequenceTask(load_jsonl(_given(t.path, "task.path")), name=str(t.path))
    if t.type == "generated":
        return generate_task(t.rounds, tuple(t.options or ("A", "B", "C")), seed=cfg.seed, loss_noise=t.loss_noise)
    if t.type == "game":
        game = _given(t.game, "task.game")
        return GameTask(game.id, game.params, rounds=t.rounds, seat=t.seat, opponent=t.opponent)
    raise InterplayError(f"task type {t.type!r} is not a sequence.")


class _Models:
    """Builds each LLM advisor's model once, recording every call in the run directory."""

    def __init__(self, cfg: DecideConfig, ctx: RunContext) -> None:
        self.cfg, self.ctx = cfg, ctx
        self.made: dict[str, Any] = {}
        self.advisors: list[list[Any]] = []  # every set of advisors built (one per online learner pass)

    def get(self, adv: AdvisorConfig) -> Any:
        """The advisor's own model (from the run's resources: cache, budget, record)."""
        if adv.name not in self.made:
            cap = {} if adv.max_tokens is None else {"choice_max_tokens": adv.max_tokens}
            self.made[adv.name] = self.ctx.resources.model(adv.model, key=adv.name, options=cap)
        return self.made[adv.name]


def build_advisors(cfg: DecideConfig, task: Any, models: _Models) -> list[Any]:
    from interplay.decide import advisors as A

    out = []
    for a in cfg.advisors:
        if a.type == "scripted":
            out.append(A.FixedRanking(a.name, a.ranking, approvals=a.approvals, scores=a.scores))
        elif a.type == "recorded":
            out.append(A.Recorded(a.name))
        elif a.type == "oracle":
            out.append(A.Oracle(a.name, _given(a.accuracy, f"advisors.{a.name}.accuracy")))
        elif a.type == "constant":
            out.append(A.Constant(a.name, _given(a.option, f"advisors.{a.name}.option")))
        elif a.type == "random":
            out.append(A.UniformRandom(a.name))
        elif a.type == "contrarian":
            out.append(A.Contrarian(a.name))
        elif a.type == "policy":
            out.append(A.MemoryOnePolicy(a.name, _given(a.policy, f"advisors.{a.name}.policy")))
        elif a.type == "best-response":
            if not hasattr(task, "utility"):
                raise InterplayError(f"advisor {a.name!r}: best-response needs a game task.")
            out.append(A.BestResponse(a.name, task.utility, a.memory))
        elif a.type == "human":
            out.append(A.person_advisor(a.name))
        else:
            out.append(A.LLMAdvisor(a.name, models.get(a), persona=a.persona, temperature=a.temperature,
                                    shuffle=a.shuffle, max_reasks=a.max_reasks, fallback=a.fallback,
                                    on_error=a.on_error))
    models.advisors.append(out)
    return out


# -- the experiment ----------------------------------------------------------------------


@experiment("decide", DecideConfig)
def run_decide(cfg: DecideConfig, ctx: RunContext) -> None:
    import matplotlib

    matplotlib.use("Agg")
    models = _Models(cfg, ctx)
    try:
        if cfg.task.type == "question":
            _run_question(cfg, ctx, models)
        else:
            _run_online(cfg, ctx, models)
        _llm_accounting(ctx, models)
    finally:
        if models.made:
            ctx.results["llm"] = {n: m.totals.as_dict() for n, m in models.made.items() if hasattr(m, "totals")}


def _llm_accounting(ctx: RunContext, models: _Models) -> None:
    """Per LLM advisor: answers, invalid ones, re-asks, fallbacks (all passes), and position bias (first pass)."""
    from interplay.run.accounting import add_accounting, add_warnings, fallback_warnings, from_counts
    from interplay.talk.answers import merge_counts

    llm = [[a for a in group if getattr(a, "kind", "") == "llm"] for group in models.advisors]
    ctx.results.setdefault("warnings", [])
    if not llm or not llm[0]:
        return
    counts = merge_counts([{a.name: a.counts for a in group} for group in llm])
    acc = from_counts(counts, deciders=list(counts))
    passes = len(llm)
    fallbacks = {a.name: a.fallback for a in llm[0]}
    add_warnings(ctx, fallback_warnings(acc, fallbacks))
    add_accounting(ctx, acc, title="LLM advisors: answers, invalid, re-asks, fallbacks",
                   note=f"A decision is one place of a ranking; after an answer naming no remaining option and the "
                        f"re-asks, the advisor's fallback ranks the place. Over {passes} pass(es) of the task.")
    bias = {a.name: position_bias(a.first_picks) for a in llm[0]}
    ctx.results["position_bias"] = bias
    ctx.add_table("Position bias of LLM advisors (where in the shown order the first pick stood)",
                  [[n, b["n"], b["first_position"], fmt_rate(b["first_position"], b["n"]), f"{b['chance']:.3f}",
                    fmt_value(b["mean_position"], b["n"]), f"{b['chance_mean_position']:.2f}",
                    fmt_value(b["p_value"], b["n"])] for n, b in bias.items()],
                  ["advisor", "n (decisions)", "first pick shown first", "rate", "chance", "mean position",
                   "chance mean", "binomial p"],
                  note="The options are shuffled per advisor and question; an unbiased advisor's first pick stands "
                       "first in the shown list with probability 1/k (k options). p: two-sided exact binomial test "
                       "of that rate against chance.")


def position_bias(first_picks: list[tuple[int, int]]) -> dict[str, Any]:
    """First-pick position against chance: how often the first option shown was picked first (n, rate, p)."""
    from scipy import stats

    n = len(first_picks)
    k = sum(1 for pos, _ in first_picks if pos == 0)
    chance = float(np.mean([1 / m for _, m in first_picks])) if n else float("nan")
    mean_pos = float(np.mean([pos + 1 for pos, _ in first_picks])) if n else None
    out: dict[str, Any] = {"n": n, "first_position": k, "first_position_rate": k / n if n else None,
                           "chance": chance, "mean_position": mean_pos,
                           "chance_mean_position": float(np.mean([(m + 1) / 2 for _, m in first_picks])) if n
                           else float("nan"),
                           "p_value": float(stats.binomtest(k, n, chance).pvalue) if n else None}
    return out


def _fmt(ws: Any) -> str:
    return " = ".join(ws) if ws else "-"


def _run_question(cfg: DecideConfig, ctx: RunContext, models: _Models) -> None:
    import matplotlib.pyplot as plt

    from interplay.decide.loop import decide_once
    from interplay.decide.tasks import DecisionQuestion

    t = cfg.task
    opts = tuple(t.options or ())
    losses = None if t.quality is None else tuple(1.0 - float(t.quality[o]) for o in opts)
    q = DecisionQuestion("question", opts, t.prompt, losses)
    advisors = build_advisors(cfg, None, models)
    rep = decide_once(q, advisors, rules=cfg.rules, axioms=cfg.axioms, weights=[a.weight for a in cfg.advisors],
                      importance_rule=cfg.importance_rule, seed=cfg.seed, exact_max=cfg.exact_max,
                      samples=cfg.samples)
    d = rep.as_dict()
    ctx.results.update(d)
    maj = d["majority"]
    names = [a.name for a in cfg.advisors]

    ctx.add_table("Ballots", [[b["voter"], next(a.type for a in cfg.advisors if a.name == b["voter"]), b["weight"],
                               " > ".join(" = ".join(t) for t in b["ranking"]),
                               " | ".join(b.get("ballot_order", [])) or "-"] for b in d["ballots"]],
                  ["advisor", "type", "weight", "ranking", "order shown (LLM)"],
                  note="LLM advisors saw the options in a shuffled order, recorded per advisor.")
    rows = []
    for r in cfg.rules:
        rows.append([r, _fmt(d["winners"][r]), "tie" if len(d["winners"][r]) > 1 else "",
                     ", ".join(d["axioms_violated"][r]) or "none",
                     ", ".join(d["rule_properties"][r]["violated"]) or "-"])
    if maj["condorcet_winner"] is not None:
        cond = f"Condorcet winner: {maj['condorcet_winner']}."
    else:
        cyc = "; ".join(" > ".join([*c, c[0]]) for c in maj["cycles"][:5])
        cond = f"No Condorcet winner. Smith set: {', '.join(maj['smith_set'])}. Majority cycles: {cyc}."
    ctx.add_table("Winners under each rule", rows,
                  ["rule", "winners", "", "axioms violated on this profile", "can violate in general (pref_voting)"],
                  note=cond)
    if d["importance"] is not None:
        imp = d["importance"]
        piv = d["pivotal"].get(cfg.importance_rule) or {}
        irows = [[p, v["shapley"], v["banzhaf"], v["leave_one_out"],
                  "" if cfg.importance_rule not in d["pivotal"] else ("yes" if piv.get(p) else "no")]
                 for p, v in imp["players"].items()]
        ctx.add_table(f"Importance of each advisor for the quality of the {cfg.importance_rule} decision", irows,
                      ["advisor", "Shapley", "Banzhaf", "leave-one-out", f"pivotal ({cfg.importance_rule})"],
                      note=f"v(all) = {imp['v_all']:.3f}, v(no one) = {imp['v_empty']:.3f} (a random option); "
                           f"Shapley values sum to the difference ({imp['method']}).")
        fig, ax = plt.subplots(figsize=(6.5, 3.2))
        vals = [imp["players"][n]["shapley"] for n in names]
        ax.bar(names, vals, color=["tab:green" if v >= 0 else "tab:red" for v in vals])
        ax.axhline(0, color="k", lw=0.8)
        ax.set_ylabel("Shapley value")
        ax.set_title(f"Who made the {cfg.importance_rule} decision better")
        ctx.add_figure("shapley", fig, "Each advisor's Shapley value for the quality of the group decision.")
    prows = [[v, *["yes" if d["pivotal"][r][v] else "" for r in cfg.rules]] for v in names]
    ctx.add_table("Pivotal voters (the winners change without them)", prows, ["advisor", *cfg.rules])
    m = np.array(maj["margins"])
    fig, ax = plt.subplots(figsize=(5.5, 4.6))
    lim = float(np.abs(m).max()) or 1.0
    im = ax.imshow(m, cmap="RdBu", vmin=-lim, vmax=lim)
    ax.set_xticks(range(len(opts)), opts, rotation=30, ha="right")
    ax.set_yticks(range(len(opts)), opts)
    for i in range(len(opts)):
        for j in range(len(opts)):
            ax.text(j, i, f"{m[i, j]:g}", ha="center", va="center", fontsize=8)
    fig.colorbar(im, ax=ax, label="margin (row over column)")
    ax.set_title("Majority margins")
    ctx.add_figure("margins", fig, "Weighted margin of the row option over the column option.")


def _run_online(cfg: DecideConfig, ctx: RunContext, models: _Models) -> None:
    import matplotlib.pyplot as plt

    from interplay.decide.loop import run_online

    task = build_task(cfg)
    rule = cfg.importance_rule if "importance_rule" in cfg.model_fields_set else "plurality"
    # a unit is one learner's pass over the task, journalled as it finishes and skipped on --resume
    finished = ctx.finished_units()
    ctx.plan_units(f"pass-{name}" for name in cfg.learners)
    done = {name: finished[f"pass-{name}"] for name in cfg.learners if isinstance(finished.get(f"pass-{name}"), dict)}
    res = run_online(task, lambda: build_advisors(cfg, task, models), cfg.learners, seed=cfg.seed,
                     learning_rate=cfg.learning_rate, importance_rule=rule, exact_max=cfg.exact_max,
                     samples=min(cfg.samples, 500), progress=ctx.progress, done=done,
                     on_pass=lambda name, rec: ctx.unit_done(f"pass-{name}", rec))
    names = res.advisors
    summaries = {k: r.summary(names) for k, r in res.runs.items()}
    mean_imp = res.mean_importance()
    for k, r in res.runs.items():
        for t in range(res.rounds):
            ctx.log_metric(learner=k, round=t + 1, regret=float(r.tracker.regret[t]),
                           expected_loss=r.tracker.expected[t], chosen=r.chosen[t])
    ctx.results.update({
        "task": task.name, "rounds": res.rounds, "options": list(res.options), "advisors": names,
        "advisor_loss": dict(zip(names, res.advisor_cum_loss.tolist())), "best_advisor": res.best_advisor,
        "learners": summaries, "importance_rule": rule, "importance": mean_imp,
        "per_round_importance": res.per_round_importance,
        "weights": {k: r.weights for k, r in res.runs.items() if r.weights},
    })
    ctx.add_table("Learners", [[k, s["expected_loss"], s["best_advisor_loss"], s["regret"],
                                "" if s["bound"] is None or k == "uniform" else s["bound"],
                                ", ".join(f"{a} {w:.2f}" for a, w in (s.get("final_weights") or {}).items())]
                               for k, s in summaries.items()],
                  ["learner", "expected loss", "best advisor's loss", "regret", "bound", "final weights"],
                  note=f"{task.name}: {res.rounds} rounds; best advisor in hindsight: {res.best_advisor}.")
    ctx.add_table("Advisors", [[a, res.advisor_cum_loss[i], mean_imp[a]["shapley"], mean_imp[a]["banzhaf"],
                                mean_imp[a]["leave_one_out"], mean_imp[a]["pivotal_fraction"]]
                               for i, a in enumerate(names)],
                  ["advisor", "total loss if followed", "mean Shapley", "mean Banzhaf", "mean leave-one-out",
                   "pivotal fraction"],
                  note=f"Importance for the quality of the group's {rule} vote, per round (exact Shapley up to "
                       f"{cfg.exact_max} advisors).")
    rounds = np.arange(1, res.rounds + 1)
    fig, ax = plt.subplots(figsize=(7, 4))
    for k, r in res.runs.items():
        ax.plot(rounds, r.tracker.regret, label=k)
        if r.bound is not None and k != "uniform":
            ax.axhline(r.bound, ls=":", lw=1, color=ax.lines[-1].get_color())
    ax.set_xlabel("round")
    ax.set_ylabel("regret against the best advisor")
    ax.legend(fontsize=8)
    ax.set_title("Regret (dotted: each learner's bound at the horizon)")
    ctx.add_figure("regret", fig, "Expected regret against the best advisor in hindsight, round by round.")
    for k in ("hedge", "exp3", "exp4"):
        if k in res.runs and res.runs[k].weights:
            w = np.array(res.runs[k].weights)
            fig, ax = plt.subplots(figsize=(7, 3.6))
            ax.stackplot(rounds, w.T, labels=names)
            ax.set_xlim(1, res.rounds)
            ax.set_ylim(0, 1)
            ax.set_xlabel("round")
            ax.set_ylabel("weight")
            ax.legend(fontsize=8, loc="upper left")
            ax.set_title(f"{k}: weight on each advisor")
            ctx.add_figure(f"weights-{k}", fig, f"How much {k} trusts each advisor over time.")
    shap = np.array([[r["players"][a]["shapley"] for a in names] for r in res.per_round_importance])
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for i, a in enumerate(names):
        ax.plot(rounds, np.cumsum(shap[:, i]), label=a)
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xlabel("round")
    ax.set_ylabel("cumulative Shapley value")
    ax.legend(fontsize=8)
    ax.set_title("Each advisor's contribution to the group decision's quality")
    ctx.add_figure("shapley-over-time", fig, "Sum over rounds of each advisor's per-round Shapley value.")
    ctx.add_transcript("rounds", res.transcript[:200], title="First rounds: advice, outcome, choice (hedge pass)")
