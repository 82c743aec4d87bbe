"""Which action of a game is "cooperating" and which "defecting", and its welfare range.

Every mechanism needs this: a contract pays for deviating from the cooperative action,
the delegation mediator plays the defecting action for its delegates against
non-delegates, the cooperation rate counts cooperative actions. The games of the
coordination table have them declared; any other normal-form game gets them from its
payoffs (:func:`roles`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from interplay.errors import InterplayError
from interplay.games.normal_form import NormalFormGame

#: Declared (cooperative, defecting) action names per player, by game id.
DECLARED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "prisoners-dilemma-v1": (("C", "C"), ("D", "D")),
    "stag-hunt-v1": (("Stag", "Stag"), ("Hare", "Hare")),
    "chicken-v1": (("Swerve", "Swerve"), ("Straight", "Straight")),
    "trust-game-v1": (("Trust", "Return"), ("Keep", "Keep")),
}


@dataclass(frozen=True)
class Roles:
    """Per player, the index of its cooperative and of its defecting action; welfare bounds.

    ``best_welfare`` and ``worst_welfare`` are the highest and lowest sum of payoffs over pure
    joint actions: :meth:`share` maps a welfare onto [0, 1] between them.
    """

    cooperate: tuple[int, ...]
    defect: tuple[int, ...]
    best_welfare: float
    worst_welfare: float

    def share(self, welfare: np.ndarray | float) -> np.ndarray | float:
        """Share of the social optimum: (W - worst) / (best - worst), 1 at the optimum, 0 at the worst outcome.

        Shifted by the worst outcome because in chicken the optimum's welfare is 0 and in the
        lola prisoner's dilemma negative, where a plain ratio W / best means nothing."""
        span = self.best_welfare - self.worst_welfare
        if span <= 0:
            return np.ones_like(np.asarray(welfare, dtype=float))
        return (np.asarray(welfare, dtype=float) - self.worst_welfare) / span


def roles(game: NormalFormGame) -> Roles:
    """The declared roles of a catalogue game, else roles from the payoffs.

    From the payoffs: the cooperative profile is the joint action of highest welfare
    (ties: the highest minimum payoff, then the first); the defecting profile is the pure
    Nash equilibrium of lowest welfare other than it (ties: the first), or, when there is
    none, each player's best response to the others cooperating. The traveler's dilemma
    and the public goods game fall under this rule (both claim the most / all contribute;
    both claim the least / all keep).
    """
    P = np.asarray(game.payoffs, dtype=float)
    n = game.num_players
    welfare = P.sum(axis=0)
    best, worst = float(welfare.max()), float(welfare.min())
    names = game.spec.actions
    base_id = game.spec.id
    if base_id in DECLARED:
        coop_names, defect_names = DECLARED[base_id]
        try:
            coop = tuple(names[i].index(coop_names[i]) for i in range(n))
            defect = tuple(names[i].index(defect_names[i]) for i in range(n))
        except ValueError:
            raise InterplayError(f"{base_id}: its declared cooperative/defecting actions {coop_names}/"
                                 f"{defect_names} are not among its actions {names}.") from None
        return Roles(coop, defect, best, worst)
    joints = list(np.ndindex(*game.num_actions))
    key = [(float(welfare[j]), float(P[(slice(None), *j)].min()), -k) for k, j in enumerate(joints)]
    coop = tuple(int(x) for x in joints[max(range(len(joints)), key=lambda k: key[k])])
    stable = np.ones(game.num_actions, dtype=bool)  # pure Nash equilibria: each player's payoff is its axis' max
    for i in range(n):
        stable &= P[i] >= P[i].max(axis=i, keepdims=True) - 1e-12
    eqs = [tuple(int(x) for x in j) for j in np.argwhere(stable) if tuple(int(x) for x in j) != coop]
    if eqs:
        worst_eq = min(eqs, key=lambda j: float(welfare[j]))
        return Roles(coop, worst_eq, best, worst)
    defect = []
    for i in range(n):
        idx: list[Any] = list(coop)
        idx[i] = slice(None)
        defect.append(int(np.argmax(P[(i, *idx)])))
    return Roles(coop, tuple(defect), best, worst)
