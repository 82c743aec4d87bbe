"""Iterated games: exact memory-one values (hand values from the LOLA setting), exact vs
sampled agreement, conventions, noise, and seeding."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import interplay
from interplay.errors import InterplayError
from interplay.games.iterated import batched_average_rewards, exact_values, sample_play

ALLC = [1, 1, 1, 1, 1]
ALLD = [0, 0, 0, 0, 0]
TFT = [1, 1, 0, 1, 0]
WSLS = [1, 1, 0, 0, 1]
RAND = [0.5] * 5


@pytest.fixture(scope="module")
def lola_ipd():
    return interplay.make("ipd-v1", convention="lola", discount=0.96)


@pytest.mark.parametrize(
    "p1,p2,expected",
    [
        (ALLC, ALLC, (-1.0, -1.0)),
        (ALLD, ALLD, (-2.0, -2.0)),
        (TFT, TFT, (-1.0, -1.0)),
        (TFT, ALLD, (-2.04, -1.92)),
        (ALLD, TFT, (-1.92, -2.04)),
        (ALLC, ALLD, (-3.0, 0.0)),
        (RAND, RAND, (-1.5, -1.5)),
    ],
)
def test_exact_average_reward_lola_payoffs(lola_ipd, p1, p2, expected):
    np.testing.assert_allclose(lola_ipd.average_rewards(p1, p2), expected, atol=2e-5)


def test_second_player_reads_its_own_side(lola_ipd):
    # WSLS vs ALLD: WSLS cooperates, is suckered (CD in its view), switches to D; after DD it
    # shifts back to C. So it alternates C, D: per step (-3 + -2)/2 approximately. Seat must not matter.
    a = lola_ipd.average_rewards(WSLS, ALLD)
    b = lola_ipd.average_rewards(ALLD, WSLS)
    np.testing.assert_allclose(a, b[::-1], atol=1e-5)
    g = 0.96
    v = (-3 + g * -2) / (1 - g * g)  # exact alternating value
    np.testing.assert_allclose(a[0], (1 - g) * v, atol=1e-5)


def test_undiscounted_first_step_and_discount_zero():
    g = interplay.make("ipd-v1", convention="lola", discount=0.0)
    np.testing.assert_allclose(g.exact_values(ALLC, ALLD), [-3.0, 0.0], atol=1e-6)


def test_exact_value_is_differentiable_and_matches_finite_differences(lola_ipd):
    pay = lola_ipd.payoffs
    key = jax.random.PRNGKey(3)
    th1, th2 = jax.random.normal(key, (2, 5))

    def v1(t1):
        return exact_values(jax.nn.sigmoid(t1), jax.nn.sigmoid(th2), pay, 0.96)[0]

    grad = jax.grad(v1)(th1)
    eps = 1e-2
    fd = np.array([(v1(th1 + eps * e) - v1(th1 - eps * e)) / (2 * eps) for e in np.eye(5)])
    np.testing.assert_allclose(np.asarray(grad), fd, rtol=2e-2, atol=2e-2)


def test_batched_matches_single(lola_ipd):
    rng = np.random.default_rng(0)
    p1, p2 = rng.uniform(size=(2, 64, 5)).astype(np.float32)
    batched = np.asarray(batched_average_rewards(p1, p2, lola_ipd.payoffs, 0.96, 0.0))
    single = np.array([lola_ipd.average_rewards(a, b) for a, b in zip(p1[:5], p2[:5])])
    np.testing.assert_allclose(batched[:5], single, rtol=1e-5, atol=1e-5)


def test_exact_vs_sampled_random_policies(lola_ipd):
    """For random memory-one policies the sampled mean of (1-gamma) * discounted return
    lies within a 99.9% confidence interval of the exact value (with 12 pairs x 2 players,
    a false alarm has probability about 2.4%; the seed is fixed)."""
    rng = np.random.default_rng(1)
    pairs = rng.uniform(size=(12, 2, 5))
    game = lola_ipd.with_params(horizon=400)  # 0.96**400 ~ 8e-8: truncation bias negligible
    n = 4000
    for k, (p1, p2) in enumerate(pairs):
        res = game.sample(jax.random.PRNGKey(k), p1, p2, num_matches=n)
        per_step = 0.04 * np.asarray(res.discounted)
        mean, se = per_step.mean(0), per_step.std(0, ddof=1) / np.sqrt(n)
        exact = game.average_rewards(p1, p2)
        assert np.all(np.abs(mean - exact) < 3.29 * se + 1e-4), (k, mean, exact, se)


def test_sampled_with_end_probability_estimates_the_discounted_value(lola_ipd):
    """A match that continues with probability gamma has an undiscounted total whose
    mean is the discounted value V (the two readings of gamma agree)."""
    p1, p2 = [0.9, 0.8, 0.3, 0.6, 0.2], [0.7, 0.9, 0.1, 0.5, 0.4]
    game = lola_ipd.with_params(horizon=600, end_prob=0.04)
    n = 20000
    res = game.sample(jax.random.PRNGKey(7), p1, p2, num_matches=n)
    totals = np.asarray(res.total)
    exact = lola_ipd.exact_values(p1, p2)
    se = totals.std(0, ddof=1) / np.sqrt(n)
    assert np.all(np.abs(totals.mean(0) - exact) < 4 * se), (totals.mean(0), exact, se)
    assert abs(np.asarray(res.length).mean() - 25.0) < 1.0  # mean length 1 / 0.04


def test_noise_exact_vs_sampled(lola_ipd):
    game = lola_ipd.with_params(noise=0.1, horizon=400)
    exact = game.average_rewards(TFT, TFT)
    # noisy TFT vs TFT: both play each state's distribution symmetrically; by symmetry equal values
    assert exact[0] == pytest.approx(exact[1], abs=1e-5)
    assert -1.5 < exact[0] < -1.0  # worse than mutual cooperation, as noise triggers echoes
    res = game.sample(jax.random.PRNGKey(0), TFT, TFT, num_matches=4000)
    per_step = 0.04 * np.asarray(res.discounted)
    assert abs(per_step.mean() - exact[0]) < 4 * per_step.std() / np.sqrt(8000) + 1e-3


def test_tft_vs_alld_exact_action_sequence(lola_ipd):
    res = sample_play(jax.random.PRNGKey(0), jnp.array([TFT], jnp.float32), jnp.array([ALLD], jnp.float32),
                      lola_ipd.payoffs, horizon=5, record_actions=True)
    # action 0 = C, 1 = D: TFT opens C, then copies D
    np.testing.assert_array_equal(np.asarray(res.actions[0]), [[0, 1], [1, 1], [1, 1], [1, 1], [1, 1]])
    np.testing.assert_allclose(np.asarray(res.total[0]), [-3 - 2 * 4, 0 - 2 * 4])


def test_same_seed_same_results_different_seed_different_play(lola_ipd):
    a = lola_ipd.sample(jax.random.PRNGKey(11), RAND, RAND, num_matches=50, record_actions=True)
    b = lola_ipd.sample(jax.random.PRNGKey(11), RAND, RAND, num_matches=50, record_actions=True)
    c = lola_ipd.sample(jax.random.PRNGKey(12), RAND, RAND, num_matches=50, record_actions=True)
    np.testing.assert_array_equal(np.asarray(a.actions), np.asarray(b.actions))
    np.testing.assert_array_equal(np.asarray(a.discounted), np.asarray(b.discounted))
    assert not np.array_equal(np.asarray(a.actions), np.asarray(c.actions))


def test_parameter_validation():
    with pytest.raises(InterplayError, match=r"discount must be in \[0, 1\)"):
        interplay.make("ipd-v1", discount=1.0)
    with pytest.raises(InterplayError, match="discount"):
        interplay.make("ipd-v1", discount=-0.1)
    with pytest.raises(InterplayError, match="5 probabilities"):
        interplay.make("ipd-v1").exact_values([1, 0], ALLD)
    with pytest.raises(InterplayError, match="horizon"):
        interplay.make("imp-v1", horizon=0)


def test_iterated_versions_of_the_2x2_catalogue():
    for gid in ("iterated-stag-hunt-v1", "iterated-chicken-v1", "iterated-battle-of-the-sexes-v1",
                "imp-v1", "iterated-coordination-v1"):
        g = interplay.make(gid, discount=0.5)
        assert g.spec.repeated and g.spec.discount == 0.5
        # always-action-0 vs itself earns the stage payoff of (0, 0) every step
        np.testing.assert_allclose(g.average_rewards(ALLC, ALLC), g.stage.payoff((0, 0)), atol=1e-5)
