"""PG and LOLA-DiCE on the coin game: the DiCE gradient against REINFORCE, the look-ahead
against the chain rule, and learning to pick coins."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import yaml
from jax.flatten_util import ravel_pytree

from interplay.agents.learners.dice import DiCEConfig, learner_direction, play_objective
from interplay.agents.learners.dice_coin import CoinPlay, init_policy, policy_logits, train_dice_coin
from interplay.errors import InterplayError
from interplay.games.coin_game import coin_game
from interplay.run.runner import load_config, run_experiment

GAMMA = 0.9


def _policies(game, seed, scale=1.0, hidden=()):
    """Two policies with non-uniform moves (init_policy starts uniform)."""
    out = []
    for k in jax.random.split(jax.random.PRNGKey(seed), 2):
        p = init_policy(k, game.obs_size, game.num_actions, hidden)
        p[-1]["w"] = scale * jax.random.normal(jax.random.fold_in(k, 1), p[-1]["w"].shape)
        out.append(p)
    return out


def _reinforce(ep, th1, causal):
    """Player 1's score-function gradient, written out independently of DiCE:
    sum_t grad log pi_1(a_t | s_t) * G_t with G_t = sum_{t' >= t} gamma^t' r_1,t' (causal)
    or the whole discounted return (the plain REINFORCE estimator)."""
    r = ep.rewards[:, :, 0]
    disc = GAMMA ** jnp.arange(r.shape[0])[:, None]
    to_go = jnp.cumsum((disc * r)[::-1], axis=0)[::-1]
    if not causal:
        to_go = jnp.broadcast_to(to_go[:1], to_go.shape)

    def surrogate(t):
        logp = jax.nn.log_softmax(policy_logits(t, ep.obs[:, :, 0]))
        logp = jnp.take_along_axis(logp, ep.actions[:, :, 0, None], axis=-1)[..., 0]
        return jnp.sum(logp * to_go, axis=0).mean()

    return ravel_pytree(jax.grad(surrogate)(th1))[0]


def test_dice_gradient_equals_reinforce_on_a_batch_and_baseline_is_unbiased():
    game = coin_game(grid_size=3, horizon=10)
    play = CoinPlay(game, 2048, 10)
    th1, th2 = _policies(game, 0, scale=0.5)
    no_base, with_base = DiCEConfig(kind="pg", baseline=False), DiCEConfig(kind="pg")

    @jax.jit
    def estimates(key):
        ep = play.sample(key, th1, th2)
        d0 = ravel_pytree(learner_direction(play, key, th1, th2, ep, 0, no_base, GAMMA))[0]
        d1 = ravel_pytree(learner_direction(play, key, th1, th2, ep, 0, with_base, GAMMA))[0]
        return d0, d1, _reinforce(ep, th1, True), _reinforce(ep, th1, False)

    # on one batch, DiCE's first derivative is REINFORCE with causal returns, to float precision
    d0, d1, rf, _ = estimates(jax.random.PRNGKey(1))
    np.testing.assert_allclose(d0, rf, rtol=1e-4, atol=1e-5)
    assert np.linalg.norm(rf) > 0.1
    # over many batches, DiCE with the baseline and plain REINFORCE (whole return, no
    # baseline) agree in the mean: both estimate the gradient of the expected return
    runs = [estimates(k) for k in jax.random.split(jax.random.PRNGKey(2), 40)]
    base = np.stack([np.asarray(x[1]) for x in runs])
    ref = np.stack([np.asarray(x[3]) for x in runs])
    diff = base - ref
    se = diff.std(0, ddof=1) / np.sqrt(len(runs))
    z = diff.mean(0) / np.maximum(se, 1e-8)
    assert np.mean(np.abs(z) < 3) > 0.95, np.sort(np.abs(z))[-10:]
    m_base, m_ref = base.mean(0), ref.mean(0)
    assert m_base @ m_ref / (np.linalg.norm(m_base) * np.linalg.norm(m_ref)) > 0.85  # 0.94 measured
    assert base.var(0).sum() < 0.6 * ref.var(0).sum()  # DiCE's causal credit lowers the variance


def test_lola_dice_lookahead_differentiates_through_the_opponent_step():
    game = coin_game(grid_size=2, horizon=6)
    play = CoinPlay(game, 32, 6)
    th1, th2 = _policies(game, 3, scale=0.5)
    cfg = DiCEConfig(kind="lola-dice", lr_inner=1.0)
    key_ep, key_look = jax.random.split(jax.random.PRNGKey(5))
    ep = play.sample(key_ep, th1, th2)
    lola = ravel_pytree(jax.jit(lambda: learner_direction(play, key_look, th1, th2, ep, 0, cfg, GAMMA))())[0]

    # second computation, by the chain rule: d/dth1 L1(th1, th2'(th1)) with
    # th2' = th2 + lr_in * g2(th1), g2 = grad_2 L2 on ep; its Jacobian by forward mode
    flat1, un1 = ravel_pytree(th1)
    flat2, un2 = ravel_pytree(th2)
    g2 = lambda f1: ravel_pytree(jax.grad(lambda t2: play_objective(play, un1(f1), t2, ep, GAMMA, 1, True))(th2))[0]  # noqa: E731
    th2_new = flat2 + cfg.lr_inner * g2(flat1)
    ep2 = play.sample(key_look, th1, un2(th2_new))
    l1 = lambda f1, f2: play_objective(play, un1(f1), un2(f2), ep2, GAMMA, 0, True)  # noqa: E731
    direct = jax.jit(jax.grad(l1, argnums=0))(flat1, th2_new)
    through = cfg.lr_inner * jax.jit(jax.jacfwd(g2))(flat1).T @ jax.jit(jax.grad(l1, argnums=1))(flat1, th2_new)
    np.testing.assert_allclose(lola, direct + through, rtol=1e-3, atol=1e-5)
    # the shaping term is there, and a sizeable part of the direction
    assert np.linalg.norm(through) > 0.05 * np.linalg.norm(direct)
    # and it is exactly what a naive learner on the same look-ahead batch lacks
    pg = ravel_pytree(learner_direction(play, key_look, th1, un2(th2_new), ep2, 0, DiCEConfig(kind="pg"), GAMMA))[0]
    np.testing.assert_allclose(pg, direct, rtol=1e-4, atol=1e-6)


def test_naive_pg_learners_learn_to_pick_coins():
    game = coin_game(grid_size=3, horizon=30)
    run = train_dice_coin(game, DiCEConfig(kind="pg", lr=2.0), DiCEConfig(kind="pg", lr=2.0), num_seeds=2,
                          num_updates=60, batch=32, seed=0)
    cps = run.coins_per_step().sum(axis=2)  # (seeds, updates) coins picked per step, both agents
    first, last = cps[:, :5].mean(), cps[:, -10:].mean()
    # random play picks about a quarter of a coin per step on 3x3; learners home in on coins
    assert 0.15 < first < 0.3
    assert last > first + 0.05, (first, last)
    assert run.picks.shape == (2, 60, 2, 2)
    m = run.metrics()
    assert 0.3 < m["own_coin_rate"][0] < 0.75  # naive learners stay selfish


def test_coin_pairings_from_yaml_and_bad_configs(tmp_path):
    base = {"kind": "opponent-shaping", "name": "t", "seeds": 2, "updates": 3, "rollout_batch": 4, "rollout_length": 5,
            "game": {"id": "coin-game-v1", "params": {"grid_size": 2}}}
    cfg = dict(base, pairings=[{"learners": [{"kind": "pg", "hidden": [4]}, {"kind": "pg"}]}])
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(cfg))
    run_dir = run_experiment(load_config(path, []), tmp_path / "out", quiet=True)
    res = json.loads((run_dir / "results.json").read_text())
    assert res["game"] == "coin-game-v1"
    row = res["pairings"]["PG vs PG"]
    assert len(row["curve_own_coin_rate"]) == 3 and len(row["curve_coins_per_step"][0]) == 2
    assert (run_dir / "coin-curves-1.png").exists()
    assert "own-coin rate" in (run_dir / "report.html").read_text()
    for pairing, game, match in (
            ([{"kind": "lola"}, {"kind": "pg"}], base["game"], "only sampled-play learners"),
            ([{"kind": "pg", "hidden": [8]}, {"kind": "pg"}], {"id": "ipd-v1"}, "hidden layers")):
        path.write_text(yaml.safe_dump(dict(base, game=game, pairings=[{"learners": pairing}])))
        with pytest.raises(InterplayError, match=match):
            run_experiment(load_config(path, []), tmp_path / "bad", quiet=True)
