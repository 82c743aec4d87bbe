"""Per-turn strategies: the library's strategies whose logic is not a small finite machine.

Learners (Q-learners, Bush-Mosteller), strategies with internal random state, strategies that
test the opponent for randomness or cycles over the whole history, neural-network and hidden
Markov players keep state that no compact summary of the history captures, so they do not
compile to a :class:`~interplay.agents.strategies.core.Machine`. They are written here as
per-turn rules that a tournament plays for *all their matches at once*:

* :class:`TurnRule` is the array form: ``start(n, ctx, rng)`` returns the state of ``n``
  simultaneous matches, ``act(state, t, own, opp)`` returns the ``n`` actions of turn ``t``
  from the two histories so far (``own``/``opp`` of shape ``(n, t)``, 0 = C, 1 = D, as played
  after noise). A tournament calls ``act`` once per turn per strategy, whatever the number of
  its matches (:func:`interplay.evaluate.tournament.run_tournament`).
* :class:`ScalarRule` is the convenience form for rules whose logic reads best one match at a
  time: ``begin(ctx, rng)`` gives a fresh per-match memo and ``move(memo, mine, theirs)`` the
  action, with ``mine``/``theirs`` plain lists. It implements the array form by looping.

:class:`TurnPlayer` plays any per-turn rule through the per-turn
:class:`~interplay.agents.strategies.player.Player` protocol (one match), e.g. against an LLM
agent or a fixed sequence (:func:`play_rule`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from interplay.agents.strategies.core import C, Context, D

Action = int


class TurnRule:
    """The array form of a per-turn strategy (see the module docstring). Subclasses keep no
    mutable attributes: all play state lives in the value ``start`` returns."""

    def start(self, n: int, ctx: Context, rng: np.random.Generator) -> Any:
        raise NotImplementedError

    def act(self, state: Any, t: int, own: np.ndarray, opp: np.ndarray) -> np.ndarray:
        """Actions (n,) of turn ``t`` (0-based) given ``own``, ``opp`` of shape (n, t)."""
        raise NotImplementedError


class _ScalarState:
    __slots__ = ("memos", "mine", "theirs", "rng", "ctx")

    def __init__(self, memos: list[Any], rng: np.random.Generator, ctx: Context) -> None:
        self.memos = memos
        self.mine: list[list[int]] = [[] for _ in memos]
        self.theirs: list[list[int]] = [[] for _ in memos]
        self.rng = rng
        self.ctx = ctx


class Memo:
    """A per-match memo of a :class:`ScalarRule`: attribute bag with the match context and rng."""

    def __init__(self, ctx: Context, rng: np.random.Generator, **fields: Any) -> None:
        self.ctx = ctx
        self.rng = rng
        self.__dict__.update(fields)

    def chance(self, p: float) -> int:
        """C with probability ``p`` (no draw when p is 0 or 1, as the Axelrod library)."""
        if p <= 0.0:
            return D
        if p >= 1.0:
            return C
        return C if self.rng.random() < p else D

    def coin(self) -> int:
        return C if self.rng.random() < 0.5 else D


class ScalarRule(TurnRule):
    """A per-turn rule written one match at a time: ``begin`` gives a fresh memo, ``move`` an action."""

    def begin(self, ctx: Context, rng: np.random.Generator) -> Memo:
        return Memo(ctx, rng)

    def move(self, m: Any, mine: list[int], theirs: list[int]) -> Action:
        raise NotImplementedError

    def start(self, n: int, ctx: Context, rng: np.random.Generator) -> Any:
        return _ScalarState([self.begin(ctx, rng) for _ in range(n)], rng, ctx)

    def act(self, state: Any, t: int, own: np.ndarray, opp: np.ndarray) -> np.ndarray:
        if t > 0:
            for lst, a in zip(state.mine, own[:, t - 1].tolist()):
                lst.append(a)
            for lst, a in zip(state.theirs, opp[:, t - 1].tolist()):
                lst.append(a)
        move = self.move
        return np.fromiter((move(m, a, b) for m, a, b in zip(state.memos, state.mine, state.theirs)),
                           dtype=np.int8, count=len(state.memos))


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


def play_rule(rule: TurnRule, their: Sequence[int], ctx: Context | None = None,
              rng: np.random.Generator | None = None) -> list[int]:
    """A per-turn rule's actions against a fixed sequence of opponent actions (for tests and docs)."""
    ctx = ctx or Context(turns=max(len(their), 1))
    state = rule.start(1, ctx, rng if rng is not None else np.random.default_rng(0))
    t_max = len(their)
    own = np.zeros((1, t_max), dtype=np.int8)
    opp = np.asarray(their, dtype=np.int8).reshape(1, t_max)
    for t in range(t_max):
        own[0, t] = rule.act(state, t, own[:, :t], opp[:, :t])[0]
    return own[0].tolist()
