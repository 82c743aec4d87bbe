"""The Learner protocol, the one result record, and the Game protocol that make's games satisfy."""

import json

import numpy as np
import pytest
import yaml

import interplay
from interplay.agents.learners import LOLA, FixedPolicy, Learner, NaiveLearner, differentiable, train_exact
from interplay.agents.learners.dice import DiCEConfig
from interplay.agents.learners.mfos import MFOSConfig
from interplay.agents.learners.pola import POLAConfig, train_pola_coin
from interplay.agents.learners.protocol import FAMILIES, FORMS, check_pairing, game_form, tit_for_tat_like
from interplay.errors import InterplayError
from interplay.games import Game
from interplay.run.opponent_shaping import LEARNERS
from interplay.run.runner import load_config, run_experiment


@pytest.mark.parametrize("gid", ["prisoners-dilemma-v1", "ipd-v1", "coin-game-v1", "coin-game-2coin-v1",
                                 "stratego-barrage-v1"])
def test_made_games_satisfy_the_game_protocol(gid):
    game = interplay.make(gid)
    assert isinstance(game, Game)
    assert game.spec.id == gid


def test_every_learner_declares_its_options():
    for cls in LEARNERS:
        lr = cls() if cls is not FixedPolicy else cls(policy="Tit For Tat")
        assert isinstance(lr, Learner)
        assert lr.family in FAMILIES and lr.forms <= set(FORMS) and lr.opponents <= set(FAMILIES)
        assert lr.label()
    assert not FixedPolicy(policy="Defector").learns and MFOSConfig.first_seat_only


def test_learners_take_what_make_returns_and_say_what_they_need():
    made = interplay.make("ipd-v1", convention="lola", discount=0.96)
    a = train_exact(made, LOLA(), NaiveLearner(), num_seeds=3, num_updates=20, seed=4)
    b = train_exact(differentiable(made), LOLA(), NaiveLearner(), num_seeds=3, num_updates=20, seed=4)
    np.testing.assert_array_equal(a.headline, b.headline)
    assert a.learners == ("LOLA", "NL") and a.form == "iterated" and a.config["seed"] == 4
    # the headline is the reward per step after the last update, of the recorded policies
    for s in range(3):
        np.testing.assert_allclose(a.headline[s], made.average_rewards(a.policies[0][s, -1], a.policies[1][s, -1]),
                                   rtol=1e-4)
    with pytest.raises(InterplayError, match="pg, lola-dice, pola-dice") as err:
        train_exact(interplay.make("coin-game-v1"), LOLA(), LOLA())
    assert "iterated 2x2 game" in str(err.value)
    with pytest.raises(InterplayError, match=r"make\('coin-game-v1'\)"):
        train_pola_coin(made, POLAConfig(), POLAConfig())


def test_tit_for_tat_criterion_written_once():
    pols = np.array([[1, 1, 0, 1, 0], [0.5, 0.9, 0.1, 0.8, 0.2], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1]], float)
    assert tit_for_tat_like(pols).tolist() == [True, True, False, False]
    run = train_exact(interplay.make("ipd-v1", convention="lola"), NaiveLearner(), FixedPolicy(policy="Tit For Tat"),
                      num_seeds=2, num_updates=3)
    assert run.tft_like()[:, 1].all()
    np.testing.assert_array_equal(run.tft_like(), tit_for_tat_like(run.final_policies()))


def test_pairing_rules_come_from_the_declarations():
    ipd, coin, mp = interplay.make("ipd-v1"), interplay.make("coin-game-v1"), interplay.make("matching-pennies-v1")
    cases = [
        (ipd, (NaiveLearner(), MFOSConfig()), "M-FOS must sit in the first seat"),
        (ipd, (MFOSConfig(), FixedPolicy(policy="Defector")), "its opponent cannot be fixed"),
        (ipd, (NaiveLearner(), DiCEConfig(kind="pg")), "sampled-play learners \\(pg\\) play each other only"),
        (coin, (LOLA(), DiCEConfig()), "on the coin game only sampled-play learners \\(pg, lola-dice, pola-dice\\)"),
        (mp, (MFOSConfig(), NaiveLearner()), "mfos plays iterated 2x2 games only"),
        (ipd, (POLAConfig(), POLAConfig()), "pola-dice plays coin games only"),
        (coin, (POLAConfig(policy="feedforward"), POLAConfig()), "learned value comes with the GRU"),
    ]
    for game, pair, match in cases:
        with pytest.raises(InterplayError, match=match):
            check_pairing(game, pair, "pairings[0]", list(LEARNERS))
    check_pairing(coin, (POLAConfig(), DiCEConfig(kind="pg")), "pairings[0]", list(LEARNERS))
    assert (game_form(ipd), game_form(coin), game_form(mp)) == ("iterated", "coin", "matrix")


def test_pola_dice_on_the_coin_game_from_yaml(tmp_path):
    small = {"hidden": 8, "inner_steps": 1, "outer_steps": 1}
    cfg = {"kind": "opponent-shaping", "name": "t", "seeds": 2, "updates": 2, "rollout_batch": 4, "rollout_length": 5,
           "game": {"id": "coin-game-v1"},
           "pairings": [{"learners": [{"kind": "pola-dice", **small}, {"kind": "pola-dice", **small}]},
                        {"learners": [{"kind": "pola-dice", **small}, {"kind": "pg"}]}]}
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(cfg))
    run_dir = run_experiment(load_config(path, []), tmp_path / "out", quiet=True)
    res = json.loads((run_dir / "results.json").read_text())["pairings"]
    assert list(res) == ["POLA-DiCE vs POLA-DiCE", "POLA-DiCE vs PG"]
    for row in res.values():
        assert len(row["curve_own_coin_rate"]) == 2
        assert all(0.0 <= x <= 1.0 for x in np.asarray(row["curve_own_coin_rate"]).ravel())
