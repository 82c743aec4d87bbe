"""PPO pieces (GAE by hand, a bandit) and independent PPO on the coin game."""

import jax
import jax.numpy as jnp
import numpy as np

import interplay
from interplay.agents.learners import ppo
from interplay.agents.learners.independent import IndependentPPOConfig, train_independent_ppo


def test_gae_matches_hand_computation():
    r = jnp.array([[1.0], [0.0], [2.0]])
    v = jnp.array([[0.5], [0.2], [1.0]])
    done = jnp.array([[0.0], [1.0], [0.0]])
    last = jnp.array([3.0])
    g, lam = 0.9, 0.8
    adv, ret = ppo.gae(r, v, done, last, g, lam)
    d2 = 2.0 + g * 3.0 - 1.0
    d1 = 0.0 - 0.2  # episode ends after step 1: no bootstrap
    d0 = 1.0 + g * 0.2 - 0.5
    a1 = d1
    a0 = d0 + g * lam * a1
    np.testing.assert_allclose(adv[:, 0], [a0, a1, d2], rtol=1e-6)
    np.testing.assert_allclose(ret, adv + v, rtol=1e-6)


def test_ppo_solves_a_gaussian_bandit():
    cfg = ppo.PPOConfig(lr=5e-3)
    params = ppo.init_actor_critic(jax.random.PRNGKey(0), 3, 2, continuous=True)
    opt = ppo.make_optimizer(cfg)
    state = opt.init(params)

    @jax.jit
    def it(params, state, key):
        k1, k2, k3 = jax.random.split(key, 3)
        obs = jax.random.normal(k1, (512, 3))
        out, v = ppo.policy_and_value(params, obs)
        a = ppo.sample_action(k2, params, out)
        r = -jnp.sum((a - 1.5) ** 2, -1)  # best action: 1.5 in both dimensions
        batch = ppo.Batch(obs, a, ppo.log_prob(params, out, a), r - v, r)
        params, state, _ = ppo.ppo_update(params, state, batch, k3, cfg, opt)
        return params, state

    for k in jax.random.split(jax.random.PRNGKey(1), 150):
        params, state = it(params, state, k)
    mean = ppo.policy_and_value(params, jnp.zeros((1, 3)))[0][0]
    np.testing.assert_allclose(mean, [1.5, 1.5], atol=0.25)


def test_independent_ppo_learns_to_pick_coins_selfishly():
    game = interplay.make("coin-game-v1", horizon=50)
    run = train_independent_ppo(game, IndependentPPOConfig(iterations=50, num_envs=128), seed=0, num_seeds=1)
    assert run.picks.shape == (1, 50, 2, 2) and run.rewards.shape == (1, 50, 2) and run.form == "coin"
    picks, rewards = run.picks[0], run.rewards[0]  # the one seed
    first, last = picks[:5].sum(axis=(1, 2)).mean(), picks[-5:].sum(axis=(1, 2)).mean()
    assert last > 1.5 * first  # they learn to go for coins
    m = run.metrics(last=5)
    assert all(0.4 < x < 0.75 for x in m["own_coin_rate"])  # but take each other's too (selfish)
    # reward bookkeeping: each agent's reward = its pickups - 2 * the other's pickups of its coins
    p = picks[-5:].sum(0)
    total = rewards[-5:].sum(0) * 32 * 128
    np.testing.assert_allclose(total, [p[0].sum() - 2 * p[1, 0], p[1].sum() - 2 * p[0, 1]], rtol=1e-4, atol=1e-2)
