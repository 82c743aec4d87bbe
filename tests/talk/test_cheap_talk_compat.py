"""The channel's messages and cheap talk's TalkMessage (agents.protocol) are interchangeable records."""

import numpy as np

from interplay.agents.prompts import messages_text
from interplay.agents.protocol import TalkMessage, View
from interplay.games.registry import make
from interplay.talk.channel import Channel


def test_channel_messages_render_in_llm_agent_prompts_like_talk_messages():
    game = make("prisoners-dilemma-v1")
    ch = Channel(["p0", "p1"])
    ch.post("p0", "let us cooperate")
    ch.post("p1", "only you read this", visibility="private", to=["p0"])
    ours = tuple(ch.inbox("p0", include_own=True))
    theirs = (TalkMessage("p0", "let us cooperate", 0, "public", ("p1",), turn=0),
              TalkMessage("p1", "only you read this", 0, "private", ("p0",), turn=1))
    payoffs = np.asarray(game.payoffs) if hasattr(game, "payoffs") else np.zeros((2, 2, 2))
    view = dict(spec=game.spec, payoffs=payoffs, seat=0, names=("p0", "p1"), round=1)
    assert messages_text(View(**view, messages=ours)) == messages_text(View(**view, messages=theirs))
    # the same transcript record (cheap talk adds its kind and talk round)
    for a, b in zip(ch.transcript(), theirs, strict=True):
        rec = b.to_dict()
        assert {k: rec[k] for k in a} == a
    assert [m.visible_to("p1") for m in ours] == [m.visible_to("p1") for m in theirs]
