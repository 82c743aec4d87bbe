"""The ``showcase`` experiment (what `make demo` runs): one report through the whole loop.

1. A population of classic memory-one strategies in the iterated prisoner's dilemma,
   exact values and sampled play side by side (the ``population`` kind).
2. Learners trained on the exact game: LOLA and naive learners (Foerster et al. 2018),
   batched over seeds.
3. The learned policies enter an Axelrod-style tournament beside the classic strategies,
   followed by alpha-Rank, Moran fixation and replicator dynamics.
4. LLM agents on the bundled SmolLM2-135M-Instruct (no network, no key) join classic
   strategies and the learned policies in a per-turn round robin: ranking, Elo and
   OpenSkill ratings, alpha-Rank, and each LLM agent's invalid and fallback rates beside
   its rank. One agent chooses by the log-likelihood of the legal actions (every move is
   its own and legal); one answers in free text (what a raw small model does).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field

from interplay.errors import InterplayError
from interplay.run.config import ExperimentConfig, GameConfig, Strict
from interplay.run.context import RunContext
from interplay.run.experiments import experiment
from interplay.run.opponent_shaping import Pairing, curves_figure
from interplay.run.population import DEFAULT_AGENTS, PopulationConfig, run_population
from interplay.run.tournament import AnalysisConfig, PayoffsConfig, tournament_report


def _lola_ipd() -> GameConfig:
    return GameConfig(id="ipd-v1", params={"convention": "lola", "discount": 0.96, "horizon": 300})


class PopulationPart(Strict):
    """Part 1: memory-one agents, exact and sampled (see the ``population`` kind)."""

    game: GameConfig = Field(default_factory=_lola_ipd)
    agents: dict[str, str | list[float]] = Field(default_factory=lambda: dict(DEFAULT_AGENTS))
    matches: int = Field(default=1000, ge=2)


class LearningPart(Strict):
    """Part 2: learner pairings trained on the exact game of part 1."""

    pairings: list[Pairing] = Field(min_length=1, description="learner pairings (see the opponent-shaping kind)")
    seeds: int = Field(default=16, ge=1, description="runs per pairing, batched")
    updates: int = Field(default=200, ge=1, description="learning steps per run")
    enter: Literal["median", "best", "first"] = Field(
        default="median", description="which seed's seat-1 policy enters the tournament, by its final reward")


class TournamentPart(Strict):
    """Part 3: the learned policies join these strategies in a round robin."""

    strategies: list[str] = Field(default_factory=lambda: ["Tit For Tat", "Defector", "Cooperator", "Grudger"])
    turns: int = Field(default=200, ge=1)
    repetitions: int = Field(default=20, ge=1)
    noise: float = Field(default=0.0, ge=0, le=0.5)
    payoffs: PayoffsConfig = Field(default_factory=PayoffsConfig)
    analysis: AnalysisConfig = Field(default_factory=AnalysisConfig)


#: The LLM part's prompts. The system prompt names no opponent and the history comes before the
#: round line, so consecutive decisions of a match share their prompt up to the last round and the
#: local backend runs only the new tokens (its prefix key/value store).
LLM_SYSTEM = """You play the iterated prisoner's dilemma. Each round you and the other player each choose C \
(cooperate) or D (defect), at the same time.
Payoffs each round: both C: you get [R], they get [R]. You C and they D: you get [S], they get [T]. You D and \
they C: you get [T], they get [S]. Both D: you get [P], they get [P].
{horizon_text}
Your goal is to get as high a total payoff as you can."""

LLM_MOVE = """History of play:
{history}
Round {round_number}{of_rounds}. Reply with your action only: one of {actions}."""

#: The log-likelihood agent's move prompt: no question of its own, since the choice turn that
#: follows it asks for one of the options. Everything after the history is run again every
#: round, and the question was 13 of its 76 new tokens a decision (SmolLM2's tokenizer).
LLM_CHOICE_MOVE = """History of play:
{history}
Round {round_number}{of_rounds}."""


def _default_llm_agents() -> dict[str, dict[str, Any]]:
    common = {"reasoning": False, "system_template": LLM_SYSTEM, "move_template": LLM_MOVE, "history_window": 50}
    return {"SmolLM2 (log-likelihood choice)": {**common, "move_template": LLM_CHOICE_MOVE, "decision": "choose",
                                                "max_reasks": 0, "fallback": "random"},
            "SmolLM2 (free text)": {**common, "decision": "parse", "max_tokens": 8, "max_reasks": 1,
                                    "fallback": "random"}}


class LLMPart(Strict):
    """Part 4: LLM agents on one shared model join classic strategies and the learned policies."""

    model: dict[str, Any] = Field(default_factory=lambda: {"provider": "transformers", "model": "smollm2-135m"},
                                  description="the model every LLM agent of this part uses (one shared object)")
    agents: dict[str, dict[str, Any]] = Field(default_factory=_default_llm_agents,
                                              description="display name -> LLM agent options (no model)")
    strategies: list[str] = Field(default_factory=lambda: ["Tit For Tat", "Defector", "Cooperator", "Grudger",
                                                           "Win-Stay Lose-Shift", "Random: 0.5"])
    learned: bool = Field(default=True, description="the learned policies of part 2 join too")
    payoffs: PayoffsConfig = Field(default_factory=PayoffsConfig)
    rounds: int = Field(default=4, ge=1, description="turns per match")
    repetitions: int = Field(default=1, ge=1, description="matches per pairing")
    max_matches: int = Field(default=64, ge=1, description="matches in progress at once (their decisions are batched)")
    cache: str | None = Field(default=None, description="SQLite answer cache; null = every answer is computed")
    alpha: float = Field(default=10.0, gt=0, description="alpha-Rank selection intensity")
    population_size: int = Field(default=50, ge=2, description="alpha-Rank population size m")
    transcripts: int = Field(default=4, ge=0, description="match transcripts kept per LLM agent")


class ShowcaseConfig(ExperimentConfig):
    """The front door: population, learners, tournament and evolutionary analyses in one run."""

    kind: Literal["showcase"] = "showcase"
    population: PopulationPart = Field(default_factory=PopulationPart)
    learning: LearningPart | None = None
    tournament: TournamentPart | None = None
    llm: LLMPart | None = None

    resumable = True

    def llm_cache(self) -> str | None:
        """The LLM part's answer cache (the run's resources open it)."""
        return self.llm.cache if self.llm is not None else None

    def part1(self) -> PopulationConfig:
        return PopulationConfig(name=self.name, seed=self.seed, game=self.population.game,
                                agents=self.population.agents, matches=self.population.matches)

    def check(self) -> None:
        self.part1().check()
        if self.learning is not None:
            from interplay.agents.learners.protocol import FAMILIES, check_pairing
            from interplay.run.opponent_shaping import LEARNERS

            game = self.population.game.make()
            for i, p in enumerate(self.learning.pairings):
                where = f"learning.pairings[{i}]"
                for j, lr in enumerate(p.learners):
                    if lr.family != "exact":
                        raise InterplayError(f"{where}.learners[{j}]: the showcase trains {FAMILIES['exact']} on "
                                             f"the exact game; got {lr.kind}.")
                check_pairing(game, p.learners, where, list(LEARNERS))
        if self.tournament is not None:
            from interplay.agents.strategies import check_names

            check_names(self.tournament.strategies, "tournament.strategies")
        if self.llm is not None:
            from interplay.agents.llm_agent import parse_agent_config
            from interplay.agents.strategies import check_names
            from interplay.llm.config import parse_model_config

            parse_model_config(self.llm.model, where="llm.model")
            for name, options in self.llm.agents.items():
                if "model" in options:
                    raise InterplayError(f"llm.agents.{name}: the part's agents share llm.model; remove 'model'.")
                parse_agent_config(options, where=f"llm.agents.{name}")
            check_names(self.llm.strategies, "llm.strategies")


def _pick(final_rewards: np.ndarray, how: str) -> int:
    r = final_rewards[:, 0]
    if how == "first":
        return 0
    if how == "best":
        return int(np.argmax(r))
    return int(np.argsort(r, kind="stable")[len(r) // 2])


class Part:
    """One part of the showcase as one unit of work (``part-N``): what it added to results.json and
    to the report (tables, figures by file, texts, transcripts) is journalled when it finishes, and
    a resumed run puts it back instead of doing the part again.

        part = Part(ctx, "part-2")
        if not part.resumed(into=learned):
            ...  # the part's work
            part.finish(learned)  # what a resumed run gets back in ``into``
    """

    def __init__(self, ctx: RunContext, key: str) -> None:
        self.ctx, self.key = ctx, key
        self._before: dict[str, str] = {}
        self._sections = 0
        self._scope: Any = None

    def resumed(self, into: dict[str, Any] | None = None) -> bool:
        """True (and the part put back) when an earlier run finished it; else starts the part."""
        from interplay.run.context import Section

        rec = self.ctx.finished_units().get(self.key)
        if isinstance(rec, dict) and "results" in rec:
            self.ctx.results.update(rec["results"])
            self.ctx.sections.extend(Section(s["kind"], s["title"], s["payload"]) for s in rec["sections"])
            if into is not None:
                into.update(rec.get("extra", {}))
            return True
        self._before = {k: _fingerprint(v) for k, v in self.ctx.results.items()}
        self._sections = len(self.ctx.sections)
        self._scope = self.ctx.unit_scope(self.key)
        self._scope.__enter__()
        return False

    def finish(self, extra: dict[str, Any] | None = None) -> None:
        self._scope.__exit__(None, None, None)
        changed = {k: v for k, v in self.ctx.results.items() if self._before.get(k) != _fingerprint(v)}
        sections = [{"kind": s.kind, "title": s.title, "payload": s.payload}
                    for s in self.ctx.sections[self._sections:]]
        self.ctx.unit_done(self.key, {"results": changed, "sections": sections, "extra": dict(extra or {})})


def _fingerprint(value: Any) -> str:
    import json

    from interplay.serialize import to_jsonable

    return json.dumps(to_jsonable(value), sort_keys=True, default=str)


@experiment("showcase", ShowcaseConfig)
def run_showcase(cfg: ShowcaseConfig, ctx: RunContext) -> None:
    # every part is a unit (within part 1, each row player's sampled play is one too)
    ctx.plan_units(["part-1", *(f"part-{k}" for k, p in ((2, cfg.learning), (3, cfg.tournament), (4, cfg.llm))
                                if p is not None)])
    part = Part(ctx, "part-1")
    if not part.resumed():
        run_population(cfg.part1(), ctx)
        part.finish()
    learned: dict[str, list[float]] = {}
    part = Part(ctx, "part-2")
    if cfg.learning is not None and not part.resumed(into=learned):
        from interplay.agents.learners.differentiable import differentiable
        from interplay.agents.learners.exact import train_exact

        game = differentiable(cfg.population.game.make())
        rows = []
        summary: dict[str, Any] = {}
        for idx, pairing in enumerate(ctx.progress(cfg.learning.pairings, "learners")):
            label = pairing.label()
            run = train_exact(game, *pairing.learners, num_seeds=cfg.learning.seeds,
                              num_updates=cfg.learning.updates, seed=cfg.seed + idx)
            final = run.headline
            tft = run.tft_like().mean(0)
            k = _pick(final, cfg.learning.enter)
            entrant = f"{label.split(' vs ')[0]} (learned vs {label.split(' vs ')[-1]})"
            learned[entrant] = [float(x) for x in run.final_policies()[k, 0]]
            rows.append([label, f"{final[:, 0].mean():.3f} ± {final[:, 0].std():.3f}",
                         f"{final[:, 1].mean():.3f} ± {final[:, 1].std():.3f}", f"{tft[0]:.2f} / {tft[1]:.2f}",
                         entrant, " ".join(f"{p:.2f}" for p in learned[entrant])])
            summary[label] = {"reward_per_step_mean": final.mean(0), "reward_per_step_std": final.std(0),
                              "tft_like_fraction": tft, "entrant": entrant, "entrant_policy": learned[entrant]}
            ctx.add_figure(f"learning-{idx + 1}", curves_figure(label, run),
                           caption=f"{label}: {cfg.learning.seeds} seeds, {cfg.learning.updates} updates.",
                           title=f"Learning curves: {label}")
        ctx.add_table("Learners on the exact game (average reward per step after the last update)", rows,
                      ["pairing", "seat 1", "seat 2", "tit-for-tat-like (1 / 2)", "enters the tournament as",
                       "policy [start CC CD DC DD]"],
                      note=f"The {cfg.learning.enter} seed's seat-1 policy enters the tournament.")
        ctx.results["learning"] = summary
        part.finish(learned)
    part = Part(ctx, "part-3")
    if cfg.tournament is not None and not part.resumed():
        from interplay.agents.strategies import get, memory_one_strategy
        from interplay.evaluate.tournament import TournamentSettings, run_tournament
        from interplay.run.executors import get_executor

        t = cfg.tournament
        players: list[Any] = [get(n) for n in t.strategies]
        players += [memory_one_strategy(p, name=n, origin="trained by interplay's exact-gradient learners")
                    for n, p in learned.items()]
        settings = TournamentSettings(turns=t.turns, repetitions=t.repetitions, noise=t.noise,
                                      payoffs=t.payoffs.tuple(), seed=cfg.seed)
        result = run_tournament(players, settings, executor=get_executor(cfg.executor))
        analyses = tournament_report(result, ctx, t.analysis, prefix="tournament-")
        ctx.add_text("Summary", f"Tournament winner: {result.ranked_names[0]}. alpha-Rank's top strategy: "
                     f"{analyses['alpharank']['ranking'][0]['name']}.")
        part.finish()
    part = Part(ctx, "part-4")
    if cfg.llm is not None and not part.resumed():
        for _ in ctx.progress([0], "LLM agents"):
            ctx.results["llm"] = run_llm_part(cfg.llm, learned, ctx, cfg.seed)
        part.finish()


def _llm_game(part: LLMPart) -> Any:
    from interplay.games.registry import make

    p = part.payoffs
    return make("ipd-v1", convention="tournament", R=p.R, S=p.S, T=p.T, P=p.P, horizon=part.rounds)


def run_llm_part(part: LLMPart, learned: dict[str, list[float]], ctx: RunContext, seed: int) -> dict[str, Any]:
    """Part 4: a per-turn round robin with self-play; see the module docstring."""
    import asyncio
    import math
    import time

    from interplay.agents.fixed import strategy_player
    from interplay.agents.llm_agent import LLMAgent
    from interplay.evaluate.alpharank import alpharank
    from interplay.evaluate.ratings import elo, openskill, tournament_outcomes
    from interplay.evaluate.tournament import run_tournament_async
    from interplay.run.accounting import (
        add_accounting,
        add_warnings,
        fallback_cell,
        fallback_warnings,
        from_agent_stats,
    )

    game = _llm_game(part)
    t0 = time.perf_counter()
    model = ctx.resources.model(part.model)  # the part's cache (the run's resources), budget and call record
    load_seconds = time.perf_counter() - t0
    players: dict[str, Any] = {n: strategy_player(n, game, name=n) for n in part.strategies}
    if part.learned:
        players.update({n: strategy_player(p, game, name=n) for n, p in learned.items()})
    llm_names = list(part.agents)
    marks = {f"[{k}]": f"{v:g}" for k, v in part.payoffs.model_dump().items()}  # the part's payoffs in words
    for n, options in part.agents.items():
        opts = dict(options)
        for key in ("system_template", "move_template"):
            if isinstance(opts.get(key), str):
                for mark, value in marks.items():
                    opts[key] = opts[key].replace(mark, value)
        players[n] = LLMAgent(n, model, opts)
    t1 = time.perf_counter()
    result = asyncio.run(run_tournament_async(players, game=game, rounds=part.rounds, repetitions=part.repetitions,
                                              self_play=True, seed=seed, max_matches=part.max_matches))
    play_seconds = time.perf_counter() - t1
    names, M = result.players, result.payoff_matrix
    scores = result.mean_payoffs()
    order = sorted(range(len(names)), key=lambda i: -np.nan_to_num(scores[i], nan=-math.inf))
    cooperation = result.cooperation_rates()
    pi = None if np.isnan(M).any() else alpharank(M, names, alpha=part.alpha, m=part.population_size).pi
    outcomes = tournament_outcomes(result)  # every match here is per-turn: one outcome each, in order
    elo_rows = {r.name: r for r in elo(outcomes, players=names)}
    os_rows = {r.name: r for r in openskill(outcomes, players=names)}
    stats = {n: players[n].stats.as_dict() for n in llm_names}
    acc = {n: from_agent_stats(s) for n, s in stats.items()}
    decisions = sum(s["moves"] for s in stats.values())

    out = {"players": names, "model": model.identity(), "rounds": part.rounds,
           "payoff_matrix": [[None if math.isnan(x) else float(x) for x in row] for row in M],
           "scores": {n: float(scores[i]) for i, n in enumerate(names)},
           "ranked_names": [names[i] for i in order],
           "rank": {names[i]: r + 1 for r, i in enumerate(order)},
           "cooperation": {n: float(cooperation[i]) for i, n in enumerate(names)},
           "alpha_rank": None if pi is None else {n: float(pi[i]) for i, n in enumerate(names)},
           "ratings": {"elo": [r.to_dict() for r in elo_rows.values()],
                       "openskill": [r.to_dict() for r in os_rows.values()]},
           "llm": stats, "decisions": decisions,
           "seconds": {"load_model": load_seconds, "play": play_seconds},
           "decisions_per_second": decisions / play_seconds if play_seconds > 0 else None,
           "matches_played": sum(m.complete for m in result.matches)}
    add_warnings(ctx, fallback_warnings(acc, {n: players[n].config.fallback for n in llm_names}))
    ctx.add_table(f"LLM agents in the population: ranking ({part.rounds}-round matches, self-play included)",
                  [[r + 1, names[i], f"{scores[i]:.3f}", f"{cooperation[i]:.2f}",
                    f"{pi[i]:.3f}" if pi is not None else "n/a (a pairing did not finish)",
                    f"{elo_rows[names[i]].rating:.0f}", f"{os_rows[names[i]].rating:.2f}",
                    fallback_cell(acc.get(names[i]), "invalid", "answers"), fallback_cell(acc.get(names[i]))]
                   for r, i in enumerate(order)],
                  ["rank", "agent", "score per turn", "cooperation", "alpha-Rank mass", "Elo", "OpenSkill",
                   "invalid answers", "moves by fallback"],
                  note=f"Model {model.name} in this process: loaded in {load_seconds:.1f} s; {decisions} LLM "
                       f"decisions in {play_seconds:.1f} s. invalid answers: answers naming no legal action, per "
                       "answer; moves by fallback: moves the agent's declared fallback played after its re-asks, "
                       "per move (above 10% its score is mostly its fallback's). Ratings from match wins: Elo K=32 "
                       "from 1500; OpenSkill ordinal mu - 3 sigma.")
    add_accounting(ctx, acc, title="LLM agents: answers, invalid, re-asks, fallbacks")
    for n in llm_names:
        shown = 0
        for k, rec in enumerate(result.matches):
            if shown >= part.transcripts:
                break
            if n in result.seats(rec):
                ctx.add_transcript(f"llm-{llm_names.index(n) + 1}-match-{k:03d}", rec.events,
                                   title=f"{rec.names[0]} vs {rec.names[1]}")
                shown += 1
    return out
