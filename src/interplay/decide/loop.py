"""The decision loop: advisors advise, the group decides, outcomes come in.

* :func:`decide_once` -- one decision by vote: every advisor's ranking is a ballot;
  winners under each rule, the Condorcet winner or majority cycle, the axioms each
  rule violates on this profile, pivotal voters, and (when the options' quality is
  known) each advisor's Shapley value, Banzhaf value and leave-one-out for the quality
  of the decision under ``importance_rule``.
* :func:`run_online` -- a task of many rounds, one pass per learner:

  - ``hedge``: a distribution over advisors, follow one drawn from it; every
    advisor's loss is seen (full information);
  - ``exp3``: advisors are arms; only the followed advisor's outcome is seen;
  - ``exp4``: advisors are experts advising distributions over the options; the
    group draws an option from the mixture, and only that option's loss is seen;
  - ``vote:RULE``: no learning, the advisors' rankings are aggregated by a
    pref_voting rule each round (ties broken uniformly at random);
  - ``uniform``: follow a uniformly random advisor (Hedge with rate 0).

  Regret is against the best advisor in hindsight (following it every round). Per
  round, the importance of each advisor for the quality of the group's vote under
  ``importance_rule`` is computed from the first pass (Shapley is linear, so the run's
  Shapley value of the summed game is the sum over rounds).

Randomness: advisor ``i`` in round ``t`` uses ``default_rng([seed, 1, i, t])`` and the
learner ``default_rng([seed, 2, j])``, so advice is the same in every pass of a static
task and a run is reproducible from its seed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from interplay.decide.advisors import Advice, Advisor
from interplay.decide.importance import CoalitionGame, Importance, importance, pivotal_voters, plurality_game, vote_game
from interplay.decide.online import Exp3, Exp4, Hedge, RegretTracker
from interplay.decide.profiles import Ballot, Profile, ballot
from interplay.decide.rules import DEFAULT_RULES, apply_rules, get_rule, majority
from interplay.decide.tasks import DecisionQuestion, Task
from interplay.errors import InterplayError


def advice_profile(advice: Sequence[Advice], options: Sequence[str],
                   weights: Sequence[float] | None = None) -> Profile:
    """The advisors' rankings as a voting profile (ballot meta: what the advisor recorded)."""
    w = [1.0] * len(advice) if weights is None else list(weights)
    out: list[Ballot] = []
    for a, wi in zip(advice, w):
        out.append(ballot(a.advisor, options, ranking=[list(t) for t in a.ranking], weight=wi, meta=dict(a.meta),
                          approvals=a.approvals, scores=None if a.scores is None else dict(a.scores)))
    return Profile(options, out)


def coalition_game(advice: Sequence[Advice], options: Sequence[str], losses: np.ndarray | Sequence[float], rule: str,
                   weights: Sequence[float] | None = None) -> CoalitionGame:
    """v(S) = quality (1 - loss) of the decision the advisors in S reach by ``rule``.

    Plurality uses the vectorised :func:`plurality_game` (an advisor splits its vote over
    its top tier); any other rule goes through pref_voting (:func:`vote_game`).
    """
    quality = 1.0 - np.asarray(losses, dtype=float)
    names = [a.advisor for a in advice]
    if get_rule(rule).name == "Plurality":
        shares = np.array([[1.0 / len(a.top) if o in a.top else 0.0 for o in options] for a in advice])
        return plurality_game(names, shares, quality, weights)
    prof = advice_profile(advice, options, weights)
    return vote_game(prof, rule, dict(zip(options, quality)))


# -- one decision -------------------------------------------------------------------------


@dataclass
class DecisionReport:
    question: DecisionQuestion
    advice: list[Advice]
    profile: Profile
    winners: dict[str, tuple[str, ...]]
    majority: dict[str, Any]
    axioms: dict[str, list[dict[str, Any]]]
    rule_properties: dict[str, dict[str, list[str]]]
    pivotal: dict[str, dict[str, bool]]
    importance: Importance | None
    importance_rule: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "question": {"id": self.question.id, "prompt": self.question.prompt,
                         "options": list(self.question.options),
                         "losses": None if self.question.losses is None else list(self.question.losses)},
            "ballots": [b.as_dict() for b in self.profile.ballots],
            "winners": {k: list(v) for k, v in self.winners.items()},
            "majority": self.majority,
            "axioms_violated": {r: [c["axiom"] for c in cs if c["violated"]] for r, cs in self.axioms.items()},
            "axiom_checks": self.axioms,
            "rule_properties": self.rule_properties,
            "pivotal": self.pivotal,
            "importance_rule": self.importance_rule,
            "importance": None if self.importance is None else self.importance.as_dict(),
        }


def decide_once(question: DecisionQuestion, advisors: Sequence[Advisor], *, rules: Sequence[str] = DEFAULT_RULES,
                axioms: Sequence[str] | None = None, weights: Sequence[float] | None = None,
                importance_rule: str = "borda", seed: int = 0, exact_max: int = 15,
                samples: int = 2000) -> DecisionReport:
    """Gather every advisor's ranking and report the vote (see the module docstring)."""
    from interplay.decide.axioms import DEFAULT_AXIOMS, check_axioms, rule_properties

    advice = [a.advise(question, np.random.default_rng([seed, 1, i, 0])) for i, a in enumerate(advisors)]
    prof = advice_profile(advice, question.options, weights)
    results = apply_rules(prof, tuple(rules))
    checks = {}
    props = {}
    data = prof.to_pref_voting()
    for name in rules:
        checks[name] = [c.as_dict() for c in check_axioms(prof, name, tuple(axioms or DEFAULT_AXIOMS), data=data)]
        props[name] = rule_properties(name)
    piv = {name: pivotal_voters(prof, name) for name in rules}
    imp = None
    if question.losses is not None:
        game = coalition_game(advice, question.options, question.losses, importance_rule, weights)
        imp = importance(game, exact_max=exact_max, samples=samples, seed=seed)
    return DecisionReport(question, advice, prof, {k: v.winners for k, v in results.items()},
                          majority(prof).as_dict(), checks, props, piv, imp, importance_rule)


# -- online ---------------------------------------------------------------------------------


@dataclass
class LearnerRun:
    """One learner's pass over the task."""

    learner: str
    tracker: RegretTracker
    weights: list[list[float]] = field(default_factory=list)  # per round: distribution over advisors
    chosen: list[str] = field(default_factory=list)
    bound: float | None = None
    eta: float | None = None

    def summary(self, advisors: Sequence[str]) -> dict[str, Any]:
        t = self.tracker
        out: dict[str, Any] = {
            "learner": self.learner, "rounds": len(t.expected), "expected_loss": t.expected[-1],
            "realised_loss": t.realised[-1], "best_advisor_loss": t.best_cum[-1],
            "regret": float(t.regret[-1]), "realised_regret": float(t.realised_regret[-1]),
            "max_regret": float(t.regret.max()), "bound": self.bound, "learning_rate": self.eta,
        }
        if self.weights:
            out["final_weights"] = dict(zip(advisors, self.weights[-1]))
        return out


@dataclass
class OnlineResult:
    advisors: list[str]
    options: tuple[str, ...]
    runs: dict[str, LearnerRun]
    advisor_cum_loss: np.ndarray
    per_round_importance: list[dict[str, Any]]
    importance_rule: str
    rounds: int
    transcript: list[dict[str, Any]]

    @property
    def best_advisor(self) -> str:
        return self.advisors[int(np.argmin(self.advisor_cum_loss))]

    def mean_importance(self) -> dict[str, dict[str, float]]:
        """Per advisor, the mean over rounds of each measure (and the pivotal fraction)."""
        out: dict[str, dict[str, float]] = {}
        keys = ("shapley", "banzhaf", "leave_one_out")
        for a in self.advisors:
            rows = [r["players"][a] for r in self.per_round_importance]
            out[a] = {k: float(np.mean([row[k] for row in rows])) for k in keys}
            out[a]["pivotal_fraction"] = float(np.mean([r["pivotal"][a] for r in self.per_round_importance]))
        return out


def _draw(rng: np.random.Generator, p: np.ndarray) -> int:
    p = np.asarray(p, dtype=float)
    return int(rng.choice(len(p), p=p / p.sum()))


def run_online(task: Task, make_advisors: Callable[[], Sequence[Advisor]], learners: Sequence[str] = ("hedge",), *,
               seed: int = 0, learning_rate: float | None = None, importance_rule: str = "plurality",
               exact_max: int = 15, samples: int = 500, progress: Callable[..., Any] | None = None,
               done: Mapping[str, dict[str, Any]] | None = None,
               on_pass: Callable[[str, dict[str, Any]], None] | None = None) -> OnlineResult:
    """Run each learner over the task (see the module docstring); returns every record.

    Each learner's pass is a unit of work (passes are independent: the task is reset and the
    advisors rebuilt for each): ``on_pass(learner, record)`` gets a pass's numbers (plain
    data) as it finishes, and a learner found in ``done`` (such records from an earlier run)
    is taken from there instead of played again.
    """
    if not learners:
        raise InterplayError("run_online: name at least one learner (hedge, exp3, exp4, vote:RULE, uniform).")
    for name in learners:
        if name not in ("hedge", "exp3", "exp4", "uniform") and not name.startswith("vote:"):
            raise InterplayError(f"unknown learner {name!r}: use hedge, exp3, exp4, uniform or vote:RULE "
                                 "(e.g. vote:borda).")
        if name.startswith("vote:"):
            get_rule(name[5:])
    get_rule(importance_rule)
    n_rounds = task.rounds
    k = len(task.options)
    runs: dict[str, LearnerRun] = {}
    per_round: list[dict[str, Any]] = []
    transcript: list[dict[str, Any]] = []
    advisor_cum = None
    names: list[str] = []
    for j, lname in enumerate(learners):
        kept = (done or {}).get(lname)
        if kept is not None:
            tracker = RegretTracker(int(kept["experts"]), expected=list(kept["expected"]),
                                    realised=list(kept["realised"]), expert_cum=np.asarray(kept["expert_cum"], float),
                                    best_cum=list(kept["best_cum"]))
            runs[lname] = LearnerRun(lname, tracker, weights=kept["weights"], chosen=kept["chosen"],
                                     bound=kept["bound"], eta=kept["eta"])
            names = list(kept["advisors"])
            if j == 0:
                per_round, transcript = list(kept["per_round"]), list(kept["transcript"])
            if advisor_cum is None:
                advisor_cum = np.asarray(kept["advisor_cum"], dtype=float)
            continue
        task.reset(seed)
        advisors = list(make_advisors())
        names = [a.name for a in advisors]
        m = len(advisors)
        if m < 2:
            raise InterplayError("run_online: needs at least 2 advisors.")
        rng = np.random.default_rng([seed, 2, j])
        tracker = RegretTracker(m)
        run = LearnerRun(lname, tracker)
        algo: Hedge | Exp3 | Exp4 | None = None  # None: a voting rule
        if lname == "hedge":
            algo = Hedge(m, n_rounds, learning_rate)
        elif lname == "uniform":
            algo = Hedge(m, n_rounds, 1e-300)  # rate 0: weights stay uniform
        elif lname == "exp3":
            algo = Exp3(m, n_rounds, learning_rate)
        elif lname == "exp4":
            algo = Exp4(m, k, n_rounds, learning_rate)
        if algo is not None and lname != "uniform":
            run.bound, run.eta = algo.bound, algo.eta
        rounds = range(n_rounds) if progress is None else progress(range(n_rounds), f"{lname}")
        cum = np.zeros(m)
        for t in rounds:
            q = task.question(t)
            advice = [a.advise(q, np.random.default_rng([seed, 1, i, t])) for i, a in enumerate(advisors)]
            E = np.array([a.probs for a in advice])  # (m, k)
            follow = -1  # the advisor followed (Hedge, EXP3)
            if isinstance(algo, Exp4):  # first: an Exp4 is also an Exp3
                w = algo.expert_probs()
                probs_opt = algo.probs(E)
                chosen = _draw(rng, probs_opt)
            elif isinstance(algo, Hedge | Exp3):
                w = algo.probs()
                follow = _draw(rng, w)
                chosen = _draw(rng, E[follow])
                probs_opt = w @ E
            else:
                prof = advice_profile(advice, task.options)
                ws = apply_rules(prof, (lname[5:],))[lname[5:]].winners
                probs_opt = np.array([1.0 / len(ws) if o in ws else 0.0 for o in task.options])
                chosen = _draw(rng, probs_opt)
                w = None
            losses = np.asarray(task.outcome(t, chosen), dtype=float)
            adv_losses = E @ losses
            cum += adv_losses
            tracker.record(float(probs_opt @ losses), float(losses[chosen]), adv_losses)
            if isinstance(algo, Exp4):
                algo.update(E, chosen, float(losses[chosen]))
            elif isinstance(algo, Exp3):
                algo.update(follow, float(losses[chosen]))
            elif isinstance(algo, Hedge):
                algo.update(adv_losses)
            for a in advisors:
                a.observe(q, losses)
            if w is not None:
                run.weights.append([float(x) for x in w])
            run.chosen.append(task.options[chosen])
            if j == 0:
                game = coalition_game(advice, task.options, losses, importance_rule)
                imp = importance(game, exact_max=exact_max, samples=samples, seed=seed + t).as_dict()
                prof = advice_profile(advice, task.options)
                imp["pivotal"] = pivotal_voters(prof, importance_rule)
                imp["round"] = t + 1
                per_round.append(imp)
                transcript.append({"round": t + 1, "question": q.id,
                                   "advice": {a.advisor: list(a.top) for a in advice},
                                   "losses": dict(zip(task.options, losses.tolist())),
                                   "followed": None if follow is None else names[follow],
                                   "chosen": task.options[chosen]})
        runs[lname] = run
        if advisor_cum is None:
            advisor_cum = cum
        if on_pass is not None:
            t_ = run.tracker
            on_pass(lname, {"experts": t_.experts, "expected": t_.expected, "realised": t_.realised,
                            "expert_cum": np.asarray(t_.expert_cum).tolist(), "best_cum": t_.best_cum,
                            "weights": run.weights, "chosen": run.chosen, "bound": run.bound, "eta": run.eta,
                            "advisors": names, "advisor_cum": np.asarray(cum).tolist(),
                            "per_round": per_round if j == 0 else [], "transcript": transcript if j == 0 else []})
    return OnlineResult(names, task.options, runs, np.asarray(advisor_cum), per_round, importance_rule, n_rounds,
                        transcript)
