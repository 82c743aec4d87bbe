"""Hedge, EXP3 and EXP4 against their regret bounds (Lattimore and Szepesvari 2020)."""

import math

import numpy as np
import pytest

from interplay.decide.online import (
    Exp3,
    Exp4,
    Hedge,
    RegretTracker,
    exp3_bound,
    exp3_rate,
    exp4_bound,
    exp4_rate,
    hedge_bound,
    hedge_rate,
)
from interplay.errors import InterplayError


def adaptive_adversary(learner: Hedge, rounds: int) -> RegretTracker:
    """Each round, loss 1 to the expert with the most weight (ties: the lowest index), 0 to the rest."""
    tr = RegretTracker(learner.d)
    for _ in range(rounds):
        p = learner.probs()
        losses = np.zeros(learner.d)
        losses[int(np.argmax(p))] = 1.0
        tr.record(float(p @ losses), 0.0, losses)
        learner.update(losses)
    return tr


def test_rates_and_bounds_are_the_standard_ones():
    assert hedge_rate(4, 100) == pytest.approx(math.sqrt(2 * math.log(4) / 100))
    assert hedge_bound(4, 100) == pytest.approx(math.sqrt(2 * 100 * math.log(4)))
    assert Hedge(4, 100).bound == pytest.approx(hedge_bound(4, 100))
    assert exp3_rate(3, 1000) == pytest.approx(math.sqrt(2 * math.log(3) / 3000))
    assert exp3_bound(3, 1000) == pytest.approx(math.sqrt(2 * 1000 * 3 * math.log(3)))
    assert exp4_rate(5, 3, 1000) == pytest.approx(math.sqrt(2 * math.log(5) / 3000))
    assert exp4_bound(5, 3, 1000) == pytest.approx(math.sqrt(2 * 1000 * 3 * math.log(5)))


def test_hedge_weights_are_exponential():
    h = Hedge(3, learning_rate=0.5)
    h.update(np.array([1.0, 0.0, 0.5]))
    h.update(np.array([1.0, 1.0, 0.0]))
    w = np.exp(-0.5 * np.array([2.0, 1.0, 0.5]))
    np.testing.assert_allclose(h.probs(), w / w.sum())


@pytest.mark.parametrize("d,rounds", [(2, 200), (2, 2000), (5, 1000), (10, 3000)])
def test_hedge_regret_under_bound_on_adversarial_sequence(d, rounds):
    tr = adaptive_adversary(Hedge(d, rounds), rounds)
    regret = tr.regret
    assert regret.max() <= hedge_bound(d, rounds)
    # the adversary does force regret (for two experts, of order sqrt(T))
    assert regret[-1] > (0.1 * math.sqrt(rounds) if d == 2 else 0.0)
    # follow-the-leader (a huge rate) on the same adversary has linear regret, above Hedge's bound:
    # per cycle of d rounds it loses 1/d + 1/(d-1) + ... + 1 (ties split) against the best expert's 1
    ftl = adaptive_adversary(Hedge(d, learning_rate=1e6), rounds)
    harmonic = sum(1 / j for j in range(1, d + 1))
    assert ftl.regret[-1] == pytest.approx((harmonic - 1) * rounds / d, abs=2)
    assert ftl.regret[-1] > hedge_bound(d, rounds)


def test_exp3_on_a_bernoulli_bandit():
    means = np.array([0.5, 0.6, 0.3])  # arm 2 has the lowest expected loss
    n, seeds = 3000, 12
    regrets, last_p = [], []
    for s in range(seeds):
        rng = np.random.default_rng(s)
        algo = Exp3(3, n)
        pseudo = 0.0
        for _ in range(n):
            p = algo.probs()
            arm = int(rng.choice(3, p=p))
            loss = float(rng.random() < means[arm])
            algo.update(arm, loss)
            pseudo += p @ means - means.min()
        regrets.append(pseudo)
        last_p.append(algo.probs())
    assert np.mean(regrets) <= exp3_bound(3, n)
    assert np.mean(last_p, axis=0).argmax() == 2
    assert np.mean(last_p, axis=0)[2] > 0.8


def test_exp3_on_an_oblivious_adversarial_sequence():
    # losses switch halfway: arm 0 is best in the first half, arm 1 in the second, arm 1 overall
    n, k = 2000, 2
    seq = np.zeros((n, k))
    seq[: n // 2] = [0.0, 1.0]
    seq[n // 2:] = [1.0, 0.0]
    seq[:, 1] = np.where(np.arange(n) < n // 2, 0.9, 0.0)
    best = seq.sum(0).min()
    out = []
    for s in range(10):
        rng = np.random.default_rng(100 + s)
        algo = Exp3(k, n)
        exp_loss = 0.0
        for t in range(n):
            p = algo.probs()
            arm = int(rng.choice(k, p=p))
            algo.update(arm, float(seq[t, arm]))
            exp_loss += p @ seq[t]
        out.append(exp_loss - best)
    assert np.mean(out) <= exp3_bound(k, n)


def test_exp4_learns_the_good_expert():
    n, k = 2000, 3
    rng = np.random.default_rng(0)
    regrets = []
    for s in range(6):
        algo = Exp4(4, k, n)
        exp_loss, expert_loss = 0.0, np.zeros(4)
        r = np.random.default_rng(s)
        for _ in range(n):
            best = int(rng.integers(k))
            losses = np.ones(k)
            losses[best] = 0.0
            advice = np.full((4, k), 1 / k)  # expert 0: uniform
            advice[1] = np.eye(k)[best]  # expert 1: always right
            advice[2] = np.eye(k)[(best + 1) % k]  # expert 2: always wrong
            advice[3] = 0.5 * np.eye(k)[best] + 0.5 / k  # expert 3: half right
            p = algo.probs(advice)
            a = int(r.choice(k, p=p))
            algo.update(advice, a, float(losses[a]))
            exp_loss += p @ losses
            expert_loss += advice @ losses
        regrets.append(exp_loss - expert_loss.min())
        assert algo.expert_probs().argmax() == 1
    assert np.mean(regrets) <= exp4_bound(4, k, n)


def test_bad_inputs():
    with pytest.raises(InterplayError, match="horizon"):
        Hedge(3)
    with pytest.raises(InterplayError, match=r"\[0, 1\]"):
        Hedge(2, 10).update(np.array([0.5, 2.0]))
    with pytest.raises(InterplayError, match="distributions"):
        Exp4(2, 2, 10).probs(np.array([[1.0, 1.0], [0.5, 0.5]]))
