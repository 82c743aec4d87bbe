"""Coin game rules on hand-built states, respawn, metrics, and the PettingZoo shell."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from pettingzoo.test import parallel_api_test

import interplay
from interplay.errors import InterplayError
from interplay.games.coin_game import CoinState, coin_metrics

RIGHT, LEFT, DOWN, UP, STAY = range(5)
KEY = jax.random.PRNGKey(0)


def state(red, blue, coin, colour=0, coin2=None):
    coins = jnp.array([coin, coin2 if coin2 is not None else coin], jnp.int32)
    return CoinState(jnp.array([red, blue], jnp.int32), coins, jnp.int32(colour), jnp.int32(0),
                     jnp.zeros((2, 2), jnp.int32))


@pytest.fixture(scope="module")
def game():
    return interplay.make("coin-game-v1")


def test_red_picks_its_own_coin(game):
    _, s, r, term, trunc = game.step(KEY, state((0, 0), (2, 2), (0, 1), colour=0), jnp.array([RIGHT, UP]))
    np.testing.assert_array_equal(r, [1.0, 0.0])
    np.testing.assert_array_equal(s.pos, [[0, 1], [1, 2]])
    assert int(s.colour) == 1  # colour alternates after a pickup
    np.testing.assert_array_equal(s.picks, [[1, 0], [0, 0]])
    assert not bool(term) and not bool(trunc)


def test_red_picks_blues_coin(game):
    _, s, r, *_ = game.step(KEY, state((0, 0), (2, 2), (0, 1), colour=1), jnp.array([RIGHT, UP]))
    np.testing.assert_array_equal(r, [1.0, -2.0])
    np.testing.assert_array_equal(s.picks, [[0, 1], [0, 0]])
    assert int(s.colour) == 0


def test_blue_picks_via_wrap_around(game):
    # blue at (0, 2) moves right, wraps to (0, 0) where red's coin lies
    _, s, r, *_ = game.step(KEY, state((2, 2), (0, 2), (0, 0), colour=0), jnp.array([LEFT, RIGHT]))
    np.testing.assert_array_equal(s.pos[1], [0, 0])
    np.testing.assert_array_equal(r, [-2.0, 1.0])


def test_both_reach_the_coin_together():
    start = state((0, 0), (0, 2), (0, 1), colour=0)
    both = interplay.make("coin-game-v1")
    _, s, r, *_ = both.step(KEY, start, jnp.array([RIGHT, LEFT]))
    # both pick the red coin: each gets +1, and red (the owner) loses 2 for blue's pickup
    np.testing.assert_array_equal(r, [1.0 - 2.0, 1.0])
    np.testing.assert_array_equal(s.picks, [[1, 0], [1, 0]])
    red_first = interplay.make("coin-game-v1", tie="red")
    _, s, r, *_ = red_first.step(KEY, start, jnp.array([RIGHT, LEFT]))
    np.testing.assert_array_equal(r, [1.0, 0.0])
    np.testing.assert_array_equal(s.picks, [[1, 0], [0, 0]])


def test_no_pickup_no_reward_and_coin_stays(game):
    start = state((0, 0), (2, 2), (1, 1), colour=1)
    _, s, r, *_ = game.step(KEY, start, jnp.array([RIGHT, LEFT]))
    np.testing.assert_array_equal(r, [0.0, 0.0])
    np.testing.assert_array_equal(s.coins[0], [1, 1])
    assert int(s.colour) == 1


def test_respawn_never_on_an_agent_and_covers_the_rest(game):
    start = state((0, 0), (2, 2), (0, 1), colour=0)
    keys = jax.random.split(KEY, 2000)
    _, s, _, _, _ = jax.vmap(lambda k: game.step(k, start, jnp.array([RIGHT, UP])))(keys)
    cells = np.asarray(s.coins[:, 0, 0] * 3 + s.coins[:, 0, 1])
    # after the move the agents stand on (0, 1) = cell 1 and (1, 2) = cell 5
    assert not np.any(np.isin(cells, [1, 5]))
    counts = np.bincount(cells, minlength=9)
    assert set(np.flatnonzero(counts)) == {0, 2, 3, 4, 6, 7, 8}
    assert counts.max() - counts.min(where=counts > 0, initial=10**9) < 150  # roughly uniform (2000/7 each)


def test_reset_places_agents_apart_and_coin_off_agents(game):
    obs, s = game.reset_batch(KEY, 512)
    assert obs.shape == (512, 2, 36)
    cell = lambda p: np.asarray(p[..., 0] * 3 + p[..., 1])  # noqa: E731
    red, blue, coin = cell(s.pos[:, 0]), cell(s.pos[:, 1]), cell(s.coins[:, 0])
    assert np.all(red != blue) and np.all(coin != red) and np.all(coin != blue)


def test_observations_are_own_view(game):
    obs = np.asarray(game.observe(state((0, 0), (2, 2), (0, 1), colour=1)))
    red, blue = obs.reshape(2, 4, 9)
    assert red[0, 0] == 1 and red[1, 8] == 1 and red[2].sum() == 0 and red[3, 1] == 1
    np.testing.assert_array_equal(blue, red[[1, 0, 3, 2]])


def test_two_coin_variant():
    g = interplay.make("coin-game-2coin-v1")
    assert g.spec.num_actions == (5, 5)
    # red's coin at (0, 1), blue's at (1, 0): red moves down onto blue's coin
    start = state((0, 0), (2, 2), (0, 1), coin2=(1, 0))
    _, s, r, *_ = g.step(KEY, start, jnp.array([DOWN, STAY]))
    np.testing.assert_array_equal(r, [1.0, -2.0])  # red picked blue's coin (index 1)
    np.testing.assert_array_equal(s.picks, [[0, 1], [0, 0]])
    np.testing.assert_array_equal(s.coins[0], [0, 1])  # red's coin untouched
    # both pick their own coins at once
    _, s, r, *_ = g.step(KEY, start, jnp.array([RIGHT, STAY]))
    np.testing.assert_array_equal(r, [1.0, 0.0])
    # respawn may land anywhere, including under an agent
    keys = jax.random.split(KEY, 2000)
    _, s, _, _, _ = jax.vmap(lambda k: g.step(k, start, jnp.array([RIGHT, STAY])))(keys)
    cells = np.asarray(s.coins[:, 0, 0] * 3 + s.coins[:, 0, 1])
    assert set(np.unique(cells)) == set(range(9))


def test_truncation_at_horizon_and_random_play_metrics():
    g = interplay.make("coin-game-v1", horizon=40)
    obs, s = g.reset_batch(KEY, 256)

    def body(carry, k):
        s, ret = carry
        ka, ks = jax.random.split(k)
        acts = jax.random.randint(ka, (256, 2), 0, 4)
        _, s, r, _, trunc = g.step_batch(ks, s, acts)
        return (s, ret + r), trunc

    (s, ret), trunc = jax.lax.scan(body, (s, jnp.zeros((256, 2))), jax.random.split(KEY, 40))
    assert not np.any(np.asarray(trunc[:-1])) and np.all(np.asarray(trunc[-1]))
    m = coin_metrics(np.asarray(s.picks), np.asarray(ret))
    # random play is symmetric (the first coin's colour is a fair draw): about half the coins
    # each agent picks are its own
    assert all(0.45 < x < 0.55 for x in m["own_coin_rate"])
    assert abs(m["coins_picked"][0] - m["coins_picked"][1]) < 0.1 * m["total_coins"]
    # reward bookkeeping: each pickup gives +1, each pickup of the other's coin costs its owner 2
    p = np.asarray(s.picks).sum(0)
    np.testing.assert_allclose(np.asarray(ret).sum(0), [p[0].sum() - 2 * p[1, 0], p[1].sum() - 2 * p[0, 1]])
    assert m["total_coins"] == p.sum()


def test_pettingzoo_shell_and_bad_params():
    from interplay.games.pettingzoo_env import InterplayParallelEnv

    env = InterplayParallelEnv(interplay.make("coin-game-2coin-v1", horizon=20))
    parallel_api_test(env, num_cycles=30)
    with pytest.raises(InterplayError, match="grid_size"):
        interplay.make("coin-game-v1", grid_size=1)
    with pytest.raises(InterplayError, match="tie"):
        interplay.make("coin-game-v1", tie="blue")
