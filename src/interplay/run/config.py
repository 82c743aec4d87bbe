"""Typed experiment configs, loaded from YAML with command-line overrides."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from interplay.errors import InterplayError
from interplay.games.protocol import Game

#: Largest whole number a config may hold anywhere (beyond it floats lose integer exactness).
MAX_CONFIG_INT = 2**53
#: Largest magnitude of a real number in a config (beyond it sums and products lose all precision).
MAX_CONFIG_FLOAT = 1e15


def check_numbers(value: Any, path: str = "") -> None:
    """Raise ValueError at the first number in ``value`` (nested lists, dicts, config models) that
    is NaN, infinite, or larger in magnitude than MAX_CONFIG_INT / MAX_CONFIG_FLOAT."""
    import math

    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        v, where = stack.pop()
        at = f" at {where.lstrip('.')}" if where else ""
        if isinstance(v, bool):
            continue
        if isinstance(v, int):
            if abs(v) > MAX_CONFIG_INT:
                raise ValueError(f"{v:.3g} is too large{at} (at most 2**53 = {MAX_CONFIG_INT:,})")
        elif isinstance(v, float):
            if not math.isfinite(v):
                raise ValueError(f"{v} is not allowed{at}: numbers must be finite")
            if abs(v) > MAX_CONFIG_FLOAT:
                raise ValueError(f"{v:g} is too large{at} (at most {MAX_CONFIG_FLOAT:g} in magnitude)")
        elif isinstance(v, dict):
            stack.extend((x, f"{where}.{k}") for k, x in v.items())
        elif isinstance(v, list | tuple):
            stack.extend((x, f"{where}.{i}") for i, x in enumerate(v))
        elif isinstance(v, BaseModel):
            stack.extend((x, f"{where}.{k}") for k, x in v.__dict__.items())


class Strict(BaseModel):
    """Base for every config model: unknown fields are errors; frozen after load. Numbers must be
    finite and of sane size (:func:`check_numbers`), in every field and nested value."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _sane_numbers(cls, v: Any) -> Any:
        check_numbers(v)
        return v

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_numbers(cls, v: Any, info: ValidationInfo) -> Any:
        # pydantic reads true as 1 for a number field; `rounds: true` is a mistake, not one round
        if isinstance(v, bool) and info.field_name is not None:
            field = cls.model_fields.get(info.field_name)
            if field is not None and _numeric_only(field.annotation):
                raise ValueError(f"expected a number, got {str(v).lower()}")
        return v


def _numeric_only(annotation: Any) -> bool:
    """True for int, float and their optional forms (not when bool is also allowed)."""
    import typing

    if annotation in (int, float):
        return True
    args = typing.get_args(annotation)
    if not args or bool in args:
        return False
    return any(a in (int, float) for a in args) and all(a in (int, float, type(None)) for a in args)


class GameConfig(Strict):
    """Which registered game, with its parameters (see `interplay games`)."""

    id: str = Field(description="registry id, e.g. ipd-v1")
    params: dict[str, Any] = Field(default_factory=dict, description="keyword parameters of the game")

    def make(self) -> Game:
        from interplay.games.registry import make

        return make(self.id, **self.params)


class ExecutorConfig(Strict):
    """Where the work runs: in-process batching and a process pool, or Ray tasks."""

    kind: Literal["local", "ray"] = "local"
    address: str | None = Field(default=None, description="Ray cluster address; None starts a local instance")
    workers: int | None = Field(default=None, ge=1, description="processes (local) or CPUs (ray); default: all cores")


class AuditConfig(Strict):
    """``audit: {key_env: NAME}``: the run's audit log, keyed with HMAC-SHA-256 under the secret in
    the environment variable NAME (the key itself is never written anywhere)."""

    key_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$",
                                description="environment variable holding the HMAC key; null = unkeyed SHA-256")


#: ``audit:`` of a config: false, true (an unkeyed chain) or {key_env: NAME} (keyed).
AuditSetting = bool | AuditConfig

#: Longest run name: it becomes a folder name under runs/ (with a time stamp).
MAX_NAME = 100


class BudgetConfig(Strict):
    """Per-run limits on LLM use (null = unlimited)."""

    max_calls: int | None = Field(default=None, ge=0, description="uncached calls")
    max_tokens: int | None = Field(default=None, ge=0, description="prompt + completion tokens of uncached calls")
    max_cost: float | None = Field(default=None, ge=0, description="cost, in the unit of the models' prices")


class ExperimentConfig(Strict):
    """Fields every experiment has. Each kind subclasses this with its own fields."""

    kind: str = "population"
    name: str = Field(default="experiment",
                      description="a short name, used in the report title and as the run folder's "
                                                 f"name under runs/ (at most {MAX_NAME} characters, no / or \\)")
    description: str = ""
    seed: int = Field(default=0, ge=0, description="root seed; every random key is split from it")
    executor: ExecutorConfig = Field(default_factory=ExecutorConfig)
    audit: AuditSetting = Field(default=False, description="write audit.jsonl: a hash chain of the run's model calls, "
                                "messages, metric rows and results, sealed with the hashes of results.json, "
                                "metrics.jsonl and transcripts; {key_env: NAME} keys it (HMAC); check it with "
                                "`interplay audit verify RUN_DIR [--key-env NAME]`")

    #: True for kinds that write their own, finer audit log (per move and message) when ``audit`` is set.
    own_audit: ClassVar[bool] = False
    #: True for kinds whose run function skips the units of ``ctx.finished_units()`` on --resume; the
    #: others redo every unit on --resume (their cached model answers cost no call).
    resumable: ClassVar[bool] = False

    def resumes_units(self) -> bool:
        """Whether ``--resume`` skips this run's finished units (the kind's ``resumable``; a kind may
        refuse for some settings, e.g. monitors that must see every message of the run)."""
        return self.resumable

    def llm_cache(self) -> str | None:
        """The answer cache of the run's models: the kind's ``cache:`` field, if it has one (a kind whose
        models are configured in a part of its config says where)."""
        return getattr(self, "cache", None)

    def llm_budget(self) -> BudgetConfig | None:
        """The budget over the run's models: the kind's ``budget:`` field, if it has one."""
        return getattr(self, "budget", None)

    @field_validator("name")
    @classmethod
    def _safe_name(cls, v: str) -> str:
        return check_run_name(v)

    @property
    def audit_key_env(self) -> str | None:
        """The HMAC key's environment variable, or None (unkeyed, or no audit)."""
        return self.audit.key_env if isinstance(self.audit, AuditConfig) else None

    @property
    def audit_on(self) -> bool:
        return bool(self.audit) if isinstance(self.audit, bool) else True


def check_run_name(v: str) -> str:
    """A run name is one folder name: 1..MAX_NAME printable characters, no path separators, not . or .."""
    if not v.strip():
        raise ValueError("must not be empty")
    if len(v) > MAX_NAME:
        raise ValueError(f"is {len(v)} characters long; at most {MAX_NAME} (it names the run folder)")
    bad = sorted({c for c in v if c in "/\\" or not c.isprintable()})
    if bad:
        raise ValueError(f"must not contain {', '.join(repr(c) for c in bad)} (it names one folder under runs/)")
    if v.strip(". ") == "" or v.startswith("."):
        raise ValueError("must not start with '.' (it names one folder under runs/)")
    return v


def read_yaml(path: str | Path) -> dict[str, Any]:
    """An experiment config file as a dict (errors name the file, line and column)."""
    from interplay.serialize import read_yaml_mapping

    return read_yaml_mapping(path, "config file")


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``a.b.c=value`` overrides (value parsed as YAML) to a nested dict, in place."""
    from interplay.serialize import load_yaml_text
    for item in overrides:
        if "=" not in item:
            raise InterplayError(f"--set {item!r}: expected KEY.PATH=VALUE, e.g. game.params.discount=0.9.")
        path, raw = item.split("=", 1)
        keys = [k for k in path.strip().split(".") if k]
        if not keys:
            raise InterplayError(f"--set {item!r}: empty key path.")
        try:
            value = load_yaml_text(raw)[0]  # duplicate keys, deep nesting and alias bombs refused here too
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


def _submodel(annotation: Any) -> type[BaseModel] | None:
    """The config model inside an annotation (``X``, ``X | None``, ``list[X]``, ``dict[str, X]``), if one."""
    import typing

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _submodel(arg)
        if found is not None:
            return found
    return None


def _fields_at(model: type[BaseModel] | None, path: tuple[Any, ...]) -> list[str]:
    """Field names of the config model reached by ``path`` (keys and list indices), best effort."""
    for key in path:
        if model is None:
            return []
        if isinstance(key, int) or key not in model.model_fields:
            continue  # a list index, a dict key or a union tag: stay on the item's model
        model = _submodel(model.model_fields[key].annotation)
    return list(model.model_fields) if model is not None else []


def _clean_loc(raw: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """``loc`` without pydantic's union-member tags (``float``, ``list[str]``, ``function-after[...]``):
    only the keys and indices that lead through the given data (plus a final missing/unknown key)."""
    if not isinstance(raw, dict):
        return loc
    out: list[Any] = []
    node: Any = raw
    for k, key in enumerate(loc):
        last = k == len(loc) - 1
        if isinstance(node, dict) and (key in node or (last and isinstance(key, str))):
            node = node.get(key)
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            node = node[key]
        else:
            continue
        out.append(key)
    return tuple(out)


def format_validation_error(exc: ValidationError, source: str, raw: Any = None,
                            model: type[BaseModel] | None = None) -> str:
    """One line per problem: ``FILE:LINE: field.path: what is wrong`` (the line when ``raw``
    came from :func:`read_yaml`), with "did you mean" for a misspelt field of ``model``.
    Given values are shown cut short: a message never echoes a large input."""
    import difflib

    from interplay.serialize import _short

    line_of = getattr(raw, "line_of", None)
    lines: list[tuple[int, str]] = []
    for err in exc.errors():
        loc = _clean_loc(raw, tuple(err["loc"]))
        where = ".".join(str(x) for x in loc) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
            known = _fields_at(model, loc[:-1])
            close = difflib.get_close_matches(str(loc[-1]), known, n=3, cutoff=0.6)
            if close:
                msg += f"; did you mean {' or '.join(repr(c) for c in close)}?"
            elif known:
                msg += f" (fields here: {', '.join(known)})"
        given = err.get("input")
        if err["type"] == "union_tag_not_found" and isinstance(given, dict):
            tag = str((err.get("ctx") or {}).get("discriminator", "kind")).strip("'")
            close = difflib.get_close_matches(tag, [str(k) for k in given], n=1, cutoff=0.5)
            msg = f"needs a `{tag}:` field" + (f" (is {close[0]!r} a misspelling of it?)" if close else
                                                f"; it has {', '.join(repr(str(k)) for k in list(given)[:8])}")
        shown = ("" if err["type"] in ("extra_forbidden", "missing") or isinstance(given, dict)
                 else f" (given: {_short(given)})")
        line = line_of(loc) if line_of is not None else None
        at = f"{source}:{line}: " if line is not None else ""
        lines.append((line if line is not None else 0, f"{at}{where}: {msg}{shown}"))
    if model is not None and isinstance(raw, dict) and "kind" not in raw and any(
            e["type"] == "extra_forbidden" and len(e["loc"]) == 1 for e in exc.errors()):
        lines.append((1 << 30, "(no `kind:` given, so this was read as a "
                      f"{model.model_fields['kind'].default!r} experiment)"))
    lines = sorted(set(lines), key=lambda x: x[0])
    return f"{source}: invalid experiment config:\n  " + "\n  ".join(text for _, text in lines)
