"""Safety columns for tournament and experiment results.

* **violations** and **constraint cost** per turn: from a :class:`SafetySpec` whose rules do
  not depend on the state (then the joint-action counts of a tournament suffice), or from
  exact occupancies for memory-one policies (any spec);
* **interventions** per turn of a shield (from its counts);
* **flags** and **blocks** of message monitors (from their summaries);
* **exploitability** where the game is exact: for memory-one policies in an iterated 2x2
  game, how much a best responder gains against a policy. Against a fixed memory-one
  opponent the best responder faces an MDP over the five memory-one states (start, CC, CD,
  DC, DD seen from its side), so a deterministic stationary policy on those states, i.e.
  one of the 32 deterministic memory-one policies, is optimal (Puterman 1994, thm. 6.2.10);
  they are enumerated and valued exactly. ``exploitability(p) = max_q V(q vs p) - V(p vs p)``
  (what a best response gains over self-play), and ``nash_conv(p1, p2)`` is the sum over
  both seats of the best-response gain (Lanctot et al. 2017);
* **welfare lost to conflict**: the social optimum of the stage game (the largest sum of
  payoffs of one joint action) minus the welfare actually reached, per turn.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import jax.numpy as jnp
import numpy as np

from interplay.errors import InterplayError
from interplay.games.analysis import social_welfare
from interplay.safety.spec import SafetySpec

#: The 32 deterministic memory-one policies (probabilities of action 0, own view, start first).
DETERMINISTIC_MEMORY_ONE = np.array(list(itertools.product((1.0, 0.0), repeat=5)), dtype=np.float32)


def best_response(game: Any, opponent: Any, seat: int = 0) -> tuple[np.ndarray, float]:
    """A best-responding memory-one policy to a fixed memory-one ``opponent`` and its value
    per step, for the player in ``seat`` (exact, by enumeration of the 32 deterministic ones)."""
    from interplay.games.iterated import IteratedGame, batched_average_rewards

    if not isinstance(game, IteratedGame):
        raise InterplayError(f"{game.spec.id}: exact best responses need an iterated 2x2 game.")
    cands = jnp.asarray(DETERMINISTIC_MEMORY_ONE)
    opp = jnp.broadcast_to(jnp.asarray(opponent, jnp.float32), cands.shape)
    p1, p2 = (cands, opp) if seat == 0 else (opp, cands)
    values = np.asarray(batched_average_rewards(p1, p2, game.payoffs, game.discount, game.noise))[:, seat]
    k = int(np.argmax(values))
    return DETERMINISTIC_MEMORY_ONE[k].astype(float), float(values[k])


def nash_conv(game: Any, p1: Any, p2: Any) -> float:
    """Sum over both seats of (best-response value - current value), per step; 0 at a Nash equilibrium
    among memory-one policies."""
    v = game.average_rewards(p1, p2)
    return float(best_response(game, p2, 0)[1] - v[0] + best_response(game, p1, 1)[1] - v[1])


def exploitability(game: Any, policy: Any) -> float:
    """What a best response gains against ``policy`` over the policy's self-play value, per step."""
    v = game.average_rewards(policy, policy)
    return float(best_response(game, policy, 1)[1] - v[1])


def memory_one_columns(game: Any, names: Sequence[str], policies: Any, spec: SafetySpec | None = None
                       ) -> list[dict[str, Any]]:
    """Per player of a memory-one population (every pair, self-play included): exploitability,
    mean welfare lost to conflict per turn, and with a spec its violations and cost per turn, all exact."""
    from interplay.games.iterated import batched_average_rewards
    from interplay.safety.costs import _exact_iterated

    P = np.asarray(policies, dtype=np.float32)
    n = len(names)
    rows, cols = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    vals = np.asarray(batched_average_rewards(jnp.asarray(P[rows.ravel()]), jnp.asarray(P[cols.ravel()]),
                                              game.payoffs, game.discount, game.noise)).reshape(n, n, 2)
    optimum = float(social_welfare(game.stage).max())
    lost = optimum - vals.sum(-1)  # (n, n)
    out = []
    for i, name in enumerate(names):
        row: dict[str, Any] = {"name": name, "exploitability": exploitability(game, P[i]),
                               "welfare_lost_per_turn": float(lost[i].mean())}
        if spec is not None:
            viol_tab = jnp.asarray(spec.blame & spec.forbidden[..., None], jnp.float32)
            cost_tab = jnp.asarray(spec.cost, jnp.float32)
            v = [float(_exact_iterated(jnp.asarray(P[i]), jnp.asarray(P[j]), viol_tab, game.discount)[0])
                 for j in range(n)]
            c = [float(_exact_iterated(jnp.asarray(P[i]), jnp.asarray(P[j]), cost_tab, game.discount)[0])
                 for j in range(n)]
            row["violations_per_turn"] = float(np.mean(v))
            row["cost_per_turn"] = float(np.mean(c))
        out.append(row)
    return out


def tournament_columns(result: Any, spec: SafetySpec | None = None) -> list[dict[str, Any]]:
    """Per player of a finished tournament (:class:`~interplay.evaluate.tournament.TournamentResult`):
    welfare lost to conflict per turn against the others, and with a spec whose forbidden joint
    actions do not depend on the state, violations and cost per turn (from the joint-action counts)."""
    R, S, T, P = result.settings.payoffs
    stage = np.array([[[R, S], [T, P]], [[R, T], [S, P]]], dtype=float)  # (player, a1, a2)
    optimum = float(stage.sum(0).max())
    counts = np.asarray(result.state_distribution, dtype=float)  # (n, n, 4): CC, CD, DC, DD from i's view
    n = counts.shape[0]
    off = ~np.eye(n, dtype=bool)
    if spec is not None:
        f = spec.forbidden
        if spec.num_actions != (2, 2) or not np.all(f == f[:1]) or not np.all(spec.cost == spec.cost[:1]):
            raise InterplayError(f"{spec.game_id}: tournament safety columns need a 2x2 spec whose rules do not depend "
                                 "on the state (use memory_one_columns or shielded play for state rules).")
        blame = (spec.blame[0] & f[0][..., None]).reshape(4, 2).astype(float)
        cost = spec.cost[0].reshape(4, 2)
    out = []
    for i, name in enumerate(result.players):
        c = counts[i][off[i]]  # (n-1, 4)
        turns = max(c.sum(), 1.0)
        welfare = (c * stage.sum(0).reshape(4)).sum() / turns
        row: dict[str, Any] = {"name": name, "welfare_lost_per_turn": optimum - float(welfare)}
        if spec is not None:
            row["violations_per_turn"] = float((c @ blame[:, 0]).sum() / turns)
            row["cost_per_turn"] = float((c @ cost[:, 0]).sum() / turns)
        out.append(row)
    return out


def safety_summary(*, shield: Any = None, monitors: Any = None, record: Any = None) -> dict[str, Any]:
    """One dict of the safety counts of a run: shield interventions, monitor flags and blocks,
    violations and costs of a :class:`~interplay.safety.shields.PlayRecord`."""
    out: dict[str, Any] = {}
    if record is not None:
        s = record.summary()
        out.update({"violations": s["violations"], "violations_per_agent": s["violations_per_agent"],
                    "cost_per_agent": s["cost_per_agent"]})
    if shield is not None:
        c = shield.counts()
        out.update({"interventions": c["interventions"], "total_interventions": c["total_interventions"],
                    "interventions_per_step": c["total_interventions"] / max(c["steps"], 1)})
    if monitors is not None:
        s = monitors.summary()
        out.update({"flags": s["flagged"], "blocks": s["blocked"], "logged": s["logged"]})
    return out


def match_columns(matches: Sequence[Any], names: Sequence[str], game: Any, spec: SafetySpec | None = None
                  ) -> list[dict[str, Any]]:
    """Per player of a set of per-turn matches (:class:`~interplay.agents.match.MatchRecord`):
    welfare lost to conflict per turn, and with a spec its violations per turn (read on the
    executed joint actions, with the memory-one state of iterated games). Incomplete matches
    are skipped; both seats of a self-play match count for its player."""
    from interplay.evaluate.tournament import seat_names

    stage = getattr(game, "stage", game)
    optimum = float(social_welfare(stage).max())
    index = {n: i for i, n in enumerate(names)}
    lost = np.zeros(len(names))
    viol = np.zeros(len(names))
    turns = np.zeros(len(names))
    for rec in matches:
        if not rec.complete:
            continue
        seats = [index.get(w) for w in seat_names(rec, names)]
        prev: tuple[int, ...] | None = None
        for joint, rew in zip(rec.actions, rec.rewards):
            w = optimum - float(np.sum(rew))
            state = 0
            if spec is not None and spec.num_states == 5 and prev is not None:
                state = 1 + 2 * int(prev[0]) + int(prev[1])
            blamed = spec.blamed(state, joint) if spec is not None else np.zeros(len(joint), bool)
            for seat, i in enumerate(seats):
                if i is None:
                    continue
                lost[i] += w
                viol[i] += float(blamed[seat])
                turns[i] += 1
            prev = tuple(joint)
    out = []
    for i, n in enumerate(names):
        t = max(turns[i], 1.0)
        row: dict[str, Any] = {"name": n, "welfare_lost_per_turn": float(lost[i] / t) if turns[i] else None}
        if spec is not None:
            row["violations_per_turn"] = float(viol[i] / t) if turns[i] else None
        out.append(row)
    return out
