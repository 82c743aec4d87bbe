"""The ``tournament`` experiment: a round robin of library strategies and memory-one policies,
then the population analyses: ranking with spread, cooperation, alpha-Rank, Moran fixation,
replicator dynamics, meta-game equilibria and ratings. With ``safety:``, safety columns
(:mod:`interplay.safety.evaluation`): welfare lost to conflict, violations and cost of the
forbidden joint actions, and the exact exploitability of every memory-one player.

:func:`tournament_report` adds all of it to any run (the showcase calls it on its own result).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from interplay.errors import InterplayError
from interplay.run.config import ExperimentConfig, Strict
from interplay.run.context import RunContext
from interplay.run.experiments import experiment
from interplay.safety.spec import SafetyConfig

#: alpha * payoff spread above which exp() in alpha-Rank overflows float64 (log of the largest double is 709.8).
ALPHARANK_MAX_EXPONENT = 700


class PayoffsConfig(Strict):
    """Prisoner's dilemma payoffs of the row player (Axelrod's defaults)."""

    R: float = Field(default=3.0, ge=-1e6, le=1e6)
    S: float = Field(default=0.0, ge=-1e6, le=1e6)
    T: float = Field(default=5.0, ge=-1e6, le=1e6)
    P: float = Field(default=1.0, ge=-1e6, le=1e6)

    def tuple(self) -> tuple[float, float, float, float]:
        return (self.R, self.S, self.T, self.P)


class AnalysisConfig(Strict):
    """Settings of the population analyses after the tournament."""

    alpha: float = Field(default=5.0, gt=0, description="alpha-Rank selection intensity")
    m: int = Field(default=50, ge=2, description="alpha-Rank population size")
    moran_size: int = Field(default=20, ge=2, description="population size of the Moran fixation analysis")
    moran_w: float = Field(default=0.5, gt=0, le=1,
                           description="Moran selection intensity w (fitness 1 - w + w * payoff)")
    top: int = Field(default=8, ge=2, description="strategies shown in the Moran and replicator analyses (by rank)")
    replicator_time: float = Field(default=30.0, gt=0, description="time span of the replicator trajectories")


class TournamentSafetyConfig(SafetyConfig):
    """Safety rules on the stage game (state-free: the tournament counts joint actions), plus the
    continuation probability under which memory-one players' exploitability is exact."""

    discount: float | None = Field(default=None, gt=0, lt=1, description="continuation probability gamma of the exact "
                                   "exploitability; default 1 - prob_end, or 1 - 1/turns for fixed-length matches")


class TournamentConfig(ExperimentConfig):
    """A round-robin iterated prisoner's dilemma tournament (Axelrod-library conventions)."""

    kind: Literal["tournament"] = "tournament"
    strategies: list[str] = Field(
        default_factory=lambda: ["Tit For Tat", "Defector", "Cooperator", "Grudger", "Random: 0.5",
                                 "Win-Stay Lose-Shift", "GTFT", "ZD-Extort-2", "Tit For 2 Tats", "Prober"],
        description="library strategy names (see `interplay strategies`), or ['all']")
    policies: dict[str, list[float]] = Field(
        default_factory=dict,
        description="extra players: display name -> memory-one policy [start, CC, CD, DC, DD] (e.g. learned)")
    turns: int = Field(default=200, ge=1, description="turns per match (the most, with prob_end)")
    repetitions: int = Field(default=10, ge=1, description="matches per pair")
    noise: float = Field(default=0.0, ge=0, le=0.5, description="probability each action is flipped")
    prob_end: float = Field(default=0.0, ge=0, lt=1, description="per-turn probability that a match ends")
    payoffs: PayoffsConfig = Field(default_factory=PayoffsConfig)
    self_play: bool = Field(default=True, description="each player also meets a copy of itself")
    analysis: AnalysisConfig = Field(default_factory=AnalysisConfig)
    safety: TournamentSafetyConfig | None = Field(
        default=None,
        description="adds safety columns: welfare lost, violations and cost of forbidden (joint) actions of "
                          "the stage game, exact exploitability of memory-one players")

    resumable = True

    @model_validator(mode="after")
    def _analysable(self) -> TournamentConfig:
        # Checked before any numerics: alpha-Rank multiplies exp(alpha * payoff difference) and the
        # Moran process needs positive fitness 1 - w + w * payoff.
        pay = self.payoffs.tuple()
        spread = self.analysis.alpha * (max(pay) - min(pay))
        if spread > ALPHARANK_MAX_EXPONENT:
            raise ValueError(f"analysis.alpha x (largest - smallest payoff) = {spread:.4g} exceeds "
                             f"{ALPHARANK_MAX_EXPONENT}: alpha-Rank's exp(alpha * payoff difference) would overflow; "
                             "lower analysis.alpha or rescale payoffs")
        w = self.analysis.moran_w
        if 1 - w + w * min(pay) <= 0:
            raise ValueError(f"the Moran fitness 1 - w + w * payoff must stay positive, but with analysis.moran_w = "
                             f"{w:g} the smallest payoff {min(pay):g} makes it {1 - w + w * min(pay):.3g}; lower "
                             "analysis.moran_w or shift payoffs")
        return self

    @field_validator("strategies")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        from interplay.agents.strategies import check_names

        if v != ["all"]:
            try:
                check_names(v, "library names")
            except InterplayError as exc:
                raise ValueError(str(exc)) from None
        return v

    def players(self) -> list[Any]:
        from interplay.agents.strategies import get, memory_one_strategy, strategies

        out: list[Any] = list(strategies()) if self.strategies == ["all"] else [get(n) for n in self.strategies]
        out += [memory_one_strategy(p, name=name, origin="a memory-one policy given in the config")
                for name, p in self.policies.items()]
        return out

    def settings(self) -> Any:
        from interplay.evaluate.tournament import TournamentSettings

        return TournamentSettings(turns=self.turns, repetitions=self.repetitions, noise=self.noise,
                                  prob_end=self.prob_end, payoffs=self.payoffs.tuple(), self_play=self.self_play,
                                  seed=self.seed)


def tournament_report(result: Any, ctx: RunContext, analysis: AnalysisConfig | None = None,
                      prefix: str = "", accounting: Mapping[str, Mapping[str, Any]] | None = None,
                      fallbacks: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Add the tournament's tables and plots to a run, and return the analyses as a dict
    (also stored under ``ctx.results[prefix + "tournament"]``). ``prefix`` names the files;
    section titles get "Tournament: " when it is set.

    The one report of a :class:`~interplay.evaluate.tournament.TournamentResult`, for the
    ``tournament`` and ``llm-tournament`` kinds (and the showcase). ``accounting``: per LLM agent,
    the common accounting record (:func:`interplay.run.accounting.from_agent_stats`); the warning
    for agents whose fallback made more than 10% of their moves goes just above the ranking, and
    the ranking gets the column of moves made by fallback (``fallbacks``: the fallbacks' names).
    alpha-Rank, Moran fixation, replicator dynamics and the meta-game need every entry of the
    payoff matrix; with pairings unplayed (a spent budget) the report says so and they are None.
    """
    from interplay.run.accounting import add_warnings, fallback_cell, fallback_warnings

    head = "Tournament: " if prefix else ""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from interplay.evaluate.alpharank import alpharank, plot_alpharank
    from interplay.evaluate.dynamics import fixation_probability, replicator_continuous
    from interplay.evaluate.metagame import antisymmetrize, nash_average, symmetric_nash
    from interplay.evaluate.ratings import elo, openskill, tournament_outcomes

    a = analysis or AnalysisConfig()
    names = result.players
    n = len(names)
    M = np.asarray(result.payoff_matrix, dtype=float)
    complete = not np.isnan(M).any()
    out = result.to_dict()
    summary = out["summary"]
    acc = accounting or {}
    if acc:
        add_warnings(ctx, fallback_warnings(acc, fallbacks))

    note = _settings_note(result)
    if acc:
        note += (" LLM moves by fallback: moves its declared fallback played after invalid answers (k/n moves); "
                 "above 10% the agent's score is mostly its fallback's.")
    ctx.add_table(f"{head}Ranking (mean payoff per turn against the others: median, 10% and 90% over repetitions)",
                  [[r["rank"], r["name"], *(_cell(r[k]) for k in ("median_score", "score_q10", "score_q90")),
                    r["median_wins"], r["cooperation_rating"], *([fallback_cell(acc.get(r["name"]))] if acc else [])]
                   for r in summary],
                  ["rank", "player", "median", "10%", "90%", "wins", "cooperation",
                   *(["LLM moves by fallback"] if acc else [])], note=note)
    metrics = out["metrics"]
    ctx.add_table(f"{head}Population metrics", [[k, v] for k, v in metrics.items()], ["metric", "value"],
                  note="welfare: mean of both players' payoffs per turn over pairs of distinct players; efficiency: "
                       "welfare over the social optimum; Gini: inequality of mean scores.")
    if n <= PAYOFF_TABLE_MAX:
        ctx.add_table(f"{head}Payoff matrix (row's mean payoff per turn against column)",
                      [[names[i], *(_cell(x, "not played") for x in M[i])] for i in range(n)], ["", *names])

    order = result.ranking
    label = [names[k] for k in order]
    # payoff heatmap and cooperation matrix, in rank order
    for key, mat, title, cmap in (("payoff-heatmap", M, "mean payoff per turn (row against column)", "viridis"),
                                  ("cooperation-matrix", result.normalised_cooperation,
                                   "cooperation rate of row against column", "Blues")):
        fig, ax = plt.subplots(figsize=(0.32 * n + 3.5, 0.3 * n + 2.8))
        im = ax.imshow(np.ma.masked_invalid(np.asarray(mat)[np.ix_(order, order)]), cmap=cmap)
        ax.set_xticks(range(n), label, rotation=90, fontsize=6 if n > 30 else 8)
        ax.set_yticks(range(n), label, fontsize=6 if n > 30 else 8)
        fig.colorbar(im, ax=ax, shrink=0.8)
        ax.set_title(title)
        ctx.add_figure(f"{prefix}{key}", fig, f"{title}; players in rank order.", title=f"{head}{title}")
    # ranking with spread
    fig, ax = plt.subplots(figsize=(max(6.0, 0.25 * n + 2), 4))
    scores = [result.normalised_scores[k] for k in order]
    ax.boxplot([s[~np.isnan(s)] for s in scores], showfliers=False)
    ax.set_xticks(range(1, n + 1), label, rotation=90, fontsize=6 if n > 30 else 8)
    ax.set_ylabel("normalised score per turn")
    ax.set_title("ranking, with spread over repetitions")
    ctx.add_figure(f"{prefix}ranking", fig, "Normalised scores over repetitions, best first.",
                   title=f"{head}ranking with spread")

    outcomes = tournament_outcomes(result)
    elo_board, os_board = elo(outcomes, players=names), openskill(outcomes, players=names)
    analyses: dict[str, Any] = {"alpharank": None, "moran": None, "replicator": None, "nash_equilibria_top": None,
                                "nash_averaging": None}
    top = order[: min(a.top, n)]
    tl = [names[k] for k in top]
    sub = M[np.ix_(top, top)]
    N = a.moran_size
    if not complete:
        missing = int(np.isnan(M).sum())
        ctx.add_text(f"{head}Population analyses", f"alpha-Rank, Moran fixation, replicator dynamics and the "
                     f"meta-game need every entry of the payoff matrix; {missing} of {n * n} are missing "
                     "(pairings not played or not finished), so they are left out (null in results.json).")
    else:
        # alpha-Rank
        ar = alpharank(M, names, alpha=a.alpha, m=a.m)
        fig, ax = plt.subplots(figsize=(7, 7))
        plot_alpharank(ar, ax=ax)
        ctx.add_figure(f"{prefix}alpharank", fig, title=f"{head}alpha-Rank response graph",
                       caption="alpha-Rank response graph (Omidshafiei et al. 2019): node size is "
                       "the stationary mass; arrows where a mutant fixes more likely than by drift.")
        ctx.add_table(f"{head}alpha-Rank", [[nm, p] for nm, p in ar.ranking[:15]], ["strategy", "stationary mass"],
                      note=f"alpha={a.alpha}, m={a.m} (OpenSpiel).")
        analyses["alpharank"] = ar.to_dict()
        # Moran fixation among the top strategies (fitness 1 - w + w * payoff must be positive)
        if 1 - a.moran_w + a.moran_w * float(M.min()) > 0:
            rho = np.array([[fixation_probability(M, i, j, N, w=a.moran_w) if i != j else np.nan for j in top]
                            for i in top])
            fig, ax = plt.subplots(figsize=(0.5 * len(top) + 3.5, 0.45 * len(top) + 2.5))
            im = ax.imshow(rho * N, cmap="coolwarm", vmin=0, vmax=2)
            ax.set_xticks(range(len(top)), tl, rotation=90, fontsize=8)
            ax.set_yticks(range(len(top)), tl, fontsize=8)
            ax.set_xlabel("resident")
            ax.set_ylabel("mutant")
            fig.colorbar(im, ax=ax, shrink=0.8, label="fixation probability x N (1 = neutral)")
            ax.set_title(f"Moran fixation, N={N}, w={a.moran_w}")
            ctx.add_figure(f"{prefix}moran-fixation", fig, title=f"{head}Moran fixation",
                           caption="Exact fixation probability of one mutant among N - 1 residents "
                           "(Nowak 2006, eq. 6.13), relative to neutral drift 1/N.")
            analyses["moran"] = {"N": N, "w": a.moran_w, "strategies": tl, "fixation": rho.tolist(),
                                 "neutral": 1 / N}
        # replicator trajectories
        t = np.linspace(0, a.replicator_time, 200)
        xs = replicator_continuous(sub, np.full(len(top), 1 / len(top)), t)
        fig, ax = plt.subplots(figsize=(7, 4))
        for k in range(len(top)):
            ax.plot(t, xs[:, k], label=tl[k])
        ax.set_xlabel("time")
        ax.set_ylabel("share")
        ax.legend(fontsize=7, ncol=2)
        ax.set_title("replicator dynamics from the uniform mixture of the top strategies")
        ctx.add_figure(f"{prefix}replicator", fig, title=f"{head}replicator dynamics",
                       caption="Continuous replicator dynamics over the top strategies' payoffs.")
        analyses["replicator"] = {"strategies": tl, "final_shares": dict(zip(tl, xs[-1].tolist()))}
        # meta-game
        eqs = symmetric_nash(sub) if len(top) <= 10 else []
        p_na, skill = nash_average(antisymmetrize(M))
        analyses["nash_equilibria_top"] = [dict(zip(tl, e.tolist())) for e in eqs]
        analyses["nash_averaging"] = {"mass": dict(zip(names, p_na.tolist())),
                                      "skill": dict(zip(names, skill.tolist()))}
    ctx.add_table(f"{head}Ratings from wins and losses",
                  [[k + 1, e.name, e.rating, o.name, o.rating, e.games]
                   for k, (e, o) in enumerate(zip(elo_board, os_board))],
                  ["rank", "Elo", "rating", "OpenSkill", "mu - 3 sigma", "games"], note="Elo with K=32 from 1500; "
                  "outcomes applied repetition by repetition, then the per-turn matches in order; self-play left out.")
    analyses["elo"] = [r.to_dict() for r in elo_board]
    analyses["openskill"] = [r.to_dict() for r in os_board]
    ctx.results[prefix + "tournament"] = {**out, "analyses": analyses}
    return analyses


#: players up to which the report shows the payoff matrix as a table (beside the heatmap)
PAYOFF_TABLE_MAX = 12


def _cell(x: Any, why: str | None = None) -> Any:
    """A missing number (None or NaN) as "-", or "n/a (why)" when the reason is given; others unchanged."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return f"n/a ({why})" if why else "-"
    return float(x) if isinstance(x, np.floating) else x


def _settings_note(result: Any) -> str:
    s = result.settings
    parts = [f"{len(result.players)} players", f"{s.turns} turns", f"{s.repetitions} repetitions",
             f"payoffs R,S,T,P={tuple(s.payoffs)}"]
    if s.noise:
        parts.append(f"noise {s.noise}")
    if s.prob_end:
        parts.append(f"end probability {s.prob_end}")
    return ", ".join(parts) + f", seed {s.seed}."


@experiment("tournament", TournamentConfig)
def run_tournament_experiment(cfg: TournamentConfig, ctx: RunContext) -> None:
    from interplay.evaluate.tournament import run_tournament
    from interplay.run.executors import get_executor

    players = cfg.players()
    if len(players) < 2:
        raise InterplayError("strategies: a tournament needs at least two players.")
    spec = cfg.safety.build(_stage_game(cfg)) if cfg.safety is not None else None  # bad rules fail before play
    # units: the blocks of repetitions of the batched program and the per-turn program, journalled as
    # they finish; on --resume the finished ones are not played again (the same numbers to the bit)
    result = run_tournament(players, cfg.settings(), executor=get_executor(cfg.executor),
                            units=ctx.finished_units(), on_unit=ctx.unit_done)
    analyses = tournament_report(result, ctx, cfg.analysis)
    if cfg.safety is not None:
        safety_report(cfg, players, result, spec, ctx)
    for row in result.summary():
        ctx.log_metric(**row)
    ctx.add_text("Summary", f"Winner: {result.ranked_names[0]}. alpha-Rank's top strategy: "
                 f"{analyses['alpharank']['ranking'][0]['name']}.")


def _stage_game(cfg: TournamentConfig) -> Any:
    from interplay.games.catalogue import prisoners_dilemma

    return prisoners_dilemma(**cfg.payoffs.model_dump())


def safety_report(cfg: TournamentConfig, players: list[Any], result: Any, spec: Any, ctx: RunContext) -> None:
    """``results.json["safety"]`` and a table: per player, welfare lost to conflict per turn and, with
    rules, violations and cost per turn against the others (from the joint-action counts;
    :func:`interplay.safety.evaluation.tournament_columns`), and for memory-one players the exact
    exploitability in the iterated game with continuation probability gamma (what a best response
    gains per turn over the player's self-play; :func:`interplay.safety.evaluation.exploitability`)."""
    from interplay.agents.strategies import Context
    from interplay.games.iterated import iterated
    from interplay.safety.evaluation import exploitability, tournament_columns

    safety = cfg.safety
    if safety is None:
        return
    gamma = safety.discount
    if gamma is None:
        gamma = 1.0 - cfg.prob_end if cfg.prob_end > 0 else 1.0 - 1.0 / max(cfg.turns, 2)
    game = iterated(_stage_game(cfg), id="ipd-v1", discount=gamma, noise=cfg.noise)
    sctx = Context(payoffs=cfg.payoffs.tuple(), turns=cfg.turns, length_known=cfg.prob_end == 0,
                   noisy=cfg.noise > 0)
    has_rules = bool(safety.forbid_actions or safety.forbid_joint)
    rows = tournament_columns(result, spec if has_rules else None)
    for row, player in zip(rows, players, strict=True):
        vec = player.memory_one_vector(sctx)
        row["exploitability"] = None if vec is None else exploitability(game, np.asarray(vec, dtype=float))
    ctx.results["safety"] = {"discount": gamma, "rules": spec.description if has_rules else None, "players": rows}
    cols = [c for c in ("welfare_lost_per_turn", "violations_per_turn", "cost_per_turn", "exploitability")
            if c in rows[0]]
    order = result.ranking
    ctx.add_table("Safety", [[rows[k]["name"], *("-" if rows[k][c] is None else round(rows[k][c], 4) for c in cols)]
                             for k in order], ["player", *cols],
                  note=f"Against the other players, per turn; exploitability exact for memory-one players with "
                       f"continuation probability {gamma:g} ('-': not memory-one)."
                       + (f" Rules: {spec.description}." if has_rules and spec.description else ""))
