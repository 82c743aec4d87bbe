"""The audit log's head is written ahead of every entry: a writer killed (SIGKILL, in a real
subprocess) at each point of an append leaves a log that verifies (naming what the stop left),
continues cleanly, and whose sealed entries still cannot be cut without it showing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from interplay.safety.audit import AuditLog, verify

SRC = str(Path(__file__).resolve().parents[2] / "src")

CHILD = """
import os, signal, sys
from interplay.safety import audit
path, where = sys.argv[1], sys.argv[2]
log = audit.AuditLog(path, key_env=os.environ.get("AUDIT_KEY_ENV") or None)
for k in range(3):
    log.append("action", {"k": k})
def die():
    os.kill(os.getpid(), signal.SIGKILL)
if where == "before-line":
    audit.AuditLog._write_line = lambda self, line: die()
elif where in ("mid-line", "before-newline"):
    def cut(self, line):
        with self.path.open("a") as fh:
            fh.write(line[: len(line) // 2] if where == "mid-line" else line)
        die()
    audit.AuditLog._write_line = cut
elif where == "before-seal":
    write_head = audit.AuditLog._write_head
    def head(self, pending=None):
        if pending is None and self.count == 4:
            die()
        write_head(self, pending)
    audit.AuditLog._write_head = head
log.append("action", {"k": 3})
"""

#: entries in the log after the stop: the pending entry is in it once its whole line is
WRITTEN = {"before-line": 3, "mid-line": 3, "before-newline": 4, "before-seal": 4}


def _killed(tmp_path: Path, where: str, key_env: str | None = None) -> Path:
    path = tmp_path / "audit.jsonl"
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "AUDIT_KEY_ENV": key_env or ""}
    proc = subprocess.run([sys.executable, "-c", CHILD, str(path), where], env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    return path


@pytest.mark.parametrize("where", list(WRITTEN))
def test_a_kill_at_any_point_of_an_append_verifies_and_the_log_continues(tmp_path, where):
    path = _killed(tmp_path, where)
    r = verify(path)
    assert r.ok and r.entries == WRITTEN[where] and r.recovered, r.message
    assert r.recovered in r.message
    log = AuditLog(path)  # continuing drops a cut line and seals what was written
    assert log.count == WRITTEN[where] and log.recovered == r.recovered
    log.append("action", {"k": "after"})
    again = verify(path)
    assert again.ok and again.entries == WRITTEN[where] + 1 and again.recovered is None
    assert all(json.loads(x)["seq"] == k for k, x in enumerate(path.read_text().splitlines(), start=1))


@pytest.mark.parametrize("where", list(WRITTEN))
def test_after_a_kill_a_sealed_entry_still_cannot_be_cut(tmp_path, where):
    path = _killed(tmp_path, where)
    lines = [x for x in path.read_text().split("\n") if x][:WRITTEN[where]]
    sealed = 3  # entries the head sealed before the stop; the pending one never was
    path.write_text("".join(x + "\n" for x in lines[:sealed - 1]))  # cut the last sealed entry
    r = verify(path)
    assert not r.ok and r.problem == "truncated", r.message


def test_a_keyed_head_cannot_be_rewritten_to_match_a_cut_log(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDIT_KILL_KEY", "s3cret-for-this-test")
    path = _killed(tmp_path, "before-seal", key_env="AUDIT_KILL_KEY")
    assert verify(path, key_env="AUDIT_KILL_KEY").ok
    lines = path.read_text().splitlines()[:2]
    path.write_text("".join(x + "\n" for x in lines))
    head_path = tmp_path / "audit.head.json"
    head = json.loads(head_path.read_text())
    last = json.loads(lines[-1])
    head_path.write_text(json.dumps({**head, "entries": 2, "last_hash": last["hash"], "pending": None}))
    r = verify(path, key_env="AUDIT_KILL_KEY")
    assert not r.ok and r.problem == "head-forged"
    # without the key the same rewrite goes through: what a keyless chain cannot prove, stated
    plain = tmp_path / "plain"
    plain.mkdir()
    log = AuditLog(plain)
    for k in range(3):
        log.append("action", {"k": k})
    cut = (plain / "audit.jsonl").read_text().splitlines()[:2]
    (plain / "audit.jsonl").write_text("".join(x + "\n" for x in cut))
    h = json.loads((plain / "audit.head.json").read_text())
    (plain / "audit.head.json").write_text(json.dumps({**h, "entries": 2, "last_hash": json.loads(cut[-1])["hash"]}))
    r = verify(plain)
    assert r.ok and "recompute" in r.limits
