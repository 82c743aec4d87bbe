"""POLA-DiCE / LOLA-DiCE / PG with recurrent actor-critics on the coin game: the pieces, by hand."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from interplay import make
from interplay.agents.learners.pola import (
    LOLA_DICE_PAPER,
    PG_PAPER,
    POLA_DICE_PAPER,
    Agent,
    POLAConfig,
    Setting,
    agent_loss,
    gae,
    gru_sequence,
    gru_step,
    init_agent,
    inner_lookahead,
    kl_from,
    learner_update,
    loaded_dice,
    sample,
    train_pola_coin,
    value_loss,
)
from interplay.errors import InterplayError

GAMMA = 0.9


def test_gru_sequence_is_the_step_unrolled():
    params = init_agent(jax.random.PRNGKey(0), 6, 4, 5).policy
    obs = jax.random.normal(jax.random.PRNGKey(1), (7, 3, 6))
    h = jnp.zeros((3, 5))
    outs = []
    for t in range(7):
        h, o = gru_step(params, h, obs[t])
        outs.append(o)
    np.testing.assert_allclose(gru_sequence(params, obs), jnp.stack(outs), rtol=1e-5, atol=1e-6)
    # the output at t depends on earlier observations (it is recurrent), not on later ones
    changed = obs.at[0].add(1.0)
    assert not np.allclose(gru_sequence(params, changed)[3], gru_sequence(params, obs)[3])
    later = obs.at[5].add(1.0)
    np.testing.assert_allclose(gru_sequence(params, later)[:5], gru_sequence(params, obs)[:5], atol=1e-6)


def test_gru_step_is_the_pola_codes_network_by_hand():
    """Linear layer (no activation, as the POLA code's ``layers_before_gru 1``), GRU cell, linear output."""
    p = init_agent(jax.random.PRNGKey(3), 6, 4, 5).policy
    obs = np.asarray(jax.random.normal(jax.random.PRNGKey(4), (2, 6)))
    h = np.asarray(jax.random.normal(jax.random.PRNGKey(5), (2, 5)))
    d, g, o = ({k: np.asarray(v) for k, v in p[n].items()} for n in ("dense", "gru", "out"))
    x = obs @ d["w"] + d["b"]  # negative entries kept: no ReLU
    assert (x < 0).any()
    xi, hh = x @ g["wi"] + g["bi"], h @ g["wh"] + g["bh"]
    sig = lambda v: 1.0 / (1.0 + np.exp(-v))  # noqa: E731
    r, z = sig(xi[:, :5] + hh[:, :5]), sig(xi[:, 5:10] + hh[:, 5:10])
    n = np.tanh(xi[:, 10:] + r * hh[:, 10:])
    h_new = (1 - z) * n + z * h
    h2, out = gru_step(p, jnp.asarray(h), jnp.asarray(obs))
    np.testing.assert_allclose(h2, h_new, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out, h_new @ o["w"] + o["b"], rtol=1e-5, atol=1e-6)


def test_value_targets_and_gae_by_hand():
    r = jnp.array([[1.0], [2.0]])  # T=2, B=1
    v = jnp.array([[0.5], [0.25]])
    end = jnp.array([4.0])
    # targets: R_0 = 1 + 0.9*2 + 0.81*4 = 6.04; R_1 = 2 + 0.9*4 = 5.6
    expected = (6.04 - 0.5) ** 2 + (5.6 - 0.25) ** 2
    assert float(value_loss(r, v, end, GAMMA)) == pytest.approx(expected, rel=1e-5)
    # GAE, lambda 1: A_t = target_t - V_t; lambda 0: the one-step TD error
    np.testing.assert_allclose(gae(r, v, end, GAMMA, 1.0)[:, 0], [6.04 - 0.5, 5.6 - 0.25], rtol=1e-5)
    np.testing.assert_allclose(gae(r, v, end, GAMMA, 0.0)[:, 0], [1 + 0.9 * 0.25 - 0.5, 2 + 0.9 * 4 - 0.25],
                               rtol=1e-5)


def test_loaded_dice_first_order_gradient_is_reward_to_go_reinforce():
    """With zero values and lambda 1, grad L = sum_t grad w_t sum_{k>=t} gamma^k r_k (Farquhar et al. 2019)."""
    key = jax.random.PRNGKey(3)
    T, B = 5, 4
    feats = jax.random.normal(key, (T, B, 3))
    r = jax.random.normal(jax.random.PRNGKey(4), (T, B))
    other = jax.random.normal(jax.random.PRNGKey(5), (T, B))  # the opponent's log-probs: no gradient here
    theta = jnp.array([0.3, -0.2, 0.5])
    w = lambda th: jax.nn.log_sigmoid(feats @ th)  # noqa: E731
    zeros = jnp.zeros((T, B))
    g = jax.grad(lambda th: loaded_dice(w(th), other, r, zeros, jnp.zeros(B), GAMMA, 1.0))(theta)
    disc = GAMMA ** jnp.arange(T)[:, None]
    to_go = jnp.cumsum((disc * r)[::-1], axis=0)[::-1]
    expected = jax.grad(lambda th: jnp.sum(w(th) * to_go, axis=0).mean())(theta)
    np.testing.assert_allclose(g, expected, rtol=1e-5, atol=1e-6)
    # its value is 0 whatever the parameters
    assert float(loaded_dice(w(theta), other, r, zeros, jnp.zeros(B), GAMMA, 1.0)) == pytest.approx(0.0, abs=1e-6)


def test_kl_is_zero_at_the_reference_and_positive_away():
    a = init_agent(jax.random.PRNGKey(0), 36, 4, 8).policy
    b = init_agent(jax.random.PRNGKey(1), 36, 4, 8).policy
    obs = jax.random.bernoulli(jax.random.PRNGKey(2), 0.2, (6, 5, 36)).astype(jnp.float32)
    assert float(kl_from(a, a, obs)) == pytest.approx(0.0, abs=1e-7)
    assert float(kl_from(a, b, obs)) > 1e-4
    # the gradient of the penalty vanishes at the reference (the proximal term starts flat)
    g = jax.grad(lambda p: kl_from(a, p, obs))(a)
    assert max(float(jnp.abs(x).max()) for x in jax.tree_util.tree_leaves(g)) < 1e-6


def _setting():
    return Setting(make("coin-game-v1"), 16, 8, 0.96)


def _agents():
    return init_agent(jax.random.PRNGKey(0), 36, 4, 8), init_agent(jax.random.PRNGKey(1), 36, 4, 8)


def test_one_inner_step_is_sgd_on_the_opponents_loss():
    s = _setting()
    mine, other = _agents()
    cfg = POLAConfig(inner_steps=1, inner_beta=0.0, lr_in=0.5, lr_v=0.1, hidden=8)
    key = jax.random.PRNGKey(7)
    out = inner_lookahead(s, cfg, key, 0, mine, other)
    ep = sample(s.game, jax.random.split(key, 1)[0], mine.policy, other.policy, s.batch, s.length)
    g = jax.grad(lambda o: agent_loss(1, (mine, o), ep, s.gamma, cfg.gae_lambda))(other)
    np.testing.assert_allclose(out.policy["out"]["w"], other.policy["out"]["w"] - 0.5 * g.policy["out"]["w"],
                               rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(out.value["out"]["b"], other.value["out"]["b"] - 0.1 * g.value["out"]["b"],
                               rtol=1e-4, atol=1e-6)
    # no look-ahead for PG
    assert inner_lookahead(s, POLAConfig(inner_steps=0, hidden=8), key, 0, mine, other) is other


def test_the_lookahead_adds_a_shaping_term():
    """LOLA-DiCE's gradient differs from PG's only through the opponent's differentiated step."""
    from interplay.agents.learners.pola import outer_objective

    s = _setting()
    mine, other = _agents()
    key = jax.random.PRNGKey(11)
    grads = {}
    for name, cfg in (("pg", POLAConfig(inner_steps=0, outer_beta=0.0, hidden=8)),
                      ("lola", POLAConfig(inner_steps=1, outer_beta=0.0, inner_beta=0.0, lr_in=1.0, hidden=8))):
        grads[name] = jax.grad(lambda a, c=cfg: outer_objective(s, c, key, 0, a, other, mine.policy))(mine)
    diff = float(jnp.abs(grads["pg"].policy["dense"]["w"] - grads["lola"].policy["dense"]["w"]).max())
    assert diff > 1e-6


def test_the_outer_proximal_penalty_keeps_the_update_close():
    """POLA's outer KL penalty: the same steps with a large beta move the policy far less."""
    s = _setting()
    mine, other = _agents()
    obs = sample(s.game, jax.random.PRNGKey(5), mine.policy, other.policy, 64, 8).obs[:-1, :, 0]
    kls = {}
    for beta in (0.0, 300.0):
        cfg = POLAConfig(inner_steps=0, outer_steps=12, outer_beta=beta, lr_out=0.05, hidden=8)
        new = learner_update(s, cfg, jax.random.PRNGKey(9), 0, mine, other)
        kls[beta] = float(kl_from(mine.policy, new.policy, obs))
    assert kls[0.0] > 3 * kls[300.0]


def test_presets_name_the_papers_settings():
    assert PG_PAPER.label() == "PG" and LOLA_DICE_PAPER.label() == "LOLA-DiCE"
    assert POLA_DICE_PAPER.label() == "POLA-DiCE"
    assert (POLA_DICE_PAPER.inner_steps, POLA_DICE_PAPER.outer_steps) == (4, 200)
    assert (POLA_DICE_PAPER.inner_beta, POLA_DICE_PAPER.outer_beta) == (5.0, 150.0)


def test_train_runs_batched_and_counts_its_steps():
    game = make("coin-game-v1")
    cfg = POLAConfig(inner_steps=1, outer_steps=1, inner_beta=0.0, outer_beta=0.0, hidden=8)
    run = train_pola_coin(game, cfg, PG_PAPER.model_copy(update={"hidden": 8}), num_seeds=2, num_updates=3,
                          batch=8, rollout_length=10)
    assert run.picks.shape == (2, 3, 2, 2) and run.rewards.shape == (2, 3, 2)
    # timed updates (all but the first, which compiles) x rollouts x batch x length x seeds
    assert run.env_steps == 2 * ((1 * 2) + (1 * 1) + 1) * 8 * 10 * 2
    rate = run.own_coin_rate()
    assert rate.shape == (3, 2) and np.all((rate >= 0) & (rate <= 1))
    assert isinstance(run.params[0], Agent)


def test_bad_input_is_named():
    with pytest.raises(InterplayError, match="two-coin"):
        train_pola_coin(make("coin-game-2coin-v1"), PG_PAPER, PG_PAPER)
    with pytest.raises(InterplayError, match="batch"):
        train_pola_coin(make("coin-game-v1"), PG_PAPER, PG_PAPER, batch=0)
    with pytest.raises(InterplayError, match="coin game"):
        train_pola_coin("ipd-v1", PG_PAPER, PG_PAPER)
