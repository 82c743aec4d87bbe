"""Strategy library: expected action sequences against fixed opponents, machine compilation,
declared properties, and zero-determinant theory."""

from __future__ import annotations

import numpy as np
import pytest

from interplay.agents.strategies import LIBRARY, Context, get, memory_one_strategy, names, resolve_strategy
from interplay.agents.strategies.core import minimise
from interplay.agents.strategies.families import FSM, Lookup
from interplay.errors import InterplayError, UnknownNameError
from interplay.games.iterated import transition

CTX = Context(turns=30)


def seq(s: str) -> list[int]:
    return [0 if ch == "C" else 1 for ch in s]


def plays(name: str, opponent: str) -> str:
    return "".join("CD"[a] for a in get(name).machine(CTX).play(seq(opponent)))


@pytest.mark.parametrize(("name", "opponent", "expected"), [
    ("Tit For Tat", "CDDCC", "CCDDC"),
    ("Suspicious Tit For Tat", "CDDCC", "DCDDC"),
    ("Grudger", "CDCCC", "CCDDD"),
    ("Tit For 2 Tats", "DDCDD", "CCDCC"),
    ("Two Tits For Tat", "DCCCD", "CDDCC"),
    ("Hard Tit For Tat", "DCCCCC", "CDDDCC"),
    ("Win-Stay Lose-Shift", "CDDCD", "CCDCC"),
    ("Alternator", "CCCCC", "CDCDC"),
    ("Cycler CCD", "DDDDDD", "CCDCCD"),
    ("Prober", "CCCCCC", "DCCDDD"),
    ("Prober", "DDDCCC", "DCCDCC"),
    ("Handshake", "CDCCCC", "CDCCCC"),
    ("Handshake", "CCCCCC", "CDDDDD"),
    ("Adaptive", "C" * 14, "CCCCCCDDDDDDDD"),
    ("Gradual", "DCCCCDDCCCC", "CDCCCCDDCCC"),
    ("Soft Grudger", "DCCCCCCC", "CDDDDCCC"),
    ("Fortress3", "DDCCDC", "DDCCCD"),
    ("Detective", "CCCCCD", "CDCCDD"),
])
def test_expected_action_sequences(name, opponent, expected):
    assert plays(name, opponent) == expected


def test_memory_one_vector_enters_like_the_named_strategy():
    tft = memory_one_strategy([1, 1, 0, 1, 0], name="learned TFT")
    opp = seq("CDDCDCCD")
    assert tft.machine(CTX).play(opp) == get("Tit For Tat").machine(CTX).play(opp)
    assert not tft.stochastic and tft.kind == "memory-one"
    assert resolve_strategy([0.5] * 5).stochastic
    with pytest.raises(InterplayError, match="5 probabilities"):
        memory_one_strategy([1, 1, 0, 1])
    with pytest.raises(InterplayError, match="5 probabilities"):
        memory_one_strategy([1, 1, 0, 1, 2])


def test_unknown_name_lists_close_matches():
    with pytest.raises(UnknownNameError) as err:
        get("Tit For Tatt")
    assert "'Tit For Tat'" in str(err.value) and "interplay strategies" in str(err.value)
    assert get("tit for tat") is get("TFT") is get("Tit For Tat")
    assert get("Generous Tit For Tat").name == "GTFT"


def test_machines_are_minimal_for_simple_rules():
    # grudger keeps the full count of defections in its rule, minimisation leaves two states
    assert get("Grudger").machine(CTX).num_states == 2
    assert get("Tit For Tat").machine(CTX).num_states == 2
    assert get("Cooperator").machine(CTX).num_states == 1
    assert get("Cycler CCCD").machine(CTX).num_states == 4
    # two equivalent copies of a state merge
    coop = np.array([1.0, 0.0, 0.0])
    nxt = np.array([[[0, 1], [0, 2]], [[0, 2], [0, 1]], [[0, 1], [0, 2]]])
    assert minimise(coop, nxt).num_states == 2


def test_declared_properties_are_consistent():
    assert len(names()) == len(set(names())) >= 60
    for s in LIBRARY:
        assert s.origin and s.origin.endswith(".")
        if s.per_turn:
            assert s.kind == "per-turn"
            with pytest.raises(InterplayError, match="turn by turn"):
                s.machine(CTX)
            continue
        m = s.machine(CTX)
        assert m.deterministic == (not s.stochastic), s.name
        assert m.coop.min() >= 0 and m.coop.max() <= 1
        assert m.next.min() >= 0 and m.next.max() < m.num_states


def test_bad_source_forms_raise_named_errors():
    with pytest.raises(InterplayError, match="transition"):
        FSM("0C0", "0C").machine(CTX)
    with pytest.raises(InterplayError, match="both C and D"):
        FSM("0C0C", "0C").machine(CTX)
    with pytest.raises(InterplayError, match="entries"):
        Lookup(1, 1, (1.0, 0.0), "C")


def test_length_of_noisy_machines_covers_both_actions():
    # with noise a deterministic strategy's unplayed action can happen: its edges must be real
    m = get("Tit For 2 Tats").machine(Context(turns=30, noisy=True))
    assert m.play(seq("DD")) == seq("CC")


@pytest.mark.parametrize(("name", "chi"), [("ZD-Extort-2", 2.0), ("ZD-Extort3", 3.0), ("ZD-Extort-4", 4.0)])
def test_zero_determinant_strategies_enforce_their_linear_relation(name, chi):
    """Press and Dyson (2012): an extortioner X enforces s_X - P = chi (s_Y - P) against any Y."""
    vec = np.array(get(name).rule.vector(Context()))
    rng = np.random.default_rng(0)
    for _ in range(5):
        y = rng.uniform(0.05, 0.95, 5)
        _, P = transition(vec, y)
        P = np.asarray(P, dtype=np.float64)
        P /= P.sum(1, keepdims=True)
        # stationary distribution over CC, CD, DC, DD: left eigenvector of P for eigenvalue 1
        w, v = np.linalg.eig(P.T)
        pi = np.real(v[:, np.argmin(np.abs(w - 1))])
        pi /= pi.sum()
        sx, sy = pi @ [3.0, 0.0, 5.0, 1.0], pi @ [3.0, 5.0, 0.0, 1.0]
        assert sx - 1.0 == pytest.approx(chi * (sy - 1.0), abs=1e-4)
