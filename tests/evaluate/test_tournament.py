"""Tournaments: identical results to the Axelrod library for deterministic strategies, exact
expectations for stochastic ones, reproducibility, and per-turn players in the same result."""

from __future__ import annotations

import asyncio

import axelrod as axl
import numpy as np
import pytest

import interplay.evaluate.tournament as tour
from interplay.agents.strategies import Context, get
from interplay.errors import InterplayError, UnknownNameError
from interplay.evaluate.tournament import TournamentSettings, match_actions, run_tournament
from interplay.games.iterated import transition

DETERMINISTIC = ["Tit For Tat", "Defector", "Cooperator", "Grudger", "Alternator", "Tit For 2 Tats", "Prober",
                 "Adaptive", "Cycler CCD", "Evolved FSM 16", "Gradual", "Soft Go By Majority", "Handshake",
                 "Fortress4", "Win-Stay Lose-Shift", "Hard Tit For Tat", "Omega TFT", "Forgiving Tit For Tat",
                 "Winner12", "AON2", "ThueMorse", "Tricky Cooperator", "Appeaser", "TF3"]


def test_deterministic_tournament_equals_axelrod():
    res = run_tournament(DETERMINISTIC, turns=60, repetitions=2)
    ref = axl.Tournament([getattr(axl, get(n).axelrod)() for n in DETERMINISTIC], turns=60,
                         repetitions=2).play(progress_bar=False)
    np.testing.assert_array_equal(res.payoff_matrix, np.array(ref.payoff_matrix))
    np.testing.assert_array_equal(res.scores, np.array(ref.scores))
    np.testing.assert_array_equal(res.wins, np.array(ref.wins))
    np.testing.assert_allclose(res.normalised_scores, np.array(ref.normalised_scores), rtol=1e-12)
    np.testing.assert_allclose(res.normalised_cooperation, np.array(ref.normalised_cooperation), rtol=1e-12)
    # the same ranking up to the order of exact ties (equal median scores, computed in another float order)
    ours = np.median(res.normalised_scores, axis=1)
    theirs = dict(zip(ref.players, np.median(np.array(ref.normalised_scores), axis=1)))
    np.testing.assert_allclose([ours[res.players.index(n)] for n in res.ranked_names],
                               [theirs[p] for p in [ref.players[k] for k in ref.ranking]], rtol=1e-12)
    sd = np.array([[[c[(axl.Action.C, axl.Action.C)], c[(axl.Action.C, axl.Action.D)],
                     c[(axl.Action.D, axl.Action.C)], c[(axl.Action.D, axl.Action.D)]] for c in row]
                   for row in ref.state_distribution], dtype=float)
    off = ~np.eye(len(DETERMINISTIC), dtype=bool)
    np.testing.assert_array_equal(res.state_distribution[off], sd[off])


def _expected_per_turn(p1, p2, turns, noise=0.0):
    """Exact expected mean payoff per turn of player 1 over a fixed-length match (Markov chain)."""
    p0, P = transition(np.asarray(p1, np.float32), np.asarray(p2, np.float32), noise)
    p0, P = np.asarray(p0, np.float64), np.asarray(P, np.float64)
    dist, total = p0, 0.0
    for _ in range(turns):
        total += dist @ [3.0, 0.0, 5.0, 1.0]
        dist = dist @ P
    return total / turns


@pytest.mark.parametrize("noise", [0.0, 0.05])
def test_stochastic_means_match_the_exact_markov_chain(noise):
    players = ["Random: 0.5", "GTFT", "ZD-Extort-2", "Tit For Tat", "Stochastic WSLS"]
    reps = 400
    res = run_tournament(players, turns=30, repetitions=reps, noise=noise, seed=3)
    for i, a in enumerate(players):
        for j, b in enumerate(players):
            if i == j:
                continue
            va, vb = (np.array(get(x).rule.vector(Context())) for x in (a, b))
            exact = _expected_per_turn(va, vb, 30, noise)
            se = max(res.payoff_stddevs[i, j] / np.sqrt(reps), 1e-3)
            assert abs(res.payoff_matrix[i, j] - exact) < 4.5 * se, (a, b, res.payoff_matrix[i, j], exact)


def test_end_probability_gives_geometric_lengths():
    p, turns, reps = 0.1, 50, 1000
    res = run_tournament(["Tit For Tat", "Defector"], turns=turns, repetitions=reps, prob_end=p, seed=1)
    mean_len = res.match_lengths[0, 1] / reps
    expected = (1 - (1 - p) ** turns) / p  # mean of a geometric length truncated at `turns`
    assert abs(mean_len - expected) < 4 * np.sqrt((1 - p) / p**2 / reps)


def test_same_seed_same_tournament_and_blocks_do_not_matter(monkeypatch):
    players = ["Random: 0.5", "Tit For Tat", "Average Copier", "Defector"]
    a = run_tournament(players, turns=40, repetitions=6, noise=0.02, seed=11)
    monkeypatch.setattr(tour, "BLOCK_MATCHES", 10)  # forces one repetition per block
    b = run_tournament(players, turns=40, repetitions=6, noise=0.02, seed=11)
    c = run_tournament(players, turns=40, repetitions=6, noise=0.02, seed=12)
    np.testing.assert_array_equal(a.scores, b.scores)
    np.testing.assert_array_equal(a.state_distribution, b.state_distribution)
    assert not np.array_equal(a.scores, c.scores)


class PyTitForTat:
    """A per-turn player written as plain Python (the Player protocol LLM agents follow)."""

    name = "py-tft"

    async def act(self, view):
        return view.history[-1][1 - view.seat] if view.history else 0


class AsyncGrudger:
    name = "async-grudger"

    async def act(self, view):
        await asyncio.sleep(0)
        return 1 if any(joint[1 - view.seat] == 1 for joint in view.history) else 0


def test_per_turn_players_merge_into_the_same_result():
    field = ["Defector", "Alternator", "Cycler CCD", "Suspicious Tit For Tat"]
    res = run_tournament([PyTitForTat(), AsyncGrudger(), *field], turns=25, repetitions=2)
    ref = run_tournament(["Tit For Tat", "Grudger", *field], turns=25, repetitions=2)
    np.testing.assert_array_equal(res.payoff_matrix, ref.payoff_matrix)
    np.testing.assert_array_equal(res.wins, ref.wins)
    assert res.players[:2] == ["py-tft", "async-grudger"]


def test_match_actions_records_actions_and_respects_payoffs():
    joint = match_actions("Tit For Tat", "Alternator", turns=6)
    assert [a for a, _ in joint] == [0, 0, 1, 0, 1, 0] and [b for _, b in joint] == [0, 1, 0, 1, 0, 1]
    res = run_tournament(["Cooperator", "Defector"], turns=10, repetitions=1, payoffs=(4, -1, 6, 0))
    assert res.payoff_matrix[0, 1] == -1 and res.payoff_matrix[1, 0] == 6 and res.payoff_matrix[0, 0] == 4


def test_results_dict_and_metrics():
    res = run_tournament(["Cooperator", "Tit For Tat", "Defector"], turns=20, repetitions=1)
    d = res.to_dict()
    assert d["players"] == ["Cooperator", "Tit For Tat", "Defector"]
    assert d["ranked_names"][0] == "Defector"
    m = d["metrics"]
    # welfare over distinct pairs: C-TFT 6, C-D 5, TFT-D (0 + 19 x 1 + 5 + 19 x 1) / 20 = 2.15
    assert m["social_welfare"] == pytest.approx((6 + 5 + 2.15) / 3)
    assert m["efficiency"] == pytest.approx(m["social_welfare"] / 6)


def test_bad_input_raises_named_errors():
    with pytest.raises(UnknownNameError, match="Tit For Tat"):
        run_tournament(["Tit For Tatt", "Defector"])
    with pytest.raises(InterplayError, match="unique"):
        run_tournament(["Defector", "ALLD"])
    with pytest.raises(InterplayError, match="noise"):
        TournamentSettings(noise=0.7)
    with pytest.raises(InterplayError, match="at least 2"):
        run_tournament(["Defector"])
