"""Ratings from win/loss outcomes: Elo and OpenSkill (Weng-Lin) leaderboards.

* Elo (Elo 1978): expected score ``E_a = 1 / (1 + 10^((r_b - r_a) / 400))``; after a game with
  score ``s_a`` in {1, 0.5, 0}, ``r_a += K (s_a - E_a)`` and ``r_b -= K (s_a - E_a)``. Defaults:
  ``K = 32``, initial rating 1500. Order-dependent: outcomes are applied in the given order.
* OpenSkill (Weng and Lin 2011, "A Bayesian approximation method for online ranking"), via the
  ``openskill`` package's Plackett-Luce model; the leaderboard sorts by the conservative
  ``ordinal = mu - 3 sigma``.

Outcomes are ``(a, b, score_a)`` triples; :func:`tournament_outcomes` turns a tournament's
results into them (each repetition a round, pairs in order, self-play left out; per-turn
matches one outcome each).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from interplay.errors import InterplayError

Outcome = tuple[str, str, float]


@dataclass(frozen=True)
class Rating:
    name: str
    rating: float
    games: int
    sigma: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "rating": self.rating, "games": self.games, "sigma": self.sigma}


def _check(outcomes: Iterable[Outcome]) -> list[Outcome]:
    out = []
    for k, o in enumerate(outcomes):
        if len(o) != 3 or o[2] not in (0, 0.5, 1):
            raise InterplayError(f"outcome {k}: expected (player a, player b, score of a in {{1, 0.5, 0}}), got {o!r}.")
        out.append((str(o[0]), str(o[1]), float(o[2])))
    return out


def elo(outcomes: Iterable[Outcome], k: float = 32.0, initial: float = 1500.0,
        players: Sequence[str] = ()) -> list[Rating]:
    """Elo ratings after applying ``outcomes`` in order; the leaderboard, best first."""
    ratings = {p: float(initial) for p in players}
    games = dict.fromkeys(players, 0)
    for a, b, s in _check(outcomes):
        ra, rb = ratings.setdefault(a, initial), ratings.setdefault(b, initial)
        expected = 1.0 / (1.0 + 10 ** ((rb - ra) / 400.0))
        delta = k * (s - expected)
        ratings[a], ratings[b] = ra + delta, rb - delta
        games[a] = games.get(a, 0) + 1
        games[b] = games.get(b, 0) + 1
    board = [Rating(n, r, games.get(n, 0)) for n, r in ratings.items()]
    return sorted(board, key=lambda x: -x.rating)


def openskill(outcomes: Iterable[Outcome], players: Sequence[str] = ()) -> list[Rating]:
    """OpenSkill (Plackett-Luce) ratings; ``rating`` is the ordinal ``mu - 3 sigma``; best first."""
    from openskill.models import PlackettLuce

    model = PlackettLuce()
    state = {p: model.rating(name=p) for p in players}
    games = dict.fromkeys(players, 0)
    for a, b, s in _check(outcomes):
        ra = state.setdefault(a, model.rating(name=a))
        rb = state.setdefault(b, model.rating(name=b))
        ranks = [1.0, 2.0] if s == 1 else [2.0, 1.0] if s == 0 else [1.0, 1.0]
        (na,), (nb,) = model.rate([[ra], [rb]], ranks=ranks)
        state[a], state[b] = na, nb
        games[a] = games.get(a, 0) + 1
        games[b] = games.get(b, 0) + 1
    board = [Rating(n, float(r.ordinal()), games.get(n, 0), float(r.sigma)) for n, r in state.items()]
    return sorted(board, key=lambda x: -x.rating)


def tournament_outcomes(result: Any) -> list[Outcome]:
    """Win/draw/loss outcomes of a :class:`~interplay.evaluate.tournament.TournamentResult`.

    Matches of the array programs (only counts are kept): for each repetition, every pair of
    distinct players with the counts of wins recorded in ``result.pair_wins`` spread over the
    repetitions (the first ``pair_wins[i, j]`` repetitions are i's wins, then j's, then draws);
    pairs never played (no complete match: NaN in the payoff matrix) are left out. Then the
    per-turn matches (``result.matches``), one outcome each from its totals, in order
    (:func:`outcomes_from_totals`; incomplete matches left out).
    """
    names = result.players
    n, reps = len(names), int(result.settings.repetitions)
    W = np.rint(np.asarray(result.pair_wins)).astype(int)
    M = np.asarray(result.payoff_matrix, dtype=float)
    per_turn = {frozenset(r.pairing[:2]) for r in result.matches if r.pairing is not None}
    out: list[Outcome] = []
    for r in range(reps):
        for i in range(n):
            for j in range(i + 1, n):
                if frozenset((i, j)) in per_turn or np.isnan(M[i, j]):
                    continue
                if r < W[i, j]:
                    out.append((names[i], names[j], 1.0))
                elif r < W[i, j] + W[j, i]:
                    out.append((names[i], names[j], 0.0))
                else:
                    out.append((names[i], names[j], 0.5))
    return out + outcomes_from_totals(result.match_outcomes())


def outcomes_from_totals(matches: Iterable[tuple[str, str, float, float]], tol: float = 1e-9) -> list[Outcome]:
    """Win/draw/loss outcomes from per-match totals ``(a, b, total of a, total of b)``, in order;
    self-play matches (``a == b``) are left out. For per-match records such as LLM matches."""
    out: list[Outcome] = []
    for a, b, ta, tb in matches:
        if a == b:
            continue
        out.append((a, b, 1.0 if ta > tb + tol else 0.0 if tb > ta + tol else 0.5))
    return out


def seat_outcomes(players: Sequence[str], scores: Sequence[float], tol: float = 1e-9) -> list[Outcome]:
    """Win/draw/loss outcomes of one many-player game (Diplomacy: a seat is a power): every pair of
    seats held by *different* players, the higher score winning (equal scores: a draw). Seats are
    taken in order, pairs (i, j) with i < j."""
    if len(players) != len(scores):
        raise InterplayError(f"seat_outcomes: {len(players)} players but {len(scores)} scores.")
    out: list[Outcome] = []
    for i in range(len(players)):
        for j in range(i + 1, len(players)):
            if players[i] == players[j]:
                continue
            a, b = float(scores[i]), float(scores[j])
            out.append((str(players[i]), str(players[j]), 1.0 if a > b + tol else 0.0 if b > a + tol else 0.5))
    return out


def score_matrix(outcomes: Iterable[Outcome], names: Sequence[str]) -> np.ndarray:
    """``M[i, j]``: the mean score (win 1, draw 0.5, loss 0) of ``names[i]`` against ``names[j]`` over
    their outcomes (NaN where they never met; 0.5 on the diagonal): the payoff table alpha-Rank
    ranks a population by when players meet in games rather than in a round robin of matches."""
    index = {n: k for k, n in enumerate(names)}
    total = np.zeros((len(names), len(names)))
    count = np.zeros((len(names), len(names)))
    for a, b, s in _check(outcomes):
        i, j = index[a], index[b]
        total[i, j] += s
        total[j, i] += 1.0 - s
        count[i, j] += 1
        count[j, i] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        M = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    np.fill_diagonal(M, 0.5)
    return M
