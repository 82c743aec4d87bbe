"""The Game protocol: what every game built by :func:`interplay.make` offers.

A game is data plus a pure functional core (DESIGN.md): ``reset(key) -> (obs, state)`` and
``step(key, state, actions) -> (obs, state, rewards, terminated, truncated)``, its public
:class:`~interplay.games.spec.GameSpec`, and Gymnasium spaces per player (what the
PettingZoo shell wraps). :class:`~interplay.games.normal_form.NormalFormGame`,
:class:`~interplay.games.iterated.IteratedGame`, :class:`~interplay.games.coin_game.CoinGame`
and :class:`~interplay.games.stratego.Stratego` satisfy it; code that needs more (payoff
tables, exact values, a grid) asks for that form and says how to get it.

This module imports no game implementation.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from interplay.games.spec import GameSpec


@runtime_checkable
class Game(Protocol):
    """A registered game: its spec and its pure ``reset``/``step`` (see the module docstring)."""

    @property
    def spec(self) -> GameSpec: ...

    def reset(self, key: Any) -> tuple[Any, Any]: ...

    def step(self, key: Any, state: Any, actions: Any) -> tuple[Any, ...]: ...

    def observation_space(self, player: int) -> Any: ...

    def action_space(self, player: int) -> Any: ...
