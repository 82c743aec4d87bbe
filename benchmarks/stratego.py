"""Stratego speed and bot strength: random-play games per second, batched (JAX vmap) beside
the single-game paths (and TextArena's Stratego-v0 if given its Python), and a bot-vs-bot
table (random vs heuristic, both seats).

    nice -n 10 .venv/bin/python benchmarks/stratego.py [--games 256] [--single 8] [--stepped 2]
        [--bot-games 200] [--variant standard|barrage] [--textarena-python /path/to/venv/bin/python]

Every game is played to its end: a flag capture, a player without a legal move, or the
turn limit (2000 moves for standard, 400 for Barrage). The batched run plays a fixed batch
until its longest game ends; the auto-reset run restarts each finished game at once and
counts the games finished in a fixed number of moves. Times exclude compilation (printed
apart). TextArena plays its own rules (no turn limit, no two-square rule); its games are cut
at the same number of moves so the comparison is per game of the same length budget.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

TEXTARENA_SCRIPT = r"""
import random, re, sys, time, json
import textarena as ta
from textarena.envs.Stratego.env import StrategoEnv
games, max_moves = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(0)
moves_total, t = 0, time.perf_counter()
ended = crashed = 0
for g in range(games):
    env = StrategoEnv()
    env.reset(num_players=2, seed=g)
    done, n = False, 0
    while not done and n < max_moves:
        pid, obs = env.get_observation()
        text = obs[-1][1] if isinstance(obs[-1], tuple) else str(obs[-1])
        legal = re.findall(r"\[[A-J]\d [A-J]\d\]", text.split("Available Moves:")[-1])
        if not legal:
            break
        try:
            done, _ = env.step(rng.choice(legal))
        except TypeError:  # its winner check reads a stale piece list (env.py, _check_winner)
            crashed += 1
            break
        n += 1
    ended += done
    moves_total += n
dt = time.perf_counter() - t
print(json.dumps({"games": games, "seconds": dt, "moves": moves_total, "ended": ended,
                  "crashed": crashed}))
"""


def timed(fn):
    t = time.perf_counter()
    out = fn()
    jax.block_until_ready(out)
    return time.perf_counter() - t, out


def bench_batched(game, n: int) -> dict:
    compile_s, _ = timed(lambda: game.play(jax.random.PRNGKey(0), n).winner)
    run_s, rec = timed(lambda: game.play(jax.random.PRNGKey(1), n))
    plies = np.asarray(rec.plies)
    return {"games": n, "seconds": run_s, "games_per_s": n / run_s, "compile_s": compile_s - run_s,
            "mean_plies": float(plies.mean()), "moves_per_s": float(plies.sum() / run_s)}


def autoreset_rollout(game, num_envs: int, steps: int):
    """``num_envs`` games stepped ``steps`` times with random moves; a finished game is replaced
    by a new one at once (the RL way of batching), so no slot waits for the longest game."""
    from functools import partial

    from interplay.games.stratego.bots import random_policy

    @partial(jax.jit, static_argnums=(1,))
    def run(key, steps):
        keys = jax.random.split(key, num_envs)
        _, state = jax.vmap(game.reset)(keys)

        def one(k, s):
            k_act, k_new = jax.random.split(k)
            s2, _, _, _ = game.transition(s, random_policy(k_act, None, s.mask))
            fresh = game.reset(k_new)[1]
            out = jax.tree.map(lambda a, b: jnp.where(s2.done, a, b), fresh, s2)
            return out, s2.done, s2.winner

        def body(carry, k):
            state, finished, plies = carry
            ks = jax.random.split(k, num_envs)
            state, done, _ = jax.vmap(one)(ks, state)
            return (state, finished + done.sum(), plies + num_envs), None

        (_, finished, plies), _ = jax.lax.scan(body, (state, jnp.int32(0), jnp.int32(0)),
                                               jax.random.split(key, steps))
        return finished, plies

    return run


def bench_autoreset(game, num_envs: int, steps: int) -> dict:
    run = autoreset_rollout(game, num_envs, steps)
    compile_s, _ = timed(lambda: run(jax.random.PRNGKey(0), steps))
    run_s, (finished, plies) = timed(lambda: run(jax.random.PRNGKey(1), steps))
    return {"games": int(finished), "seconds": run_s, "games_per_s": int(finished) / run_s,
            "compile_s": compile_s - run_s, "moves_per_s": int(plies) / run_s}


def bench_single(game, n: int) -> dict:
    keys = jax.random.split(jax.random.PRNGKey(1), n)
    compile_s, _ = timed(lambda: game.play_single(keys[0]).winner)
    t = time.perf_counter()
    plies = 0
    for k in keys:
        rec = game.play_single(k)
        plies += int(rec.plies)
    run_s = time.perf_counter() - t
    return {"games": n, "seconds": run_s, "games_per_s": n / run_s, "compile_s": compile_s,
            "moves_per_s": plies / run_s}


def bench_stepped(game, n: int) -> dict:
    """A Python loop of checked steps (what the PettingZoo env and the text shell do)."""
    rng = np.random.default_rng(0)
    key = jax.random.PRNGKey(0)
    _, s = game.reset(key)
    game.checked_step(key, s, int(np.flatnonzero(np.asarray(s.mask))[0]))  # compile
    t = time.perf_counter()
    plies = 0
    for g in range(n):
        _, s = game.reset(jax.random.PRNGKey(g))
        while not bool(s.done):
            _, s, *_ = game.checked_step(key, s, int(rng.choice(np.flatnonzero(np.asarray(s.mask)))))
            plies += 1
    run_s = time.perf_counter() - t
    return {"games": n, "seconds": run_s, "games_per_s": n / run_s, "moves_per_s": plies / run_s}


def bench_textarena(python: str, n: int, max_moves: int) -> dict | None:
    try:
        out = subprocess.run([python, "-c", TEXTARENA_SCRIPT, str(n), str(max_moves)], capture_output=True,
                             text=True, timeout=3600, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"textarena run failed: {exc}", file=sys.stderr)
        return None
    r = json.loads(out.stdout.strip().splitlines()[-1])
    r["games_per_s"] = r["games"] / r["seconds"]
    r["moves_per_s"] = r["moves"] / r["seconds"]
    return r


def bot_table(game, n: int) -> list[dict]:
    from interplay.games.stratego.bots import heuristic_policy, random_policy

    bots = {"random": random_policy, "heuristic": heuristic_policy}
    rows = []
    for i, (red, blue) in enumerate([("heuristic", "random"), ("random", "heuristic"), ("heuristic", "heuristic"),
                                     ("random", "random")]):
        rec = game.play(jax.random.fold_in(jax.random.PRNGKey(7), i), n, (bots[red], bots[blue]))
        w = np.asarray(rec.winner)
        rows.append({"red": red, "blue": blue, "games": n, "red_wins": int((w == 0).sum()),
                     "blue_wins": int((w == 1).sum()), "draws": int((w == -1).sum()),
                     "turn_limit": int(np.asarray(rec.truncated).sum()),
                     "mean_plies": float(np.asarray(rec.plies).mean())})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--variant", default="standard", choices=["standard", "barrage"])
    ap.add_argument("--games", type=int, default=256, help="games in the batched run")
    ap.add_argument("--autoreset-steps", type=int, default=4000,
                    help="moves per env in the auto-reset run (0: skip); its games/s counts finished games")
    ap.add_argument("--single", type=int, default=8, help="games through the jitted single-game path")
    ap.add_argument("--stepped", type=int, default=2, help="games through the Python loop of checked steps")
    ap.add_argument("--bot-games", type=int, default=200, help="games per pairing in the bot table (0: skip)")
    ap.add_argument("--textarena-python", default=None, help="a Python with textarena installed")
    ap.add_argument("--textarena-games", type=int, default=5)
    args = ap.parse_args()

    from interplay.games.stratego import stratego

    game = stratego(args.variant)
    print(f"{game.spec.id}: random play to the end (turn limit {game.max_plies} moves), {jax.devices()[0]}")
    rows = [("interplay batched (vmap, one while_loop)", bench_batched(game, args.games))]
    if args.autoreset_steps:
        rows.append((f"interplay batched, auto-reset ({args.games} envs x {args.autoreset_steps} moves)",
                     bench_autoreset(game, args.games, args.autoreset_steps)))
    rows.append(("interplay single game (jit, one while_loop)", bench_single(game, args.single)))
    if args.stepped:
        rows.append(("interplay stepped (Python loop, checked steps)", bench_stepped(game, args.stepped)))
    if args.textarena_python and args.variant == "standard":
        ta = bench_textarena(args.textarena_python, args.textarena_games, game.max_plies)
        if ta:
            rows.append((f"TextArena Stratego-v0 ({ta['ended']} ended, {ta['crashed']} crashed)", ta))
    print(f"{'path':<58} {'games':>6} {'seconds':>9} {'games/s':>9} {'moves/s':>10}")
    for name, r in rows:
        print(f"{name:<58} {r['games']:>6} {r['seconds']:>9.2f} {r['games_per_s']:>9.2f} {r['moves_per_s']:>10.0f}")
    single = next(r for n, r in rows if n.startswith("interplay single"))
    print(f"compile: batched {rows[0][1]['compile_s']:.1f} s, single {single['compile_s']:.1f} s; "
          f"mean game length {rows[0][1]['mean_plies']:.0f} moves")
    if args.bot_games:
        print(f"\nbots, {args.bot_games} games per pairing ({game.spec.id})")
        print(f"{'red':<10} {'blue':<10} {'red wins':>9} {'blue wins':>10} {'draws':>6} {'turn limit':>11} "
              f"{'mean moves':>11}")
        for r in bot_table(game, args.bot_games):
            print(f"{r['red']:<10} {r['blue']:<10} {r['red_wins']:>9} {r['blue_wins']:>10} {r['draws']:>6} "
                  f"{r['turn_limit']:>11} {r['mean_plies']:>11.0f}")


if __name__ == "__main__":
    main()
