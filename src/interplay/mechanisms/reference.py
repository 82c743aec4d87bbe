"""The fixed-strategy cells of :mod:`interplay.mechanisms.fast` written as a plain loop, one agent at a time.

A second implementation, read straight from the definitions (the mediator's policy from
:func:`~interplay.mechanisms.induced.mediated_payoffs`, commitments resolved by
:func:`~interplay.mechanisms.induced.resolve_commitments`, transfers by
:func:`~interplay.mechanisms.induced.contract_transfers`), with its own random stream:
cheap talk composed with a mechanism (``Settings(talk=True)``) is one more condition of the
Reciprocator's own move; tests check that the two agree in distribution, and ``benchmarks/coordination.py`` times
it as the peer of the array program.
"""

from __future__ import annotations

import random

import numpy as np

from interplay.games.normal_form import NormalFormGame
from interplay.mechanisms.fast import COOPERATOR, DEFECTOR, RANDOM, RECIPROCATOR, Settings
from interplay.mechanisms.induced import Commitment, contract_transfers, resolve_commitments
from interplay.mechanisms.roles import roles


def reference_cell(game: NormalFormGame, mechanism: str, types: list[int] | np.ndarray, seeds: int,
                   settings: Settings | None = None, seed: int = 0) -> dict[str, np.ndarray]:
    """Per seed: cooperation rate and mean group welfare per round; per type: mean payoff per round."""
    settings = settings or Settings()
    rl = roles(game)
    P = np.asarray(game.payoffs, dtype=float)
    n = game.num_players
    types = [int(t) for t in types]
    N = len(types)
    transfer = settings.contract_transfer(game, rl) if mechanism == "contracts" else None
    talk = settings.talk or mechanism == "cheap-talk"
    ce = None
    joints: list[tuple[int, ...]] = []
    weights: list[float] = []
    if mechanism == "mediator" and settings.mediator == "correlated":
        from interplay.mechanisms.correlated import best_correlated_equilibrium

        ce = best_correlated_equilibrium(game)
        joints = [tuple(int(x) for x in j) for j in np.ndindex(*game.num_actions)]
        weights = [float(ce.distribution[j]) for j in joints]
    coop_rate, welfare, type_pay = [], [], []
    for s in range(seeds):
        rnd = random.Random(f"{seed}/{s}")
        image = [True] * N
        order = list(range(N))
        prev: dict[int, int] = {}
        coop = 0
        total = 0.0
        pay = [0.0] * N
        for t in range(settings.rounds):
            if t == 0 or mechanism != "repetition":
                rnd.shuffle(order)
            groups = [order[k:k + n] for k in range(0, N, n)]
            for g in groups:
                T = [types[p] for p in g]

                def rand_action(seat: int, rnd: random.Random = rnd) -> int:
                    return rnd.randrange(game.num_actions[seat])

                intended: list[int] = []
                bound = False
                if mechanism == "mediator" and ce is None:
                    delegated = [T[k] == RECIPROCATOR or (T[k] == RANDOM and rnd.random() < 0.5) for k in range(n)]
                    everyone = all(delegated)
                    for k in range(n):
                        if delegated[k]:
                            intended.append(rl.cooperate[k] if everyone else rl.defect[k])
                        elif T[k] == COOPERATOR:
                            intended.append(rl.cooperate[k])
                        elif T[k] == DEFECTOR:
                            intended.append(rl.defect[k])
                        else:
                            intended.append(rand_action(k))
                elif mechanism == "commitments":
                    commits = []
                    for k in range(n):
                        if T[k] == COOPERATOR:
                            commits.append(Commitment("commit", rl.cooperate[k]))
                        elif T[k] == RECIPROCATOR:
                            commits.append(Commitment("conditional", rl.cooperate[k], rl.defect[k]))
                        elif T[k] == DEFECTOR:
                            commits.append(Commitment("none"))
                        else:
                            commits.append(rnd.choice([Commitment("none"), Commitment("commit", rl.cooperate[k]),
                                                       Commitment("conditional", rl.cooperate[k], rl.defect[k])]))
                    enforced = resolve_commitments(commits, rl.cooperate)
                    for k in range(n):
                        move = enforced[k]
                        if move is not None:
                            intended.append(int(move))
                        else:
                            intended.append(rl.defect[k] if T[k] == DEFECTOR else rand_action(k))
                else:
                    recommendation = rnd.choices(joints, weights)[0] if ce is not None else None
                    said = [rand_action(k) if T[k] == RANDOM else rl.cooperate[k] for k in range(n)]
                    accepted = [T[k] in (COOPERATOR, RECIPROCATOR) or (T[k] == RANDOM and rnd.random() < 0.5)
                                for k in range(n)]
                    bound = mechanism == "contracts" and all(accepted)
                    for k in range(n):
                        others = [j for j in range(n) if j != k]
                        if T[k] == COOPERATOR:
                            intended.append(rl.cooperate[k])
                        elif T[k] == DEFECTOR:
                            intended.append(rl.defect[k])
                        elif T[k] == RANDOM:
                            intended.append(rand_action(k))
                        else:
                            if mechanism == "cheap-talk":
                                ok = all(said[j] == rl.cooperate[j] for j in others)
                            elif mechanism == "repetition":
                                ok = t == 0 or all(prev[g[j]] == rl.cooperate[j] for j in others)
                            elif mechanism == "reputation":
                                ok = all(image[g[j]] for j in others)
                            elif mechanism == "contracts":
                                ok = bound
                            else:
                                ok = True
                            if talk and mechanism != "cheap-talk":  # cheap talk before the mechanism's move
                                ok = ok and all(said[j] == rl.cooperate[j] for j in others)
                            if recommendation is not None:
                                intended.append(int(recommendation[k]))
                            else:
                                intended.append(rl.cooperate[k] if ok else rl.defect[k])
                played = [rand_action(k) if rnd.random() < settings.noise else intended[k] for k in range(n)]
                payoff = P[(slice(None), *played)].copy()
                if bound and transfer is not None:  # bound only under contracts, which set the transfer
                    payoff = payoff + contract_transfers(np.array(played), rl.cooperate, transfer)
                if mechanism == "reputation":
                    good = [image[p] for p in g]
                    for k in range(n):
                        justified = settings.reputation == "standing" and not all(good[j] for j in range(n) if j != k)
                        image[g[k]] = played[k] == rl.cooperate[k] or justified
                for k in range(n):
                    prev[g[k]] = played[k]
                    pay[g[k]] += float(payoff[k])
                    coop += played[k] == rl.cooperate[k]
                total += float(payoff.sum())
        coop_rate.append(coop / (settings.rounds * N))
        welfare.append(total / (settings.rounds * (N // n)))
        type_pay.append([np.mean([pay[p] / settings.rounds for p in range(N) if types[p] == k])
                         if k in types else np.nan for k in range(4)])
    return {"cooperation": np.array(coop_rate), "welfare": np.array(welfare), "type_payoff": np.array(type_pay)}
