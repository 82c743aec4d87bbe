"""The round robin: every pairing of a population, one batched array program for the players
that are data, the per-turn match engine for the rest, one :class:`TournamentResult`.

Every strategy of the library compiles to a machine (:mod:`interplay.agents.strategies.core`);
all machines are concatenated into two flat tables, and all matches of a block of repetitions
advance together, one ``jax.lax.scan`` step a turn, two table look-ups a match. Per match only
the counts of the joint actions are kept (payoffs, cooperation and state distributions follow
from them), and blocks are reduced as they finish, so memory is bounded by the block size, not
by turns x repetitions. Pairs of deterministic strategies without noise or end probability give
the same match every repetition: they are played once.

Matches that involve a per-turn rule of the library (a learner, a strategy with internal random
state: :class:`~interplay.agents.strategies.core.TurnRule`) are played by a second array program
in NumPy: all such matches advance together, one call of each per-turn rule a turn for all of
its matches, machines stepped by table look-up as above (:func:`play_turnwise`).

Every other player (an LLM agent, a person, any object with the
:class:`~interplay.agents.protocol.Player` protocol) plays its matches through the one per-turn
engine, :func:`interplay.agents.match.play_match`, concurrently under asyncio (at most
``max_matches`` at once; each model bounds its own calls), library strategies meeting it as
:class:`~interplay.agents.fixed.MachinePlayer` / :class:`~interplay.agents.fixed.RulePlayer`.
A per-turn match that fails (a spent budget, a server that stays down) is kept as an incomplete
:class:`~interplay.agents.match.MatchRecord`; once the budget is spent no new match starts.
Both kinds of matches merge into the same accumulator, so ``tournament`` and ``llm-tournament``
get one result with one set of definitions.

Results follow the Axelrod library's ``ResultSet`` (Knight et al. 2016): ``payoff_matrix[i][j]``
is i's mean payoff per turn against j (mean over complete matches; self-play is the mean of both
copies), ``scores[i][r]`` the total payoff against the other players in repetition r,
``normalised_scores`` the mean per-turn payoff against the others (in a repetition where some
per-turn matches were not played or not finished: over those it played; NaN if none),
``ranked_names`` by median normalised score, ``wins`` the matches won against the others.
"""

from __future__ import annotations

import asyncio
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from interplay.agents.fixed import MachinePlayer, RulePlayer
from interplay.agents.match import ChannelFactory, EventHook, MatchRecord, play_match, stage_of
from interplay.agents.protocol import Player, Visibility
from interplay.agents.strategies import Strategy, resolve_strategy
from interplay.agents.strategies.core import DEFAULT_PAYOFFS, Context, Machine
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
        both_seats: every ordered pair (i, j), i != j, plays, each player in both seats
            (asymmetric games); default each unordered pair once, the first player in seat 1.
    """

    turns: int = 200
    repetitions: int = 10
    noise: float = 0.0
    prob_end: float = 0.0
    payoffs: tuple[float, float, float, float] = DEFAULT_PAYOFFS
    self_play: bool = True
    seed: int = 0
    record: bool = False
    both_seats: bool = False

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
        R, S, T, P = (float(x) for x in self.payoffs)
        return Context(payoffs=(R, S, T, P), turns=int(self.turns),
                       length_known=self.prob_end == 0.0, noisy=self.noise > 0.0)

    def game(self) -> Any:
        """The iterated prisoner's dilemma these settings describe (what per-turn players are shown)."""
        from interplay.games.catalogue import prisoners_dilemma
        from interplay.games.iterated import iterated

        R, S, T, P = (float(x) for x in self.payoffs)
        return iterated(prisoners_dilemma(R=R, S=S, T=T, P=P), id="ipd-v1", horizon=int(self.turns),
                        noise=self.noise, end_prob=self.prob_end)

    @classmethod
    def for_game(cls, game: Any, *, rounds: int | None = None, **kw: Any) -> TournamentSettings:
        """Settings of a round robin of per-turn matches in ``game`` (a two-player normal-form or
        iterated game): turns, noise and end probability are the game's (``rounds`` overrides the
        horizon); payoffs, for the library's strategies, are the first player's stage payoffs of a 2x2 game.
        Unless given, one match a pairing (``repetitions=1``) and no self-play: matches in a game are
        usually matches with models, each a unit of work."""
        spec, payoffs, horizon, noise, end_prob, _ = stage_of(game)
        kw = {"repetitions": 1, "self_play": False, **kw}
        if spec.num_players != 2:
            raise InterplayError(f"a round robin plays two-player games; {spec.id} has {spec.num_players} players.")
        own = DEFAULT_PAYOFFS
        if spec.num_actions == (2, 2):
            R, S, T, P = (float(x) for x in payoffs[0].ravel())
            own = (R, S, T, P)
        return cls(turns=int(rounds if rounds is not None else horizon), noise=noise, prob_end=end_prob,
                   payoffs=own, **kw)


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
        return counts, (None if acts is None else jnp.swapaxes(acts, 0, 1))  # None unless record

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
    """Running sums over matches, reduced as blocks finish (Axelrod ResultSet quantities).

    ``stage``: the stage payoffs, shape (2, A1, A2), or the prisoner's dilemma's (R, S, T, P).
    Joint actions are counted as ``a1 * A2 + a2`` (CC, CD, DC, DD in a 2x2 game).
    """

    def __init__(self, n: int, repetitions: int, stage: Any) -> None:
        self.n, self.reps = n, repetitions
        st = np.asarray(stage, dtype=float)
        if st.shape == (4,):
            R, S, T, P = st
            st = np.array([[[R, S], [T, P]], [[R, T], [S, P]]])
        self.shape = st.shape[1:]
        self.v1 = st[0].ravel()  # player 1's payoff per joint action
        self.v2 = st[1].ravel()  # player 2's payoff per joint action (player 1's index)
        k = self.v1.size
        self.pay_sum = np.zeros((n, n))
        self.pay_sq = np.zeros((n, n))
        self.matches = np.zeros((n, n))
        self.coop = np.zeros((n, n))
        self.turns = np.zeros((n, n))
        self.states = np.zeros((n, n, k))
        self.pair_wins = np.zeros((n, n))
        self.scores = np.zeros((n, repetitions))
        self.norm = np.zeros((n, repetitions))
        self.wins = np.zeros((n, repetitions))
        self.met = np.zeros((n, repetitions))  # opponents met (matches counted) per player and repetition

    def add(self, pairs: np.ndarray, reps: np.ndarray, counts: np.ndarray, weight: int = 1,
            totals: np.ndarray | None = None) -> None:
        """``counts``: (len(reps), P, A1 A2) for ``pairs`` (P, 2); ``weight`` repeats each repetition's
        contribution over ``weight`` consecutive repetitions starting at each entry of ``reps``
        (used for deterministic pairs played once). ``totals`` (len(reps), P, 2): the matches'
        total payoffs when they were summed turn by turn (per-turn matches), else from the counts."""
        counts = counts.astype(np.float64)
        i = np.broadcast_to(pairs[:, 0], counts.shape[:2])
        j = np.broadcast_to(pairs[:, 1], counts.shape[:2])
        turns = counts.sum(-1)
        if totals is None:
            tot1, tot2 = counts @ self.v1, counts @ self.v2
        else:
            tot1, tot2 = totals[..., 0], totals[..., 1]
        safe = np.maximum(turns, 1)
        pt1, pt2 = tot1 / safe, tot2 / safe
        a1, a2 = self.shape
        grid = counts.reshape(*counts.shape[:2], a1, a2)
        c1 = grid[..., 0, :].sum(-1)
        c2 = grid[..., :, 0].sum(-1)
        swapped = grid.swapaxes(-1, -2).reshape(counts.shape) if a1 == a2 else np.zeros_like(counts)
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
        for k in range(counts.shape[-1]):
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
            np.add.at(self.met, (i[other], rr), 1.0)
            np.add.at(self.met, (j[other], rr), 1.0)


@dataclass
class TournamentResult:
    """A finished tournament, with the Axelrod library's summaries and interplay's own.

    Arrays are indexed by player in the order of ``players``; see the module docstring for
    the definitions. ``actions`` maps ``(i, j)`` to an int8 array (repetitions, turns) of joint
    actions 0..3 = CC, CD, DC, DD from i's view (-1 after the end) when recording was asked.
    ``matches`` are the records of the per-turn matches (transcripts, errors; each with its
    ``pairing``), ``stopped`` why no further match started (a spent budget), ``not_played`` the
    pairings (first, second, repetition) never started.
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
    matches: list[MatchRecord] = field(default_factory=list)
    stopped: str | None = None
    not_played: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def incomplete(self) -> list[MatchRecord]:
        return [m for m in self.matches if not m.complete]

    def mean_payoffs(self) -> np.ndarray:
        """Each player's mean payoff per turn against the population: the mean of its row of the
        payoff matrix (self-play included if played; NaN for a player with no complete match)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(self.payoff_matrix, axis=1)

    def cooperation_rates(self) -> np.ndarray:
        """Each player's share of first-action moves (cooperation) over all its turns of complete
        matches, both seats of self-play counted (NaN for a player with no complete match)."""
        diag = np.eye(len(self.players), dtype=bool)
        num = np.where(diag, 2 * self.cooperation, self.cooperation).sum(1)
        den = np.where(diag, 2 * self.match_lengths, self.match_lengths).sum(1)
        return np.where(den > 0, num / np.maximum(den, 1), np.nan)

    def seats(self, record: MatchRecord) -> tuple[str, ...]:
        """The population names of a per-turn match's seats (see :func:`seat_names`)."""
        return seat_names(record, self.players)

    def match_outcomes(self) -> list[tuple[str, str, float, float]]:
        """(first, second, first's total, second's total) of every complete per-turn match."""
        out = []
        for r in self.matches:
            if r.complete:
                first, second = self.seats(r)
                out.append((first, second, float(r.totals[0]), float(r.totals[1])))
        return out

    def message_counts(self) -> dict[str, dict[str, int]]:
        """Per player, over all its per-turn matches: cheap-talk messages sent, flagged and blocked."""
        out = {n: {"messages": 0, "flagged": 0, "blocked": 0} for n in self.players}
        for rec in self.matches:
            index = dict(zip(rec.names, self.seats(rec), strict=True))
            for who, c in rec.message_counts().items():
                for k, v in c.items():
                    out[index[who]][k] += v
        return out

    @property
    def ranking(self) -> list[int]:
        """Players by median normalised score, best first (exact ties keep the players' order; a player
        with no complete match last)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            med = np.round(np.nanmedian(self.normalised_scores, axis=1), 10)
        return sorted(range(len(self.players)), key=lambda k: -np.nan_to_num(med[k], nan=-math.inf))

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
            ns = ns[~np.isnan(ns)]  # repetitions in which it played (all of them unless matches are missing)
            none = len(ns) == 0
            rows.append({
                "rank": rank,
                "name": self.players[k],
                "median_score": math.nan if none else float(np.median(ns)),
                "mean_score": math.nan if none else float(np.mean(ns)),
                "score_q10": math.nan if none else float(np.quantile(ns, 0.1)),
                "score_q90": math.nan if none else float(np.quantile(ns, 0.9)),
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
            if tables is not None and len(rows):
                p = tables.coop[state]
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
            if tables is not None and len(rows):
                state[:] = tables.nxt[4 * state + 2 * acts[seat, rows] + acts[1 - seat, rows]]
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


# -- per-turn matches: players that are not data, through the one match engine ----------------
def match_seed(seed: int, i: int, j: int, rep: int) -> int:
    """The seed of repetition ``rep`` of pairing (i, j): a SeedSequence hash, independent per match."""
    return int(np.random.SeedSequence([seed, i, j, rep]).generate_state(1)[0])


def seat_names(record: MatchRecord, players: Sequence[str] | None = None) -> tuple[str, ...]:
    """The population names of a match's seats (a self-play match's seats are renamed
    ``"name (seat)"`` in ``record.names``): from its round-robin pairing into ``players``, else the
    players' names the match was given."""
    if record.pairing is not None and players is not None:
        i, j, _ = record.pairing
        return players[i], players[j]
    return tuple(record.players or record.names)


def _per_turn_player(e: Any, ctx: Context) -> Any:
    """A library strategy as a per-turn player for the match engine; other players as they are."""
    if not isinstance(e, Strategy):
        return e
    if e.per_turn:
        return RulePlayer(e.name, e.rule, ctx)
    machine = e.machine(ctx)
    return MachinePlayer(e.name, machine.coop, machine.next)


@dataclass
class PerTurnOptions:
    """How the per-turn matches are played (see :func:`run_tournament_async`)."""

    rounds: int | None = None
    talk_rounds: int = 0
    talk_visibility: Visibility = "public"
    max_matches: int = 64
    on_match: Callable[[MatchRecord], Any] | None = None
    channel: ChannelFactory | None = None
    on_event: EventHook | None = None
    finished: Mapping[tuple[int, int, int], MatchRecord] | None = None


async def _play_per_turn(players: list[Any], names: list[str], pairs: list[tuple[int, int]], game: Any,
                         settings: TournamentSettings, opts: PerTurnOptions
                         ) -> tuple[list[tuple[int, int, int, MatchRecord | None]], str | None]:
    """Every repetition of ``pairs`` (i, j), concurrently, at most ``max_matches`` at once, in the
    order (i, j, repetition); when a match fails with a spent budget no further match starts."""
    from interplay.llm.budget import BudgetExceeded

    jobs = [(i, j, r) for i, j in pairs for r in range(settings.repetitions)]  # as :func:`pairings`
    sem = asyncio.Semaphore(max(1, int(opts.max_matches)))
    stop: dict[str, str | None] = {"reason": None}
    records: list[MatchRecord | None] = [None] * len(jobs)

    async def one(k: int, i: int, j: int, r: int) -> None:
        if opts.finished and (i, j, r) in opts.finished:
            records[k] = opts.finished[(i, j, r)]
            return
        async with sem:
            if stop["reason"] is not None:
                return
            rec = await play_match(game, [players[i], players[j]], seed=match_seed(settings.seed, i, j, r),
                                   rounds=opts.rounds, talk_rounds=opts.talk_rounds,
                                   talk_visibility=opts.talk_visibility, names=[names[i], names[j]],
                                   channel=opts.channel, on_event=opts.on_event)
            rec.pairing = (i, j, r)
            records[k] = rec
            if rec.error_type == BudgetExceeded.__name__ and stop["reason"] is None:
                stop["reason"] = rec.error
            if opts.on_match is not None:
                opts.on_match(rec)

    await asyncio.gather(*(one(k, i, j, r) for k, (i, j, r) in enumerate(jobs)))
    return [(i, j, r, rec) for (i, j, r), rec in zip(jobs, records, strict=True)], stop["reason"]


def _name(e: Any) -> str:
    return e.name if isinstance(e, Strategy) else str(getattr(e, "name", type(e).__name__))


# -- the entry points -------------------------------------------------------------------
def prepare(players: Sequence[Any] | Mapping[str, Any]) -> tuple[list[Any], list[str]]:
    """Resolve names and 5-probability vectors to strategies; keep per-turn players as they are.

    A mapping gives display names (``{"TFT": "Tit For Tat"}``); else each entry's own name."""
    items = list(players.items()) if isinstance(players, Mapping) else [(None, p) for p in players]
    out: list[Any] = []
    names: list[str] = []
    for label, p in items:
        if isinstance(p, Strategy) or (not isinstance(p, str) and isinstance(p, Player)):
            e = p  # kept as it is
        else:
            e = resolve_strategy(p, name=label)
        out.append(e)
        names.append(str(label) if label is not None else _name(e))
    if len(out) < 2:
        raise InterplayError(f"tournament: needs at least 2 players, got {len(out)}.")
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise InterplayError(f"tournament: player names must be unique, repeated: {dup}.")
    return out, names


def _all_pairs(n: int, self_play: bool, both_seats: bool = False) -> np.ndarray:
    """Pairings (i, j) in order: i < j, with ``self_play`` also i == j, with ``both_seats`` also i > j."""
    pairs = [(i, j) for i in range(n) for j in range(n) if (i == j and self_play) or i < j or (i > j and both_seats)]
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def pairings(n: int, *, repetitions: int, self_play: bool, both_seats: bool = False) -> list[tuple[int, int, int]]:
    """Every match of a round robin of ``n`` players as (i, j, repetition), in the order per-turn
    matches are started (a resumed run keys its finished matches by them)."""
    return [(int(i), int(j), r) for i, j in _all_pairs(n, self_play, both_seats) for r in range(repetitions)]


async def run_tournament_async(players: Sequence[Any] | Mapping[str, Any], settings: TournamentSettings | None = None,
                               executor: Any = None, progress: Callable[..., Any] | None = None, *,
                               game: Any = None, rounds: int | None = None, talk_rounds: int = 0,
                               talk_visibility: Visibility = "public", max_matches: int = 64,
                               on_match: Callable[[MatchRecord], Any] | None = None,
                               channel: ChannelFactory | None = None, on_event: EventHook | None = None,
                               finished: Mapping[tuple[int, int, int], MatchRecord] | None = None,
                               units: Mapping[str, Any] | None = None,
                               on_unit: Callable[[str, dict[str, Any]], None] | None = None,
                               **kw: Any) -> TournamentResult:
    """As :func:`run_tournament`, for callers inside an event loop (async per-turn players).

    ``game``: a two-player normal-form or iterated game (default: the iterated prisoner's dilemma
    of the settings, which then come from the game: :meth:`TournamentSettings.for_game`, with
    ``rounds`` overriding its horizon). Per-turn matches: ``talk_rounds`` rounds of cheap talk
    before each move (``talk_visibility``), at most ``max_matches`` at once; ``on_match(record)``
    as each ends; ``channel`` and ``on_event`` are passed to every
    :func:`~interplay.agents.match.play_match`; ``finished`` maps pairings already played (a
    resumed run) to their records, counted without being played again (and without ``on_match``).

    Units of work of the array programs (for a run that can be stopped and resumed): each block of
    the batched program (``block-GROUP-FIRST-LAST``, its repetitions) and the per-turn array program
    (``turnwise``). ``on_unit(key, record)`` gets each one's match counts as it finishes;
    a unit found in ``units`` (records from an earlier run) is not played again, and the
    counts are accumulated in the same order, so the result is the same to the last bit.
    Not with ``settings.record`` (the recorded actions are not kept in units).
    """
    if settings is None:
        settings = TournamentSettings.for_game(game, rounds=rounds, **kw) if game is not None \
            else TournamentSettings(**kw)
    if settings.record:
        units, on_unit = None, None
    units = units or {}
    entries, names = prepare(players)
    n = len(entries)
    stage = np.asarray(stage_of(game)[1], dtype=float) if game is not None else np.asarray(settings.payoffs)
    if game is not None and stage.shape != (2, 2, 2) and any(isinstance(e, Strategy) for e in entries):
        raise InterplayError(f"the library's strategies play 2x2 games; {stage_of(game)[0].id} has actions "
                             f"{stage_of(game)[0].num_actions}.")
    pairs = _all_pairs(n, settings.self_play, settings.both_seats)
    both = np.array([isinstance(entries[i], Strategy) and isinstance(entries[j], Strategy) for i, j in pairs],
                    dtype=bool)
    per_turn = np.array([isinstance(e, Strategy) and e.per_turn for e in entries], dtype=bool)
    turnwise = both & (per_turn[pairs[:, 0]] | per_turn[pairs[:, 1]]) if len(pairs) else both
    fast = both & ~turnwise
    acc = Accumulator(n, settings.repetitions, stage)
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
    played: list[tuple[int, int, int, MatchRecord | None]] = []
    stopped = None
    if (~both).any():
        ctx = settings.context
        opts = PerTurnOptions(rounds=rounds, talk_rounds=talk_rounds, talk_visibility=talk_visibility,
                              max_matches=max_matches, on_match=on_match, channel=channel, on_event=on_event,
                              finished=finished)
        slow = [(int(i), int(j)) for i, j in pairs[~both]]
        played, stopped = await _play_per_turn([_per_turn_player(e, ctx) for e in entries], names, slow,
                                               game if game is not None else settings.game(), settings, opts)
        _add_records(acc, played, settings, actions)
    return _finish(names, settings, acc, actions, played, stopped)


def _add_records(acc: Accumulator, played: list[tuple[int, int, int, MatchRecord | None]],
                 settings: TournamentSettings, actions: dict[tuple[int, int], np.ndarray]) -> None:
    """Count the complete per-turn matches (their payoffs summed turn by turn, as played)."""
    a2 = acc.shape[1]
    k = acc.v1.size
    record = settings.record and k == 4
    for i, j, r, rec in played:
        if rec is None:
            continue
        if record:
            arr = actions.setdefault((i, j), np.full((settings.repetitions, int(settings.turns)), -1, np.int8))
            for t, (x, y) in enumerate(rec.actions[: arr.shape[1]]):
                arr[r, t] = x * a2 + y
        if not rec.complete or rec.length == 0:
            continue
        counts = np.bincount([x * a2 + y for x, y in rec.actions], minlength=k).astype(np.int64)
        acc.add(np.array([[i, j]]), np.array([r]), counts[None, None, :], totals=rec.totals[None, None, :])


def run_tournament(players: Sequence[Any] | Mapping[str, Any], settings: TournamentSettings | None = None,
                   executor: Any = None, **kw: Any) -> TournamentResult:
    """Play a round robin among ``players`` and return the :class:`TournamentResult`.

    ``players``: library names ("Tit For Tat"), :class:`Strategy` objects, 5-probability
    memory-one vectors, or per-turn :class:`~interplay.agents.protocol.Player` objects (LLM
    agents, people, any object with ``async act(view)``); a mapping gives them display names.
    ``settings`` (or its fields as keywords: turns, repetitions, noise, prob_end, payoffs,
    self_play, seed, record, both_seats). ``executor``: any object with ``map(fn, items, shared=None)``
    (see :mod:`interplay.run.executors`); default in-process. The keywords of
    :func:`run_tournament_async` (``game``, ``talk_rounds``, ...) are accepted too.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(run_tournament_async(players, settings, executor, **kw))
    raise InterplayError("run_tournament was called inside a running event loop; await run_tournament_async instead.")


def _finish(names: list[str], settings: TournamentSettings, acc: Accumulator,
            actions: dict[tuple[int, int], np.ndarray],
            played: list[tuple[int, int, int, MatchRecord | None]] | None = None,
            stopped: str | None = None) -> TournamentResult:
    n = len(names)
    m = np.maximum(acc.matches, 1)
    mean = acc.pay_sum / m
    var = np.maximum(acc.pay_sq / m - mean**2, 0.0)
    was_played = acc.matches > 0
    mean = np.where(was_played, mean, np.nan)
    others = max(n - 1, 1)
    # a repetition in which a player missed matches (per-turn matches not played or incomplete) is
    # scored over the matches it played, scaled to a full round; with none, its score is NaN
    full = (n - 1) * (2 if settings.both_seats else 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        normalised = np.where(acc.met == full, acc.norm / others,
                              np.where(acc.met > 0, acc.norm * full / (np.maximum(acc.met, 1) * others), np.nan))
    played = played or []
    return TournamentResult(
        players=list(names),
        settings=settings,
        payoff_matrix=mean,
        payoff_stddevs=np.where(was_played, np.sqrt(var), np.nan),
        scores=acc.scores,
        normalised_scores=normalised,
        wins=acc.wins,
        cooperation=acc.coop,
        normalised_cooperation=np.divide(acc.coop, acc.turns, out=np.zeros((n, n)), where=acc.turns > 0),
        state_distribution=acc.states,
        pair_wins=acc.pair_wins,
        match_lengths=acc.turns,
        actions=actions,
        matches=[rec for _, _, _, rec in played if rec is not None],
        stopped=stopped,
        not_played=[(names[i], names[j], r) for i, j, r, rec in played if rec is None],
    )


def match_actions(p1: Any, p2: Any, turns: int = 200, *, seed: int = 0, noise: float = 0.0,
                  payoffs: tuple[float, float, float, float] = DEFAULT_PAYOFFS) -> list[tuple[int, int]]:
    """One recorded match between two players (names, strategies, vectors, per-turn players): the joint actions."""
    res = run_tournament([p1, p2], TournamentSettings(turns=turns, repetitions=1, noise=noise, payoffs=payoffs,
                                                      self_play=False, seed=seed, record=True))
    joint = res.actions[(0, 1)][0]
    return [(int(x) // 2, int(x) % 2) for x in joint if x >= 0]
