"""The bundled SmolLM2-135M-Instruct on the IPD move decision: invalid answers and decisions per second.

Three ways to ask for a move, each over the same ``--decisions`` situations (a seat of the
iterated prisoner's dilemma at a random round, after a random history against a named
classic opponent), with the showcase's prompts (interplay.run.showcase.LLM_SYSTEM/LLM_MOVE):

* free text: "Reply with your action only", the answer parsed (``decision: parse``);
* JSON: 'Reply with JSON only: {"action": ...}', the answer parsed;
* log-likelihood choice: the legal actions scored by the model (``decision: choose``);
  every answer is legal by construction. Over HTTP a choice is asked with a JSON schema
  (``transformers serve`` ignores it) and the reply parsed.

Each decision is one LLMAgent move with no re-ask (``max_reasks: 0``), so the invalid
rate is the rate of first answers that name no legal action (or were cut off by the
length limit). All decisions of a mode are started at once: the local backend batches
them; the server (``transformers serve``, serial) answers one at a time.

    .venv/bin/python benchmarks/llm_real.py [--decisions 100] [--server-decisions 100] [--threads 1]

Prints a Markdown table (the one in docs/llm.md) and the machine's load average, since
on a shared machine the wall-clock rates depend on what else runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np

import interplay
from interplay.agents.llm_agent import LLMAgent
from interplay.agents.match import stage_of
from interplay.agents.protocol import View
from interplay.llm import load_model
from interplay.run.showcase import LLM_MOVE, LLM_SYSTEM

OPPONENTS = ["Tit For Tat", "Defector", "Cooperator", "Grudger", "Win-Stay Lose-Shift", "Random"]
JSON_MOVE = LLM_MOVE.replace("Reply with your action only: one of {actions}.",
                             'Reply with JSON only: {{"action": "<one of {actions}>"}}.')


def system_prompt() -> str:
    """The showcase's system prompt with the tournament payoffs R=3, S=0, T=5, P=1."""
    text = LLM_SYSTEM
    for k, v in {"R": 3, "S": 0, "T": 5, "P": 1}.items():
        text = text.replace(f"[{k}]", str(v))
    return text


MODES = {
    "free text": {"decision": "parse", "max_tokens": 8},
    "JSON": {"decision": "parse", "max_tokens": 16, "move_template": JSON_MOVE},
    "log-likelihood choice": {"decision": "choose"},
}


def views(n: int, rounds: int = 6, seed: int = 0) -> list[View]:
    """n decision situations: random round (0..rounds-1), random past moves, a named opponent."""
    game = interplay.make("ipd-v1", horizon=rounds)
    spec, payoffs, horizon, noise, end_prob, discount = stage_of(game)
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        t = int(rng.integers(0, rounds))
        hist = tuple((int(rng.integers(2)), int(rng.integers(2))) for _ in range(t))
        rew = tuple(tuple(float(x) for x in payoffs[(slice(None), *a)]) for a in hist)
        out.append(View(spec=spec, payoffs=payoffs, seat=0, names=("SmolLM2", OPPONENTS[k % len(OPPONENTS)]),
                        round=t, history=hist, rewards=rew, seed=k, horizon=horizon, discount=discount))
    return out


async def run_mode(model, mode: str, vs: list[View]) -> tuple[float, float, float]:
    """(invalid rate, decisions per wall-clock second, decisions per CPU second of this process) of one mode."""
    options = {"reasoning": False, "max_reasks": 0, "fallback": "random", "system_template": system_prompt(),
               "move_template": LLM_MOVE, **MODES[mode]}
    agent = LLMAgent("SmolLM2", model, options)
    t0, c0 = time.perf_counter(), time.process_time()
    await asyncio.gather(*(agent.act(v) for v in vs))
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    s = agent.stats
    return s.invalid_answers / s.answers, len(vs) / dt, len(vs) / cpu


def start_server(folder: str, port: int) -> subprocess.Popen:
    cmd = [sys.executable, "-c", "from transformers.cli.transformers import main; main()", "serve", folder,
           "--host", "127.0.0.1", "--port", str(port), "--device", "cpu"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"transformers serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5):
                return proc
        except OSError:
            time.sleep(1)
    proc.kill()
    raise SystemExit("transformers serve did not start in 300 s")


def free_port(start: int) -> int:
    for port in range(start, start + 50):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise SystemExit("no free port")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--decisions", type=int, default=100)
    ap.add_argument("--server-decisions", type=int, default=100, help="0 = skip the server")
    ap.add_argument("--threads", type=int, default=None, help="torch threads of the local backend")
    ap.add_argument("--port", type=int, default=18260)
    args = ap.parse_args()
    local = load_model({"provider": "transformers", "model": "smollm2-135m", "threads": args.threads,
                        "batch_size": 64})
    rows: dict[str, list[str]] = {}
    vs = views(args.decisions)
    for mode in MODES:
        inv, rate, per_cpu = asyncio.run(run_mode(local, mode, vs))
        rows[mode] = [f"{inv:.2f}", f"{rate:.2f}", f"{per_cpu:.2f}"]
        print(f"local  {mode:22s} invalid {inv:.3f}  {rate:.2f} decisions/s  {per_cpu:.2f} per CPU s", flush=True)
    if args.server_decisions:
        proc = start_server(str(local.path), free_port(args.port))
        try:
            port = proc.args[proc.args.index("--port") + 1]
            remote = load_model({"provider": "openai", "base_url": f"http://127.0.0.1:{port}/v1",
                                 "model": str(local.path), "api_key_env": None, "max_concurrency": 1,
                                 "timeout": 300, "max_retries": 1})
            svs = views(args.server_decisions)
            for mode in MODES:
                inv, rate, _ = asyncio.run(run_mode(remote, mode, svs))
                rows[mode] += [f"{inv:.2f}", f"{rate:.2f}"]
                print(f"server {mode:22s} invalid {inv:.3f}  {rate:.2f} decisions/s", flush=True)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print(f"\nSmolLM2-135M-Instruct (Q4_1 de-quantised, float32), torch threads {local.threads}, "
          f"{args.decisions} local / {args.server_decisions} server decisions, load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores\n")
    print("| IPD move asked as | invalid (local) | decisions/s (local, batched) | decisions per CPU second (local) "
          "| invalid (transformers serve) | decisions/s (transformers serve) |")
    print("|---|---|---|---|---|---|")
    for mode, r in rows.items():
        r = r + ["-"] * (5 - len(r))
        print(f"| {mode} | {' | '.join(r)} |")


if __name__ == "__main__":
    main()
