"""The source forms of strategies: memory-one vectors, zero-determinant parameters,
memory-n lookup tables, finite-state machines, sequences and short rules over the history.

Each is a frozen :class:`~interplay.agents.strategies.core.MachineRule`; all play state lives
in hashable state values, so every rule compiles to a finite machine.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

from interplay.agents.strategies.core import C, Context, D, MachineRule
from interplay.errors import InterplayError


def _action(ch: str) -> int:
    if ch not in ("C", "D"):
        raise InterplayError(f"action {ch!r}: expected 'C' or 'D'.")
    return C if ch == "C" else D


# -- memory one ----------------------------------------------------------------------
class _MemoryOneBase(MachineRule):
    """States: 0 = start, 1 + 2 * my + their = after the last joint action (own view)."""

    def vector(self, ctx: Context) -> tuple[float, float, float, float, float]:
        raise NotImplementedError

    def initial(self, ctx: Context) -> Hashable:
        return 0

    def coop(self, state: Any, ctx: Context) -> float:
        return self.vector(ctx)[state]

    def update(self, state: Any, my: int, their: int, ctx: Context) -> Hashable:
        return 1 + 2 * my + their


@dataclass(frozen=True)
class MemoryOne(_MemoryOneBase):
    """Five probabilities of cooperating: ``[start, after CC, CD, DC, DD]``, own move first.

    The convention of :mod:`interplay.games.iterated` (tit-for-tat is ``(1, 1, 0, 1, 0)``).
    """

    probs: tuple[float, float, float, float, float]

    def __post_init__(self) -> None:
        if len(self.probs) != 5 or any(not 0.0 <= float(p) <= 1.0 for p in self.probs):
            raise InterplayError(
                f"a memory-one policy needs 5 probabilities in [0, 1] [start, CC, CD, DC, DD], got {list(self.probs)}."
            )

    def vector(self, ctx: Context) -> tuple[float, float, float, float, float]:
        return self.probs


@dataclass(frozen=True)
class GenerousTitForTat(_MemoryOneBase):
    """Tit for tat that forgives a defection with probability
    ``p = min(1 - (T - R) / (R - S), (R - P) / (T - P))`` (Nowak and Sigmund 1992), 1/3 for (3, 0, 5, 1)."""

    p: float | None = None

    def vector(self, ctx: Context) -> tuple[float, float, float, float, float]:
        R, S, T, P = ctx.payoffs
        p = self.p if self.p is not None else min(1 - (T - R) / (R - S), (R - P) / (T - P))
        return (1.0, 1.0, p, 1.0, p)


@dataclass(frozen=True)
class ZeroDeterminant(_MemoryOneBase):
    """A zero-determinant strategy (Press and Dyson 2012) enforcing ``s_Y - l = s (s_X - l)`` up to ``phi``.

    In the parametrisation of the Axelrod library's LRPlayer (Stewart and Plotkin 2012):
    ``p = (1 - phi (1 - s)(R - l), 1 - phi (s (l - S) + T - l), phi (l - S + s (T - l)), phi (1 - s)(l - P))``.
    ``l`` is a number or the letter "P" or "R" (the game's own value).
    """

    phi: float
    s: float
    l: float | str

    def vector(self, ctx: Context) -> tuple[float, float, float, float, float]:
        R, S, T, P = ctx.payoffs
        if isinstance(self.l, str):
            if self.l not in ("P", "R"):
                raise InterplayError(f"ZD strategy: l must be a number, 'P' or 'R', got {self.l!r}.")
            l = P if self.l == "P" else R
        else:
            l = self.l
        phi, s = self.phi, self.s
        p = (1 - phi * (1 - s) * (R - l), 1 - phi * (s * (l - S) + (T - l)), phi * ((l - S) + s * (T - l)),
             phi * (1 - s) * (l - P))
        if any(not -1e-12 <= x <= 1 + 1e-12 for x in p):
            raise InterplayError(f"ZD strategy (phi={phi}, s={s}, l={l}) is not valid for payoffs {ctx.payoffs}.")
        cc, cd, dc, dd = (min(1.0, max(0.0, float(x))) for x in p)
        return (1.0, cc, cd, dc, dd)


# -- finite-state machines (Axelrod-library form) --------------------------------------
_TRANSITION = re.compile(r"^(\d+)([CD])(\d+)([CD])$")


@dataclass(frozen=True)
class FSM(MachineRule):
    """A finite-state player: first move ``start[1]`` in state ``start[0]``, then on each turn
    ``(state, opponent's last action) -> (next state, action)``.

    ``table`` lists transitions as ``"<state><input><next><output>"`` tokens, e.g. tit for tat is
    ``FSM("1C1C 1D1D", "1C")``. This is the representation of Miller (1996) and Ashlock (2006) used by
    the Axelrod library's FSMPlayer.
    """

    table: str
    start: str

    @cached_property
    def transitions(self) -> dict[tuple[int, int], tuple[int, int]]:
        out: dict[tuple[int, int], tuple[int, int]] = {}
        for tok in self.table.split():
            m = _TRANSITION.match(tok)
            if not m:
                raise InterplayError(f"FSM transition {tok!r}: expected <state><C|D><next state><C|D>, e.g. 0C1D.")
            out[(int(m[1]), _action(m[2]))] = (int(m[3]), _action(m[4]))
        for s, _ in list(out):
            if (s, C) not in out or (s, D) not in out:
                raise InterplayError(f"FSM state {s} needs transitions for both C and D.")
        return out

    def initial(self, ctx: Context) -> Hashable:
        return (int(self.start[:-1]), _action(self.start[-1]))

    def coop(self, state: Any, ctx: Context) -> float:
        return 1.0 if state[1] == C else 0.0

    def update(self, state: Any, my: int, their: int, ctx: Context) -> Hashable:
        return self.transitions[(state[0], their)]


# -- memory-n lookup tables -----------------------------------------------------------
@dataclass(frozen=True)
class Lookup(MachineRule):
    """A memory-n lookup table: the action (or probability of C) for each combination of this
    player's last ``own`` actions and the opponent's last ``opp`` actions (oldest first), keys in
    the order of ``itertools.product("CD", repeat=own + opp)`` (own actions first). Until enough
    history exists it plays ``opening``. The Axelrod library's LookerUp/Gambler without openings
    (Harper et al. 2017).
    """

    own: int
    opp: int
    table: tuple[float, ...]
    opening: str

    def __post_init__(self) -> None:
        if len(self.table) != 2 ** (self.own + self.opp):
            raise InterplayError(f"lookup table needs {2 ** (self.own + self.opp)} entries, got {len(self.table)}.")
        if len(self.opening) < max(self.own, self.opp):
            raise InterplayError("lookup table: the opening must cover the memory.")

    @staticmethod
    def from_pattern(own: int, opp: int, pattern: str, opening: str) -> Lookup:
        return Lookup(own, opp, tuple(1.0 if ch == "C" else 0.0 for ch in pattern), opening)

    def initial(self, ctx: Context) -> Hashable:
        return (0, (), ())

    def coop(self, state: Any, ctx: Context) -> float:
        t, mine, theirs = state
        if t < len(self.opening):
            return 1.0 if self.opening[t] == "C" else 0.0
        key = mine[len(mine) - self.own:] if self.own else ()
        key = key + (theirs[len(theirs) - self.opp:] if self.opp else ())
        idx = 0
        for a in key:
            idx = 2 * idx + a
        return float(self.table[idx])

    def update(self, state: Any, my: int, their: int, ctx: Context) -> Hashable:
        t, mine, theirs = state
        k = max(self.own, self.opp)
        return (min(t + 1, len(self.opening)), (mine + (my,))[-k:], (theirs + (their,))[-k:])


def product_keys(own: int, opp: int) -> list[tuple[str, str]]:
    """The keys of a lookup table in order: (own actions, opponent actions), oldest first."""
    return [("".join(k[:own]), "".join(k[own:])) for k in itertools.product("CD", repeat=own + opp)]


# -- sequences ------------------------------------------------------------------------
@dataclass(frozen=True)
class Cycle(MachineRule):
    """Plays ``pattern`` over and over, whatever the opponent does (Axelrod library's Cycler)."""

    pattern: str

    def initial(self, ctx: Context) -> Hashable:
        return 0

    def coop(self, state: Any, ctx: Context) -> float:
        return 1.0 if self.pattern[state] == "C" else 0.0

    def update(self, state: Any, my: int, their: int, ctx: Context) -> Hashable:
        return (state + 1) % len(self.pattern)


@dataclass(frozen=True)
class Sequence(MachineRule):
    """Plays ``fn(t)`` (probability of cooperating) on turn ``t`` = 0, 1, ..., whatever the opponent does."""

    fn: Callable[[int, Context], float]

    def initial(self, ctx: Context) -> Hashable:
        return 0

    def coop(self, state: Any, ctx: Context) -> float:
        return self.fn(state, ctx)

    def update(self, state: Any, my: int, their: int, ctx: Context) -> Hashable:
        return state + 1


# -- rules over the history -----------------------------------------------------------
class HistoryView(NamedTuple):
    """What a history rule sees before its move.

    t: turns played so far (capped at the rule's ``t_cap``); mine, theirs: the last ``own`` and
    ``window`` actions, oldest first (fewer at the start); first: the opponent's first ``opening`` actions;
    defections, cooperations: the opponent's counts (if the rule tracks them, else 0); flag: the
    rule's sticky flag; memo: the rule's own state (procedures); ctx: the match context.
    """

    t: int
    mine: tuple[int, ...]
    theirs: tuple[int, ...]
    first: tuple[int, ...]
    defections: int
    cooperations: int
    flag: bool
    memo: Any
    ctx: Context


@dataclass(frozen=True)
class History(MachineRule):
    """A rule ``decide(view) -> probability of cooperating`` over a declared summary of the history.

    Only what is declared is kept in the state, so the machine stays finite and small:
    ``window`` last actions of the opponent and ``own`` of this player (default: ``window``), the
    opponent's first ``opening`` actions, the turn
    number up to ``t_cap`` (None: uncapped), the opponent's counts (``count``: True for both, "D" for
    defections only), and a sticky
    ``flag`` that becomes true for good once ``flag_when(view)`` holds after a turn.
    """

    decide: Callable[[HistoryView], float]
    window: int = 1
    own: int | None = None
    opening: int = 0
    t_cap: int | None = 1
    count: bool | str = False
    flag_when: Callable[[HistoryView], bool] | None = None

    def initial(self, ctx: Context) -> Hashable:
        return (0, (), (), (), 0, 0, False, None)

    def view(self, state: Any, ctx: Context) -> HistoryView:
        return HistoryView(*state, ctx=ctx)

    def coop(self, state: Any, ctx: Context) -> float:
        return float(self.decide(self.view(state, ctx)))

    def _advance(self, state: Any, my: int, their: int, memo: Any) -> tuple:
        t, mine, theirs, first, nd, nc, flag, _ = state
        t = t + 1 if self.t_cap is None else min(t + 1, self.t_cap)
        w = self.window
        o = w if self.own is None else self.own
        mine = (mine + (my,))[-o:] if o else ()
        theirs = (theirs + (their,))[-w:] if w else ()
        if len(first) < self.opening:
            first = first + (their,)
        if self.count:
            nd = nd + (their == D)
            if self.count is True:
                nc = nc + (their == C)
        return (t, mine, theirs, first, nd, nc, flag, memo)

    def update(self, state: Any, my: int, their: int, ctx: Context) -> Hashable:
        new = self._advance(state, my, their, None)
        if self.flag_when is not None and not new[6] and self.flag_when(HistoryView(*new, ctx=ctx)):
            new = new[:6] + (True,) + new[7:]
        return new


@dataclass(frozen=True)
class Procedure(History):
    """A history rule with its own state, in the style of a strategy that decides and updates counters:
    ``decide(view) -> (action, new memo)``, with ``view.memo`` starting at ``memo``. The action is
    deterministic; the memo is advanced when the turn is played.
    """

    decide: Callable[[HistoryView], tuple[int, Any]]
    memo: Hashable = None

    def initial(self, ctx: Context) -> Hashable:
        return (0, (), (), (), 0, 0, False, self.memo)

    def coop(self, state: Any, ctx: Context) -> float:
        return 1.0 if self.decide(self.view(state, ctx))[0] == C else 0.0

    def update(self, state: Any, my: int, their: int, ctx: Context) -> Hashable:
        memo = self.decide(self.view(state, ctx))[1]
        new = self._advance(state, my, their, memo)
        if self.flag_when is not None and not new[6] and self.flag_when(HistoryView(*new, ctx=ctx)):
            new = new[:6] + (True,) + new[7:]
        return new
