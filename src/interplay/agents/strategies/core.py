"""Strategies as data: a rule compiles to a finite machine over joint actions.

Every strategy of the library, whatever its source form (a memory-one vector, a
memory-n lookup table, a finite-state machine, a short rule over counts), is
compiled for a given match context into one :class:`Machine`:

* ``coop[s]``: the probability of cooperating in state ``s``;
* ``next[s, my, their]``: the state after the turn in which this player played
  ``my`` and the opponent ``their`` (0 = C, 1 = D, as seen after noise).

State 0 is the start state. This is a Moore machine whose input is the joint
action, the form of Axelrod-library "finite state players" (Miller 1996; Ashlock
and Kim 2008) generalised to stochastic outputs. A tournament between machines
is then a pair of table look-ups per match per turn, so whole tournaments run as
one array program (see :mod:`interplay.evaluate.tournament`).

Compilation enumerates the reachable states of the rule breadth-first (states are
any hashable value) and then merges equivalent states (Moore's partition
refinement), so a rule may keep more than it needs (e.g. a full defection count
where only "any defection" matters) and still gives the smallest machine.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from interplay.errors import InterplayError

C, D = 0, 1
ACTION_NAMES = ("C", "D")

#: Default Axelrod payoffs (R, S, T, P) of the prisoner's dilemma.
DEFAULT_PAYOFFS = (3.0, 0.0, 5.0, 1.0)

#: Largest number of states a rule may reach before compilation refuses.
MAX_STATES = 200_000
#: Machines with more reachable states than this are not minimised (it would cost more than it saves).
MINIMISE_UP_TO = 4_000


@dataclass(frozen=True)
class Context:
    """What a strategy may know about the match it is about to play.

    Attributes:
        payoffs: (R, S, T, P) of the stage game, row player's view.
        turns: maximum number of turns (the horizon the machine must cover).
        length_known: whether the match length is known to the players
            (fixed-length matches: yes; with a per-turn end probability: no).
        noisy: whether actions may be flipped; without noise a deterministic
            strategy's own unplayed action is never seen, which keeps machines small.
    """

    payoffs: tuple[float, float, float, float] = DEFAULT_PAYOFFS
    turns: int = 200
    length_known: bool = True
    noisy: bool = False

    @property
    def R(self) -> float:  # noqa: N802 - the game theory letters
        return self.payoffs[0]

    @property
    def S(self) -> float:  # noqa: N802
        return self.payoffs[1]

    @property
    def T(self) -> float:  # noqa: N802
        return self.payoffs[2]

    @property
    def P(self) -> float:  # noqa: N802
        return self.payoffs[3]

    def payoff(self, my: int, their: int) -> float:
        """This player's payoff for one joint action."""
        return (self.R, self.S, self.T, self.P)[2 * my + their]


@dataclass(frozen=True, eq=False)
class Machine:
    """A compiled strategy: a Moore machine whose input is the joint action.

    Attributes:
        coop: shape (S,), probability of cooperating in each state.
        next: shape (S, 2, 2), ``next[s, my, their]`` (0 = C, 1 = D).
    State 0 is the start state.
    """

    coop: np.ndarray
    next: np.ndarray

    @property
    def num_states(self) -> int:
        return int(self.coop.shape[0])

    @property
    def deterministic(self) -> bool:
        return bool(np.all((self.coop == 0.0) | (self.coop == 1.0)))

    def play(self, their: list[int] | tuple[int, ...], rng: np.random.Generator | None = None) -> list[int]:
        """This machine's actions against a fixed sequence of opponent actions (for tests and docs)."""
        s, out = 0, []
        for opp in their:
            p = self.coop[s]
            if p in (0.0, 1.0):
                a = C if p == 1.0 else D
            else:
                if rng is None:
                    raise InterplayError("a stochastic machine needs an rng to play.")
                a = C if rng.random() < p else D
            out.append(a)
            s = int(self.next[s, a, opp])
        return out


class MachineRule:
    """Base of every strategy's source form: a pure state machine over hashable states.

    Subclasses implement :meth:`initial`, :meth:`coop` and :meth:`update`; they keep
    no mutable attributes (all play state lives in the state value).
    """

    def initial(self, ctx: Context) -> Hashable:
        raise NotImplementedError

    def coop(self, state: Any, ctx: Context) -> float:
        """Probability of cooperating in ``state``."""
        raise NotImplementedError

    def update(self, state: Any, my: int, their: int, ctx: Context) -> Hashable:
        """The state after a turn with actions ``my`` and ``their`` (after noise)."""
        raise NotImplementedError

    def machine(self, ctx: Context) -> Machine:
        return compile_rule(self, ctx)


def compile_rule(rule: MachineRule, ctx: Context, max_states: int = MAX_STATES) -> Machine:
    """Breadth-first enumeration of the states reachable within ``ctx.turns`` turns, then minimisation."""
    start = rule.initial(ctx)
    index: dict[Hashable, int] = {start: 0}
    states: list[Hashable] = [start]
    coop: list[float] = []
    nxt: list[list[int]] = []
    depth = [0]
    i = 0
    while i < len(states):
        s = states[i]
        p = float(rule.coop(s, ctx))
        if not 0.0 <= p <= 1.0 or math.isnan(p):
            raise InterplayError(
                f"{type(rule).__name__}: probability of cooperating {p} outside [0, 1] in state {s!r}."
            )
        coop.append(p)
        row = [i, i, i, i]  # at the horizon: stay (never used; keeps equivalent states equivalent)
        if depth[i] < ctx.turns:
            for my in (C, D):
                if not ctx.noisy and p == (1.0 if my == D else 0.0):
                    continue  # never played here without noise: the edge stays a self-loop
                for their in (C, D):
                    t = rule.update(s, my, their, ctx)
                    j = index.get(t)
                    if j is None:
                        j = len(states)
                        if j >= max_states:
                            raise InterplayError(
                                f"{type(rule).__name__}: more than {max_states} states within {ctx.turns} turns; "
                                "use fewer turns or payoffs with small integer values."
                            )
                        index[t] = j
                        states.append(t)
                        depth.append(depth[i] + 1)
                    row[2 * my + their] = j
        nxt.append(row)
        i += 1
    coop_arr = np.asarray(coop, dtype=np.float64)
    next_arr = np.asarray(nxt, dtype=np.int64).reshape(-1, 2, 2)
    if len(states) > MINIMISE_UP_TO:  # refinement needs up to `turns` rounds; large machines stay as they are
        return Machine(coop=coop_arr, next=next_arr.astype(np.int32))
    return minimise(coop_arr, next_arr)


def minimise(coop: np.ndarray, nxt: np.ndarray) -> Machine:
    """Merge equivalent states (Moore 1956 partition refinement), keeping only reachable ones, start first."""
    # reachable states from 0
    n = coop.shape[0]
    seen = np.zeros(n, bool)
    seen[0] = True
    frontier = np.array([0])
    flat = nxt.reshape(n, 4)
    while frontier.size:
        cand = np.unique(flat[frontier].ravel())
        new = cand[~seen[cand]]
        seen[new] = True
        frontier = new
    _, block = np.unique(coop, return_inverse=True)
    block = block.ravel().astype(np.int64)
    block[~seen] = -1
    num = len(np.unique(block))
    while True:
        # signature (block, blocks of the 4 successors), relabelled one column at a time (1-D uniques are fast)
        key = block
        for col in range(4):
            succ = block[flat[:, col]]
            _, key = np.unique(key * (num + 1) + (succ + 1), return_inverse=True)
            key = key.ravel().astype(np.int64)
        key[~seen] = -1
        new_num = len(np.unique(key))
        block = key
        if new_num == num:
            break
        num = new_num
    # renumber blocks in order of first appearance among reachable states, start state first
    reach = np.flatnonzero(seen)
    order: dict[int, int] = {}
    for s in reach:
        order.setdefault(int(block[s]), len(order))
    rep = np.empty(len(order), dtype=np.int64)
    for s in reach[::-1]:
        rep[order[int(block[s])]] = s
    remap = np.array([order.get(int(b), 0) for b in block], dtype=np.int32)
    new_coop = coop[rep]
    new_next = remap[flat[rep]].reshape(-1, 2, 2).astype(np.int32)
    return Machine(coop=new_coop, next=new_next)


@dataclass(frozen=True)
class Strategy:
    """A named strategy of the library, with its declared properties.

    Attributes:
        name: the name, as in the Axelrod library where it comes from there.
        rule: the source form (compiled per match context by :meth:`machine`).
        origin: where the strategy comes from (paper, tournament, library).
        memory_depth: how many past turns it uses (``math.inf`` for unbounded).
        stochastic: whether it randomises (with no noise).
        kind: "memory-one", "memory-n", "fsm", "sequence", "rule" or "per-turn".
        axelrod: the Axelrod-library class it reproduces (None if not from there).
        uses_length: whether it uses the match length (it then needs a known length).
        aliases: other names that resolve to it.
    """

    name: str
    rule: Any = field(repr=False)  # a MachineRule (compiles to a Machine) or a per-turn rule (TurnRule)
    origin: str
    memory_depth: float
    stochastic: bool
    kind: str
    axelrod: str | None = None
    uses_length: bool = False
    aliases: tuple[str, ...] = ()

    @property
    def per_turn(self) -> bool:
        """Whether this strategy is played turn by turn (a per-turn rule) rather than compiled to a machine."""
        return not isinstance(self.rule, MachineRule)

    def machine(self, ctx: Context | None = None) -> Machine:
        """The compiled machine for this match context (cached)."""
        if self.per_turn:
            raise InterplayError(f"strategy {self.name!r} is played turn by turn; it has no machine.")
        return _cached_machine(self.rule, ctx or Context())

    def play(self, their: list[int] | tuple[int, ...], ctx: Context | None = None,
             rng: np.random.Generator | None = None) -> list[int]:
        """This strategy's actions against a fixed sequence of opponent actions (either form)."""
        ctx = ctx or Context(turns=max(len(their), 1))
        if self.per_turn:
            return play_rule(self.rule, their, ctx, rng)
        return self.machine(ctx).play(their, rng)

    def memory_one_vector(self, ctx: Context | None = None) -> tuple[float, float, float, float, float] | None:
        """The 5 probabilities ``[start, CC, CD, DC, DD]`` if this is a memory-one strategy, else None."""
        vector = getattr(self.rule, "vector", None)
        if vector is None:
            return None
        start, cc, cd, dc, dd = (float(x) for x in vector(ctx or Context()))
        return (start, cc, cd, dc, dd)

    def properties(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "memory_depth": self.memory_depth if math.isfinite(self.memory_depth) else "inf",
            "stochastic": self.stochastic,
            "uses_length": self.uses_length,
            "axelrod": self.axelrod,
            "aliases": list(self.aliases),
            "origin": self.origin,
        }


@lru_cache(maxsize=4096)
def _cached_machine(rule: MachineRule, ctx: Context) -> Machine:
    return rule.machine(ctx)


# -- per-turn rules: strategies whose logic is not a small finite machine -------------------
# Learners (Q-learners, Bush-Mosteller), strategies with internal random state, strategies that
# test the opponent for randomness or cycles over the whole history, neural-network and hidden
# Markov players keep state that no compact summary of the history captures. They are per-turn
# rules that a tournament plays for *all their matches at once*: :class:`TurnRule` is the array
# form (``start(n, ctx, rng)`` gives the state of ``n`` simultaneous matches, ``act(state, t, own,
# opp)`` the ``n`` actions of turn ``t`` from the two histories so far, shape ``(n, t)``, 0 = C,
# 1 = D, as played after noise); :class:`ScalarRule` writes the same one match at a time
# (``begin`` a memo, ``move(memo, mine, theirs)`` an action) and implements the array form by
# looping. A tournament calls ``act`` once per turn per strategy, whatever the number of its
# matches (:func:`interplay.evaluate.tournament.run_tournament`).


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

    def move(self, m: Any, mine: list[int], theirs: list[int]) -> int:
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
