"""The per-turn player protocol: how agents that are not data (LLM agents, humans, any
Python object) enter the same tournaments as the strategy library.

A player is told the match it is about to play (:class:`MatchInfo`) and then asked for one
action per turn from the two histories so far (its own first, 0 = C, 1 = D, as played after
noise). ``act`` may be a coroutine function: the tournament then plays such matches
concurrently with asyncio. The tournament gives each player object a fresh copy per match
only if it defines ``clone()``; otherwise it calls ``reset`` before every match.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from interplay.agents.strategies.core import DEFAULT_PAYOFFS, C, Context, D, Machine, Strategy, TurnRule


@dataclass(frozen=True)
class MatchInfo:
    """What a player is told before a match.

    Attributes:
        turns: the number of turns if known, else None (matches with an end probability).
        payoffs: (R, S, T, P) of the prisoner's dilemma, this player's view.
        noise: probability each chosen action is flipped.
        prob_end: per-turn probability that the match ends.
        opponent: the opponent's name (a tournament tells it; strategies of the library ignore it).
        actions: the action names, index order.
    """

    turns: int | None = 200
    payoffs: tuple[float, float, float, float] = DEFAULT_PAYOFFS
    noise: float = 0.0
    prob_end: float = 0.0
    opponent: str = ""
    actions: tuple[str, str] = ("C", "D")


@runtime_checkable
class Player(Protocol):
    """A per-turn player. ``act`` returns 0 (C) or 1 (D), or an awaitable of it."""

    name: str

    def reset(self, info: MatchInfo, rng: np.random.Generator) -> None: ...

    def act(self, my_history: Sequence[int], their_history: Sequence[int]) -> int | Awaitable[int]: ...


class MachinePlayer:
    """A library strategy played turn by turn through the :class:`Player` protocol (the slow path)."""

    def __init__(self, strategy: Strategy, ctx: Context | None = None) -> None:
        self.name = strategy.name
        self.strategy = strategy
        self._ctx = ctx
        self._machine: Machine | None = None
        self._state = 0
        self._rng = np.random.default_rng(0)

    def reset(self, info: MatchInfo, rng: np.random.Generator) -> None:
        ctx = self._ctx or Context(payoffs=info.payoffs, turns=info.turns or 1000,
                                   length_known=info.prob_end == 0, noisy=info.noise > 0)
        self._machine = self.strategy.machine(ctx)
        self._state = 0
        self._rng = rng

    def act(self, my_history: Sequence[int], their_history: Sequence[int]) -> int:
        m = self._machine
        if m is None:
            raise RuntimeError("MachinePlayer.act called before reset")
        if my_history:  # advance on the last joint action
            self._state = int(m.next[self._state, my_history[-1], their_history[-1]])
        p = m.coop[self._state]
        if p >= 1.0:
            return C
        if p <= 0.0:
            return D
        return C if self._rng.random() < p else D

    def clone(self) -> MachinePlayer:
        return MachinePlayer(self.strategy, self._ctx)
class TurnPlayer:
    """A per-turn rule played one match at a time through the per-turn ``Player`` protocol."""

    def __init__(self, name: str, rule: TurnRule, ctx: Context | None = None) -> None:
        self.name = name
        self.rule = rule
        self._ctx = ctx
        self._state: Any = None

    def reset(self, info: Any, rng: np.random.Generator) -> None:
        ctx = self._ctx or Context(payoffs=info.payoffs, turns=info.turns or 1000,
                                   length_known=info.prob_end == 0 and info.turns is not None,
                                   noisy=info.noise > 0)
        self._state = self.rule.start(1, ctx, rng)

    def act(self, my_history: Sequence[int], their_history: Sequence[int]) -> int:
        if self._state is None:
            raise RuntimeError("TurnPlayer.act called before reset")
        t = len(my_history)
        own = np.asarray(my_history, dtype=np.int8).reshape(1, t)
        opp = np.asarray(their_history, dtype=np.int8).reshape(1, t)
        return int(self.rule.act(self._state, t, own, opp)[0])

    def clone(self) -> TurnPlayer:
        return TurnPlayer(self.name, self.rule, self._ctx)

