"""Theory of the coordination mechanisms: contracts, correlated and delegation mediators, reputation."""

from __future__ import annotations

import nashpy
import numpy as np
import pytest

from interplay.games.analysis import mixed_nash_equilibria, pure_nash_equilibria
from interplay.games.catalogue import chicken, prisoners_dilemma, public_goods, stag_hunt, travelers_dilemma, trust_game
from interplay.games.normal_form import normal_form
from interplay.mechanisms.correlated import best_correlated_equilibrium, is_correlated_equilibrium
from interplay.mechanisms.fast import RECIPROCATOR, Settings, simulate
from interplay.mechanisms.induced import (
    Commitment,
    commitment_game,
    contract_game,
    contract_payoffs,
    mediated_game,
    minimal_transfer,
    resolve_commitments,
)
from interplay.mechanisms.roles import roles

R, S, T, P = 3.0, 0.0, 5.0, 1.0
# every boundary, and values just either side of it
GRID = sorted({0.0, 0.5, 1.0 - 1e-6, 1.0, 1.0 + 1e-6, 1.5, 2.0 - 1e-6, 2.0, 2.0 + 1e-6, 2.5, 3.0, 4.0, 6.0})


def _cc_is_nash(game) -> bool:
    return (0, 0) in pure_nash_equilibria(game, atol=1e-12)


def _c_dominant(payoffs: np.ndarray) -> bool:
    return bool(np.all(payoffs[0][0, :] >= payoffs[0][1, :]) and np.all(payoffs[1][:, 0] >= payoffs[1][:, 1]))


def test_contract_payoffs_by_hand():
    pd = prisoners_dilemma(R=R, S=S, T=T, P=P)
    Q = contract_payoffs(pd, 1.5)
    assert Q[0].tolist() == [[3.0, 1.5], [3.5, 1.0]]  # CD: the defector pays the cooperator 1.5
    assert Q[1].tolist() == [[3.0, 3.5], [1.5, 1.0]]
    np.testing.assert_allclose(Q.sum(0), pd.payoffs.sum(0))  # transfers only move payoff


@pytest.mark.filterwarnings("ignore:An even number:RuntimeWarning")  # nashpy, at the degenerate boundaries
@pytest.mark.parametrize("payoffs", [(3.0, 0.0, 5.0, 1.0), (3.0, 0.0, 4.0, 2.0)], ids=["T-R>P-S", "P-S>T-R"])
def test_contract_thresholds(payoffs):
    """Mutual cooperation is an equilibrium exactly when t >= T - R; cooperation dominant exactly when also
    t >= P - S (best responses over a grid of t with every boundary, and nashpy's support enumeration)."""
    r, s, tt, p = payoffs
    pd = prisoners_dilemma(R=r, S=s, T=tt, P=p)
    grid = sorted(set(GRID) | {tt - r, p - s})
    for t in grid:
        g = contract_game(pd, t)
        nash = t >= tt - r
        assert _cc_is_nash(g) == nash, t
        assert _c_dominant(g.payoffs) == (nash and t >= p - s), t
        eqs = list(nashpy.Game(*g.bimatrix()).support_enumeration())
        has_cc = any(np.allclose(x, [1, 0]) and np.allclose(y, [1, 0]) for x, y in eqs)
        if t != tt - r and t != p - s:  # at a boundary the game is degenerate (support enumeration may skip)
            assert has_cc == nash, t
    assert minimal_transfer(pd) == pytest.approx(tt - r)
    assert minimal_transfer(pd, dominant=True) == pytest.approx(max(tt - r, p - s), abs=1e-6)
    # the P - S condition matters on its own: between the thresholds CC is an equilibrium, C not dominant
    if p - s > tt - r:
        g = contract_game(pd, (tt - r + p - s) / 2)
        assert _cc_is_nash(g) and not _c_dominant(g.payoffs)


def test_best_correlated_equilibrium_beats_every_nash_in_chicken():
    """Aumann's chicken (6,6) (2,7) (7,2) (0,0), shifted by 6: the LP's best CE puts 1/2 on both swerving
    and 1/4 on each asymmetric outcome, welfare 10.5 - 12; every Nash equilibrium (nashpy) does worse."""
    g = chicken(win=1.0, lose=-4.0, crash=-6.0)
    ce = best_correlated_equilibrium(g)
    np.testing.assert_allclose(ce.distribution, [[0.5, 0.25], [0.25, 0.0]], atol=1e-7)
    assert ce.welfare == pytest.approx(10.5 - 12.0)
    assert is_correlated_equilibrium(g, ce.distribution)
    nash = mixed_nash_equilibria(g)
    assert len(nash) == 3
    nash_welfare = [float(g.expected_payoffs([x, y]).sum()) for x, y in nash]
    # the pure ones: 9 - 12; the mixed one (2/3 swerve each): 2 * 14/3 - 12
    assert sorted(nash_welfare) == pytest.approx([-3.0, -3.0, 28 / 3 - 12], abs=1e-6)
    assert ce.welfare > max(nash_welfare) + 1.0
    # the CE mediator attains it: obedient players, recommendations drawn privately each round
    res = simulate(g, "mediator", np.full(20, RECIPROCATOR), 400, Settings(rounds=10, noise=0.0, mediator="correlated"))
    se = res.welfare.std(ddof=1) / np.sqrt(res.welfare.size)
    assert abs(res.welfare.mean() - ce.welfare) < 5 * se + 1e-12
    assert res.welfare.mean() > max(nash_welfare) + 1.0


def test_mixed_chicken_equilibrium_by_hand():
    g = chicken(win=1.0, lose=-4.0, crash=-6.0)
    x = np.array([2 / 3, 1 / 3])  # indifference: 0x - 4(1-x) = x - 6(1-x)
    np.testing.assert_allclose(g.payoffs[0] @ x, [-4 / 3, -4 / 3])
    assert any(np.allclose(a, x) and np.allclose(b, x) for a, b in mixed_nash_equilibria(g))


@pytest.mark.filterwarnings("ignore:An even number:RuntimeWarning")  # nashpy: the mediated game is degenerate
def test_delegation_mediator_all_delegate_is_an_equilibrium():
    """Monderer and Tennenholtz's mediator: all-delegate is a (strict) Nash equilibrium of the mediated PD,
    reaching mutual cooperation; without the mediator the only equilibrium is mutual defection."""
    pd = prisoners_dilemma()
    m = mediated_game(pd)
    delegate = (2, 2)
    assert delegate in pure_nash_equilibria(m)
    assert m.payoff(delegate).tolist() == [R, R]
    assert m.payoffs[0][:2, 2].tolist() == [S, P]  # deviating: the mediator defects for the co-player
    assert pure_nash_equilibria(pd) == [(1, 1)]
    eqs = list(nashpy.Game(*m.bimatrix()).support_enumeration())
    assert any(np.allclose(x, [0, 0, 1]) and np.allclose(y, [0, 0, 1]) for x, y in eqs)
    # the same for three players of public goods and for the stag hunt
    for game in (public_goods(3, 1.5), stag_hunt()):
        mg = mediated_game(game)
        alld = tuple(k for k in game.num_actions)
        assert alld in pure_nash_equilibria(mg)
        assert mg.payoff(alld).sum() == pytest.approx(roles(game).best_welfare)


def test_commitments_conditional_cooperation_is_an_equilibrium():
    pd = prisoners_dilemma()
    g = commitment_game(pd)
    cond = g.spec.actions[0].index("Commit C if all commit")
    assert (cond, cond) in pure_nash_equilibria(g)
    assert g.payoff((cond, cond)).tolist() == [R, R]
    # against an uncommitted co-player the conditional commitment defects: it cannot be exploited
    assert g.payoff((cond, 0)).tolist() == [T, S]
    c, d = Commitment("conditional", 0, 1), Commitment("none")
    assert resolve_commitments([c, c, Commitment("commit", 0)], [0, 0, 0]) == [0, 0, 0]
    assert resolve_commitments([c, c, d], [0, 0, 0]) == [1, 1, None]


def test_image_scoring_and_standing_against_closed_forms():
    """Discriminators only, random re-matching, each move replaced by a random one with probability e
    (so flipped with q = e/2). With g_t the share in good standing, the share cooperating at round t is
    image scoring: q + (1-2q) g_t, g_{t+1} = the same (good iff cooperated);
    standing: (1-q) g_t + q (1-g_t), g_{t+1} = 1 - q g_t (a defection against the bad is justified).
    The matching is a permutation, so these hold exactly in expectation for any population size."""
    e, rounds = 0.2, 12
    q = e / 2
    for rule in ("image-scoring", "standing"):
        res = simulate(prisoners_dilemma(), "reputation", np.full(20, RECIPROCATOR), 3000,
                       Settings(rounds=rounds, noise=e, reputation=rule), record=True)
        per_round = (res.actions == 0).mean(axis=(2, 3))  # (seeds, rounds)
        g, expected = 1.0, []
        for _ in range(rounds):
            coop = q + (1 - 2 * q) * g if rule == "image-scoring" else (1 - q) * g + q * (1 - g)
            expected.append(coop)
            g = coop if rule == "image-scoring" else 1 - q * g
        se = per_round.std(0, ddof=1) / np.sqrt(per_round.shape[0])
        assert np.all(np.abs(per_round.mean(0) - expected) < 5 * se + 1e-9), rule
    # without errors, discriminators cooperate with each other forever under both rules
    for rule in ("image-scoring", "standing"):
        res = simulate(prisoners_dilemma(), "reputation", np.full(10, RECIPROCATOR), 50,
                       Settings(rounds=20, noise=0.0, reputation=rule))
        assert np.all(res.cooperation == 1.0)


def test_standing_sustains_discriminators_against_defectors_and_image_scoring_does_not():
    """With defectors present and no errors, under standing discriminators always cooperate with each other
    (defecting against a bad defector is justified); under image scoring such a defection marks the
    discriminator bad, and discriminators then defect on each other."""
    pop = np.array([RECIPROCATOR] * 8 + [1] * 4)
    st = simulate(prisoners_dilemma(), "reputation", pop, 200, Settings(rounds=10, noise=0.0, reputation="standing"))
    im = simulate(prisoners_dilemma(), "reputation", pop, 200, Settings(rounds=10, noise=0.0,
                                                                        reputation="image-scoring"))
    assert st.pair_payoff[RECIPROCATOR, RECIPROCATOR] == R
    assert im.pair_payoff[RECIPROCATOR, RECIPROCATOR] < R - 0.5
    # defectors exploit discriminators only while in good standing: far below T a round
    assert st.pair_payoff[1, RECIPROCATOR] < (T + P) / 2


def test_new_games_equilibria():
    td = travelers_dilemma(2, 100, 2.0)
    assert pure_nash_equilibria(td) == [(0, 0)]
    assert td.payoff((98, 98)).tolist() == [100.0, 100.0]
    assert td.payoff((0, 98)).tolist() == [4.0, 0.0]
    assert td.payoff((97, 98)).tolist() == [101.0, 97.0]
    tg = trust_game()
    assert tg.payoff((0, 0)).tolist() == [1.5, 1.5] and tg.payoff((0, 1)).tolist() == [0.0, 3.0]
    assert tg.payoff((1, 0)).tolist() == [1.0, 0.0]
    assert pure_nash_equilibria(tg) == [(1, 1)]  # against Return the trustor would trust, so only Keep, Keep
    assert roles(td).cooperate == (98, 98) and roles(td).defect == (0, 0)


def test_roles_of_an_undeclared_game():
    g = normal_form([[[2, 2], [0, 3]], [[3, 0], [1, 1]]], layout="pairs", actions=[["x", "y"], ["x", "y"]])
    rl = roles(g)
    assert rl.cooperate == (0, 0) and rl.defect == (1, 1)
    assert rl.share(4.0) == 1.0 and rl.share(2.0) == 0.0
