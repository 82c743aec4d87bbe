"""Safety specifications over any registered game.

A :class:`SafetySpec` says, for every state of a game and every joint action, whether
the joint action is *forbidden* (a hard constraint that shields enforce), which players
a violation is charged to, and what it *costs* each player (a soft constraint, for
budgets and the Lagrangian option of :mod:`interplay.safety.costs`).

States are the game's own, seen globally (from the first player's side):

* a normal-form game has one state, ``"one-shot"``;
* an iterated 2x2 game has five, ``"start", "CC", "CD", "DC", "DD"`` (the last joint
  action, first player's move first, as in :mod:`interplay.games.iterated`); the
  second player observes CD as DC, and :func:`global_state` undoes that;
* any other game with a discrete observation space of size ``S`` has states ``0..S-1``
  (the first player's observation).

Everything is tabulated: ``forbidden`` has shape ``(S, A_1, ..., A_n)``, ``blame`` and
``cost`` ``(S, A_1, ..., A_n, n)``, so checks are array look-ups and expected costs
of data policies are exact (see :func:`interplay.safety.costs.exact_costs`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from interplay.errors import InterplayError
from interplay.games.protocol import Game, SteppedGame

#: A cost function of (state index, joint action) -> a number (charged to every player)
#: or one number per player.
CostFn = Callable[[int, tuple[int, ...]], Any]

ITERATED_STATES = ("start", "CC", "CD", "DC", "DD")
#: The second player's own view of a memory-one state (CD <-> DC); an involution.
_SWAP5 = np.array([0, 1, 3, 2, 4])


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ActionRule(_Rule):
    """One player may not play these actions (in the listed states, or in all)."""

    player: str | int = Field(description="player name or index")
    actions: list[str | int] = Field(min_length=1, description="action names or indices")
    states: list[str | int] | None = Field(default=None, description="state names or indices; None = every state")


class JointRule(_Rule):
    """This joint action may not be played; ``"*"`` in a slot matches any action.

    ``blame`` names the players a violation is charged to (default: every player whose
    slot is not ``"*"``).
    """

    joint: list[str | int] = Field(min_length=1, description="one action per player, or '*'")
    states: list[str | int] | None = Field(default=None, description="state names or indices; None = every state")
    blame: list[str | int] | None = Field(default=None, description="players charged with a violation")


@dataclass(frozen=True, eq=False)
class SafetySpec:
    """Forbidden joint actions, blame and costs per state of one game.

    Attributes:
        game_id: the registry id of the game.
        players: player names, in order.
        actions: per player, the action names.
        states: state names, in index order.
        forbidden: bool ``(S, A_1, ..., A_n)``: True where a joint action is unsafe.
        blame: bool ``(S, A_1, ..., A_n, n)``: which players a violation is charged to.
        cost: float ``(S, A_1, ..., A_n, n)``: each player's constraint cost. Without a
            cost function this is ``blame`` as 0/1 (one unit per violation charged).
        description: the rules in words (for reports and LLM prompts).
    """

    game_id: str
    players: tuple[str, ...]
    actions: tuple[tuple[str, ...], ...]
    states: tuple[str, ...]
    forbidden: np.ndarray
    blame: np.ndarray
    cost: np.ndarray
    description: str = ""

    @property
    def num_players(self) -> int:
        return len(self.players)

    @property
    def num_actions(self) -> tuple[int, ...]:
        return tuple(len(a) for a in self.actions)

    @property
    def num_states(self) -> int:
        return len(self.states)

    def is_forbidden(self, state: int, joint: Sequence[int]) -> bool:
        return bool(self.forbidden[(int(state), *map(int, joint))])

    def costs_of(self, state: int, joint: Sequence[int]) -> np.ndarray:
        """Each player's cost of a joint action in a state."""
        return self.cost[(int(state), *map(int, joint))].copy()

    def blamed(self, state: int, joint: Sequence[int]) -> np.ndarray:
        """Bool per player: charged with a violation if this joint action is played here."""
        idx = (int(state), *map(int, joint))
        return self.blame[idx] & self.forbidden[idx]

    def safe_actions(self, state: int, player: int) -> list[int]:
        """Actions of ``player`` that, whatever the others do, never give a violation charged to it."""
        others = tuple(1 + k for k in range(self.num_players) if k != player)
        mine = self.forbidden[int(state)] & self.blame[int(state), ..., player]
        ok = ~mine.any(axis=tuple(o - 1 for o in others)) if others else ~mine
        return [int(a) for a in np.flatnonzero(ok)]

    def label(self, joint: Sequence[int]) -> str:
        return ",".join(self.actions[i][int(a)] for i, a in enumerate(joint))

    def to_dict(self) -> dict[str, Any]:
        """The forbidden joint actions per state, by name (for results.json)."""
        out: dict[str, list[str]] = {}
        for s, name in enumerate(self.states):
            bad = [self.label(j) for j in itertools.product(*map(range, self.num_actions)) if self.forbidden[(s, *j)]]
            if bad:
                out[name] = bad
        return {"game": self.game_id, "forbidden": out, "has_costs": bool(np.any(self.cost != self.blame)),
                "description": self.description}


def game_states(game: Game) -> tuple[str, ...]:
    """State names of a game, as used by safety specs (see the module docstring)."""
    from interplay.games.iterated import IteratedGame
    from interplay.games.normal_form import NormalFormGame

    if isinstance(game, NormalFormGame):
        return ("one-shot",)
    if isinstance(game, IteratedGame):
        return ITERATED_STATES
    if not isinstance(game, SteppedGame):
        raise InterplayError(f"{game.spec.id}: safety specs need a game with observation spaces.")
    try:
        space = game.observation_space(0)
    except Exception as exc:  # noqa: BLE001 - any game without spaces gets the same message
        raise InterplayError(f"{game.spec.id}: safety specs need a game with observation spaces ({exc}).") from None
    n = getattr(space, "n", None)
    if n is None:
        raise InterplayError(f"{game.spec.id}: safety specs need a discrete observation space, got {space}.")
    return tuple(str(k) for k in range(int(n)))


def global_state(game: Game, player: int, observation: Any) -> int:
    """The state index a safety spec uses, from one player's observation."""
    from interplay.games.iterated import IteratedGame

    obs = int(np.asarray(observation).reshape(-1)[0]) if np.asarray(observation).size else 0
    if isinstance(game, IteratedGame):
        return int(_SWAP5[obs]) if player == 1 else obs
    return obs if len(game_states(game)) > 1 else 0


def _index(names: Sequence[str], item: str | int, what: str, where: str) -> int:
    if isinstance(item, bool):
        raise InterplayError(f"{where}: {what} {item!r} must be a name or an index.")
    if isinstance(item, int):
        if not 0 <= item < len(names):
            raise InterplayError(f"{where}: {what} index {item} is out of range 0..{len(names) - 1}.")
        return item
    if item in names:
        return names.index(item)
    if str(item).isdigit() and int(item) < len(names):
        return int(item)
    raise InterplayError(f"{where}: unknown {what} {item!r}; known: {list(names)}.")


def safety_spec(
    game: Game,
    *,
    forbid_actions: Sequence[ActionRule | Mapping[str, Any]] = (),
    forbid_joint: Sequence[JointRule | Mapping[str, Any]] = (),
    cost: CostFn | None = None,
    description: str = "",
) -> SafetySpec:
    """Build a :class:`SafetySpec` for a built game (``interplay.make(...)``).

    ``forbid_actions``: rules ``{player, actions, states}``; ``forbid_joint``: rules
    ``{joint, states, blame}`` with ``"*"`` for any action; ``cost(state, joint)``: a number
    (charged to every player) or one per player, evaluated once per (state, joint action).
    Names or indices are accepted everywhere; bad ones raise :class:`InterplayError`.
    """
    spec = game.spec
    gid = spec.id
    players = tuple(spec.players)
    actions = tuple(tuple(a) for a in spec.actions)
    states = game_states(game)
    n = len(players)
    shape = (len(states), *(len(a) for a in actions))
    forbidden = np.zeros(shape, dtype=bool)
    blame = np.zeros((*shape, n), dtype=bool)

    def state_idx(rule_states: Sequence[str | int] | None, where: str) -> list[int]:
        if rule_states is None:
            return list(range(len(states)))
        return [_index(states, s, "state", where) for s in rule_states]

    for k, raw in enumerate(forbid_actions):
        rule = raw if isinstance(raw, ActionRule) else _validate(ActionRule, raw, f"{gid}: forbid_actions[{k}]")
        where = f"{gid}: forbid_actions[{k}]"
        p = _index(players, rule.player, "player", where)
        for s in state_idx(rule.states, where):
            for a in rule.actions:
                sl: list[Any] = [s] + [slice(None)] * n
                sl[1 + p] = _index(actions[p], a, f"action of {players[p]!r}", where)
                forbidden[tuple(sl)] = True
                blame[(*sl, p)] = True
    for k, raw in enumerate(forbid_joint):
        rule = raw if isinstance(raw, JointRule) else _validate(JointRule, raw, f"{gid}: forbid_joint[{k}]")
        where = f"{gid}: forbid_joint[{k}]"
        if len(rule.joint) != n:
            raise InterplayError(f"{where}: joint action {rule.joint} needs one entry per player ({n}).")
        slots: list[Any] = [slice(None) if a == "*" else _index(actions[i], a, f"action of {players[i]!r}", where)
                            for i, a in enumerate(rule.joint)]
        charged = ([_index(players, b, "player", where) for b in rule.blame] if rule.blame is not None
                   else [i for i, a in enumerate(rule.joint) if a != "*"] or list(range(n)))
        for s in state_idx(rule.states, where):
            forbidden[(s, *slots)] = True
            for p in charged:
                blame[(s, *slots, p)] = True
    if cost is None:
        costs = (blame & forbidden[..., None]).astype(float)
    else:
        costs = np.zeros((*shape, n))
        for s in range(len(states)):
            for j in itertools.product(*map(range, shape[1:])):
                try:
                    c = np.asarray(cost(s, j), dtype=float)
                except InterplayError:
                    raise
                except Exception as exc:  # noqa: BLE001 - a user function: report where it failed
                    raise InterplayError(f"{gid}: cost function failed at state {states[s]!r}, joint action "
                                         f"{j}: {type(exc).__name__}: {exc}") from None
                if c.shape not in ((), (n,)) or not np.all(np.isfinite(c)):
                    raise InterplayError(f"{gid}: cost function must return a finite number or {n} numbers, "
                                         f"got {c.tolist()} at state {states[s]!r}, joint action {j}.")
                costs[(s, *j)] = c
    for arr in (forbidden, blame, costs):
        arr.setflags(write=False)
    return SafetySpec(gid, players, actions, states, forbidden, blame, costs, description)


def spec_from_table(game: Game, forbidden: Any, *, cost: Any = None, description: str = "") -> SafetySpec:
    """A spec from a boolean table ``(S, A_1, ..., A_n)`` (or ``(A_1, ..., A_n)`` for every state).

    Violations are charged to every player. ``cost``, if given, is a ``(S, A..., n)`` table.
    """
    spec = safety_spec(game, description=description)
    f = np.asarray(forbidden, dtype=bool)
    if f.shape == spec.forbidden.shape[1:]:
        f = np.broadcast_to(f, spec.forbidden.shape)
    if f.shape != spec.forbidden.shape:
        raise InterplayError(f"{spec.game_id}: forbidden table has shape {f.shape}, expected "
                             f"{spec.forbidden.shape} (states, actions per player).")
    f = f.copy()
    blame = np.broadcast_to(f[..., None], spec.blame.shape).copy()
    if cost is None:
        c = blame.astype(float)
    else:
        c = np.asarray(cost, dtype=float)
        if c.shape != spec.cost.shape or not np.all(np.isfinite(c)):
            raise InterplayError(f"{spec.game_id}: cost table must be finite with shape {spec.cost.shape}, "
                                 f"got {c.shape}.")
        c = c.copy()
    for arr in (f, blame, c):
        arr.setflags(write=False)
    return SafetySpec(spec.game_id, spec.players, spec.actions, spec.states, f, blame, c, description)


class SafetyConfig(_Rule):
    """A safety spec in an experiment config (YAML)."""

    forbid_actions: list[ActionRule] = Field(default_factory=list)
    forbid_joint: list[JointRule] = Field(default_factory=list)
    description: str = ""

    def build(self, game: Game) -> SafetySpec:
        return safety_spec(game, forbid_actions=self.forbid_actions, forbid_joint=self.forbid_joint,
                           description=self.description)


def _validate(model: type[BaseModel], raw: Any, where: str) -> Any:
    from pydantic import ValidationError

    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(top level)'}: {e['msg']}" for e in exc.errors())
        raise InterplayError(f"{where}: {problems}.") from None
