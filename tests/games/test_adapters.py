"""PettingZoo conformance over the whole registry; OpenSpiel in both directions."""

import numpy as np
import pytest
from pettingzoo.test import parallel_api_test, parallel_seed_test

import interplay
from interplay.games.openspiel import from_openspiel, to_openspiel
from interplay.games.pettingzoo_env import parallel_env
from interplay.games.registry import list_games
from interplay.games.spec import Dynamics

# turn-based games (Stratego) have their own AEC env, tested with pettingzoo's api_test in their tests
ALL_IDS = [e.id for e in list_games() if e.make_example().spec.dynamics is Dynamics.SIMULTANEOUS]


@pytest.mark.parametrize("game_id", ALL_IDS)
def test_pettingzoo_api_and_seeding(game_id):
    parallel_api_test(parallel_env(game_id), num_cycles=200)
    parallel_seed_test(lambda: parallel_env(game_id), num_cycles=50)


def test_pettingzoo_rewards_follow_the_payoffs():
    env = parallel_env("ipd-v1", convention="lola", horizon=3)
    obs, _ = env.reset(seed=0)
    assert obs == {"player_0": 0, "player_1": 0}  # start state
    obs, rew, term, trunc, _ = env.step({"player_0": 0, "player_1": 1})  # C, D
    assert rew == {"player_0": -3.0, "player_1": 0.0}
    assert obs == {"player_0": 2, "player_1": 3}  # own view: CD for player 0, DC for player 1
    env.step({"player_0": 1, "player_1": 1})
    _, _, term, trunc, _ = env.step({"player_0": 1, "player_1": 1})
    assert all(trunc.values()) and env.agents == []


def test_pettingzoo_different_seeds_differ_under_noise():
    def play(seed):
        env = parallel_env("ipd-v1", noise=0.5, horizon=30)
        env.reset(seed=seed)
        out = []
        while env.agents:
            obs, *_ = env.step({a: 0 for a in env.agents})
            out.append(tuple(obs.values()))
        return out

    assert play(1) == play(1)
    assert play(1) != play(2)


@pytest.mark.parametrize("name", ["matrix_sh", "matrix_pd", "matrix_rps", "matrix_mp", "matrix_bos"])
def test_openspiel_roundtrip(name):
    import pyspiel

    ours = interplay.make(f"openspiel:{name}")
    ref = pyspiel.load_game(name)
    for joint in ours.joint_actions():
        state = ref.new_initial_state()
        state.apply_actions(list(joint))
        np.testing.assert_allclose(ours.payoff(joint), state.returns())
    back = from_openspiel_game(to_openspiel(ours))
    np.testing.assert_allclose(back, ours.payoffs)


def from_openspiel_game(game):
    n = game.num_players()
    root = game.new_initial_state()
    sizes = [len(root.legal_actions(p)) for p in range(n)]
    out = np.zeros((n, *sizes))
    for joint in np.ndindex(*sizes):
        s = game.new_initial_state()
        s.apply_actions(list(joint))
        out[(slice(None), *joint)] = s.returns()
    return out


@pytest.mark.parametrize("game_id", ["prisoners-dilemma-v1", "public-goods-v1", "volunteers-dilemma-v1", "rps-v1"])
def test_export_to_openspiel_gives_the_same_payoffs(game_id):
    ours = interplay.make(game_id)
    exported = to_openspiel(ours)
    np.testing.assert_allclose(from_openspiel_game(exported), ours.payoffs)
    assert exported.num_players() == ours.num_players


def test_openspiel_evaluation_on_an_exported_game():
    """OpenSpiel's NashConv of the uniform policy: 0 in matching pennies (it is the
    equilibrium); 1.5 in the tournament PD (each player gains 3 - 2.25 by defecting)."""
    import pyspiel
    from open_spiel.python import policy
    from open_spiel.python.algorithms import exploitability

    for game_id, expected in (("matching-pennies-v1", 0.0), ("pd-v1", 1.5)):
        game = pyspiel.convert_to_turn_based(to_openspiel(interplay.make(game_id)))
        assert exploitability.nash_conv(game, policy.UniformRandomPolicy(game)) == pytest.approx(expected)


def test_openspiel_errors():
    with pytest.raises(interplay.InterplayError, match="cannot load"):
        from_openspiel("no_such_game")
    with pytest.raises(interplay.InterplayError, match="one-shot simultaneous"):
        from_openspiel("tic_tac_toe")
