"""The registry of experiment kinds: ``kind:`` in a YAML config picks one.

A kind is a config model (subclass of :class:`ExperimentConfig`) and a run function
``fn(config, ctx)``. Modules defining kinds are imported lazily from ``_KIND_MODULES``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from interplay.errors import UnknownNameError
from interplay.run.config import ExperimentConfig

C = TypeVar("C", bound=ExperimentConfig)

#: kind -> module that registers it (imported on first use).
_KIND_MODULES: dict[str, str] = {
    "tournament": "interplay.run.tournament",
    "llm-tournament": "interplay.run.llm_tournament",
    "population": "interplay.run.population",
    "showcase": "interplay.run.showcase",
    "debate": "interplay.run.talk",
    "judged-debate": "interplay.run.talk",
    "persuasion": "interplay.run.talk",
    "redteam": "interplay.run.redteam",
    "decide": "interplay.run.decide",
    "opponent-shaping": "interplay.run.opponent_shaping",
    "diplomacy": "interplay.run.diplomacy",
    "negotiation": "interplay.run.negotiation",
    "coordination": "interplay.run.coordination",
    "stratego": "interplay.run.stratego",
}


@dataclass(frozen=True)
class ExperimentKind:
    kind: str
    config: type[ExperimentConfig]
    run: Callable[[Any, Any], None]


_KINDS: dict[str, ExperimentKind] = {}


def experiment(kind: str, config: type[C]) -> Callable[[Callable[[C, Any], None]], Callable[[C, Any], None]]:
    """Decorator registering ``fn(config, ctx)`` as the runner of ``kind``."""

    def wrap(fn: Callable[[C, Any], None]) -> Callable[[C, Any], None]:
        _KINDS[kind] = ExperimentKind(kind, config, fn)
        return fn

    return wrap


def get_kind(kind: str) -> ExperimentKind:
    if kind not in _KINDS and kind in _KIND_MODULES:
        importlib.import_module(_KIND_MODULES[kind])
    if kind not in _KINDS:
        raise UnknownNameError("experiment kind", kind, set(_KIND_MODULES) | set(_KINDS))
    return _KINDS[kind]


def known_kinds() -> list[str]:
    return sorted(set(_KIND_MODULES) | set(_KINDS))
