"""Shared helpers of the browser tests: Debian's Chromium driven by Playwright, and `interplay serve`
run as a subprocess whose experimenter link is read from its output."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
SRC = Path(__file__).resolve().parents[2] / "src"


def need_browser() -> None:
    """Fail loudly without Chromium or Playwright (CI installs both); skip only if allowed."""
    problem = None
    if not Path(CHROMIUM).exists():
        problem = f"{CHROMIUM} is missing (apt-get install chromium; .ci/run installs it)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "playwright is not installed (pip install -c constraints.txt -e '.[web]')"
    if problem is not None:
        if os.environ.get("INTERPLAY_ALLOW_NO_BROWSER") == "1":
            pytest.skip(problem)
        pytest.fail(problem)


class Served:
    """`interplay serve CONFIG -o RUN --port PORT` in a subprocess."""

    def __init__(self, tmp: Path, config: dict, port: int) -> None:
        self.run_dir = tmp / "run"
        path = tmp / "study.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        env = {**os.environ, "PYTHONPATH": str(SRC), "NO_COLOR": "1", "COLUMNS": "400"}
        self.proc = subprocess.Popen([sys.executable, "-c", "from interplay.cli import main; main()", "serve",
                                      str(path), "-o", str(self.run_dir), "--port", str(port), "-q"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.lines: list[str] = []
        t0 = time.monotonic()
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError(f"serve ended early: {self.proc.wait()} {self.proc.stderr.read()}")
            self.lines.append(line)
            if "experimenter's page:" in line:
                self.admin_url = line.split("experimenter's page:", 1)[1].strip()
                break
            assert time.monotonic() - t0 < 60
        self.base = self.admin_url.split("/#", 1)[0]

    def wait(self, timeout: float = 120) -> tuple[int, str, str]:
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, "".join(self.lines) + out, err

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def launch(pw):
    return pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)


def seat_links(page, served: Served, n: int) -> dict[str, str]:
    """The experimenter's page: wait for ``n`` seat links and return seat -> absolute link."""
    page.goto(served.admin_url)
    page.wait_for_function(f"document.querySelectorAll('a.seat-link').length >= {n}", timeout=30000)
    return {a.get_attribute("data-seat"): served.base + a.get_attribute("href")
            for a in page.query_selector_all("a.seat-link")}


def shot(page, name: str) -> None:
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS_IMG / name), full_page=True)
