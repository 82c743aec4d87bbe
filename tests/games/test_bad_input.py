"""Bad input to games: every registered env refuses actions outside its action space (naming the
agent and the allowed actions, never paying out), bad seeds and ids; parameters are checked, not
truncated; tables too big for memory are refused with the limit."""

import math

import numpy as np
import pytest

import interplay
from interplay.errors import InterplayError
from interplay.games.checks import MAX_HORIZON, MAX_TABLE_ENTRIES
from interplay.games.pettingzoo_env import parallel_env
from interplay.games.registry import list_games

# turn-based games (Stratego) are not ParallelEnv games; tests/games/test_stratego.py checks their AEC env
ALL_IDS = [e.id for e in list_games() if e.make_example().spec.dynamics == "simultaneous"]
BAD_ACTIONS = [-1, 10**9, 1.5, "C", None, math.nan, True, [0], np.float64(0.0)]


@pytest.mark.parametrize("game_id", ALL_IDS)
def test_actions_outside_the_space_are_refused_by_every_env(game_id):
    env = parallel_env(game_id)
    env.reset(seed=0)
    agents = list(env.agents)
    n_actions = {a: int(env.action_space(a).n) for a in agents}
    state = env.state()
    for bad in [*BAD_ACTIONS, max(n_actions.values())]:  # one past the largest action index
        victim = agents[-1]
        actions = {a: 0 for a in agents} | {victim: bad}
        with pytest.raises(InterplayError) as info:
            env.step(actions)
        msg = str(info.value)
        assert repr(victim) in msg and "allowed actions" in msg, msg
        assert f"{n_actions[victim] - 1} (" in msg  # lists the last allowed action by index and name
        assert env.state() is state  # nothing was played
    # the episode still goes on with legal actions, numpy integers included
    obs, rewards, *_ = env.step({a: np.int64(n_actions[a] - 1) for a in agents})
    assert set(rewards) == set(agents)


@pytest.mark.parametrize("game_id", ["ipd-v1", "coin-game-v1", "public-goods-v1"])
def test_bad_seeds_and_action_dicts(game_id):
    env = parallel_env(game_id)
    for seed in ["abc", -1, 2**32, 1.5, True]:
        with pytest.raises(InterplayError, match=r"seed"):
            env.reset(seed=seed)
    env.reset(seed=np.int64(3))
    with pytest.raises(InterplayError, match="dict of agent"):
        env.step([0, 0])
    with pytest.raises(InterplayError, match="unknown agent"):
        env.step({a: 0 for a in env.agents} | {"intruder": 0})


@pytest.mark.parametrize("bad", [None, 3, ["ipd-v1"]])
def test_make_needs_a_name(bad):
    with pytest.raises(InterplayError, match="game id must be a name"):
        interplay.make(bad)
    with pytest.raises(InterplayError, match="game id must be a name"):
        parallel_env(bad)


@pytest.mark.parametrize("params,needle", [
    ({"horizon": 2.5}, "horizon must be a whole number in [1, 1,000,000], got 2.5 (not truncated)"),
    ({"horizon": 1e300}, "horizon must be a whole number"),
    ({"horizon": 0}, "horizon must be a whole number"),
    ({"horizon": True}, "horizon must be a whole number"),
    ({"horizon": "10"}, "horizon must be a whole number"),
    ({"discount": math.nan}, "discount must be in [0, 1)"),
    ({"discount": math.inf}, "discount must be in [0, 1)"),
    ({"noise": -0.1}, "noise must be in [0, 0.5]"),
    ({"end_prob": 1.0}, "end_prob must be in [0, 1)"),
    ({"T": 1e12}, "payoffs must be within"),
])
def test_iterated_parameters_are_checked_not_truncated(params, needle):
    with pytest.raises(InterplayError) as info:
        interplay.make("ipd-v1", **params)
    assert needle in str(info.value)


def test_horizon_limit_is_allowed():
    assert interplay.make("ipd-v1", horizon=float(MAX_HORIZON)).horizon == MAX_HORIZON
    assert interplay.make("ipd-v1", horizon=7.0).horizon == 7  # a whole float is its integer


@pytest.mark.parametrize("game_id", ["public-goods-v1", "volunteers-dilemma-v1"])
def test_too_many_players_refused_with_the_limit(game_id):
    with pytest.raises(InterplayError) as info:
        interplay.make(game_id, num_players=30)
    msg = str(info.value)
    assert "30 players" in msg and f"{MAX_TABLE_ENTRIES:,}" in msg and "at most 16 players" in msg
    # the largest allowed size works and is the dense table the message promises
    game = interplay.make(game_id, num_players=16)
    assert game.payoffs.size == 16 * 2**16 <= MAX_TABLE_ENTRIES
    with pytest.raises(InterplayError, match="num_players must be a whole number"):
        interplay.make(game_id, num_players=2.5)


@pytest.mark.parametrize("params", [{"grid_size": 1}, {"grid_size": 3.5}, {"horizon": -1}, {"horizon": 1e300}])
def test_coin_game_parameters(params):
    with pytest.raises(InterplayError, match=next(iter(params))):
        interplay.make("coin-game-v1", **params)
