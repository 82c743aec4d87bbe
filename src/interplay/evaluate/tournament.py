"""Round-robin tournaments of the iterated prisoner's dilemma as one batched array program.

Every strategy compiles to a machine (:mod:`interplay.agents.strategies.core`); all machines
are concatenated into two flat tables, and all matches of a block of repetitions advance
together, one ``jax.lax.scan`` step a turn, two table look-ups a match. Per match only the
counts of the four joint actions CC, CD, DC, DD are kept (payoffs, cooperation and state
distributions follow from them), and blocks are reduced as they finish, so memory is bounded
by the block size, not by turns x repetitions. Pairs of deterministic strategies without
noise or end probability give the same match every repetition: they are played once.

Matches that involve a per-turn strategy of the library (a learner, a strategy with internal
random state: a :class:`~interplay.agents.strategies.core.TurnRule`) are played by a second array program
in NumPy: all such matches advance together, one call of each per-turn strategy a turn for all
of its matches, machines stepped by table look-up as above (:func:`play_turnwise`).

Per-turn :class:`~interplay.agents.strategies.player.Player` objects (LLM agents, humans) are
played by a per-match path whose counts merge into the same result.

Results follow the Axelrod library's ``ResultSet`` (Knight et al. 2016): ``payoff_matrix[i][j]``
is i's mean payoff per turn against j (mean over repetitions; self-play is the mean of both
copies), ``scores[i][r]`` the total payoff against the other players in repetition r,
``normalised_scores`` the mean per-turn payoff against the others, ``ranked_names`` by median
normalised score, ``wins`` the matches won against the others.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from interplay.agents.strategies import Strategy, resolve
from interplay.agents.strategies.core import DEFAULT_PAYOFFS, Context, Machine
from interplay.agents.strategies.player import MachinePlayer, MatchInfo, Player, TurnPlayer
from interplay.errors import InterplayError

#: Matches per block of the batched program (bounds memory: 4 int32 counts a match).
BLOCK_MATCHES = 1 << 18


@dataclass(frozen=True)
class TournamentSettings:
    """How a tournament is played.

    Attributes:
        turns: turns per match (with ``prob_end`` > 0: the most a match may last).
        repetitions: how many times each pair plays.
        noise: probability each chosen action is flipped.
        prob_end: per-turn probability that a match ends (match length then unknown to players).
        payoffs: (R, S, T, P), default the Axelrod library's (3, 0, 5, 1).
        self_play: whether each player also meets a copy of itself.
        seed: root seed; repetition r uses a key folded from it, so results do not depend on
            how repetitions are split into blocks or executors.
        record: keep every turn's joint action (memory grows with turns x repetitions).
    """

    turns: int = 200
    repetitions: int = 10
    noise: float = 0.0
    prob_end: float = 0.0
    payoffs: tuple[float, float, float, float] = DEFAULT_PAYOFFS
    self_play: bool = True
    seed: int = 0
    record: bool = False

    def __post_init__(self) -> None:
        if int(self.turns) < 1:
            raise InterplayError(f"tournament: turns must be a positive integer, got {self.turns}.")
        if int(self.repetitions) < 1:
            raise InterplayError(f"tournament: repetitions must be a positive integer, got {self.repetitions}.")
        if not 0.0 <= self.noise <= 0.5:
            raise InterplayError(f"tournament: noise must be in [0, 0.5], got {self.noise}.")
        if not 0.0 <= self.prob_end < 1.0:
            raise InterplayError(f"tournament: prob_end must be in [0, 1), got {self.prob_end}.")
        if len(self.payoffs) != 4 or not all(math.isfinite(float(x)) for x in self.payoffs):
            raise InterplayError(f"tournament: payoffs must be 4 numbers (R, S, T, P), got {self.payoffs}.")

    @property
    def context(self) -> Context:
        return Context(payoffs=tuple(float(x) for x in self.payoffs), turns=int(self.turns),  # type: ignore[arg-type]
                       length_known=self.prob_end == 0.0, noisy=self.noise > 0.0)

    @property
    def match_info(self) -> MatchInfo:
        return MatchInfo(turns=int(self.turns) if self.prob_end == 0 else None,
                         payoffs=tuple(float(x) for x in self.payoffs),  # type: ignore[arg-type]
                         noise=self.noise, prob_end=self.prob_end)


# -- the batched kernel ---------------------------------------------------------------
@partial(jax.jit, static_argnames=("turns", "stochastic", "record"))
def _kernel(keys, coop, nxt, start1, start2, noise, prob_end, *, turns: int, stochastic: bool, record: bool):
    """Counts of CC, CD, DC, DD (player-1 view) for R repetitions x P pairs; optionally the joint actions."""
    num_pairs = start1.shape[0]

    def one_rep(key):
        k_len, k_play = jax.random.split(key)
        u = jax.random.uniform(k_len, (num_pairs,), minval=1e-12, maxval=1.0)
        geo = jnp.floor(jnp.log(u) / jnp.log1p(-jnp.minimum(prob_end, 1 - 1e-7))) + 1
        length = jnp.where(prob_end > 0, jnp.minimum(geo, turns), turns).astype(jnp.int32)

        def turn(carry, t):
            s1, s2, counts = carry
            p1, p2 = coop[s1], coop[s2]
            if stochastic:
                u12 = jax.random.uniform(jax.random.fold_in(k_play, t), (2, num_pairs))
                p1 = p1 * (1 - noise) + (1 - p1) * noise
                p2 = p2 * (1 - noise) + (1 - p2) * noise
                a1 = (u12[0] >= p1).astype(jnp.int32)
                a2 = (u12[1] >= p2).astype(jnp.int32)
            else:
                a1 = (p1 < 0.5).astype(jnp.int32)
                a2 = (p2 < 0.5).astype(jnp.int32)
            joint = 2 * a1 + a2
            alive = (t < length).astype(jnp.int32)
            counts = counts + jax.nn.one_hot(joint, 4, dtype=jnp.int32) * alive[:, None]
            s1 = nxt[4 * s1 + joint]
            s2 = nxt[4 * s2 + 2 * a2 + a1]
            out = jnp.where(alive > 0, joint, -1).astype(jnp.int8) if record else None
            return (s1, s2, counts), out

        init = (start1, start2, jnp.zeros((num_pairs, 4), jnp.int32))
        (_, _, counts), acts = jax.lax.scan(turn, init, jnp.arange(turns))
        return counts, (jnp.swapaxes(acts, 0, 1) if record else None)

    return jax.vmap(one_rep)(keys)


@dataclass(frozen=True)
class BlockTask:
    """One block of the batched program: repetitions ``reps`` of the pairs ``(start1, start2)``."""

    reps: tuple[int, ...]
    group: str  # "stochastic" or "deterministic"


@dataclass(frozen=True, eq=False)
class Tables:
    """All machines concatenated: flat tables and each player's start state (sent once to workers)."""

    coop: np.ndarray  # (S,) float32
    nxt: np.ndarray  # (4 S,) int32, index 4 * state + 2 * my + their
    start: np.ndarray  # (N,) int32
    deterministic: np.ndarray  # (N,) bool

    @staticmethod
    def build(machines: Sequence[Machine]) -> Tables:
        sizes = np.array([m.num_states for m in machines], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        if sizes.sum() >= 2**31 // 4:
            raise InterplayError("tournament: the strategies' machines are too large to play together.")
        coop = np.concatenate([m.coop for m in machines]).astype(np.float32)
        nxt = np.concatenate([(m.next.reshape(-1) + off) for m, off in zip(machines, offsets)]).astype(np.int32)
        det = np.array([m.deterministic for m in machines])
        return Tables(coop=coop, nxt=nxt, start=offsets.astype(np.int32), deterministic=det)


@dataclass(frozen=True)
class KernelJob:
    """Everything a worker needs to play blocks (picklable; shipped once per executor)."""

    tables: Tables
    pairs: dict[str, np.ndarray]  # group -> (P, 2) player indices
    settings: TournamentSettings


def play_block(job: KernelJob, task: BlockTask) -> tuple[np.ndarray, np.ndarray | None]:
    """Play one block: counts (len(reps), P, 4) and, if recording, joint actions (len(reps), P, turns)."""
    s = job.settings
    pairs = job.pairs[task.group]
    root = jax.random.PRNGKey(s.seed)
    keys = jnp.stack([jax.random.fold_in(root, r) for r in task.reps])
    stochastic = task.group == "stochastic"
    counts, acts = _kernel(keys, jnp.asarray(job.tables.coop), jnp.asarray(job.tables.nxt),
                           jnp.asarray(job.tables.start[pairs[:, 0]]), jnp.asarray(job.tables.start[pairs[:, 1]]),
                           jnp.float32(s.noise), jnp.float32(s.prob_end), turns=int(s.turns),
                           stochastic=stochastic, record=s.record)
    return np.asarray(counts), (np.asarray(acts) if acts is not None else None)


class _InProcess:
    workers = 1

    def map(self, fn: Callable[[Any, Any], Any], items: Sequence[Any], shared: Any = None) -> list[Any]:
        return [fn(shared, it) for it in items]


# -- accumulation -----------------------------------------------------------------------
class Accumulator:
    """Running sums over matches, reduced as blocks finish (Axelrod ResultSet quantities)."""

    def __init__(self, n: int, repetitions: int, payoffs: Sequence[float]) -> None:
        self.n, self.reps = n, repetitions
        R, S, T, P = (float(x) for x in payoffs)
        self.v1 = np.array([R, S, T, P])  # player 1's payoff per joint action (its view)
        self.v2 = np.array([R, T, S, P])  # player 2's payoff per joint action (player 1's view of states)
        self.pay_sum = np.zeros((n, n))
        self.pay_sq = np.zeros((n, n))
        self.matches = np.zeros((n, n))
        self.coop = np.zeros((n, n))
        self.turns = np.zeros((n, n))
        self.states = np.zeros((n, n, 4))
        self.pair_wins = np.zeros((n, n))
        self.scores = np.zeros((n, repetitions))
        self.norm = np.zeros((n, repetitions))
        self.wins = np.zeros((n, repetitions))

    def add(self, pairs: np.ndarray, reps: np.ndarray, counts: np.ndarray, weight: int = 1) -> None:
        """``counts``: (len(reps), P, 4) for ``pairs`` (P, 2); ``weight`` repeats each repetition's
        contribution over ``weight`` consecutive repetitions starting at each entry of ``reps``
        (used for deterministic pairs played once)."""
        counts = counts.astype(np.float64)
        i = np.broadcast_to(pairs[:, 0], counts.shape[:2])
        j = np.broadcast_to(pairs[:, 1], counts.shape[:2])
        turns = counts.sum(-1)
        tot1, tot2 = counts @ self.v1, counts @ self.v2
        safe = np.maximum(turns, 1)
        pt1, pt2 = tot1 / safe, tot2 / safe
        c1 = counts[..., 0] + counts[..., 1]
        c2 = counts[..., 0] + counts[..., 2]
        swapped = counts[..., [0, 2, 1, 3]]
        self_ = i == j
        w = float(weight)

        def both(target: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
            other = ~self_
            np.add.at(target, (i[other], j[other]), w * a[other])
            np.add.at(target, (j[other], i[other]), w * b[other])
            np.add.at(target, (i[self_], j[self_]), w * (a[self_] + b[self_]) / 2)

        both(self.pay_sum, pt1, pt2)
        both(self.pay_sq, pt1**2, pt2**2)
        both(self.matches, np.ones_like(pt1), np.ones_like(pt2))
        both(self.coop, c1, c2)
        both(self.turns, turns, turns)
        both(self.pair_wins, (tot1 > tot2).astype(float), (tot2 > tot1).astype(float))
        other = ~self_
        for k in range(4):
            np.add.at(self.states[..., k], (i[other], j[other]), w * counts[..., k][other])
            np.add.at(self.states[..., k], (j[other], i[other]), w * swapped[..., k][other])
            np.add.at(self.states[..., k], (i[self_], j[self_]), w * (counts[..., k] + swapped[..., k])[self_] / 2)
        # per player and repetition, against the others only (as the Axelrod library)
        r = np.broadcast_to(np.asarray(reps)[:, None], counts.shape[:2])
        for offset in range(weight):
            rr = (r + offset)[other]
            np.add.at(self.scores, (i[other], rr), tot1[other])
            np.add.at(self.scores, (j[other], rr), tot2[other])
            np.add.at(self.norm, (i[other], rr), pt1[other])
            np.add.at(self.norm, (j[other], rr), pt2[other])
            np.add.at(self.wins, (i[other], rr), (tot1 > tot2)[other])
            np.add.at(self.wins, (j[other], rr), (tot2 > tot1)[other])


@dataclass
class TournamentResult:
    """A finished tournament, with the Axelrod library's summaries and interplay's own.

    Arrays are indexed by player in the order of ``players``; see the module docstring for
    the definitions. ``actions`` maps ``(i, j)`` to an int8 array (repetitions, turns) of joint
    actions 0..3 = CC, CD, DC, DD from i's view (-1 after the end) when recording was asked.
    """

    players: list[str]
    settings: TournamentSettings
    payoff_matrix: np.ndarray
    payoff_stddevs: np.ndarray
    scores: np.ndarray
    normalised_scores: np.ndarray
    wins: np.ndarray
    cooperation: np.ndarray
    normalised_cooperation: np.ndarray
    state_distribution: np.ndarray
    pair_wins: np.ndarray
    match_lengths: np.ndarray
    actions: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)

    @property
    def ranking(self) -> list[int]:
        med = np.round(np.nanmedian(self.normalised_scores, axis=1), 10)  # exact ties keep the players' order
        return sorted(range(len(self.players)), key=lambda k: -med[k])

    @property
    def ranked_names(self) -> list[str]:
        return [self.players[k] for k in self.ranking]

    @property
    def normalised_state_distribution(self) -> np.ndarray:
        tot = self.state_distribution.sum(-1, keepdims=True)
        return np.divide(self.state_distribution, tot, out=np.zeros_like(self.state_distribution), where=tot > 0)

    @property
    def cooperating_rating(self) -> np.ndarray:
        """Each player's overall cooperation rate (self-play excluded)."""
        n = len(self.players)
        off = ~np.eye(n, dtype=bool)
        coop = np.where(off, self.cooperation, 0).sum(1)
        turns = np.where(off, self.match_lengths, 0).sum(1)
        return np.divide(coop, turns, out=np.zeros(n), where=turns > 0)

    def summary(self) -> list[dict[str, Any]]:
        """One row per player in rank order: median and mean normalised score, its spread, wins, cooperation."""
        rows = []
        rating = self.cooperating_rating
        for rank, k in enumerate(self.ranking, 1):
            ns = self.normalised_scores[k]
            rows.append({
                "rank": rank,
                "name": self.players[k],
                "median_score": float(np.median(ns)),
                "mean_score": float(np.mean(ns)),
                "score_q10": float(np.quantile(ns, 0.1)),
                "score_q90": float(np.quantile(ns, 0.9)),
                "median_wins": float(np.median(self.wins[k])),
                "cooperation_rating": float(rating[k]),
            })
        return rows

    def to_dict(self) -> dict[str, Any]:
        from interplay.evaluate.metrics import population_metrics

        s = self.settings
        return {
            "players": list(self.players),
            "settings": {"turns": s.turns, "repetitions": s.repetitions, "noise": s.noise, "prob_end": s.prob_end,
                         "payoffs": list(s.payoffs), "self_play": s.self_play, "seed": s.seed},
            "payoff_matrix": self.payoff_matrix.tolist(),
            "payoff_stddevs": self.payoff_stddevs.tolist(),
            "ranked_names": self.ranked_names,
            "scores": self.scores.tolist(),
            "normalised_scores": self.normalised_scores.tolist(),
            "wins": self.wins.tolist(),
            "cooperation": self.normalised_cooperation.tolist(),
            "cooperation_counts": self.cooperation.tolist(),
            "state_distribution": self.normalised_state_distribution.tolist(),
            "summary": self.summary(),
            "metrics": population_metrics(self),
        }


# -- the per-turn array program: matches with a per-turn strategy of the library ------------
def play_turnwise(entries: list[Any], pairs: np.ndarray, settings: TournamentSettings,
                  actions: dict[tuple[int, int], np.ndarray] | None = None
                  ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, int]]:
    """Play every match of ``pairs`` (each with at least one per-turn strategy) together in NumPy.

    Returns ``(pairs, reps, counts, weight)`` groups for :meth:`Accumulator.add`. Pairs of two
    deterministic strategies without noise or end probability are played once (weight = repetitions).
    With ``settings.record``, each pair's joint actions (repetitions, turns) go into ``actions``.
    """
    s = settings
    ctx = s.context
    reps_n, turns = int(s.repetitions), int(s.turns)
    det = np.array([(not e.stochastic) if e.per_turn else e.machine(ctx).deterministic for e in entries])
    once = det[pairs[:, 0]] & det[pairs[:, 1]] & (s.noise == 0) & (s.prob_end == 0) & (not s.record)
    dpairs, spairs = pairs[once], pairs[~once]
    row_pair = np.concatenate([dpairs, np.tile(spairs, (reps_n, 1))]).astype(np.int64)  # (M, 2) entry indices
    m_rows = len(row_pair)
    rng = np.random.default_rng([s.seed, 17])
    length = np.minimum(rng.geometric(s.prob_end, m_rows), turns) if s.prob_end > 0 else np.full(m_rows, turns)
    # machines: one flat table for every machine strategy present, a state per row and seat
    machine_ids = sorted({int(k) for k in np.unique(row_pair) if not entries[int(k)].per_turn})
    local = {k: n for n, k in enumerate(machine_ids)}
    tables = Tables.build([entries[k].machine(ctx) for k in machine_ids]) if machine_ids else None
    mseat = []  # per seat: rows whose player there is a machine, and their states
    for seat in (0, 1):
        rows = np.flatnonzero([k in local for k in row_pair[:, seat].tolist()])
        start = tables.start[[local[int(k)] for k in row_pair[rows, seat]]] if tables is not None and len(rows) \
            else np.zeros(0, np.int32)
        mseat.append((rows, start.astype(np.int64)))
    stochastic_machines = tables is not None and not bool(tables.deterministic.all())
    # per-turn strategies: one group per strategy over all its seats
    groups = []
    for k in sorted({int(k) for k in np.unique(row_pair) if entries[int(k)].per_turn}):
        r0 = np.flatnonzero(row_pair[:, 0] == k)
        r1 = np.flatnonzero(row_pair[:, 1] == k)
        n = len(r0) + len(r1)
        rule = entries[k].rule
        state = rule.start(n, ctx, np.random.default_rng([s.seed, 19, k]))
        groups.append((rule, state, r0, r1, np.zeros((n, turns), np.int8), np.zeros((n, turns), np.int8)))
    counts = np.zeros((m_rows, 4), np.int64)
    flat = counts.reshape(-1)
    base = np.arange(m_rows) * 4
    acts = np.zeros((2, m_rows), np.int8)
    rec = np.full((m_rows, turns), -1, np.int8) if s.record else None
    for t in range(turns):
        for seat, (rows, state) in enumerate(mseat):
            if len(rows):
                p = tables.coop[state]  # type: ignore[union-attr]
                acts[seat, rows] = (rng.random(len(rows)) >= p) if stochastic_machines else (p < 0.5)
        for rule, state, r0, r1, own, opp in groups:
            a = np.asarray(rule.act(state, t, own[:, :t], opp[:, :t]), dtype=np.int8)
            acts[0, r0] = a[:len(r0)]
            acts[1, r1] = a[len(r0):]
        if s.noise > 0:
            acts ^= (rng.random((2, m_rows)) < s.noise).astype(np.int8)
        joint = 2 * acts[0] + acts[1]
        flat[base + joint] += (t < length)
        if rec is not None:
            rec[:, t] = np.where(t < length, joint, -1)
        for seat, (rows, state) in enumerate(mseat):
            if len(rows):
                state[:] = tables.nxt[4 * state + 2 * acts[seat, rows] + acts[1 - seat, rows]]  # type: ignore[union-attr]
        for _, _, r0, r1, own, opp in groups:
            own[:len(r0), t] = acts[0, r0]
            own[len(r0):, t] = acts[1, r1]
            opp[:len(r0), t] = acts[1, r0]
            opp[len(r0):, t] = acts[0, r1]
    out = []
    nd = len(dpairs)
    if rec is not None and actions is not None:
        per_rep = rec[nd:].reshape(reps_n, len(spairs), turns)
        for q, (i, j) in enumerate(spairs):
            actions[(int(i), int(j))] = per_rep[:, q]
    if nd:
        out.append((dpairs, np.array([0]), counts[None, :nd], reps_n))
    if len(spairs):
        out.append((spairs, np.arange(reps_n), counts[nd:].reshape(reps_n, len(spairs), 4), 1))
    return out


# -- the slow path: per-turn players ----------------------------------------------------
async def _play_match(p1: Any, p2: Any, info: MatchInfo, names: tuple[str, str], seed: Sequence[int],
                      length: int) -> np.ndarray:
    """Counts of CC, CD, DC, DD for one match between per-turn players (awaits async players)."""
    rng = np.random.default_rng(list(seed))
    r1, r2, rn = (np.random.default_rng(rng.integers(2**63)) for _ in range(3))
    p1.reset(replace(info, opponent=names[1]), r1)
    p2.reset(replace(info, opponent=names[0]), r2)
    h1: list[int] = []
    h2: list[int] = []
    counts = np.zeros(4, dtype=np.int64)
    for _ in range(length):
        a1, a2 = p1.act(h1, h2), p2.act(h2, h1)
        if inspect.isawaitable(a1) or inspect.isawaitable(a2):
            a1, a2 = await asyncio.gather(_value(a1), _value(a2))
        for who, a in ((names[0], a1), (names[1], a2)):
            if a not in (0, 1):
                raise InterplayError(f"player {who!r} returned action {a!r}; expected 0 (C) or 1 (D).")
        if info.noise > 0:
            a1 = 1 - a1 if rn.random() < info.noise else a1
            a2 = 1 - a2 if rn.random() < info.noise else a2
        h1.append(int(a1))
        h2.append(int(a2))
        counts[2 * a1 + a2] += 1
    return counts


async def _value(x: Any) -> Any:
    return await x if inspect.isawaitable(x) else x


def _fresh(p: Any) -> Any:
    return p.clone() if hasattr(p, "clone") else p


async def _play_slow(entries: list[Any], pairs: np.ndarray, settings: TournamentSettings) -> np.ndarray:
    """Counts (repetitions, P, 4) of the matches that involve a per-turn player."""
    info = settings.match_info
    ctx = settings.context
    players = [e if not isinstance(e, Strategy) else (TurnPlayer(e.name, e.rule, ctx) if e.per_turn
                                                      else MachinePlayer(e, ctx)) for e in entries]
    names = [_name(e) for e in entries]
    lengths_rng = np.random.default_rng([settings.seed, 7])
    out = np.zeros((settings.repetitions, len(pairs), 4), dtype=np.int64)
    for r in range(settings.repetitions):
        jobs = []
        for k, (i, j) in enumerate(pairs):
            length = settings.turns
            if settings.prob_end > 0:
                length = int(min(settings.turns, lengths_rng.geometric(settings.prob_end)))
            p1, p2 = _fresh(players[i]), _fresh(players[j])
            if p1 is p2:
                p2 = _copy(p1, names[i])
            jobs.append(_play_match(p1, p2, info, (names[i], names[j]), (settings.seed, r, k), length))
        # matches of one repetition run concurrently when players are async (e.g. LLM calls)
        if all(not _is_async(players[i]) and not _is_async(players[j]) for i, j in pairs):
            results = [await job for job in jobs]
        else:
            results = await asyncio.gather(*jobs)
        out[r] = np.stack(results) if results else out[r]
    return out


def _copy(p: Any, name: str) -> Any:
    try:
        return copy.deepcopy(p)
    except Exception as exc:  # noqa: BLE001 - any failure means the player cannot be copied
        raise InterplayError(
            f"player {name!r} cannot meet a copy of itself ({exc}); give it a clone() method or set self_play=False."
        ) from None


def _is_async(p: Any) -> bool:
    return inspect.iscoroutinefunction(getattr(p, "act", None))


def _name(e: Any) -> str:
    return e.name if isinstance(e, Strategy) else str(getattr(e, "name", type(e).__name__))


# -- the entry points -------------------------------------------------------------------
def prepare(players: Sequence[Any]) -> list[Any]:
    """Resolve names and 5-probability vectors to strategies; keep per-turn players as they are."""
    out: list[Any] = []
    for p in players:
        if isinstance(p, Strategy) or (not isinstance(p, str) and isinstance(p, Player)):
            out.append(p)
        else:
            out.append(resolve(p))
    if len(out) < 2:
        raise InterplayError(f"tournament: needs at least 2 players, got {len(out)}.")
    names = [_name(e) for e in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise InterplayError(f"tournament: player names must be unique, repeated: {dup}.")
    return out


def _all_pairs(n: int, self_play: bool) -> np.ndarray:
    i, j = np.triu_indices(n, k=0 if self_play else 1)
    return np.stack([i, j], 1).astype(np.int64)


async def run_tournament_async(players: Sequence[Any], settings: TournamentSettings | None = None,
                               executor: Any = None, progress: Callable[..., Any] | None = None, *,
                               units: Mapping[str, Any] | None = None,
                               on_unit: Callable[[str, dict[str, Any]], None] | None = None,
                               **kw: Any) -> TournamentResult:
    """As :func:`run_tournament`, for callers inside an event loop (async per-turn players).

    Units of work (for a run that can be stopped and resumed): each block of the batched
    program (``block-GROUP-FIRST-LAST``, its repetitions) and the per-turn array program
    (``turnwise``). ``on_unit(key, record)`` gets each one's match counts as it finishes;
    a unit found in ``units`` (records from an earlier run) is not played again, and the
    counts are accumulated in the same order, so the result is the same to the last bit.
    Not with ``settings.record`` (the recorded actions are not kept in units).
    """
    settings = settings or TournamentSettings(**kw)
    if settings.record:
        units, on_unit = None, None
    units = units or {}
    entries = prepare(players)
    n = len(entries)
    pairs = _all_pairs(n, settings.self_play)
    both = np.array([isinstance(entries[i], Strategy) and isinstance(entries[j], Strategy) for i, j in pairs],
                    dtype=bool)
    per_turn = np.array([isinstance(e, Strategy) and e.per_turn for e in entries], dtype=bool)
    turnwise = both & (per_turn[pairs[:, 0]] | per_turn[pairs[:, 1]]) if len(pairs) else both
    fast = both & ~turnwise
    acc = Accumulator(n, settings.repetitions, settings.payoffs)
    actions: dict[tuple[int, int], np.ndarray] = {}

    if fast.any():
        ctx = settings.context
        strat_idx = [k for k, e in enumerate(entries) if isinstance(e, Strategy) and not e.per_turn]
        machines: list[Machine] = []
        local = np.full(n, -1)
        for k in strat_idx:
            local[k] = len(machines)
            machines.append(entries[k].machine(ctx))
        tables = Tables.build(machines)
        fpairs = pairs[fast]
        lp = local[fpairs]
        det_pair = tables.deterministic[lp[:, 0]] & tables.deterministic[lp[:, 1]]
        once = det_pair & (settings.noise == 0) & (settings.prob_end == 0) & (not settings.record)
        groups = {"deterministic": fpairs[once], "stochastic": fpairs[~once]}
        job = KernelJob(tables=tables, settings=settings,
                        pairs={"deterministic": local[groups["deterministic"]],
                               "stochastic": local[groups["stochastic"]]})
        tasks: list[BlockTask] = []
        if len(groups["deterministic"]):
            tasks.append(BlockTask(reps=(0,), group="deterministic"))
        if len(groups["stochastic"]):
            per = max(1, BLOCK_MATCHES // len(groups["stochastic"]))
            for r0 in range(0, settings.repetitions, per):
                tasks.append(BlockTask(reps=tuple(range(r0, min(settings.repetitions, r0 + per))),
                                       group="stochastic"))
        runner = executor if executor is not None else _InProcess()
        keys = [f"block-{t.group}-{t.reps[0]}-{t.reps[-1]}" for t in tasks]
        results: list[Any] = [(np.asarray(units[k]["counts"], dtype=np.int64), None) if k in units else None
                              for k in keys]
        todo = [k for k, r in enumerate(results) if r is None]
        # with on_unit, blocks go to the executor a worker's worth at a time so each is kept as it finishes
        step = len(todo) if on_unit is None else max(1, int(getattr(runner, "workers", None) or len(todo) or 1))
        for c in range(0, len(todo), step):
            chunk = todo[c:c + step]
            for k, out in zip(chunk, runner.map(play_block, [tasks[k] for k in chunk], shared=job)):
                results[k] = out
                if on_unit is not None:
                    on_unit(keys[k], {"counts": np.asarray(out[0]).tolist()})
        for task, (counts, acts) in zip(tasks, results):
            gp = groups[task.group]
            if task.group == "deterministic":
                acc.add(gp, np.array([0]), counts, weight=settings.repetitions)
            else:
                acc.add(gp, np.array(task.reps), counts)
                if acts is not None:
                    for k, (i, j) in enumerate(gp):
                        prev = actions.get((int(i), int(j)))
                        block = acts[:, k]
                        actions[(int(i), int(j))] = block if prev is None else np.concatenate([prev, block])
    if turnwise.any():
        if "turnwise" in units:
            groups_ = [(np.asarray(g["pairs"], dtype=np.int64), np.asarray(g["reps"], dtype=np.int64),
                        np.asarray(g["counts"], dtype=np.int64), int(g["weight"])) for g in units["turnwise"]["groups"]]
        else:
            groups_ = play_turnwise(entries, pairs[turnwise], settings, actions)
            if on_unit is not None:
                on_unit("turnwise", {"groups": [{"pairs": np.asarray(gp).tolist(), "reps": np.asarray(r).tolist(),
                                                 "counts": np.asarray(c).tolist(), "weight": int(w)}
                                                for gp, r, c, w in groups_]})
        for gp, reps, counts, weight in groups_:
            acc.add(gp, reps, counts, weight=weight)
    if (~both).any():
        spairs = pairs[~both]
        counts = await _play_slow(entries, spairs, settings)
        acc.add(spairs, np.arange(settings.repetitions), counts)
    return _finish(entries, settings, acc, actions)


def run_tournament(players: Sequence[Any], settings: TournamentSettings | None = None, executor: Any = None,
                   **kw: Any) -> TournamentResult:
    """Play a round robin among ``players`` and return the :class:`TournamentResult`.

    ``players``: library names ("Tit For Tat"), :class:`Strategy` objects, 5-probability
    memory-one vectors, or per-turn :class:`Player` objects. ``settings`` (or its fields as
    keywords: turns, repetitions, noise, prob_end, payoffs, self_play, seed, record). ``executor``:
    any object with ``map(fn, items, shared=None)`` (see :mod:`interplay.run.executors`);
    default in-process.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(run_tournament_async(players, settings, executor, **kw))
    raise InterplayError("run_tournament was called inside a running event loop; await run_tournament_async instead.")


def _finish(entries: list[Any], settings: TournamentSettings, acc: Accumulator,
            actions: dict[tuple[int, int], np.ndarray]) -> TournamentResult:
    n = len(entries)
    m = np.maximum(acc.matches, 1)
    mean = acc.pay_sum / m
    var = np.maximum(acc.pay_sq / m - mean**2, 0.0)
    played = acc.matches > 0
    mean = np.where(played, mean, np.nan)
    others = max(n - 1, 1)
    return TournamentResult(
        players=[_name(e) for e in entries],
        settings=settings,
        payoff_matrix=mean,
        payoff_stddevs=np.where(played, np.sqrt(var), np.nan),
        scores=acc.scores,
        normalised_scores=acc.norm / others,
        wins=acc.wins,
        cooperation=acc.coop,
        normalised_cooperation=np.divide(acc.coop, acc.turns, out=np.zeros((n, n)), where=acc.turns > 0),
        state_distribution=acc.states,
        pair_wins=acc.pair_wins,
        match_lengths=acc.turns,
        actions=actions,
    )


def play_match(p1: Any, p2: Any, turns: int = 200, *, seed: int = 0, noise: float = 0.0,
               payoffs: tuple[float, float, float, float] = DEFAULT_PAYOFFS) -> list[tuple[int, int]]:
    """One recorded match between two players (names, strategies, vectors): the joint actions."""
    res = run_tournament([p1, p2], TournamentSettings(turns=turns, repetitions=1, noise=noise, payoffs=payoffs,
                                                      self_play=False, seed=seed, record=True))
    if (0, 1) in res.actions:
        joint = res.actions[(0, 1)][0]
        return [(int(x) // 2, int(x) % 2) for x in joint if x >= 0]
    raise InterplayError("play_match: per-turn players are not recorded; call their act() directly.")
