"""The published opponent-shaping results, re-run small (16 seeds) with widened tolerances."""

import json

import numpy as np
import pytest

from interplay.errors import InterplayError, UnknownNameError
from interplay.evaluate.reproduce import Row, list_reproductions, reproduce

SEEDS = 16


def _rows(name):
    rows = reproduce(name, seeds=SEEDS)
    bad = [r.to_dict() for r in rows if not r.ok]
    assert not bad, f"{name}: rows outside tolerance: {bad}"
    return {r.name: r for r in rows}


def test_lola_ipd_small():
    rows = _rows("lola-ipd")
    ll = rows["LOLA vs LOLA: reward per step"]
    # the floor: LOLA's cooperation is lost if the mean drops below -1.4
    assert ll.measured > -1.4 and ll.tolerance < 0.34
    assert rows["NL vs NL: reward per step"].measured < -1.85
    assert rows["LOLA vs LOLA: fraction of players tit-for-tat-like"].measured > 0.5


def test_lola_mp_small():
    rows = _rows("lola-mp")
    assert rows["LOLA vs LOLA: mean |P(heads) - 1/2| at the end"].measured < 0.05
    assert rows["NL vs NL: mean |P(heads) - 1/2| at the end"].measured > 0.3


def test_sos_ipd_small():
    rows = _rows("sos-ipd")
    assert rows["SOS vs SOS: reward per step after 100 steps"].measured > -1.4
    assert rows["NL vs NL: reward per step after 100 steps"].measured < -1.85


def test_row_logic_and_json():
    assert Row("a", -1.0, -1.1, 0.1, 0.15).ok
    assert not Row("a", -1.0, -1.2, 0.1, 0.15).ok
    assert Row("b", -1.0, -0.9, None, 0.0, "above").ok
    assert not Row("b", -1.0, -1.01, None, 0.0, "above").ok
    assert not Row("c", 0.1, 0.2, None, 0.0, "below").ok
    assert not Row("d", 0.0, float("nan"), None, 1.0).ok
    d = json.loads(json.dumps(Row("a", -1.0, -1.1, 0.1, 0.15).to_dict()))
    assert {"name", "published", "measured", "std", "tolerance"} <= set(d)


def test_listing_and_bad_names():
    names = [r.name for r in list_reproductions()]
    assert {"lola-ipd", "lola-mp", "sos-ipd", "mfos-ipd"} <= set(names)
    with pytest.raises(UnknownNameError, match="lola-ipd"):
        reproduce("lola-idp")
    with pytest.raises(InterplayError):
        reproduce("lola-mp", seeds=1)
    assert np.isfinite(reproduce("lola-mp", seeds=2)[0].measured)


def test_mfos_ipd_quick_exploits_the_naive_learner():
    rows = reproduce("mfos-ipd", seeds=SEEDS, quick=True)
    bad = [r.to_dict() for r in rows if not r.ok]
    assert not bad, bad
    by = {r.name: r for r in rows}
    assert by["M-FOS vs NL: M-FOS's reward per step (mean over meta-steps)"].measured > -1.0


def test_coin_game_rows_quick():
    """lola-coin / pola-coin --quick: naive PG stays near half own coins (the LOLA paper's claim,
    robust at any budget); every row is a finite rate or reward and names its budget."""
    names = [r.name for r in list_reproductions()]
    assert {"lola-coin", "pola-coin"} <= set(names)
    lola = {r.name: r for r in reproduce("lola-coin", quick=True)}
    assert lola["PG vs PG: own-coin rate"].ok
    pola = {r.name: r for r in reproduce("pola-coin", quick=True)}
    for r in [*lola.values(), *pola.values()]:
        assert np.isfinite(r.measured), r
        assert "updates" in r.source
    for name in ("LOLA-DiCE vs LOLA-DiCE: own-coin rate (LOLA paper, LOLA-PG)", "PG vs PG: own-coin rate"):
        assert 0.0 <= lola[name].measured <= 1.0
    assert 0.0 <= pola["POLA-DiCE vs POLA-DiCE: own-coin rate"].measured <= 1.0
    assert pola["POLA-DiCE vs POLA-DiCE: own-coin rate"].published == 0.82
