"""Fixed players: a state machine over joint actions, a per-turn rule of the library, random moves.

A library strategy (:mod:`interplay.agents.strategies`) or a memory-one policy enters a
per-turn match as a :class:`MachinePlayer` (a table: the data form the batched tournament
plays), a per-turn rule of the library as a :class:`RulePlayer`; :func:`strategy_player`
compiles either for the game's payoffs, horizon and noise. All satisfy
:class:`~interplay.agents.protocol.Player`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from interplay.agents.match import stage_of
from interplay.agents.protocol import Decision, View
from interplay.errors import InterplayError


class MachinePlayer:
    """A strategy given as a machine over joint actions (0 = first action, 1 = second).

    ``coop[s]`` is the probability of action 0 in state ``s``; ``next[s, my, their]``
    the state after a turn; state 0 starts. A memory-one policy ``[start, CC, CD, DC,
    DD]`` is the 5-state machine with ``next[s, my, their] = 1 + 2 my + their``
    (:meth:`memory_one`). Stochastic choices draw from a generator seeded by the
    match seed, the seat and the round, so a match is reproducible.
    """

    def __init__(self, name: str, coop: np.ndarray | Sequence[float], next: Any) -> None:
        self.name = name
        self.coop = np.asarray(coop, dtype=float)
        self.next = np.asarray(next, dtype=np.int64)
        if self.next.shape != (self.coop.shape[0], 2, 2):
            raise InterplayError(f"strategy {name!r}: next must have shape (S, 2, 2) for S = {self.coop.shape[0]} "
                                 f"states, got {self.next.shape}.")

    @classmethod
    def memory_one(cls, name: str, probs: str | Sequence[float]) -> MachinePlayer:
        from interplay.agents.memory_one import memory_one_probs

        p = memory_one_probs(list(probs) if not isinstance(probs, str) else probs, where=f"agent {name!r}")
        nxt = np.array([[[1 + 2 * my + th for th in (0, 1)] for my in (0, 1)] for _ in range(5)])
        return cls(name, p, nxt)

    async def act(self, view: View) -> Decision:
        if view.spec.num_actions[view.seat] != 2 or view.spec.num_players != 2:
            raise InterplayError(f"strategy {self.name!r} plays two-player games with two actions, "
                                 f"not {view.spec.id}.")
        s = 0
        for joint in view.history:
            s = int(self.next[s, joint[view.seat], joint[1 - view.seat]])
        p = float(self.coop[s])
        if p in (0.0, 1.0):
            a = 0 if p == 1.0 else 1
        else:
            rng = np.random.default_rng([view.seed, view.seat, view.round, 7])
            a = 0 if rng.random() < p else 1
        return Decision(action=a)


class RandomPlayer:
    """Uniformly random legal moves (seeded by match seed, seat and round)."""

    def __init__(self, name: str = "Random") -> None:
        self.name = name

    async def act(self, view: View) -> Decision:
        rng = np.random.default_rng([view.seed, view.seat, view.round, 11])
        return Decision(action=int(rng.integers(len(view.legal))))


class RulePlayer:
    """A per-turn rule of the library (:class:`~interplay.agents.strategies.core.TurnRule`: a learner, a
    strategy with internal random state) as a :class:`~interplay.agents.protocol.Player`.

    Stateless like every player: each move replays the rule over the view's history from a
    generator seeded by the match seed and the seat, so the same match gives the same moves
    and one object can sit in both seats and in concurrent matches.
    """

    def __init__(self, name: str, rule: Any, ctx: Any) -> None:
        self.name = name
        self.rule = rule
        self.ctx = ctx

    async def act(self, view: View) -> Decision:
        seat = view.seat
        t = len(view.history)
        own = np.array([[joint[seat] for joint in view.history]], dtype=np.int8).reshape(1, t)
        opp = np.array([[joint[1 - seat] for joint in view.history]], dtype=np.int8).reshape(1, t)
        state = self.rule.start(1, self.ctx, np.random.default_rng([view.seed, seat, 19]))
        for k in range(t):
            self.rule.act(state, k, own[:, :k], opp[:, :k])
        return Decision(action=int(self.rule.act(state, t, own, opp)[0]))


def strategy_player(entry: Any, game: Any, *, name: str | None = None) -> MachinePlayer | RulePlayer:
    """A library strategy (any name of :mod:`interplay.agents.strategies`, a
    :class:`~interplay.agents.strategies.Strategy`, or 5 memory-one probabilities) compiled for this
    game's payoffs, horizon and noise, played per turn (a per-turn rule of the library as a :class:`RulePlayer`)."""
    from interplay.agents.strategies import Context, resolve_strategy

    spec, payoffs, horizon, noise, end_prob, _ = stage_of(game)
    if spec.num_players != 2 or spec.num_actions != (2, 2):
        raise InterplayError(f"strategy {entry!r} plays 2x2 games; {spec.id} has actions {spec.num_actions}.")
    strategy = resolve_strategy(entry, name=name)
    own = payoffs[0]
    ctx = Context(payoffs=(float(own[0, 0]), float(own[0, 1]), float(own[1, 0]), float(own[1, 1])),
                  turns=int(horizon), length_known=end_prob == 0, noisy=noise > 0)
    if strategy.per_turn:
        return RulePlayer(name or strategy.name, strategy.rule, ctx)
    machine = strategy.machine(ctx)
    return MachinePlayer(name or strategy.name, machine.coop, machine.next)
