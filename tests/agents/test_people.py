"""Seats of people at web pages, without a browser: one-time tokens, the queue of questions, silence
and the fallback, rejoining; the person as a Player in a real match; the advisor's answer modes; and
the `interplay serve` config errors (exit 2, a message naming what and where). The browser tests are
tests/run/test_people_web.py."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
import yaml

from interplay.agents.people import Hub, Seat, SeatRefused, Silent, WebPlayer
from interplay.errors import InterplayError


def test_a_token_opens_its_seat_once_and_only_its_session_reads_it():
    seat = Seat("alice", "player")
    with pytest.raises(SeatRefused):
        seat.claim("not-the-token")
    session = seat.claim(seat.token)
    with pytest.raises(SeatRefused):
        seat.claim(seat.token)  # used
    seat.check(session)
    for other in (None, "", seat.token):
        with pytest.raises(SeatRefused):
            seat.check(other)
    assert seat.counts["refused_tokens"] == 2
    assert seat.token not in str(seat.record()) and session not in str(seat.record())


def test_bad_answers_change_nothing_and_questions_queue_in_order():
    seat = Seat("judge", "judge", timeout=30)
    seat.claim(seat.token)
    got = []

    def ask(k):
        got.append((k, seat.request({"kind": "x", "k": k}, lambda p: int(p["v"]))))

    threads = [threading.Thread(target=ask, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
        time.sleep(0.2)
    st = seat.state()
    assert st["ask"]["k"] == 0 and st["waiting"] == 1
    with pytest.raises(ValueError):
        seat.answer(st["ask"]["id"], {"v": "seven"})  # int("seven") fails: nothing changes
    with pytest.raises(ValueError):
        seat.answer(st["ask"]["id"] + 1, {"v": 1})  # not the open question
    assert seat.state()["ask"] == st["ask"]
    seat.answer(st["ask"]["id"], {"v": 10})
    time.sleep(0.2)
    st2 = seat.state()
    assert st2["ask"]["k"] == 1 and st2["waiting"] == 0
    seat.answer(st2["ask"]["id"], {"v": 11})
    for t in threads:
        t.join(5)
    assert sorted(got) == [(0, 10), (1, 11)]
    assert seat.counts | {} == {**seat.counts, "questions": 2, "answers": 2, "bad_answers": 1}


def test_silence_replaces_the_seat_until_the_person_is_back():
    seat = Seat("alice", "player", timeout=0.2)
    seat.claim(seat.token)
    with pytest.raises(Silent):
        seat.request({"kind": "x"}, lambda p: 1)  # times out
    t0 = time.monotonic()
    with pytest.raises(Silent):
        seat.request({"kind": "x"}, lambda p: 1)  # replaced: at once
    assert time.monotonic() - t0 < 0.1
    seat.seen()  # the page polls again: the person is back
    assert not seat.replaced
    threading.Timer(0.05, lambda: seat.answer(seat.state()["ask"]["id"], {})).start()
    assert seat.request({"kind": "x"}, lambda p: 42) == 42
    assert (seat.counts["timeouts"], seat.counts["fallbacks"], seat.counts["rejoins"], seat.counts["answers"]) == (
        1, 2, 1, 1)


def test_a_web_player_plays_a_match_and_talks_through_its_seat():
    from interplay.agents.factory import player_from_spec
    from interplay.agents.match import play_match
    from interplay.games.registry import make

    game = make("ipd-v1", horizon=3)
    hub = Hub(timeout=5)
    seat = hub.seat("alice", "player")
    seat.claim(seat.token)
    person = WebPlayer("alice", seat, player_from_spec("Defector", game, name="fb"))
    script = iter([("talk", {"text": "let us cooperate"}), ("move", {"action": 0}), ("talk", {"text": ""}),
                   ("move", {"action": 1}), ("talk", {"text": "sorry"}), ("move", {"action": 0})])

    def answer():
        for kind, posted in script:
            while (st := seat.state())["ask"] is None or st["ask"]["kind"] != kind:
                time.sleep(0.01)
            if kind == "move":
                assert st["ask"]["legal"] == ["C", "D"]
            seat.answer(st["ask"]["id"], posted)

    t = threading.Thread(target=answer)
    t.start()
    rec = asyncio.run(play_match(game, [person, player_from_spec("Tit For Tat", game)], talk_rounds=1))
    t.join(5)
    assert [a for a, _ in rec.actions] == [0, 1, 0] and [b for _, b in rec.actions] == [0, 0, 1]
    assert [m.text for m in rec.messages if m.sender == "alice"] == ["let us cooperate", "sorry"]
    assert rec.fallbacks == [0, 0]


def test_advisor_modes_give_rankings_approvals_and_scores():
    from interplay.decide.advisors import WebAdvisor

    opts = ["a", "b", "c"]
    assert WebAdvisor.tiers({"mode": "rank", "ranking": ["c", "a", "b"]}, opts) == [["c"], ["a"], ["b"]]
    assert WebAdvisor.tiers({"mode": "approve", "approved": ["b", "c"]}, opts) == [["b", "c"], ["a"]]
    assert WebAdvisor.tiers({"mode": "score", "scores": {"a": 3, "b": 9, "c": 3}}, opts) == [["b"], ["a", "c"]]
    for bad in ({"mode": "rank", "ranking": ["a", "a", "b"]}, {"mode": "rank", "ranking": ["a", "b"]},
                {"mode": "approve", "approved": ["z"]}, {"mode": "score", "scores": {"a": 11, "b": 1, "c": 1}},
                {"mode": "score", "scores": {"a": 1}}, {"mode": "vote"}):
        with pytest.raises(ValueError):
            WebAdvisor.tiers(bad, opts)


def test_seat_names_and_roles_are_checked():
    with pytest.raises(InterplayError, match="seat name"):
        Seat("a/b", "player")
    with pytest.raises(InterplayError, match="role"):
        Seat("a", "boss")
    hub = Hub()
    hub.seat("x", "player")
    with pytest.raises(InterplayError, match="is a player"):
        hub.seat("x", "judge")


def _serve(tmp_path, cfg, capsys):
    from interplay.cli import main

    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    with pytest.raises(SystemExit) as exc:
        main(["serve", str(path), "-o", str(tmp_path / "run"), "--port", "18749"])
    return exc.value.code, capsys.readouterr().err


IPD = {"kind": "llm-tournament", "game": {"id": "ipd-v1", "params": {"horizon": 3}},
       "agents": {"alice": "human", "TFT": "Tit For Tat"}, "self_play": False, "cache": None}


@pytest.mark.parametrize(("change", "expect"), [
    ({"agents": {"a": "Tit For Tat", "b": "Defector"}}, "names no person"),
    ({"self_play": True}, "self_play: a person cannot sit in both seats"),
    ({"people": {"timeout": -1}}, "people"),
    ({"people": {"fallbacks": {"bob": "Defector"}}}, "people.fallbacks.bob: no player seat"),
    ({"people": {"colour": "red"}}, "colour"),
])
def test_serve_config_errors_exit_2_naming_the_field(tmp_path, capsys, change, expect):
    code, err = _serve(tmp_path, {**IPD, **change}, capsys)
    assert code == 2 and expect in " ".join(err.split()) and "Traceback" not in err
    assert not (tmp_path / "run").exists()


def test_run_refuses_a_config_with_people(tmp_path, capsys):
    from interplay.cli import main

    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({**IPD, "people": {}}))
    with pytest.raises(SystemExit) as exc:
        main(["run", str(path), "-o", str(tmp_path / "run")])
    assert exc.value.code == 2 and "interplay serve" in capsys.readouterr().err


def test_web_judge_reads_a_pick_and_confidence_and_silence_is_an_invalid_answer():
    from interplay.llm.base import InvalidAnswer
    from interplay.talk.judged import PersonChoice, WebJudge

    seat = Seat("judge", "judge", timeout=5)
    seat.claim(seat.token)
    judge = WebJudge(seat)
    msgs = [{"role": "user", "content": "Which is right? Transcript: ..."}]

    def answer():
        while seat.state()["ask"] is None:
            time.sleep(0.01)
        ask = seat.state()["ask"]
        assert ask["kind"] == "judge" and ask["options"] == ["paraffin", "coal gas"] and "Transcript" in ask["text"]
        for bad in ({"choice": 2}, {"choice": 0, "confidence": 0.3}, {"choice": "0"}):
            with pytest.raises(ValueError):
                seat.answer(ask["id"], bad)
        seat.answer(ask["id"], {"choice": 1, "confidence": 0.8})

    t = threading.Thread(target=answer)
    t.start()
    c = asyncio.run(judge.achoose(msgs, ["paraffin", "coal gas"]))
    t.join(5)
    assert isinstance(c, PersonChoice) and (c.index, c.option, c.confidence) == (1, "coal gas", 0.8)
    seat.timeout = 0.1
    with pytest.raises(InvalidAnswer, match="no answer"):
        asyncio.run(judge.achoose(msgs, ["paraffin", "coal gas"]))
    assert seat.counts["timeouts"] == 1 and seat.counts["bad_answers"] == 3


def test_a_reissued_link_takes_the_seat_from_the_lost_browser():
    seat = Seat("alice", "player")
    old_token = seat.token
    old_session = seat.claim(seat.token)
    seat.reissue()
    with pytest.raises(SeatRefused):
        seat.check(old_session)
    with pytest.raises(SeatRefused):
        seat.claim(old_token)
    seat.check(seat.claim(seat.token))
    assert seat.counts["reissued"] == 1
