"""Speed of collective decisions: rules on a large profile, Monte Carlo Shapley for many advisors.

1. A 10,000-voter, 8-option profile (impartial culture: each voter's ranking uniformly
   random, seeded) under each rule. interplay groups identical ballots and hands the
   counts to pref_voting; the peer is pref_voting on the 10,000 raw rankings, one count
   each. Both must give the same winners (checked).
2. Monte Carlo permutation Shapley for 50 advisors (the quality of a plurality vote of
   their suggestions), interplay's batched estimator against the textbook loop (one
   permutation at a time, one coalition value at a time), the same number of
   permutations and the same value function; both estimates are checked to lie within
   each other's Hoeffding intervals.

    .venv/bin/python benchmarks/decide.py [--voters 10000] [--options 8] [--advisors 50] [--samples 2000]

The first pref_voting call compiles numba kernels; a warm-up on a small profile runs
before timing.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from interplay.decide.importance import monte_carlo_shapley, plurality_game
from interplay.decide.profiles import Profile
from interplay.decide.rules import DEFAULT_RULES, apply_rule, get_rule

RULES = [*DEFAULT_RULES, "split-cycle", "stable-voting", "coombs", "baldwin"]


def timed(fn, repeat: int = 1):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def rules_benchmark(voters: int, options: int, seed: int) -> None:
    from pref_voting.profiles import Profile as PVProfile

    rng = np.random.default_rng(seed)
    names = [f"o{i}" for i in range(options)]
    arr = rng.permuted(np.tile(np.arange(options), (voters, 1)), axis=1)
    # warm-up: numba compiles pref_voting's kernels on first use
    small = Profile.from_array(names, arr[:50])
    for r in RULES:
        if get_rule(r).ballot == "ranking" and r != "kemeny-young":
            apply_rule(small, r)
    t_build, prof = timed(lambda: Profile.from_array(names, arr))
    t_conv, data = timed(lambda: prof.to_pref_voting())
    t_peer_build, peer = timed(lambda: PVProfile(arr.tolist()))
    print(f"\n{voters} voters x {options} options (impartial culture, seed {seed}); "
          f"{len(data.rankings_counts[0])} distinct ballots")
    print(f"  build: interplay {t_build + t_conv:.3f} s (group + convert), "
          f"pref_voting raw profile {t_peer_build:.3f} s")
    print(f"  {'rule':<16}{'interplay s':>12}{'raw pref_voting s':>19}{'ratio':>8}  winners")
    for r in RULES:
        rule = get_rule(r)
        if rule.ballot != "ranking":
            t, res = timed(lambda rule=rule: apply_rule(prof, rule))
            print(f"  {r:<16}{t:>12.3f}{'(grades)':>19}{'':>8}  {', '.join(res.winners)}")
            continue
        t, res = timed(lambda rule=rule: apply_rule(prof, rule, data))
        tp, ws = timed(lambda rule=rule: rule.method(peer))
        same = tuple(names[c] for c in sorted(ws)) == res.winners
        print(f"  {r:<16}{t:>12.3f}{tp:>19.3f}{tp / max(t, 1e-9):>7.1f}x  {', '.join(res.winners)}"
              f"{'' if same else '  (DIFFERENT from peer!)'}")


def textbook_shapley(game, samples: int, seed: int) -> np.ndarray:
    """The permutation estimator written as in Castro et al. (2009): one coalition at a time."""
    rng = np.random.default_rng(seed)
    n = game.n
    phi = np.zeros(n)
    for _ in range(samples):
        order = rng.permutation(n)
        mask = np.zeros(n, dtype=bool)
        prev = game(mask[None])[0]
        for i in order:
            mask[i] = True
            cur = game(mask[None])[0]
            phi[i] += cur - prev
            prev = cur
    return phi / samples


def shapley_benchmark(advisors: int, options: int, samples: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    game = plurality_game([f"a{i}" for i in range(advisors)], rng.integers(options, size=advisors),
                          rng.random(options), weights=rng.random(advisors))
    t_ours, mc = timed(lambda: monte_carlo_shapley(game, samples, seed=seed))
    t_peer, peer = timed(lambda: textbook_shapley(game, samples, seed + 1))
    gap = np.max(np.abs(mc.values - peer))
    print(f"\nMonte Carlo Shapley, {advisors} advisors, {samples} permutations "
          f"({samples * (advisors + 1)} coalition values)")
    print(f"  interplay (batched) {t_ours:.3f} s; textbook loop {t_peer:.3f} s; ratio {t_peer / t_ours:.1f}x")
    print(f"  efficiency: sum = {mc.values.sum():.4f}, v(N) - v(empty) = "
          f"{game(np.ones((1, advisors), bool))[0] - game(np.zeros((1, advisors), bool))[0]:.4f}")
    print(f"  Hoeffding half-width at 95%: {mc.half_width[0]:.4f}; max |interplay - textbook| = {gap:.4f} "
          f"({'within' if gap <= 2 * mc.half_width[0] else 'OUTSIDE'} both intervals)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--voters", type=int, default=10_000)
    ap.add_argument("--options", type=int, default=8)
    ap.add_argument("--advisors", type=int, default=50)
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rules_benchmark(args.voters, args.options, args.seed)
    shapley_benchmark(args.advisors, 4, args.samples, args.seed)


if __name__ == "__main__":
    main()
