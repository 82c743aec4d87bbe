"""The strategy library against the Axelrod library (axelrod 4.14), the reference it follows.

Deterministic strategies must produce the same actions as the Axelrod implementation in real
matches against many opponents and against fixed random sequences; declared properties must
equal the Axelrod classifier's; memory-one vectors must equal the Axelrod four-vectors.
"""

from __future__ import annotations

import math

import axelrod as axl
import numpy as np
import pytest

from interplay.agents.strategies import LIBRARY, Context, get
from interplay.agents.strategies.families import _MemoryOneBase
from interplay.evaluate.tournament import run_tournament

TURNS = 40
CTX = Context(turns=TURNS)
REFERENCED = [s for s in LIBRARY if s.axelrod]
DETERMINISTIC = [s for s in REFERENCED if not s.stochastic]
# opponents with varied behaviour (deterministic, so matches are reproducible)
OPPONENTS = ["TitForTat", "Defector", "Alternator", "CyclerCCD", "SuspiciousTitForTat", "Grudger",
             "WinStayLoseShift", "Prober", "EvolvedFSM4", "Gradual", "TF1"]
SEQUENCES = [np.random.default_rng(k).integers(0, 2, TURNS).tolist() for k in range(4)]


def _ax(name: str) -> axl.Player:
    return getattr(axl, name)()


def _to_int(actions) -> list[int]:
    return [0 if a == axl.Action.C else 1 for a in actions]


def _axelrod_vs(player: str, opponent: axl.Player) -> tuple[list[int], list[int]]:
    match = axl.Match((_ax(player), opponent), turns=TURNS)
    match.play()
    p, o = match.players
    return _to_int(p.history), _to_int(o.history)


def test_library_is_large_and_named_as_axelrod():
    assert len(LIBRARY) >= 60
    for s in REFERENCED:
        ref = _ax(s.axelrod)
        assert s.name in (ref.name, str(ref)), s.name
        assert get(str(ref)) is s  # the Axelrod library's display name resolves to the same strategy


@pytest.mark.parametrize("strategy", DETERMINISTIC, ids=lambda s: s.name)
def test_deterministic_actions_match_axelrod(strategy):
    for opp in OPPONENTS:
        mine, theirs = _axelrod_vs(strategy.axelrod, _ax(opp))
        assert strategy.play(theirs, CTX) == mine, f"{strategy.name} vs {opp}"
    for seq in SEQUENCES:
        mock = axl.MockPlayer(actions=[axl.Action.C if a == 0 else axl.Action.D for a in seq])
        mine, theirs = _axelrod_vs(strategy.axelrod, mock)
        assert strategy.play(theirs, CTX) == mine, f"{strategy.name} vs sequence {seq}"


@pytest.mark.parametrize("strategy", REFERENCED, ids=lambda s: s.name)
def test_declared_properties_match_axelrod_classifier(strategy):
    ref = _ax(strategy.axelrod).classifier
    assert strategy.stochastic == ref["stochastic"]
    assert strategy.memory_depth == ref["memory_depth"] or (math.isinf(strategy.memory_depth)
                                                            and math.isinf(ref["memory_depth"]))
    if not strategy.per_turn:
        assert strategy.machine(CTX).deterministic == (not strategy.stochastic)


@pytest.mark.parametrize("strategy", [s for s in REFERENCED if isinstance(s.rule, _MemoryOneBase)],
                         ids=lambda s: s.name)
def test_memory_one_vectors_match_axelrod(strategy):
    player = _ax(strategy.axelrod)
    vec = strategy.rule.vector(Context())
    if hasattr(player, "_four_vector"):
        player.set_match_attributes(game=axl.Game())
        if hasattr(player, "receive_match_attributes"):
            player.receive_match_attributes()
        C, D = axl.Action.C, axl.Action.D
        ref = [player._four_vector[k] for k in [(C, C), (C, D), (D, C), (D, D)]]
        np.testing.assert_allclose(vec[1:], ref, atol=1e-12)
        assert vec[0] == (1.0 if player._initial == C else 0.0)


def test_every_quick_axelrod_strategy_is_in_the_library():
    quick = {c.__name__ for c in axl.short_run_time_strategies}
    ours = {s.axelrod for s in REFERENCED}
    assert quick <= ours, sorted(quick - ours)
    assert len(quick) == 224


def test_payoff_matrix_equals_axelrod_for_every_deterministic_strategy():
    # one round robin of all deterministic strategies, 200 turns (length-aware ones see the end): every
    # entry of the payoff matrix must be equal, not close
    ours = run_tournament(DETERMINISTIC, turns=200, repetitions=1)
    ref = axl.Tournament([_ax(s.axelrod) for s in DETERMINISTIC], turns=200, repetitions=1).play(
        progress_bar=False)
    diff = np.abs(ours.payoff_matrix - np.array(ref.payoff_matrix))
    bad = [(DETERMINISTIC[i].name, DETERMINISTIC[j].name) for i, j in zip(*np.nonzero(diff))]
    assert not bad, bad[:10]
    assert len(DETERMINISTIC) >= 150
