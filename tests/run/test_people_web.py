"""People in the loop through a web page, in a real browser (Debian's Chromium, Playwright).

`interplay serve` runs as a subprocess; participants open the links the experimenter's page
gives. Asserted: the payoffs in results.json are the game's payoffs of the moves clicked, the
transcript and audit log record them, bad input gets its 4xx and changes nothing, a used or
wrong token gets 403, no token or session is written to the run directory.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import numpy as np
import pytest
from people_browser import Served, launch, need_browser, seat_links, shot

pytestmark = pytest.mark.slow

PORTS = iter(range(18700, 18750))


@pytest.fixture(scope="module")
def pw():
    need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@contextlib.contextmanager
def serving(pw, tmp_path, cfg):
    """The config served on the next port, and a browser; both stopped at the end."""
    served = Served(tmp_path, cfg, next(PORTS))
    browser = launch(pw)
    try:
        yield served, browser
    finally:
        browser.close()
        served.kill()


def results_of(served, code, err) -> dict:
    """results.json of a served run that exited 0."""
    assert code == 0, err
    return json.loads((served.run_dir / "results.json").read_text())


def moves_of(run_dir: Path, sender: str) -> list[dict]:
    """The moves of ``sender`` in the run's one transcript."""
    (tfile,) = (run_dir / "transcripts").iterdir()
    events = json.loads(tfile.read_text())
    events = events.get("events", events) if isinstance(events, dict) else events
    return [e for e in events if e.get("kind") == "move" and e.get("sender") == sender]


def _files_text(run_dir: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in sorted(run_dir.rglob("*")) if p.is_file())


def _ipd_config(**people) -> dict:
    return {"kind": "llm-tournament", "name": "people-ipd", "seed": 0,
            "game": {"id": "ipd-v1", "params": {"horizon": 5}}, "agents": {"alice": "human", "TFT": "Tit For Tat"},
            "self_play": False, "cache": None, "audit": True, "people": {"linger": 4, **people}}


def test_person_plays_ipd_against_tit_for_tat(pw, tmp_path):
    from interplay.games.registry import make
    from interplay.safety.audit import verify

    with serving(pw, tmp_path, _ipd_config()) as (served, browser):
        exp = browser.new_context(viewport={"width": 1100, "height": 800}).new_page()
        links = seat_links(exp, served, 1)
        assert set(links) == {"alice"}
        token = links["alice"].split("#token=", 1)[1]

        person = browser.new_context(viewport={"width": 1000, "height": 900})
        page = person.new_page()
        page.goto(links["alice"])
        page.wait_for_selector("#actions button")
        assert "#token" not in page.url  # the token left the address bar
        # a second participant with the same link is refused, and cannot read or answer the seat
        other = browser.new_context().new_page()
        other.goto(links["alice"])
        other.wait_for_function("document.getElementById('status').textContent.startsWith('403')")
        assert other.request.get(f"{served.base}/api/seat/alice/state").status == 403
        assert other.request.post(f"{served.base}/api/seat/alice/answer", data={"id": 1, "action": 0}).status == 403
        # a wrong token: 403
        assert other.request.post(f"{served.base}/api/seat/alice/claim", data={"token": "wrong"}).status == 403
        # an illegal action posted by hand: 422, and the question stays open, unchanged
        st = page.request.get(f"{served.base}/api/seat/alice/state").json()
        ask_id = st["ask"]["id"]
        for bad in ({"id": ask_id, "action": 2}, {"id": ask_id, "action": "C"}, {"id": ask_id, "action": True}):
            r = page.request.post(f"{served.base}/api/seat/alice/answer", data=bad)
            assert r.status == 422, bad
            assert "action must be an integer 0..1" in r.json()["error"]
        assert page.request.post(f"{served.base}/api/seat/alice/answer", data={"id": ask_id + 7, "action": 0}
                                 ).status == 409
        assert page.request.get(f"{served.base}/api/seat/alice/state").json()["ask"]["id"] == ask_id

        clicks = ["C", "D", "D", "C", "C"]
        for r, move in enumerate(clicks, 1):
            page.wait_for_function(f"document.querySelector('#actions') && "
                                   f"document.body.innerText.includes('Round {r} of 5')")
            if r == 4:
                shot(page, "humans-play.png")
            page.get_by_role("button", name=move, exact=True).click()
        page.wait_for_function("document.body.innerText.includes('The run is over')")
        exp.wait_for_function("document.body.innerText.includes('alice vs TFT')")
        shot(exp, "humans-experimenter.png")  # the seat taken, the match and its totals
        assert "12 : 12" in exp.inner_text("#run")
        session = [c["value"] for c in person.cookies() if c["name"] == "interplay_seat"]
        assert len(session) == 1
        code, out, err = served.wait()
    res = results_of(served, code, err)
    assert res["meta"]["status"] == "completed"
    (rec,) = res["units"].values()
    assert rec["transcript"] is True
    assert rec["names"] == ["alice", "TFT"]
    game = make("ipd-v1", horizon=5)
    acts = [list(game.spec.actions[0]).index(m) for m in clicks]
    tft = [0, *acts[:-1]]  # Tit For Tat copies the person's last move
    assert rec["actions"] == [[a, b] for a, b in zip(acts, tft)]
    pay = np.asarray(game.stage.payoffs)
    expect = [[float(pay[0, a, b]), float(pay[1, a, b])] for a, b in zip(acts, tft)]
    assert rec["rewards"] == expect
    assert rec["totals"] == [sum(e[0] for e in expect), sum(e[1] for e in expect)] == [12.0, 12.0]
    assert rec["fallbacks"] == [0, 0]
    assert res["people"]["alice"]["answers"] == 5 and res["people"]["alice"]["fallbacks"] == 0
    assert res["people"]["alice"]["refused_tokens"] == 2 and res["people"]["alice"]["bad_answers"] == 3
    # the transcript and the audit log have every move of the person
    moves = moves_of(served.run_dir, "alice")
    assert [m["action"] for m in moves] == clicks and not any(m.get("fallback") for m in moves)
    assert verify(served.run_dir).ok
    audit = (served.run_dir / "audit.jsonl").read_text()
    assert audit.count('"alice"') >= 5
    # no token or session anywhere in the run directory or the server's output
    written = _files_text(served.run_dir) + err
    assert token not in written and session[0] not in written
    assert token not in out and session[0] not in out


def _pay(acts, other):
    from interplay.games.registry import make

    pay = np.asarray(make("ipd-v1", horizon=5).stage.payoffs)
    return [[float(pay[0, a, b]), float(pay[1, a, b])] for a, b in zip(acts, other)]


def test_closed_tab_rejoins_and_silence_hands_the_seat_to_its_fallback(pw, tmp_path):
    with serving(pw, tmp_path, _ipd_config(timeout=8, fallbacks={"alice": "Defector"})) as (served, browser):
        links = seat_links(browser.new_context().new_page(), served, 1)
        person = browser.new_context()
        page = person.new_page()
        page.goto(links["alice"])
        for r, move in ((1, "C"), (2, "D")):
            page.wait_for_function(f"document.body.innerText.includes('Round {r} of 5')")
            page.get_by_role("button", name=move, exact=True).click()
        page.close()  # the tab is closed; the same browser opens the seat again, without the token
        page = person.new_page()
        page.goto(f"{served.base}/seat/alice")
        page.wait_for_function("document.body.innerText.includes('Round 3 of 5')")
        page.get_by_role("button", name="C", exact=True).click()
        page.wait_for_function("document.body.innerText.includes('Round 4 of 5')")
        page.close()  # and now the person leaves for good: round 4 times out, the fallback plays on
        code, out, err = served.wait()
    res = results_of(served, code, err)
    (rec,) = res["units"].values()
    acts, tft = [0, 1, 0, 1, 1], [0, 0, 1, 0, 1]  # the last two by the fallback (Defector)
    assert rec["actions"] == [[a, b] for a, b in zip(acts, tft)]
    assert rec["rewards"] == _pay(acts, tft)
    assert rec["fallbacks"] == [2, 0]
    seat = res["people"]["alice"]
    assert (seat["answers"], seat["timeouts"], seat["fallbacks"], seat["rejoins"]) == (3, 1, 2, 0)
    moves = moves_of(served.run_dir, "alice")
    assert [bool(m.get("fallback")) for m in moves] == [False, False, False, True, True]


def test_person_judges_a_debate_and_judge_accuracy_counts_it(pw, tmp_path):
    from interplay.talk.tasks import get_questions

    cfg = {"kind": "judged-debate", "name": "people-judge", "seed": 0, "task": "reading", "questions": 3,
           "judged": {"protocols": ["debate"], "rounds": 1}, "judge_model": "person",
           "simulate": {"gullibility": 0.7}, "audit": True, "people": {"linger": 2}}
    questions = get_questions("reading", 3, 0)
    picked = {}
    with serving(pw, tmp_path, cfg) as (served, browser):
        links = seat_links(browser.new_context().new_page(), served, 1)
        page = browser.new_context(viewport={"width": 1000, "height": 1000}).new_page()
        page.goto(links["judge"])
        for k in range(3):
            page.wait_for_selector("#options input", timeout=60000)
            ask = page.request.get(f"{served.base}/api/seat/judge/state").json()["ask"]
            (q,) = [q for q in questions if q.question in ask["text"]]
            assert q.source not in ask["text"]  # the source is withheld from the judge
            right = q.canonical(q.answer)
            # right on the first two questions the page shows, wrong on the third
            pick = next(o for o in ask["options"] if (q.canonical(o) == right) == (k < 2))
            picked[q.id] = pick
            page.get_by_label(pick, exact=True).check()
            page.locator("#confidence").fill(str(90 - 10 * k))
            if k == 0:
                shot(page, "humans-judge.png")
            page.get_by_role("button", name="Submit judgement").click()
            page.wait_for_function("!document.querySelector('#options') || "
                                   "document.body.innerText.includes('Sent')")
        code, out, err = served.wait()
    res = results_of(served, code, err)
    acc = res["judge_accuracy"]["debate"]["accuracy"]
    assert acc["n"] == 3 and acc["value"] == pytest.approx(2 / 3)
    recs = {r["question_id"]: r for r in res["records"]}
    assert {qid: r["chosen"] for qid, r in recs.items()} == picked
    assert sorted(r["judge_confidence"] for r in recs.values()) == [0.7, 0.8, 0.9]
    assert res["people"]["judge"]["answers"] == 3 and res["people"]["judge"]["fallbacks"] == 0


def test_advisor_ranking_enters_the_aggregation_and_its_shapley_value(pw, tmp_path):
    from interplay.decide import advisors as A
    from interplay.decide.loop import decide_once
    from interplay.decide.tasks import DecisionQuestion

    options = ["robustness evals", "new benchmark", "user study"]
    quality = {"robustness evals": 1.0, "new benchmark": 0.0, "user study": 0.5}
    scripted = {"Ada": ["new benchmark", "user study", "robustness evals"],
                "Bo": ["robustness evals", "user study", "new benchmark"]}
    cfg = {"kind": "decide", "name": "people-advise", "seed": 0,
           "task": {"type": "question", "prompt": "Which project should the lab fund next?", "options": options,
                    "quality": quality},
           "advisors": [*({"name": n, "type": "scripted", "ranking": r} for n, r in scripted.items()),
                        {"name": "Pat (person)", "type": "human"}],
           "rules": ["borda", "plurality", "copeland"], "importance_rule": "borda", "people": {"linger": 2}}
    with serving(pw, tmp_path, cfg) as (served, browser):
        links = seat_links(browser.new_context().new_page(), served, 1)
        assert set(links) == {"Pat (person)"}
        page = browser.new_context(viewport={"width": 1000, "height": 1000}).new_page()
        page.goto(links["Pat (person)"])
        page.wait_for_selector("#ranking li")
        # shown in the options' order; the person moves "new benchmark" to the bottom:
        # robustness evals > user study > new benchmark
        page.locator("#ranking li", has_text="new benchmark").get_by_role("button", name="↓").click()
        page.locator("#ranking li", has_text="new benchmark").get_by_role("button", name="↓").click()
        order = [li.get_attribute("data-option") for li in page.query_selector_all("#ranking li")]
        assert order == ["robustness evals", "user study", "new benchmark"]
        shot(page, "humans-advise.png")
        page.get_by_role("button", name="Send ranking").click()
        code, out, err = served.wait()
    res = results_of(served, code, err)
    ballots = {b["voter"]: b["ranking"] for b in res["ballots"]}
    assert ballots["Pat (person)"] == [[o] for o in order]
    # the same decision with the person's ranking given as a scripted advisor: equal, number for number
    q = DecisionQuestion("question", tuple(options), cfg["task"]["prompt"], tuple(1.0 - quality[o] for o in options))
    same = decide_once(q, [*(A.FixedRanking(n, r) for n, r in scripted.items()), A.FixedRanking("Pat (person)", order)],
                       rules=cfg["rules"], importance_rule="borda", seed=0).as_dict()
    assert res["winners"] == json.loads(json.dumps(same["winners"]))
    assert res["winners"]["borda"] == ["robustness evals"]
    got = res["importance"]["players"]
    want = same["importance"]["players"]
    assert {n: v["shapley"] for n, v in got.items()} == pytest.approx({n: v["shapley"] for n, v in want.items()})
    assert got["Pat (person)"]["shapley"] > 0  # the person's ranking moves the Borda winner to the best project
    assert res["people"]["Pat (person)"]["answers"] == 1


def test_cheap_talk_box_sends_the_persons_message_to_the_other_seat(pw, tmp_path):
    cfg = _ipd_config()
    cfg["game"]["params"]["horizon"] = 2
    cfg["talk_rounds"] = 1
    with serving(pw, tmp_path, cfg) as (served, browser):
        links = seat_links(browser.new_context().new_page(), served, 1)
        page = browser.new_context().new_page()
        page.goto(links["alice"])
        for r, (text, move) in enumerate((("I will cooperate if you do.", "C"), ("", "D")), 1):
            page.wait_for_selector("#talk")
            assert f"Round {r} of 2" in page.inner_text("body")
            page.fill("#talk", text)
            page.get_by_role("button", name="Send message").click()
            page.wait_for_selector("#actions button")
            page.get_by_role("button", name=move, exact=True).click()
        code, out, err = served.wait()
    res = results_of(served, code, err)
    (rec,) = res["units"].values()
    assert [(m["sender"], m["text"], m["round"]) for m in rec["messages"]] == [
        ("alice", "I will cooperate if you do.", 0)]  # an empty box is silence
    assert rec["actions"] == [[0, 0], [1, 0]]
