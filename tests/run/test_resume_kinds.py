"""Every array kind keeps its finished units through SIGKILL and resumes to the numbers of an
uninterrupted run, exactly: a real subprocess is killed (SIGKILL, from inside, right after its
K-th unit was journalled, so the point of death is the same on every machine), its run
directory holds K units in units.jsonl with status "running", and ``--resume`` finishes it with
results.json equal, key for key (every number), to a run that was never stopped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import yaml

from interplay.run.runner import load_config, run_experiment

SRC = str(Path(__file__).resolve().parents[2] / "src")

#: The child: the CLI, with RunContext.unit_done wrapped to SIGKILL the process after the K-th unit.
CHILD = """
import os, signal, sys
from interplay.run import context
K = int(os.environ["KILL_AFTER_UNITS"])
_done = context.RunContext.unit_done
_count = [0]
def unit_done(self, *a, **kw):
    _done(self, *a, **kw)
    _count[0] += 1
    if _count[0] == K:
        os.kill(os.getpid(), signal.SIGKILL)
context.RunContext.unit_done = unit_done
exec(os.environ.get("CHILD_SETUP", ""))
from interplay.cli import main
main(sys.argv[1:])
"""


def _same(a: object, b: object) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)  # NaN == NaN here


def kill_resume_and_compare(tmp_path: Path, data: dict, kill_after: int, setup: str = "") -> dict:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump(data, sort_keys=False))
    run = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "KILL_AFTER_UNITS": str(kill_after), "CHILD_SETUP": setup}
    proc = subprocess.run([sys.executable, "-c", CHILD, "run", str(cfg), "-o", str(run), "-q"], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    journal = (run / "units.jsonl").read_text().splitlines()
    assert len(journal) == kill_after
    assert json.loads((run / "results.json").read_text())["meta"]["status"] == "running"
    kept = [json.loads(x)["unit"] for x in journal]

    run_experiment(load_config(cfg), run, quiet=True, resume=True)
    res = json.loads((run / "results.json").read_text())
    ref_dir = run_experiment(load_config(cfg), tmp_path / "ref", quiet=True)
    ref = json.loads((ref_dir / "results.json").read_text())
    assert res["meta"]["status"] == "completed" and res["meta"]["units"]["resumed"] == kill_after
    assert res["meta"]["resumed"][0]["status_before"] == "running"
    assert sorted(res) == sorted(ref)
    for key in ref:
        if key not in ("meta", "audit"):  # the audit log of the resumed run also holds its resume
            assert _same(res[key], ref[key]), key
    if "audit" in ref:
        from interplay.safety.audit import verify

        report = verify(run)
        assert report.ok and res["audit"]["sealed"] and res["audit"]["ok"], report.message
    assert set(kept) < set(ref["units"])  # some units were left to do
    for name in ("metrics.jsonl", "units.jsonl"):
        rows = sorted((run / name).read_text().splitlines())
        assert rows == sorted((ref_dir / name).read_text().splitlines()), name
    return res


def test_population_resumes_after_sigkill_to_the_uninterrupted_numbers(tmp_path):
    data = {"kind": "population", "name": "p", "seed": 4, "matches": 50, "audit": True,
            "agents": {"TFT": "Tit For Tat", "ALLD": "Defector", "WSLS": "Win-Stay Lose-Shift",
                       "R": "Random: 0.5", "mix": [0.9, 0.8, 0.3, 0.6, 0.1]}}
    res = kill_resume_and_compare(tmp_path, data, kill_after=2)
    assert sorted(res["units"]) == [f"row-{i}" for i in range(5)]


#: smaller blocks of the batched tournament program (same numbers: keys are folded per repetition), so a
#: small tournament has several units
SMALL_BLOCKS = "import interplay.evaluate.tournament as T; T.BLOCK_MATCHES = 40\n"


def test_tournament_resumes_after_sigkill_to_the_uninterrupted_numbers(tmp_path, monkeypatch):
    import interplay.evaluate.tournament as T

    monkeypatch.setattr(T, "BLOCK_MATCHES", 40)
    data = {"kind": "tournament", "name": "t", "seed": 2, "turns": 30, "repetitions": 12, "noise": 0.05,
            "strategies": ["Tit For Tat", "Defector", "Random: 0.5", "Grudger", "Adaptive Tit For Tat"],
            "analysis": {"top": 4}}
    res = kill_resume_and_compare(tmp_path, data, kill_after=2, setup=SMALL_BLOCKS)
    blocks = [k for k in res["units"] if k.startswith("block-")]
    assert len(blocks) >= 3 and "turnwise" in res["units"]


def test_showcase_resumes_after_sigkill_to_the_uninterrupted_numbers(tmp_path):
    data = {"kind": "showcase", "name": "s", "seed": 1,
            "population": {"matches": 40, "agents": {"TFT": "Tit For Tat", "ALLD": "Defector", "R": "Random: 0.5"}},
            "learning": {"seeds": 2, "updates": 15,
                         "pairings": [{"learners": [{"kind": "lola"}, {"kind": "naive"}]},
                                      {"learners": [{"kind": "naive"}, {"kind": "naive"}]}]},
            "tournament": {"strategies": ["Tit For Tat", "Defector"], "turns": 20, "repetitions": 2,
                           "analysis": {"top": 3}}}
    # killed after part 1 (3 row units, then the part) and part 2: part 3 is left to do
    res = kill_resume_and_compare(tmp_path, data, kill_after=5)
    assert {"part-1", "part-2", "part-3"} <= set(res["units"])
    assert res["meta"]["units"]["not_played"] == []
    report = (tmp_path / "run" / "report.html").read_text()
    assert report.count("Learning curves:") == (tmp_path / "ref" / "report.html").read_text().count("Learning curves:")


def test_decide_online_resumes_after_sigkill_to_the_uninterrupted_numbers(tmp_path):
    data = {"kind": "decide", "name": "d", "seed": 3,
            "task": {"type": "generated", "rounds": 40, "options": ["A", "B", "C"]},
            "advisors": [{"name": "Ada", "type": "oracle", "accuracy": [[1, 0.9], [21, 0.4]]},
                         {"name": "Bo", "type": "oracle", "accuracy": 0.6}, {"name": "Coin", "type": "random"},
                         {"name": "Con", "type": "contrarian"}],
            "learners": ["hedge", "exp3", "exp4", "vote:plurality", "uniform"]}
    res = kill_resume_and_compare(tmp_path, data, kill_after=2)  # after hedge and exp3
    assert sorted(res["units"]) == sorted(f"pass-{k}" for k in data["learners"])


def test_opponent_shaping_resumes_after_sigkill_to_the_uninterrupted_numbers(tmp_path):
    data = {"kind": "opponent-shaping", "name": "o", "seed": 5, "seeds": 3, "updates": 6,
            "game": {"id": "ipd-v1", "params": {"convention": "lola", "discount": 0.96}},
            "pairings": [{"learners": [{"kind": "naive"}, {"kind": "naive"}]},
                         {"learners": [{"kind": "lola"}, {"kind": "naive"}]},
                         {"learners": [{"kind": "lola"}, {"kind": "lola"}]}]}
    res = kill_resume_and_compare(tmp_path, data, kill_after=1)
    assert sorted(res["units"]) == ["pairing-0", "pairing-1", "pairing-2"]
    report, ref = ((tmp_path / d / "report.html").read_text() for d in ("run", "ref"))
    assert report.count("Learning curves:") == ref.count("Learning curves:") > 0
    assert all(f"curves-{k}.png" in report for k in (1, 2, 3))  # the kept pairing's figure is shown too
