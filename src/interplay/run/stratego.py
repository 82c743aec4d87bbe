"""The ``stratego`` experiment: a round robin of Stratego players (bots, LLM agents, people).

Every pair of players meets ``games`` times with each colour (red moves first). A pairing of
two bots is played by the batched JAX path (``Stratego.play``: all its games at once); a
pairing with an LLM agent or a person is played move by move
(:func:`interplay.agents.stratego.play_stratego`, which consumes the same keys, so a bot
pairing gives the same games on both paths). Each block of games (a pairing and a colour) is
one unit of work (kept on interrupt, skipped on ``--resume``).

The report has the tournament table (games, wins, draws, losses, score = wins + draws / 2
per game, mean length), the pairwise score matrix (row's mean score against the column),
Elo and OpenSkill leaderboards from the games in order, alpha-Rank over the score matrix,
and, for LLM agents, the accounting (answers, invalid answers, re-asks, moves by the
fallback), computed only from their own parsed answers.

    kind: stratego
    variant: barrage
    games: 20
    players: {random: random, heuristic: heuristic}
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

import numpy as np
from pydantic import Field, field_validator

from interplay.agents.stratego_config import StrategoAgentConfig
from interplay.errors import InterplayError
from interplay.run.accounting import stats_counts, stats_delta, stats_total
from interplay.run.config import ExperimentConfig, Strict
from interplay.run.context import RunContext
from interplay.run.experiments import experiment

BOT_NAMES = ("random", "heuristic")


class StrategoLLMSpec(Strict):
    llm: StrategoAgentConfig = Field(..., description="an LLM Stratego agent: model and options (docs/stratego.md)")


class StrategoConfig(ExperimentConfig):
    kind: Literal["stratego"] = "stratego"
    variant: Literal["standard", "barrage"] = Field(default="barrage",
                                                    description="40 pieces a side, or the 8 of Barrage")
    max_plies: int | None = Field(default=None, ge=1, le=100_000, description="turn limit in moves of either player "
                                  "(a draw); default 2000 standard, 400 Barrage")
    games: int = Field(default=10, ge=1, le=100_000, description="games per pairing and colour")
    players: dict[str, str | StrategoLLMSpec] = Field(
        ..., min_length=2, description="name -> 'random' | 'heuristic' | 'human' | {llm: {model: ..., ...}}")
    alpha: float = Field(default=10.0, gt=0, le=1e6, description="alpha-Rank selection intensity")
    cache: str | None = Field(default=None, description="SQLite answer cache of the LLM agents; null = none")

    resumable = True

    @field_validator("players")
    @classmethod
    def _players(cls, v: dict[str, Any]) -> dict[str, Any]:
        for name, spec in v.items():
            if not name or not all(c.isalnum() or c in "-_ " for c in name):
                raise ValueError(f"player name {name!r} may hold only letters, digits, spaces, - and _")
            if isinstance(spec, str) and spec not in (*BOT_NAMES, "human"):
                raise ValueError(f"player {name!r}: unknown bot {spec!r}; the bots are {', '.join(BOT_NAMES)} "
                                 "(or 'human', or {llm: {...}})")
        return v


def _build(cfg: StrategoConfig, ctx: RunContext) -> dict[str, Any]:
    from interplay.agents.stratego import HumanStrategoPlayer, LLMStrategoAgent, StrategoBot

    out: dict[str, Any] = {}
    for name, spec in cfg.players.items():
        if spec == "human":
            out[name] = HumanStrategoPlayer(name)
        elif isinstance(spec, str):
            out[name] = StrategoBot(name, spec)
        else:
            acfg = spec.llm
            if acfg.model is None:
                raise InterplayError(f"players.{name}.llm: no model given (set `model:` to a mapping or a YAML file)")
            out[name] = LLMStrategoAgent(name, ctx.resources.model(acfg.model), acfg)  # the run's cache and record
    return out


@experiment("stratego", StrategoConfig)
def run_stratego(cfg: StrategoConfig, ctx: RunContext) -> None:
    import jax

    from interplay.agents.stratego import StrategoBot, play_stratego
    from interplay.games.stratego import stratego

    game = stratego(cfg.variant, cfg.max_plies)
    players = _build(cfg, ctx)
    names = list(players)
    blocks = [(i, j) for i in range(len(names)) for j in range(len(names)) if i != j]
    keys = {b: f"{names[b[0]]}-vs-{names[b[1]]}" for b in blocks}
    ctx.plan_units(keys.values())
    done = ctx.finished_units()
    records: list[dict] = []
    for k, (i, j) in enumerate(ctx.progress(blocks, "pairings")):
        key = keys[(i, j)]
        if key in done:
            records.append(done[key])
            continue
        red, blue = players[names[i]], players[names[j]]
        before = stats_counts(players)
        block_key = jax.random.fold_in(jax.random.PRNGKey(cfg.seed), k)
        if isinstance(red, StrategoBot) and isinstance(blue, StrategoBot):
            rec = game.play(block_key, cfg.games, (red.policy, blue.policy))
            games = [{"winner": int(w), "plies": int(p), "truncated": bool(t)}
                     for w, p, t in zip(np.asarray(rec.winner), np.asarray(rec.plies), np.asarray(rec.truncated))]
            path = "batched"
        else:
            games = []
            for g, gk in enumerate(jax.random.split(block_key, cfg.games)):
                one = asyncio.run(play_stratego(game, (red, blue), gk, seed=cfg.seed * 100_003 + k * 1009 + g))
                games.append(one.to_dict())
            path = "move by move"
        block = {"red": names[i], "blue": names[j], "path": path, "games": games,
                 "llm_stats": stats_delta(before, stats_counts(players))}
        ctx.unit_done(key, block, metric={"red": names[i], "blue": names[j],
                                          "red_wins": sum(g["winner"] == 0 for g in games),
                                          "blue_wins": sum(g["winner"] == 1 for g in games)})
        records.append(block)
    _report(cfg, ctx, names, records, players, game.max_plies)


def _report(cfg: StrategoConfig, ctx: RunContext, names: list[str], records: list[dict],
            players: dict[str, Any], max_plies: int) -> None:
    from interplay.evaluate.ratings import elo, openskill, score_matrix

    outcomes = []
    table = {n: {"games": 0, "wins": 0, "draws": 0, "losses": 0, "plies": 0, "red_wins": 0} for n in names}
    for b in records:
        for g in b["games"]:
            s = 1.0 if g["winner"] == 0 else 0.0 if g["winner"] == 1 else 0.5
            outcomes.append((b["red"], b["blue"], s))
            for who, mine in ((b["red"], s), (b["blue"], 1.0 - s)):
                t = table[who]
                t["games"] += 1
                t["wins" if mine == 1 else "losses" if mine == 0 else "draws"] += 1
                t["plies"] += g["plies"]
            table[b["red"]]["red_wins"] += g["winner"] == 0
    M = score_matrix(outcomes, names)
    from interplay.evaluate.alpharank import alpharank

    pi = np.clip(alpharank(M, alpha=cfg.alpha, m=50).pi, 0.0, 1.0) + 0.0
    ratings = {"elo": [r.to_dict() for r in elo(outcomes, players=names)],
               "openskill": [r.to_dict() for r in openskill(outcomes, players=names)]}
    score = {n: (t["wins"] + 0.5 * t["draws"]) / t["games"] for n, t in table.items()}
    order = sorted(names, key=lambda n: -score[n])
    ctx.results.update({"players": names, "table": table, "score": score, "ranked_names": order,
                        "score_matrix": M.tolist(), "alpha_rank": dict(zip(names, map(float, pi))),
                        "ratings": ratings, "blocks": [{k: v for k, v in b.items() if k not in ("games", "llm_stats")}
                                                       for b in records],
                        "games_played": len(outcomes)})
    ctx.add_table(f"Stratego ({cfg.variant}) tournament: each pairing {cfg.games} game(s) with each colour",
                  [[k + 1, n, table[n]["games"], table[n]["wins"], table[n]["draws"], table[n]["losses"],
                    f"{score[n]:.3f}", f"{table[n]['plies'] / table[n]['games']:.0f}", f"{pi[names.index(n)]:.3f}"]
                   for k, n in enumerate(order)],
                  ["rank", "player", "games", "wins", "draws", "losses", "score", "mean plies", "alpha-Rank"],
                  note=f"score: (wins + draws/2) per game; a draw is the turn limit ({max_plies} plies); alpha-Rank "
                       f"(alpha {cfg.alpha:g}, m 50) over the pairwise score matrix.")
    ctx.add_table("Score of the row against the column (mean over both colours)",
                  [[n, *[f"{x:.3f}" if not np.isnan(x) else "-" for x in M[i]]] for i, n in enumerate(names)],
                  ["", *names])
    ctx.add_table("Ratings from the games in order (Elo K=32 from 1500; OpenSkill ordinal mu - 3 sigma)",
                  [[k + 1, e["name"], f"{e['rating']:.1f}", o["name"], f"{o['rating']:.2f}", e["games"]]
                   for k, (e, o) in enumerate(zip(ratings["elo"], ratings["openskill"]))],
                  ["rank", "Elo", "rating", "OpenSkill", "ordinal", "games"])
    stats = stats_total([b.get("llm_stats") for b in records])  # from the blocks' records (resumed ones too)
    if stats:
        from interplay.run.accounting import add_accounting, add_warnings, fallback_warnings, from_agent_stats

        ctx.results["llm"] = stats
        acc = {n: from_agent_stats(s) for n, s in stats.items()}
        add_accounting(ctx, acc, title="LLM agents: moves, invalid answers, re-asks, fallbacks",
                       note="Each move is chosen among the legal moves of the text view; an invalid answer is "
                            "re-asked, then the agent's fallback bot moves.")
        add_warnings(ctx, fallback_warnings(acc, {n: players[n].config.fallback for n in acc}))
        ctx.results.setdefault("warnings", [])
