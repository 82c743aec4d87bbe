"""Exact-gradient learners: gradients, LOLA's and SOS's terms, conventions, theory."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from interplay.agents.learners import (
    LOLA,
    SOS,
    FixedPolicy,
    LookAhead,
    NaiveLearner,
    differentiable,
    learned_policies,
    train_exact,
)
from interplay.agents.learners.exact import _directions, _step_with, coefficients, gradient_terms, sos_p
from interplay.errors import InterplayError

IPD = differentiable("ipd-v1", convention="lola", discount=0.96)
# one run shape for every test, so the training program compiles once
SEEDS, UPDATES = 8, 200


def test_exact_value_gradient_matches_finite_differences():
    with jax.enable_x64(True):
        rng = np.random.default_rng(3)
        t1, t2 = jnp.asarray(rng.normal(size=5)), jnp.asarray(rng.normal(size=5))
        payoffs = jnp.asarray(np.asarray(IPD.payoffs), jnp.float64)
        from interplay.agents.learners.differentiable import value_function

        values = jax.jit(value_function("iterated", payoffs, 0.96))
        grad = jax.grad(lambda a: values(a, t2)[0])(t1)
        grad2 = jax.grad(lambda b: values(t1, b)[1])(t2)
        eps = 1e-6
        steps = eps * np.eye(5)
        many = jax.jit(jax.vmap(values))
        fd = (many(t1 + steps, jnp.tile(t2, (5, 1)))[:, 0] - many(t1 - steps, jnp.tile(t2, (5, 1)))[:, 0]) / (2 * eps)
        fd2 = (many(jnp.tile(t1, (5, 1)), t2 + steps)[:, 1] - many(jnp.tile(t1, (5, 1)), t2 - steps)[:, 1]) / (2 * eps)
        np.testing.assert_allclose(np.asarray(grad), fd, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(np.asarray(grad2), fd2, rtol=1e-6, atol=1e-8)


def test_lola_and_la_terms_against_hand_derivation_polynomial_game():
    # V1 = x y^2 + 3x, V2 = x^2 y - y^2.
    # g12 = 2xy, g22 = x^2 - 2y; shaping = d/dx[stop(2xy)(x^2 - 2y)] = 4 x^2 y;
    # LA = d/dx[(2xy) stop(x^2 - 2y)] = 2y (x^2 - 2y); g11 = y^2 + 3.
    def values(a, b):
        x, y = a[0], b[0]
        return jnp.stack([x * y**2 + 3 * x, x**2 * y - y**2])

    x, y = 0.7, -1.3
    g, la, sh = gradient_terms(values, jnp.array([x]), jnp.array([y]))
    np.testing.assert_allclose(g, [y**2 + 3], rtol=1e-6)
    np.testing.assert_allclose(sh, [4 * x**2 * y], rtol=1e-6)
    np.testing.assert_allclose(la, [2 * y * (x**2 - 2 * y)], rtol=1e-6)


def test_lola_correction_on_matching_pennies_by_hand():
    # Parameterised directly by p = P(heads), q: V1 = (2p-1)(2q-1), V2 = -V1.
    # LOLA for player 1: g11 + c * d/dp[stop(dV1/dq) dV2/dq] = 2(2q-1) + c * 2(2p-1) * (-2(2p-1))' ...
    # stop(2(2p-1)) * (-2(2p-1)) differentiated in p = 2(2p-1) * (-4) = -8(2p-1).
    def values(a, b):
        p, q = a[0], b[0]
        v = (2 * p - 1) * (2 * q - 1)
        return jnp.stack([v, -v])

    p, q = 0.8, 0.3
    d1, d2 = _directions(values, jnp.array([p]), jnp.array([q]), (LOLA(lr=0.5, correction=0.25), NaiveLearner()))
    np.testing.assert_allclose(d1, [0.5 * (2 * (2 * q - 1) + 0.25 * -8 * (2 * p - 1))], rtol=1e-6)
    np.testing.assert_allclose(d2, [-2 * (2 * p - 1)], rtol=1e-6)


def test_sos_weight_cases():
    xi = jnp.array([1.0, 0.0])
    xi0 = jnp.array([1.0, 0.0])
    # shaping aligned with xi0: p1 = 1; |xi| = 1 >= b: p2 = 1
    assert float(sos_p(xi, xi0, jnp.array([2.0, 0.0]), 1.0, 0.5, 0.1)) == 1.0
    # opposed: p1 = a |xi0|^2 / (alpha |<chi, xi0>|) = 0.5 / 4
    np.testing.assert_allclose(sos_p(xi, xi0, jnp.array([-4.0, 1.0]), 1.0, 0.5, 0.1), 0.125)
    # small gradient: p2 = |xi|^2
    small = jnp.array([0.03, 0.04])
    np.testing.assert_allclose(sos_p(small, xi0, jnp.array([2.0, 0.0]), 1.0, 0.5, 0.1), 0.0025, rtol=1e-5)


@pytest.mark.parametrize("game", ["ipd", "small-pennies"])
def test_sos_interpolates_between_lookahead_and_lola(game):
    from interplay.agents.learners.differentiable import DifferentiableGame
    from interplay.agents.learners.exact import _swap

    if game == "ipd":
        g = IPD
    else:  # matching pennies scaled down so that gradients fall below b
        mp = differentiable("matching-pennies-v1")
        g = DifferentiableGame("mp", "matrix", 0.05 * mp.payoffs, 0.0, (2, 2))
    values = lambda a, b: g.values(a, b)  # noqa: E731

    @jax.jit
    @jax.vmap
    def check(t1, t2):
        g1, la1, sh1 = gradient_terms(values, t1, t2)
        g2, la2, sh2 = gradient_terms(_swap(values), t2, t1)
        xi0 = jnp.concatenate([g1 + la1, g2 + la2])
        p = sos_p(jnp.concatenate([g1, g2]), xi0, jnp.concatenate([sh1, sh2]), 1.0, 0.5, 0.1)
        coefs = jnp.stack([coefficients(SOS()), coefficients(LOLA(lookahead_term=True)),
                           coefficients(LookAhead())])
        d_sos, d_lola, d_la = jax.vmap(lambda c: _step_with(values, t1, t2, c, c)[0])(coefs)
        return p, d_sos, d_lola, d_la

    t1, t2 = jax.random.normal(jax.random.PRNGKey(0), (2, 64, g.dims[0]))
    p, d_sos, d_lola, d_la = (np.asarray(x) for x in check(t1, t2))
    if game == "ipd":
        assert np.sum(p == 1.0) > 32  # far from fixed points SOS is mostly LOLA
    else:
        assert np.all(p < 1.0)
    # SOS lies on the segment from LA (p=0) to LOLA with the LA term (p=1)
    np.testing.assert_allclose(d_sos, d_la + p[:, None] * (d_lola - d_la), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(d_sos[p == 1.0], d_lola[p == 1.0], rtol=1e-5, atol=1e-5)


def test_seats_are_symmetric():
    key = jax.random.PRNGKey(1)
    a, b = jax.random.normal(key, (2, SEEDS, 5))
    r1 = train_exact(IPD, LOLA(), NaiveLearner(), num_updates=UPDATES, init=(a, b))
    r2 = train_exact(IPD, NaiveLearner(), LOLA(), num_updates=UPDATES, init=(b, a))
    # the same computation in the other seat: equal up to float32 round-off, which the
    # dynamics amplify, so compare the first 10 updates
    np.testing.assert_allclose(r1.policies[0][:, :11], r2.policies[1][:, :11], atol=1e-4)
    np.testing.assert_allclose(r1.policies[1][:, :11], r2.policies[0][:, :11], atol=1e-4)
    np.testing.assert_allclose(r1.rewards[:, :11, 0], r2.rewards[:, :11, 1], atol=1e-4)


def test_naive_learner_against_fixed_policies_learns_best_response():
    # Against tit-for-tat at gamma 0.96, always cooperating is the best response (-1 per step);
    # against always-defect, defecting (-2 per step, vs -3 for cooperating).
    tft = train_exact(IPD, NaiveLearner(), FixedPolicy(policy="Tit For Tat"), num_seeds=SEEDS,
                      num_updates=UPDATES)
    np.testing.assert_allclose(tft.policies[1][:, -1], np.tile([1, 1, 0, 1, 0], (SEEDS, 1)), atol=1e-5)
    assert np.all(tft.headline[:, 0] > -1.05)
    alld = train_exact(IPD, NaiveLearner(), FixedPolicy(policy="Defector"), num_seeds=SEEDS,
                       num_updates=UPDATES)
    assert np.all(alld.headline[:, 0] < -1.99)
    assert np.all(alld.headline[:, 0] > -2.05)


def test_rewards_are_exact_values_of_the_recorded_policies():
    run = train_exact(IPD, LOLA(), LOLA(), num_seeds=SEEDS, num_updates=UPDATES)
    game = __import__("interplay").make("ipd-v1", convention="lola", discount=0.96)
    for s in range(SEEDS):
        np.testing.assert_allclose(run.rewards[s, -1],
                                   game.average_rewards(run.policies[0][s, -1], run.policies[1][s, -1]), rtol=1e-4)


def test_learned_policies_for_tournaments():
    pol = learned_policies(IPD, LOLA(), LOLA(), num_seeds=SEEDS, num_updates=UPDATES)
    assert pol.shape == (SEEDS, 2, 5)
    assert np.all((pol >= 0) & (pol <= 1))


def test_one_shot_matrix_game_and_bad_input():
    mp = differentiable("matching-pennies-v1")
    run = train_exact(mp, NaiveLearner(lr=0.1), NaiveLearner(lr=0.1), num_seeds=2, num_updates=3)
    assert run.policies[0].shape == (2, 4, 2)
    np.testing.assert_allclose(run.rewards.sum(-1), 0, atol=1e-6)  # zero-sum
    with pytest.raises(InterplayError):
        train_exact(IPD, NaiveLearner(), FixedPolicy(policy=(1, 0)), num_seeds=2)
    with pytest.raises(InterplayError):
        differentiable("rock-paper-scissors-v1", bogus=1)
