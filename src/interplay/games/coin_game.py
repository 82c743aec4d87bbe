"""The coin game, a sequential social dilemma on a grid, as a pure JAX step.

Two variants, registered as separate ids because their results are not comparable:

* ``coin-game-v1``, the original (Lerer & Peysakhovich 2017, "Maintaining cooperation in
  complex social dilemmas using deep RL", as used by Foerster et al. 2018 for LOLA):
  an n x n grid (3 x 3 by default) with wrap-around, a red and a blue agent, 4 moves, and
  one coin at a time whose colour is one agent's. Picking up any coin gives +1; if it is
  the other agent's coin, its owner gets -2. After a pickup the coin respawns on a cell
  with no agent, and its colour alternates (red, blue, red, ...).
* ``coin-game-2coin-v1``, the variant of later work (M-FOS, Pax, JaxMARL): a red and a blue
  coin on the board at once, a fifth "stay" action; each picked coin respawns on a
  uniformly random cell (possibly under an agent); the same payoffs (+1 for any coin,
  -2 to the owner when the other picks its coin).

Simultaneous arrival: when both agents step onto a coin in the same step, both pick it
(both get +1 and the owner gets -2 for the other's pickup), as in Pax/JaxMARL. LOLA's code
instead lets the red agent take it; ``tie="red"`` selects that rule.

Observations are each agent's own view: 4 channels of the grid, ``[me, other agent, my
coin, other's coin]``, flattened to ``4 n^2`` floats, so one policy network can play
either seat. The functional protocol is the project's: ``reset(key) -> (obs, state)``,
``step(key, state, actions) -> (obs, state, rewards, terminated, truncated)``; batch with
``jax.vmap`` (or :meth:`CoinGame.reset_batch` / :meth:`CoinGame.step_batch`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from interplay.errors import InterplayError
from interplay.games.checks import MAX_HORIZON, integer
from interplay.games.entry import game_entry
from interplay.games.spec import Dynamics, GameSpec, UtilityKind

#: (row, col) deltas: right, left, down, up, stay.
MOVES = jnp.array([[0, 1], [0, -1], [1, 0], [-1, 0], [0, 0]], dtype=jnp.int32)
ACTION_NAMES = ("right", "left", "down", "up", "stay")


class CoinState(NamedTuple):
    """Play state of one coin game.

    pos: (2, 2) agents' (row, col), red first. coins: (2, 2) coin cells; in the original
    variant only ``coins[0]`` is on the board and ``colour`` says whose coin it is; in the
    two-coin variant ``coins[0]`` is red's coin and ``coins[1]`` blue's.
    colour: 0 (red) or 1 (blue). t: steps taken.
    picks: (2, 2) cumulative counts, ``picks[agent, owner]`` = coins of ``owner`` picked by ``agent``.
    """

    pos: jax.Array
    coins: jax.Array
    colour: jax.Array
    t: jax.Array
    picks: jax.Array


def _cell(p: jax.Array, n: int) -> jax.Array:
    return p[..., 0] * n + p[..., 1]


def _random_cell(key: jax.Array, n: int, avoid: jax.Array | None = None) -> jax.Array:
    """A uniformly random cell (row, col), never one of the cells in ``avoid`` (shape (k, 2))."""
    logits = jnp.zeros(n * n)
    if avoid is not None:
        logits = logits.at[_cell(avoid, n)].set(-jnp.inf)
    idx = jax.random.categorical(key, logits)
    return jnp.stack([idx // n, idx % n]).astype(jnp.int32)


@dataclass(frozen=True, eq=False)
class CoinGame:
    """The coin game (see the module docstring). Parameters are data; play state is apart.

    Attributes:
        spec: public spec.
        grid_size: n, the side of the n x n grid (>= 2).
        horizon: steps per episode (then ``truncated``).
        two_coins: False for the original variant, True for the two-coin one.
        tie: "both" (both agents pick a coin reached together) or "red" (LOLA's code).
    """

    spec: GameSpec
    grid_size: int = 3
    horizon: int = 150
    two_coins: bool = False
    tie: str = "both"

    @property
    def num_actions(self) -> int:
        return 5 if self.two_coins else 4

    @property
    def obs_size(self) -> int:
        return 4 * self.grid_size**2

    # -- functional core ------------------------------------------------------------------
    def reset(self, key: jax.Array) -> tuple[jax.Array, CoinState]:
        n = self.grid_size
        k1, k2, k3, k4, k5 = jax.random.split(key, 5)
        red = _random_cell(k1, n)
        blue = _random_cell(k2, n, red[None])
        pos = jnp.stack([red, blue])
        if self.two_coins:
            coins = jnp.stack([_random_cell(k3, n), _random_cell(k4, n)])
        else:
            coin = _random_cell(k3, n, pos)
            coins = jnp.stack([coin, coin])
        colour = jax.random.bernoulli(k5).astype(jnp.int32)  # whose coin comes first: a fair draw
        state = CoinState(pos, coins, colour, jnp.int32(0), jnp.zeros((2, 2), jnp.int32))
        return self.observe(state), state

    def observe(self, state: CoinState) -> jax.Array:
        """(2, 4 n^2) own-view observations: channels [me, other, my coin, other's coin]."""
        return _observe_static(state, self.grid_size, self.two_coins)

    def step(self, key: jax.Array, state: CoinState, actions: jax.Array):
        """Pure step: returns (obs, state, rewards (2,), terminated, truncated)."""
        return _coin_step(key, state, jnp.asarray(actions, jnp.int32), self.grid_size, self.horizon,
                          self.two_coins, self.tie == "red")

    def observation_space(self, player: int):
        from gymnasium.spaces import Box

        return Box(0.0, 1.0, (self.obs_size,), np.float32)

    def action_space(self, player: int):
        from gymnasium.spaces import Discrete

        return Discrete(self.num_actions)

    # -- batched helpers ----------------------------------------------------------------
    def reset_batch(self, key: jax.Array, num_envs: int) -> tuple[jax.Array, CoinState]:
        return _reset_batch(self, key, num_envs)

    def step_batch(self, key: jax.Array, state: CoinState, actions: jax.Array):
        """Step ``num_envs`` games at once; actions (B, 2)."""
        keys = jax.random.split(key, actions.shape[0])
        return jax.vmap(self.step)(keys, state, actions)


@partial(jax.jit, static_argnums=(0, 2))
def _reset_batch(game: CoinGame, key: jax.Array, num_envs: int):
    return jax.vmap(game.reset)(jax.random.split(key, num_envs))


@partial(jax.jit, static_argnums=(3, 4, 5, 6))
def _coin_step(key, state: CoinState, actions, n, horizon, two_coins, red_priority):
    pos = (state.pos + MOVES[actions]) % n
    if two_coins:
        # at[agent, owner]: agent stands on owner's coin
        on = jnp.all(pos[:, None, :] == state.coins[None, :, :], axis=-1)
    else:
        here = jnp.all(pos == state.coins[0][None], axis=-1)  # (2,)
        on = here[:, None] & (jnp.arange(2)[None, :] == state.colour)
    if red_priority:
        taken = on[0]  # coins red took
        on = on.at[1].set(on[1] & ~taken)
    got = on.astype(jnp.float32)
    # +1 to the picker for any coin; -2 to an owner whose coin the other agent picked
    rewards = got.sum(axis=1) - 2.0 * jnp.stack([got[1, 0], got[0, 1]])
    picked = jnp.any(on, axis=0)  # per owner: was this coin picked
    k0, k1 = jax.random.split(key)
    if two_coins:
        fresh = jnp.stack([_random_cell(k0, n), _random_cell(k1, n)])
        coins = jnp.where(picked[:, None], fresh, state.coins)
        colour = state.colour
    else:
        any_pick = jnp.any(picked)
        coin = jnp.where(any_pick, _random_cell(k0, n, pos), state.coins[0])
        coins = jnp.stack([coin, coin])
        colour = jnp.where(any_pick, 1 - state.colour, state.colour)
    t = state.t + 1
    new = CoinState(pos, coins, colour.astype(jnp.int32), t, state.picks + on.astype(jnp.int32))
    game_obs = _observe_static(new, n, two_coins)
    return game_obs, new, rewards, jnp.bool_(False), t >= horizon


def _observe_static(state: CoinState, n: int, two_coins: bool) -> jax.Array:
    agents = jax.nn.one_hot(_cell(state.pos, n), n * n)
    if two_coins:
        coin_of = jax.nn.one_hot(_cell(state.coins, n), n * n)
    else:
        one = jax.nn.one_hot(_cell(state.coins[0], n), n * n)
        coin_of = jnp.where((state.colour == jnp.arange(2))[:, None], one[None], 0.0)
    red = jnp.concatenate([agents[0], agents[1], coin_of[0], coin_of[1]])
    blue = jnp.concatenate([agents[1], agents[0], coin_of[1], coin_of[0]])
    return jnp.stack([red, blue]).astype(jnp.float32)


def coin_metrics(picks: np.ndarray, returns: np.ndarray | None = None) -> dict[str, object]:
    """The metrics used across papers, from ``picks[..., agent, owner]`` counts.

    own_coin_rate[i]: the fraction of coins agent i picked that were its own (about 0.5 for
    selfish play, near 1 for cooperative play); coins_picked[i]; total coins picked; and the
    return per agent if ``returns`` is given.
    """
    p = np.asarray(picks, dtype=float).reshape(-1, 2, 2).sum(axis=0)
    per_agent = p.sum(axis=1)
    own = np.array([p[0, 0], p[1, 1]])
    out: dict[str, object] = {
        "own_coin_rate": np.where(per_agent > 0, own / np.maximum(per_agent, 1), np.nan).tolist(),
        "coins_picked": per_agent.tolist(),
        "total_coins": float(per_agent.sum()),
    }
    if returns is not None:
        out["return_per_agent"] = np.asarray(returns, dtype=float).reshape(-1, 2).mean(axis=0).tolist()
    return out


def coin_game(grid_size: int = 3, horizon: int = 150, two_coins: bool = False, tie: str = "both") -> CoinGame:
    """Build a coin game, validating its parameters."""
    gid = "coin-game-2coin-v1" if two_coins else "coin-game-v1"
    grid_size = integer(gid, "grid_size", grid_size, 2, 64)
    horizon = integer(gid, "horizon", horizon, 1, MAX_HORIZON)
    if tie not in ("both", "red"):
        raise InterplayError(f"{gid}: tie must be 'both' or 'red', got {tie!r}.")
    moves = ACTION_NAMES if two_coins else ACTION_NAMES[:4]
    variant = ("a red and a blue coin on the board at once; a picked coin respawns anywhere" if two_coins else
               "one coin at a time, its colour alternating after each pickup, never respawning under an agent")
    spec = GameSpec(
        id=gid,
        name="Coin game (two coins)" if two_coins else "Coin game",
        players=("red", "blue"),
        actions=(moves, moves),
        utility=UtilityKind.GENERAL_SUM,
        dynamics=Dynamics.SIMULTANEOUS,
        description=(f"Two agents move on a {grid_size}x{grid_size} grid with wrap-around ({variant}). "
                     "Picking any coin gives +1; the coin's owner gets -2 if the other agent picked it."),
        repeated=False,
        horizon=int(horizon),
    )
    return CoinGame(spec, int(grid_size), int(horizon), bool(two_coins), tie)


def _original(grid_size: int = 3, horizon: int = 150, tie: str = "both") -> CoinGame:
    """Coin game (Lerer & Peysakhovich 2017; LOLA's version): one coin, alternating colour."""
    return coin_game(grid_size, horizon, False, tie)


def _two_coin(grid_size: int = 3, horizon: int = 150, tie: str = "both") -> CoinGame:
    """Two-coin coin game (M-FOS, Pax, JaxMARL): red and blue coins at once, a 'stay' move."""
    return coin_game(grid_size, horizon, True, tie)


#: Registry entries (listed by :mod:`interplay.games.builtin`).
ENTRIES = (game_entry("coin-game-v1", _original, kind="grid"),
           game_entry("coin-game-2coin-v1", _two_coin, kind="grid"))
