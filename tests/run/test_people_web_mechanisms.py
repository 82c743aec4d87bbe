"""People in mechanisms and negotiation through the web seat, in a real browser (Debian's Chromium, Playwright).

`interplay serve` runs a coordination study whose LLM part seats a person (contracts, commitments, the
delegation mediator against a Cooperator) and a negotiation with a person (the ultimatum game, and the
four-party harbour scenario). Asserted: the outcomes are the games' payoffs of what was clicked (by hand for
the mechanisms; for the negotiations, the same moves replayed in-process give the same record), bad input
gets its 422 and changes nothing, and no token or session is written to the run directory. Screenshots go
to the test's tmp directory, never to docs/img.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from people_browser import Served, launch, need_browser, seat_links

pytestmark = pytest.mark.slow

PORTS = iter(range(18600, 18650))


@pytest.fixture(scope="module")
def pw():
    need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


def _shot(page, tmp: Path, name: str) -> None:
    page.screenshot(path=str(tmp / name), full_page=True)


def _files_text(run_dir: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in sorted(run_dir.rglob("*")) if p.is_file())


def test_person_votes_commits_and_delegates_in_a_coordination_run(pw, tmp_path):
    cfg = {
        "kind": "coordination",
        "name": "people-coordination",
        "seed": 0,
        "seeds": 2,
        "rounds": 2,
        "games": [{"id": "prisoners-dilemma-v1"}],
        "mechanisms": ["contracts", "commitments", "mediator"],
        "llm": {"agents": {"pat": "human"}, "co_players": ["Cooperator"], "cache": None},
        "people": {"linger": 2},
    }
    served = Served(tmp_path, cfg, next(PORTS))
    browser = launch(pw)
    try:
        links = seat_links(browser.new_context().new_page(), served, 1)
        assert set(links) == {"pat"}
        token = links["pat"].split("#token=", 1)[1]
        person = browser.new_context(viewport={"width": 1000, "height": 1000})
        page = person.new_page()
        page.goto(links["pat"])
        # contracts: the contract and both payoff tables are shown; a vote posted by hand that is not a
        # boolean gets 422 and the question stays open
        page.wait_for_selector("#vote button")
        assert "pays 2.5" in page.inner_text("#contract-text")
        ask_id = page.request.get(f"{served.base}/api/seat/pat/state").json()["ask"]["id"]
        r = page.request.post(f"{served.base}/api/seat/pat/answer", data={"id": ask_id, "accept": "yes"})
        assert r.status == 422 and "accept must be true or false" in r.json()["error"]
        assert page.request.get(f"{served.base}/api/seat/pat/state").json()["ask"]["id"] == ask_id
        _shot(page, tmp_path, "contract.png")
        page.get_by_role("button", name="Accept contract").click()
        page.wait_for_selector("#actions button")
        page.get_by_role("button", name="D", exact=True).click()  # defects under the binding contract: pays 2.5
        # commitments: an illegal action posted by hand gets 422; then the conditional form, clicked
        page.wait_for_selector("#cond-action")
        ask_id = page.request.get(f"{served.base}/api/seat/pat/state").json()["ask"]["id"]
        r = page.request.post(
            f"{served.base}/api/seat/pat/answer", data={"id": ask_id, "commitment": "commit", "action": 7}
        )
        assert r.status == 422 and "action must be an integer 0..1" in r.json()["error"]
        page.select_option("#cond-action", "0")
        page.select_option("#cond-else", "1")
        _shot(page, tmp_path, "commit.png")
        page.get_by_role("button", name="Commit conditionally").click()
        # the delegation mediator: the person delegates, the Cooperator plays C itself
        page.wait_for_selector("#actions button[data-action='2']")
        page.get_by_role("button", name="Delegate", exact=True).click()
        page.wait_for_function("document.body.innerText.includes('The run is over')", timeout=120000)
        session = [c["value"] for c in person.cookies() if c["name"] == "interplay_seat"]
        code, out, err = served.wait(timeout=300)
    finally:
        browser.close()
        served.kill()
    assert code == 0, err
    res = json.loads((served.run_dir / "results.json").read_text())
    assert res["meta"]["status"] == "completed"
    outs = {o["mechanism"]: o for o in map(json.loads, (served.run_dir / "outcomes.jsonl").read_text().splitlines())}
    # by hand, PD R=3 S=0 T=5 P=1, the transfer 2.5 (1.25 x max(T-R, P-S)):
    c = outs["contracts"]
    assert c["contract"]["bound"] and c["contract"]["accepted"] == [True, True]
    assert c["actions"] == [1, 0] and c["transfers"] == [-2.5, 2.5] and c["payoffs"] == [2.5, 2.5]
    m = outs["commitments"]  # C if all commit, and the Cooperator commits to C: both C, enforced
    assert m["commitments"][0].startswith("commits to C if every co-player") and m["actions"] == [0, 0]
    assert m["payoffs"] == [3.0, 3.0]
    d = outs["mediator"]  # the mediator defects for its delegate against a non-delegate
    assert d["delegations"] == [True, False] and d["actions"] == [1, 0] and d["payoffs"] == [5.0, 0.0]
    rows = {r["mechanism"]: r for r in res["llm"]["rows"]}
    assert rows["contracts"]["payoff"]["mean"] == 2.5 and rows["mediator"]["payoff"]["mean"] == 5.0
    seat = res["people"]["pat"]
    assert (seat["answers"], seat["bad_answers"], seat["fallbacks"]) == (4, 2, 0)
    written = _files_text(served.run_dir) + err + out
    assert token not in written and session and session[0] not in written


def _run(coro):
    """asyncio.run in a thread (Playwright's sync API holds an event loop in this one)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as ex:
        return ex.submit(asyncio.run, coro).result()


class _Replay:
    """The person's moves, given back in order (for the in-process replay)."""

    def __init__(self, name, turns):
        self.name, self.turns = name, list(turns)

    async def negotiate(self, view):
        from interplay.agents.negotiation import NegotiationTurn

        message, move = self.turns.pop(0)
        return NegotiationTurn(message, move, raw=move)


def test_person_negotiates_offers_and_votes(pw, tmp_path):
    cfg = {
        "kind": "negotiation",
        "name": "people-negotiation",
        "seed": 0,
        "concurrency": 1,
        "negotiators": {
            "pat": {"kind": "human"},
            "thr": {"kind": "threshold", "threshold": 0.4},
            "con": {"kind": "conceder"},
        },
        "games": [
            {"id": "ultimatum-v1", "lineups": [["pat", "thr"]]},
            {"id": "scorable-negotiation-v1", "params": {"rounds": 1}, "lineups": [["con", "pat", "con", "con"]]},
        ],
        "people": {"linger": 2},
    }
    served = Served(tmp_path, cfg, next(PORTS))
    browser = launch(pw)
    try:
        links = seat_links(browser.new_context().new_page(), served, 1)
        page = browser.new_context(viewport={"width": 1000, "height": 1100}).new_page()
        page.goto(links["pat"])
        # the ultimatum game: the person keeps 6 of 10 coins; an illegal offer by hand is refused (422)
        page.wait_for_selector("#field-coin")
        ask_id = page.request.get(f"{served.base}/api/seat/pat/state").json()["ask"]["id"]
        r = page.request.post(f"{served.base}/api/seat/pat/answer", data={"id": ask_id, "move": "OFFER coin=11"})
        assert r.status == 422 and "legal moves" in r.json()["error"]
        r = page.request.post(f"{served.base}/api/seat/pat/answer", data={"id": ask_id, "move": "ACCEPT"})
        assert r.status == 422  # nothing is on the table yet
        page.fill("#message", "Six for me, four for you.")
        page.select_option("#field-coin", "6")
        page.get_by_role("button", name="Offer this deal").click()
        # the harbour: the council (a veto party) proposes in round 1, then votes on the developer's final
        page.wait_for_selector("#field-size", timeout=60000)
        assert "Your private scores" in page.inner_text("#private")
        page.fill("#message", "Medium size, partial green rules, 40% local jobs.")
        for field, value in (("size", "medium"), ("green", "partial"), ("jobs", "40pct")):
            page.select_option(f"#field-{field}", value)
        _shot(page, tmp_path, "negotiate.png")
        page.get_by_role("button", name="Propose this deal").click()
        page.wait_for_selector("#moves button:text('Reject')", timeout=60000)
        table = page.inner_text("#table")
        page.get_by_role("button", name="Accept", exact=True).click()
        page.wait_for_function("document.body.innerText.includes('The run is over')", timeout=120000)
        code, out, err = served.wait(timeout=300)
    finally:
        browser.close()
        served.kill()
    assert code == 0, err
    res = json.loads((served.run_dir / "results.json").read_text())
    units = res["units"]
    ult = next(u for k, u in units.items() if k.startswith("ultimatum-v1/"))
    assert ult["payoffs"] == [6.0, 4.0] and ult["moves"][0]["text"] == "OFFER coin=6"
    assert [m["text"] for m in ult["messages"] if m["sender"] == "proposer"] == ["Six for me, four for you."]
    harb = next(u for k, u in units.items() if k.startswith("scorable-negotiation-v1/"))
    mine = [mv for mv in harb["moves"] if mv["negotiator"] == "pat"]
    assert [mv["move"] for mv in mine] == ["offer", "accept"] and not any(mv["fallback"] for mv in mine)
    assert mine[0]["text"] == "PROPOSE size=medium green=partial jobs=40pct"
    assert "On the table" in table
    # the same negotiations in-process, the person's moves replayed: the same records, number for number
    from interplay.agents.negotiators import Threshold, conceder
    from interplay.games.registry import make
    from interplay.talk.negotiation import negotiate

    r1 = _run(
        negotiate(
            make("ultimatum-v1"),
            [_Replay("pat", [("Six for me, four for you.", "OFFER coin=6")]), Threshold("thr", 0.4)],
            seed=0,
        )
    )
    assert r1.payoffs == ult["payoffs"] and r1.agreement == ult["agreement"]
    g = make("scorable-negotiation-v1", rounds=1)
    r2 = _run(
        negotiate(
            g,
            [
                conceder("con"),
                _Replay(
                    "pat",
                    [
                        (
                            "Medium size, partial green rules, 40% local jobs.",
                            "PROPOSE size=medium green=partial jobs=40pct",
                        ),
                        (None, "ACCEPT"),
                    ],
                ),
                conceder("con"),
                conceder("con"),
            ],
            seed=0,
        )
    )
    assert r2.payoffs == harb["payoffs"] and r2.agreement == harb["agreement"]
    assert [m["move"] for m in r2.moves] == [m["move"] for m in harb["moves"]]
    assert res["people"]["pat"]["answers"] == 3 and res["people"]["pat"]["bad_answers"] == 2
