"""The units journal and throttled results.json: every finished unit is one appended line of
units.jsonl at once; results.json is rewritten only as often as keeps its rewrites a small share
of the run (exact schedule under a fake clock); a resume reads the journal, skipping a line cut
by a kill."""

from __future__ import annotations

import json

from interplay.run.context import RunContext, load_units
from interplay.run.runner import Checkpoints


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_checkpoints_rewrite_only_after_factor_times_the_last_rewrite():
    clock = FakeClock()
    written: list[float] = []

    def write() -> None:  # every rewrite takes 1 s
        written.append(clock.t)
        clock.t += 1.0

    cp = Checkpoints(write, factor=4.0, clock=clock)
    cp.force()  # t 0 -> 1
    for _ in range(16):  # a unit every 0.5 s
        clock.t += 0.5
        cp()
    # the next rewrite waits until 4 s (4 x 1 s) after the last ended: at 5.0, then 10.0 (6 -> 10)
    assert written == [0.0, 5.0, 10.0]
    assert cp.writes == 3 and cp.skipped == 14
    cp.force()
    assert cp.writes == 4


def test_checkpoints_with_cheap_rewrites_write_after_every_unit():
    clock = FakeClock()
    n = {"w": 0}

    def write() -> None:
        n["w"] += 1
        clock.t += 0.001

    cp = Checkpoints(write, factor=20.0, clock=clock)
    for _ in range(50):  # units of 0.1 s, rewrites of 1 ms
        clock.t += 0.1
        cp()
    assert n["w"] == 50 and cp.skipped == 0


def test_every_unit_is_journalled_at_once_and_a_cut_line_is_skipped(tmp_path):
    ctx = RunContext(tmp_path, quiet=True)
    for k in range(3):
        ctx.unit_done(f"u{k}", {"k": k, "x": 0.1 * k})
    assert load_units(tmp_path) == {"u0": {"k": 0, "x": 0.0}, "u1": {"k": 1, "x": 0.1},
                                    "u2": {"k": 2, "x": 0.1 * 2}}
    with (tmp_path / "units.jsonl").open("a") as fh:
        fh.write('{"unit": "u3", "record": {"k"')  # killed in the middle of a line
    assert sorted(load_units(tmp_path)) == ["u0", "u1", "u2"]
    # a resumed context keeps the journal's units and rewrites the journal with them only
    again = RunContext(tmp_path, quiet=True, units=load_units(tmp_path))
    again.keep_finished_rows(("metrics.jsonl",))
    rows = [json.loads(x) for x in (tmp_path / "units.jsonl").read_text().splitlines()]
    assert [r["unit"] for r in rows] == ["u0", "u1", "u2"] and again.resumed_units == {"u0", "u1", "u2"}
    assert load_units(tmp_path / "nowhere") is None
