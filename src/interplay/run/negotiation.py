"""The ``negotiation`` experiment: negotiators bargain in bargaining games, with messages between offers.

Every line-up (one negotiator per party) plays ``episodes`` negotiations of each game
(Deal or No Deal: episode k is OpenSpiel's instance k unless ``params`` fixes one). Each
negotiation is one unit of work (its record in results.json, its transcript in
``transcripts/``); the report gives per game and line-up the agreement rate (Wilson 95%
interval), mean welfare and its share of the best possible, the Pareto-efficient rate,
the mean distance to the Nash bargaining solution, each party's mean payoff and share,
turns to agreement and the promises kept; a figure per game; the LLM negotiators' answers
(n, unparsed by reason, re-asks, fallbacks) and the message monitors' counts.

    kind: negotiation
    games:
      - {id: ultimatum-v1}
      - {id: deal-or-no-deal-v1, params: {max_turns: 6}, episodes: 10}
    negotiators:
      boulware: {kind: boulware}
      conceder: {kind: conceder}
      smol: {kind: llm, model: {provider: transformers, model: smollm2-135m}, fallback: conceder}
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from interplay.errors import InterplayError
from interplay.llm.base import run_sync
from interplay.run import accounting
from interplay.run.accounting import fmt_interval, fmt_value
from interplay.run.config import ExperimentConfig, Strict
from interplay.run.context import RunContext
from interplay.run.experiments import experiment
from interplay.run.monitoring import MonitorSpec, monitor_suite, report_monitors

FIXED_KINDS = ("boulware", "conceder", "linear", "time-dependent", "threshold", "split-the-difference")


class NegotiatorSpec(Strict):
    """One negotiator: a fixed strategy, a language model, or a person (at the terminal, or at a web seat
    under ``interplay serve``)."""

    kind: Literal["boulware", "conceder", "linear", "time-dependent", "threshold", "split-the-difference", "llm",
                  "human"] = Field(description="which negotiator")
    e: float | None = Field(default=None, gt=0, le=100, description="time-dependent: concession exponent (<1 Boulware)")
    threshold: float | None = Field(default=None, ge=0, le=1, description="threshold: share of its best payoff it asks")
    tolerance: float | None = Field(default=None, ge=0, le=1,
                                    description="split-the-difference: accepted gap, share of best")
    floor: float = Field(default=0.0, ge=0, le=1, description="never accept less than floor x its best payoff")
    model: dict[str, Any] | str | None = Field(default=None, description="llm: model mapping or model YAML path")
    temperature: float = Field(default=0.0, ge=0, le=2, description="llm: sampling temperature")
    max_tokens: int = Field(default=120, ge=1, le=4096, description="llm: longest answer, in tokens")
    decision: Literal["parse", "choose"] = Field(
        default="parse", description="llm: parse a MOVE line from one answer, or write a message then choose among the "
                             "legal moves (option likelihoods on local models)")
    message_tokens: int = Field(default=40, ge=1, le=1024,
                                description="llm, decision choose: longest message, in tokens")
    max_reasks: int = Field(default=2, ge=0, le=20,
                            description="re-asks after an unplayable move (people: 20 by default)")
    fallback: Literal["boulware", "conceder", "linear", "threshold", "split-the-difference"] = Field(
        default="conceder", description="llm, human: the fixed negotiator that moves after the re-asks")

    @model_validator(mode="after")
    def _fields(self) -> NegotiatorSpec:
        if self.kind == "llm" and self.model is None:
            raise ValueError("an llm negotiator needs `model:` (a model mapping or a model YAML file)")
        if self.kind != "llm" and self.model is not None:
            raise ValueError(f"`model:` is for llm negotiators, not {self.kind}")
        if self.e is not None and self.kind not in ("time-dependent", "boulware", "conceder"):
            raise ValueError(f"`e:` is for time-dependent negotiators, not {self.kind}")
        if self.threshold is not None and self.kind != "threshold":
            raise ValueError(f"`threshold:` is for threshold negotiators, not {self.kind}")
        if self.tolerance is not None and self.kind != "split-the-difference":
            raise ValueError(f"`tolerance:` is for split-the-difference negotiators, not {self.kind}")
        return self


class NegotiationGameSpec(Strict):
    """A bargaining game of the registry (kind ``bargaining``) and how many negotiations of it each line-up plays."""

    id: str = Field(description="deal-or-no-deal-v1, ultimatum-v1, scorable-negotiation-v1, ...")
    label: str | None = Field(default=None, min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_.-]+$",
                              description="its name in the results (default: the id; needed when a game is "
                                          "listed twice)")
    params: dict[str, Any] = Field(default_factory=dict, description="keyword parameters of the game")
    episodes: int = Field(default=1, ge=1, le=1000, description="negotiations per line-up (Deal or No Deal: instances "
                                                         "0, 1, ... unless params fixes `instance`)")
    lineups: list[list[str]] | None = Field(default=None,
                                            description="this game's line-ups (default: the experiment's)")


class NegotiationConfig(ExperimentConfig):
    kind: Literal["negotiation"] = "negotiation"
    games: list[NegotiationGameSpec] = Field(..., min_length=1, description="the bargaining games")
    negotiators: dict[str, NegotiatorSpec] = Field(..., min_length=1, description="name -> negotiator")
    lineups: list[list[str]] | None = Field(
        default=None, description="line-ups (a negotiator name per party); default: for two-party games every ordered "
                          "pair, for more parties each negotiator in every seat")
    monitors: list[MonitorSpec] = Field(default_factory=list, description="safety monitors on every message")
    cache: str | None = Field(default=None, description="SQLite answer cache for the LLM negotiators; null = none")
    concurrency: int = Field(default=4, ge=1, le=256, description="negotiations in flight at once")
    show_transcripts: int = Field(default=2, ge=0, description="transcripts shown in the report (all are saved)")

    resumable = True

    def resumes_units(self) -> bool:
        """--resume skips finished negotiations, unless monitors must see every message of the run."""
        return not self.monitors

    @field_validator("negotiators")
    @classmethod
    def _names(cls, v: dict[str, NegotiatorSpec]) -> dict[str, NegotiatorSpec]:
        bad = [n for n in v if not n or not all(c.isalnum() or c in "-_" for c in n)]
        if bad:
            raise ValueError(f"negotiator names may hold only letters, digits, - and _: {bad}")
        return v

    @model_validator(mode="after")
    def _lineups(self) -> NegotiationConfig:
        labels = [g.label or g.id for g in self.games]
        dup = sorted({x for x in labels if labels.count(x) > 1})
        if dup:
            raise ValueError(f"games listed twice: {dup}; give each a different `label:`")
        where = [*((f"lineups.{k}", lu) for k, lu in enumerate(self.lineups or [])),
                 *((f"games.{i}.lineups.{k}", lu) for i, g in enumerate(self.games)
                   for k, lu in enumerate(g.lineups or []))]
        for at, lu in where:
            unknown = [n for n in lu if n not in self.negotiators]
            if unknown:
                raise ValueError(f"{at}: line-up {lu} names unknown negotiators {unknown} "
                                 f"(known: {list(self.negotiators)})")
        return self


def _fixed(kind: str, name: str, spec: NegotiatorSpec | None = None) -> Any:
    from interplay.agents.negotiators import SplitTheDifference, Threshold, TimeDependent

    floor = 0.0 if spec is None else spec.floor
    if kind in ("boulware", "conceder", "linear", "time-dependent"):
        default = {"boulware": 0.2, "conceder": 3.0, "linear": 1.0, "time-dependent": 1.0}[kind]
        e = default if spec is None or spec.e is None else spec.e
        return TimeDependent(name, e, floor)
    if kind == "threshold":
        return Threshold(name, 0.6 if spec is None or spec.threshold is None else spec.threshold, floor)
    return SplitTheDifference(name, 0.1 if spec is None or spec.tolerance is None else spec.tolerance, floor)


def build_negotiators(cfg: NegotiationConfig, ctx: RunContext) -> tuple[dict[str, Any], dict[str, Any],
                                                                       list[Any]]:
    """(negotiators, their fallbacks, the models made) by name."""
    from interplay.agents.negotiators import HumanNegotiator, LLMNegotiator

    negs, fallbacks, models = {}, {}, {}
    for name, spec in cfg.negotiators.items():
        if spec.kind in FIXED_KINDS:
            negs[name] = _fixed(spec.kind, name, spec)
            continue
        fallbacks[name] = _fixed(spec.fallback, f"{name}/fallback ({spec.fallback})")
        if spec.kind == "human":
            from interplay.agents.people import WebNegotiator, active_hub

            hub = active_hub()  # `interplay serve`: the person negotiates from a web page
            negs[name] = HumanNegotiator(name) if hub is None else WebNegotiator(name, hub.seat(name, "player"))
            continue
        key = json.dumps(spec.model, sort_keys=True, default=str)
        models[key] = ctx.resources.model(spec.model)  # one model a spec, with the run's cache and record
        negs[name] = LLMNegotiator(name, models[key], temperature=spec.temperature, max_tokens=spec.max_tokens,
                                   decision=spec.decision, message_tokens=spec.message_tokens)
    return negs, fallbacks, list(models.values())


def _counts_from(d: dict[str, Any]) -> Any:
    """An AnswerCounts back from its results.json form."""
    from interplay.talk.answers import AnswerCounts

    return AnswerCounts(answers=d["answers"], unparsed=dict(d["unparsed"]), reasks=d["reasks"],
                        decisions=d.get("decisions", 0), fallbacks=d.get("fallbacks", 0), calls=d["calls"],
                        tokens=d["tokens"])


def _reasks(spec: NegotiatorSpec) -> int:
    """Re-asks after an unplayable move: as configured; a person gets 20 unless told otherwise."""
    return 20 if spec.kind == "human" and "max_reasks" not in spec.model_fields_set else spec.max_reasks


def _game(spec: NegotiationGameSpec, episode: int) -> Any:
    from interplay.games.bargaining import NegotiationGame
    from interplay.games.registry import game_parameters, make

    params = dict(spec.params)
    if "instance" in game_parameters(spec.id) and "instance" not in params and "pool" not in params:
        params["instance"] = episode
    game = make(spec.id, **params)
    if not isinstance(game, NegotiationGame):
        raise InterplayError(f"negotiation: {spec.id} is not a bargaining game (see `interplay games`, kind "
                             "bargaining).")
    return game


def lineups(cfg: NegotiationConfig, gspec: NegotiationGameSpec, parties: int) -> list[list[str]]:
    """The game's own line-ups, else the experiment's, else every ordered pair / each negotiator in every seat."""
    chosen = gspec.lineups if gspec.lineups is not None else cfg.lineups
    if chosen is not None:
        bad = [lu for lu in chosen if len(lu) != parties]
        if bad:
            raise InterplayError(f"negotiation: {gspec.id} has {parties} parties; line-up(s) {bad} do not fit.")
        return [list(lu) for lu in chosen]
    names = list(cfg.negotiators)
    if parties == 2:
        return [[a, b] for a in names for b in names]
    return [[n] * parties for n in names]


@experiment("negotiation", NegotiationConfig)
def run_negotiation(cfg: NegotiationConfig, ctx: RunContext) -> None:
    from interplay.evaluate.negotiation import outcome_metrics, summarize
    from interplay.talk.answers import merge_counts
    from interplay.talk.negotiation import negotiate

    negs, fallbacks, models = build_negotiators(cfg, ctx)
    suite = monitor_suite(cfg.monitors)
    plan: list[tuple[NegotiationGameSpec, list[str], int, Any]] = []
    for gspec in cfg.games:
        probe = _game(gspec, 0)
        lus = lineups(cfg, gspec, probe.num_parties)
        if not lus:
            raise InterplayError(f"negotiation: no line-up of {probe.num_parties} negotiators for {gspec.id}.")
        for lu in lus:
            for k in range(gspec.episodes):
                plan.append((gspec, lu, k, _game(gspec, k)))
    keys = [f"{g.label or g.id}/{'-'.join(lu)}/{k}" for g, lu, k, _ in plan]
    ctx.plan_units(keys)
    done = ctx.finished_units() if cfg.resumes_units() else {}
    records: dict[str, dict[str, Any]] = {}
    counts: list[dict[str, Any]] = []

    async def one(key: str, gspec: NegotiationGameSpec, lu: list[str], k: int, game: Any, gate: Any) -> None:
        if key in done:  # --resume: the finished negotiation as recorded
            records[key] = {**done[key], "game": game.public_record()}
            counts.append({n: _counts_from(c) for n, c in done[key]["counts"].items()})
            return
        async with gate:
            seats = [negs[n] for n in lu]
            fbs = [fallbacks.get(n, negs[n]) for n in lu]
            reasks = [_reasks(cfg.negotiators[n]) for n in lu]
            r = await negotiate(game, seats, fallbacks=fbs, max_reasks=reasks, monitors=[suite] if suite else (),
                                seed=cfg.seed + k)
        rec = r.to_record()
        rec["lineup"] = lu
        rec["metrics"] = {m: v for m, v in outcome_metrics(rec).items() if m != "promises"}
        records[key] = rec
        counts.append(r.counts)
        ctx.unit_done(key, {k2: v for k2, v in rec.items() if k2 != "game"} | {"game": gspec.id, "label": gspec.label},
                      metric={"game": gspec.label or gspec.id, "lineup": "-".join(lu), "episode": k,
                              "agreement": r.agreement is not None, "payoffs": r.payoffs},
                      transcript=r.transcript)

    async def main() -> None:
        gate = asyncio.Semaphore(cfg.concurrency)
        await asyncio.gather(*(one(key, g, lu, k, game, gate) for key, (g, lu, k, game) in zip(keys, plan,
                                                                                              strict=True)))

    try:
        run_sync(main())
    finally:
        ctx.results["llm"] = {getattr(m, "name", "?"): m.totals.as_dict() for m in models if hasattr(m, "totals")}
    llm_names = [n for n, s in cfg.negotiators.items() if s.kind == "llm"]
    merged = merge_counts(counts)
    acc = accounting.from_counts({n: c for n, c in merged.items() if n in llm_names}, deciders=llm_names)
    if acc:
        accounting.add_accounting(
            ctx, acc, title="LLM negotiators: answers, unparsed, re-asks, fallbacks",
            note="An answer is unparsed when it was cut off by the length limit, empty, held no 'MOVE:' line "
                 "(none) or a move that cannot be played (invalid); each is re-asked, and after the re-asks the "
                 "declared fallback moves (counted as a fallback).")
        declared = {n: cfg.negotiators[n].fallback for n in llm_names}
        accounting.add_warnings(ctx, accounting.fallback_warnings(acc, declared))
    ctx.results["games"] = {}
    shown = 0
    for gspec in cfg.games:
        gname = gspec.label or gspec.id
        per: dict[str, Any] = {}
        for lu in lineups(cfg, gspec, _game(gspec, 0).num_parties):
            recs = [records[f"{gname}/{'-'.join(lu)}/{k}"] for k in range(gspec.episodes)]
            per["-".join(lu)] = {"negotiators": lu, **summarize(recs)}
            for rec in recs:
                if shown < cfg.show_transcripts:
                    shown += 1
                    key = f"{gname}/{'-'.join(lu)}/{rec['seed'] - cfg.seed}"
                    ctx.add_transcript(key, _transcript(ctx, key), title=f"{gname}: {' vs '.join(lu)}")
        ctx.results["games"][gname] = per
        _report_game(ctx, gspec, per, _game(gspec, 0).parties)
    report_monitors(ctx, suite)


def _transcript(ctx: RunContext, key: str) -> list[dict[str, Any]]:
    from interplay.run.context import transcript_file

    path = ctx.dir / "transcripts" / transcript_file(key)
    return json.loads(path.read_text())


def _report_game(ctx: RunContext, gspec: NegotiationGameSpec, per: dict[str, Any], parties: tuple[str, ...]) -> None:
    cols = ["line-up", "n", "agreement", "95% CI", "welfare (share of best)", "Pareto", "NBS distance",
            "mean payoffs", "shares", "turns to agreement", "promises kept"]
    rows = []
    for s in per.values():
        rows.append([" vs ".join(s["negotiators"]), s["n"], fmt_value(s["agreement_rate"], s["n"]),
                     fmt_interval(*s["agreement_ci"], n=s["n"]),
                     f"{fmt_value(s['mean_welfare'], s['n'], 2)} ({fmt_value(s['mean_welfare_share'], s['n'], 2)})",
                     fmt_value(s["pareto_rate"], s["n"], 2),
                     fmt_value(s["mean_nbs_distance"], s["nbs_n"], 2, why=None if s["nbs_n"] else "no NBS"),
                     " / ".join(fmt_value(x, s["n"], 2) for x in s["mean_payoffs"]),
                     " / ".join(fmt_value(x, s["n"], 2) for x in s["mean_shares"]),
                     fmt_value(s["mean_turns_to_agreement"], s["agreements"], 1, why=None if s["agreements"]
                               else "no agreement"),
                     f"{s['promises_kept']}/{s['promises_tested']} ({s['promises']} made)"])
    ctx.add_table(f"{gspec.label or gspec.id}: negotiations per line-up", rows, cols,
                  note=f"parties in order: {', '.join(parties)}; {gspec.episodes} negotiation(s) per line-up; "
                       "NBS distance: Euclidean, in payoff points, to the Nash bargaining solution; shares: of "
                       "the welfare")
    _figure(ctx, gspec.label or gspec.id, per)


def _figure(ctx: RunContext, game_id: str, per: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    names = [" vs ".join(s["negotiators"]) for s in per.values()]
    metrics = [("agreement rate", "agreement_rate"), ("Pareto-efficient", "pareto_rate"),
               ("welfare / best", "mean_welfare_share")]
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(max(5.0, 0.9 * len(names) + 2), 3.4))
    w = 0.8 / len(metrics)
    for j, (label, key) in enumerate(metrics):
        ax.bar(x + (j - 1) * w, [s[key] or 0.0 for s in per.values()], w, label=label)
    for k, s in enumerate(per.values()):
        lo, hi = s["agreement_ci"]
        if lo is not None:
            ax.plot([x[k] - w, x[k] - w], [lo, hi], color="black", lw=1)
    ax.set_xticks(x, names, rotation=30, ha="right", fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_title(game_id)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ctx.add_figure(f"negotiation-{game_id}", fig, caption="agreement rate (with its 95% Wilson interval), Pareto-"
                   "efficient rate and welfare as a share of the best, per line-up")
