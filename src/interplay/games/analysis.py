"""Analysis of normal-form games: equilibria, Pareto efficiency, welfare, best responses."""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from interplay.games.normal_form import NormalFormGame


def best_responses(game: NormalFormGame, player: int, others: tuple[int, ...], atol: float = 1e-9) -> list[int]:
    """Pure best responses of ``player`` to the pure actions ``others`` of everyone else
    (given in player order, skipping ``player``)."""
    idx: list[int | slice] = list(others)
    idx.insert(player, slice(None))
    column = game.payoffs[(player, *idx)]
    return [int(a) for a in np.flatnonzero(column >= column.max() - atol)]


def best_response_table(game: NormalFormGame) -> dict[str, dict[str, list[str]]]:
    """For each player and each pure profile of the others, the best-response names."""
    out: dict[str, dict[str, list[str]]] = {}
    n = game.num_players
    for i in range(n):
        shape = [k for j, k in enumerate(game.num_actions) if j != i]
        rows: dict[str, list[str]] = {}
        for others in np.ndindex(*shape):
            label = ",".join(
                game.spec.actions[j][a] for j, a in zip([j for j in range(n) if j != i], others)
            )
            rows[label] = [game.spec.actions[i][a] for a in best_responses(game, i, tuple(others))]
        out[game.spec.players[i]] = rows
    return out


def pure_nash_equilibria(game: NormalFormGame, atol: float = 1e-9) -> list[tuple[int, ...]]:
    """All pure-strategy Nash equilibria (no player gains by a unilateral deviation)."""
    eqs = []
    for joint in game.joint_actions():
        stable = True
        for i in range(game.num_players):
            others = joint[:i] + joint[i + 1 :]
            if joint[i] not in best_responses(game, i, others, atol):
                stable = False
                break
        if stable:
            eqs.append(joint)
    return eqs


def mixed_nash_equilibria(game: NormalFormGame, decimals: int = 8) -> list[tuple[np.ndarray, np.ndarray]]:
    """All Nash equilibria (pure and mixed) of a two-player game, by nashpy's support
    enumeration; for degenerate games vertex enumeration is tried as well and the
    union is returned, deduplicated."""
    import nashpy

    a, b = game.bimatrix()
    g = nashpy.Game(a, b)
    found: list[tuple[np.ndarray, np.ndarray]] = []
    seen: set[tuple[float, ...]] = set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for method in (g.support_enumeration, g.vertex_enumeration):
            try:
                for s1, s2 in method():
                    s1 = np.round(np.asarray(s1, dtype=float), decimals) + 0.0
                    s2 = np.round(np.asarray(s2, dtype=float), decimals) + 0.0
                    if not (np.all(np.isfinite(s1)) and np.all(np.isfinite(s2))):
                        continue
                    key = tuple(np.concatenate([s1, s2]).round(6))
                    if key not in seen:
                        seen.add(key)
                        found.append((s1, s2))
            except (ValueError, np.linalg.LinAlgError):
                continue
    found.sort(key=lambda e: tuple(-np.concatenate(e)))
    return found


def pareto_efficient(game: NormalFormGame, atol: float = 1e-9) -> list[tuple[int, ...]]:
    """Pure joint actions not Pareto-dominated by another pure joint action."""
    joints = game.joint_actions()
    vals = np.array([game.payoff(j) for j in joints])
    out = []
    for k, v in enumerate(vals):
        dominated = np.any(np.all(vals >= v - atol, axis=1) & np.any(vals > v + atol, axis=1))
        if not dominated:
            out.append(joints[k])
    return out


def social_welfare(game: NormalFormGame) -> np.ndarray:
    """Sum of payoffs for every pure joint action, shape (a_1, ..., a_n)."""
    return game.payoffs.sum(axis=0)


@dataclass
class Analysis:
    game: str
    players: list[str]
    actions: list[list[str]]
    utility: str
    pure_nash: list[dict[str, object]]
    mixed_nash: list[dict[str, object]] | None
    pareto_efficient: list[dict[str, object]]
    max_welfare: float
    max_welfare_outcomes: list[str]
    best_responses: dict[str, dict[str, list[str]]]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def analyze(game: NormalFormGame) -> Analysis:
    """Everything above, as plain data (what `interplay analyze` prints)."""

    def outcome(joint: tuple[int, ...]) -> dict[str, object]:
        return {
            "actions": [game.spec.actions[i][a] for i, a in enumerate(joint)],
            "payoffs": [float(x) for x in game.payoff(joint)],
            "welfare": float(game.payoff(joint).sum()),
        }

    welfare = social_welfare(game)
    best = float(welfare.max())
    mixed = None
    if game.num_players == 2:
        mixed = []
        for s1, s2 in mixed_nash_equilibria(game):
            pay = game.expected_payoffs([s1, s2])
            mixed.append(
                {
                    "strategies": [
                        {n: float(p) for n, p in zip(game.spec.actions[0], s1)},
                        {n: float(p) for n, p in zip(game.spec.actions[1], s2)},
                    ],
                    "payoffs": [float(x) for x in pay],
                }
            )
    return Analysis(
        game=game.spec.id,
        players=list(game.spec.players),
        actions=[list(a) for a in game.spec.actions],
        utility=game.spec.utility.value,
        pure_nash=[outcome(j) for j in pure_nash_equilibria(game)],
        mixed_nash=mixed,
        pareto_efficient=[outcome(j) for j in pareto_efficient(game)],
        max_welfare=best,
        max_welfare_outcomes=[
            game.action_label(j) for j in game.joint_actions() if welfare[j] >= best - 1e-9
        ],
        best_responses=best_response_table(game),
    )
