"""A registered game: its versioned id, factory and summary (what the registry holds)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from interplay.games.protocol import Game


@dataclass(frozen=True)
class GameEntry:
    id: str
    factory: Callable[..., Game]
    summary: str
    aliases: tuple[str, ...] = field(default=())
    kind: str = "normal-form"  # "normal-form" | "iterated" | "grid" | ...
    example: tuple[tuple[str, Any], ...] = field(default=())  # params for a game with required ones

    def make_example(self) -> Game:
        """An instance with default parameters (plus ``example`` for required ones)."""
        return self.factory(**dict(self.example))


def game_entry(id: str, factory: Callable[..., Game], *, summary: str = "", aliases: tuple[str, ...] = (),
               kind: str = "normal-form", example: dict[str, Any] | None = None) -> GameEntry:
    """An entry; the summary defaults to the first line of the factory's docstring."""
    return GameEntry(id, factory, summary or (inspect.getdoc(factory) or "").split("\n")[0], tuple(aliases), kind,
                     tuple((example or {}).items()))
