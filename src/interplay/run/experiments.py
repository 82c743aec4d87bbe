"""The registry of experiment kinds: ``kind:`` in a YAML config picks one.

A kind is a config model (subclass of :class:`ExperimentConfig`) and a run function
``fn(config, ctx)``, added to :data:`KINDS` by the :func:`experiment` decorator. The kinds
interplay ships live in modules imported on first use (``KIND_MODULES``; a module listed
there that does not add its kind is an error at once, and tests/run/test_registries.py
checks that every ``@experiment`` of interplay.run is listed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from interplay.registry import Registry
from interplay.run.config import ExperimentConfig

C = TypeVar("C", bound=ExperimentConfig)

#: kind -> module that registers it (imported on first use).
KIND_MODULES: dict[str, str] = {
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


#: Every experiment kind by name (``kind:`` of a config).
KINDS: Registry[ExperimentKind] = Registry("experiment kind", lazy=KIND_MODULES)


def experiment(kind: str, config: type[C]) -> Callable[[Callable[[C, Any], None]], Callable[[C, Any], None]]:
    """Decorator registering ``fn(config, ctx)`` as the runner of ``kind``."""

    def wrap(fn: Callable[[C, Any], None]) -> Callable[[C, Any], None]:
        KINDS.add(kind, ExperimentKind(kind, config, fn), overwrite=True)  # a module reloaded re-adds it
        return fn

    return wrap


def get_kind(kind: str) -> ExperimentKind:
    return KINDS.get(kind)


def known_kinds() -> list[str]:
    return KINDS.known()
