"""Tournament speed: interplay against the Axelrod library, side by side.

    .venv/bin/python benchmarks/tournament.py [--players 40] [--repetitions 5] [--turns 200]

1. Checks that deterministic pairings give identical payoff matrices in both libraries.
2. Plays the same round robin (the first ``--players`` strategies both libraries have, 200
   turns) in the Axelrod library (single process, its default) and in interplay, and prints
   both times and the ratio: interplay cold (first call: machine compilation and JIT) and warm.
3. Prints time and peak memory of a 200-strategy, 200-turn, 100-repetition tournament (the
   library's strategies plus random memory-one policies), measured in a fresh process.

    .venv/bin/python benchmarks/tournament.py --all224 [--axelrod-processes 2]

plays all 224 of Axelrod's quick strategies (200 turns, 10 repetitions, noise 0) in both
libraries, each as a whole fresh process (``interplay tournament --all`` and an ``axelrod``
``Tournament`` of the same classes), and prints wall and CPU seconds and the ratio.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time

import numpy as np


def common_strategies() -> list:
    from interplay.agents.strategies import LIBRARY

    return [s for s in LIBRARY if s.axelrod]


def check_identical(turns: int) -> int:
    import axelrod as axl

    from interplay.evaluate.tournament import run_tournament

    det = [s for s in common_strategies() if not s.stochastic]
    ours = run_tournament(det, turns=turns, repetitions=1)
    ref = axl.Tournament([getattr(axl, s.axelrod)() for s in det], turns=turns, repetitions=1).play(
        progress_bar=False)
    diff = np.abs(ours.payoff_matrix - np.array(ref.payoff_matrix)).max()
    if diff != 0:
        raise SystemExit(f"payoff matrices differ (max {diff}); not benchmarking")
    return len(det)


def timed_axelrod(strategies: list, turns: int, reps: int) -> float:
    import axelrod as axl

    players = [getattr(axl, s.axelrod)() for s in strategies]
    t = time.perf_counter()
    axl.Tournament(players, turns=turns, repetitions=reps, seed=1).play(progress_bar=False)
    return time.perf_counter() - t


def timed_interplay(strategies: list, turns: int, reps: int) -> float:
    from interplay.evaluate.tournament import run_tournament

    t = time.perf_counter()
    run_tournament(strategies, turns=turns, repetitions=reps, seed=1)
    return time.perf_counter() - t


def peak_rss_mib() -> float:
    """Peak resident memory of this process (VmHWM; ru_maxrss survives exec on Linux, so it is the fallback)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def big(turns: int = 200, reps: int = 100, n: int = 200) -> None:
    """Run in a child process: a 200-strategy tournament; print its time and peak RSS."""
    from interplay.agents.strategies import LIBRARY, memory_one_strategy
    from interplay.evaluate.tournament import run_tournament

    rng = np.random.default_rng(0)
    players = list(LIBRARY)[:n]
    players += [memory_one_strategy(rng.uniform(0, 1, 5), name=f"random memory-one {k}")
                for k in range(n - len(players))]
    before = peak_rss_mib()
    t = time.perf_counter()
    res = run_tournament(players, turns=turns, repetitions=reps, seed=0)
    dt = time.perf_counter() - t
    peak = peak_rss_mib()
    matches = len(players) * (len(players) + 1) // 2 * reps
    print(f"big: {len(players)} players, {turns} turns, {reps} repetitions = {matches:,} matches: {dt:.1f} s, "
          f"peak RSS {peak:.0f} MiB (before the tournament {before:.0f} MiB); "
          f"winner {res.ranked_names[0]!r}")


def _run_timed(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user + system of the child) and stdout of a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out.stdout


_AXELROD_224 = """
import sys, axelrod as axl
players = [c() for c in axl.short_run_time_strategies]
procs, reps = int(sys.argv[1]), int(sys.argv[2])
res = axl.Tournament(players, turns=200, repetitions=reps, seed=1).play(progress_bar=False,
                                                                   processes=None if procs <= 1 else procs)
print(len(players), res.ranked_names[0])
"""


def all224(axelrod_processes: int, axelrod_repetitions: int = 10) -> None:
    """The whole 224-strategy round robin in both libraries, each a fresh process."""
    import shutil

    exe = shutil.which("interplay", path=str(__import__("pathlib").Path(sys.executable).parent)) or "interplay"
    wall, cpu, out = _run_timed([exe, "tournament", "--all", "--turns", "200", "--repetitions", "10", "--json"])
    import json

    n = len(json.loads(out)["players"])
    print(f"interplay tournament --all: {n} strategies, 200 turns, 10 repetitions: {wall:.1f} s wall, "
          f"{cpu:.1f} s CPU (whole process)")
    ax_wall, ax_cpu, ax_out = _run_timed([sys.executable, "-c", _AXELROD_224, str(axelrod_processes),
                                          str(axelrod_repetitions)])
    print(f"axelrod 4.14 Tournament ({axelrod_processes} process{'es' if axelrod_processes > 1 else ''}): "
          f"{ax_out.split()[0]} strategies, {axelrod_repetitions} repetitions: {ax_wall:.1f} s wall, "
          f"{ax_cpu:.1f} s CPU")
    note = "" if axelrod_repetitions == 10 else \
        f" (axelrod played {axelrod_repetitions} of the 10 repetitions: a lower bound)"
    print(f"ratio axelrod / interplay: {ax_wall / wall:.1f}x wall, {ax_cpu / cpu:.1f}x CPU{note}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--players", type=int, default=40)
    ap.add_argument("--repetitions", type=int, default=5)
    ap.add_argument("--turns", type=int, default=200)
    ap.add_argument("--big", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--skip-big", action="store_true")
    ap.add_argument("--all224", action="store_true", help="the 224-strategy round robin in both libraries")
    ap.add_argument("--axelrod-processes", type=int, default=2)
    ap.add_argument("--axelrod-repetitions", type=int, default=10,
                    help="repetitions for the axelrod side (fewer: a lower bound on the ratio)")
    args = ap.parse_args()
    if args.all224:
        all224(args.axelrod_processes, args.axelrod_repetitions)
        return
    if args.big:
        big()
        return
    n_det = check_identical(args.turns)
    print(f"check: {n_det} deterministic strategies, {args.turns} turns: payoff matrices identical to axelrod's")
    strategies = common_strategies()[: args.players]
    n = len(strategies)
    stoch = sum(s.stochastic for s in strategies)
    print(f"tournament: {n} strategies ({stoch} stochastic), {args.turns} turns, {args.repetitions} repetitions, "
          f"{n * (n + 1) // 2 * args.repetitions:,} matches")
    cold = timed_interplay(strategies, args.turns, args.repetitions)
    warm = min(timed_interplay(strategies, args.turns, args.repetitions) for _ in range(3))
    ax = timed_axelrod(strategies, args.turns, args.repetitions)
    print(f"{'':24}{'seconds':>10}{'axelrod / this':>16}")
    print(f"{'axelrod 4.14 (1 process)':24}{ax:10.3f}{1.0:16.1f}")
    print(f"{'interplay, cold':24}{cold:10.3f}{ax / cold:16.1f}")
    print(f"{'interplay, warm':24}{warm:10.3f}{ax / warm:16.1f}")
    if not args.skip_big:
        out = subprocess.run([sys.executable, __file__, "--big"], capture_output=True, text=True, check=True)
        print(out.stdout.strip())


if __name__ == "__main__":
    main()
