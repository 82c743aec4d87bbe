"""The Game protocol: what every game built by :func:`interplay.make` offers.

* :class:`Game`: every registered game has its public
  :class:`~interplay.games.spec.GameSpec` (players, actions, utility, rules in words): this
  is what :func:`interplay.make` returns.
* :class:`SteppedGame`: a game with a pure functional core (DESIGN.md), ``reset(key) ->
  (obs, state)`` and ``step(key, state, actions) -> (obs, state, rewards, terminated,
  truncated)``, and Gymnasium spaces per player, which the PettingZoo shell wraps.
  :class:`~interplay.games.normal_form.NormalFormGame`,
  :class:`~interplay.games.iterated.IteratedGame`, :class:`~interplay.games.coin_game.CoinGame`
  and :class:`~interplay.games.stratego.Stratego` are stepped games; the bargaining games
  (:mod:`interplay.games.bargaining`) are rule books with moves of their own.

Code that needs more (payoff tables, exact values, a grid) checks for that form with
``isinstance`` and says how to get it. This module imports no game implementation.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from interplay.games.spec import GameSpec


@runtime_checkable
class Game(Protocol):
    """A registered game: its public spec."""

    @property
    def spec(self) -> GameSpec: ...


@runtime_checkable
class SteppedGame(Game, Protocol):
    """A game with the pure ``reset``/``step`` core and per-player spaces (see the module docstring)."""

    def reset(self, key: Any, /) -> tuple[Any, Any]: ...

    def step(self, key: Any, state: Any, actions: Any, /) -> tuple[Any, ...]: ...

    def observation_space(self, player: int, /) -> Any: ...

    def action_space(self, player: int, /) -> Any: ...
