"""Online weighting of advisors: Hedge, EXP3 and EXP4, with regret tracking.

All three minimise losses in [0, 1] and use the standard tuned learning rates of
Lattimore and Szepesvari, *Bandit Algorithms* (2020):

* :class:`Hedge` (exponential weights with full information; Freund and Schapire 1997):
  ``p_t(i) ∝ exp(-eta L_{t-1,i})`` with ``eta = sqrt(2 ln d / T)``; regret against the
  best of ``d`` experts at most ``ln d / eta + eta T / 2 = sqrt(2 T ln d)``.
* :class:`Exp3` (Auer et al. 2002; L&S ch. 11, Theorem 11.2): exponential weights on the
  importance-weighted loss estimates ``hat y_ti = 1{A_t = i} y_t / P_ti``, with
  ``eta = sqrt(2 ln k / (n k))``; expected regret at most ``sqrt(2 n k ln k)``. (L&S
  write it with the reward estimator ``1 - 1{A_t=i}(1 - X_t)/P_ti``; the two differ by a
  constant per round, which the softmax cancels, so the iterates are identical.)
* :class:`Exp4` (Auer et al. 2002; L&S ch. 18, Algorithm 11 and Theorem 18.1): ``M``
  experts each advise a distribution over ``k`` actions, ``P_t = Q_t E_t``, expert ``m``'s
  estimated loss is ``E_t[m] . hat y_t``, and ``eta = sqrt(2 ln M / (n k))``; expected
  regret against the best expert at most ``sqrt(2 n k ln M)``.

Weights are kept as log-weights (a softmax of minus ``eta`` times cumulative estimated
losses), so long runs do not underflow. :class:`RegretTracker` records, round by
round, the learner's expected and realised loss against every expert's loss.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from interplay.errors import InterplayError


def softmax_neg(eta: float, cum_loss: np.ndarray) -> np.ndarray:
    """``exp(-eta L) / sum exp(-eta L)``, computed stably."""
    z = -eta * cum_loss
    z = z - z.max()
    w = np.exp(z)
    return w / w.sum()


def hedge_rate(d: int, horizon: int) -> float:
    """``sqrt(2 ln d / T)``: the rate that gives Hedge regret at most ``sqrt(2 T ln d)``."""
    return math.sqrt(2.0 * math.log(d) / horizon)


def hedge_bound(d: int, horizon: int) -> float:
    return math.sqrt(2.0 * horizon * math.log(d))


def exp3_rate(k: int, horizon: int) -> float:
    """``sqrt(2 ln k / (n k))`` (L&S Theorem 11.2)."""
    return math.sqrt(2.0 * math.log(k) / (horizon * k))


def exp3_bound(k: int, horizon: int) -> float:
    return math.sqrt(2.0 * horizon * k * math.log(k))


def exp4_rate(m: int, k: int, horizon: int) -> float:
    """``sqrt(2 ln M / (n k))`` (L&S Theorem 18.1)."""
    return math.sqrt(2.0 * math.log(m) / (horizon * k))


def exp4_bound(m: int, k: int, horizon: int) -> float:
    return math.sqrt(2.0 * horizon * k * math.log(m))


def _check_losses(losses: np.ndarray, shape: tuple[int, ...], where: str) -> np.ndarray:
    arr = np.asarray(losses, dtype=float)
    if arr.shape != shape:
        raise InterplayError(f"{where}: expected losses of shape {shape}, got {arr.shape}.")
    if np.any(~np.isfinite(arr)) or np.any(arr < 0) or np.any(arr > 1):
        raise InterplayError(f"{where}: losses must lie in [0, 1], got {arr.tolist()}.")
    return arr


def _rate(n: int, what: str, horizon: int | None, learning_rate: float | None,
          standard: Callable[[int], float]) -> float:
    """The learning rate: ``learning_rate`` if given, else ``standard(horizon)``."""
    if n < 2:
        raise InterplayError(f"{what}: needs at least 2 experts/arms, got {n}.")
    if learning_rate is not None:
        if not learning_rate > 0:
            raise InterplayError(f"{what}: learning_rate must be positive, got {learning_rate}.")
        return learning_rate
    if horizon is None or horizon < 1:
        raise InterplayError(f"{what}: give the horizon (number of rounds) for the standard learning rate, "
                             "or an explicit learning_rate.")
    return standard(horizon)


class Hedge:
    """Exponential weights over ``d`` experts with full-information losses.

    ``probs()`` is the current distribution; ``update(losses)`` takes every expert's loss
    of the round. Default rate ``sqrt(2 ln d / T)``; :attr:`bound` is ``sqrt(2 T ln d)``.
    """

    name = "hedge"

    def __init__(self, d: int, horizon: int | None = None, learning_rate: float | None = None) -> None:
        self.eta = _rate(d, "hedge", horizon, learning_rate, lambda h: hedge_rate(d, h))
        self.d = d
        self.horizon = horizon
        self.cum_loss = np.zeros(d)

    @property
    def bound(self) -> float | None:
        """The regret bound ``ln d / eta + eta T / 2`` at the horizon (``sqrt(2 T ln d)`` at the standard rate)."""
        if self.horizon is None:
            return None
        return math.log(self.d) / self.eta + self.eta * self.horizon / 2.0

    def probs(self) -> np.ndarray:
        return softmax_neg(self.eta, self.cum_loss)

    def update(self, losses: np.ndarray) -> None:
        self.cum_loss += _check_losses(losses, (self.d,), "hedge.update")


class Exp3:
    """EXP3 over ``k`` arms: only the pulled arm's loss is seen.

    ``probs()`` then ``update(arm, loss)``; default rate ``sqrt(2 ln k / (n k))``.
    """

    name = "exp3"

    def __init__(self, k: int, horizon: int | None = None, learning_rate: float | None = None) -> None:
        self.eta = _rate(k, "exp3", horizon, learning_rate, lambda h: exp3_rate(k, h))
        self.k = k
        self.horizon = horizon
        self.est_loss = np.zeros(k)
        self._p = np.full(k, 1.0 / k)

    @property
    def bound(self) -> float | None:
        return None if self.horizon is None else exp3_bound(self.k, self.horizon)

    def probs(self) -> np.ndarray:
        self._p = softmax_neg(self.eta, self.est_loss)
        return self._p

    def update(self, arm: int, loss: float) -> None:
        _check_losses(np.array([loss]), (1,), "exp3.update")
        p = softmax_neg(self.eta, self.est_loss)
        self.est_loss[arm] += loss / p[arm]


class Exp4:
    """EXP4: ``M`` experts advise distributions over ``k`` actions; bandit feedback.

    ``probs(advice)`` (advice: (M, k) rows summing to 1) gives the action distribution
    ``Q advice``; ``update(advice, action, loss)`` after the action's loss is seen.
    """

    name = "exp4"

    def __init__(self, m: int, k: int, horizon: int | None = None, learning_rate: float | None = None) -> None:
        self.eta = _rate(m, "exp4", horizon, learning_rate, lambda h: exp4_rate(m, k, h))
        if k < 2:
            raise InterplayError(f"exp4: needs at least 2 actions, got {k}.")
        self.m, self.k, self.horizon = m, k, horizon
        self.est_loss = np.zeros(m)

    @property
    def bound(self) -> float | None:
        return None if self.horizon is None else exp4_bound(self.m, self.k, self.horizon)

    def expert_probs(self) -> np.ndarray:
        return softmax_neg(self.eta, self.est_loss)

    def _advice(self, advice: np.ndarray) -> np.ndarray:
        e = np.asarray(advice, dtype=float)
        if e.shape != (self.m, self.k) or np.any(e < 0) or not np.allclose(e.sum(1), 1.0, atol=1e-6):
            raise InterplayError(f"exp4: advice must be {self.m} distributions over {self.k} actions.")
        return e

    def probs(self, advice: np.ndarray) -> np.ndarray:
        p = self.expert_probs() @ self._advice(advice)
        return p / p.sum()

    def update(self, advice: np.ndarray, action: int, loss: float) -> None:
        _check_losses(np.array([loss]), (1,), "exp4.update")
        e = self._advice(advice)
        p = self.probs(e)
        y_hat = np.zeros(self.k)
        y_hat[action] = loss / p[action]
        self.est_loss += e @ y_hat


@dataclass
class RegretTracker:
    """Cumulative losses of a learner and of each expert, round by round.

    ``expected`` adds the learner's expected loss (its distribution against the round's
    losses: what the regret bounds are about); ``realised`` the loss of what it did.
    Regret at round t = learner's cumulative loss - the best expert's cumulative loss.
    """

    experts: int
    expected: list[float] = field(default_factory=list)
    realised: list[float] = field(default_factory=list)
    expert_cum: np.ndarray | None = None
    best_cum: list[float] = field(default_factory=list)

    def record(self, expected_loss: float, realised_loss: float, expert_losses: np.ndarray) -> None:
        el = np.asarray(expert_losses, dtype=float)
        self.expert_cum = el.copy() if self.expert_cum is None else self.expert_cum + el
        prev_e = self.expected[-1] if self.expected else 0.0
        prev_r = self.realised[-1] if self.realised else 0.0
        self.expected.append(prev_e + float(expected_loss))
        self.realised.append(prev_r + float(realised_loss))
        self.best_cum.append(float(self.expert_cum.min()))

    @property
    def regret(self) -> np.ndarray:
        """Expected (pseudo-)regret after each round."""
        return np.array(self.expected) - np.array(self.best_cum)

    @property
    def realised_regret(self) -> np.ndarray:
        return np.array(self.realised) - np.array(self.best_cum)
