"""Frozen, typed metadata shared by every game."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class UtilityKind(enum.StrEnum):
    """How the players' payoffs relate (OpenSpiel's GameType.Utility, in words)."""

    ZERO_SUM = "zero-sum"
    CONSTANT_SUM = "constant-sum"
    GENERAL_SUM = "general-sum"
    IDENTICAL_INTEREST = "identical-interest"


class Dynamics(enum.StrEnum):
    SIMULTANEOUS = "simultaneous"
    SEQUENTIAL = "sequential"


@dataclass(frozen=True)
class GameSpec:
    """The public description of a game: all an agent may know of it.

    Attributes:
        id: registry id, e.g. ``"ipd-v1"``.
        name: human-readable name.
        players: player names, in order.
        actions: per player, the action names, in index order.
        utility: how the payoffs relate.
        dynamics: simultaneous or sequential moves.
        description: the rules in a sentence or two (used in LLM prompts).
        repeated: True for iterated games (a stage game played many times).
        discount: per-step discount (iterated games), None otherwise.
        horizon: fixed number of rounds, None if unbounded or one-shot.
    """

    id: str
    name: str
    players: tuple[str, ...]
    actions: tuple[tuple[str, ...], ...]
    utility: UtilityKind
    dynamics: Dynamics = Dynamics.SIMULTANEOUS
    description: str = ""
    repeated: bool = False
    discount: float | None = None
    horizon: int | None = None
    extra: tuple[tuple[str, object], ...] = field(default=())

    @property
    def num_players(self) -> int:
        return len(self.players)

    @property
    def num_actions(self) -> tuple[int, ...]:
        return tuple(len(a) for a in self.actions)
