"""Speed of the opponent-shaping learners and of the coin game.

    .venv/bin/python benchmarks/opponent_shaping.py [--big 10000] [--loop-seeds 4]

1. The whole ``lola-ipd`` table (NL-NL, LOLA-LOLA, LOLA-NL, NL-LOLA; 50 seeds x 200 updates),
   end to end in this fresh process, compilation included. Target: < 10 s on 2 CPU cores.
2. The same four pairings with ``--big`` seeds each (one batched program per pairing).
3. The same computation as a plain per-seed Python loop (a jitted single-seed update called
   200 times per seed), timed on ``--loop-seeds`` seeds and reported per seed, beside the
   batched time per seed. Target: batched at least 50x faster per seed.
4. Coin game: environment steps per second, batched over 4,096 environments.
5. Coin game training loops with GRU actor-critics (``interplay.agents.learners.pola``):
   environment steps sampled per second of wall time by PG, LOLA-DiCE and POLA-DiCE (every
   rollout counted, inner look-ahead ones included; the first, compiling update excluded).
   ``--only-coin-training`` runs just this part.
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--big", type=int, default=10_000, help="seeds per pairing in the batched run")
    ap.add_argument("--loop-seeds", type=int, default=4, help="seeds timed in the per-seed Python loop")
    ap.add_argument("--envs", type=int, default=4096, help="coin-game environments batched")
    ap.add_argument("--only-coin-training", action="store_true", help="only part 5")
    ap.add_argument("--coin-batch", type=int, default=256, help="part 5: episodes per rollout")
    ap.add_argument("--coin-updates", type=int, default=4, help="part 5: updates timed (+1 compiling)")
    args = ap.parse_args()
    if args.only_coin_training:
        coin_training(args.coin_batch, args.coin_updates)
        return

    t0 = time.perf_counter()
    from interplay.evaluate.reproduce import reproduce

    rows = reproduce("lola-ipd")
    t_table = time.perf_counter() - t0
    print(f"lola-ipd table, 4 pairings x 50 seeds x 200 updates, incl. import+compile: {t_table:.2f} s "
          f"(target < 10 s)")
    for r in rows:
        std = "" if r.std is None else f" (std {r.std:.2f})"
        print(f"  {r.name:55s} published {r.expected:>12s}  measured {r.measured:7.3f}{std}  "
              f"{'ok' if r.ok else 'OUT'}")

    from interplay.agents.learners import LOLA, NaiveLearner, differentiable, train_exact
    from interplay.agents.learners.differentiable import value_function
    from interplay.agents.learners.exact import _step_with, coefficients

    game = differentiable("ipd-v1", convention="lola", discount=0.96)
    pairings = [(NaiveLearner(), NaiveLearner()), (LOLA(), LOLA()), (LOLA(), NaiveLearner()),
                (NaiveLearner(), LOLA())]

    t0 = time.perf_counter()
    for a, b in pairings:
        train_exact(game, a, b, num_seeds=args.big, num_updates=200)
    t_big = time.perf_counter() - t0
    per_seed_batched = t_big / (4 * args.big)
    print(f"batched: 4 pairings x {args.big} seeds x 200 updates: {t_big:.2f} s "
          f"= {per_seed_batched * 1e6:.1f} us per seed-run (incl. compile)")

    values = value_function("iterated", game.payoffs, jnp.float32(game.discount))
    one_update = jax.jit(lambda x, y, c1, c2: _step_with(values, x, y, c1, c2))
    key = jax.random.PRNGKey(0)
    # compile outside the timing, so the loop is charged only for its per-call overhead
    jax.block_until_ready(one_update(jnp.zeros(5), jnp.zeros(5), coefficients(LOLA()), coefficients(LOLA())))
    t0 = time.perf_counter()
    for a, b in pairings:
        c1, c2 = coefficients(a), coefficients(b)
        for s in range(args.loop_seeds):
            x, y = jax.random.normal(jax.random.fold_in(key, s), (2, 5))
            for _ in range(200):
                d1, d2 = one_update(x, y, c1, c2)
                x, y = x + d1, y + d2
            jax.block_until_ready(x)
    t_loop = time.perf_counter() - t0
    per_seed_loop = t_loop / (4 * args.loop_seeds)
    print(f"per-seed Python loop (jitted update, compiled beforehand): {per_seed_loop * 1e3:.1f} ms per seed-run "
          f"({4 * args.loop_seeds} seed-runs timed)")
    print(f"ratio, per seed: batched is {per_seed_loop / per_seed_batched:.0f}x faster (target >= 50x); "
          f"the 50-seed table as a loop would take about {per_seed_loop * 200:.1f} s vs {t_table:.2f} s")

    import interplay

    coin = interplay.make("coin-game-v1")
    steps = 200

    @jax.jit
    def run(key):
        _, s = coin.reset_batch(key, args.envs)

        def body(s, k):
            ka, ks = jax.random.split(k)
            acts = jax.random.randint(ka, (args.envs, 2), 0, 4)
            _, s, r, _, _ = coin.step_batch(ks, s, acts)
            return s, r.sum()

        s, r = jax.lax.scan(body, s, jax.random.split(key, steps))
        return s.picks.sum(), r.sum()

    jax.block_until_ready(run(jax.random.PRNGKey(1)))
    t0 = time.perf_counter()
    jax.block_until_ready(run(jax.random.PRNGKey(2)))
    t_coin = time.perf_counter() - t0
    print(f"coin game: {args.envs} envs x {steps} steps in {t_coin:.3f} s = "
          f"{args.envs * steps / t_coin / 1e6:.2f} M env-steps/s (random actions, after compile)")
    coin_training(args.coin_batch, args.coin_updates)
    print(f"devices: {jax.devices()}, numpy {np.__version__}, jax {jax.__version__}")


def coin_training(batch: int, updates: int) -> None:
    """Part 5: env steps per second of the PG / LOLA-DiCE / POLA-DiCE training loops (1 seed)."""
    import interplay
    from interplay.agents.learners.pola import LOLA_DICE_PAPER, PG_PAPER, POLA_DICE_PAPER, train_pola_coin

    coin = interplay.make("coin-game-v1")
    pola = POLA_DICE_PAPER.model_copy(update={"outer_steps": 10, "inner_steps": 2})
    for name, cfg in (("PG", PG_PAPER), ("LOLA-DiCE", LOLA_DICE_PAPER), ("POLA-DiCE (10 outer x 2 inner)", pola)):
        run = train_pola_coin(coin, cfg, cfg, num_seeds=1, num_updates=updates + 1, batch=batch, rollout_length=50)
        print(f"coin-game training, {name}, GRU {cfg.hidden}, batch {batch} x 50 steps: "
              f"{run.steps_per_second / 1e3:.1f} k env-steps/s ({run.env_steps} steps in {run.seconds:.1f} s)")


if __name__ == "__main__":
    main()
