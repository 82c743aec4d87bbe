"""A person in a coordination run's LLM part (`llm.agents: {pat: human}`), scripted at the terminal: the
contract vote, the commitment and the delegation are typed, and the outcomes are the hand-computed payoffs.
(The same seat in a browser: tests/run/test_people_web_mechanisms.py.)"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from interplay.errors import InterplayError
from interplay.run.runner import load_config

SRC = str(Path(__file__).resolve().parents[2] / "src")
CFG = {
    "kind": "coordination",
    "name": "people-coordination",
    "seed": 0,
    "seeds": 2,
    "rounds": 2,
    "games": [{"id": "prisoners-dilemma-v1"}],
    "mechanisms": ["contracts", "commitments", "mediator"],
    "llm": {"agents": {"pat": "human"}, "co_players": ["Cooperator"], "cache": None},
}


def test_a_person_at_the_terminal_votes_commits_and_delegates(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(CFG, sort_keys=False))
    # contracts: a bad vote re-asked, accept, then D; commitments: the short conditional form; mediator: Delegate
    typed = "maybe\naccept\nD\nC if all commit\nDelegate\n"
    proc = subprocess.run(
        [sys.executable, "-m", "interplay.cli", "run", str(path), "-o", str(tmp_path / "r"), "-q"],
        input=typed,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": SRC},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Not an answer: answer Accept or Reject." in proc.stdout
    outs = {o["mechanism"]: o for o in map(json.loads, (tmp_path / "r" / "outcomes.jsonl").read_text().splitlines())}
    assert outs["contracts"]["contract"]["bound"] and outs["contracts"]["actions"] == [1, 0]
    assert outs["contracts"]["payoffs"] == [2.5, 2.5]  # T=5 less the transfer 2.5; S=0 plus it
    assert outs["commitments"]["actions"] == [0, 0] and outs["commitments"]["payoffs"] == [3.0, 3.0]
    assert outs["mediator"]["delegations"] == [True, False] and outs["mediator"]["payoffs"] == [5.0, 0.0]
    res = json.loads((tmp_path / "r" / "results.json").read_text())
    assert "pat" not in res.get("accounting", {})  # a person has no LLM accounting


def test_a_person_cannot_mediate():
    cfg = {**CFG, "llm": {**CFG["llm"], "mediator": "llm", "mediator_agent": "pat"}}
    with pytest.raises(InterplayError, match="mediator_agent"):
        load_config(data=cfg).check()
