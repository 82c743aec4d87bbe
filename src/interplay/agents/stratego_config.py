"""The options of an LLM Stratego agent (:class:`interplay.agents.stratego.LLMStrategoAgent`), apart
from the agent so a config can be checked without importing JAX."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from interplay.errors import InterplayError


class StrategoAgentConfig(BaseModel):
    """An LLM Stratego agent as written in a config (``players: {name: {llm: ...}}``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: dict[str, Any] | str | None = Field(default=None, description="model mapping or model YAML path")
    temperature: float = Field(default=0.0, ge=0.0, le=2.0, description="sampling temperature")
    max_reasks: int = Field(default=1, ge=0, le=10, description="re-asks after an invalid answer")
    fallback: Literal["random", "heuristic"] = Field(default="random",
                                                     description="the bot that moves after the re-asks")
    on_error: Literal["stop", "fallback"] = Field(default="stop", description="a call that fails for good: stop the "
                                                                      "game, or the fallback")
    shuffle_options: bool = Field(default=False, description="list the legal moves in a seeded random order (against "
                                                     "a model's position bias)")


def parse_stratego_agent(data: Any, where: str = "agent") -> StrategoAgentConfig:
    if isinstance(data, StrategoAgentConfig):
        return data
    if isinstance(data, str):
        data = {"model": data}
    try:
        return StrategoAgentConfig.model_validate(data)
    except ValidationError as exc:
        parts = [f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise InterplayError(f"{where}: {'; '.join(parts)}") from None


__all__ = ["StrategoAgentConfig", "parse_stratego_agent"]
