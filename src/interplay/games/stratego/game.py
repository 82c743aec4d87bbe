"""The Stratego game object: parameters as data, the pure core's reset/step, batched play.

``Stratego`` holds the variant, the turn limit, the two-square limit and each side's set-up
source; play state is a :class:`~interplay.games.stratego.core.StrategoState` apart from it.

* ``reset(key) -> (obs, state)``, ``step(key, state, action) -> (obs, state, rewards,
  terminated, truncated)``: the project's functional protocol for a sequential game (the
  action is the move of ``state.player``; obs has one row per player). Unchecked and pure,
  so they can be ``jit``-ed and ``vmap``-ed; an illegal action forfeits.
* ``checked_step`` / ``step_batch``: the same, but an illegal move raises InterplayError.
* ``play(key, num_games, policies)``: whole games, batched with ``vmap`` in one
  ``lax.while_loop``; ``play_single(key, policies)``: one game, the same per-game functions
  without ``vmap`` (the same key gives the same game in both).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from interplay.errors import InterplayError
from interplay.games import checks
from interplay.games.spec import GameSpec
from interplay.games.stratego import core
from interplay.games.stratego.core import NUM_ACTIONS, OBS_SIZE, StrategoState
from interplay.games.stratego.setups import ARMIES, parse_setup, place, random_setup, resolve_setup

#: a policy: (key, observation (OBS_SIZE,), legal mask (1800,)) -> action; pure, one game.
Policy = Callable[[jax.Array, jax.Array, jax.Array], jax.Array]


class GameRecord(NamedTuple):
    """Results of played games (a leading batch axis for ``play``).

    winner: 0 red, 1 blue, -1 draw. plies: moves made. truncated: ended by the turn limit.
    actions: (max_plies,) the moves in order, -1 after the end (only if ``record=True``).
    final: the final state.
    """

    winner: jax.Array
    plies: jax.Array
    truncated: jax.Array
    final: StrategoState
    actions: jax.Array | None = None


@dataclass(frozen=True, eq=False)
class Stratego:
    """Stratego (see :mod:`interplay.games.stratego.core` for the rules and encodings).

    Attributes:
        spec: public spec.
        variant: "standard" (40 pieces a side) or "barrage" (8).
        max_plies: turn limit, in moves of either player; then a draw.
        two_square_limit: most consecutive moves between the same two squares.
        pools: per player, a (K, 4, 10) array of set-ups to draw from at each reset, or
            None for a random legal set-up.
    """

    spec: GameSpec
    variant: str = "standard"
    max_plies: int = 2000
    two_square_limit: int = 3
    pools: tuple[Any, Any] = field(default=(None, None))

    @property
    def num_actions(self) -> int:
        return NUM_ACTIONS

    @property
    def obs_size(self) -> int:
        return OBS_SIZE

    @property
    def initial_counts(self) -> jax.Array:
        return jnp.asarray(ARMIES[self.variant], jnp.int32)

    # -- functional core ------------------------------------------------------------------
    def setups(self, key: jax.Array) -> tuple[jax.Array, jax.Array]:
        """The two (4, 10) set-ups for a new game drawn with ``key``."""
        out = []
        for p, k in zip((0, 1), jax.random.split(key)):
            pool = self.pools[p]
            if pool is None:
                out.append(random_setup(k, self.variant))
            else:
                pool = jnp.asarray(pool, jnp.int32)
                out.append(pool[jax.random.randint(k, (), 0, pool.shape[0])])
        return out[0], out[1]

    def reset(self, key: jax.Array) -> tuple[jax.Array, StrategoState]:
        red, blue = self.setups(key)
        return self.start(red, blue)

    def start(self, red: Any, blue: Any) -> tuple[jax.Array, StrategoState]:
        """(obs, state) of a game from two given (4, 10) set-ups (arrays of piece codes)."""
        owner, rank = place(red, blue)
        state = core.initial_state(owner, rank, self.two_square_limit)
        return self.observe_all(state), state

    def position(self, pieces: Mapping[str, str], to_move: str = "red",
                 revealed: tuple[str, ...] = ()) -> StrategoState:
        """A hand-built position: ``{"b4": "red scout", "b7": "blue flag", ...}``.

        ``revealed`` lists squares whose pieces the opponent already knows. Pieces are not
        counted against an army (any subset is allowed), so rules can be tested in isolation.
        """
        from interplay.games.stratego.text import square_index

        owner = np.full(core.SQUARES, core.EMPTY, np.int32)
        rank = np.full(core.SQUARES, core.EMPTY, np.int32)
        for sq, what in pieces.items():
            s = square_index(sq)
            parts = what.split()
            if len(parts) != 2 or parts[0] not in core.PLAYERS or parts[1] not in core.PIECE_NAMES:
                raise InterplayError(f"position: {sq}: {what!r} should be '<red|blue> <piece>', the piece one of "
                                     f"{', '.join(core.PIECE_NAMES)}.")
            if core.LAKE_NP[s]:
                raise InterplayError(f"position: {sq} is a lake; no piece can stand there.")
            owner[s], rank[s] = core.PLAYERS.index(parts[0]), core.PIECE_NAMES.index(parts[1])
        if to_move not in core.PLAYERS:
            raise InterplayError(f"position: to_move must be 'red' or 'blue', got {to_move!r}.")
        state = core.initial_state(owner, rank, self.two_square_limit, core.PLAYERS.index(to_move))
        rev = np.zeros(core.SQUARES, bool)
        for sq in revealed:
            rev[square_index(sq)] = True
        return state._replace(revealed=jnp.asarray(rev))

    def observe(self, state: StrategoState, player: int | jax.Array) -> jax.Array:
        return core.observe(state, player, self.initial_counts, self.max_plies)

    def observe_all(self, state: StrategoState) -> jax.Array:
        return jnp.stack([self.observe(state, 0), self.observe(state, 1)])

    def transition(self, state: StrategoState, action: Any):
        """(state, rewards, terminated, truncated) without observations (the fast path)."""
        return core.transition(state, action, self.two_square_limit, self.max_plies)

    def step(self, key: jax.Array, state: StrategoState, action: Any):
        """Pure step: the player to move plays ``action``; illegal actions forfeit (unchecked)."""
        new, rewards, terminated, truncated = self.transition(state, action)
        return self.observe_all(new), new, rewards, terminated, truncated

    def observation_space(self, player: int):
        from gymnasium.spaces import Box, Dict

        return Dict({"observation": Box(0.0, 1.0, (OBS_SIZE,), np.float32),
                     "action_mask": Box(0, 1, (NUM_ACTIONS,), np.int8)})

    def action_space(self, player: int):
        from gymnasium.spaces import Discrete

        return Discrete(NUM_ACTIONS)

    # -- checked shells ---------------------------------------------------------------------
    def check_action(self, state: StrategoState, action: Any, where: str = "") -> int:
        """The action as an int if it is legal for the player to move, else an InterplayError."""
        from interplay.games.stratego.text import describe_illegal

        if bool(state.done):
            raise InterplayError(f"{self.spec.id}{where}: the game is over; start a new one.")
        if isinstance(action, np.ndarray | jax.Array) and np.ndim(action) == 0:
            action = action.item()
        if isinstance(action, bool | np.bool_) or not isinstance(action, int | np.integer):
            raise InterplayError(f"{self.spec.id}{where}: action {action!r} is not an integer move index "
                                 f"(allowed actions: the legal moves among 0..{NUM_ACTIONS - 1}, see the mask).")
        a = int(action)
        if not 0 <= a < NUM_ACTIONS or not bool(state.mask[a]):
            raise InterplayError(f"{self.spec.id}{where}: {describe_illegal(state, a)}")
        return a

    def checked_step(self, key: jax.Array, state: StrategoState, action: Any):
        """``step`` after checking the move is legal (InterplayError naming the move if not)."""
        a = self.check_action(state, action)
        return _jit_step(self, key, state, jnp.int32(a))

    def reset_batch(self, key: jax.Array, num_games: int) -> tuple[jax.Array, StrategoState]:
        return _reset_batch(self, key, num_games)

    def step_batch(self, key: jax.Array, state: StrategoState, actions: Any):
        """Step many games at once (actions (B,)); an illegal move in any unfinished game
        raises InterplayError naming the game index and the move."""
        actions = jnp.asarray(actions, jnp.int32)
        idx = jnp.clip(actions, 0, NUM_ACTIONS - 1)
        ok = np.asarray((jnp.take_along_axis(state.mask, idx[:, None], 1)[:, 0]
                         & (actions >= 0) & (actions < NUM_ACTIONS)) | state.done)
        if not ok.all():
            g = int(np.flatnonzero(~ok)[0])
            one = jax.tree.map(lambda x: x[g], state)
            self.check_action(one, int(actions[g]), where=f" (game {g} of the batch)")
        keys = jax.random.split(key, actions.shape[0])
        return _step_batch(self, keys, state, actions)

    # -- whole games ------------------------------------------------------------------------
    def play(self, key: jax.Array, num_games: int, policies: Any = None, record: bool = False) -> GameRecord:
        """``num_games`` games, batched: game ``i`` uses key ``jax.random.split(key, n)[i]``.

        policies: a pair (red's, blue's) of :data:`Policy` functions; default uniform random.
        """
        pol = _policies(policies)
        keys = jax.random.split(key, num_games)
        return _play_batch(self, pol, record, keys)

    def play_single(self, key: jax.Array, policies: Any = None, record: bool = False) -> GameRecord:
        """One game with ``key`` (the per-game function ``play`` maps over, without ``vmap``)."""
        return _play_one_jit(self, _policies(policies), record, key)


def _policies(policies: Policy | Mapping[str, Policy] | Sequence[Policy] | None) -> tuple[Policy, Policy]:
    from interplay.games.stratego.bots import random_policy

    if policies is None:
        return (random_policy, random_policy)
    if callable(policies):
        return (policies, policies)
    if isinstance(policies, Mapping):
        policies = (policies["red"], policies["blue"])
    red, blue = policies
    return (red, blue)


def play_one(game: Stratego, policies: tuple[Policy, Policy], record: bool, key: jax.Array) -> GameRecord:
    """One whole game as a pure function of ``key`` (vmap it for many)."""
    k_reset, k_play = jax.random.split(key)
    _, state = game.reset(k_reset)
    actions = jnp.full(game.max_plies if record else 1, -1, jnp.int32)
    truncated = jnp.bool_(False)
    same = policies[0] is policies[1]

    def act(k, s):
        obs = game.observe(s, s.player)
        if same:
            return policies[0](k, obs, s.mask)
        a0 = policies[0](k, obs, s.mask)
        a1 = policies[1](k, obs, s.mask)
        return jnp.where(s.player == 0, a0, a1)

    def cond(carry):
        return ~carry[1].done

    def body(carry):
        k, s, acts, trunc = carry
        k, sub = jax.random.split(k)
        a = jnp.asarray(act(sub, s), jnp.int32)
        if record:
            acts = acts.at[s.ply].set(a)
        s, _, _, tr = game.transition(s, a)
        return k, s, acts, trunc | tr

    _, state, actions, truncated = jax.lax.while_loop(cond, body, (k_play, state, actions, truncated))
    return GameRecord(state.winner, state.ply, truncated, state, actions if record else None)


@partial(jax.jit, static_argnums=(0, 1, 2))
def _play_one_jit(game, policies, record, key):
    return play_one(game, policies, record, key)


@partial(jax.jit, static_argnums=(0, 1, 2))
def _play_batch(game, policies, record, keys):
    return jax.vmap(lambda k: play_one(game, policies, record, k))(keys)


@partial(jax.jit, static_argnums=(0,))
def _jit_step(game, key, state, action):
    return game.step(key, state, action)


@partial(jax.jit, static_argnums=(0, 2))
def _reset_batch(game, key, num_games):
    return jax.vmap(game.reset)(jax.random.split(key, num_games))


@partial(jax.jit, static_argnums=(0,))
def _step_batch(game, keys, state, actions):
    return jax.vmap(game.step)(keys, state, actions)


def stratego(variant: str = "standard", max_plies: int | None = None, two_square_limit: int = 3,
             red_setup: Any = "random", blue_setup: Any = "random") -> Stratego:
    """Build a Stratego game, validating its parameters and set-ups."""
    from interplay.games.spec import Dynamics, UtilityKind

    gid = "stratego-v1" if variant == "standard" else "stratego-barrage-v1"
    if variant not in ARMIES:
        raise InterplayError(f"stratego: variant must be 'standard' or 'barrage', got {variant!r}.")
    max_plies = (2000 if variant == "standard" else 400) if max_plies is None else max_plies
    max_plies = checks.integer(gid, "max_plies", max_plies, 1, checks.MAX_HORIZON)
    two_square_limit = checks.integer(gid, "two_square_limit", two_square_limit, 1, 1000)
    pools = (resolve_setup(red_setup, variant, f"{gid} red_setup"),
             resolve_setup(blue_setup, variant, f"{gid} blue_setup"))
    n = sum(ARMIES[variant])
    spec = GameSpec(
        id=gid,
        name="Stratego" if variant == "standard" else "Stratego (Barrage)",
        players=core.PLAYERS,
        actions=(core.ACTION_NAMES, core.ACTION_NAMES),
        utility=UtilityKind.ZERO_SUM,
        dynamics=Dynamics.SEQUENTIAL,
        description=(f"Stratego on a 10x10 board with two 2x2 lakes, {n} hidden pieces a side. Move one piece a "
                     "turn; attacking reveals both pieces and the weaker is removed. Capture the enemy flag to win; "
                     f"a player with no legal move loses; {max_plies} moves in all is a draw."),
        repeated=False,
        horizon=max_plies,
    )
    return Stratego(spec, variant, max_plies, int(two_square_limit), pools)


def setup_from(spec: Any, variant: str = "standard") -> np.ndarray:
    """A validated (4, 10) set-up from text, rows or an array (see setups.parse_setup)."""
    return parse_setup(spec, variant)
