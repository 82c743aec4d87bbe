"""Typed experiment configs, loaded from YAML with command-line overrides."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from interplay.errors import InterplayError


class Strict(BaseModel):
    """Base for every config model: unknown fields are errors; frozen after load."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class GameConfig(Strict):
    """Which registered game, with its parameters (see `interplay games`)."""

    id: str = Field(description="registry id, e.g. ipd-v1")
    params: dict[str, Any] = Field(default_factory=dict, description="keyword parameters of the game")

    def make(self) -> Any:
        from interplay.games.registry import make

        return make(self.id, **self.params)


class ExecutorConfig(Strict):
    """Where the work runs: in-process batching and a process pool, or Ray tasks."""

    kind: Literal["local", "ray"] = "local"
    address: str | None = Field(None, description="Ray cluster address; None starts a local instance")
    workers: int | None = Field(None, ge=1, description="processes (local) or CPUs (ray); default: all cores")


class ExperimentConfig(Strict):
    """Fields every experiment has. Each kind subclasses this with its own fields."""

    kind: str = "population"
    name: str = Field("experiment", description="a short name, used in the report title")
    description: str = ""
    seed: int = Field(0, ge=0, description="root seed; every random key is split from it")
    executor: ExecutorConfig = Field(default_factory=ExecutorConfig)
    audit: bool = Field(False, description="write audit.jsonl: a hash chain of the run's model calls, messages, "
                                           "metric rows and results; check it with `interplay audit verify RUN_DIR`")

    #: True for kinds that write their own, finer audit log (per move and message) when ``audit`` is set.
    own_audit: ClassVar[bool] = False


def read_yaml(path: str | Path) -> dict[str, Any]:
    """An experiment config file as a dict (errors name the file, line and column)."""
    from interplay.serialize import read_yaml_mapping

    return read_yaml_mapping(path, "config file")


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``a.b.c=value`` overrides (value parsed as YAML) to a nested dict, in place."""
    for item in overrides:
        if "=" not in item:
            raise InterplayError(f"--set {item!r}: expected KEY.PATH=VALUE, e.g. game.params.discount=0.9.")
        path, raw = item.split("=", 1)
        keys = [k for k in path.strip().split(".") if k]
        if not keys:
            raise InterplayError(f"--set {item!r}: empty key path.")
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            value = raw
        node: Any = data
        for k in keys[:-1]:
            if isinstance(node, list):
                try:
                    node = node[int(k)]
                except (ValueError, IndexError):
                    raise InterplayError(f"--set {item!r}: {k!r} is not an index of a list of {len(node)}.") from None
                continue
            if k not in node or node[k] is None:
                node[k] = {}
            if not isinstance(node[k], dict | list):
                raise InterplayError(f"--set {item!r}: {k!r} is a value, not a section.")
            node = node[k]
        if isinstance(node, list):
            try:
                node[int(keys[-1])] = value
            except (ValueError, IndexError):
                raise InterplayError(
                    f"--set {item!r}: {keys[-1]!r} is not an index of a list of {len(node)}."
                ) from None
        else:
            node[keys[-1]] = value
    return data


def format_validation_error(exc: ValidationError, source: str) -> str:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        given = err.get("input")
        shown = "" if err["type"] in ("extra_forbidden", "missing") else f" (given: {given!r})"
        lines.append(f"{loc}: {msg}{shown}")
    return f"{source}: invalid experiment config: " + "; ".join(lines) + "."
