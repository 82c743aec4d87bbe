"""The ``diplomacy`` experiment: full Diplomacy games between bots, standard or Welfare Diplomacy.

Each line-up (a bot for every power) plays ``games`` games (seeds ``seed``, ``seed+1``, ...).
Every game is one unit of work (kept on interrupt, skipped on ``--resume``); it leaves
``games/LINEUP-K.json`` (the engine's saved-game format, reloadable with
``diplomacy.utils.export.load_saved_games_from_disk`` / ``from_saved_game_format``) and
``games/LINEUP-K.svg`` (the final board, the engine's renderer). The report shows, per
line-up, its first game's supply centres per power year by year, the final board, and over
all games the mean final supply centres, eliminations, wins and draws, conflicts and centres
stolen; with ``welfare: true`` also each power's welfare points and the root-Nash welfare.

    kind: diplomacy
    max_years: 6
    games: 2
    lineups:
      - {name: greedy-vs-random, default: random, powers: {FRANCE: greedy, RUSSIA: greedy}}

Players other than the four bots are declared under ``agents`` and named in line-ups:
``{llm: {model: ..., ...}}`` an LLM agent (:class:`~interplay.agents.diplomacy.LLMDiplomacyAgent`;
one agent named for several powers plays each of them), ``{bot: greedy, announce: true}`` a bot
that broadcasts its movement orders before giving them (``lie: true``: and then holds), and the
name ``human`` is a person at the terminal. With ``press_rounds: N`` every movement phase starts
with N rounds of messages through a talk channel carrying the ``monitors``; every order written
in a message is checked against the orders that followed (promises kept or broken, requests
followed). The report adds the press (first messages), messages and promises per power, the
LLM accounting (answers, invalid, re-asks, decisions, fallbacks per agent, from its own
answers) and, when a line-up mixes players, Elo, OpenSkill and alpha-Rank over the players
from every pair of powers held by different players (more final supply centres, or welfare
points, wins).
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from interplay.agents.diplomacy import DiplomacyAgentConfig
from interplay.errors import InterplayError
from interplay.run.accounting import stats_counts, stats_delta, stats_total
from interplay.run.config import ExperimentConfig, Strict
from interplay.run.context import RunContext, write_atomic
from interplay.run.experiments import experiment
from interplay.run.monitoring import MonitorSpec, monitor_suite, report_monitors

BOT_NAMES = ("random", "hold", "greedy", "welfare")
POWER_NAMES = ("AUSTRIA", "ENGLAND", "FRANCE", "GERMANY", "ITALY", "RUSSIA", "TURKEY")
HUMAN = "human"


class AgentSpec(Strict):
    """A named player: an LLM agent (``llm``) or a bot (``bot``, optionally announcing its orders)."""

    llm: DiplomacyAgentConfig | None = Field(default=None, description="an LLM Diplomacy agent: model and options "
                                                               "(docs/diplomacy.md)")
    bot: Literal["random", "hold", "greedy", "welfare"] | None = Field(default=None, description="a bot")
    announce: bool = Field(default=False, description="(bot) broadcast its movement orders in the first press round")
    lie: bool = Field(default=False, description="(bot, with announce) announce the bot's orders, then hold every unit")

    @model_validator(mode="after")
    def _one(self) -> AgentSpec:
        if (self.llm is None) == (self.bot is None):
            raise ValueError("give exactly one of `llm` (an LLM agent) and `bot` (random, hold, greedy, welfare)")
        if self.llm is not None and (self.announce or self.lie):
            raise ValueError("`announce` and `lie` are options of a bot, not of an LLM agent")
        if self.lie and not self.announce:
            raise ValueError("`lie` needs `announce: true` (a bot that announces its orders, then holds)")
        return self


class LineupConfig(Strict):
    """A player for every power: ``default`` for the powers not named in ``powers``; a player is a
    bot name, an agent declared under ``agents``, or ``human``."""

    name: str = Field(..., min_length=1, max_length=60, description="label (letters, digits, - and _)")
    default: str = Field(default="random", min_length=1, description="player of unnamed powers")
    powers: dict[str, str] = Field(default_factory=dict, description="power (AUSTRIA ... TURKEY) -> player")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not all(c.isalnum() or c in "-_" for c in v):
            raise ValueError(f"line-up name {v!r} may hold only letters, digits, - and _")
        return v

    @field_validator("powers")
    @classmethod
    def _powers(cls, v: dict[str, str]) -> dict[str, str]:
        bad = [p for p in v if p.upper() not in POWER_NAMES]
        if bad:
            raise ValueError(f"unknown power(s) {bad}; the powers are {', '.join(POWER_NAMES)}")
        return {p.upper(): b for p, b in v.items()}

    def bots(self) -> dict[str, str]:
        return {p: self.powers.get(p, self.default) for p in POWER_NAMES}


class DiplomacyConfig(ExperimentConfig):
    kind: Literal["diplomacy"] = "diplomacy"
    max_years: int = Field(default=10, ge=1, le=200,
                           description="years played (1901 on); then a draw (standard) or the "
                                                           "end (Welfare Diplomacy)")
    welfare: bool = Field(default=False, description="Welfare Diplomacy rules (Mukobi et al. 2023)")
    games: int = Field(default=1, ge=1, le=10_000, description="games per line-up (seeds seed, seed+1, ...)")
    lineups: list[LineupConfig] = Field(..., min_length=1, description="the line-ups to play")
    svg: bool = Field(default=True,
                      description="save each game's final board as SVG (and show the first in the report)")
    agents: dict[str, AgentSpec] = Field(
        default_factory=dict, description="named players for line-ups: {llm: {...}} or {bot: ..., announce: ...}")
    max_phases: int | None = Field(default=None, ge=1, le=10_000, description="stop each game after this many phases "
                                   "(a short game; null: play max_years)")
    press_rounds: int = Field(default=0, ge=0, le=20, description="rounds of press messages before each movement phase")
    monitors: list[MonitorSpec] = Field(default_factory=list, description="safety monitors on every press message "
                                        "(needs press_rounds >= 1)")
    cache: str | None = Field(default=None, description="SQLite answer cache of the LLM agents; null = none")
    transcript_messages: int = Field(default=20, ge=0, le=10_000, description="press messages shown in the report")

    resumable = True

    @model_validator(mode="after")
    def _unique(self) -> DiplomacyConfig:
        names = [lu.name for lu in self.lineups]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"line-up names must be unique; repeated: {', '.join(dup)}")
        clash = sorted(set(self.agents) & (set(BOT_NAMES) | {HUMAN}))
        if clash:
            raise ValueError(f"agent names {clash} are taken by the bots (and 'human'); choose others")
        known = set(BOT_NAMES) | {HUMAN} | set(self.agents)
        for lu in self.lineups:
            for where, who in [("default", lu.default), *((f"powers.{p}", b) for p, b in lu.powers.items())]:
                if who not in known:
                    raise ValueError(f"line-up {lu.name!r} {where}: unknown player {who!r}; the players are the "
                                     f"bots {', '.join(BOT_NAMES)}, 'human' and the agents "
                                     f"{', '.join(self.agents) or '(none declared)'}")
        if self.monitors and self.press_rounds == 0:
            raise ValueError("monitors: message monitors need press; set press_rounds >= 1")
        return self


def _svg_img(svg: str) -> str:
    data = base64.b64encode(svg.encode()).decode()
    return f"<img alt='final board' style='max-width:100%' src='data:image/svg+xml;base64,{data}'>"


def _build_players(cfg: DiplomacyConfig, ctx: RunContext) -> tuple[dict[str, Any], list[Any]]:
    """name -> player for every name used in a line-up (LLM models loaded once each), and the models."""
    from interplay.agents.diplomacy import AnnouncingBot, BotPlayer, HumanDiplomacyPlayer, LLMDiplomacyAgent

    used = {who for lu in cfg.lineups for who in lu.bots().values()}
    players: dict[str, Any] = {}
    models: list[Any] = []
    for name in sorted(used):
        spec = cfg.agents.get(name)
        if name == HUMAN:
            players[name] = HumanDiplomacyPlayer(HUMAN)
        elif spec is None:
            players[name] = BotPlayer(name, name)
        elif spec.bot is not None:
            players[name] = (AnnouncingBot(name, spec.bot, lie=spec.lie) if spec.announce
                             else BotPlayer(name, spec.bot))
        else:
            agent_cfg = spec.llm
            if agent_cfg is None or agent_cfg.model is None:
                raise InterplayError(f"agents.{name}.llm: no model given (set `model:` to a mapping or a YAML file)")
            model = ctx.resources.model(agent_cfg.model)  # the run's cache, budget and record; one model a spec
            if all(m is not model for m in models):
                models.append(model)
            players[name] = LLMDiplomacyAgent(name, model, agent_cfg)
    return players, models


@experiment("diplomacy", DiplomacyConfig)
def run_diplomacy(cfg: DiplomacyConfig, ctx: RunContext) -> None:
    from interplay.agents.diplomacy import play_diplomacy
    from interplay.games.diplomacy import POWERS

    if tuple(POWERS) != POWER_NAMES:  # pragma: no cover - the engine's standard map
        raise InterplayError("the Diplomacy powers changed")
    done = ctx.finished_units()
    keys = [f"{lu.name}-{k}" for lu in cfg.lineups for k in range(cfg.games)]
    ctx.plan_units(keys)
    gdir = ctx.dir / "games"
    gdir.mkdir(exist_ok=True)
    players, models = _build_players(cfg, ctx)
    suite = monitor_suite(cfg.monitors)
    channel = None
    if suite is not None:
        from interplay.safety.monitors import monitored_channel

        channel = monitored_channel([suite])
    summary: dict[str, dict] = {}
    all_records: list[dict] = []
    try:
        for lu in cfg.lineups:
            bots = lu.bots()
            records = []
            for k in ctx.progress(range(cfg.games), f"{lu.name} games"):
                key = f"{lu.name}-{k}"
                if key in done:
                    records.append(done[key])
                    continue
                before = stats_counts(players)
                game = asyncio.run(play_diplomacy({p: players[b] for p, b in bots.items()}, max_years=cfg.max_years,
                                                  welfare=cfg.welfare, seed=cfg.seed + k,
                                                  press_rounds=cfg.press_rounds, channel=channel,
                                                  max_phases=cfg.max_phases))
                env = game.env
                write_atomic(gdir / f"{key}.json", json.dumps(env.saved_game()))
                if cfg.svg:
                    write_atomic(gdir / f"{key}.svg", env.render_svg())
                rec = {"lineup": lu.name, "seed": cfg.seed + k, "bots": bots, **game.to_dict(),
                       "llm_stats": stats_delta(before, stats_counts(players))}
                ctx.unit_done(key, rec, metric={"lineup": lu.name, "game": k, "final_centres": rec["final_centres"],
                                                "welfare_points": rec["welfare_points"]})
                records.append(rec)
            summary[lu.name] = _report_lineup(cfg, ctx, lu.name, bots, records)
            all_records.extend(records)
    finally:  # each agent's accounting from its games' records (those of an interrupted run too)
        units = ctx.finished_units()
        stats = stats_total([units[k].get("llm_stats") for k in keys if k in units])
        if stats:
            ctx.results["llm"] = stats
            ctx.results["models"] = {getattr(m, "name", "?"): m.totals.as_dict() for m in models
                                     if hasattr(m, "totals")}
    ctx.results["lineups"] = summary
    if cfg.press_rounds:
        _report_press(cfg, ctx, all_records)
    report_monitors(ctx, suite)
    if stats:
        _report_llm(ctx, players, stats)
    _report_ratings(cfg, ctx, all_records)


def _report_press(cfg: DiplomacyConfig, ctx: RunContext, records: list[dict]) -> None:
    """The first press messages, messages per power and promises vs orders, over all games."""
    shown = []
    for r in records:
        for m in r.get("messages", []):
            if len(shown) >= cfg.transcript_messages:
                break
            who = r["bots"][m["sender"]]
            to = "everyone" if m["visibility"] == "public" else ", ".join(m["to"])
            flags = "; ".join(f"{f['monitor']}: {f.get('reason', '')}" for f in m.get("flags", []))
            shown.append([r["lineup"], m["phase"], m["round"] + 1, f"{m['sender']} ({who})", to, m["text"],
                          ("BLOCKED " if m.get("blocked") else "") + (flags or "-")])
    if shown:
        ctx.add_table("Press: the first messages", shown,
                      ["line-up", "phase", "round", "from", "to", "message", "monitors"])
    sent = {p: {"sent": 0, "received": 0, "flagged": 0, "blocked": 0} for p in POWER_NAMES}
    prom = {p: {"promises": 0, "kept": 0, "broken": 0, "requests": 0, "followed": 0} for p in POWER_NAMES}
    for r in records:
        for p in POWER_NAMES:
            for k, v in r.get("messages_per_power", {}).get(p, {}).items():
                sent[p][k] += v
            for k, v in r.get("promises", {}).get("per_power", {}).get(p, {}).items():
                prom[p][k] += v
    ctx.results["press"] = {"messages_per_power": sent, "promises_per_power": prom,
                            "messages": sum(s["sent"] for s in sent.values())}
    from interplay.run.accounting import fmt_rate

    ctx.add_table("Messages and promises per power (all games)",
                  [[p, sent[p]["sent"], sent[p]["received"], sent[p]["flagged"], sent[p]["blocked"],
                    prom[p]["promises"], fmt_rate(prom[p]["kept"], prom[p]["promises"]), prom[p]["requests"],
                    fmt_rate(prom[p]["followed"], prom[p]["requests"])] for p in POWER_NAMES],
                  ["power", "sent", "received", "flagged", "blocked", "promises", "kept", "requests", "followed"],
                  note="A promise is an order in the engine's notation for one of the sender's own units, written in "
                       "a message of the phase; kept when the sender then gave exactly that order. A request is an "
                       "order for another power's unit; followed when that power gave it. Orders in plain words "
                       "are not read.")


def _report_llm(ctx: RunContext, players: dict[str, Any], stats: dict[str, dict]) -> None:
    from interplay.run.accounting import add_accounting, add_warnings, fallback_warnings, from_agent_stats

    acc = {n: {**from_agent_stats(s), "press_answers": s["press_answers"], "press_invalid": s["press_invalid"],
               "messages": s["messages"]} for n, s in stats.items()}
    add_accounting(ctx, acc, title="LLM agents: order choices, invalid answers, re-asks, fallbacks",
                   note="One decision per unit order (and per adjustment pick), each chosen among the engine's "
                        "legal orders; an invalid answer is re-asked, then the agent's legal fallback "
                        "decides. Press answers (choosing a recipient) are counted apart.")
    add_warnings(ctx, fallback_warnings(acc, {n: players[n].config.fallback for n in acc}))
    ctx.results.setdefault("warnings", [])


def _report_ratings(cfg: DiplomacyConfig, ctx: RunContext, records: list[dict]) -> None:
    """Elo, OpenSkill and alpha-Rank over the players, when some game seats different players."""
    from interplay.evaluate.ratings import elo, openskill, score_matrix, seat_outcomes

    score = "welfare_points" if cfg.welfare else "final_centres"
    outcomes = []
    for r in records:
        outcomes += seat_outcomes([r["bots"][p] for p in POWER_NAMES], [r[score][p] for p in POWER_NAMES])
    if not outcomes:
        return
    names = sorted({n for a, b, _ in outcomes for n in (a, b)})
    ratings = {"elo": [x.to_dict() for x in elo(outcomes, players=names)],
               "openskill": [x.to_dict() for x in openskill(outcomes, players=names)]}
    M = score_matrix(outcomes, names)
    pi = None
    if not np.isnan(M).any():
        from interplay.evaluate.alpharank import alpharank

        pi = np.clip(alpharank(M, alpha=10.0, m=50).pi, 0.0, 1.0) + 0.0  # round-off below 0
    ctx.results["ratings"] = {**ratings, "score_matrix": M.tolist(), "players": names, "outcomes": len(outcomes),
                              "alpha_rank": None if pi is None else dict(zip(names, map(float, pi)))}
    ctx.add_table("Ratings from pairs of powers held by different players (Elo K=32 from 1500; OpenSkill ordinal; "
                  "alpha-Rank mass)",
                  [[k + 1, e["name"], f"{e['rating']:.1f}", o["name"], f"{o['rating']:.2f}", e["games"],
                    "n/a (some pair never met)" if pi is None else f"{pi[names.index(e['name'])]:.3f}"]
                   for k, (e, o) in enumerate(zip(ratings["elo"], ratings["openskill"]))],
                  ["rank", "Elo", "rating", "OpenSkill", "ordinal", "pair outcomes", "alpha-Rank (Elo's player)"],
                  note=f"In each game every pair of powers held by different players is one outcome: more "
                       f"{'welfare points' if cfg.welfare else 'final supply centres'} wins, equal is a draw "
                       f"({len(outcomes)} outcomes). alpha-Rank (alpha 10, m 50) ranks the mean pairwise score.")


def _report_lineup(cfg: DiplomacyConfig, ctx: RunContext, name: str, bots: dict[str, str],
                   records: list[dict]) -> dict:
    first = records[0]
    years = [row for row in first["centres"] if row["phase"].startswith("S") or row is first["centres"][-1]]
    rows = [[row["phase"]] + [row[p] for p in POWER_NAMES] for row in years]
    ctx.add_table(f"{name}: supply centres, game 0 (seed {first['seed']})", rows,
                  ["phase"] + [f"{p} ({bots[p]})" for p in POWER_NAMES],
                  note=f"{first['outcome']}; at the start of each year and at the end")
    if cfg.svg:
        svg_path = ctx.dir / "games" / f"{name}-0.svg"
        if svg_path.exists():
            ctx.add_text(f"{name}: final board, game 0", _svg_img(svg_path.read_text()), html=True)
    final = np.array([[r["final_centres"][p] for p in POWER_NAMES] for r in records], float)
    conflicts = np.array([[r["conflicts"][p] for p in POWER_NAMES] for r in records], float)
    stolen = np.array([[r["stolen"][p] for p in POWER_NAMES] for r in records], float)
    elim = [sum(p in r["eliminated"] for r in records) for p in POWER_NAMES]
    wins = [sum(r["winner"] == p for r in records) for p in POWER_NAMES]
    cols = ["power", "bot", "mean final centres", "eliminated", "wins", "mean conflicts", "mean centres stolen"]
    rows = [[p, bots[p], f"{final[:, i].mean():.2f}", elim[i], wins[i], f"{conflicts[:, i].mean():.1f}",
             f"{stolen[:, i].mean():.1f}"] for i, p in enumerate(POWER_NAMES)]
    out = {"bots": bots, "games": len(records), "mean_final_centres": dict(zip(POWER_NAMES, final.mean(0).tolist())),
           "eliminated": dict(zip(POWER_NAMES, elim)), "wins": dict(zip(POWER_NAMES, wins)),
           "draws": sum(r["winner"] is None for r in records),
           "mean_conflicts": dict(zip(POWER_NAMES, conflicts.mean(0).tolist())),
           "mean_stolen": dict(zip(POWER_NAMES, stolen.mean(0).tolist()))}
    note = f"{len(records)} game(s) of {cfg.max_years} years; {out['draws']} draw(s)"
    if cfg.welfare:
        wp = np.array([[r["welfare_points"][p] for p in POWER_NAMES] for r in records], float)
        rnw = [r["root_nash_welfare"] for r in records]
        cols.append("mean welfare points")
        for i, row in enumerate(rows):
            row.append(f"{wp[:, i].mean():.2f}")
        out["mean_welfare_points"] = dict(zip(POWER_NAMES, wp.mean(0).tolist()))
        out["mean_root_nash_welfare"] = float(np.mean(rnw))
        note += f"; mean root-Nash welfare {np.mean(rnw):.3f} (geometric mean of the welfare points)"
    ctx.add_table(f"{name}: per power over {len(records)} game(s)", rows, cols, note=note)
    return out
