"""LLM-agent tournament throughput: interplay's overhead against the ideal.

A 64-match iterated prisoner's dilemma tournament between 8 LLM agents (every
ordered pair, self-play included: 8 x 8 = 64 matches), against the loopback
OpenAI-compatible server answering each call after 100 ms. The server runs in its
own process, so its threads do not share the interpreter with the agents.

Ideal wall time = calls x delay / concurrency (the server is the only cost).
Target: interplay within 20% of the ideal at concurrency 32.

    .venv/bin/python benchmarks/llm_concurrency.py [--rounds 5] [--delay 0.1] [--concurrency 1 32]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time

import interplay
from interplay.agents.llm_agent import LLMAgent
from interplay.evaluate.tournament import run_tournament_async
from interplay.llm import load_model


def start_server(delay: float) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "interplay.llm.testing", "--delay", str(delay),
                             "--answer", "I cooperate.\nACTION: C"], stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    if not url.startswith("http"):
        proc.kill()
        raise SystemExit(f"loopback server did not start (got {url!r})")
    return proc, url


async def tournament(url: str, concurrency: int, rounds: int) -> tuple[float, int, int]:
    model = load_model({"provider": "openai", "base_url": url, "model": "loopback", "api_key_env": None,
                        "max_concurrency": concurrency, "timeout": 30})
    agents = {f"llm-{i}": LLMAgent(f"llm-{i}", model) for i in range(8)}
    game = interplay.make("ipd-v1", horizon=rounds)
    t0 = time.perf_counter()
    result = await run_tournament_async(agents, game=game, self_play=True, both_seats=True, max_matches=64)
    wall = time.perf_counter() - t0
    await model.aclose()
    complete = sum(m.complete for m in result.matches)
    return wall, model.totals.calls, complete


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--delay", type=float, default=0.1)
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 32])
    args = ap.parse_args()
    proc, url = start_server(args.delay)
    try:
        asyncio.run(tournament(url, 8, 1))  # warm-up: imports, connections, first compile
        rows = []
        for c in args.concurrency:
            wall, calls, complete = asyncio.run(tournament(url, c, args.rounds))
            ideal = calls * args.delay / c
            rows.append((c, calls, complete, wall, ideal, wall / ideal))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(f"64-match IPD tournament, 8 LLM agents, {args.rounds} rounds, server delay {args.delay * 1000:.0f} ms/call")
    print(f"{'concurrency':>11} {'calls':>6} {'matches':>7} {'wall s':>8} {'ideal s':>8} {'wall/ideal':>10}")
    for c, calls, complete, wall, ideal, ratio in rows:
        print(f"{c:>11} {calls:>6} {complete:>7} {wall:>8.2f} {ideal:>8.2f} {ratio:>10.3f}")
    if len(rows) >= 2:
        speedup = rows[0][3] / rows[-1][3]
        print(f"speed-up concurrency {rows[-1][0]} vs {rows[0][0]}: {speedup:.1f}x "
              f"(ideal {rows[-1][0] / rows[0][0]:.0f}x)")
    worst = max(r[5] for r in rows)
    print(f"target: wall within 20% of ideal -> {'met' if worst <= 1.2 else 'NOT met'} (worst ratio {worst:.3f})")


if __name__ == "__main__":
    main()
