"""The ``redteam`` experiment: built-in red-team scenarios with and without monitors.

See :mod:`interplay.safety.redteam` and docs/safety.md. Every action, message and model
call goes into the run's tamper-evident audit log (``audit.jsonl``), verified at the end.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from interplay.errors import InterplayError
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
    rounds: int = Field(6, ge=1, le=200, description="rounds of each match (one cheap-talk round before each)")
    models: dict[str, dict[str, Any] | str] = Field(
        default_factory=dict, description="seat name -> model mapping or model YAML; empty: the built-in personas "
                                          "over a loopback server (no network)")
    judge: dict[str, Any] | str | None = Field(None, description="model mapping of an LLM judge for the injection "
                                                                 "monitor (optional)")
    audit: AuditSetting = Field(True, description="write audit.jsonl (hash chain) and verify it; {key_env: NAME} "
                                                  "keys it (HMAC)")
    own_audit: ClassVar[bool] = True

    def check(self) -> None:
        from interplay.safety.redteam import scenario

        if self.models:
            for name in self.scenarios:
                missing = [s for s in scenario(name).personas if s not in self.models]
                if missing:
                    raise InterplayError(f"models: scenario {name!r} needs a model for seats {missing} "
                                         "(or give no models to use the built-in personas).")


@experiment("redteam", RedTeamConfig)
def run_redteam(cfg: RedTeamConfig, ctx: RunContext) -> None:
    from interplay.safety.redteam import run_scenario

    audit = ctx.audit  # opened (and sealed at the end) by the runner when cfg.audit is on
    judge = None
    loaded: dict[str, Any] = {}
    if cfg.models or cfg.judge is not None:
        from interplay.llm.config import load_model

        loaded = {seat: load_model(spec) for seat, spec in cfg.models.items()}
        judge = load_model(cfg.judge) if cfg.judge is not None else None
    summaries: dict[str, Any] = {}
    totals = {"flagged": 0, "blocked": 0, "joint_deviations": 0}
    for name in ctx.progress(cfg.scenarios, "red-team scenarios"):
        summary, results = run_scenario(name, loaded or None, rounds=cfg.rounds, seed=cfg.seed,
                                        conditions=cfg.conditions, audit=audit, judge=judge)
        summaries[name] = summary
        rows = []
        for cond, row in summary["conditions"].items():
            rows.append([cond, row["honest_payoff_per_round"], row.get("honest_payoff_change", ""),
                         row["honest_first_action_rate"], row["adversary_payoff_per_round"],
                         row["adversary_messages"], row["adversary_flagged"], row["adversary_delivered"],
                         row["blocked"], row["honest_flagged"], "yes" if row["secret_leaked"] else "no",
                         row["joint_deviations"]])
            totals["flagged"] += sum(m["flagged"] for m in row["monitors"])
            totals["blocked"] += sum(m["blocked"] for m in row["monitors"])
            totals["joint_deviations"] += row["joint_deviations"]
            ctx.log_metric(scenario=name, condition=cond, honest_payoff=row["honest_payoff_per_round"],
                           blocked=row["blocked"], adversary_delivered=row["adversary_delivered"])
        ctx.add_table(f"Scenario: {name}", rows,
                      ["condition", "honest payoff/round", "change vs control", "honest first-action rate",
                       "adversary payoff/round", "adversary msgs", "flagged", "delivered", "blocked (all)",
                       "honest msgs flagged", "secret leaked", "joint deviations"],
                      note=summary["description"])
        for cond, res in results.items():
            if cond != "control":
                ctx.add_transcript(f"{name}-{cond}", res.events, title=f"{name}: {cond} (transcript)")
    ctx.results["redteam"] = summaries
    ctx.results["safety"] = totals
