"""Mechanisms as transformations of a game's payoffs, and the games they induce.

* Contracts (Haupt, Christoffersen, Damani and Hadfield-Menell 2022/2024): a contract is an
  outcome-contingent transfer; here, each player who does not play its cooperative action
  pays ``transfer``, shared equally by the players who do (nothing moves when nobody or
  everybody cooperates). In the prisoner's dilemma it moves ``t`` from a defector to a
  cooperating co-player: :func:`contract_payoffs`. It binds only when every party accepts.
* Delegation mediator (Monderer and Tennenholtz 2009; the form CoopEval uses): each player
  plays itself or delegates; when everyone delegates the mediator plays the cooperative
  profile, otherwise it plays the defecting action for each delegate. :func:`mediated_game`
  is the game with "Delegate" as one more action, so "all delegate" can be checked as an
  equilibrium like any other profile.
* Commitments: before play each player announces an action of its own, unconditionally
  (``commit``), or its cooperative action on condition that every co-player commits to
  cooperating (``conditional``; its defecting action otherwise), or nothing. The wrapper
  enforces them: :func:`resolve_commitments`; :func:`commitment_game` is the induced game
  (base actions played freely, plus the two kinds of commitment to cooperate).

Everything is a function of arrays, so the fast fixed-strategy path
(:mod:`interplay.mechanisms.fast`) and the per-turn path (:mod:`interplay.mechanisms.play`)
use the same definitions.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from interplay.errors import InterplayError
from interplay.games.normal_form import NormalFormGame, normal_form
from interplay.mechanisms.roles import Roles, roles


def contract_transfers(actions: np.ndarray, cooperate: Sequence[int] | np.ndarray,
                       transfer: float | np.ndarray) -> np.ndarray:
    """Transfers received (negative: paid) per player under the contract, for joint actions
    ``actions[..., n]`` (any leading batch shape); ``transfer`` broadcasts over the batch."""
    acts = np.asarray(actions)
    coop = acts == np.asarray(cooperate)
    k_def = (~coop).sum(-1, keepdims=True)
    k_coop = coop.sum(-1, keepdims=True)
    t = np.asarray(transfer, dtype=float)[..., None] if np.ndim(transfer) else float(transfer)
    active = (k_def > 0) & (k_coop > 0)
    paid = np.where(active & ~coop, -t, 0.0)
    got = np.where(active & coop, t * k_def / np.maximum(k_coop, 1), 0.0)
    return paid + got


def contract_payoffs(game: NormalFormGame, transfer: float, rl: Roles | None = None) -> np.ndarray:
    """The payoff tensor (n, a_1, ..., a_n) when the contract binds."""
    rl = rl or roles(game)
    P = np.asarray(game.payoffs, dtype=float)
    joints = np.array(list(np.ndindex(*game.num_actions)), dtype=np.int64).reshape(*game.num_actions, -1)
    tr = contract_transfers(joints, rl.cooperate, transfer)  # (*A, n)
    return P + np.moveaxis(tr, -1, 0)


def contract_game(game: NormalFormGame, transfer: float, rl: Roles | None = None) -> NormalFormGame:
    """The game as played under a binding contract (same actions, transformed payoffs)."""
    rl = rl or roles(game)
    P = contract_payoffs(game, transfer, rl)
    coop = ", ".join(game.spec.actions[i][rl.cooperate[i]] for i in range(game.num_players))
    g = normal_form(P, id=game.spec.id, name=f"{game.spec.name} under a contract", players=game.spec.players,
                    actions=game.spec.actions,
                    description=(f"{game.spec.description} A binding contract is in force: every player who does "
                                 f"not play its cooperative action ({coop}) pays {transfer:g}, shared equally by "
                                 "those who do (the payoffs below include it)."))
    return g


def minimal_transfer(game: NormalFormGame, rl: Roles | None = None, *, dominant: bool = False) -> float:
    """Smallest transfer making the cooperative profile a Nash equilibrium (``dominant``: making each
    player's cooperative action weakly dominant), by the closed form for the equilibrium and a
    bisection for dominance (the gain of any deviation falls linearly in the transfer)."""
    rl = rl or roles(game)
    P = np.asarray(game.payoffs, dtype=float)
    n = game.num_players
    if not dominant:
        need = 0.0
        for i in range(n):
            idx: list[Any] = list(rl.cooperate)
            idx[i] = slice(None)
            gains = P[(i, *idx)] - P[(i, *rl.cooperate)]
            need = max(need, float(gains.max()))  # a lone deviator pays the whole transfer
        return need

    def ok(t: float) -> bool:
        Q = contract_payoffs(game, t, rl)
        for i in range(n):
            own = np.take(Q[i], rl.cooperate[i], axis=i)
            if np.any(np.expand_dims(own, i) < Q[i] - 1e-9):
                return False
        return True

    hi = float(np.ptp(P)) * n + 1.0
    if not ok(hi):
        raise InterplayError(f"{game.spec.id}: no transfer makes cooperating dominant.")
    lo = 0.0
    if ok(lo):
        return 0.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    for digits in (6, 9, 12):  # the threshold of a table of round numbers is round: snap to it if it holds
        snapped = float(f"{hi:.{digits}g}")
        if abs(snapped - hi) <= 1e-6 * max(1.0, abs(hi)) and ok(snapped):
            return snapped
    return hi


def _named(game: NormalFormGame, extra: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(a) + tuple(extra) for a in game.spec.actions)


def mediated_payoffs(game: NormalFormGame, rl: Roles | None = None) -> np.ndarray:
    """Payoffs of the delegation game: each player's last action is "Delegate" (index a_i)."""
    rl = rl or roles(game)
    P = np.asarray(game.payoffs, dtype=float)
    n = game.num_players
    shape = tuple(a + 1 for a in game.num_actions)
    out = np.zeros((n, *shape))
    for joint in np.ndindex(*shape):
        delegated = [joint[i] == game.num_actions[i] for i in range(n)]
        if all(delegated):
            played = rl.cooperate
        else:
            played = tuple(rl.defect[i] if d else joint[i] for i, d in enumerate(delegated))
        out[(slice(None), *joint)] = P[(slice(None), *played)]
    return out


def mediated_game(game: NormalFormGame, rl: Roles | None = None) -> NormalFormGame:
    """The game with a delegation mediator: one more action, "Delegate", for every player."""
    rl = rl or roles(game)
    coop = ", ".join(game.spec.actions[i][rl.cooperate[i]] for i in range(game.num_players))
    dfc = ", ".join(game.spec.actions[i][rl.defect[i]] for i in range(game.num_players))
    return normal_form(
        mediated_payoffs(game, rl), id=game.spec.id, name=f"{game.spec.name} with a mediator",
        players=game.spec.players, actions=_named(game, ["Delegate"]),
        description=(f"{game.spec.description} A mediator is available: a player may play itself or Delegate. "
                     f"If every player delegates, the mediator plays {coop} for them; otherwise it plays the "
                     f"defecting action ({dfc}) for each player who delegated."))


@dataclass(frozen=True)
class Commitment:
    """A commitment announced before play.

    ``kind``: "none" (play freely), "commit" (play ``action`` whatever happens) or
    "conditional" (play ``action`` if every co-player commits to its cooperative action,
    unconditionally or conditionally; play ``otherwise`` if not).
    """

    kind: str
    action: int | None = None
    otherwise: int | None = None

    def describe(self, names: Sequence[str]) -> str:
        if self.kind == "none":
            return "no commitment"
        if self.kind == "commit":
            return f"commits to {names[self.action or 0]}"
        return (f"commits to {names[self.action or 0]} if every co-player commits to cooperate, "
                f"else {names[self.otherwise or 0]}")


def committed_to_cooperate(c: Commitment, cooperate: int) -> bool:
    return c.kind in ("commit", "conditional") and c.action == cooperate


def resolve_commitments(commitments: Sequence[Commitment], cooperate: Sequence[int]) -> list[int | None]:
    """The enforced action of each committed player (None: uncommitted, it chooses itself).

    A conditional commitment holds when every co-player is committed to cooperating; the
    largest consistent set is taken (two conditional cooperators both cooperate), which is
    reached in one pass because the condition reads commitments, never actions."""
    n = len(commitments)
    out: list[int | None] = []
    for i, c in enumerate(commitments):
        if c.kind == "none":
            out.append(None)
        elif c.kind == "commit":
            out.append(c.action)
        else:
            ok = all(committed_to_cooperate(commitments[j], cooperate[j]) for j in range(n) if j != i)
            out.append(c.action if ok else c.otherwise)
    return out


def commitment_options(game: NormalFormGame, rl: Roles | None = None) -> list[list[tuple[str, Commitment]]]:
    """Per player, the induced game's actions: each base action played freely, then "Commit <C>" and
    "Commit <C> if all commit" (its cooperative action C; else its defecting action)."""
    rl = rl or roles(game)
    out = []
    for i, names in enumerate(game.spec.actions):
        c, d = rl.cooperate[i], rl.defect[i]
        opts = [(a, Commitment("none")) for a in names]
        opts.append((f"Commit {names[c]}", Commitment("commit", c)))
        opts.append((f"Commit {names[c]} if all commit", Commitment("conditional", c, d)))
        out.append(opts)
    return out


def commitment_game(game: NormalFormGame, rl: Roles | None = None) -> NormalFormGame:
    """The induced game of announced, enforced commitments (see the module docstring)."""
    rl = rl or roles(game)
    P = np.asarray(game.payoffs, dtype=float)
    opts = commitment_options(game, rl)
    shape = tuple(len(o) for o in opts)
    out = np.zeros((game.num_players, *shape))
    for joint in itertools.product(*(range(k) for k in shape)):
        commits = [opts[i][a][1] for i, a in enumerate(joint)]
        enforced = resolve_commitments(commits, rl.cooperate)
        played = tuple(e if e is not None else joint[i] for i, e in enumerate(enforced))
        out[(slice(None), *joint)] = P[(slice(None), *played)]
    return normal_form(
        out, id=game.spec.id, name=f"{game.spec.name} with commitments", players=game.spec.players,
        actions=[[name for name, _ in o] for o in opts],
        description=(f"{game.spec.description} Before play each player may commit: 'Commit X' plays X whatever "
                     "happens; 'Commit X if all commit' plays X if every other player commits to cooperate "
                     "(either way), and the defecting action otherwise; a plain action is played uncommitted."))


def repeated_spec_game(game: NormalFormGame, rounds: int) -> NormalFormGame:
    """The same stage game, its spec marked repeated for ``rounds`` rounds (what a per-turn match
    against the same co-player is; the prompt then says how long it lasts)."""
    spec = replace(game.spec, repeated=True, horizon=int(rounds), discount=1.0)
    return NormalFormGame(spec=spec, payoffs=game.payoffs)


def contract_stage_game(game: NormalFormGame, transfer: float, rl: Roles | None = None,
                        max_actions: int = 4096) -> NormalFormGame:
    """The contracting stage and the play after it as one game (strategy form): a strategy is
    (accept or reject, the action if the contract binds, the action if it does not). The contract
    binds only if every player accepts; then the payoffs are :func:`contract_payoffs`.
    Haupt et al.'s two stages, so a learner can learn whether to accept and what to play."""
    rl = rl or roles(game)
    P = np.asarray(game.payoffs, dtype=float)
    Q = contract_payoffs(game, transfer, rl)
    n = game.num_players
    strategies = [[(acc, b, u) for acc in (True, False) for b in range(k) for u in range(k)] for k in game.num_actions]
    shape = tuple(len(s) for s in strategies)
    if np.prod(shape) > max_actions:
        raise InterplayError(f"{game.spec.id}: the contract stage game would have {int(np.prod(shape))} joint "
                             f"strategies (at most {max_actions}); use a game with fewer actions.")
    out = np.zeros((n, *shape))
    for joint in itertools.product(*(range(k) for k in shape)):
        chosen = [strategies[i][a] for i, a in enumerate(joint)]
        bound = all(c[0] for c in chosen)
        played = tuple(c[1] if bound else c[2] for c in chosen)
        out[(slice(None), *joint)] = (Q if bound else P)[(slice(None), *played)]
    names = [[f"{'Accept' if acc else 'Reject'}; {game.spec.actions[i][b]} if bound, {game.spec.actions[i][u]} if not"
              for acc, b, u in s] for i, s in enumerate(strategies)]
    return normal_form(out, id=game.spec.id, name=f"{game.spec.name}, contracting stage", players=game.spec.players,
                       actions=names, description=(f"{game.spec.description} A contract (transfer {transfer:g} from "
                                                   "each non-cooperator to the cooperators) binds if all accept."))


def contract_strategy(index: int, num_actions: int) -> tuple[bool, int, int]:
    """(accepts, action if bound, action if not) of strategy ``index`` of :func:`contract_stage_game`."""
    k = int(num_actions)
    return index < k * k, (index % (k * k)) // k, index % k
