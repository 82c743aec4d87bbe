"""Stratego's rules as pure JAX functions over explicit state arrays.

Board: 10 x 10 squares, index ``s = row * 10 + col``; files ``a``..``j`` are columns 0..9 and
ranks ``1``..``10`` rows 0..9 (square ``a1`` is 0, ``j10`` is 99). Red (player 0) sets up on
rows 0-3 and moves first; blue (player 1) on rows 6-9. The lakes are c5 d5 c6 d6 and g5 h5 g6 h6.

Pieces (codes used everywhere; higher strength beats lower):

    0 flag  1 spy  2 scout  3 miner  4 sergeant  5 lieutenant  6 captain  7 major
    8 colonel  9 general  10 marshal  11 bomb

Actions: 1800 = 100 from-squares x 18 targets, the other 9 squares of the from-square's row
(``j < 9``: column ``j`` if ``j < col`` else ``j + 1``) and the other 9 of its column
(``j >= 9``: row ``j - 9`` or ``j - 8`` likewise). A one-square step and a scout's run are
both just (from, to); the legal mask says which are allowed now.

The rules (see docs/stratego.md):

* a movable piece (not flag, not bomb) steps one square orthogonally onto an empty square or
  an enemy piece; a scout goes any distance in a straight line over empty squares; nothing
  enters or crosses a lake;
* an attack reveals both pieces; the weaker is removed, equal ones both; the spy beats the
  marshal only when the spy attacks; a bomb removes any attacker but a miner, which removes
  it; attacking the flag captures it and wins;
* a scout that moves more than one square is revealed as a scout (its move shows it);
* two-square rule: a player may not make more than ``two_square_limit`` consecutive moves
  (to empty squares) back and forth between the same two squares; the next such move is
  not legal. An attack resets the count;
* a player with no legal move on their turn loses (if the player who just moved has no
  movable piece either, the game is a draw);
* after ``max_plies`` moves in all the game ends in a draw (``truncated``).

The pure step ``transition(state, action, limit, max_plies)`` treats an illegal action as a
forfeit by the mover (so a batched program never runs an illegal game silently); the shells
(:class:`interplay.games.stratego.Stratego`'s checked methods, the PettingZoo env, the text
parser) refuse an illegal move with an :class:`~interplay.errors.InterplayError` instead.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

SIZE = 10
SQUARES = SIZE * SIZE
NUM_ACTIONS = SQUARES * 18
FILES = "abcdefghij"

FLAG, SPY, SCOUT, MINER, SERGEANT, LIEUTENANT, CAPTAIN, MAJOR, COLONEL, GENERAL, MARSHAL, BOMB = range(12)
NUM_RANKS = 12
PIECE_NAMES = ("flag", "spy", "scout", "miner", "sergeant", "lieutenant", "captain", "major", "colonel",
               "general", "marshal", "bomb")
#: one-character symbols (setups, text rendering): numbers are strengths, M is the marshal (10).
PIECE_SYMBOLS = ("F", "S", "2", "3", "4", "5", "6", "7", "8", "9", "M", "B")
PLAYERS = ("red", "blue")
EMPTY = -1

_lake = np.zeros(SQUARES, bool)
for _r in (4, 5):
    for _c in (2, 3, 6, 7):
        _lake[_r * SIZE + _c] = True
LAKE_NP = _lake
LAKE = jnp.asarray(_lake)


def square_name(s: int) -> str:
    return f"{FILES[s % SIZE]}{s // SIZE + 1}"


def _action_tables() -> tuple[np.ndarray, ...]:
    frm = np.zeros(NUM_ACTIONS, np.int32)
    to = np.zeros(NUM_ACTIONS, np.int32)
    path = np.full((NUM_ACTIONS, SIZE - 2), SQUARES, np.int32)  # squares strictly between; SQUARES = padding
    for s in range(SQUARES):
        r, c = divmod(s, SIZE)
        for j in range(18):
            if j < 9:
                tr, tc = r, (j if j < c else j + 1)
            else:
                k = j - 9
                tr, tc = (k if k < r else k + 1), c
            a = s * 18 + j
            frm[a], to[a] = s, tr * SIZE + tc
            between = ([r * SIZE + x for x in range(min(c, tc) + 1, max(c, tc))] if tr == r else
                       [y * SIZE + c for y in range(min(r, tr) + 1, max(r, tr))])
            path[a, :len(between)] = between
    dist = np.abs(frm // SIZE - to // SIZE) + np.abs(frm % SIZE - to % SIZE)
    return frm, to, path, dist.astype(np.int32)


ACT_FROM_NP, ACT_TO_NP, ACT_PATH_NP, ACT_DIST_NP = _action_tables()
ACT_FROM, ACT_TO, ACT_PATH, ACT_DIST = (jnp.asarray(x) for x in (ACT_FROM_NP, ACT_TO_NP, ACT_PATH_NP, ACT_DIST_NP))
ACTION_NAMES = tuple(f"{square_name(int(f))}-{square_name(int(t))}" for f, t in zip(ACT_FROM_NP, ACT_TO_NP))
_ACTION_INDEX = {name: i for i, name in enumerate(ACTION_NAMES)}


def action_index(frm: int, to: int) -> int:
    """The action moving from square ``frm`` to square ``to`` (-1 if not on one line)."""
    return _ACTION_INDEX.get(f"{square_name(frm)}-{square_name(to)}", -1)


def _neighbours() -> np.ndarray:
    out = np.full((SQUARES, 4), SQUARES, np.int32)
    for s in range(SQUARES):
        r, c = divmod(s, SIZE)
        for k, (dr, dc) in enumerate(((1, 0), (-1, 0), (0, 1), (0, -1))):
            if 0 <= r + dr < SIZE and 0 <= c + dc < SIZE:
                out[s, k] = (r + dr) * SIZE + c + dc
    return out


NEIGHBOURS = jnp.asarray(_neighbours())


class StrategoState(NamedTuple):
    """Play state of one game (add a leading batch axis to every field for many games).

    owner: (100,) -1 empty, 0 red, 1 blue. rank: (100,) piece code or -1.
    revealed: (100,) the piece on this square is known to the opponent.
    moved: (100,) the piece on this square has moved (so it is neither bomb nor flag).
    player: whose turn (0 red, 1 blue). ply: moves made.
    last_from, last_to: (2,) each player's last move to an empty square (-1 if none / after an attack).
    repeat: (2,) how many consecutive moves each player made between those same two squares.
    done: the game is over. winner: 0, 1, or -1 (draw or not over).
    mask: (1800,) legal moves of ``player`` (all False when done).
    """

    owner: jax.Array
    rank: jax.Array
    revealed: jax.Array
    moved: jax.Array
    player: jax.Array
    ply: jax.Array
    last_from: jax.Array
    last_to: jax.Array
    repeat: jax.Array
    done: jax.Array
    winner: jax.Array
    mask: jax.Array


#: ray directions (row, col steps): up the board, down, right, left.
RAY_DIRS = ((1, 0), (-1, 0), (0, 1), (0, -1))


def _ray_index() -> np.ndarray:
    """(1800,) position of each action in the flat (4 directions, 9 distances, 100 squares) rays."""
    out = np.zeros(NUM_ACTIONS, np.int32)
    for a in range(NUM_ACTIONS):
        f, t = int(ACT_FROM_NP[a]), int(ACT_TO_NP[a])
        dr, dc = t // SIZE - f // SIZE, t % SIZE - f % SIZE
        d = abs(dr) + abs(dc)
        k = RAY_DIRS.index((int(np.sign(dr)), int(np.sign(dc))))
        out[a] = (k * 9 + d - 1) * SQUARES + f
    return out


RAY_INDEX = jnp.asarray(_ray_index())


def _shifted(x: jax.Array) -> jax.Array:
    """(4, 9, 10, 10): ``out[k, d-1, r, c] = x[(r, c) + d * RAY_DIRS[k]]`` (False off the board)."""
    pad = jnp.pad(x.reshape(SIZE, SIZE), SIZE - 1)
    o = SIZE - 1
    return jnp.stack([jnp.stack([pad[o + dr * d:o + dr * d + SIZE, o + dc * d:o + dc * d + SIZE]
                                 for d in range(1, SIZE)]) for dr, dc in RAY_DIRS])


def legal_mask(owner, rank, player, last_from, last_to, repeat, limit: int) -> jax.Array:
    """(1800,) bool: the legal moves of ``player`` (see the module docstring).

    Computed over rays (direction, distance) by shifting the board, then gathered into the
    action layout: a move is legal if the piece can move, the target is on the board, not a
    lake and not its own piece, the squares before it are empty (scouts only go further than
    one), and the two-square rule allows it.
    """
    own = owner == player
    empty = (owner == EMPTY) & ~LAKE
    movable = (own & (rank >= SPY) & (rank <= MARSHAL)).reshape(SIZE, SIZE)
    scout = (own & (rank == SCOUT)).reshape(SIZE, SIZE)
    free = _shifted(empty)
    acc = [jnp.ones((4, SIZE, SIZE), bool)]
    for d in range(SIZE - 2):
        acc.append(acc[-1] & free[:, d])
    clear_before = jnp.stack(acc, axis=1)
    target_ok = _shifted(~LAKE & ~own)
    one = (jnp.arange(1, SIZE) == 1)[None, :, None, None]
    rays = movable[None, None] & (one | scout[None, None]) & target_ok & clear_before
    legal = rays.reshape(-1)[RAY_INDEX]
    back = (last_to[player] == ACT_FROM) & (last_from[player] == ACT_TO) & empty[ACT_TO]
    return legal & ~(back & (repeat[player] >= limit))


def legal_mask_reference(owner, rank, player, last_from, last_to, repeat, limit: int) -> np.ndarray:
    """The same mask by a plain loop over the squares between each move's ends (for tests)."""
    owner, rank = np.asarray(owner), np.asarray(rank)
    out = np.zeros(NUM_ACTIONS, bool)
    for a in range(NUM_ACTIONS):
        f, t = int(ACT_FROM_NP[a]), int(ACT_TO_NP[a])
        if owner[f] != player or not SPY <= rank[f] <= MARSHAL or LAKE_NP[t] or owner[t] == player:
            continue
        if ACT_DIST_NP[a] > 1 and rank[f] != SCOUT:
            continue
        between = [x for x in ACT_PATH_NP[a] if x < SQUARES]
        if any(owner[x] != EMPTY or LAKE_NP[x] for x in between):
            continue
        if (f == last_to[player] and t == last_from[player] and owner[t] == EMPTY
                and repeat[player] >= limit):
            continue
        out[a] = True
    return out


def can_move(owner, rank, player) -> jax.Array:
    """Whether ``player`` has any movable piece with a free or enemy neighbour (repetition ignored)."""
    own = owner == player
    movable = own & (rank >= SPY) & (rank <= MARSHAL)
    ok = jnp.concatenate([~LAKE & ~own, jnp.zeros(1, bool)])
    return jnp.any(movable & jnp.any(ok[NEIGHBOURS], axis=1))


def initial_state(owner, rank, limit: int, player=0) -> StrategoState:
    """A fresh state from a placement (nothing revealed or moved); ``player`` moves first."""
    owner = jnp.asarray(owner, jnp.int32)
    rank = jnp.asarray(rank, jnp.int32)
    neg = jnp.full(2, -1, jnp.int32)
    zero2 = jnp.zeros(2, jnp.int32)
    player = jnp.int32(player)
    mask = legal_mask(owner, rank, player, neg, neg, zero2, limit)
    none = ~jnp.any(mask)
    both_stuck = none & ~can_move(owner, rank, 1 - player)
    return StrategoState(owner, rank, jnp.zeros(SQUARES, bool), jnp.zeros(SQUARES, bool), player,
                         jnp.int32(0), neg, neg, zero2, none,
                         jnp.where(none & ~both_stuck, 1 - player, -1).astype(jnp.int32), mask & ~none)


def combat(attacker, defender) -> tuple[jax.Array, jax.Array]:
    """(attacker survives, defender survives) when piece ``attacker`` attacks ``defender``."""
    att_wins = ((defender == FLAG) | ((defender == BOMB) & (attacker == MINER))
                | ((attacker == SPY) & (defender == MARSHAL))
                | ((defender != BOMB) & (attacker > defender)))
    tie = (attacker == defender) & (defender != BOMB)
    return att_wins, ~att_wins & ~tie


def transition(state: StrategoState, action, limit: int, max_plies: int):
    """One move by ``state.player``: returns (new state, rewards (2,), terminated, truncated).

    A finished game is returned unchanged with zero rewards. An illegal action ends the game
    as a loss for the mover (the shells refuse illegal moves before they get here).
    """
    p = state.player
    q = 1 - p
    action = jnp.asarray(action, jnp.int32)
    a = jnp.clip(action, 0, NUM_ACTIONS - 1)
    legal = state.mask[a] & (action >= 0) & (action < NUM_ACTIONS)
    f, t = ACT_FROM[a], ACT_TO[a]
    att, dfd = state.rank[f], state.rank[t]
    attack = state.owner[t] == q
    att_wins, def_wins = combat(att, dfd)
    att_survives = ~attack | att_wins
    def_survives = attack & def_wins
    # the moving piece lands on t if it survives; the defender stays on t if it survives
    new_owner_t = jnp.where(att_survives, p, jnp.where(def_survives, q, EMPTY))
    new_rank_t = jnp.where(att_survives, att, jnp.where(def_survives, dfd, EMPTY))
    scout_run = (att == SCOUT) & (ACT_DIST[a] > 1)
    new_rev_t = jnp.where(attack, new_owner_t != EMPTY, state.revealed[f] | scout_run)
    new_moved_t = jnp.where(att_survives, True, jnp.where(def_survives, state.moved[t], False))
    owner = state.owner.at[f].set(EMPTY).at[t].set(new_owner_t)
    rank = state.rank.at[f].set(EMPTY).at[t].set(new_rank_t)
    revealed = state.revealed.at[f].set(False).at[t].set(new_rev_t)
    moved = state.moved.at[f].set(False).at[t].set(new_moved_t)
    # two-square rule bookkeeping (moves to empty squares only)
    reverse = (f == state.last_to[p]) & (t == state.last_from[p])
    rep = jnp.where(attack, 0, jnp.where(reverse, state.repeat[p] + 1, 1))
    last_from = state.last_from.at[p].set(jnp.where(attack, -1, f))
    last_to = state.last_to.at[p].set(jnp.where(attack, -1, t))
    repeat = state.repeat.at[p].set(rep)
    ply = state.ply + 1
    flag = attack & (dfd == FLAG)
    mask_q = legal_mask(owner, rank, q, last_from, last_to, repeat, limit)
    q_stuck = ~jnp.any(mask_q)
    p_stuck = ~can_move(owner, rank, p)
    over_time = ply >= max_plies
    terminated = flag | q_stuck
    winner = jnp.where(flag, p, jnp.where(q_stuck & ~p_stuck, p, -1))
    moved_state = StrategoState(owner, rank, revealed, moved, q, ply, last_from, last_to, repeat,
                                terminated | over_time, winner.astype(jnp.int32),
                                mask_q & ~(terminated | over_time))
    forfeit = state._replace(done=jnp.bool_(True), winner=q.astype(jnp.int32),
                             mask=jnp.zeros(NUM_ACTIONS, bool), ply=ply)
    new = jax.tree.map(lambda x, y: jnp.where(legal, x, y), moved_state, forfeit)
    new = jax.tree.map(lambda old, x: jnp.where(state.done, old, x), state, new)
    terminated = jnp.where(state.done, False, jnp.where(legal, terminated, True))
    truncated = jnp.where(state.done, False, legal & over_time & ~terminated)
    w = new.winner
    live = ~state.done & new.done
    rewards = jnp.where(live & (w >= 0), jnp.where(jnp.arange(2) == w, 1.0, -1.0), 0.0)
    return new, rewards, terminated, truncated


# -- observations ---------------------------------------------------------------------------
#: planes of the observation, each 100 squares (own view, absolute board coordinates).
PLANES = (tuple(f"own {n}" for n in PIECE_NAMES) + tuple(f"enemy {n}" for n in PIECE_NAMES)
          + ("enemy unknown", "enemy moved", "own revealed", "own moved", "lake", "empty"))
NUM_PLANES = len(PLANES)
#: after the planes: the enemy's remaining pieces per rank (public: every removed piece was
#: revealed), as a fraction of ``initial``; then ply / max_plies; then the player (0 red, 1 blue).
OBS_SIZE = NUM_PLANES * SQUARES + NUM_RANKS + 2


def observe(state: StrategoState, player, initial_counts: jax.Array, max_plies: int) -> jax.Array:
    """(OBS_SIZE,) float32: what ``player`` sees. Own pieces by rank; enemy pieces by rank only
    when revealed in combat (or a scout by a long move), else 'unknown'; which enemy pieces
    have moved; which own pieces the enemy knows."""
    own = state.owner == player
    enemy = state.owner == 1 - player
    ranks = jnp.arange(NUM_RANKS)[:, None]
    own_planes = own[None] & (state.rank[None] == ranks)
    known = enemy & state.revealed
    enemy_planes = known[None] & (state.rank[None] == ranks)
    extra = jnp.stack([enemy & ~state.revealed, enemy & state.moved, own & state.revealed, own & state.moved,
                       LAKE, (state.owner == EMPTY) & ~LAKE])
    planes = jnp.concatenate([own_planes, enemy_planes, extra]).astype(jnp.float32).reshape(-1)
    counts = jnp.sum(enemy[None] & (state.rank[None] == ranks), axis=1).astype(jnp.float32)
    frac = counts / jnp.maximum(initial_counts.astype(jnp.float32), 1.0)
    tail = jnp.stack([state.ply / max_plies, jnp.asarray(player, jnp.float32)]).astype(jnp.float32)
    return jnp.concatenate([planes, frac, tail])


# -- each player's own frame ----------------------------------------------------------------------
#: the action that is ``a`` with the board turned half a circle (square s -> 99 - s); its own inverse.
ROTATE_ACTION_NP = np.array([action_index(SQUARES - 1 - int(f), SQUARES - 1 - int(t))
                             for f, t in zip(ACT_FROM_NP, ACT_TO_NP)], np.int32)
ROTATE_ACTION = jnp.asarray(ROTATE_ACTION_NP)


def own_frame(obs: jax.Array, mask: jax.Array, player) -> tuple[jax.Array, jax.Array]:
    """``(obs, mask)`` of :func:`observe` and the legal mask in ``player``'s own frame: for blue the
    board is turned half a circle (square ``s`` is shown as ``99 - s``, so each player sees its own
    side at ranks 1-4, as the text view draws it), and action ``b`` of the turned mask is the move
    :data:`ROTATE_ACTION` ``[b]`` on the board; red's frame is the board's."""
    planes = obs[:NUM_PLANES * SQUARES].reshape(NUM_PLANES, SQUARES)
    blue = jnp.asarray(player) == 1
    turned = jnp.concatenate([planes[:, ::-1].reshape(-1), obs[NUM_PLANES * SQUARES:]])
    return jnp.where(blue, turned, obs), jnp.where(blue, mask[ROTATE_ACTION], mask)


def from_own_frame(action, player) -> jax.Array:
    """The board's action for an action chosen in ``player``'s own frame (see :func:`own_frame`)."""
    return jnp.where(jnp.asarray(player) == 1, ROTATE_ACTION[action], jnp.asarray(action))
