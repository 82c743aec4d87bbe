"""The bundled SmolLM2-135M-Instruct on the IPD move decision: invalid answers and decisions per second.

Part 1, invalid answers. Three ways to ask for a move, each over the same ``--decisions``
situations (a seat of the iterated prisoner's dilemma at a random round, after a random
history against a named classic opponent), with the showcase's prompts
(interplay.run.showcase.LLM_SYSTEM/LLM_MOVE):

* free text: "Reply with your action only", the answer parsed (``decision: parse``);
* JSON: 'Reply with JSON only: {"action": ...}', the answer parsed;
* log-likelihood choice: the legal actions scored by the model (``decision: choose``; the
  move prompt is the showcase's LLM_CHOICE_MOVE, which asks no question: the choice turn does);
  every answer is legal by construction. Over HTTP a choice is asked with a JSON schema
  (``transformers serve`` ignores it) and the reply parsed.

Each decision is one LLMAgent move with no re-ask (``max_reasks: 0``), so the invalid
rate is the rate of first answers that name no legal action (or were cut off by the
length limit, or empty). All decisions of a mode are started at once: the local backend
batches them; the server (``transformers serve``, a real third-party server, serial)
answers one at a time. Both run the same model folder.

Part 2, speed in play: ``--matches`` concurrent IPD matches of ``--rounds`` rounds, the
log-likelihood agent against a different classic opponent in each match (``MATCH_OPPONENTS``:
two matches against one deterministic strategy would be one match played twice, and the
second would run from the first's cached keys and values), as a tournament plays them: each
round's prompt extends the last one by one history line, so the prefix store runs only
the new tokens, and the matches' decisions of a round run as one batch. Measured for
float32 (exact scores) and bfloat16 weights (faster matrix products, scores within a
few tenths of a nat: the agreement of their choices on part 1's situations is printed).

Every rate is printed twice: decisions per wall-clock second (depends on what else the
machine runs) and decisions per CPU second of the process doing the work (this process
for the local backend, the server's process for ``transformers serve``), which does not.

    .venv/bin/python benchmarks/llm_real.py                 # the full run: 100 decisions a mode, both sides
    .venv/bin/python benchmarks/llm_real.py --quick         # CI size: 10 decisions a mode, 4 x 5 rounds
    taskset -c 0,1 .venv/bin/python benchmarks/llm_real.py --threads 2 --server-decisions 0   # a quiet machine

Prints Markdown tables (the ones in docs/llm.md) and the load average.
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
from dataclasses import dataclass

import numpy as np

import interplay
from interplay.agents.fixed import strategy_player
from interplay.agents.llm_agent import LLMAgent
from interplay.agents.match import play_match, stage_of
from interplay.agents.protocol import View
from interplay.llm import load_model
from interplay.run.showcase import LLM_CHOICE_MOVE, LLM_MOVE, LLM_SYSTEM

OPPONENTS = ["Tit For Tat", "Defector", "Cooperator", "Grudger", "Win-Stay Lose-Shift", "Random"]
#: Part 2's opponents, one a match: distinct names make distinct prompts from round 2 on (two matches
#: against the same deterministic strategy would be the same match, and the second would cost nothing).
MATCH_OPPONENTS = [*OPPONENTS, "Tit For 2 Tats", "Suspicious Tit For Tat", "Alternator", "Generous Tit For Tat",
                   "Prober", "Firm But Fair"]
#: Issue 11's target for log-likelihood choice on 2 cores.
TARGET = 10.0
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
    "log-likelihood choice": {"decision": "choose", "move_template": LLM_CHOICE_MOVE},
}


def agent_options(mode: str) -> dict:
    return {"reasoning": False, "max_reasks": 0, "fallback": "random", "system_template": system_prompt(),
            "move_template": LLM_MOVE, **MODES[mode]}


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


@dataclass
class Result:
    n: int
    invalid: int
    cut: int      # of the invalid: cut off by the length limit
    empty: int    # of the invalid: empty answers
    fallbacks: int
    wall: float
    cpu: float    # CPU seconds of the process that ran the model
    choices: list[int]

    @property
    def rate(self) -> float:
        return self.n / self.wall

    @property
    def per_cpu(self) -> float:
        return self.n / self.cpu if self.cpu > 0 else float("nan")

    def invalid_text(self) -> str:
        return (f"{self.invalid}/{self.n} = {self.invalid / self.n:.2f} (cut {self.cut}, empty {self.empty}; "
                f"fallback {self.fallbacks})")


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process, from /proc (Linux)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")


async def run_mode(model, mode: str, vs: list[View], cpu_of=time.process_time) -> Result:
    """One mode over the situations, all started at once."""
    agent = LLMAgent("SmolLM2", model, agent_options(mode))
    if hasattr(model, "prefixes"):  # no help from the prompts of the mode before
        model.prefixes.clear()
    t0, c0 = time.perf_counter(), cpu_of()
    decisions = await asyncio.gather(*(agent.act(v) for v in vs))
    wall, cpu = time.perf_counter() - t0, cpu_of() - c0
    s = agent.stats
    return Result(n=len(vs), invalid=s.invalid_answers, cut=s.truncated_answers, empty=s.empty_answers,
                  fallbacks=s.fallbacks, wall=wall, cpu=cpu, choices=[d.action for d in decisions])


async def run_matches(model, matches: int, rounds: int) -> Result:
    """``matches`` concurrent matches of the log-likelihood agent, each against its own classic opponent."""
    game = interplay.make("ipd-v1", horizon=rounds)
    agent = LLMAgent("SmolLM2", model, agent_options("log-likelihood choice"))
    model.prefixes.clear()
    names = [MATCH_OPPONENTS[k % len(MATCH_OPPONENTS)] for k in range(matches)]
    names = [n if k < len(MATCH_OPPONENTS) else f"{n} {k // len(MATCH_OPPONENTS) + 1}" for k, n in enumerate(names)]
    opponents = [strategy_player(MATCH_OPPONENTS[k % len(MATCH_OPPONENTS)], game, name=n)
                 for k, n in enumerate(names)]
    t0, c0 = time.perf_counter(), time.process_time()
    await asyncio.gather(*(play_match(game, [agent, o], seed=k, rounds=rounds) for k, o in enumerate(opponents)))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    s = agent.stats
    return Result(n=s.moves, invalid=s.invalid_answers, cut=s.truncated_answers, empty=s.empty_answers,
                  fallbacks=s.fallbacks, wall=wall, cpu=cpu, choices=[])


def start_server(folder: str, port: int) -> subprocess.Popen:
    cmd = [sys.executable, "-c", "from transformers.cli.transformers import main; main()", "serve", folder,
           "--host", "127.0.0.1", "--port", str(port), "--device", "cpu"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
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
    raise SystemExit(f"no free port in {start}..{start + 49}")


def load_local(threads: int | None, dtype: str = "float32"):
    return load_model({"provider": "transformers", "model": "smollm2-135m", "threads": threads, "dtype": dtype,
                       "batch_size": 32, "max_concurrency": 128})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--decisions", type=int, default=100, help="situations per mode, local backend; 0 = skip")
    ap.add_argument("--server-decisions", type=int, default=100, help="situations per mode, server; 0 = no server")
    ap.add_argument("--matches", type=int, default=12, help="concurrent matches of part 2; 0 = skip part 2")
    ap.add_argument("--rounds", type=int, default=10, help="rounds per match of part 2")
    ap.add_argument("--float32-only", action="store_true", help="part 2 without the bfloat16 run")
    ap.add_argument("--quick", action="store_true", help="CI size: 10 decisions a mode, 4 matches of 5 rounds")
    ap.add_argument("--threads", type=int, default=None, help="torch threads of the local backend (default: half "
                                                                "the cores)")
    ap.add_argument("--port", type=int, default=int(os.environ.get("INTERPLAY_TEST_SERVE_PORT", "18260")))
    args = ap.parse_args()
    if args.quick:
        args.decisions, args.server_decisions, args.matches, args.rounds = 10, 10, 4, 5
    local = load_local(args.threads)
    local.choose([{"role": "user", "content": "Ready?"}], ["yes", "no"])  # warm-up: the worker, first kernels
    part1: dict[str, list[Result | None]] = {mode: [None] for mode in MODES}
    vs = views(args.decisions)
    for mode in MODES if args.decisions else []:
        r = asyncio.run(run_mode(local, mode, vs))
        part1[mode] = [r]
        print(f"local  {mode:22s} invalid {r.invalid_text()}  {r.rate:.2f} decisions/s  "
              f"{r.per_cpu:.2f} per CPU s", flush=True)
    if args.server_decisions:
        proc = start_server(str(local.path), free_port(args.port))
        try:
            port = proc.args[proc.args.index("--port") + 1]
            remote = load_model({"provider": "openai", "base_url": f"http://127.0.0.1:{port}/v1",
                                 "model": str(local.path), "api_key_env": None, "max_concurrency": 1,
                                 "timeout": 300, "max_retries": 1})
            svs = views(args.server_decisions)
            for mode in MODES:
                r = asyncio.run(run_mode(remote, mode, svs, cpu_of=lambda: server_cpu(proc.pid)))
                part1[mode].append(r)
                print(f"server {mode:22s} invalid {r.invalid_text()}  {r.rate:.2f} decisions/s  "
                      f"{r.per_cpu:.2f} per server CPU s", flush=True)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print_part1(args, part1)
    if args.matches:
        part2(args, local, part1, vs)


def print_part1(args: argparse.Namespace, part1: dict[str, list[Result | None]]) -> None:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nSmolLM2-135M-Instruct (Q4_1 de-quantised), load average {load} on {os.cpu_count()} cores\n")
    print(f"Part 1: {args.decisions} situations a mode through the local backend (float32, batched), "
          f"{args.server_decisions} through transformers serve (serial); invalid = answers naming no legal action "
          "(cut = cut off by the length limit), each followed by a fallback move.\n")
    print("| IPD move asked as | invalid (local) | decisions/s (local) | decisions per CPU s (local) "
          "| invalid (transformers serve) | decisions/s (serve) | decisions per CPU s (serve) |")
    print("|---|---|---|---|---|---|---|")
    for mode, rs in part1.items():
        cells = []
        for r in (rs + [None])[:2]:
            cells += [r.invalid_text(), f"{r.rate:.2f}", f"{r.per_cpu:.2f}"] if r is not None else ["-"] * 3
        print(f"| {mode} | {' | '.join(cells)} |")
    print(flush=True)


def part2(args: argparse.Namespace, local, part1: dict[str, list[Result | None]], vs: list[View]) -> None:
    """In play, float32 then bfloat16 (and how often bfloat16 chose as float32 did on part 1's situations)."""
    part2: dict[str, Result] = {}
    print(f"part 2 starts: load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    tokens = local.prefixes.run_tokens
    r = asyncio.run(run_matches(local, args.matches, args.rounds))
    part2["float32"] = r
    tokens = local.prefixes.run_tokens - tokens
    print(f"local float32  {args.matches} matches x {args.rounds} rounds: {r.n} decisions, {r.rate:.2f}/s, "
          f"{r.per_cpu:.2f} per CPU s", flush=True)
    first = part1["log-likelihood choice"][0]
    fp32_choices = first.choices if first is not None else []
    local.prefixes.clear()  # its memory, before the second model
    bf: list[int] = []
    if not args.float32_only:
        half = load_local(args.threads, "bfloat16")
        half.choose([{"role": "user", "content": "Ready?"}], ["yes", "no"])
        r = asyncio.run(run_matches(half, args.matches, args.rounds))
        part2["bfloat16"] = r
        print(f"local bfloat16 {args.matches} matches x {args.rounds} rounds: {r.n} decisions, {r.rate:.2f}/s, "
              f"{r.per_cpu:.2f} per CPU s", flush=True)
        bf = asyncio.run(run_mode(half, "log-likelihood choice", vs)).choices if fp32_choices else []
    agree = sum(a == b for a, b in zip(fp32_choices, bf))
    print(f"torch threads {local.threads}, load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"\nPart 2: log-likelihood choice in {args.matches} concurrent matches of {args.rounds} rounds, each "
          f"against its own opponent ({args.matches * args.rounds} decisions; float32 ran "
          f"{tokens / max(1, part2['float32'].n):.0f} prompt tokens a decision through the model, the matches' "
          "identical round-1 prompt once)." + (f" bfloat16 chose as float32 did in {agree} of {len(bf)} part-1 "
                                                "situations." if bf else "") + "\n")
    print(f"| weights | decisions | invalid | decisions/s (wall, {local.threads} torch threads) "
          f"| decisions per CPU s | wall rate / target {TARGET:g} |")
    print("|---|---|---|---|---|---|")
    for name, r in part2.items():
        print(f"| {name} | {r.n} | {r.invalid} | {r.rate:.2f} | {r.per_cpu:.2f} | {r.rate / TARGET:.2f} |")


if __name__ == "__main__":
    main()
