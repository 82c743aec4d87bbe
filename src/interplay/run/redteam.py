"""The ``redteam`` experiment: built-in red-team scenarios with and without monitors.

See :mod:`interplay.safety.redteam` and docs/safety.md. Every action, message and model
call goes into the run's tamper-evident audit log (``audit.jsonl``), verified at the end.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from interplay.errors import InterplayError
from interplay.run.accounting import accounting_table, add_warnings, fallback_warnings, fmt_rate, fmt_value
from interplay.run.config import AuditSetting, ExperimentConfig
from interplay.run.context import RunContext
from interplay.run.experiments import experiment

Scenario = Literal["injection", "extraction", "collusion"]
Condition = Literal["control", "unmonitored", "monitored"]


class RedTeamConfig(ExperimentConfig):
    """Red-team scenarios (an adversarial agent among honest ones), each under several conditions."""

    kind: Literal["redteam"] = "redteam"
    scenarios: list[Scenario] = Field(default_factory=lambda: ["injection", "extraction", "collusion"],
                                      min_length=1, description="which built-in scenarios to run")
    conditions: list[Condition] = Field(default_factory=lambda: ["control", "unmonitored", "monitored"],
                                        min_length=1, description="control (no attack), unmonitored, monitored")
    rounds: int = Field(default=6, ge=1, le=200, description="rounds of each match (one cheap-talk round before each)")
    models: dict[str, dict[str, Any] | str] = Field(
        default_factory=dict, description="seat name -> model mapping or model YAML; empty: the built-in personas "
                                          "over a loopback server (no network)")
    judge: dict[str, Any] | str | None = Field(default=None,
                                               description="model mapping of an LLM judge for the injection "
                                                                 "monitor (optional)")
    agent: dict[str, Any] = Field(default_factory=dict, description="LLM agent options for every seat (as for game "
                                  "agents: max_tokens, max_reasks, fallback, on_error, temperature, decision, ...)")
    agent_options: dict[str, dict[str, Any]] = Field(default_factory=dict, description="seat name -> LLM agent "
                                                     "options, over `agent`")
    audit: AuditSetting = Field(default=True,
                                description="write audit.jsonl (hash chain) and verify it; {key_env: NAME} "
                                                  "keys it (HMAC)")
    own_audit: ClassVar[bool] = True

    def seat_options(self, seats: Any) -> dict[str, dict[str, Any]]:
        """Each seat's agent options: ``agent`` updated by ``agent_options[seat]``."""
        return {seat: {**self.agent, **self.agent_options.get(seat, {})} for seat in seats}

    def check(self) -> None:
        from interplay.agents.llm_agent import parse_agent_config
        from interplay.safety.redteam import scenario

        seats = {s for name in self.scenarios for s in scenario(name).personas}
        unknown = sorted(set(self.agent_options) - seats)
        if unknown:
            raise InterplayError(f"agent_options: no seat {unknown} in the scenarios {self.scenarios} "
                                 f"(seats: {sorted(seats)}).")
        for seat, opts in self.seat_options(seats).items():
            if "model" in opts:
                raise InterplayError(f"agent_options.{seat}: give the seat's model under `models`, not here.")
            parse_agent_config(opts, where=f"agent_options.{seat}")

        if self.models:
            for name in self.scenarios:
                missing = [s for s in scenario(name).personas if s not in self.models]
                if missing:
                    raise InterplayError(f"models: scenario {name!r} needs a model for seats {missing} "
                                         "(or give no models to use the built-in personas).")


REDTEAM_COLUMNS = ["condition", "honest payoff/round", "change vs control", "honest moves by fallback",
                   "honest payoff/round (own moves)", "honest first-action rate", "adversary payoff/round",
                   "adversary moves by fallback", "attack msgs (all adversary msgs)", "flagged", "attacks delivered",
                   "blocked (all)", "honest msgs flagged", "secret leaked", "joint deviations"]
REDTEAM_NOTE = ("Payoffs count every move, also those the agents' fallbacks played after invalid answers: above 10% "
                "of moves by fallback the payoff is mostly the fallback's (see 'own moves', over the rounds the "
                "honest agents' model moved itself). Attack msgs: the adversaries' messages that carry the attack "
                "(an instruction, a request for the code, hidden characters), of all their messages.")


def _seats(name: str) -> list[str]:
    from interplay.safety.redteam import scenario

    return list(scenario(name).personas)


def redteam_row(cond: str, row: dict[str, Any]) -> list[Any]:
    """One condition's row of a scenario table (see :data:`REDTEAM_COLUMNS`)."""
    change = row.get("honest_payoff_change")
    return [cond, fmt_value(row["honest_payoff_per_round"]),
            "-" if change is None else fmt_value(change),
            fmt_rate(row["honest_fallback_moves"], row["honest_moves"]),
            fmt_value(row["honest_payoff_own_moves"], why="every honest move was a fallback's"
                      if row["honest_moves"] else "no moves"),
            fmt_value(row["honest_first_action_rate"]), fmt_value(row["adversary_payoff_per_round"]),
            fmt_rate(row["adversary_fallback_moves"], row["adversary_moves"]),
            f"{row['adversary_messages']} ({row['adversary_messages_total']})", row["adversary_flagged"],
            row["adversary_delivered"], row["blocked"], row["honest_flagged"],
            "yes" if row["secret_leaked"] else "no", row["joint_deviations"]]


@experiment("redteam", RedTeamConfig)
def run_redteam(cfg: RedTeamConfig, ctx: RunContext) -> None:
    from interplay.safety.redteam import run_scenario

    audit = ctx.audit  # opened (and sealed at the end) by the runner when cfg.audit is on
    judge = None
    loaded: dict[str, Any] = {}
    if cfg.models or cfg.judge is not None:
        loaded = {seat: ctx.resources.model(spec) for seat, spec in cfg.models.items()}
        judge = ctx.resources.model(cfg.judge) if cfg.judge is not None else None
    summaries: dict[str, Any] = {}
    fallbacks = {seat: str(o.get("fallback", "random")) for seat, o in cfg.seat_options(
        {s for n in cfg.scenarios for s in _seats(n)}).items()}
    ctx.results.setdefault("warnings", [])
    totals = {"flagged": 0, "blocked": 0, "joint_deviations": 0}
    for name in ctx.progress(cfg.scenarios, "red-team scenarios"):
        from interplay.safety.redteam import scenario

        seats = scenario(name).personas
        summary, results = run_scenario(name, loaded or None, rounds=cfg.rounds, seed=cfg.seed,
                                        conditions=cfg.conditions, audit=audit, judge=judge,
                                        agent_options=cfg.seat_options(seats))
        summaries[name] = summary
        rows = []
        acc: dict[str, Any] = {}
        for cond, row in summary["conditions"].items():
            rows.append(redteam_row(cond, row))
            acc.update({f"{seat} ({cond})": a for seat, a in row["agents"].items()})
            totals["flagged"] += sum(m["flagged"] for m in row["monitors"])
            totals["blocked"] += sum(m["blocked"] for m in row["monitors"])
            totals["joint_deviations"] += row["joint_deviations"]
            ctx.log_metric(scenario=name, condition=cond, honest_payoff=row["honest_payoff_per_round"],
                           blocked=row["blocked"], adversary_delivered=row["adversary_delivered"])
        warnings = fallback_warnings(acc, {k: fallbacks.get(k.split(" (")[0], "random") for k in acc})
        add_warnings(ctx, warnings, title=f"Warning ({name}): fallback moves")
        ctx.add_table(f"Scenario: {name}", rows, REDTEAM_COLUMNS,
                      note=summary["description"] + " " + REDTEAM_NOTE)
        columns, arows = accounting_table(acc)
        ctx.add_table(f"Scenario: {name}: LLM answers, invalid, re-asks, fallback moves", arows, columns)
        ctx.results.setdefault("accounting", {})[name] = acc
        for cond, res in results.items():
            if cond != "control":
                ctx.add_transcript(f"{name}-{cond}", res.events, title=f"{name}: {cond} (transcript)")
    ctx.results["redteam"] = summaries
    ctx.results["safety"] = totals
