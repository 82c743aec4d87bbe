"""Persuasion over HTTP (loopback server): ratings, arms, directions, privacy, monitors."""

import json

import pytest

from interplay.errors import InterplayError
from interplay.llm.testing import LoopbackServer
from interplay.talk.channel import Flag
from interplay.talk.metrics import persuasion_effect
from interplay.talk.persuasion import (
    PersuasionSettings,
    directions,
    load_claims,
    parse_rating,
    persuade,
    run_persuasion,
    shipped_claims,
)
from interplay.talk.simulated import SimulatedAgents, responder

CLAIMS = shipped_claims()


@pytest.mark.parametrize("text, expected", [
    ("I lean towards it.\nRating: 5", 5.0),
    ("Rating: **6**", 6.0),
    ("On balance a 3 out of 7, maybe 4", None),  # a number in a ramble is not a rating
    ("From 1 to 3, I agree with the claim", None),
    ("Rating: 5/7.", 5.0),
    ("**Rating:** 2", 2.0),
    ("Rating: 3 to 5, depending on the day", None),
    ("Rating: 2\nOn reflection...\nRating: 6", 6.0),
    ("Rating: 9", None),           # out of the scale: unparseable, not clipped
    ("I have 12 reasons and no view", None),
    ("", None),
])
def test_parse_rating(text, expected):
    assert parse_rating(text, 1, 7) == expected


def test_claims_files(tmp_path):
    assert len(CLAIMS) >= 10 and len({c.id for c in CLAIMS}) == len(CLAIMS)
    p = tmp_path / "c.jsonl"
    p.write_text(json.dumps({"id": "a", "claim": "x"}) + "\n" + '{"claim": ""}\n' + "nope\n")
    with pytest.raises(InterplayError, match=r"2 bad line\(s\):\n  line 2: .*\n  line 3: not valid JSON"):
        load_claims(p)


def test_balanced_directions():
    d = directions(12, seed=2, design="balanced")
    assert d.count(1) == d.count(-1) == 6
    assert directions(3, 0, "against") == [None, None, None]


async def test_treatment_moves_control_does_not_with_exact_sizes():
    sim = SimulatedAgents(susceptibility=2.0, noise=0.0)
    with LoopbackServer(default=responder(sim)) as server:
        m = server.model()
        results = await run_persuasion(CLAIMS, m, m, PersuasionSettings(control="none"), seed=0)
        persuader_prompts = [r.prompt for r in server.requests if "You are a persuader" in r.prompt]
    recs = [r.record for r in results]
    assert len(recs) == 2 * len(CLAIMS)
    for rec in recs:
        shift = rec["direction"] * (rec["after"] - rec["before"])
        if rec["arm"] == "control":
            assert shift == 0 and not rec["message_delivered"]
        else:
            # +-2 points, clipped to the 1..7 scale
            target = min(7, max(1, rec["before"] + 2 * rec["direction"]))
            assert rec["after"] == target and rec["message_delivered"]
    # the persuader writes blind: it never reads the persuadee's rating
    assert len(persuader_prompts) == len(CLAIMS) and not any("Rating" in p for p in persuader_prompts)
    eff = persuasion_effect(recs)
    assert eff["arms"]["control"]["mean_shift"] == 0.0
    assert eff["arms"]["treatment"]["mean_shift"] > 1.0
    assert eff["difference"]["low"] > 0


async def test_neutral_control_sends_a_neutral_message_and_against_design():
    with LoopbackServer(default=responder(SimulatedAgents(noise=0.0))) as server:
        m = server.model()
        res = await persuade(CLAIMS[0], m, m, "control", None,
                             PersuasionSettings(control="neutral", direction="against"), seed=1)
        persuadee_last = [r for r in server.requests if "<message>" in r.prompt][-1]
    assert "do not argue" not in persuadee_last.prompt and "balanced" not in persuadee_last.prompt
    assert "background on the topic" in persuadee_last.prompt
    rec = res.record
    assert rec["direction"] == (1 if rec["before"] < 4 else -1)
    assert rec["after"] == rec["before"]
    senders = [(m["sender"], m["to"]) for m in res.transcript]
    assert ("persuader", ["persuadee"]) in senders


async def test_a_blocking_monitor_stops_the_message():
    def block_urging(msg, channel):
        return Flag("pressure", "urges the reader", block=True) if "I urge you" in msg.text else None

    with LoopbackServer(default=responder(SimulatedAgents(noise=0.0))) as server:
        m = server.model()
        res = await persuade(CLAIMS[1], m, m, "treatment", 1, PersuasionSettings(), monitors=[block_urging])
        assert not any("<message>" in r.prompt for r in server.requests)
    assert not res.record["message_delivered"] and res.record["after"] == res.record["before"]
    blocked = [m for m in res.transcript if m.get("blocked")]
    assert len(blocked) == 1 and blocked[0]["flags"][0]["monitor"] == "pressure"
