"""Stratego, written from the rules: a pure JAX core batched with ``vmap``, a PettingZoo AEC
shell with action masks, a text view for LLM agents and people, and two bots.

Listed in the registry as ``stratego-v1`` (40 pieces a side) and ``stratego-barrage-v1`` (the 8-piece
Barrage variant). See docs/stratego.md and :mod:`interplay.games.stratego.core` for the rules.
"""

from __future__ import annotations

from interplay.games.entry import game_entry
from interplay.games.stratego.bots import heuristic_policy, random_policy
from interplay.games.stratego.core import StrategoState
from interplay.games.stratego.game import GameRecord, Stratego, stratego


def _standard(max_plies: int = 2000, two_square_limit: int = 3, red_setup: object = "random",
              blue_setup: object = "random") -> Stratego:
    """Stratego: 10x10 board, two lakes, 40 hidden pieces a side; capture the flag."""
    return stratego("standard", max_plies, two_square_limit, red_setup, blue_setup)


def _barrage(max_plies: int = 400, two_square_limit: int = 3, red_setup: object = "random",
             blue_setup: object = "random") -> Stratego:
    """Stratego Barrage: 8 pieces a side (flag, bomb, spy, 2 scouts, miner, general, marshal)."""
    return stratego("barrage", max_plies, two_square_limit, red_setup, blue_setup)


#: Registry entries (listed by :mod:`interplay.games.builtin`).
ENTRIES = (game_entry("stratego-v1", _standard, kind="board"),
           game_entry("stratego-barrage-v1", _barrage, kind="board"))

__all__ = ["GameRecord", "Stratego", "StrategoState", "heuristic_policy", "random_policy", "stratego"]
