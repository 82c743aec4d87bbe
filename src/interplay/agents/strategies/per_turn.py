"""The library's per-turn strategies (see :mod:`.turnwise`): learners, strategies with internal
random state, strategies whose memory is a real number or an unbounded table, and statistical
testers of the opponent.

Behaviour and declared properties follow the Axelrod library (axelrod 4.14) where each strategy
is documented with its origin; tests compare every deterministic one with the Axelrod library's
payoff matrices exactly and every stochastic one in distribution. Each rule is written one match
at a time (:class:`~.turnwise.ScalarRule`): ``mine`` and ``theirs`` are the histories so far,
``m`` the per-match memo (its ``ctx`` is the match context, its ``rng`` the random source).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from interplay.agents.strategies.core import C, Context, D, Strategy
from interplay.agents.strategies.turnwise import Memo, ScalarRule

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
        return Memo(ctx, rng, q={None: [0.0, 0.0]}, v={None: 0.0}, prev_state=None, prev_action=None)

    def move(self, m, mine, theirs):
        if not mine:
            m.prev_action = m.coin()
        state = (tuple(theirs[-self.memory:]), theirs.count(C))
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
        return Memo(ctx, rng, found=False)

    def move(self, m, mine, theirs):
        if m.found:
            return D
        cycle = detect_cycle(theirs, min_size=3)
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
