"""Stochastic library strategies against the Axelrod library (axelrod 4.14), in distribution.

For every stochastic strategy that reproduces an Axelrod one, both libraries play it against a
panel of opponents (Axelrod's own ``Tournament``, restricted to those pairings with ``edges``,
same turns, repetitions and noise) and the per-pairing mean payoffs per turn must agree within
a confidence interval: |mean_ours - mean_axelrod| <= Z * sqrt((sd_ours^2 + sd_axelrod^2) / R).
Z = 5 leaves a false-alarm chance below 1e-6 a pairing (well under 1e-3 over all of them), and
the seeds are fixed, so the test is reproducible; a wrong rule (a probability, a threshold, a
branch) moves the mean by many standard errors at these sizes. The complete check (more
repetitions, 200 turns, every pairing) is ``benchmarks/axelrod_stochastic.py``.
"""

from __future__ import annotations

import axelrod as axl
import numpy as np
import pytest

from interplay.agents.strategies import LIBRARY
from interplay.evaluate.tournament import run_tournament

TURNS, REPS, Z = 60, 40, 5.0
PANEL = ["TitForTat", "Defector", "Alternator", "Grudger", "WinStayLoseShift", "Random"]
STOCHASTIC = [s for s in LIBRARY if s.axelrod and s.stochastic]


def _compare(strategy, noise: float, seed: int) -> list[str]:
    from interplay.agents.strategies import get

    panel = [p for p in PANEL if p != strategy.axelrod]
    ours_players = [strategy] + [get(str(getattr(axl, p)())) for p in panel]
    ours = run_tournament(ours_players, turns=TURNS, repetitions=REPS, noise=noise, self_play=False, seed=seed)
    ref_players = [getattr(axl, strategy.axelrod)()] + [getattr(axl, p)() for p in panel]
    edges = [(0, j) for j in range(1, len(ref_players))]
    ref = axl.Tournament(ref_players, turns=TURNS, repetitions=REPS, noise=noise, edges=edges, seed=seed).play(
        progress_bar=False)
    bad = []
    for j, opp in enumerate(panel, start=1):
        m1, s1 = ours.payoff_matrix[0][j], ours.payoff_stddevs[0][j]
        m2, s2 = ref.payoff_matrix[0][j], ref.payoff_stddevs[0][j]
        se = np.sqrt((s1**2 + s2**2) / REPS)
        if abs(m1 - m2) > max(Z * se, 1e-9):
            bad.append(f"{strategy.name} vs {opp}: ours {m1:.4f} (sd {s1:.3f}), axelrod {m2:.4f} (sd {s2:.3f})")
    return bad


def test_every_stochastic_axelrod_strategy_is_checked():
    assert len(STOCHASTIC) >= 70


@pytest.mark.parametrize("strategy", STOCHASTIC, ids=lambda s: s.name)
def test_stochastic_strategy_matches_axelrod_in_distribution(strategy):
    assert not _compare(strategy, noise=0.0, seed=1)


@pytest.mark.parametrize("strategy", STOCHASTIC[::4], ids=lambda s: s.name)
def test_stochastic_strategy_matches_axelrod_with_noise(strategy):
    assert not _compare(strategy, noise=0.05, seed=2)
