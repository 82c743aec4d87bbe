"""The ``coordination`` experiment: agents x mechanisms x games, after CoopEval's protocol.

Two parts, one config:

1. The fixed-strategy table (:mod:`interplay.mechanisms.fast`): a population of the fixed
   types (Cooperator, Defector, Reciprocator, Random) under every mechanism (none, cheap
   talk, repetition, reputation, mediator, contracts, commitments) in every game, ``seeds``
   independent runs of ``rounds`` rounds each -> cooperation rate, welfare, share of the
   social optimum and each type's payoff per round, with 95% intervals over seeds (with
   ``talk: true`` also every mechanism composed with cheap talk, ``<mechanism>+talk``); then an
   evolutionary step over each cell's group payoff table (a type's payoff given its
   co-players' types; in the three-player public goods game the whole group counts):
   n-player replicator dynamics (Taylor and Jonker 1978) from equal shares, or the Moran
   process of a finite population with rare mutations (``evolution.dynamics: moran``),
   giving the shares the mechanism selects and the cooperation of the evolved population.
2. ``llm:`` (optional): each LLM agent plays per-turn encounters
   (:func:`interplay.mechanisms.play.encounter`) under every listed mechanism and game
   against each fixed co-player type -> its cooperation rate and payoff, the encounters'
   welfare and share of the optimum, each with n (its decisions), unparsed answers and
   fallback decisions counted from its own answers (:mod:`interplay.run.accounting`).
   Message monitors (``monitors:``) see every cheap-talk message, commitment and mediator
   message.

Recent LLMs defect one-shot, and contracts and mediation sustain cooperation best in
CoopEval (Tewolde et al., ICML 2026); a user with a larger model re-runs the same table by
pointing ``llm.agents`` at it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from pydantic import Field, field_validator

from interplay.errors import InterplayError
from interplay.run.config import ExperimentConfig, GameConfig, Strict
from interplay.run.context import RunContext
from interplay.run.experiments import experiment
from interplay.run.monitoring import MonitorSpec, monitor_suite, report_monitors

MechanismName = Literal["none", "cheap-talk", "repetition", "reputation", "mediator", "contracts", "commitments"]
ALL_MECHANISMS: list[MechanismName] = ["none", "cheap-talk", "repetition", "reputation", "mediator", "contracts",
                                       "commitments"]


def _default_games() -> list[GameConfig]:
    return [GameConfig(id="prisoners-dilemma-v1"),
            GameConfig(id="public-goods-v1", params={"num_players": 3, "multiplier": 1.5}),
            GameConfig(id="trust-game-v1"),
            GameConfig(id="travelers-dilemma-v1"),
            GameConfig(id="stag-hunt-v1"),
            GameConfig(id="chicken-v1", params={"win": 1.0, "lose": -4.0, "crash": -6.0}),
            GameConfig(id="nash-demand-v1")]


class EvolutionConfig(Strict):
    """The evolutionary step over each cell's group payoff table (type against co-player types)."""

    dynamics: Literal["replicator", "moran"] = Field(
        default="replicator", description="replicator: continuous n-player replicator dynamics from equal shares; "
        "moran: the Moran (birth-death) process of a finite population in the small-mutation limit")
    time: float = Field(default=50.0, gt=0, le=1e4, description="how long the replicator dynamics run")
    size: int = Field(default=30, ge=3, le=10_000, description="population size N of the Moran process")
    w: float = Field(default=0.5, gt=0, lt=1, description="Moran selection intensity: fitness 1 - w + w * payoff, "
                                                          "payoffs mapped onto [0, 1]")


class PopulationConfig(Strict):
    """LLM agents in a re-matched population under reputation (beside fixed types), all records public."""

    copies: int = Field(default=2, ge=1, le=100, description="members per LLM agent (so LLMs meet LLMs)")
    fixed: list[Literal["Cooperator", "Defector", "Reciprocator", "Random"]] = Field(
        default_factory=lambda: ["Cooperator", "Defector", "Reciprocator", "Random"],
        description="fixed types in the population, each `fixed_copies` times")
    fixed_copies: int = Field(default=1, ge=0, le=100)
    rounds: int = Field(default=4, ge=1, le=1000, description="rounds; members are re-matched every round")
    runs: int = Field(default=1, ge=1, le=1000, description="independent populations per game")
    games: list[str] | None = Field(default=None, description="game ids of the table (default: llm.games, else all)")


class LLMPartConfig(Strict):
    """LLM agents under the mechanisms, per-turn, against the fixed types."""

    agents: dict[str, dict[str, Any] | Literal["human"]] = Field(
        ..., description="display name -> {llm: {model: {...}, ...}}, or `human`: a person (at a web seat under "
                         "`interplay serve`, else at the terminal; people.fallbacks.NAME: the fixed type that "
                         "answers when the person is silent, default Random)")
    games: list[str] | None = Field(default=None, description="game ids of the table to play (default: all)")
    mechanisms: list[MechanismName] | None = Field(default=None,
                                                   description="mechanisms to play (default: the table's)")
    co_players: list[Literal["Cooperator", "Defector", "Reciprocator", "Random"]] = Field(
        default_factory=lambda: ["Cooperator", "Defector", "Reciprocator", "Random"],
        description="fixed co-player types; every agent meets each in every cell")
    encounters: int = Field(default=1, ge=1, le=1000, description="encounters per co-player type and cell (the agent's "
                                                           "seat rotates)")
    rounds: int = Field(default=3, ge=1, le=100, description="rounds of repetition and reputation encounters")
    mediator: Literal["delegation", "correlated", "llm"] = Field(
        default="delegation", description="the mediator of the LLM encounters; llm: `mediator_agent` proposes a plan")
    mediator_agent: str | None = Field(default=None, description="name of the agent in `agents` that mediates "
                                                         "(mediator: llm)")
    talk: bool = Field(default=False, description="one round of cheap talk before every move under every mechanism "
                                          "(cheap talk composed with each; the cheap-talk column has it anyway)")
    population: PopulationConfig | None = Field(
        default=None, description="also play the LLM agents in a re-matched reputation population (LLMs meet LLMs)")
    max_encounters: int = Field(default=8, ge=1, le=1024, description="encounters in progress at once")
    cache: str | None = Field(default="~/.cache/interplay/llm.sqlite", description="SQLite answer cache; null = none")
    transcripts: int = Field(default=12, ge=0, description="encounter transcripts kept in the run directory")

    @field_validator("agents")
    @classmethod
    def _agents(cls, v: dict[str, dict[str, Any] | str]) -> dict[str, dict[str, Any] | str]:
        if not v:
            raise ValueError("needs at least one LLM agent")
        for name, a in v.items():
            if a != "human" and (not isinstance(a, dict) or set(a) != {"llm"}):
                raise ValueError(f"{name}: an agent is {{llm: {{model: ..., ...}}}} or `human`")
        return v


class CoordinationConfig(ExperimentConfig):
    """Agents x mechanisms x games (see the module docstring)."""

    kind: Literal["coordination"] = "coordination"
    games: list[GameConfig] = Field(default_factory=_default_games, description="normal-form games of the table")
    mechanisms: list[MechanismName] = Field(default_factory=lambda: list(ALL_MECHANISMS))
    strategies: list[Literal["Cooperator", "Defector", "Reciprocator", "Random"]] = Field(
        default_factory=lambda: ["Cooperator", "Defector", "Reciprocator", "Random"],
        description="the fixed types of the population (each min_copies times or more, to fill the groups)")
    min_copies: int = Field(default=2, ge=1, le=1000, description="copies of each type in the population, at least")
    seeds: int = Field(default=1000, ge=2, le=1_000_000, description="independent runs per cell")
    rounds: int = Field(default=10, ge=1, le=10_000, description="rounds per run (random re-matching each round except "
                                                         "under repetition)")
    noise: float = Field(default=0.05, ge=0, le=1,
                         description="probability a chosen action is replaced by a random one")
    reputation: Literal["standing", "image-scoring"] = "standing"
    mediator: Literal["delegation", "correlated"] = Field(default="delegation", description="the mediator of the table")
    transfer: float | None = Field(default=None, ge=0, le=1e9, description="the contract's transfer; null: 1.25 x the "
                                                                   "least making cooperation dominant, per game")
    talk: bool = Field(default=False, description="add each mechanism composed with cheap talk (a round of talk "
                                                  "before every move) as a column '<mechanism>+talk'")
    evolution: EvolutionConfig = Field(default_factory=EvolutionConfig)
    llm: LLMPartConfig | None = None
    monitors: list[MonitorSpec] = Field(default_factory=list, description="message monitors on every message of "
                                        "the LLM encounters")

    def llm_cache(self) -> str | None:
        """The LLM part's answer cache (the run's resources open it)."""
        return self.llm.cache if self.llm is not None else None

    def settings(self, rounds: int | None = None, mediator: str | None = None, talk: bool = False) -> Any:
        from interplay.mechanisms.fast import Settings

        return Settings(rounds=rounds or self.rounds, noise=self.noise, reputation=self.reputation,
                        mediator=mediator or self.mediator, transfer=self.transfer, talk=talk)

    def columns(self) -> list[tuple[str, str, bool]]:
        """The table's columns: (label, mechanism, with cheap talk), the talk-composed ones after the plain ones."""
        cols = [(m, m, False) for m in self.mechanisms]
        if self.talk:
            cols += [(f"{m}+talk", m, True) for m in self.mechanisms if m not in ("none", "cheap-talk")]
        return cols

    def built_games(self) -> dict[str, Any]:
        from interplay.games.normal_form import NormalFormGame

        out: dict[str, Any] = {}
        for k, gc in enumerate(self.games):
            g = gc.make()
            if not isinstance(g, NormalFormGame):
                raise InterplayError(f"games.{k}: {gc.id} is not a normal-form game; the mechanisms wrap normal-form "
                                     "games (see `interplay games`).")
            name = gc.id if gc.id not in out else f"{gc.id}#{k}"
            out[name] = g
        if not out:
            raise InterplayError("games: at least one game is needed.")
        return out

    def check(self) -> None:
        games = self.built_games()
        if len(set(self.mechanisms)) != len(self.mechanisms) or not self.mechanisms:
            raise InterplayError(f"mechanisms: list each at most once, at least one; got {self.mechanisms}.")
        if self.llm is not None:
            from interplay.agents.llm_agent import parse_agent_config
            from interplay.llm.config import parse_model_config

            for name, a in self.llm.agents.items():
                if not isinstance(a, dict):  # a person
                    continue
                acfg = parse_agent_config(a["llm"], where=f"llm.agents.{name}.llm")
                if isinstance(acfg.model, dict):
                    parse_model_config(acfg.model, where=f"llm.agents.{name}.llm.model")
                elif acfg.model is None:
                    raise InterplayError(f"llm.agents.{name}.llm: needs `model:`.")
            for g in self.llm.games or []:
                if g not in games:
                    raise InterplayError(f"llm.games: {g!r} is not a game of the table ({list(games)}).")
            pop = self.llm.population
            if pop is not None:
                players = [a for a, spec in self.llm.agents.items() if isinstance(spec, dict)  # LLM agents only
                           and not (self.llm.mediator == "llm" and a == self.llm.mediator_agent)]
                size = pop.copies * len(players) + pop.fixed_copies * len(pop.fixed)
                clash = sorted(set(players) & {"Cooperator", "Defector", "Reciprocator", "Random"})
                if clash:
                    raise InterplayError(f"llm.population: the agent name(s) {clash} are fixed types' names; rename.")
                for g in pop.games or self.llm.games or list(games):
                    if g not in games:
                        raise InterplayError(f"llm.population.games: {g!r} is not a game of the table ({list(games)}).")
                    if size < games[g].num_players or size % games[g].num_players:
                        raise InterplayError(
                            f"llm.population: {size} members ({pop.copies} per LLM agent, {pop.fixed_copies} per "
                            f"fixed type) cannot be split into groups of {games[g].num_players} for {g}; change "
                            "copies or fixed_copies.")
            if self.llm.mediator == "llm" and not isinstance(self.llm.agents.get(self.llm.mediator_agent or ""),
                                                             dict):
                raise InterplayError("llm.mediator_agent: mediator llm needs the name of one of llm.agents' LLM "
                                     f"agents ({list(self.llm.agents)}), got {self.llm.mediator_agent!r}.")
        if self.monitors and self.llm is None:
            raise InterplayError("monitors: message monitors watch the LLM encounters; add an `llm:` section.")


def _ci(x: np.ndarray) -> dict[str, float | int]:
    from interplay.mechanisms.fast import mean_ci

    m, lo, hi = mean_ci(x)
    return {"mean": m, "low": lo, "high": hi, "n": int(np.sum(~np.isnan(np.asarray(x, dtype=float))))}


def _cell(c: dict[str, Any], digits: int = 3) -> str:
    from interplay.run.accounting import fmt_interval, fmt_value

    return f"{fmt_value(c['mean'], c['n'], digits)} {fmt_interval(c['low'], c['high'], c['n'], digits)}"


def evolve_groups(table: np.ndarray, coop: np.ndarray, present: Sequence[int], n: int,
                  evo: EvolutionConfig) -> dict[str, Any] | None:
    """The evolutionary step over a group payoff table (``CellResult.group_payoff``: the whole group counts, so the
    public goods game is its n-player self, not a pairwise approximation); None if a needed group never met.

    Payoffs are mapped onto [0, 1] by the table's range: a constant added to every payoff leaves the dynamics
    unchanged and a positive factor only rescales time, so ``time`` means the same in every game.
    ``replicator``: the n-player replicator dynamics from equal shares of the ``present`` types, for
    ``evo.time``; the evolved cooperation and payoff are the population's with co-players drawn by those shares.
    ``moran``: a population of ``evo.size``; ``rho[i, j]`` is the exact fixation probability of one type-i
    mutant among type-j residents (co-players drawn without replacement), the shares are the small-mutation
    stationary distribution over the monomorphic populations, and the evolved cooperation and payoff those of
    each monomorphic population, weighted by it."""
    from interplay.evaluate.dynamics import (
        co_player_code,
        group_fixation_probability,
        group_payoff_at,
        replicator_group,
        small_mutation_stationary,
    )

    K = table.shape[0]
    present = list(present)
    finite = table[present][np.isfinite(table[present])]
    if finite.size == 0:
        return None
    lo, span = float(finite.min()), float(np.ptp(finite))
    scaled = (table - lo) / span if span > 0 else np.where(np.isnan(table), np.nan, 0.5)

    def code(mutants: int, i: int, j: int) -> int:
        counts = np.zeros(K, dtype=int)
        counts[i] += mutants
        counts[j] += n - 1 - mutants
        return co_player_code(counts, n)

    if evo.dynamics == "replicator":
        x0 = np.zeros(K)
        x0[present] = 1.0 / len(present)
        probe = group_payoff_at(table, x0, n)  # every group the present types can form, at once
        if np.isnan(probe[present]).any() or np.isnan(group_payoff_at(coop, x0, n)[present]).any():
            return None
        # the groups left NaN are never formed by the present types (their weight is 0): zero them
        x = np.clip(replicator_group(np.nan_to_num(scaled), n, x0, np.array([0.0, evo.time]))[-1], 0.0, None)
        x = x / x.sum()
        return {"shares": x[present], "cooperation": float(x @ group_payoff_at(np.nan_to_num(coop), x, n)),
                "payoff": float(x @ group_payoff_at(np.nan_to_num(table), x, n))}
    N = evo.size
    if n > N:
        raise InterplayError(f"evolution.size: a Moran population of {N} cannot form groups of {n}.")
    m = len(present)
    rho = np.full((m, m), np.nan)
    for a, i in enumerate(present):
        for b, j in enumerate(present):
            if i == j:
                continue
            mut = [scaled[i, code(k, i, j)] for k in range(n)]
            res = [scaled[j, code(k, i, j)] for k in range(n)]
            if np.isnan(mut).any() or np.isnan(res).any():
                return None
            rho[a, b] = group_fixation_probability(mut, res, N, w=evo.w)
    pi = small_mutation_stationary(rho)
    mono = [code(n - 1, i, i) for i in present]
    mono_coop = np.array([coop[i, c] for i, c in zip(present, mono, strict=True)])
    mono_pay = np.array([table[i, c] for i, c in zip(present, mono, strict=True)])
    if np.isnan(mono_coop).any() or np.isnan(mono_pay).any():
        return None
    return {"shares": pi, "cooperation": float(pi @ mono_coop), "payoff": float(pi @ mono_pay),
            "fixation": rho.tolist(), "neutral": 1.0 / N}


@experiment("coordination", CoordinationConfig)
def run_coordination(cfg: CoordinationConfig, ctx: RunContext) -> None:
    from interplay.mechanisms.fast import TYPES, population_types, simulate
    from interplay.mechanisms.roles import roles

    cfg.check()
    games = cfg.built_games()
    types = list(cfg.strategies)
    idx = [TYPES.index(t) for t in types]
    cells: dict[tuple[str, str], Any] = {}
    rows: list[dict[str, Any]] = []
    work = [(g, col) for g in games for col in cfg.columns()]
    for g, (label, mech, talk) in ctx.progress(work, "fixed-strategy table", total=len(work)):
        m = label
        game = games[g]
        # each type at least once per seat of a group, so a group of one type (a monomorphic population) is seen
        pop = population_types(types, game.num_players, max(cfg.min_copies, game.num_players))
        res = simulate(game, mech, pop, cfg.seeds, cfg.settings(talk=talk), seed=cfg.seed)
        cells[(m, g)] = res
        assert res.group_payoff is not None and res.group_cooperation is not None
        evo = evolve_groups(res.group_payoff, res.group_cooperation, idx, game.num_players, cfg.evolution)
        row = {"mechanism": m, "talk": talk or mech == "cheap-talk", "game": g, "cooperation": _ci(res.cooperation),
               "welfare": _ci(res.welfare),
               "share_of_optimum": _ci(res.share),
               "payoffs": {t: _ci(res.type_payoff[:, TYPES.index(t)]) for t in types},
               "transfer": res.transfer, "population": int(pop.size), "group": game.num_players}
        if evo is not None:
            row["evolved_shares"] = dict(zip(types, np.asarray(evo["shares"]).tolist(), strict=True))
            row["evolved_cooperation"] = evo["cooperation"]
            row["evolved_payoff"] = evo["payoff"]
            row["evolved_share_of_optimum"] = float(roles(game).share(evo["payoff"] * game.num_players))
            if "fixation" in evo:
                row["fixation"] = evo["fixation"]
        rows.append(row)
        ctx.log_metric(part="table", mechanism=m, game=g, cooperation=row["cooperation"]["mean"],
                       share_of_optimum=row["share_of_optimum"]["mean"], welfare=row["welfare"]["mean"])
    ctx.results.update({"games": list(games), "mechanisms": [c[0] for c in cfg.columns()], "strategies": types,
                        "seeds": cfg.seeds, "rounds": cfg.rounds, "noise": cfg.noise, "reputation": cfg.reputation,
                        "mediator": cfg.mediator, "table": rows})
    _report_table(cfg, ctx, games, rows)
    if cfg.llm is not None:
        _run_llm(cfg, ctx, games)


def _grid(rows: list[dict[str, Any]], games: dict[str, Any], mechs: Sequence[str], key: str) -> np.ndarray:
    by = {(r["mechanism"], r["game"]): r for r in rows}
    out = np.full((len(games), len(mechs)), np.nan)
    for i, g in enumerate(games):
        for j, m in enumerate(mechs):
            v = by[(m, g)].get(key)
            out[i, j] = v["mean"] if isinstance(v, dict) else (np.nan if v is None else v)
    return out


def _report_table(cfg: CoordinationConfig, ctx: RunContext, games: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mechs = [c[0] for c in cfg.columns()]
    by = {(r["mechanism"], r["game"]): r for r in rows}
    note = (f"{cfg.seeds} seeds, {cfg.rounds} rounds, noise {cfg.noise}, reputation rule {cfg.reputation}, mediator "
            f"{cfg.mediator}; population: {', '.join(cfg.strategies)} (at least {cfg.min_copies} copies each). "
            "Mean [95% interval over seeds]." + (" Columns '<mechanism>+talk': the mechanism with a round of "
                                                 "cheap talk before every move." if cfg.talk else ""))
    for key, title in (("cooperation", "Cooperation rate (fixed strategies)"),
                       ("share_of_optimum", "Share of the social optimum (0: worst outcome, 1: optimum)")):
        ctx.add_table(title, [[g, *(_cell(by[(m, g)][key]) for m in mechs)] for g in games], ["game", *mechs],
                      note=note)
    ctx.add_table("Payoff per round of each agent (fixed strategies)",
                  [[g, m, *(_cell(by[(m, g)]["payoffs"][t], 2) for t in cfg.strategies)] for g in games for m in mechs],
                  ["game", "mechanism", *cfg.strategies], note=note)
    evo = cfg.evolution
    if evo.dynamics == "replicator":
        how = "replicator dynamics from equal shares"
        evo_note = (f"shares at time {evo.time} of dx_i/dt = x_i(f_i(x) - x.f(x)), f_i(x) the expected payoff of "
                    "type i in the cell when its co-players are drawn by the shares x (for groups of more than two "
                    "the whole group's composition counts), payoffs mapped onto [0, 1]; cooperation: that of the "
                    "evolved population meeting itself.")
    else:
        how = f"Moran process, N = {evo.size}, w = {evo.w}, rare mutations"
        evo_note = (f"shares: the stationary distribution over monomorphic populations of the Moran (birth-death) "
                    f"process with N = {evo.size}, fitness 1 - w + w * payoff (w = {evo.w}, payoffs mapped onto "
                    "[0, 1], co-players drawn without replacement from the population), in the limit of rare "
                    "mutations; cooperation: each monomorphic population's, weighted by its share. Fixation "
                    f"probabilities in results.json (neutral: 1/N = {1 / evo.size:.3f}).")
    ctx.add_table(f"After evolution ({how})",
                  [[g, m, *(f"{by[(m, g)]['evolved_shares'][t]:.2f}" if "evolved_shares" in by[(m, g)] else "n/a"
                            for t in cfg.strategies),
                    f"{by[(m, g)].get('evolved_cooperation', float('nan')):.3f}"] for g in games for m in mechs],
                  ["game", "mechanism", *cfg.strategies, "cooperation"], note=evo_note)
    for key, title, fname in (("cooperation", "Cooperation rate", "cooperation"),
                              ("evolved_cooperation", "Cooperation after evolution", "evolved-cooperation")):
        grid = _grid(rows, games, mechs, key)
        fig, ax = plt.subplots(figsize=(1.3 * len(mechs) + 3, 0.55 * len(games) + 1.8), layout="constrained")
        im = ax.imshow(grid, cmap="viridis", vmin=0, vmax=1, aspect="auto")
        ax.set_xticks(range(len(mechs)), mechs, rotation=30, ha="right")
        ax.set_yticks(range(len(games)), list(games))
        for i in range(grid.shape[0]):
            for j in range(grid.shape[1]):
                if not np.isnan(grid[i, j]):
                    ax.text(j, i, f"{grid[i, j]:.2f}", ha="center", va="center", fontsize=8,
                            color="white" if grid[i, j] < 0.5 else "black")
        fig.colorbar(im, ax=ax, shrink=0.8)
        ax.set_title(title)
        ctx.add_figure(fname, fig, f"{title}: games x mechanisms (fixed strategies).", title=title)
        plt.close(fig)


# -- the LLM part ------------------------------------------------------------------------------------
def _run_llm(cfg: CoordinationConfig, ctx: RunContext, games: dict[str, Any]) -> None:
    from interplay.agents.llm_agent import LLMAgent, parse_agent_config
    from interplay.mechanisms.fast import TYPES
    from interplay.mechanisms.play import FixedPlayer, encounter
    from interplay.mechanisms.roles import roles
    from interplay.run.accounting import add_accounting, add_warnings, agent_accounting, fallback_warnings
    from interplay.talk.answers import AnswerCounts

    llm = cfg.llm
    assert llm is not None
    agents: dict[str, Any] = {}
    people: dict[str, Any] = {}  # name -> its seat (a web page under `interplay serve`) or None (the terminal)
    from interplay.agents.people import active_hub

    hub = active_hub()
    ctx_fallbacks = dict(hub.fallbacks) if hub is not None else {}
    for who, fb in ctx_fallbacks.items():
        if fb not in TYPES:
            raise InterplayError(f"people.fallbacks.{who}: a person's fallback in a coordination run is one of the "
                                 f"fixed types {list(TYPES)}, got {fb!r}.")
    for name, spec in llm.agents.items():
        if not isinstance(spec, dict):  # a person
            from interplay.agents.human import HumanPlayer

            people[name] = None if hub is None else hub.seat(name, "player")
            agents[name] = HumanPlayer(name) if hub is None else None  # a web person is made per encounter
            continue
        acfg = parse_agent_config(spec["llm"], where=f"llm.agents.{name}.llm")
        if acfg.model is None:
            raise InterplayError(f"agent {name!r}: no model given (set `model:` to a mapping or a YAML file).")
        agents[name] = LLMAgent(name, ctx.resources.model(acfg.model), acfg)  # one model a spec (the run's cache)
    mediator_agent = agents.get(llm.mediator_agent or "") if llm.mediator == "llm" else None
    players = [n for n in agents if mediator_agent is None or agents[n] is not mediator_agent]
    suite = monitor_suite(cfg.monitors)
    channel = None
    if suite is not None:
        from interplay.safety.monitors import monitored_channel

        channel = monitored_channel([suite])
    gnames = llm.games or list(games)
    mechs = list(llm.mechanisms or cfg.mechanisms)
    settings = cfg.settings(rounds=llm.rounds, mediator=llm.mediator if llm.mediator != "llm" else "delegation")
    jobs = [(a, g, m, t, e) for a in players for g in gnames for m in mechs for t in llm.co_players
            for e in range(llm.encounters)]
    sem = asyncio.Semaphore(llm.max_encounters)
    turns = {name: asyncio.Lock() for name in people}  # a person plays one encounter at a time, in order
    finished: list[tuple[tuple[str, str, str, str, int], Any, int]] = []

    async def one(job: tuple[str, str, str, str, int], k: int) -> None:
        a, g, m, t, e = job
        game = games[g]
        rl = roles(game)
        n = game.num_players
        seat = 0 if m == "reputation" else e % n
        kind = TYPES.index(t)
        me = agents[a]
        if people.get(a) is not None:  # a web seat, its fallback the declared fixed type in this mechanism
            from interplay.agents.people import WebPlayer

            fb = str(ctx_fallbacks.get(a, "Random"))
            me = WebPlayer(a, people[a], FixedPlayer(f"{a} (fallback {fb})", TYPES.index(fb), m, rl))
        seats: list[Any] = []
        for i in range(n):
            seats.append(me if i == seat else FixedPlayer(f"{t} {i + 1}" if n > 2 else t, kind, m, rl))
        if m == "reputation":
            seats = [me]
        lock = turns.get(a)
        if lock is not None:
            await lock.acquire()
        try:
            async with sem:
                enc = await encounter(game, m, seats, settings=settings, mediator=llm.mediator,
                                      mediator_model=mediator_agent, seed=cfg.seed * 1_000_003 + k,
                                      channel=channel, co_player_types=[kind], talk_rounds=int(llm.talk))
        finally:
            if lock is not None:
                lock.release()
        finished.append((job, enc, seat))

    population: list[tuple[str, int, Any]] = []

    async def all_jobs() -> None:
        await asyncio.gather(*(one(j, k) for k, j in enumerate(jobs)))
        if llm.population is not None:  # in the same event loop as the encounters (a model's client is bound to it)
            population.extend(await _populations(cfg, games, agents, [a for a in players if a not in people],
                                                 channel))

    for _ in ctx.progress([0], f"LLM encounters ({len(jobs)})" + (" and populations" if llm.population else ""),
                          total=1):
        asyncio.run(all_jobs())
    finished.sort(key=lambda x: jobs.index(x[0]))
    # per cell (agent, game, mechanism): the agent's moves, payoffs, welfare, and its accounting
    cells: dict[tuple[str, str, str], dict[str, Any]] = {}
    extra_counts: dict[str, AnswerCounts] = {}
    errors = []
    kept = 0
    for (a, g, m, t, e), enc, seat in finished:
        game = games[g]
        rl = roles(game)
        c = cells.setdefault((a, g, m), {"coop": [], "pay": [], "welfare": [], "decisions": 0, "unparsed": 0,
                                         "fallbacks": 0, "encounters": 0, "against": {}})
        c["encounters"] += 1
        if enc.error:
            errors.append({"agent": a, "game": g, "mechanism": m, "co_player": t, "error": enc.error})
        for o in enc.outcomes:
            s = 0 if m == "reputation" else seat
            c["coop"].append(float(o.actions[s] == rl.cooperate[s]))
            c["pay"].append(o.payoffs[s])
            c["welfare"].append(o.welfare)
            c["against"].setdefault(t, []).append(o.payoffs[s])
            ctx.append_jsonl("outcomes.jsonl", {"agent": a, "co_player": t, "seat": s, **o.to_dict()})
        for ev in enc.events:
            if ev.get("kind") == "move" and ev.get("sender") == a or (ev.get("kind") == "move" and
                                                                       str(ev.get("sender", "")).startswith(a + " (")):
                c["decisions"] += 1
                c["unparsed"] += int(ev.get("invalid") or 0)
                c["fallbacks"] += int(bool(ev.get("fallback")))
        mine = enc.counts.get(a)
        if mine is not None:
            c["decisions"] += mine.decisions
            c["unparsed"] += mine.invalid
            c["fallbacks"] += mine.fallbacks
        for who, cnt in enc.counts.items():
            extra_counts.setdefault(who, AnswerCounts()).merge(cnt)
        if kept < llm.transcripts and enc.events:
            kept += 1
            ctx.add_transcript(f"{a}-{g}-{m}-{t}-{e}", enc.events, title=f"{a} vs {t}: {g}, {m}")
    llm_rows = []
    for (a, g, m), c in cells.items():
        rl = roles(games[g])
        welfare = np.asarray(c["welfare"], dtype=float)
        llm_rows.append({"agent": a, "game": g, "mechanism": m, "encounters": c["encounters"],
                         "cooperation": _ci(np.asarray(c["coop"])), "payoff": _ci(np.asarray(c["pay"])),
                         "welfare": _ci(welfare), "share_of_optimum": _ci(np.asarray(rl.share(welfare))),
                         "payoff_against": {t: float(np.mean(v)) for t, v in c["against"].items()},
                         "decisions": c["decisions"], "unparsed": c["unparsed"], "fallbacks": c["fallbacks"]})
    pop_rows = _population_rows(ctx, population, llm.transcripts - kept) if population else []
    acc = {}
    for name, agent in agents.items():
        if name in people:  # a person's answers are in results.json's `people`, not an LLM's accounting
            continue
        s = agent.stats
        x = extra_counts.get(name, AnswerCounts())
        unparsed = {k: v for k, v in (("length", s.truncated_answers), ("empty", s.empty_answers),
                                      ("invalid", s.invalid_answers - s.truncated_answers - s.empty_answers))
                    if v > 0}
        for k, v in x.unparsed.items():
            unparsed[k] = unparsed.get(k, 0) + v
        acc[name] = agent_accounting(answers=s.answers + x.answers, invalid=s.invalid_answers + x.invalid,
                                     reasks=s.reasks + x.reasks, decisions=s.moves + x.decisions,
                                     fallbacks=s.fallbacks + x.fallbacks, unparsed=unparsed,
                                     calls=s.calls, cached_calls=s.cached_calls, tokens=s.prompt_tokens +
                                     s.completion_tokens, votes_commitments_plans=x.decisions)
    ctx.results["llm"] = {"rows": llm_rows, "errors": errors, "encounters": len(jobs), "rounds": llm.rounds,
                          "mediator": llm.mediator, "co_players": list(llm.co_players)}
    if llm.population is not None:
        pc = llm.population
        ctx.results["llm"]["population"] = {"rows": pop_rows, "copies": pc.copies, "fixed": list(pc.fixed),
                                            "fixed_copies": pc.fixed_copies, "rounds": pc.rounds, "runs": pc.runs,
                                            "reputation": cfg.reputation}
    warnings = fallback_warnings(acc)
    add_warnings(ctx, warnings)
    ctx.add_table("LLM agents under the mechanisms (per-turn, against the fixed co-players)",
                  [[r["agent"], r["game"], r["mechanism"], _cell(r["cooperation"]), _cell(r["payoff"], 2),
                    _cell(r["share_of_optimum"]), r["decisions"], r["unparsed"], r["fallbacks"]] for r in llm_rows],
                  ["agent", "game", "mechanism", "cooperation", "payoff", "share of optimum", "n (decisions)",
                   "unparsed", "fallbacks"],
                  note=f"each agent met {', '.join(llm.co_players)} {llm.encounters} time(s) per cell; repetition "
                       f"and reputation encounters last {llm.rounds} rounds. n counts the agent's decisions (moves, "
                       "contract votes, commitments); unparsed answers were re-asked and, if still bad, its "
                       "fallback decided. Mean [95% interval over the agent's moves].")
    if llm.population is not None:
        pc = llm.population
        ctx.add_table(
            "LLM agents in a re-matched reputation population",
            [[r["game"], r["member"], r["members"], _cell(r["cooperation"]), _cell(r["cooperation_with_llms"]),
              _cell(r["payoff"], 2), r["decisions"], r["invalid"], r["fallbacks"]] for r in pop_rows],
            ["game", "member", "members", "cooperation", "cooperation with LLM co-players", "payoff per round",
             "n (decisions)", "invalid", "fallbacks"],
            note=f"{pc.copies} member(s) per LLM agent and {pc.fixed_copies} per fixed type "
                 f"({', '.join(pc.fixed)}), re-matched at random every round for {pc.rounds} rounds, {pc.runs} "
                 f"run(s); every member sees its co-players' last actions and standing ({cfg.reputation}). n: "
                 "moves; invalid: answers re-asked; fallbacks: moves its fallback made. Mean [95% interval over "
                 "moves].")
    add_accounting(ctx, acc, note="votes, commitments and mediator plans are counted with the moves")
    if errors:
        ctx.add_text("LLM encounters that did not finish", "\n".join(
            f"{e['agent']} vs {e['co_player']} ({e['game']}, {e['mechanism']}): {e['error']}" for e in errors))
    if suite is not None:
        report_monitors(ctx, suite)
    if ctx.resources.cache_path is not None:
        ctx.results["llm"]["cache"] = {"path": str(llm.cache)}


async def _populations(cfg: CoordinationConfig, games: dict[str, Any], agents: dict[str, Any], players: list[str],
                       channel: Any) -> list[tuple[str, int, Any]]:
    """Every re-matched reputation population of ``llm.population``: (game, run, PopulationRun)."""
    from interplay.mechanisms.fast import TYPES
    from interplay.mechanisms.play import FixedPlayer, reputation_population
    from interplay.mechanisms.roles import roles

    llm = cfg.llm
    assert llm is not None and llm.population is not None
    pc = llm.population
    settings = cfg.settings(rounds=pc.rounds)
    out = []
    for g in pc.games or llm.games or list(games):
        game = games[g]
        rl = roles(game)
        for run in range(pc.runs):
            kinds = [a for a in players for _ in range(pc.copies)] + [t for t in pc.fixed
                                                                       for _ in range(pc.fixed_copies)]
            # neutral names, dealt at random: a member's name says nothing of its kind, only its record does
            label = [f"Player {k + 1}" for k in np.random.default_rng([cfg.seed, run, 5]).permutation(len(kinds))]
            members: list[tuple[str, str, Any]] = [
                (label[i], k, agents[k] if k in agents else FixedPlayer(label[i], TYPES.index(k), "reputation", rl))
                for i, k in enumerate(kinds)]
            res = await reputation_population(game, members, settings=settings, rounds=pc.rounds,
                                              seed=cfg.seed * 1_000_003 + 7919 * run + 17, channel=channel,
                                              talk_rounds=int(llm.talk))
            out.append((g, run, res))
    return out


def _population_rows(ctx: RunContext, population: list[tuple[str, int, Any]], transcripts: int) -> list[dict[str, Any]]:
    """Per game and member kind (an LLM agent or a fixed type): cooperation, payoff and the members' accounting."""
    from interplay.mechanisms.fast import TYPES

    by: dict[tuple[str, str], list[Any]] = {}
    kept = 0
    for g, run, res in population:
        for o in res.outcomes:
            ctx.append_jsonl("population-outcomes.jsonl", {"run": run, **o.to_dict()})
        for m in res.members:
            by.setdefault((g, m.kind), []).append(m)
        if res.error:
            ctx.add_text(f"Reputation population {g} (run {run}) did not finish", res.error)
        if kept < transcripts and res.events:
            kept += 1
            ctx.add_transcript(f"population-{g}-{run}", res.events, title=f"re-matched reputation population: {g}")
    rows = []
    for (g, kind), ms in by.items():
        coop = np.asarray([c for m in ms for c in m.cooperated], dtype=float)
        pay = np.asarray([x for m in ms for x in m.payoffs], dtype=float)
        with_llm = np.asarray([c for m in ms for c, w in zip(m.cooperated, m.with_llm, strict=True) if w], dtype=float)
        rows.append({"game": g, "member": kind, "llm": kind not in TYPES, "members": len(ms),
                     "cooperation": _ci(coop), "cooperation_with_llms": _ci(with_llm), "payoff": _ci(pay),
                     "decisions": sum(m.decisions for m in ms), "invalid": sum(m.invalid for m in ms),
                     "fallbacks": sum(m.fallbacks for m in ms)})
    return rows
