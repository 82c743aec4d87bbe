"""The channel: who receives what, monitors, and graphs of who reads whom."""

import pytest

from interplay.errors import InterplayError
from interplay.talk.channel import Channel, Flag, graph_neighbours


def test_visibility_public_private_and_judge_reach_exactly_their_readers():
    ch = Channel(["a", "b", "c"], judges=["J"])
    pub = ch.post("a", "hello all")
    priv = ch.post("b", "psst", visibility="private", to=["c"])
    jud = ch.post("c", "for the judge", visibility="judge")
    assert pub.to == ("b", "c", "J")
    assert priv.to == ("c",)
    assert jud.to == ("J",)
    inbox = {m: [x.text for x in ch.inbox(m)] for m in ch.members}
    assert inbox == {"a": [], "b": ["hello all"], "c": ["hello all", "psst"],
                     "J": ["hello all", "for the judge"]}
    # a sender always sees its own messages in its view, never in its inbox
    assert [x.text for x in ch.view("b")] == ["hello all", "psst"]


def test_rounds_are_recorded_and_filterable():
    ch = Channel(["a", "b"])
    ch.post("a", "r0")
    ch.next_round()
    ch.post("a", "r1")
    ch.post("b", "r1b", round=7)
    assert [m.round for m in ch.log] == [0, 1, 7]
    assert [m.turn for m in ch.log] == [0, 1, 2]
    assert [m.text for m in ch.inbox("b", round=1)] == ["r1"]


def test_monitors_flag_and_block_before_delivery():
    seen = []

    def logger(msg, channel):
        seen.append((msg.sender, msg.text))

    def no_secrets(msg, channel):
        if "password" in msg.text:
            return Flag("secrets", "mentions a password", block=True)
        if "!" in msg.text:
            return [Flag("tone", "exclamation")]
        return None

    ch = Channel(["a", "b"], monitors=[logger, no_secrets])
    ok = ch.post("a", "fine")
    loud = ch.post("a", "wow!")
    bad = ch.post("a", "the password is 1234", visibility="private", to="b")
    assert seen == [("a", "fine"), ("a", "wow!"), ("a", "the password is 1234")]
    assert not ok.flags and not loud.blocked and loud.flags[0].monitor == "tone"
    assert bad.blocked and bad.flags[0].reason == "mentions a password"
    assert [m.text for m in ch.inbox("b")] == ["fine", "wow!"]  # the blocked one never arrives
    assert [m.text for m in ch.view("a")] == ["fine", "wow!", "the password is 1234"]
    rec = ch.transcript()[2]
    assert rec["blocked"] is True and rec["flags"] == [{"monitor": "secrets", "reason": "mentions a password",
                                                        "block": True}]
    assert [m.turn for m in ch.flagged()] == [1, 2]


def test_bad_monitor_verdict_and_bad_posts_raise_named_errors():
    ch = Channel(["a", "b"], monitors=[lambda m, c: "nope"])
    with pytest.raises(InterplayError, match="expected a Flag"):
        ch.post("a", "x")
    ch = Channel(["a", "b"])
    with pytest.raises(InterplayError, match="needs recipients"):
        ch.post("a", "x", visibility="private")
    with pytest.raises(InterplayError, match="not on the channel"):
        ch.post("a", "x", visibility="private", to=["zed"])
    with pytest.raises(InterplayError, match="no judge"):
        ch.post("a", "x", visibility="judge")
    with pytest.raises(InterplayError, match="unknown sender"):
        ch.post("zed", "x")
    with pytest.raises(InterplayError, match="distinct"):
        Channel(["a", "a"])


def test_transcript_record_has_the_viewer_fields():
    ch = Channel(["a", "b"])
    ch.post("a", "I say 4", answer="4", model="m1")
    rec = ch.transcript()[0]
    assert rec == {"sender": "a", "to": ["b"], "visibility": "public", "round": 0, "turn": 0, "text": "I say 4",
                   "answer": "4", "model": "m1"}


def test_graphs():
    names = ["a0", "a1", "a2", "a3"]
    assert graph_neighbours("all", names)["a0"] == ("a1", "a2", "a3")
    assert graph_neighbours("ring", names) == {"a0": ("a3", "a1"), "a1": ("a0", "a2"), "a2": ("a1", "a3"),
                                               "a3": ("a2", "a0")}
    assert graph_neighbours("none", names)["a2"] == ()
    assert graph_neighbours({"a0": ["a1"]}, names) == {"a0": ("a1",), "a1": (), "a2": (), "a3": ()}
    m = [[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0]]
    assert graph_neighbours(m, names)["a3"] == ("a0",)
    with pytest.raises(InterplayError, match="4x4"):
        graph_neighbours([[0, 1]], names)
    with pytest.raises(InterplayError, match="cannot read"):
        graph_neighbours({"a0": ["a0"]}, names)
    with pytest.raises(InterplayError, match="'all', 'ring'"):
        graph_neighbours("star", names)


def test_an_empty_private_recipient_list_is_a_note_to_self():
    ch = Channel(["a", "b"], judges=["J"])
    note = ch.post("a", "my rating: 5", visibility="private", to=[])
    assert note.to == () and ch.inbox("b") == [] and ch.inbox("J") == []
    assert ch.view("a") == [note]
