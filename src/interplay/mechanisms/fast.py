"""The fixed-strategy comparison as one NumPy program: every seed of a (mechanism, game) cell at once.

A cell is a population of ``N`` agents of the four fixed types below, over ``rounds`` rounds;
each round the population is split at random into groups of the game's size (seats at
random, so asymmetric games such as the trust game see every type in every seat), except
under repetition, where the groups of the first round stay together. Each chosen action is
replaced with probability ``noise`` by a uniformly random one (an implementation error,
applied to every player, committed or not). All seeds are arrays of a leading axis; a
round is a handful of vectorised gathers, so 7 mechanisms x 7 games x 1,000 seeds take
seconds (benchmarks/coordination.py).

The types (each defined for every mechanism; C / D: the player's cooperative / defecting
action of :func:`interplay.mechanisms.roles.roles`):

============  ==================================================================
Cooperator    plays C; announces C; plays itself (no delegation); accepts contracts;
              commits to C unconditionally
Defector      plays D; announces C (a lie: cheap talk binds nobody); never delegates;
              rejects contracts; commits to nothing
Reciprocator  plays C when it has reason to expect cooperation: one-shot C; after cheap
              talk, C iff every co-player announced C; repeated, C iff every co-player
              played C last round (tit for tat); with reputation, C iff every co-player
              is in good standing (a discriminator); delegates to the mediator, or obeys
              a correlated mediator's recommendation; accepts contracts and plays C iff
              the contract binds; commits to "C if all commit to cooperate, else D"
Random        uniform over the actions, and over each choice a mechanism adds
============  ==================================================================

Cheap talk composed with a mechanism (``Settings(talk=True)``; the ``cheap-talk`` mechanism
is ``none`` with talk): before every move each player announces an action (the Cooperator,
the Defector and the Reciprocator announce C, the Random a uniform action), then the
mechanism runs as above, except that wherever the Reciprocator picks its own move by a
condition (one-shot, repetition, reputation, an unbound or bound contract) it plays C only if
the condition holds *and* every co-player announced C. Where the mechanism picks the move (a
delegate's mediator, a correlated recommendation it obeys, an enforced commitment) talk
changes nothing; the Random's choices do not depend on it.

Reputation rules (Nowak and Sigmund 1998; Ohtsuki and Iwasa 2004): everyone starts good;
under image scoring a player is good after it played C and bad after anything else; under
standing a player who did not play C while some co-player was bad (a justified defection)
stays good.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from interplay.errors import InterplayError
from interplay.games.normal_form import NormalFormGame
from interplay.mechanisms.induced import contract_transfers, minimal_transfer
from interplay.mechanisms.roles import Roles, roles

#: The fixed agent types, in index order.
TYPES = ("Cooperator", "Defector", "Reciprocator", "Random")
COOPERATOR, DEFECTOR, RECIPROCATOR, RANDOM = range(4)
#: The mechanisms of the comparison, in table order.
MECHANISMS = ("none", "cheap-talk", "repetition", "reputation", "mediator", "contracts", "commitments")
REPUTATION_RULES = ("image-scoring", "standing")
MEDIATOR_POLICIES = ("delegation", "correlated")


@dataclass(frozen=True)
class Settings:
    """The knobs of every mechanism (one object for the whole table).

    ``transfer``: the contract's transfer; None is 1.25 times the smallest transfer making
    cooperation dominant (:func:`~interplay.mechanisms.induced.minimal_transfer`), so it is
    strictly dominant. ``talk``: a round of cheap talk before every move under every mechanism
    (the ``cheap-talk`` mechanism is ``none`` with it): see the module docstring.
    """

    rounds: int = 10
    noise: float = 0.05
    reputation: str = "standing"
    mediator: str = "delegation"
    transfer: float | None = None
    talk: bool = False

    def __post_init__(self) -> None:
        if self.reputation not in REPUTATION_RULES:
            raise InterplayError(f"reputation rule must be one of {REPUTATION_RULES}, got {self.reputation!r}.")
        if self.mediator not in MEDIATOR_POLICIES:
            raise InterplayError(f"mediator policy must be one of {MEDIATOR_POLICIES}, got {self.mediator!r}.")
        if not 0.0 <= self.noise <= 1.0:
            raise InterplayError(f"noise must be in [0, 1], got {self.noise}.")
        if int(self.rounds) < 1:
            raise InterplayError(f"rounds must be at least 1, got {self.rounds}.")

    def contract_transfer(self, game: NormalFormGame, rl: Roles) -> float:
        if self.transfer is not None:
            return float(self.transfer)
        return 1.25 * minimal_transfer(game, rl, dominant=True)


@dataclass
class CellResult:
    """One (mechanism, game) cell over ``S`` seeds.

    Per seed: ``cooperation`` (share of moves that were the mover's cooperative action),
    ``welfare`` (mean sum of payoffs of a group in a round), ``share`` (of the social
    optimum, :meth:`Roles.share`), ``type_payoff`` (S, K: mean payoff per round of each
    type) and ``type_cooperation`` (S, K: its cooperation rate). ``pair_payoff[i, j]``: mean
    payoff of a type-i player per round with a type-j co-player (all seeds; NaN if never
    met), the matrix of the evolutionary step; ``pair_cooperation[i, j]`` likewise the
    cooperation rate of type i with a type-j co-player. ``group_payoff[i, code]`` (K, n^K): mean payoff
    of a type-i player per round whose ``n - 1`` co-players hold ``c_k`` of each type k, ``code = sum_k
    c_k n^k`` (NaN if never seen), the group payoff table of the n-player evolutionary step
    (:mod:`interplay.evaluate.dynamics`; for two players the same numbers as ``pair_payoff``);
    ``group_cooperation`` likewise its cooperation rate. With ``record``, ``actions`` (S, R, G, n) and
    ``players`` (S, R, G, n) give every move.
    """

    mechanism: str
    game: str
    cooperation: np.ndarray
    welfare: np.ndarray
    share: np.ndarray
    type_payoff: np.ndarray
    pair_payoff: np.ndarray
    transfer: float | None = None
    actions: np.ndarray | None = None
    players: np.ndarray | None = None
    type_cooperation: np.ndarray | None = None
    pair_cooperation: np.ndarray | None = None
    group_payoff: np.ndarray | None = None
    group_cooperation: np.ndarray | None = None
    extra: dict[str, np.ndarray] = field(default_factory=dict)


def population_types(type_names: Sequence[str], group: int, min_copies: int = 2) -> np.ndarray:
    """The population: each listed type ``c`` times, the least ``c >= min_copies`` making it divisible into
    groups of ``group``."""
    idx = []
    for t in type_names:
        if t not in TYPES:
            raise InterplayError(f"unknown fixed agent type {t!r}; choose from {list(TYPES)}.")
        idx.append(TYPES.index(t))
    c = max(1, min_copies)
    while (c * len(idx)) % group:
        c += 1
    return np.repeat(np.array(idx, dtype=np.int64), c)


def _others_all(ok: np.ndarray) -> np.ndarray:
    """For each seat, whether ``ok`` holds for every other seat of its group (last axis)."""
    total = ok.sum(-1, keepdims=True)
    return (total - ok) == ok.shape[-1] - 1


def simulate(game: NormalFormGame, mechanism: str, types: np.ndarray, seeds: int, settings: Settings | None = None,
             *, seed: int = 0, record: bool = False) -> CellResult:
    """Play one cell for ``seeds`` independent seeds at once (see the module docstring)."""
    settings = settings or Settings()
    if mechanism not in MECHANISMS:
        raise InterplayError(f"unknown mechanism {mechanism!r}; choose from {list(MECHANISMS)}.")
    rl = roles(game)
    P = np.asarray(game.payoffs, dtype=float)
    n = game.num_players
    types = np.asarray(types, dtype=np.int64)
    N = types.size
    if N % n:
        raise InterplayError(f"{game.spec.id}: a population of {N} cannot be split into groups of {n}.")
    G, S, R, K = N // n, int(seeds), int(settings.rounds), len(TYPES)
    C = np.asarray(rl.cooperate, dtype=np.int64)
    D = np.asarray(rl.defect, dtype=np.int64)
    A = np.asarray(game.num_actions, dtype=np.int64)
    rng = np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(game.spec.id.encode()),
                                                        MECHANISMS.index(mechanism)]))
    transfer = settings.contract_transfer(game, rl) if mechanism == "contracts" else None
    talk = settings.talk or mechanism == "cheap-talk"
    ce = None
    ce_cdf = np.ones(1)
    ce_shape: tuple[int, ...] = tuple(game.num_actions)
    if mechanism == "mediator" and settings.mediator == "correlated":
        from interplay.mechanisms.correlated import best_correlated_equilibrium

        ce = best_correlated_equilibrium(game)
        ce_cdf = np.cumsum(ce.distribution.ravel())
    image = np.ones((S, N), dtype=bool)
    prev = None
    perm = None
    coop_count = np.zeros(S)
    welfare_sum = np.zeros(S)
    player_pay = np.zeros((S, N))
    player_coop = np.zeros((S, N))
    pair_sum = np.zeros(K * K)
    pair_coop = np.zeros(K * K)
    pair_cnt = np.zeros(K * K)
    codes = n**K  # a co-player multiset's column: sum_k (co-players of type k) n^k
    group_sum = np.zeros(K * codes)
    group_coop = np.zeros(K * codes)
    group_cnt = np.zeros(K * codes)
    power = n ** np.arange(K)
    rec_actions = np.zeros((S, R, G, n), dtype=np.int64) if record else None
    rec_players = np.zeros((S, R, G, n), dtype=np.int64) if record else None
    for t in range(R):
        if perm is None or mechanism != "repetition":
            perm = np.argsort(rng.random((S, N)), axis=1).reshape(S, G, n)
        T = types[perm]
        rand_act = (rng.random((S, G, n)) * A).astype(np.int64)
        coin = rng.random((S, G, n)) < 0.5
        recip = np.broadcast_to(C, (S, G, n)).copy()
        random_act = rand_act
        bound = None
        good = np.ones((S, G, n), dtype=bool)
        heard = None
        if talk:
            said = np.where(T == RANDOM, (rng.random((S, G, n)) * A).astype(np.int64), C)
            heard = _others_all(said == C)
        if mechanism == "repetition" and prev is not None:
            recip = np.where(_others_all(prev == C), C, D)
        elif mechanism == "reputation":
            good = np.take_along_axis(image, perm.reshape(S, N), axis=1).reshape(S, G, n)
            recip = np.where(_others_all(good), C, D)
        elif mechanism == "mediator" and ce is None:
            delegates = (T == RECIPROCATOR) | ((T == RANDOM) & coin)
            everyone = delegates.all(-1, keepdims=True)
            recip = np.where(everyone, C, D)
            random_act = np.where(delegates, np.where(everyone, C, D), rand_act)
        elif mechanism == "mediator":
            k = np.searchsorted(ce_cdf, rng.random((S, G)) * ce_cdf[-1], side="right")
            k = np.minimum(k, ce_cdf.size - 1)
            recip = np.stack(np.unravel_index(k, ce_shape), axis=-1)
        elif mechanism == "contracts":
            accept = (T == COOPERATOR) | (T == RECIPROCATOR) | ((T == RANDOM) & coin)
            bound = accept.all(-1)
            recip = np.where(bound[..., None], C, D)
        elif mechanism == "commitments":
            pick = (rng.random((S, G, n)) * 3).astype(np.int64)  # Random: 0 none, 1 commit C, 2 conditional
            committed = (T == COOPERATOR) | (T == RECIPROCATOR) | ((T == RANDOM) & (pick > 0))
            holds = _others_all(committed)
            recip = np.where(holds, C, D)
            random_act = np.where(pick == 0, rand_act, np.where(pick == 1, C, np.where(holds, C, D)))
        if heard is not None and mechanism not in ("mediator", "commitments"):  # there the mechanism moves it
            recip = np.where(heard & (recip == C), C, D)
        intended = np.where(T == COOPERATOR, C, np.where(T == DEFECTOR, D, np.where(T == RANDOM, random_act, recip)))
        if settings.noise > 0:
            slip = rng.random((S, G, n)) < settings.noise
            played = np.where(slip, (rng.random((S, G, n)) * A).astype(np.int64), intended)
        else:
            played = intended
        pay = np.moveaxis(P[(slice(None), *(played[..., k] for k in range(n)))], 0, -1)  # (S, G, n)
        if bound is not None:
            pay = pay + contract_transfers(played, C, float(transfer or 0.0)) * bound[..., None]
        is_c = played == C
        if mechanism == "reputation":
            justified = ~_others_all(good) if settings.reputation == "standing" else np.zeros_like(is_c)
            np.put_along_axis(image, perm.reshape(S, N), (is_c | justified).reshape(S, N), axis=1)
        prev = played
        coop_count += is_c.sum((1, 2))
        welfare_sum += pay.sum((1, 2))
        rows = np.arange(S)[:, None]
        np.add.at(player_pay, (rows, perm.reshape(S, N)), pay.reshape(S, N))
        np.add.at(player_coop, (rows, perm.reshape(S, N)), is_c.reshape(S, N))
        if n > 1:
            for j in range(1, n):  # each seat with the co-player j seats on, weight 1/(n-1)
                other = np.roll(T, -j, axis=-1)
                idx = (T * K + other).ravel()
                pair_sum += np.bincount(idx, weights=pay.ravel() / (n - 1), minlength=K * K)
                pair_coop += np.bincount(idx, weights=is_c.ravel() / (n - 1), minlength=K * K)
                pair_cnt += np.bincount(idx, minlength=K * K) / (n - 1)
        pw = power[T]
        gidx = (T * codes + pw.sum(-1, keepdims=True) - pw).ravel()  # (focal type, its co-players' multiset)
        group_sum += np.bincount(gidx, weights=pay.ravel(), minlength=K * codes)
        group_coop += np.bincount(gidx, weights=is_c.ravel(), minlength=K * codes)
        group_cnt += np.bincount(gidx, minlength=K * codes)
        if rec_actions is not None and rec_players is not None:  # record
            rec_actions[:, t] = played
            rec_players[:, t] = perm
    welfare = welfare_sum / (R * G)
    per_round = player_pay / R
    type_payoff = np.full((S, K), np.nan)
    type_coop = np.full((S, K), np.nan)
    for k in range(K):
        members = types == k
        if members.any():
            type_payoff[:, k] = per_round[:, members].mean(1)
            type_coop[:, k] = player_coop[:, members].mean(1) / R
    with np.errstate(invalid="ignore", divide="ignore"):
        pair = np.where(pair_cnt > 0, pair_sum / np.maximum(pair_cnt, 1e-300), np.nan).reshape(K, K)
        pcoop = np.where(pair_cnt > 0, pair_coop / np.maximum(pair_cnt, 1e-300), np.nan).reshape(K, K)
        gpay = np.where(group_cnt > 0, group_sum / np.maximum(group_cnt, 1), np.nan).reshape(K, codes)
        gcoop = np.where(group_cnt > 0, group_coop / np.maximum(group_cnt, 1), np.nan).reshape(K, codes)
    out = CellResult(mechanism, game.spec.id, coop_count / (R * N), welfare, np.asarray(rl.share(welfare)),
                     type_payoff, pair, transfer, rec_actions, rec_players, type_coop, pcoop, gpay, gcoop)
    if ce is not None:
        out.extra["ce_welfare"] = np.array(ce.welfare)
    return out


def mean_ci(x: np.ndarray, z: float = 1.96) -> tuple[float, float, float]:
    """(mean, low, high): a normal-approximation 95% interval of the mean over seeds."""
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return float("nan"), float("nan"), float("nan")
    m = float(x.mean())
    if x.size < 2:
        return m, float("nan"), float("nan")
    h = z * float(x.std(ddof=1)) / np.sqrt(x.size)
    return m, m - h, m + h


def table(games: dict[str, NormalFormGame], mechanisms: tuple[str, ...] | list[str], type_names: list[str],
          seeds: int, settings: Settings | None = None, *, seed: int = 0) -> dict[tuple[str, str], CellResult]:
    """Every (mechanism, game) cell for the same population of types."""
    out = {}
    for gname, game in games.items():
        pop = population_types(type_names, game.num_players)
        for mech in mechanisms:
            out[(mech, gname)] = simulate(game, mech, pop, seeds, settings, seed=seed)
    return out
