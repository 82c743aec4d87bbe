"""How much each advisor mattered: Shapley, Banzhaf, leave-one-out, pivotality.

A :class:`CoalitionGame` gives the value ``v(S)`` of any coalition ``S`` of advisors,
evaluated in batches: ``value(masks)`` takes a boolean array (B, n) and returns (B,).
Typical ``v``: the quality of the decision the advisors in ``S`` would reach by a
vote (:func:`vote_game`, :func:`plurality_game`), or a weighted voting game
(:func:`weighted_voting_game`).

* Exact Shapley value (Shapley 1953) by enumerating all ``2^n`` coalitions:
  ``phi_i = sum_{S not containing i} |S|! (n-|S|-1)! / n! (v(S+i) - v(S))``.
  It is efficient (``sum phi = v(N) - v(empty)``), symmetric, and gives null players 0.
* Monte Carlo permutation Shapley (Castro, Gomez and Tejada 2009): the mean marginal
  contribution over ``m`` random orders, with a Hoeffding interval: each marginal lies
  in an interval of width ``w`` (``2 (hi - lo)`` for values in [lo, hi], ``hi - lo`` for
  monotone games), so ``P(|hat phi_i - phi_i| >= eps) <= 2 exp(-2 m eps^2 / w^2)``;
  the half-width at confidence ``1 - delta`` is ``w sqrt(ln(2/delta) / (2m))``.
* Banzhaf value (Banzhaf 1965; Penrose 1946): ``beta_i = 2^{-(n-1)} sum_{S not
  containing i} (v(S+i) - v(S))``; in a simple (0/1) game it is the fraction of
  coalitions of the others in which ``i`` is pivotal; the normalised index divides by
  the sum. Beyond exact enumeration, the maximum-sample-reuse estimator of Wang and
  Jia (2023), ``E[v(S) | i in S] - E[v(S) | i not in S]`` over uniform random ``S``.
* Leave-one-out: ``v(N) - v(N - i)``. Pivotality in a vote: would the winners change
  without this voter (:func:`pivotal_voters`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from interplay.errors import InterplayError

#: Exact enumeration refuses beyond this many players (2^22 coalitions).
EXACT_LIMIT = 22


@dataclass(frozen=True)
class CoalitionGame:
    """``n`` named players and a batched value function on boolean coalition masks.

    ``bounds``: (lo, hi) such that every ``v(S)`` lies in [lo, hi] (for the Hoeffding
    interval); ``monotone``: ``v(S) <= v(T)`` whenever ``S ⊆ T`` (halves the interval).
    """

    players: tuple[str, ...]
    value: Callable[[np.ndarray], np.ndarray]
    bounds: tuple[float, float] = (0.0, 1.0)
    monotone: bool = False

    @property
    def n(self) -> int:
        return len(self.players)

    def __call__(self, masks: np.ndarray) -> np.ndarray:
        m = np.atleast_2d(np.asarray(masks, dtype=bool))
        if m.shape[1] != self.n:
            raise InterplayError(f"coalition masks need {self.n} columns, got {m.shape[1]}.")
        return np.asarray(self.value(m), dtype=float).reshape(len(m))

    def v(self, coalition: Sequence[str]) -> float:
        idx = {p: i for i, p in enumerate(self.players)}
        mask = np.zeros((1, self.n), dtype=bool)
        for p in coalition:
            if p not in idx:
                raise InterplayError(f"unknown player {p!r} (players: {', '.join(self.players)}).")
            mask[0, idx[p]] = True
        return float(self(mask)[0])


def all_masks(n: int) -> np.ndarray:
    """All 2^n coalitions as a boolean (2^n, n) array; row s has bit i set iff player i is in."""
    s = np.arange(2**n, dtype=np.int64)
    return ((s[:, None] >> np.arange(n)) & 1).astype(bool)


def value_table(game: CoalitionGame, max_players: int = EXACT_LIMIT) -> np.ndarray:
    """``v`` of every coalition, indexed by the bitmask ``sum_i 2^i [i in S]``."""
    if game.n > max_players:
        raise InterplayError(f"exact enumeration of {game.n} players needs 2^{game.n} coalitions; "
                             f"the limit is {max_players} (use Monte Carlo Shapley).")
    return game(all_masks(game.n))


def exact_shapley(game: CoalitionGame, table: np.ndarray | None = None) -> np.ndarray:
    """Exact Shapley values (Shapley 1953) by enumerating the 2^n coalitions."""
    n = game.n
    v = value_table(game) if table is None else table
    s = np.arange(2**n, dtype=np.int64)
    size = ((s[:, None] >> np.arange(n)) & 1).sum(axis=1)  # coalition sizes
    fact = [math.factorial(k) for k in range(n + 1)]
    w_by_size = np.array([fact[k] * fact[n - k - 1] / fact[n] for k in range(n)])
    phi = np.zeros(n)
    for i in range(n):
        without = s[(s >> i) & 1 == 0]
        phi[i] = np.sum(w_by_size[size[without]] * (v[without | (1 << i)] - v[without]))
    return phi


def exact_banzhaf(game: CoalitionGame, table: np.ndarray | None = None) -> np.ndarray:
    """Raw Banzhaf values ``2^{-(n-1)} sum_{S not containing i} (v(S+i) - v(S))``."""
    n = game.n
    v = value_table(game) if table is None else table
    s = np.arange(2**n, dtype=np.int64)
    beta = np.zeros(n)
    for i in range(n):
        without = s[(s >> i) & 1 == 0]
        beta[i] = np.mean(v[without | (1 << i)] - v[without])
    return beta


def normalised(values: np.ndarray) -> np.ndarray:
    """Values divided by their sum (the normalised Banzhaf index); zeros if the sum is 0."""
    total = float(np.sum(values))
    return np.zeros_like(values) if total == 0 else np.asarray(values) / total


def leave_one_out(game: CoalitionGame) -> np.ndarray:
    """``v(N) - v(N - i)`` for every player."""
    n = game.n
    masks = np.ones((n + 1, n), dtype=bool)
    masks[np.arange(1, n + 1), np.arange(n)] = False
    v = game(masks)
    return v[0] - v[1:]


@dataclass(frozen=True)
class MonteCarloShapley:
    """Permutation-sampling estimate with per-player Hoeffding half-widths."""

    values: np.ndarray
    half_width: np.ndarray
    std: np.ndarray
    samples: int
    confidence: float

    @property
    def lower(self) -> np.ndarray:
        return self.values - self.half_width

    @property
    def upper(self) -> np.ndarray:
        return self.values + self.half_width


def marginal_width(game: CoalitionGame) -> float:
    lo, hi = game.bounds
    return (hi - lo) if game.monotone else 2.0 * (hi - lo)


def hoeffding_half_width(width: float, samples: int, confidence: float) -> float:
    """``w sqrt(ln(2/delta) / (2m))`` with ``delta = 1 - confidence``."""
    delta = 1.0 - confidence
    return width * math.sqrt(math.log(2.0 / delta) / (2.0 * samples))


def samples_needed(width: float, eps: float, confidence: float) -> int:
    """Permutations for a half-width ``eps`` at ``confidence`` (Hoeffding)."""
    delta = 1.0 - confidence
    return math.ceil(width**2 * math.log(2.0 / delta) / (2.0 * eps**2))


def monte_carlo_shapley(game: CoalitionGame, samples: int = 1000, *, seed: int = 0, confidence: float = 0.95,
                        batch: int = 256) -> MonteCarloShapley:
    """Permutation-sampling Shapley values (Castro et al. 2009) with Hoeffding intervals.

    Each random order walks its prefixes (n + 1 coalitions, evaluated in one batch with
    the other orders of the batch); player ``i``'s sample is ``v(prefix + i) - v(prefix)``.
    """
    if samples < 1:
        raise InterplayError(f"monte_carlo_shapley: samples must be >= 1, got {samples}.")
    if not 0 < confidence < 1:
        raise InterplayError(f"monte_carlo_shapley: confidence must be in (0, 1), got {confidence}.")
    n = game.n
    rng = np.random.default_rng(seed)
    total = np.zeros(n)
    total_sq = np.zeros(n)
    done = 0
    tri = np.tril(np.ones((n + 1, n), dtype=bool), k=-1)  # row r: the first r positions of the order
    while done < samples:
        b = min(batch, samples - done)
        perms = rng.permuted(np.tile(np.arange(n), (b, 1)), axis=1)
        masks = np.zeros((b, n + 1, n), dtype=bool)
        rows = np.arange(b)[:, None, None]
        masks[rows, np.arange(n + 1)[None, :, None], perms[:, None, :]] = tri[None]
        v = game(masks.reshape(-1, n)).reshape(b, n + 1)
        marg = v[:, 1:] - v[:, :-1]  # marginal of the player at each position
        contrib = np.zeros((b, n))
        np.put_along_axis(contrib, perms, marg, axis=1)
        total += contrib.sum(0)
        total_sq += (contrib**2).sum(0)
        done += b
    mean = total / samples
    var = np.maximum(total_sq / samples - mean**2, 0.0) * samples / max(samples - 1, 1)
    hw = hoeffding_half_width(marginal_width(game), samples, confidence)
    return MonteCarloShapley(mean, np.full(n, hw), np.sqrt(var), samples, confidence)


def monte_carlo_banzhaf(game: CoalitionGame, samples: int = 1000, *, seed: int = 0) -> np.ndarray:
    """Maximum-sample-reuse Banzhaf estimate (Wang and Jia 2023): uniform random coalitions."""
    rng = np.random.default_rng(seed)
    masks = rng.random((samples, game.n)) < 0.5
    v = game(masks)
    out = np.zeros(game.n)
    for i in range(game.n):
        inside, outside = masks[:, i], ~masks[:, i]
        if not inside.any() or not outside.any():
            raise InterplayError("monte_carlo_banzhaf: too few samples to see every player in and out.")
        out[i] = v[inside].mean() - v[outside].mean()
    return out


# -- games ------------------------------------------------------------------------------


def weighted_voting_game(weights: Mapping[str, float] | Sequence[float], quota: float) -> CoalitionGame:
    """``[quota; w_1, ..., w_n]``: a coalition wins (value 1) when its weight reaches the quota."""
    if isinstance(weights, Mapping):
        names, w = tuple(weights), np.array(list(weights.values()), dtype=float)
    else:
        w = np.asarray(weights, dtype=float)
        names = tuple(f"p{i + 1}" for i in range(len(w)))
    if np.any(w < 0) or quota <= 0:
        raise InterplayError("weighted voting game: weights must be >= 0 and the quota positive.")
    return CoalitionGame(names, lambda m: (m @ w >= quota - 1e-12).astype(float), (0.0, 1.0), monotone=True)


def plurality_game(players: Sequence[str], votes: np.ndarray | Sequence[int], quality: np.ndarray | Sequence[float],
                   weights: Sequence[float] | None = None, empty: float | None = None) -> CoalitionGame:
    """Quality of the (weighted) plurality choice among a coalition's suggestions.

    ``votes`` is one suggested option index per player, or a (players, options) matrix
    of vote shares (an advisor torn between two options gives each 1/2). The coalition
    picks the option with the most (weighted) votes, ties broken uniformly at random, so
    ``v(S)`` is the mean quality of the tied leaders. ``v(empty)`` is ``empty`` (default:
    the mean quality of all options, i.e. a uniformly random choice). Vectorised.
    """
    q = np.asarray(quality, dtype=float)
    k, n = len(q), len(players)
    arr = np.asarray(votes)
    if arr.ndim == 1:
        if arr.shape != (n,) or np.any(arr < 0) or np.any(arr >= k):
            raise InterplayError(f"plurality_game: one suggestion in 0..{k - 1} per player needed.")
        share = np.zeros((n, k))
        share[np.arange(n), arr.astype(int)] = 1.0
    else:
        share = np.asarray(arr, dtype=float)
        if share.shape != (n, k) or np.any(share < 0):
            raise InterplayError(f"plurality_game: vote shares must have shape ({n}, {k}).")
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    tallies = share * w[:, None]
    base = float(q.mean()) if empty is None else float(empty)

    def value(masks: np.ndarray) -> np.ndarray:
        tally = masks.astype(float) @ tallies
        top = tally.max(1, keepdims=True)
        lead = np.isclose(tally, top) & (top > 0)
        val = (lead * q).sum(1) / np.maximum(lead.sum(1), 1)
        return np.where(masks.any(1), val, base)

    lo, hi = float(min(q.min(), base)), float(max(q.max(), base))
    return CoalitionGame(tuple(players), value, (lo, hi))


def vote_game(profile: Any, rule: str, quality: Mapping[str, float], empty: float | None = None) -> CoalitionGame:
    """Quality of the decision a coalition of voters reaches under a pref_voting ``rule``.

    ``v(S)`` = mean quality of the rule's winners on the ballots of ``S`` (a tie is
    broken uniformly at random); ``v(empty)`` = ``empty`` or the mean quality of all
    options. Coalitions are cached, so exact Shapley costs 2^n rule evaluations.
    """
    from interplay.decide.rules import apply_rule, get_rule

    r = get_rule(rule)
    voters = profile.voters
    missing = [o for o in profile.options if o not in quality]
    if missing:
        raise InterplayError(f"vote_game: no quality given for option(s) {missing}.")
    qv = {o: float(quality[o]) for o in profile.options}
    base = float(np.mean(list(qv.values()))) if empty is None else float(empty)
    cache: dict[tuple[bool, ...], float] = {}

    def one(mask: tuple[bool, ...]) -> float:
        if mask not in cache:
            if not any(mask):
                cache[mask] = base
            else:
                sub = profile.subset([v for v, m in zip(voters, mask) if m])
                ws = apply_rule(sub, r).winners
                cache[mask] = float(np.mean([qv[o] for o in ws]))
        return cache[mask]

    def value(masks: np.ndarray) -> np.ndarray:
        return np.array([one(tuple(bool(x) for x in row)) for row in masks])

    lo, hi = min(min(qv.values()), base), max(max(qv.values()), base)
    return CoalitionGame(tuple(voters), value, (lo, hi))


def pivotal_voters(profile: Any, rule: str) -> dict[str, bool]:
    """For each voter: would the rule's winners change if this voter abstained?"""
    from interplay.decide.rules import apply_rule, get_rule

    r = get_rule(rule)
    full = apply_rule(profile, r).winners
    out = {}
    for v in profile.voters:
        rest = profile.without(v)
        out[v] = (apply_rule(rest, r).winners != full) if len(rest) else True
    return out


@dataclass(frozen=True)
class Importance:
    """Every importance measure of one coalition game."""

    players: tuple[str, ...]
    shapley: np.ndarray
    shapley_method: str  # "exact" or "monte-carlo"
    shapley_half_width: np.ndarray | None
    banzhaf: np.ndarray
    leave_one_out: np.ndarray
    grand: float
    empty: float

    def as_dict(self) -> dict[str, Any]:
        # the normalised index only means something when no advisor does harm
        index = normalised(self.banzhaf) if np.all(self.banzhaf >= 0) else None
        out: dict[str, Any] = {
            "method": self.shapley_method, "v_all": self.grand, "v_empty": self.empty,
            "players": {p: {"shapley": float(self.shapley[i]), "banzhaf": float(self.banzhaf[i]),
                            "banzhaf_index": None if index is None else float(index[i]),
                            "leave_one_out": float(self.leave_one_out[i])} for i, p in enumerate(self.players)},
        }
        if self.shapley_half_width is not None:
            for i, p in enumerate(self.players):
                out["players"][p]["shapley_half_width"] = float(self.shapley_half_width[i])
        return out


def importance(game: CoalitionGame, *, exact_max: int = 15, samples: int = 2000, seed: int = 0,
               confidence: float = 0.95) -> Importance:
    """Shapley (exact up to ``exact_max`` players, else Monte Carlo), Banzhaf, leave-one-out."""
    n = game.n
    ends = game(np.array([np.ones(n, bool), np.zeros(n, bool)]))
    if n <= exact_max:
        table = value_table(game)
        return Importance(game.players, exact_shapley(game, table), "exact", None, exact_banzhaf(game, table),
                          leave_one_out(game), float(ends[0]), float(ends[1]))
    mc = monte_carlo_shapley(game, samples, seed=seed, confidence=confidence)
    return Importance(game.players, mc.values, "monte-carlo", mc.half_width,
                      monte_carlo_banzhaf(game, samples, seed=seed + 1), leave_one_out(game),
                      float(ends[0]), float(ends[1]))
