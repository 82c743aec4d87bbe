"""Normal-form games for any number of players and actions.

A game is a payoff tensor ``payoffs[i, a_1, ..., a_n]`` (player ``i``'s payoff when
player ``k`` plays action ``a_k``) plus a frozen :class:`GameSpec`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from interplay.errors import InterplayError
from interplay.games.checks import MAX_PAYOFF, table_size
from interplay.games.spec import Dynamics, GameSpec, UtilityKind


def infer_utility(payoffs: np.ndarray, atol: float = 1e-9) -> UtilityKind:
    """Classify a payoff tensor of shape (n, a_1, ..., a_n)."""
    totals = payoffs.sum(axis=0)
    if np.allclose(totals, 0.0, atol=atol):
        return UtilityKind.ZERO_SUM
    if np.all(np.abs(payoffs - payoffs[0:1]) <= atol):
        return UtilityKind.IDENTICAL_INTEREST
    if np.allclose(totals, totals.flat[0], atol=atol):
        return UtilityKind.CONSTANT_SUM
    return UtilityKind.GENERAL_SUM


@dataclass(frozen=True, eq=False)
class NormalFormGame:
    """A one-shot simultaneous-move game given by its payoff tensor.

    Build one with :func:`normal_form` (validates shapes) or from the catalogue.
    """

    spec: GameSpec
    payoffs: np.ndarray  # shape (n_players, *num_actions), float64, read-only

    @property
    def num_players(self) -> int:
        return self.spec.num_players

    @property
    def num_actions(self) -> tuple[int, ...]:
        return self.spec.num_actions

    def payoff(self, joint_action: Sequence[int]) -> np.ndarray:
        """Payoff vector (one entry per player) of a pure joint action."""
        return self.payoffs[(slice(None), *tuple(int(a) for a in joint_action))].copy()

    def expected_payoffs(self, strategies: Sequence[np.ndarray]) -> np.ndarray:
        """Expected payoff per player when each plays a mixed strategy."""
        out = self.payoffs
        for s in reversed(strategies):
            out = out @ np.asarray(s, dtype=float)
        return np.asarray(out)

    def bimatrix(self) -> tuple[np.ndarray, np.ndarray]:
        """(A, B) for a two-player game: row player's and column player's payoffs."""
        if self.num_players != 2:
            raise InterplayError(f"{self.spec.id}: bimatrix needs 2 players, has {self.num_players}")
        return self.payoffs[0].copy(), self.payoffs[1].copy()

    def joint_actions(self) -> list[tuple[int, ...]]:
        return [tuple(int(x) for x in idx) for idx in np.ndindex(*self.num_actions)]

    def action_label(self, joint_action: Sequence[int]) -> str:
        return ",".join(self.spec.actions[i][a] for i, a in enumerate(joint_action))

    # -- the pure functional core (one-shot), wrapped by the PettingZoo shell ---------
    def reset(self, key: object) -> tuple[np.ndarray, int]:
        """Observation (0 for everyone: nothing has happened yet) and state (turn 0)."""
        return np.zeros(self.num_players, dtype=np.int64), 0

    def step(self, key: object, state: int, actions: Sequence[int]):
        """(obs, state, rewards, terminated, truncated): one simultaneous move ends the game."""
        acts = tuple(int(a) for a in actions)
        for i, a in enumerate(acts):
            if not 0 <= a < self.num_actions[i]:
                raise InterplayError(f"{self.spec.id}: action {a} of player {self.spec.players[i]!r} is out of range "
                                     f"0..{self.num_actions[i] - 1}.")
        return np.zeros(self.num_players, dtype=np.int64), state + 1, self.payoff(acts), True, False

    def observation_space(self, player: int):
        from gymnasium.spaces import Discrete

        return Discrete(1)

    def action_space(self, player: int):
        from gymnasium.spaces import Discrete

        return Discrete(self.num_actions[player])


def normal_form(
    payoffs: object,
    *,
    id: str = "custom-v1",
    name: str | None = None,
    players: Sequence[str] | None = None,
    actions: Sequence[Sequence[str]] | None = None,
    description: str = "",
    utility: UtilityKind | str | None = None,
    layout: str = "auto",
) -> NormalFormGame:
    """Validate a payoff table and build a :class:`NormalFormGame`.

    ``payoffs`` is either the full tensor of shape (n, a_1, ..., a_n), or for
    two players a table of shape (a_1, a_2, 2) listing (row, column) payoff pairs,
    the way payoff matrices are usually written. ``layout`` says which: "players-first",
    "pairs", or "auto" (pairs only when unambiguous: a (2, 2, 2) table is players-first).
    """
    if layout not in ("auto", "players-first", "pairs"):
        raise InterplayError(f"{id}: layout must be 'auto', 'players-first' or 'pairs', got {layout!r}.")
    try:
        arr = np.asarray(payoffs, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InterplayError(
            f"{id}: payoffs must be a rectangular table of numbers ({exc})."
        ) from None
    if arr.ndim < 2:
        raise InterplayError(
            f"{id}: payoffs must have shape (players, actions_1, ..., actions_n) or "
            f"(actions_1, actions_2, 2); got shape {arr.shape}."
        )
    if layout == "pairs":
        if arr.ndim != 3 or arr.shape[-1] != 2:
            raise InterplayError(f"{id}: a 'pairs' table must have shape (actions_1, actions_2, 2), got {arr.shape}.")
        arr = np.moveaxis(arr, -1, 0)
    elif layout == "auto" and arr.ndim == 3 and arr.shape[-1] == 2 and arr.shape[0] != 2:
        arr = np.moveaxis(arr, -1, 0)
    n = arr.shape[0]
    if arr.ndim != n + 1:
        raise InterplayError(
            f"{id}: payoff tensor of shape {arr.shape} has {n} player slices but "
            f"{arr.ndim - 1} action axes; expected shape (n, a_1, ..., a_n) with n = {arr.ndim - 1}."
        )
    if not np.all(np.isfinite(arr)):
        raise InterplayError(f"{id}: payoffs contain NaN or infinite values.")
    if any(k < 1 for k in arr.shape[1:]):
        raise InterplayError(f"{id}: every player needs at least one action; shape {arr.shape}.")
    table_size(id, n, arr.shape[1:])
    if np.abs(arr).max() > MAX_PAYOFF:
        raise InterplayError(f"{id}: payoffs must be within +-{MAX_PAYOFF:g} (largest given: "
                             f"{np.abs(arr).max():g}); rescale them.")
    players = tuple(players) if players is not None else tuple(f"player_{i}" for i in range(n))
    if len(players) != n:
        raise InterplayError(f"{id}: {len(players)} player names given for {n} players.")
    if actions is None:
        actions = [[f"a{k}" for k in range(arr.shape[i + 1])] for i in range(n)]
    actions = tuple(tuple(str(x) for x in a) for a in actions)
    if len(actions) != n:
        raise InterplayError(f"{id}: action names given for {len(actions)} players, game has {n}.")
    for i, a in enumerate(actions):
        if len(a) != arr.shape[i + 1]:
            raise InterplayError(
                f"{id}: player {players[i]!r} has {arr.shape[i + 1]} actions in the payoff "
                f"table but {len(a)} action names {list(a)}."
            )
    kind = UtilityKind(utility) if utility is not None else infer_utility(arr)
    arr = arr.copy()
    arr.setflags(write=False)
    spec = GameSpec(
        id=id,
        name=name or id,
        players=players,
        actions=actions,
        utility=kind,
        dynamics=Dynamics.SIMULTANEOUS,
        description=description,
    )
    return NormalFormGame(spec=spec, payoffs=arr)
