"""The ``llm-tournament`` experiment: LLM agents, fixed strategies and learned policies in one population.

Every pairing plays per-turn matches in the one round robin
(:func:`interplay.evaluate.tournament.run_tournament_async`, the same engine and
:class:`~interplay.evaluate.tournament.TournamentResult` as the ``tournament`` kind),
concurrently under asyncio, bounded by ``max_matches`` and each model's
``max_concurrency``. The run directory gets:

* results.json: the payoff matrix (mean payoff per turn of row against column),
  ranking, cooperation rates, the tournament record (``tournament``), alpha-Rank
  (Omidshafiei et al. 2019, OpenSpiel's implementation) when every entry is known, per-agent LLM accounting (calls,
  cached calls, tokens, cost, retries, invalid-answer and fallback rates), the
  budget, the cache's hits and any problem with it;
* transcripts/: the messages and moves of the matches LLM agents or people played;
* llm-calls.jsonl: every call, replayable with ``provider: replay``;
* report.html: the ``tournament`` kind's report (:func:`interplay.run.tournament.tournament_report`:
  ranking with each LLM agent's fallback moves and the >10% warning, payoff matrix, heatmaps,
  population analyses, ratings), the LLM agents' calls and answers, and the transcripts
  (fallback moves marked);
* with ``monitors:``, every cheap-talk message passes the message monitors of
  :mod:`interplay.safety.monitors` on a talk channel before delivery (a blocked message
  reaches no reader); flags and blocks are marked in the transcripts, counted per agent
  in ``results.json["safety"]`` and summarised under ``results.json["monitors"]``;
* with ``audit: true``, audit.jsonl: every model call, message (with its flags) and move,
  hash-chained (:mod:`interplay.safety.audit`), checked at the end and by
  ``interplay audit verify RUN_DIR``.

A spent budget stops the tournament cleanly: no new match starts, finished ones
are kept and reported, and ``stopped`` says why. With the cache, re-running the
same config makes no calls for the matches already played and gives the same numbers.
The API key is never written: configs name the environment variable only.
"""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any, ClassVar, Literal

from pydantic import Field

from interplay.errors import InterplayError
from interplay.run.accounting import fmt_rate, from_agent_stats
from interplay.run.config import AuditSetting, BudgetConfig, ExperimentConfig, GameConfig
from interplay.run.context import RunContext
from interplay.run.experiments import experiment
from interplay.run.monitoring import MonitorSpec, monitor_suite, report_monitors
from interplay.run.resources import RunResources
from interplay.run.tournament import AnalysisConfig, tournament_report
from interplay.safety.spec import SafetyConfig


class LLMTournamentConfig(ExperimentConfig):
    """A round robin among LLM agents, strategies and learned policies."""

    kind: Literal["llm-tournament"] = "llm-tournament"
    game: GameConfig = Field(default_factory=lambda: GameConfig(id="ipd-v1", params={"horizon": 10}))
    agents: dict[str, str | dict[str, Any]] = Field(
        ..., description="display name -> 'Tit For Tat' | 'learned:lola' | 'random' | 'llm:MODEL.yaml' | "
                         "{llm: {model: {...}, temperature: ..., ...}}")
    repetitions: int = Field(default=1, ge=1, description="matches per pairing")
    self_play: bool = Field(default=True, description="each agent also meets itself (needed for alpha-Rank)")
    rounds: int | None = Field(default=None, ge=1, description="turns per match (default: the game's horizon)")
    talk_rounds: int = Field(default=0, ge=0, description="cheap-talk rounds before each move")
    safety: SafetyConfig | None = Field(default=None, description="forbidden (joint) actions: adds violations and "
                                                          "cost per turn to the safety columns")
    talk_visibility: Literal["public", "private"] = "public"
    max_matches: int = Field(default=32, ge=1, description="matches in progress at once")
    budget: BudgetConfig = Field(default_factory=BudgetConfig)
    cache: str | None = Field(default="~/.cache/interplay/llm.sqlite", description="SQLite answer cache; null = none")
    transcripts: int = Field(default=50, ge=0, description="at most this many match transcripts in the run directory")
    alpha: float = Field(default=10.0, gt=0, description="alpha-Rank selection intensity")
    population_size: int = Field(default=50, ge=2, description="alpha-Rank population size m (OpenSpiel's default 50)")
    monitors: list[MonitorSpec] = Field(default_factory=list, description="safety monitors on every cheap-talk "
                                        "message (needs talk_rounds > 0)")
    audit: AuditSetting = Field(default=False, description="write audit.jsonl: every model call, message and move, "
                                "hash-chained; {key_env: NAME} keys it (HMAC)")
    own_audit: ClassVar[bool] = True
    resumable: ClassVar[bool] = True

    def check(self) -> None:
        game = self.game.make()
        from interplay.agents.match import stage_of

        spec = stage_of(game)[0]
        if spec.num_players != 2:
            raise InterplayError(f"game.id: llm-tournament plays two-player games; {spec.id} has "
                                 f"{spec.num_players}.")
        if len(self.agents) < 2:
            raise InterplayError("agents: a tournament needs at least two agents.")
        for name, a in self.agents.items():
            if isinstance(a, dict) and set(a) != {"llm"}:
                raise InterplayError(f"agents.{name}: a mapping agent is {{llm: {{model: ..., ...}}}}, "
                                     f"got keys {sorted(a)}.")
        self._check_agent_specs()
        if self.safety is not None:
            self.safety.build(game)  # bad rules fail before any model call
        if self.monitors and self.talk_rounds == 0:
            raise InterplayError("monitors: message monitors need cheap talk; set talk_rounds >= 1.")


    def _check_agent_specs(self) -> None:
        """Validate every agent spec without building it: LLM agents' settings and model mappings
        (no model is loaded or called), strategy names (all unknown ones named) and policies."""
        import yaml

        from interplay.agents.llm_agent import parse_agent_config
        from interplay.agents.strategies import check_names, memory_one_strategy
        from interplay.llm.config import parse_model_config

        names: list[str] = []
        for name, a in self.agents.items():
            where = f"agents.{name}"
            if isinstance(a, dict):
                acfg = parse_agent_config(a["llm"], where=f"{where}.llm")
                if isinstance(acfg.model, dict):
                    parse_model_config(acfg.model, where=f"{where}.llm.model")
                elif acfg.model is None:
                    raise InterplayError(f"{where}.llm: needs `model:` (a model mapping or a model file).")
                continue
            spec = a.strip()
            if spec.startswith(("llm:", "learned:")) or spec in ("human", "random"):
                continue
            if spec.startswith("["):
                try:
                    memory_one_strategy(yaml.safe_load(spec), name=where)
                except (yaml.YAMLError, TypeError, ValueError):
                    raise InterplayError(f"{where}: {spec!r} is not a list of 5 probabilities.") from None
                continue
            names.append(spec)
        if names:
            check_names(names, "agents (strategy names)")


def build_players(cfg: LLMTournamentConfig, game: Any, resources: RunResources) -> dict[str, Any]:
    """The population: one player per configured agent; LLM agents with the same model share it
    (models from the run's resources: its cache, budget and call record)."""
    from interplay.agents.factory import player_from_spec
    from interplay.agents.llm_agent import LLMAgent, parse_agent_config

    players: dict[str, Any] = {}
    for name, spec in cfg.agents.items():
        if isinstance(spec, dict):
            acfg = parse_agent_config(spec["llm"], where=f"agents.{name}.llm")
            players[name] = LLMAgent(name, resources.model(acfg.model), acfg)
        else:  # llm:FILE agents share one model a file (player_from_spec keys them by path)
            players[name] = player_from_spec(spec, game, name=name, cache=resources.cache, budget=resources.budget,
                                             record=resources.record, models=resources.models)
    return players


@experiment("llm-tournament", LLMTournamentConfig)
def run_llm_tournament(cfg: LLMTournamentConfig, ctx: RunContext) -> None:
    from interplay.evaluate.tournament import run_tournament_async, seat_names

    cfg.check()
    game = cfg.game.make()
    players = build_players(cfg, game, ctx.resources)
    llm_names = [n for n, p in players.items() if hasattr(p, "stats")]
    suite = monitor_suite(cfg.monitors)
    channel = None
    if suite is not None:
        from interplay.safety.monitors import monitored_channel

        channel = monitored_channel([suite])
    audit, on_event = ctx.audit, None  # the runner opens the run's log when the config asks for one
    if audit is not None:
        from interplay.safety.audit import AuditedModel, match_events

        audit.append("players", {"players": list(players)})
        for n in llm_names:  # every model call of each agent is recorded; the model is unchanged
            players[n].model = AuditedModel(players[n].model, audit, agent=n)
        on_event = match_events(audit)
    # each match is a unit of work: results.json is rewritten as each ends, and --resume skips it
    names_ = list(players)
    keys = {p: _unit_key(p) for p in _pairings(len(names_), cfg)}
    ctx.plan_units(keys.values())
    finished = _finished_matches(ctx, keys)
    done = {"n": len(finished), "transcripts": sum(1 for r in finished.values() if r.events)}
    recorded = {*llm_names, *(n for n, p in players.items() if getattr(p, "person", False))}  # LLMs and people

    def on_match(rec: Any) -> None:
        done["n"] += 1
        show = (done["transcripts"] < cfg.transcripts and (rec.complete or rec.length or rec.events)
                and any(n in recorded for n in seat_names(rec, names_)))
        done["transcripts"] += bool(show)
        ctx.unit_done(keys[rec.pairing], {**rec.to_dict(), "messages": [m.to_dict() for m in rec.messages],
                                          "error_type": rec.error_type, "planned_length": rec.planned_length,
                                          "pairing": list(rec.pairing), "transcript": bool(show)},
                      metric={"match": done["n"], "players": list(rec.names), "complete": rec.complete,
                              "length": rec.length, "totals": rec.totals.tolist(), "error": rec.error},
                      transcript=rec.events if show else None)

    result = asyncio.run(run_tournament_async(players, game=game, rounds=cfg.rounds, repetitions=cfg.repetitions,
                                              self_play=cfg.self_play, seed=cfg.seed, max_matches=cfg.max_matches,
                                              talk_rounds=cfg.talk_rounds, talk_visibility=cfg.talk_visibility,
                                              on_match=on_match, channel=channel, on_event=on_event,
                                              finished=finished))
    names = result.players
    M = result.payoff_matrix
    scores = result.mean_payoffs()
    cooperation = result.cooperation_rates()
    stats = {n: players[n].stats.as_dict() for n in llm_names}

    ctx.results.update({
        "players": names,
        "payoff_matrix": [[None if math.isnan(x) else float(x) for x in row] for row in M],
        "scores": {n: (None if math.isnan(scores[i]) else float(scores[i])) for i, n in enumerate(names)},
        "ranked_names": result.ranked_names,
        "cooperation": {n: (None if math.isnan(cooperation[i]) else float(cooperation[i]))
                        for i, n in enumerate(names)},
        "matches_played": sum(m.complete for m in result.matches),
        "matches_incomplete": [{"players": list(m.names), "rounds": m.length, "error": m.error}
                               for m in result.incomplete],
        "matches_not_played": [{"players": [a, b], "repetition": r} for a, b, r in result.not_played],
        "stopped": result.stopped,
        "llm": stats,
        "budget": ctx.resources.budget.as_dict(),
        "cache": ctx.resources.cache_summary(),
    })

    from interplay.safety.evaluation import match_columns  # safety columns: welfare lost to conflict

    safety = match_columns(result.matches, names, game, cfg.safety.build(game) if cfg.safety else None)
    if cfg.safety is not None:
        cols = [c for c in ("welfare_lost_per_turn", "violations_per_turn", "cost_per_turn") if c in safety[0]]
        ctx.add_table("Safety: forbidden actions per agent", [[r["name"], *(_fmt(r[c]) for c in cols)]
                                                             for r in safety], ["agent", *cols],
                      note=cfg.safety.description or "per turn, over the agent's complete matches")
    if suite is not None:  # flags and blocks of each agent's messages, over all its matches
        counts = result.message_counts()
        for row in safety:
            row.update({f"messages_{k}" if k != "messages" else k: v for k, v in counts[row["name"]].items()})
        report_monitors(ctx, suite)
        ctx.add_table("Safety: messages flagged and blocked per agent",
                      [[r["name"], r["messages"], r["messages_flagged"], r["messages_blocked"],
                        _fmt(r["welfare_lost_per_turn"])] for r in safety],
                      ["agent", "messages", "flagged", "blocked", "welfare lost per turn"])
    ctx.results["safety"] = safety
    if audit is not None:
        audit.append("results", {"players": names, "payoff_matrix": ctx.results["payoff_matrix"],
                                 "stopped": result.stopped})
    acc = {n: from_agent_stats(s) for n, s in stats.items()}
    _add_resumed(acc, finished.values(), names)
    ctx.results["accounting"] = acc
    # the tournament kind's report: ranking (with the fallback column and warning), payoff matrix,
    # heatmaps, alpha-Rank and the other population analyses when every pairing was played, ratings
    analyses = tournament_report(result, ctx, AnalysisConfig(alpha=cfg.alpha, m=cfg.population_size),
                                 accounting=acc, fallbacks={n: players[n].config.fallback for n in llm_names})
    ar = analyses["alpharank"]
    ctx.results["alpha_rank"] = None if ar is None else dict(ar["pi"])
    ctx.results["ratings"] = {"elo": analyses["elo"], "openskill": analyses["openskill"]}
    ctx.results.setdefault("warnings", [])
    if stats:
        ctx.add_table("LLM agents: calls, tokens, answers",
                      [[n, s["calls"], s["cached_calls"], s["total_tokens"], f"{s['cost']:.4f}", s["retries"],
                        s["answers"], s["invalid_answers"], fmt_rate(s["invalid_answers"], s["answers"]), s["reasks"],
                        s["moves"], s["fallbacks"], fmt_rate(s["fallbacks"], s["moves"]), s["call_errors"]]
                       for n, s in stats.items()],
                      ["agent", "calls", "cached", "tokens", "cost", "retries", "answers", "invalid", "invalid rate",
                       "re-asks", "moves", "fallbacks", "fallback rate", "call errors"],
                      note="invalid rate: invalid answers per answer; fallback rate: moves played by the agent's "
                           "fallback per move.")
    if result.stopped:
        ctx.add_text("Stopped early", f"{result.stopped}. {len(result.matches)} matches were started; the "
                     f"{sum(m.complete for m in result.matches)} complete ones are reported above; "
                     f"{len(result.not_played)} were never played (results.json: matches_not_played).")
    units = ctx.finished_units()
    for rec in sorted(result.matches, key=lambda r: r.pairing or (0, 0, 0)):
        key = keys.get(rec.pairing) if rec.pairing is not None else None
        if key is not None and (units.get(key) or {}).get("transcript"):  # saved as the match ended
            ctx.add_transcript(key, rec.events, title=f"{rec.names[0]} vs {rec.names[1]} "
                               f"(seed {rec.seed}{'' if rec.complete else ', incomplete'})")


def _add_resumed(acc: dict[str, dict[str, Any]], records: Any, players: list[str]) -> None:
    """Add the moves of matches a resumed run did not replay (their agents' counters started at 0).

    From each saved match record: moves, fallback moves and invalid answers per seat; the
    answers are the invalid ones plus one valid answer per move the model played itself,
    the re-asks one per invalid answer of a move the model then played, or all but the
    first of a fallback move's answers (exact unless a call failed for good).
    """
    from interplay.evaluate.tournament import seat_names

    for rec in records:
        for seat, base in enumerate(seat_names(rec, players)):
            if base not in acc or seat >= len(rec.fallbacks):
                continue
            a = acc[base]
            moves, fb, inv = int(rec.length), int(rec.fallbacks[seat]), int(rec.invalid[seat])
            a["decisions"] += moves
            a["fallbacks"] += fb
            a["invalid"] += inv
            a["answers"] += inv + moves - fb
            a["reasks"] += max(0, inv - fb)
            a.setdefault("resumed_moves", 0)
            a["resumed_moves"] += moves
            if inv:
                a.setdefault("unparsed", {})
                a["unparsed"]["invalid"] = a["unparsed"].get("invalid", 0) + inv
    for a in acc.values():
        a["invalid_rate"] = a["invalid"] / a["answers"] if a["answers"] else None
        a["fallback_rate"] = a["fallbacks"] / a["decisions"] if a["decisions"] else None


def _pairings(n: int, cfg: LLMTournamentConfig) -> list[tuple[int, int, int]]:
    """The round robin's pairings (i, j, repetition), in the order the round robin plays them."""
    from interplay.evaluate.tournament import pairings

    return pairings(n, repetitions=cfg.repetitions, self_play=cfg.self_play)


def _unit_key(pairing: tuple[int, int, int]) -> str:
    i, j, r = pairing
    return f"match-{i:02d}-{j:02d}-{r:02d}"


def _finished_matches(ctx: RunContext, keys: dict[tuple[int, int, int], str]) -> dict[tuple[int, int, int], Any]:
    """Matches an interrupted run finished (resume): their records, with the saved transcripts."""
    from interplay.agents.match import MatchRecord
    from interplay.run.context import transcript_file

    units = ctx.finished_units()
    out = {}
    for pairing, key in keys.items():
        d = units.get(key)
        if not isinstance(d, dict):
            continue
        events = []
        path = ctx.dir / "transcripts" / transcript_file(key)
        if d.get("transcript") and path.is_file():
            events = json.loads(path.read_text(encoding="utf-8"))
        out[pairing] = MatchRecord.from_dict({**d, "pairing": list(pairing)}, events=events)
    return out


def _fmt(x: float, why: str | None = None) -> str:
    """A number with 3 decimals; a missing one is "-", or "n/a (why)" when the reason is given."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return f"n/a ({why})" if why else "-"
    return f"{x:.3f}"
