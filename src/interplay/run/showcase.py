"""The ``showcase`` experiment (what `make demo` runs): one report through the whole loop.

1. A population of classic memory-one strategies in the iterated prisoner's dilemma,
   exact values and sampled play side by side (the ``population`` kind).
2. Learners trained on the exact game: LOLA and naive learners (Foerster et al. 2018),
   batched over seeds.
3. The learned policies enter an Axelrod-style tournament beside the classic strategies,
   followed by alpha-Rank, Moran fixation and replicator dynamics.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field

from interplay.run.config import ExperimentConfig, GameConfig, Strict
from interplay.run.context import RunContext
from interplay.run.experiments import experiment
from interplay.run.opponent_shaping import Pairing, _curves_figure
from interplay.run.population import DEFAULT_AGENTS, PopulationConfig, run_population
from interplay.run.tournament import AnalysisConfig, PayoffsConfig, tournament_report


def _lola_ipd() -> GameConfig:
    return GameConfig(id="ipd-v1", params={"convention": "lola", "discount": 0.96, "horizon": 300})


class PopulationPart(Strict):
    """Part 1: memory-one agents, exact and sampled (see the ``population`` kind)."""

    game: GameConfig = Field(default_factory=_lola_ipd)
    agents: dict[str, str | list[float]] = Field(default_factory=lambda: dict(DEFAULT_AGENTS))
    matches: int = Field(1000, ge=2)


class LearningPart(Strict):
    """Part 2: learner pairings trained on the exact game of part 1."""

    pairings: list[Pairing] = Field(min_length=1, description="learner pairings (see the opponent-shaping kind)")
    seeds: int = Field(16, ge=1, description="runs per pairing, batched")
    updates: int = Field(200, ge=1, description="learning steps per run")
    enter: Literal["median", "best", "first"] = Field(
        "median", description="which seed's seat-1 policy enters the tournament, by its final reward")


class TournamentPart(Strict):
    """Part 3: the learned policies join these strategies in a round robin."""

    strategies: list[str] = Field(default_factory=lambda: ["Tit For Tat", "Defector", "Cooperator", "Grudger"])
    turns: int = Field(200, ge=1)
    repetitions: int = Field(20, ge=1)
    noise: float = Field(0.0, ge=0, le=0.5)
    payoffs: PayoffsConfig = Field(default_factory=PayoffsConfig)
    analysis: AnalysisConfig = Field(default_factory=AnalysisConfig)


class ShowcaseConfig(ExperimentConfig):
    """The front door: population, learners, tournament and evolutionary analyses in one run."""

    kind: Literal["showcase"] = "showcase"
    population: PopulationPart = Field(default_factory=PopulationPart)
    learning: LearningPart | None = None
    tournament: TournamentPart | None = None

    def part1(self) -> PopulationConfig:
        return PopulationConfig(name=self.name, seed=self.seed, game=self.population.game,
                                agents=self.population.agents, matches=self.population.matches)

    def check(self) -> None:
        self.part1().check()
        if self.tournament is not None:
            from interplay.agents.strategies import check_names

            check_names(self.tournament.strategies, "tournament.strategies")


def _pick(final_rewards: np.ndarray, how: str) -> int:
    r = final_rewards[:, 0]
    if how == "first":
        return 0
    if how == "best":
        return int(np.argmax(r))
    return int(np.argsort(r, kind="stable")[len(r) // 2])


@experiment("showcase", ShowcaseConfig)
def run_showcase(cfg: ShowcaseConfig, ctx: RunContext) -> None:
    run_population(cfg.part1(), ctx)
    learned: dict[str, list[float]] = {}
    if cfg.learning is not None:
        from interplay.agents.learners.differentiable import differentiable
        from interplay.agents.learners.exact import train_exact

        game = differentiable(cfg.population.game.make())
        rows = []
        summary: dict[str, Any] = {}
        for idx, pairing in enumerate(ctx.progress(cfg.learning.pairings, "learners")):
            label = pairing.label()
            run = train_exact(game, *pairing.learners, num_seeds=cfg.learning.seeds,
                              num_updates=cfg.learning.updates, seed=cfg.seed + idx)
            final = run.final_rewards
            tft = run.tft_like().mean(0)
            k = _pick(final, cfg.learning.enter)
            entrant = f"{label.split(' vs ')[0]} (learned vs {label.split(' vs ')[-1]})"
            learned[entrant] = [float(x) for x in run.final_policies()[k, 0]]
            rows.append([label, f"{final[:, 0].mean():.3f} ± {final[:, 0].std():.3f}",
                         f"{final[:, 1].mean():.3f} ± {final[:, 1].std():.3f}", f"{tft[0]:.2f} / {tft[1]:.2f}",
                         entrant, " ".join(f"{p:.2f}" for p in learned[entrant])])
            summary[label] = {"reward_per_step_mean": final.mean(0), "reward_per_step_std": final.std(0),
                              "tft_like_fraction": tft, "entrant": entrant, "entrant_policy": learned[entrant]}
            ctx.add_figure(f"learning-{idx + 1}", _curves_figure(label, game, run.rewards, (run.probs1, run.probs2),
                                                                 "update"),
                           caption=f"{label}: {cfg.learning.seeds} seeds, {cfg.learning.updates} updates.",
                           title=f"Learning curves: {label}")
        ctx.add_table("Learners on the exact game (average reward per step after the last update)", rows,
                      ["pairing", "seat 1", "seat 2", "tit-for-tat-like (1 / 2)", "enters the tournament as",
                       "policy [start CC CD DC DD]"],
                      note=f"The {cfg.learning.enter} seed's seat-1 policy enters the tournament.")
        ctx.results["learning"] = summary
    if cfg.tournament is not None:
        from interplay.agents.strategies import get, memory_one
        from interplay.evaluate.tournament import TournamentSettings, run_tournament
        from interplay.run.executors import get_executor

        t = cfg.tournament
        players: list[Any] = [get(n) for n in t.strategies]
        players += [memory_one(p, name=n, origin="trained by interplay's exact-gradient learners")
                    for n, p in learned.items()]
        settings = TournamentSettings(turns=t.turns, repetitions=t.repetitions, noise=t.noise,
                                      payoffs=t.payoffs.tuple(), seed=cfg.seed)
        result = run_tournament(players, settings, executor=get_executor(cfg.executor))
        analyses = tournament_report(result, ctx, t.analysis, prefix="tournament-")
        ctx.add_text("Summary", f"Tournament winner: {result.ranked_names[0]}. alpha-Rank's top strategy: "
                     f"{analyses['alpharank']['ranking'][0]['name']}.")
