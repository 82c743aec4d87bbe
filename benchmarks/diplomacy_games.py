"""Diplomacy speed: full bot games per minute through the `diplomacy` engine (adjudication, the
legal orders of every unit each phase, the seven observations), and the engine alone.
(Not named diplomacy.py: run as a script it would shadow the engine package `diplomacy`.)

    nice -n 10 .venv/bin/python benchmarks/diplomacy_games.py [--games 6] [--years 10] [--bots random,greedy,hold]

A game is played to its end (a solo victory or ``--years`` years). ``engine alone`` is the
engine with random orders drawn from ``get_all_possible_orders`` and no observations, the
floor any adapter pays; the adapter's rows add legality checks, the observations and the
records (conflicts, stolen centres, welfare points).
"""

from __future__ import annotations

import argparse
import json
import random
import time

from interplay.games.diplomacy import POWERS, play_game
from interplay.games.diplomacy_bots import BOTS


def engine_alone(games: int, years: int) -> tuple[float, int]:
    from diplomacy import Game

    phases, t = 0, time.perf_counter()
    for g in range(games):
        rng = random.Random(g)
        game = Game()
        while not game.is_game_done and int(game.get_current_phase()[1:5]) < 1901 + years:
            possible = game.get_all_possible_orders()
            for p in POWERS:
                locs = game.get_orderable_locations(p)
                game.set_orders(p, [rng.choice(possible[loc]) for loc in locs if possible[loc]])
            game.process()
            phases += 1
    return time.perf_counter() - t, phases


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--games", type=int, default=6)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--bots", default="random,greedy,hold")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = []
    play_game({p: BOTS["hold"] for p in POWERS}, max_years=1)  # warm-up: the map's distance table
    for name in args.bots.split(","):
        for welfare in (False, True):
            t = time.perf_counter()
            phases = 0
            for g in range(args.games):
                env = play_game({p: BOTS[name] for p in POWERS}, max_years=args.years, welfare=welfare, seed=g)
                phases += env.record.phases
            dt = time.perf_counter() - t
            rows.append({"bots": name, "welfare": welfare, "games": args.games, "years": args.years,
                         "seconds": round(dt, 2), "games_per_minute": round(60 * args.games / dt, 1),
                         "phases_per_second": round(phases / dt, 1)})
    dt, phases = engine_alone(args.games, args.years)
    rows.append({"bots": "engine alone (random)", "welfare": False, "games": args.games, "years": args.years,
                 "seconds": round(dt, 2), "games_per_minute": round(60 * args.games / dt, 1),
                 "phases_per_second": round(phases / dt, 1)})
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"{'bots':24} {'welfare':>7} {'games':>5} {'years':>5} {'seconds':>8} {'games/min':>10} {'phases/s':>9}")
    for r in rows:
        print(f"{r['bots']:24} {r['welfare']!s:>7} {r['games']:>5} {r['years']:>5} {r['seconds']:>8} "
              f"{r['games_per_minute']:>10} {r['phases_per_second']:>9}")


if __name__ == "__main__":
    main()
