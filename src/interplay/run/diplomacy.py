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
"""

from __future__ import annotations

import base64
import json
from typing import Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from interplay.errors import InterplayError
from interplay.run.config import ExperimentConfig, Strict
from interplay.run.context import RunContext, write_atomic
from interplay.run.experiments import experiment

BOT_NAMES = ("random", "hold", "greedy", "welfare")
POWER_NAMES = ("AUSTRIA", "ENGLAND", "FRANCE", "GERMANY", "ITALY", "RUSSIA", "TURKEY")


class LineupConfig(Strict):
    """A bot for every power: ``default`` for the powers not named in ``powers``."""

    name: str = Field(..., min_length=1, max_length=60, description="label (letters, digits, - and _)")
    default: Literal["random", "hold", "greedy", "welfare"] = Field("random", description="bot of unnamed powers")
    powers: dict[str, Literal["random", "hold", "greedy", "welfare"]] = Field(
        default_factory=dict, description="power (AUSTRIA ... TURKEY) -> bot")

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
    max_years: int = Field(10, ge=1, le=200, description="years played (1901 on); then a draw (standard) or the "
                                                           "end (Welfare Diplomacy)")
    welfare: bool = Field(False, description="Welfare Diplomacy rules (Mukobi et al. 2023)")
    games: int = Field(1, ge=1, le=10_000, description="games per line-up (seeds seed, seed+1, ...)")
    lineups: list[LineupConfig] = Field(..., min_length=1, description="the line-ups to play")
    svg: bool = Field(True, description="save each game's final board as SVG (and show the first in the report)")

    resumable = True

    @model_validator(mode="after")
    def _unique(self) -> DiplomacyConfig:
        names = [lu.name for lu in self.lineups]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"line-up names must be unique; repeated: {', '.join(dup)}")
        return self


def _svg_img(svg: str) -> str:
    data = base64.b64encode(svg.encode()).decode()
    return f"<img alt='final board' style='max-width:100%' src='data:image/svg+xml;base64,{data}'>"


@experiment("diplomacy", DiplomacyConfig)
def run_diplomacy(cfg: DiplomacyConfig, ctx: RunContext) -> None:
    from interplay.games.diplomacy import POWERS, play_game
    from interplay.games.diplomacy_bots import BOTS

    if tuple(POWERS) != POWER_NAMES:  # pragma: no cover - the engine's standard map
        raise InterplayError("the Diplomacy powers changed")
    done = ctx.finished_units()
    keys = [f"{lu.name}-{k}" for lu in cfg.lineups for k in range(cfg.games)]
    ctx.plan_units(keys)
    gdir = ctx.dir / "games"
    gdir.mkdir(exist_ok=True)
    summary: dict[str, dict] = {}
    for lu in cfg.lineups:
        bots = lu.bots()
        records = []
        for k in ctx.progress(range(cfg.games), f"{lu.name} games"):
            key = f"{lu.name}-{k}"
            if key in done:
                records.append(done[key])
                continue
            env = play_game({p: BOTS[b] for p, b in bots.items()}, max_years=cfg.max_years, welfare=cfg.welfare,
                            seed=cfg.seed + k)
            write_atomic(gdir / f"{key}.json", json.dumps(env.saved_game()))
            if cfg.svg:
                write_atomic(gdir / f"{key}.svg", env.render_svg())
            rec = {"lineup": lu.name, "seed": cfg.seed + k, "bots": bots, **env.record.to_dict()}
            ctx.unit_done(key, rec, metric={"lineup": lu.name, "game": k, "final_centres": rec["final_centres"],
                                            "welfare_points": rec["welfare_points"]})
            records.append(rec)
        summary[lu.name] = _report_lineup(cfg, ctx, lu.name, bots, records)
    ctx.results["lineups"] = summary


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
