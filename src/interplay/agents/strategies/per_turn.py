"""The library's per-turn strategies (per-turn rules: :class:`~.core.TurnRule`): learners, strategies with internal
random state, strategies whose memory is a real number or an unbounded table, and statistical
testers of the opponent.

Behaviour and declared properties follow the Axelrod library (axelrod 4.14) where each strategy
is documented with its origin; tests compare every deterministic one with the Axelrod library's
payoff matrices exactly and every stochastic one in distribution. Each rule is written one match
at a time (:class:`~.core.ScalarRule`): ``mine`` and ``theirs`` are the histories so far,
``m`` the per-match memo (its ``ctx`` is the match context, its ``rng`` the random source).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from interplay.agents.strategies.core import C, Context, D, Memo, ScalarRule, Strategy, TurnRule
from interplay.agents.strategies.library import MACHINES

INF = math.inf
PER_TURN: list[Strategy] = []


def _register(name: str, axelrod: str, depth: float, stochastic: bool, origin: str, *, display: str | None = None,
              uses_length: bool = False, args: tuple = ()) -> Callable[[type], type]:
    """Class decorator: add an instance of the rule to the library under Axelrod's name."""

    def deco(cls: type) -> type:
        PER_TURN.append(Strategy(name=name, rule=cls(*args), origin=origin, memory_depth=depth, stochastic=stochastic,
                                 kind="per-turn", axelrod=axelrod, uses_length=uses_length,
                                 aliases=(display,) if display and display != name else ()))
        return cls

    return deco


def final_moves(ctx: Context, t: int, action: int, seq: tuple[int, ...]) -> int:
    """``action``, except that the last ``len(seq)`` turns of a known-length match play ``seq``
    (the Axelrod library's FinalTransformer)."""
    if not ctx.length_known or t >= ctx.turns:
        return action
    left = ctx.turns - t
    return seq[-left] if left <= len(seq) else action


def detect_cycle(history: list[int], min_size: int = 1, max_size: int = 12, offset: int = 0) -> tuple[int, ...] | None:
    """The shortest block of ``min_size``..``max_size`` actions (at most half the history after
    ``offset``) that the history repeats from its start, or None."""
    tail = history[offset:]
    for size in range(min_size, min(len(tail) // 2, max_size) + 1):
        block = tail[:size]
        if all(a == block[k % size] for k, a in enumerate(tail)):
            return tuple(block)
    return None


class CycleTracker:
    """Incremental :func:`detect_cycle` (offset 0): ``ok[k]`` says whether the history so far repeats its first
    ``k`` moves, updated in O(max_size) per new move instead of rescanning the history."""

    __slots__ = ("ok", "seen", "max_size")

    def __init__(self, max_size: int = 12) -> None:
        self.max_size = max_size
        self.ok = [True] * (max_size + 1)
        self.seen = 0

    def cycle(self, history: list[int], min_size: int = 1) -> tuple[int, ...] | None:
        ok = self.ok
        for i in range(self.seen, len(history)):
            a = history[i]
            for k in range(1, min(i, self.max_size) + 1):
                if ok[k] and history[i - k] != a:
                    ok[k] = False
        self.seen = len(history)
        for k in range(min_size, min(len(history) // 2, self.max_size) + 1):
            if ok[k]:
                return tuple(history[:k])
        return None


def chi2_pvalue(c: int, d: int) -> float:
    """p-value of Pearson's chi-squared test that ``c`` and ``d`` come from a fair coin (1 degree
    of freedom: the survival function is erfc(sqrt(x / 2)))."""
    n = c + d
    if n == 0:
        return math.nan
    x = (c - d) ** 2 / n
    return math.erfc(math.sqrt(x / 2))


def _tft(theirs: list[int]) -> int:
    return theirs[-1] if theirs else C


def _flip(a: int) -> int:
    return 1 - a


# -- adaptive players ---------------------------------------------------------------------
class _APavlov(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, kind=None)


@_register("Adaptive Pavlov 2006", "APavlov2006", INF, False,
           "Tit for tat for six turns, then classifies the opponent every six turns (cooperative, all-D, "
           "suspicious TFT, Pavlov-D, random) and answers each class (Li 2007).")
class APavlov2006(_APavlov):
    def move(self, m, mine, theirs):
        t = len(mine)
        if t < 6:
            return _tft(theirs)
        if t % 6 == 0:
            last6 = theirs[-6:]
            for pattern, kind in (([C] * 6, "cooperative"), ([D] * 6, "alld"), ([D, C] * 3, "stft"),
                                  ([D, D, C, D, D, C], "pavlovd")):
                if last6 == pattern:
                    m.kind = kind
            if m.kind is None:
                m.kind = "random"
        if m.kind in ("random", "alld"):
            return D
        if m.kind == "stft":
            if t % 6 in (0, 1):
                return C
            if theirs[-1] == D:
                return D
        if m.kind == "pavlovd" and t % 6 == 0:
            return D
        if m.kind == "cooperative" and theirs[-1] == D:
            return D
        return C


@_register("Adaptive Pavlov 2011", "APavlov2011", INF, False,
           "Tit for tat for six turns, then classifies the opponent every six turns by its defections and "
           "answers each class (Li et al. 2011).")
class APavlov2011(_APavlov):
    def move(self, m, mine, theirs):
        t = len(mine)
        if t < 6:
            return _tft(theirs)
        if t % 6 == 0:
            last6 = theirs[-6:]
            nd = last6.count(D)
            if last6 == [C] * 6:
                m.kind = "cooperative"
            if nd >= 4:
                m.kind = "alld"
            if nd == 3:
                m.kind = "stft"
            if m.kind is None:
                m.kind = "random"
        if m.kind in ("random", "alld"):
            return D
        if m.kind == "stft":
            return D if theirs[-2:] == [D, D] else C
        return _tft(theirs)


@_register("Adaptive Tit For Tat", "AdaptiveTitForTat", INF, False,
           "Keeps a running estimate of the opponent's cooperation (rate 0.5) and cooperates while it is at "
           "least 1/2 (Tzafestas 2000).", display="Adaptive Tit For Tat: 0.5")
class AdaptiveTitForTat(ScalarRule):
    rate = 0.5

    def begin(self, ctx, rng):
        return Memo(ctx, rng, world=self.rate)

    def move(self, m, mine, theirs):
        if not theirs:
            return C
        if theirs[-1] == C:
            m.world += self.rate * (1.0 - m.world)
        else:
            m.world -= self.rate * m.world
        return C if m.world >= 0.5 else D


@_register("AntiCycler", "AntiCycler", INF, False,
           "Plays C, D, D, then blocks of 1, 2, 3, ... cooperations each ended by a defection, so it never "
           "settles into a cycle (Axelrod library).")
class AntiCycler(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, length=1, counter=0)

    def move(self, m, mine, theirs):
        t = len(mine)
        if t < 3:
            return (C, D, D)[t]
        if m.counter < m.length:
            m.counter += 1
            return C
        m.length += 1
        m.counter = 0
        return D


# -- Q-learners (Sandholm and Crites 1996, as in the Axelrod library) ----------------------
class _QLearner(ScalarRule):
    learning_rate = 0.9
    discount_rate = 0.9
    explore = 0.1
    memory = 12

    def begin(self, ctx, rng):
        return Memo(ctx, rng, q={None: [0.0, 0.0]}, v={None: 0.0}, prev_state=None, prev_action=None, code=0, nc=0)

    def move(self, m, mine, theirs):
        if not mine:
            m.prev_action = m.coin()
        if theirs:
            m.code = ((m.code << 1) | theirs[-1]) & 0xFFF
            m.nc += theirs[-1] == C
        state = (min(len(theirs), self.memory), m.code, m.nc)
        opp_prev = theirs[-1] if theirs else m.coin()
        reward = m.ctx.payoff(m.prev_action, opp_prev)
        if state not in m.q:
            m.q[state] = [0.0, 0.0]
            m.v[state] = 0.0
        qp = m.q[m.prev_state]
        qp[m.prev_action] = (1.0 - self.learning_rate) * qp[m.prev_action] + self.learning_rate * (
            reward + self.discount_rate * m.v[state])
        m.v[m.prev_state] = max(qp)
        if m.rng.random() < 1.0 - self.explore:
            qs = m.q[state]
            action = C if qs[C] >= qs[D] else D
        else:
            action = m.coin()
        m.prev_state, m.prev_action = state, action
        return action


_Q_ORIGIN = ("Q-learner over states (the opponent's last 12 moves, its cooperation count), learning rate {lr}, "
             "discount {dr}, 10% exploration (Sandholm and Crites 1996; Axelrod library).")


@_register("Risky QLearner", "RiskyQLearner", INF, True, _Q_ORIGIN.format(lr=0.9, dr=0.9))
class RiskyQLearner(_QLearner):
    pass


@_register("Arrogant QLearner", "ArrogantQLearner", INF, True, _Q_ORIGIN.format(lr=0.9, dr=0.1))
class ArrogantQLearner(_QLearner):
    discount_rate = 0.1


@_register("Hesitant QLearner", "HesitantQLearner", INF, True, _Q_ORIGIN.format(lr=0.1, dr=0.9))
class HesitantQLearner(_QLearner):
    learning_rate = 0.1


@_register("Cautious QLearner", "CautiousQLearner", INF, True, _Q_ORIGIN.format(lr=0.1, dr=0.1))
class CautiousQLearner(_QLearner):
    learning_rate = 0.1
    discount_rate = 0.1


# -- length-aware ---------------------------------------------------------------------------
def _backstab(theirs: list[int]) -> int:
    return D if theirs and theirs.count(D) > 3 else C


@_register("Alexei", "Alexei", INF, False, "Tit for tat that defects on the last turn (LessWrong tournament, "
           "via the Axelrod library).", display="Alexei: (D,)", uses_length=True)
class Alexei(ScalarRule):
    def move(self, m, mine, theirs):
        return final_moves(m.ctx, len(mine), _tft(theirs) if mine else C, (D,))


@_register("BackStabber", "BackStabber", INF, False, "Cooperates until the opponent's fourth defection, and "
           "defects on the last two turns (Axelrod library).", display="BackStabber: (D, D)", uses_length=True)
class BackStabber(ScalarRule):
    def move(self, m, mine, theirs):
        return final_moves(m.ctx, len(mine), _backstab(theirs), (D, D))


@_register("DoubleCrosser", "DoubleCrosser", INF, False, "BackStabber that, against an opponent that cooperated "
           "on its first seven turns, plays tit for two tats on turns 8 to 180 (Axelrod library).",
           display="DoubleCrosser: (D, D)", uses_length=True)
class DoubleCrosser(ScalarRule):
    def move(self, m, mine, theirs):
        t = len(theirs)
        a = (D if theirs[-2:] == [D, D] else C) if D not in theirs[:7] and 7 < t + 1 <= 180 else _backstab(theirs)
        return final_moves(m.ctx, len(mine), a, (D, D))


@_register("EugineNier", "EugineNier", INF, False, "Tit for tat that defects for ever after the opponent's fifth "
           "defection, and on the last turn (LessWrong tournament).", display="EugineNier: (D,)", uses_length=True)
class EugineNier(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, defector=False)

    def move(self, m, mine, theirs):
        if not mine:
            a = C
        else:
            if not m.defector and theirs.count(D) >= 5:
                m.defector = True
            a = D if m.defector else theirs[-1]
        return final_moves(m.ctx, len(mine), a, (D,))


@_register("Michaelos", "Michaelos", INF, True, "Tit for tat that, when its defection met a cooperation, "
           "cooperates or turns defector for good at random, and defects on the last turn (LessWrong tournament).",
           display="Michaelos: (D,)", uses_length=True)
class Michaelos(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, defector=False)

    def move(self, m, mine, theirs):
        if not mine:
            a = C
        elif m.defector:
            a = D
        elif mine[-1] == D and theirs[-1] == C:
            a = m.coin()
            if a == D:
                m.defector = True
        else:
            a = theirs[-1]
        return final_moves(m.ctx, len(mine), a, (D,))


@_register("Knowledgeable Worse and Worse", "KnowledgeableWorseAndWorse", INF, True,
           "Cooperates on turn t with probability 1 - t / length (Axelrod library).", uses_length=True)
class KnowledgeableWorseAndWorse(ScalarRule):
    def move(self, m, mine, theirs):
        length = m.ctx.turns if m.ctx.length_known else -1
        return m.chance(1 - (len(mine) + 1) / length)


# -- learners and estimators -----------------------------------------------------------------
@_register("Bush Mosteller", "BushMosteller", INF, True,
           "Reinforcement learner: the probability of the action just played moves towards 1 or 0 with the "
           "payoff's distance from an aspiration level (Bush and Mosteller 1955; Luce 2003).",
           display="Bush Mosteller: 0.5, 0.5, 3.0, 0.5")
class BushMosteller(ScalarRule):
    rate = 0.5

    def begin(self, ctx, rng):
        return Memo(ctx, rng, pc=0.5, pd=0.5)

    def move(self, m, mine, theirs):
        if mine:
            top = max(m.ctx.payoffs)
            aspiration = abs(top / 3.0)
            stim = (m.ctx.payoff(mine[-1], theirs[-1]) - aspiration) / abs(top - aspiration)
            stim = max(stim, -1.0)
            if mine[-1] == C:
                m.pc += self.rate * stim * ((1 - m.pc) if stim >= 0 else m.pc)
            else:
                m.pd += self.rate * stim * ((1 - m.pd) if stim >= 0 else m.pd)
        return m.chance(m.pc / (m.pc + m.pd))


@_register("Calculator", "Calculator", INF, True,
           "Plays Joss for 20 turns; then defects for ever if the opponent's moves so far were a cycle, else "
           "tit for tat (Prison tournament, via the Axelrod library).")
class Calculator(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, cycle=None)

    def move(self, m, mine, theirs):
        t = len(mine)
        if t < 20:
            if not theirs:
                return C
            return m.chance(0.9) if theirs[-1] == C else D
        if t == 20:
            m.cycle = detect_cycle(theirs)
        return D if m.cycle else _tft(theirs)


@_register("Contrite Tit For Tat", "ContriteTitForTat", 3, False,
           "Tit for tat that, when noise turned its cooperation into a defection against a cooperator, "
           "cooperates until it has cooperated once (Wu and Axelrod 1995).")
class ContriteTitForTat(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, contrite=False, intended=[])

    def move(self, m, mine, theirs):
        a = self._move(m, mine, theirs)
        m.intended.append(a)
        return a

    def _move(self, m, mine, theirs):
        if not theirs:
            return C
        if m.contrite and mine[-1] == C:
            m.contrite = False
            return C
        if m.intended[-1] != mine[-1] and mine[-1] == D and theirs[-1] == C:
            m.contrite = True
        return theirs[-1]


@_register("Cycle Hunter", "CycleHunter", INF, False,
           "Cooperates, but defects for ever once the opponent's moves so far repeat a mixed cycle of length "
           "3 to 12 (Axelrod library).")
class CycleHunter(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, found=False, tracker=CycleTracker())

    def move(self, m, mine, theirs):
        if m.found:
            return D
        cycle = m.tracker.cycle(theirs, min_size=3)
        if cycle and len(set(cycle)) > 1:
            m.found = True
            return D
        return C


@_register("Eventual Cycle Hunter", "EventualCycleHunter", INF, False,
           "Cycle hunter that ignores the first ten turns and rechecks every ten turns (Axelrod library).")
class EventualCycleHunter(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, cycle=None)

    def move(self, m, mine, theirs):
        n = len(theirs)
        if n < 10 or D not in theirs:
            return C
        if n % 10 == 0:
            m.cycle = detect_cycle(theirs, offset=10, min_size=3)
        return D if m.cycle else C


@_register("Doubler", "Doubler", INF, False,
           "Cooperates, but defects after a defection once the opponent's cooperations are at most twice its "
           "defections (Prison tournament, via the Axelrod library).")
class Doubler(ScalarRule):
    def move(self, m, mine, theirs):
        if not mine:
            return C
        return D if theirs[-1] == D and theirs.count(C) <= 2 * theirs.count(D) else C


@_register("First by Downing", "FirstByDowning", INF, False,
           "Estimates the opponent's chance of cooperating after its own C and after its own D, and plays the "
           "move of higher expected payoff (Downing, Axelrod's first tournament, 1980).")
class FirstByDowning(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, after_c=0, after_d=0)

    def move(self, m, mine, theirs):
        t = len(mine)
        if t == 0:
            return D
        if t == 1:
            if theirs[-1] == C:
                m.after_c += 1
            return D
        if theirs[-1] == C:
            if mine[-2] == C:
                m.after_c += 1
            else:
                m.after_d += 1
        alpha = m.after_c / (mine.count(C) + 1)
        beta = m.after_d / max(mine.count(D), 2)
        R, S, T, P = m.ctx.payoffs
        ec = alpha * R + (1 - alpha) * S
        ed = beta * T + (1 - beta) * P
        if ec > ed:
            return C
        if ec < ed:
            return D
        return _flip(mine[-1])


@_register("First by Graaskamp", "FirstByGraaskamp", INF, True,
           "Tit for tat with a defection on turn 51; from turn 57 defects for ever against a random-looking "
           "opponent (chi-squared test), plays tit for tat against tit for tat or itself, else defects every "
           "5 to 14 turns (Graaskamp, Axelrod's first tournament, 1980).", display="First by Graaskamp: 0.05")
class FirstByGraaskamp(ScalarRule):
    alpha = 0.05

    def begin(self, ctx, rng):
        return Memo(ctx, rng, random=False, next_defection=None)

    def move(self, m, mine, theirs):
        t = len(mine)
        if t == 0:
            return C
        if t < 56:
            return D if theirs[-1] == D or t == 50 else C
        m.random = m.random or chi2_pvalue(theirs.count(C), theirs.count(D)) >= self.alpha
        if m.random:
            return D
        if all(theirs[i] == mine[i - 1] for i in range(1, t)) or theirs == mine:
            return theirs[-1]
        if m.next_defection is None:
            m.next_defection = int(m.rng.integers(5, 15)) + t
        if t == m.next_defection:
            m.next_defection = int(m.rng.integers(5, 15)) + t
            return D
        return C


@_register("First by Shubik", "FirstByShubik", INF, False,
           "Retaliates against a defection that met its cooperation with a run of defections one longer each "
           "time (Shubik, Axelrod's first tournament, 1980).")
class FirstByShubik(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, remaining=0, length=0)

    def move(self, m, mine, theirs):
        if not theirs:
            return C
        if m.remaining > 0:
            m.remaining -= 1
            return D
        if theirs[-1] == D and mine[-1] == C:
            m.length += 1
            m.remaining = m.length - 1
            return D
        return C


@_register("First by Stein and Rapoport", "FirstBySteinAndRapoport", INF, False,
           "Cooperates four turns, then tit for tat; every 15 turns tests the opponent for randomness "
           "(chi-squared) and defects while it looks random; defects on the last two turns (Stein and Rapoport, "
           "Axelrod's first tournament, 1980).", display="First by Stein and Rapoport: 0.05: (D, D)",
           uses_length=True)
class FirstBySteinAndRapoport(ScalarRule):
    alpha = 0.05

    def begin(self, ctx, rng):
        return Memo(ctx, rng, random=False)

    def move(self, m, mine, theirs):
        return final_moves(m.ctx, len(mine), self._move(m, mine, theirs), (D, D))

    def _move(self, m, mine, theirs):
        rnd = len(mine) + 1
        if rnd < 5:
            return C
        if rnd < 15:
            return theirs[-1]
        if rnd % 15 == 0:
            m.random = chi2_pvalue(theirs.count(C), theirs.count(D)) >= self.alpha
        return D if m.random else theirs[-1]


@_register("First by Tideman and Chieruzzi", "FirstByTidemanAndChieruzzi", INF, False,
           "Punishes the n-th run of defections with n defections; offers a fresh start when well ahead and the "
           "opponent looks non-random; defects on the last two turns (Tideman and Chieruzzi, Axelrod's first "
           "tournament, 1980).", display="First by Tideman and Chieruzzi: (D, D)", uses_length=True)
class FirstByTidemanAndChieruzzi(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, retaliating=False, length=0, remaining=0, me=0.0, them=0.0, last_fresh=0,
                    fresh=False, remembered=0)

    def move(self, m, mine, theirs):
        return final_moves(m.ctx, len(mine), self._move(m, mine, theirs), (D, D))

    @staticmethod
    def _retaliate(m) -> int:
        m.remaining -= 1
        if m.remaining == 0:
            m.retaliating = False
        return D

    def _move(self, m, mine, theirs):
        if not theirs:
            return C
        if theirs[-1] == D:
            m.remembered += 1
        m.me += m.ctx.payoff(mine[-1], theirs[-1])
        m.them += m.ctx.payoff(theirs[-1], mine[-1])
        if m.fresh:
            m.fresh = False
            return C
        rnd = len(mine) + 1
        valid = m.last_fresh == 0 or rnd - m.last_fresh >= 20
        length = m.ctx.turns if m.ctx.length_known else -1
        if valid and m.me - m.them >= 10 and length - rnd >= 10 and theirs[-1] == C:
            n = len(theirs)
            sd = n ** 0.5 / 2
            if m.remembered <= n / 2 - 3 * sd or m.remembered >= n / 2 + 3 * sd:
                m.last_fresh = rnd
                m.retaliating, m.length, m.remaining, m.remembered = False, 0, 0, 0
                m.fresh = True
                return C
        if m.retaliating:
            return self._retaliate(m)
        if theirs[-1] == D:
            m.retaliating = True
            m.length += 1
            m.remaining = m.length
            return self._retaliate(m)
        return C


@_register("Forgetful Fool Me Once", "ForgetfulFoolMeOnce", INF, True,
           "Fool me once that forgets the opponent's defections with probability 0.05 each turn (Axelrod "
           "library).", display="Forgetful Fool Me Once: 0.05")
class ForgetfulFoolMeOnce(ScalarRule):
    forget = 0.05

    def begin(self, ctx, rng):
        return Memo(ctx, rng, count=0)

    def move(self, m, mine, theirs):
        if not theirs:
            return C
        if theirs[-1] == D:
            m.count += 1
        if m.rng.random() < self.forget:
            m.count = 0
        return D if m.count > 1 else C


@_register("Forgiver", "Forgiver", INF, False,
           "Defects while the opponent has defected more than a tenth of the time (Axelrod library).")
class Forgiver(ScalarRule):
    def move(self, m, mine, theirs):
        return D if theirs.count(D) > len(theirs) / 10.0 else C


@_register("FrequencyAnalyzer", "FrequencyAnalyzer", INF, False,
           "Tit for tat for 30 turns while it tabulates the opponent's answers to each two-turn context; "
           "then cooperates where the opponent cooperated often enough (Axelrod library).")
class FrequencyAnalyzer(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, table={}, current=None)

    def move(self, m, mine, theirs):
        t = len(mine)
        if t > 5:
            last = (theirs[-3], mine[-3], theirs[-2], mine[-2])
            m.current = (theirs[-2], mine[-2], theirs[-1], mine[-1])
            m.table.setdefault(last, []).append(theirs[-1])
        if t < 30 or m.current not in m.table:
            return _tft(theirs)
        return C if m.table[m.current].count(C) / t > 0.25 else D


@_register("General Soft Grudger", "GeneralSoftGrudger", INF, False,
           "Soft grudger: after a defection plays D, D, D, D, C, C (Li et al. 2011), in its general form.",
           display="General Soft Grudger: n=1,d=4,c=2")
class GeneralSoftGrudger(ScalarRule):
    grudge = (D, D, D, C, C)

    def begin(self, ctx, rng):
        return Memo(ctx, rng, grudged=False, k=0)

    def move(self, m, mine, theirs):
        if m.grudged:
            a = self.grudge[m.k]
            m.k += 1
            if m.k == len(self.grudge):
                m.grudged, m.k = False, 0
            return a
        if theirs[-1:] == [D]:
            m.grudged = True
            return D
        return C


class _GoByMajority(ScalarRule):
    def __init__(self, window: int, soft: bool) -> None:
        self.window, self.soft = window, soft

    def move(self, m, mine, theirs):
        recent = theirs[-self.window:]
        nd = recent.count(D)
        nc = len(recent) - nd
        if nd > nc:
            return D
        if nd == nc:
            return C if self.soft else D
        return C


for _k in (20, 40):
    for _soft in (True, False):
        _register(f"{'Soft' if _soft else 'Hard'} Go By Majority: {_k}",
                  f"{'' if _soft else 'Hard'}GoByMajority{_k}", _k, False,
                  f"{'Soft' if _soft else 'Hard'} go by majority over the opponent's last {_k} moves "
                  "(Axelrod library).", args=(_k, _soft))(_GoByMajority)


class _CotoDeRatio(ScalarRule):
    def __init__(self, ratio: float) -> None:
        self.ratio = ratio

    def move(self, m, mine, theirs):
        if not theirs:
            return C
        nd = theirs.count(D)
        if not nd:
            return D
        coop = theirs.count(C) + mine.count(C)
        return D if coop / (nd + mine.count(D)) > self.ratio else C


for _name, _cls, _ratio, _label in (("$\\phi$", "Golden", (1 + math.sqrt(5)) / 2, "the golden ratio"),
                                    ("$\\pi$", "Pi", math.pi, "pi"), ("$e$", "e", math.e, "e")):
    _register(_name, _cls, INF, False, f"Defects while the ratio of cooperations to defections of both players "
              f"exceeds {_label}, and against a never-defecting opponent (Axelrod library).",
              args=(_ratio,))(_CotoDeRatio)


@_register("Grumpy", "Grumpy", INF, False,
           "Turns grumpy (defects) when the opponent's defections exceed its cooperations by more than 10, nice "
           "again when they fall 10 below (Axelrod library).", display="Grumpy: Nice, 10, -10")
class Grumpy(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, grumpy=False)

    def move(self, m, mine, theirs):
        grumpiness = theirs.count(D) - theirs.count(C)
        if not m.grumpy:
            if grumpiness > 10:
                m.grumpy = True
                return D
            return C
        if grumpiness < -10:
            m.grumpy = False
            return C
        return D


@_register("Inverse", "Inverse", INF, True,
           "Cooperates with probability 1 - 1/k, k the number of turns since the opponent's last defection "
           "(Axelrod library).")
class Inverse(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, last_d=-1)

    def move(self, m, mine, theirs):
        if theirs and theirs[-1] == D:
            m.last_d = len(theirs) - 1
        if m.last_d < 0:
            return C
        return m.chance(1 - 1 / (len(theirs) - m.last_d))


class _Punisher(ScalarRule):
    inverse = False

    def begin(self, ctx, rng):
        return Memo(ctx, rng, length=1, grudged=False, k=1)

    def move(self, m, mine, theirs):
        if m.k >= m.length:
            m.k, m.grudged = 0, False
        if m.grudged:
            m.k += 1
            return D
        if theirs[-1:] == [D]:
            m.length = theirs.count(C if self.inverse else D) * 20 // len(theirs)
            if self.inverse and m.length == 0:
                m.length = 1
            m.grudged = True
            return D
        return C


@_register("Punisher", "Punisher", INF, False,
           "After a defection defects for 20 times the opponent's defection rate turns (Geraint Palmer, Axelrod "
           "library).")
class Punisher(_Punisher):
    pass


@_register("Inverse Punisher", "InversePunisher", INF, False,
           "After a defection defects for 20 times the opponent's cooperation rate turns (Axelrod library).")
class InversePunisher(_Punisher):
    inverse = True


@_register("Level Punisher", "LevelPunisher", INF, False,
           "From turn 11 defects while the opponent defected more than 20% of the time (Eckhart Arnold 2016).")
class LevelPunisher(ScalarRule):
    def move(self, m, mine, theirs):
        if len(theirs) < 10:
            return C
        return D if theirs.count(D) / len(theirs) > 0.2 else C


@_register("Tricky Level Punisher", "TrickyLevelPunisher", INF, False,
           "Defects while the opponent's defection rate exceeds 20% (first 10 turns), 10% (first 50) or 5% "
           "(first 100) (Eckhart Arnold 2016).")
class TrickyLevelPunisher(ScalarRule):
    def move(self, m, mine, theirs):
        n = len(theirs)
        if n == 0:
            return C
        rate = theirs.count(D) / n
        if (n < 10 and rate > 0.2) or (n < 50 and rate > 0.1) or (n < 100 and rate > 0.05):
            return D
        return C


class _Retaliate(ScalarRule):
    def __init__(self, threshold: float, limit: int | None = None) -> None:
        self.threshold, self.limit = threshold, limit

    def begin(self, ctx, rng):
        return Memo(ctx, rng, cd=0, dc=0, count=0)

    def move(self, m, mine, theirs):
        if mine:
            if (mine[-1], theirs[-1]) == (C, D):
                m.cd += 1
            elif (mine[-1], theirs[-1]) == (D, C):
                m.dc += 1
        retaliating = m.cd > m.dc * self.threshold
        if self.limit is None:
            return D if retaliating else C
        if not retaliating:
            m.count = 0
            return C
        if m.count < self.limit:
            m.count += 1
            return D
        m.count = 0
        return C


for _suffix, _thr in (("", 0.1), (" 2", 0.08), (" 3", 0.05)):
    _register(f"Retaliate{_suffix}", f"Retaliate{_suffix.strip()}", INF, False,
              f"Defects while its exploitations (C met by D) exceed {_thr:g} times the opponent's (Axelrod library).",
              display=f"Retaliate{_suffix}: {_thr:g}", args=(_thr,))(_Retaliate)
for _suffix, _thr, _lim in (("", 0.1, 20), (" 2", 0.08, 15), (" 3", 0.05, 20)):
    _register(f"Limited Retaliate{_suffix}", f"LimitedRetaliate{_suffix.strip()}", INF, False,
              f"Retaliate ({_thr:g}) for at most {_lim} turns in a row (Axelrod library).",
              display=f"Limited Retaliate{_suffix}: {_thr:g}, {_lim}", args=(_thr, _lim))(_Retaliate)


@_register("MEM2", "MEM2", INF, False,
           "Every two turns plays tit for tat after mutual cooperation, tit for two tats after an exchange of "
           "C and D, else always-defect; after two always-defect phases keeps the last (Li et al. 2014).")
class MEM2(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, play="tft", shift=3, alld=0)

    def move(self, m, mine, theirs):
        m.shift -= 1
        if m.shift == 0 and m.alld < 2:
            m.shift = 2
            last_two = set(zip(mine[-2:], theirs[-2:]))
            if last_two == {(C, C)}:
                m.play = "tft"
            elif last_two == {(C, D), (D, C)}:
                m.play = "tftt"
            else:
                m.play = "alld"
                m.alld += 1
        if m.play == "tft":
            return _tft(theirs)
        if m.play == "tftt":
            return D if theirs[-2:] == [D, D] else C
        return D


def _math_constant_hunter(mine: list[int], theirs: list[int]) -> int:
    n = len(mine)
    if n >= 8 and C in theirs and D in theirs:
        ratios = []
        for a, b in ((0, n // 2), (n // 4, 3 * n // 4), (n // 2, n)):
            ratios.append(0.5 * (theirs[a:b].count(C) + mine[a:b].count(C)) / (b - a))
        if abs(ratios[0] - ratios[1]) < 0.2 and abs(ratios[0] - ratios[2]) < 0.2:
            return D
    return C


@_register("Math Constant Hunter", "MathConstantHunter", INF, False,
           "Defects when the cooperation rate of both players is the same over the first half, middle half and "
           "second half of the match so far (a constant ratio, e.g. pi's or e's) (Axelrod library).")
class MathConstantHunter(ScalarRule):
    def move(self, m, mine, theirs):
        return _math_constant_hunter(mine, theirs)


@_register("Momentum", "Momentum", INF, False,
           "Keeps an exponentially weighted average of the opponent's cooperation (alpha 0.9915) and cooperates "
           "while it is above 0.9677 (Axelrod library).",
           display="Momentum: 1.0, Alpha: 0.9914655399877477, Threshold: 0.9676595613724907")
class Momentum(ScalarRule):
    alpha = 0.9914655399877477
    threshold = 0.9676595613724907

    def begin(self, ctx, rng):
        return Memo(ctx, rng, momentum=1.0)

    def move(self, m, mine, theirs):
        if not mine:
            return C
        m.momentum = self.alpha * m.momentum + (1 - self.alpha) * (1 if theirs[-1] == C else 0)
        return C if m.momentum >= self.threshold else D


_PROBER4 = (C, C, D, C, D, D, D, C, C, D, C, D, C, C, D, C, D, D, C, D)


@_register("Prober 4", "Prober4", INF, False,
           "Plays a fixed 20-move probe, counts the opponent's just and unjust defections, then defects for ever "
           "if they are about equal, else plays tit for tat after five cooperations (Prison tournament).")
class Prober4(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, just=0, unjust=0, defector=False)

    def move(self, m, mine, theirs):
        t = len(mine)
        if t == 0:
            return _PROBER4[0]
        if t < len(_PROBER4):
            if theirs[-1] == D:
                if mine[-1] == D:
                    m.just += 1
                else:
                    m.unjust += 1
            return _PROBER4[t]
        if t == len(_PROBER4):
            m.defector = abs(m.just - m.unjust) <= 2
        if m.defector:
            return D
        if t < len(_PROBER4) + 5:
            return C
        return theirs[-1]


def _random_hunter_step(m, mine: list[int], theirs: list[int]) -> int:
    if len(mine) > 1:
        if mine[-2] == C and theirs[-1] == C:
            m.cc += 1
        if mine[-2] == D and theirs[-1] == D:
            m.dd += 1
    if len(mine) > 10:
        probs = []
        nc = mine.count(C)
        nd = len(mine) - nc
        if nc > 5:
            probs.append(m.cc / nc)
        if nd > 5:
            probs.append(m.dd / nd)
        if probs and all(abs(p - 0.5) < 0.25 for p in probs):
            return D
    return C


@_register("Random Hunter", "RandomHunter", INF, False,
           "Defects once the opponent's answers to its own moves look like coin flips (Axelrod library).")
class RandomHunter(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, cc=0, dd=0)

    def move(self, m, mine, theirs):
        return _random_hunter_step(m, mine, theirs)


@_register("Remorseful Prober", "RemorsefulProber", 2, True,
           "Tit for tat that probes with a random defection (probability 0.1) and does not retaliate against the "
           "answer to its own probe (Li et al. 2011).", display="Remorseful Prober: 0.1")
class RemorsefulProber(ScalarRule):
    p = 0.1

    def begin(self, ctx, rng):
        return Memo(ctx, rng, probing=False)

    def move(self, m, mine, theirs):
        if not mine:
            return C
        if theirs[-1] == D:
            if m.probing:
                m.probing = False
                return C
            return D
        if m.rng.random() < 1 - self.p:
            m.probing = False
            return C
        m.probing = True
        return D


@_register("Revised Downing", "RevisedDowning", INF, False,
           "Downing's estimator of the opponent's answers to C and to D, as revised for Axelrod's second "
           "tournament (Axelrod 1980).")
class RevisedDowning(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, good=1.0, bad=0.0, nice1=0, nice2=0, total_c=0, total_d=0)

    def move(self, m, mine, theirs):
        rnd = len(mine) + 1
        if rnd == 1:
            return C
        if rnd > 2:
            if mine[-2] == D:
                if theirs[-1] == C:
                    m.nice2 += 1
                m.total_d += 1
                m.bad = m.nice2 / m.total_d
            else:
                if theirs[-1] == C:
                    m.nice1 += 1
                m.total_c += 1
                m.good = m.nice1 / m.total_c
        c = 6.0 * m.good - 8.0 * m.bad - 2
        alt = 4.0 * m.good - 5.0 * m.bad - 1
        if c >= 0 and c >= alt:
            return C
        if 0 <= c < alt or alt >= 0:
            return _flip(mine[-1])
        return D


@_register("Worse and Worse 3", "WorseAndWorse3", INF, True,
           "Cooperates first, then with the opponent's cooperation rate so far (Prison tournament).")
class WorseAndWorse3(ScalarRule):
    def move(self, m, mine, theirs):
        if not mine:
            return C
        return m.chance(1 - theirs.count(D) / len(mine))


@_register("VeryBad", "VeryBad", INF, False,
           "After three turns follows the opponent's majority move, ties by tit for tat (Axelrod library).")
class VeryBad(ScalarRule):
    def move(self, m, mine, theirs):
        n = len(theirs)
        if n < 3:
            return C
        rate = theirs.count(C) / n
        if rate > 0.5:
            return C
        if rate < 0.5:
            return D
        return theirs[-1]


@_register("Stalker", "Stalker", INF, True,
           "Plays by its average score: defects when above R, cooperates between (R+P)/2 and R or above 2, "
           "defects between 1 and 2, else randomises; defects on the last turn (Prison tournament).",
           display="Stalker: (D,)", uses_length=True)
class Stalker(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, score=0.0)

    def move(self, m, mine, theirs):
        return final_moves(m.ctx, len(mine), self._move(m, mine, theirs), (D,))

    def _move(self, m, mine, theirs):
        if not mine:
            return C
        m.score += m.ctx.payoff(mine[-1], theirs[-1])
        avg = m.score / len(mine)
        R, P = m.ctx.R, m.ctx.P
        if avg > R:
            return D
        if (R + P) / 2 < avg < R:
            return C
        if avg > 2:
            return C
        if 1 < avg < 2:
            return D
        return m.coin()


@_register("AdaptorBrief", "AdaptorBrief", INF, True,
           "Adaptor trained on short matches: an internal state moves by a payoff-dependent step each turn and "
           "it cooperates with probability 0.99 while the state is in [-1, 1), else 0.01 (Hauert and Schuster 1997).",
           args=({(C, C): 0.0, (C, D): -1.001505, (D, C): 0.992107, (D, D): -0.638734},))
class Adaptor(ScalarRule):
    perr = 0.01

    def __init__(self, delta: dict) -> None:
        self.delta = delta

    def begin(self, ctx, rng):
        return Memo(ctx, rng, s=0.0)

    def move(self, m, mine, theirs):
        if mine:
            m.s += self.delta[(mine[-1], theirs[-1])]
        inside = (1.0 if m.s + 1 >= 0 else 0.0) - (1.0 if m.s - 1 >= 0 else 0.0)
        return m.chance(self.perr + (1.0 - 2 * self.perr) * inside)


_register("AdaptorLong", "AdaptorLong", INF, True,
          "Adaptor trained on long matches (Hauert and Schuster 1997); see AdaptorBrief.",
          args=({(C, C): 0.0, (C, D): 1.888159, (D, C): 1.858883, (D, D): -0.995703},))(Adaptor)


# -- Axelrod's second tournament (1980), as reconstructed in the Axelrod library ---------------
_SECOND = "Axelrod's second tournament, 1980; reconstructed from its Fortran source in the Axelrod library"


@_register("Second by Appold", "SecondByAppold", INF, True,
           f"Cooperates with the opponent's observed rate of cooperating after each of its own moves ({_SECOND}).")
class SecondByAppold(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, after=[0, 1], total=[0, 1], first_d=False)

    def move(self, m, mine, theirs):
        turn = len(mine) + 1
        two_ago = C if turn <= 2 else mine[-2]
        if turn > 1:
            m.total[two_ago] += 1
            if theirs[-1] == C:
                m.after[two_ago] += 1
        if turn <= 4:
            return C
        if theirs[-1] == D and not m.first_d:
            m.first_d = True
            return C
        return m.chance(m.after[two_ago] / m.total[two_ago])


@_register("Second by Borufsen", "SecondByBorufsen", INF, False,
           f"Tit for tat that breaks mutual-defection and echo streaks, re-judging the opponent every 25 turns "
           f"({_SECOND}).")
class SecondByBorufsen(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, cd=0, cc=0, dd_streak=0, echo=0, flip=False, defect=False)

    @staticmethod
    def _ret(m, a: int) -> int:
        if a == C:
            return C
        if m.flip:
            m.flip = False
            return C
        return D

    def move(self, m, mine, theirs):
        turn = len(mine) + 1
        if turn == 1:
            return C
        if turn >= 3 and theirs[-1] == C:
            if mine[-2] == C:
                m.cc += 1
            else:
                m.cd += 1
        if turn > 2 and turn % 25 == 2:
            was_defect = m.defect
            coops = m.cd + m.cc
            m.defect = coops < 3 or (8 <= coops <= 17 and m.cc / coops < 0.7)
            m.cd = m.cc = 0
            if m.defect:
                m.dd_streak, m.echo, m.flip = 0, 0, False
            elif was_defect:
                return D
        if m.defect:
            return D
        m.dd_streak = m.dd_streak + 1 if (mine[-1], theirs[-1]) == (D, D) else 0
        if m.dd_streak >= 3:
            m.dd_streak = m.echo = 0
            return self._ret(m, C)
        my2, opp2 = (mine[-2], theirs[-2]) if turn >= 3 else (C, C)
        if mine[-1] != theirs[-1] and mine[-1] == opp2 and theirs[-1] == my2:
            m.echo += 1
        else:
            m.echo = 0
        if m.echo >= 3:
            m.dd_streak = m.echo = 0
            m.flip = True
        return self._ret(m, theirs[-1])


@_register("Second by Cave", "SecondByCave", INF, True,
           f"Defects against a frequent defector (thresholds by turn), else answers a defection with a coin flip "
           f"({_SECOND}).")
class SecondByCave(ScalarRule):
    def move(self, m, mine, theirs):
        turn = len(mine) + 1
        if turn == 1:
            return C
        nd = theirs.count(D)
        rate = nd / turn
        if (turn > 39 and rate > 0.39) or (turn > 29 and rate > 0.65) or (turn > 19 and rate > 0.79):
            return D
        if theirs[-1] == D:
            return D if nd > 17 else m.coin()
        return C


@_register("Second by Champion", "SecondByChampion", INF, True,
           f"Cooperates 10 turns, tit for tat to turn 25, then answers a defection with D when the opponent's "
           f"defection rate is at least max(0.4, a uniform draw) ({_SECOND}).")
class SecondByChampion(ScalarRule):
    def move(self, m, mine, theirs):
        t = len(mine)
        if t < 10:
            return C
        if t < 25:
            return theirs[-1]
        if theirs[-1] == D and theirs.count(D) / len(theirs) >= max(0.4, m.rng.random()):
            return D
        return C


@_register("Second by Eatherley", "SecondByEatherley", INF, True,
           f"Answers a defection by defecting with the opponent's defection rate so far ({_SECOND}).")
class SecondByEatherley(ScalarRule):
    def move(self, m, mine, theirs):
        if not theirs or theirs[-1] == C:
            return C
        return m.chance(1 - theirs.count(D) / len(theirs))


@_register("Second by Getzler", "SecondByGetzler", INF, True,
           f"Defects with a 'flack' probability that each defection raises and that halves every turn ({_SECOND}).")
class SecondByGetzler(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, flack=0.0)

    def move(self, m, mine, theirs):
        if not theirs:
            return C
        m.flack = (m.flack + (1 if theirs[-1] == D else 0)) * 0.5
        return m.chance(1.0 - m.flack)


@_register("Second by Gladstein", "SecondByGladstein", INF, False,
           f"Defects first and exploits a patsy (defects whenever its cooperation rate is above 1/2) until the "
           f"opponent defects, then apologises once and plays tit for tat ({_SECOND}).")
class SecondByGladstein(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, patsy=True)

    def move(self, m, mine, theirs):
        if not mine:
            return D
        if m.patsy:
            if theirs[-1] == D:
                m.patsy = False
                return C
            return D if mine.count(C) / len(mine) > 0.5 else C
        return theirs[-1]


_GK_CHECKS = {11: 23, 21: 53, 31: 83, 41: 113, 51: 143, 101: 293}


@_register("Second by GraaskampKatzen", "SecondByGraaskampKatzen", INF, False,
           f"Tit for tat that defects for ever if its score falls behind a schedule at turns 11, 21, ..., 101 "
           f"({_SECOND}).")
class SecondByGraaskampKatzen(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, score=0.0, defect=False)

    def move(self, m, mine, theirs):
        if m.defect:
            return D
        turn = len(mine) + 1
        if turn == 1:
            return C
        m.score += m.ctx.payoff(mine[-1], theirs[-1])
        if turn in _GK_CHECKS and m.score < _GK_CHECKS[turn]:
            m.defect = True
            return D
        return theirs[-1]


@_register("Second by Kluepfel", "SecondByKluepfel", INF, True,
           f"Defects against an opponent whose answers look random; else repeats a streak of the opponent's or "
           f"copies its last move with a probability (0.9, 0.7 or 0.6) ({_SECOND}).")
class SecondByKluepfel(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, cd=0, dd=0, dc=0, cc=0)

    def move(self, m, mine, theirs):
        if len(mine) >= 2:
            if mine[-2] == D:
                if theirs[-1] == C:
                    m.cd += 1
                else:
                    m.dd += 1
            elif theirs[-1] == C:
                m.cc += 1
            else:
                m.dc += 1
        if len(mine) > 26:
            a, b = m.cd + m.dd, m.dc + m.cc
            if m.cd >= a / 2 - 0.75 * math.sqrt(a) and m.dc >= b / 2 - 0.75 * math.sqrt(b):
                return D
        pad = [C, C, C] + theirs[-3:]
        one, two, three = pad[-1], pad[-2], pad[-3]
        if one == two == three:
            return one
        r = m.rng.random()
        keep = 0.9 if one == two else (0.7 if one == C else 0.6)
        return one if r < keep else _flip(one)


@_register("Second by Mikkelson", "SecondByMikkelson", INF, False,
           f"Keeps a credit that cooperations raise and defections lower; cooperates while in credit ({_SECOND}).")
class SecondByMikkelson(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, credit=7)

    def move(self, m, mine, theirs):
        turn = len(mine) + 1
        if turn == 1:
            return C
        m.credit = min(m.credit + 1, 8) if theirs[-1] == C else max(m.credit - 2, -7)
        if turn == 2 or m.credit > 0:
            return C
        if turn <= 10:
            m.credit = 4
            return D
        return D if theirs.count(D) / turn >= 0.15 else C


@_register("Second by RichardHufford", "SecondByRichardHufford", INF, False,
           f"Tracks how often the opponent agrees with its own move of two turns before; cooperates with a "
           f"consistent opponent, tests long cooperative streaks with a defection ({_SECOND}).")
class SecondByRichardHufford(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, agreements=2, last4=[1, 1, 1, 1], idx=0, needed=21, streak=2, aberration=INF,
                    coop_after=2, def_after=2)

    def move(self, m, mine, theirs):
        turn = len(mine) + 1
        if turn == 1:
            return C
        m.idx = (m.idx + 1) % 4
        me2 = mine[-2] if turn > 2 else C
        if me2 == theirs[-1]:
            m.agreements += 1
            m.last4[m.idx] = 1
        else:
            m.last4[m.idx] = 0
        if turn < m.aberration:
            m.streak = m.streak + 1 if theirs[-1] == C else 0
            if m.streak >= m.needed:
                m.aberration = turn
                if m.streak == m.needed:
                    return D
        elif turn == m.aberration + 2:
            m.aberration = INF
            if theirs[-1] == C:
                m.coop_after += 1
            else:
                m.def_after += 1
            m.needed = math.floor(20.0 * m.def_after / m.coop_after) + 1
            m.streak = 0
            return C
        agree = m.agreements / turn
        last4 = sum(m.last4)
        if agree > 0.9 and last4 >= 4:
            return C
        if agree >= 0.625 and last4 >= 2:
            return theirs[-1]
        return D


@_register("Second by Rowsam", "SecondByRowsam", INF, False,
           f"Every six turns gains distrust when its score per turn is low and answers with D, C, D or, at seven "
           f"points of distrust, defects for ever ({_SECOND}).")
class SecondByRowsam(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, mode="normal", distrust=0, score=0.0)

    def move(self, m, mine, theirs):
        turn = len(mine) + 1
        if turn > 1:
            m.score += m.ctx.payoff(mine[-1], theirs[-1])
        if m.mode == "defect":
            return D
        if m.mode == "cycle1":
            m.mode = "cycle2"
            return C
        if m.mode == "cycle2":
            m.mode = "normal"
            return D
        if turn % 18 == 0 and m.distrust >= 3:
            m.distrust -= 1
        if turn % 6 != 0:
            return C
        per_turn = m.score / turn
        for limit, points in ((1.0, 5), (1.5, 3), (2.0, 2), (2.5, 1)):
            if per_turn < limit:
                m.distrust += points
                break
        else:
            return C
        m.mode = "defect" if m.distrust >= 7 else "cycle1"
        return D


@_register("Second by Tester", "SecondByTester", INF, False,
           f"Defects first, then alternates to exploit a passive opponent; after the opponent's first defection "
           f"apologises and plays tit for tat ({_SECOND}).")
class SecondByTester(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, tft=False)

    def move(self, m, mine, theirs):
        if not theirs:
            return D
        if m.tft:
            return theirs[-1]
        if theirs[-1] == D:
            m.tft = True
            return C
        if len(mine) in (1, 2):
            return C
        return _flip(mine[-1])


@_register("Second by Tideman and Chieruzzi", "SecondByTidemanAndChieruzzi", INF, False,
           f"Cooperates while far enough ahead (the margin grows with each new defection run), offers a fresh "
           f"start to a non-random opponent ({_SECOND}).")
class SecondByTidemanAndChieruzzi(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, me=0.0, them=0.0, last_fresh=0, fresh=False, to_beat=0, inc=0)

    def move(self, m, mine, theirs):
        rnd = len(mine) + 1
        if rnd == 1:
            return C
        m.me += m.ctx.payoff(mine[-1], theirs[-1])
        m.them += m.ctx.payoff(theirs[-1], mine[-1])
        if m.fresh:
            m.me = m.them = 0.0
            m.to_beat = m.inc = 0
            m.last_fresh = rnd
            m.fresh = False
            return C
        two_ago = theirs[-2] if len(theirs) >= 2 else C
        cdd = two_ago == C and theirs[-1] == D
        if cdd:
            m.to_beat += m.inc
            m.inc += 5
        if m.me - m.them >= m.to_beat:
            return C
        if not cdd and rnd - m.last_fresh >= 10:
            n = len(theirs)
            sd = n ** 0.5 / 2
            nd = theirs.count(D)
            if nd <= n / 2 - 3 * sd or nd >= n / 2 + 3 * sd:
                m.fresh = True
                return C
        return D


@_register("Second by Tranquilizer", "SecondByTranquilizer", INF, True,
           f"Cooperates mostly while scoring well, with occasional tested defections whose aftermath it scores "
           f"({_SECOND}).")
class SecondByTranquilizer(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, after=0, consecutive=0, r1=5.0, r2=0.0, n1=1, n2=1, me=0.0, them=0.0)

    def move(self, m, mine, theirs):
        if not mine:
            return C
        o, s = theirs[-1], mine[-1]
        m.me += m.ctx.payoff(s, o)
        m.them += m.ctx.payoff(o, s)
        m.consecutive = m.consecutive + 1 if o == D else 0
        value = (3 - 3 * o) + 2 * s - o * s
        if m.after == 2:
            m.after = 0
            m.r2 = (m.r2 * m.n2 + value) / (m.n2 + 1)
            m.n2 += 1
        elif m.after == 1:
            m.after = 2
            m.r1 = (m.r1 * m.n1 + value) / (m.n1 + 1)
            m.n1 += 1
        if m.after in (1, 2):
            return C
        n1 = len(mine) + 1
        if m.me / n1 >= 2.25:
            p = 0.95 - (m.r1 + m.r2 - 5) / 15 + 1 / n1 ** 2 - o / 4
            if m.rng.random() <= p:
                return C
            m.after = 1
            return D
        if m.me / n1 >= 1.75:
            p = 0.25 + (theirs.count(C) + 1) / n1 - m.consecutive * 0.25 + (m.me - m.them) / 100 + 4 / n1
            return C if m.rng.random() <= p else D
        return o


@_register("Second by Weiner", "SecondByWeiner", INF, False,
           f"Tit for tat that forgives an isolated odd run of defections and defects while the opponent defected "
           f"five times in the last twelve ({_SECOND}).")
class SecondByWeiner(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, forgive=False, grudge=0, padding=0, last12=[0] * 12, idx=0)

    def move(self, m, mine, theirs):
        if not theirs:
            return C
        if len(theirs) >= 2:
            m.last12[m.idx] = 1 if theirs[-2] == D else 0
            m.idx = (m.idx + 1) % 12
        if m.forgive:
            m.forgive = False
            m.padding = 0
            if m.grudge < len(mine) + 1 and theirs[-1] == D:
                m.grudge += 20
                a = C
            else:
                a = theirs[-1]
        else:
            if theirs[-1] == D:
                m.padding += 1
            else:
                if m.padding % 2 == 1:
                    m.forgive = True
                m.padding = 0
            a = theirs[-1]
        return D if sum(m.last12) >= 5 else a


@_register("Second by White", "SecondByWhite", INF, False,
           f"Cooperates 10 turns; then answers a defection with D when floor(log t) times the opponent's "
           f"defections reaches t ({_SECOND}).")
class SecondByWhite(ScalarRule):
    def move(self, m, mine, theirs):
        turn = len(mine) + 1
        if turn <= 10 or theirs[-1] == C:
            return C
        return D if math.floor(math.log(turn)) * theirs.count(D) >= turn else C


@_register("Second by WmAdams", "SecondByWmAdams", INF, True,
           f"Defects at the opponent's 4th, 7th and 9th defections (its first move not counted); after ten it "
           f"answers defections with ever rarer cooperation ({_SECOND}).")
class SecondByWmAdams(ScalarRule):
    def move(self, m, mine, theirs):
        if len(mine) <= 1:
            return C
        nd = theirs.count(D) - (1 if theirs[0] == D else 0)
        if nd in (4, 7, 9):
            return D
        if nd > 9 and theirs[-1] == D:
            return m.chance(0.5 ** (nd - 9))
        return C


@_register("Second by Yamachi", "SecondByYamachi", INF, False,
           f"Predicts the opponent's move from its answers in the same (their, our, their) context and plays the "
           f"likelier; defects against an opponent that defects about half the time ({_SECOND}).")
class SecondByYamachi(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, counts={}, intended=[])

    def _ret(self, m, a: int, nd: int, turn: int) -> int:
        m.intended.append(a)
        if turn > 40 and 0.45 < (nd + 0.5) / turn < 0.55:
            return D
        return a

    def move(self, m, mine, theirs):
        turn = len(mine) + 1
        if turn == 1:
            return self._ret(m, C, 0, turn)
        us_last = m.intended[-1]
        them2, us2, them3 = C, C, C
        if turn >= 3:
            them2, us2 = theirs[-2], m.intended[-2]
        if turn >= 4:
            them3 = theirs[-3]
        if turn >= 3:
            key = (them3, us2, them2)
            m.counts[key] = m.counts.get(key, 0) + 1
        a = C if m.counts.get((them2, us_last, C), 0) >= m.counts.get((them2, us_last, D), 0) else D
        return self._ret(m, a, theirs.count(D), turn)


# -- neural networks and hidden Markov models (Harper et al. 2017) ------------------------------
class _ANN(TurnRule):
    """Array form: one matrix product a turn for all matches of the strategy."""

    def __init__(self, key: str) -> None:
        from interplay.agents.strategies._ann_weights import ANN_WEIGHTS

        f, h, w = ANN_WEIGHTS[key]
        arr = np.asarray(w, dtype=float)
        self.hidden = arr[: f * h].reshape(h, f)
        self.out = arr[f * h: f * h + h]
        self.bias = arr[f * h + h:]

    def start(self, n, ctx, rng):
        return {"nd_own": np.zeros(n), "nd_opp": np.zeros(n)}

    def act(self, state, t, own, opp):
        n = own.shape[0]
        x = np.zeros((n, 17))
        rows = np.arange(n)
        if t >= 1:
            state["nd_own"] += own[:, -1]
            state["nd_opp"] += opp[:, -1]
            x[rows, 0 + opp[:, 0]] = 1
            x[rows, 4 + own[:, -1]] = 1
            x[rows, 8 + opp[:, -1]] = 1
        if t >= 2:
            x[rows, 2 + opp[:, 1]] = 1
            x[rows, 6 + own[:, -2]] = 1
            x[rows, 10 + opp[:, -2]] = 1
        x[:, 12] = t - state["nd_opp"]
        x[:, 13] = state["nd_opp"]
        x[:, 14] = t - state["nd_own"]
        x[:, 15] = state["nd_own"]
        x[:, 16] = t
        pre = x @ self.hidden.T + self.bias
        hidden = np.maximum(pre, 0.0)
        # as the Axelrod library's element-wise ReLU (np.vectorize of max(x, 0)): its output type follows the
        # first unit, so when that one is negative (int 0) every hidden value is truncated to an integer
        trunc = pre[:, 0] < 0
        hidden[trunc] = np.trunc(hidden[trunc])
        return np.where(hidden @ self.out > 0, C, D).astype(np.int8)


for _key, _cls in (("Evolved ANN", "EvolvedANN"), ("Evolved ANN 5", "EvolvedANN5"),
                   ("Evolved ANN 5 Noise 05", "EvolvedANNNoise05")):
    _register(_key, _cls, INF, False, "Neural network over 17 features of the history (first moves, last two "
              "moves of each, counts, turn), trained by an evolutionary algorithm (Harper et al. 2017).",
              args=(_key,))(_ANN)


@_register("Evolved HMM 5", "EvolvedHMM5", 5, True,
           "Five-state hidden Markov player: the opponent's move draws the next hidden state, whose emission "
           "probability is the chance of cooperating; trained by an evolutionary algorithm (Harper et al. 2017).")
class EvolvedHMM5(ScalarRule):
    t_c = ((1, 0, 0, 0, 0), (0, 1, 0, 0, 0), (0, 1, 0, 0, 0), (0.631, 0, 0, 0.369, 0), (0.143, 0.018, 0.118, 0, 0.721))
    t_d = ((0, 1, 0, 0, 0), (0, 0.487, 0.513, 0, 0), (0, 0, 0, 0.590, 0.410), (1, 0, 0, 0, 0),
           (0, 0.287, 0.456, 0.146, 0.111))
    emit = (1, 0, 0, 1, 0.111)

    def begin(self, ctx, rng):
        return Memo(ctx, rng, state=3)

    def move(self, m, mine, theirs):
        if not mine:
            return C
        row = (self.t_c if theirs[-1] == C else self.t_d)[m.state]
        if 1 in row:
            m.state = row.index(1)
        else:
            m.state = int(m.rng.choice(5, p=row))
        return m.chance(self.emit[m.state])


# -- teams of hunters (a member sees its own proposals as its history) ---------------------------
class _MetaHunter(ScalarRule):
    aggressive = False

    def begin(self, ctx, rng):
        return Memo(ctx, rng, proposals=[[], []], alt=False, rh=Memo(ctx, rng, cc=0, dd=0), cyc=False, ecyc=None,
                    tracker=CycleTracker())

    def move(self, m, mine, theirs):
        own = m.proposals  # the Random Hunter's and the Math Constant Hunter's own past proposals
        n = len(theirs)
        t = len(mine)
        votes = []
        votes.append(D if t >= 4 and D in theirs and C not in theirs else C)  # Defector Hunter
        if n >= 6:
            if t == 6:
                m.alt = all(a != b for a, b in zip(theirs, theirs[1:]))
            votes.append(D if m.alt else C)  # Alternator Hunter
        votes.append(_random_hunter_step(m.rh, own[0], theirs))  # Random Hunter
        votes.append(_math_constant_hunter(own[1], theirs))  # Math Constant Hunter
        if m.cyc:  # Cycle Hunter
            votes.append(D)
        else:
            cycle = m.tracker.cycle(theirs, min_size=3)
            m.cyc = bool(cycle and len(set(cycle)) > 1)
            votes.append(D if m.cyc else C)
        if n < 10 or D not in theirs:  # Eventual Cycle Hunter
            votes.append(C)
        else:
            if n % 10 == 0:
                m.ecyc = detect_cycle(theirs, offset=10, min_size=3)
            votes.append(D if m.ecyc else C)
        if self.aggressive:
            votes.append(D if t >= 4 and D not in theirs else C)  # Cooperator Hunter
        return votes


class MetaHunter(_MetaHunter):
    def move(self, m, mine, theirs):
        votes = super().move(m, mine, theirs)
        rh = votes[2] if len(theirs) >= 6 else votes[1]
        mch = votes[3] if len(theirs) >= 6 else votes[2]
        m.proposals[0].append(rh)
        m.proposals[1].append(mch)
        if D in votes:
            return D
        if len(theirs) > 100:
            return _tft(theirs)
        return C


_register("Meta Hunter", "MetaHunter", INF, False,
          "Defects if any of six hunters (defector, alternator, random, math constant, cycle, eventual cycle) "
          "would; after 100 turns tit for tat (Karol Langner, Axelrod library).",
          display="Meta Hunter: 6 players")(MetaHunter)


class MetaHunterAggressive(MetaHunter):
    aggressive = True


_register("Meta Hunter Aggressive", "MetaHunterAggressive", INF, False,
          "Meta Hunter with a cooperator hunter in the team (Axelrod library).",
          display="Meta Hunter Aggressive: 7 players")(MetaHunterAggressive)


# -- teams of the memory-one strategies ------------------------------------------------------
_MEMORY_ONE_TEAM = (
    "ALLCorALLD", "Alternator", "AntiTitForTat", "Bully", "BurnBothEnds", "Cooperator", "CyclerDC", "Defector",
    "Desperate", "FirmButFair", "FirstByAnonymous", "FirstByGrofman", "FirstByJoss", "GTFT", "Hopeless", "NaiveProber",
    "Negation", "PSOGamblerMem1", "Random", "RandomTitForTat", "SoftJoss", "StochasticCooperator", "StochasticWSLS",
    "SuspiciousTitForTat", "TitForTat", "Willing", "WinShiftLoseStay", "WinStayLoseShift", "ZDExtort2", "ZDExtort2v2",
    "ZDExtort3", "ZDExtort4", "ZDExtortion", "ZDGTFT2", "ZDGen2", "ZDMischief", "ZDSet2")


class _MetaTeam(TurnRule):
    """A team of the library's 37 strategies of memory depth at most one (Axelrod's ordinary ones), each playing
    its own proposals against the opponent's real moves; ``mode`` says how the team's proposals become a move:
    "majority" (more D than C: D), "winner" (C if any best-scoring member proposes C) or "ensemble" (a random
    one of the two best scorers, and never defect before the opponent has: NiceTransformer)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode

    def start(self, n, ctx, rng):
        by_class = {s.axelrod: s for s in MACHINES if s.axelrod}
        member_ctx = Context(payoffs=ctx.payoffs, turns=ctx.turns, length_known=ctx.length_known, noisy=True)
        machines = [by_class[c].machine(member_ctx) for c in _MEMORY_ONE_TEAM]
        sizes = [mm.num_states for mm in machines]
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        coop = np.concatenate([mm.coop for mm in machines])
        nxt = np.concatenate([mm.next.reshape(-1) + off for mm, off in zip(machines, offsets)])
        k = len(machines)
        return {"coop": coop, "nxt": nxt, "state": np.tile(offsets, (n, 1)), "scores": np.zeros((n, k)),
                "prop": np.zeros((n, k), np.int64), "rng": rng, "any_d": np.zeros(n, bool),
                "pay": np.asarray(ctx.payoffs, dtype=float)}

    def act(self, st, t, own, opp):
        n, k = st["state"].shape
        if t > 0:
            their = opp[:, -1].astype(np.int64)[:, None]
            st["state"] = st["nxt"][4 * st["state"] + 2 * st["prop"] + their]
            st["scores"] += st["pay"][2 * st["prop"] + their]  # (R, S, T, P) indexed by 2 * my + their
            st["any_d"] |= opp[:, -1] == D
        p = st["coop"][st["state"]]
        prop = (st["rng"].random((n, k)) >= p).astype(np.int64)
        st["prop"] = prop
        if self.mode == "majority":
            return (2 * prop.sum(1) > k).astype(np.int8)
        if self.mode == "winner":
            best = st["scores"] == st["scores"].max(1, keepdims=True)
            return np.where((best & (prop == C)).any(1), C, D).astype(np.int8)
        # ensemble: sort (score, index) descending, take the top max(1, int(0.08 k)), pick one at random
        top = max(1, int(k * 0.08))
        order = np.lexsort((-np.arange(k)[None, :].repeat(n, 0), -st["scores"]), axis=1)[:, :top]
        pick = order[np.arange(n), st["rng"].integers(0, top, n)]
        a = prop[np.arange(n), pick]
        return np.where(st["any_d"], a, C).astype(np.int8)


for _name, _cls, _mode, _how in (
        ("Meta Majority Memory One", "MetaMajorityMemoryOne", "majority", "plays the team's majority"),
        ("Meta Winner Memory One", "MetaWinnerMemoryOne", "winner", "plays the proposal of the best scorer so far"),
        ("NMWE Memory One", "NMWEMemoryOne", "ensemble",
         "plays the proposal of one of the two best scorers at random, and cooperates until the opponent defects")):
    _register(_name, _cls, INF, True, f"A team of the 37 memory-one strategies; {_how} (Marc Harper, Axelrod "
              "library).", display=f"{_name}: 37 players", args=(_mode,))(_MetaTeam)


@_register("Memory Decay", "MemoryDecay", INF, True,
           "Tit for tat for 15 turns while it memorises the opponent's moves; then defects when the memory's net "
           "score (C = 1, D = -2) is negative, each memory being flipped (0.03) or forgotten (0.1) at random "
           "(Axelrod library).", display="Memory Decay: 0.1, 0.03, -2, 1, Tit For Tat, 15")
class MemoryDecay(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, memory=[])

    def move(self, m, mine, theirs):
        if theirs:
            m.memory.append(theirs[-1])
        if len(mine) < 15:
            return _tft(theirs)
        if m.rng.random() <= 0.03 and m.memory:
            k = int(m.rng.integers(len(m.memory)))
            m.memory[k] = _flip(m.memory[k])
        if m.rng.random() <= 0.1 and m.memory:
            m.memory.pop(int(m.rng.integers(len(m.memory))))
        net = sum(1 if a == C else -2 for a in m.memory)
        return D if net < 0 else C


@_register("Second by Harrington", "SecondByHarrington", INF, True,
           f"Tit for tat with generous and probing phases, detectors of random, streaky and alternating "
           f"opponents, and a defect mode it can leave ({_SECOND}).")
class SecondByHarrington(ScalarRule):
    def begin(self, ctx, rng):
        return Memo(ctx, rng, mode="normal", recorded=0, exit_meter=0, was_defective=False, prob=0.25,
                    table=np.zeros((4, 2)), more_coop=0, generous_ago=3, burned=False, streak=0,
                    parity=[0, 0], bit=0, parity_limit=5, parity_hits=0)

    @staticmethod
    def _ret(m, a: int, lower: bool = True, parity: bool = False) -> int:
        if lower and a == C:
            m.more_coop -= 1
            m.generous_ago += 1
        if parity and a == D:
            m.parity[m.bit] += 1
        return a

    @staticmethod
    def _random(m, turn: int) -> bool:
        denom = turn - 2
        if m.table[0, 0] / denom >= 0.8:
            return False
        if not 0.25 <= m.recorded / denom <= 0.75:
            return False
        expected = np.outer(m.table.sum(1), m.table.sum(0)) / denom
        chi = 0.0
        for i in range(4):
            for j in range(2):
                e = expected[i, j]
                if e > 1.0:
                    chi += (e - m.table[i, j]) ** 2 / e
        return not chi > 3

    def move(self, m, mine, theirs):
        turn = len(mine) + 1
        if turn == 1:
            return C
        last = theirs[-1]
        if m.mode == "defect":
            m.exit_meter += 1 if last == D else -3
            if m.exit_meter >= 11:
                m.mode, m.was_defective, m.more_coop = "normal", True, 2
                return self._ret(m, C, lower=False)
            return self._ret(m, D)
        if not m.was_defective:
            if turn > 2:
                if last == D:
                    m.recorded += 1
                row = (1 if theirs[-2] == D else 0) + (2 if mine[-2] == D else 0)
                m.table[row, 1 if last == D else 0] += 1
            if turn % 15 == 0 and turn > 15 and self._random(m, turn):
                m.mode = "defect"
                return self._ret(m, D, lower=False)
        if m.generous_ago == 2 and last == D:
            m.burned = True
        if turn == 38 and last == D and theirs.count(C) == 36:
            m.mode = "fair-weather"
            return self._ret(m, C, lower=False)
        if m.mode == "fair-weather":
            if last == D:
                m.mode = "normal"
            else:
                return self._ret(m, C)
        m.streak = m.streak + 1 if last == D else 0
        if m.streak >= 20:
            return self._ret(m, D, parity=True)
        m.bit = 1 - m.bit
        m.parity[m.bit] = m.parity[m.bit] + 1 if last == D else 0
        if m.parity[m.bit] >= m.parity_limit:
            m.parity[m.bit] = 0
            m.parity_hits += 1
            if m.parity_hits >= 8:
                m.parity_limit = 3
            return self._ret(m, C, parity=True)
        if m.more_coop >= 1:
            return self._ret(m, C, lower=True, parity=True)
        if turn < 37:
            return self._ret(m, last, parity=True)
        if turn == 37:
            m.more_coop, m.generous_ago = 2, 1
            return self._ret(m, D, lower=False)
        if m.burned or m.rng.random() > m.prob:
            return self._ret(m, last, parity=True)
        m.prob += 0.05
        m.more_coop, m.generous_ago = 2, 1
        return self._ret(m, D, lower=False)
