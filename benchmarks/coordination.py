"""Speed of the coordination table with fixed strategies: 7 mechanisms x 7 games x 1,000 seeds.

interplay's array program (:func:`interplay.mechanisms.fast.simulate`, all seeds of a cell at
once) against the plain per-agent loop (:func:`interplay.mechanisms.reference.reference_cell`,
the same definitions one agent at a time), which is timed on ``--peer-seeds`` seeds a cell
and scaled to the same number of seeds. Both play the same population (Cooperator,
Defector, Reciprocator, Random, copies to fill the groups), 10 rounds, noise 0.05.

    .venv/bin/python benchmarks/coordination.py [--seeds 1000] [--rounds 10] [--peer-seeds 20]

The games are those of examples/coordination.yaml; the seventh, the bargaining game
(nash-demand-v1), is taken when the registry has it.
"""

from __future__ import annotations

import argparse
import os
import time

from interplay.errors import InterplayError
from interplay.games.registry import make
from interplay.mechanisms.fast import MECHANISMS, TYPES, Settings, mean_ci, population_types, simulate
from interplay.mechanisms.reference import reference_cell

GAMES = {
    "prisoners-dilemma-v1": {},
    "public-goods-v1": {"num_players": 3, "multiplier": 1.5},
    "trust-game-v1": {},
    "travelers-dilemma-v1": {},
    "stag-hunt-v1": {},
    "chicken-v1": {"win": 1.0, "lose": -4.0, "crash": -6.0},
    "nash-demand-v1": {},
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--peer-seeds", type=int, default=20)
    args = ap.parse_args()
    games = {}
    for gid, params in GAMES.items():
        try:
            games[gid] = make(gid, **params)
        except InterplayError as exc:
            print(f"(skipping {gid}: {str(exc).splitlines()[0]})")
    settings = Settings(rounds=args.rounds)
    pops = {g: population_types(list(TYPES), games[g].num_players) for g in games}
    simulate(games["prisoners-dilemma-v1"], "none", pops["prisoners-dilemma-v1"], 10, settings)  # warm-up
    t0, t_cpu0 = time.perf_counter(), time.process_time()
    cells = {(m, g): simulate(games[g], m, pops[g], args.seeds, settings) for g in games for m in MECHANISMS}
    wall, cpu = time.perf_counter() - t0, time.process_time() - t_cpu0
    t1 = time.perf_counter()
    for g in games:
        for m in MECHANISMS:
            reference_cell(games[g], m, pops[g], args.peer_seeds, settings)
    peer = (time.perf_counter() - t1) * args.seeds / args.peer_seeds
    print(f"cores: {os.cpu_count()}; {len(MECHANISMS)} mechanisms x {len(games)} games x {args.seeds} seeds, "
          f"{args.rounds} rounds, population of {len(TYPES)} types")
    print(f"{'':26s}{'wall s':>10s}{'cpu s':>10s}{'ratio':>10s}")
    print(f"{'interplay (arrays)':26s}{wall:10.2f}{cpu:10.2f}{1.0:10.1f}")
    print(f"{'plain loop (scaled)':26s}{peer:10.2f}{'':>10s}{peer / wall:10.1f}")
    print()
    print(f"{'game':24s}" + "".join(f"{m:>13s}" for m in MECHANISMS) + "   (cooperation rate, mean over seeds)")
    for g in games:
        print(f"{g:24s}" + "".join(f"{mean_ci(cells[(m, g)].cooperation)[0]:13.3f}" for m in MECHANISMS))


if __name__ == "__main__":
    main()
