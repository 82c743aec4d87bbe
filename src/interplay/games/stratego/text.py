"""Stratego as text, for LLM agents and people: the board from one player's view with the
legal moves, and moves parsed from text (checked against the legal set).

Squares are named by file and rank (``a1`` .. ``j10``, red's side is ranks 1-4); a move is
``from-to``, e.g. ``b4-b5``. The board is drawn with the viewer's side at the bottom.
"""

from __future__ import annotations

import re

import jax
import numpy as np

from interplay.errors import InterplayError
from interplay.games.stratego.core import (
    ACT_FROM_NP,
    ACT_TO_NP,
    EMPTY,
    FILES,
    LAKE_NP,
    NUM_ACTIONS,
    PIECE_NAMES,
    PIECE_SYMBOLS,
    PLAYERS,
    SIZE,
    StrategoState,
    action_index,
    square_name,
)

LEGEND = ("Legend: your pieces are shown by their symbol (F flag, B bomb, S spy, 2 scout, 3 miner, "
          "4 sergeant, 5 lieutenant, 6 captain, 7 major, 8 colonel, 9 general, M marshal); enemy pieces "
          "as ?? when unknown or as *X when revealed; ~~ is a lake, .. an empty square. Higher numbers beat "
          "lower; the spy beats the marshal only when it attacks; only a miner survives attacking a bomb.")


def _host(state: StrategoState) -> StrategoState:
    return jax.device_get(state)  # the same state, as NumPy arrays


def square_index(name: str) -> int:
    """The square index of a name like ``b4`` (InterplayError if it is not a square)."""
    m = re.fullmatch(r"\s*([a-jA-J])\s*(10|[1-9])\s*", name)
    if not m:
        raise InterplayError(f"{name!r} is not a square: use a file a-j and a rank 1-10, like 'b4'.")
    return (int(m.group(2)) - 1) * SIZE + FILES.index(m.group(1).lower())


def _cell(state: StrategoState, s: int, viewer: int) -> str:
    owner, rank = int(state.owner[s]), int(state.rank[s])
    if LAKE_NP[s]:
        return "~~"
    if owner == EMPTY:
        return ".."
    if owner == viewer:
        return PIECE_SYMBOLS[rank] + ("'" if bool(state.revealed[s]) else " ")
    return "*" + PIECE_SYMBOLS[rank] if bool(state.revealed[s]) else "??"


def legal_moves(state: StrategoState) -> list[str]:
    """The legal moves of the player to move, as ``from-to`` strings, in action order."""
    mask = np.asarray(state.mask)
    return [f"{square_name(int(ACT_FROM_NP[a]))}-{square_name(int(ACT_TO_NP[a]))}" for a in np.flatnonzero(mask)]


def render(state: StrategoState, viewer: int, moves: bool = True) -> str:
    """The board as ``viewer`` (0 red, 1 blue) sees it, and, on their turn, their legal moves.

    Own pieces show their symbol (a trailing ' marks one the enemy has seen); enemy pieces
    show ``??`` or, once revealed, ``*`` and their symbol.
    """
    state = _host(state)
    files = list(range(SIZE)) if viewer == 0 else list(range(SIZE - 1, -1, -1))
    ranks = list(range(SIZE - 1, -1, -1)) if viewer == 0 else list(range(SIZE))
    header = "     " + " ".join(f"{FILES[c]:<2}" for c in files)
    lines = [f"You are {PLAYERS[viewer]}; your side is at the bottom.", header]
    for r in ranks:
        lines.append(f"{r + 1:>3}  " + " ".join(_cell(state, r * SIZE + c, viewer) for c in files))
    lines.append(LEGEND)
    own = np.asarray(state.owner) == viewer
    enemy = np.asarray(state.owner) == 1 - viewer
    rank = np.asarray(state.rank)
    mine = ", ".join(f"{PIECE_NAMES[k]} {int(np.sum(own & (rank == k)))}" for k in range(12))
    theirs = ", ".join(f"{PIECE_NAMES[k]} {int(np.sum(enemy & (rank == k)))}" for k in range(12))
    lines.append(f"Your pieces left: {mine}.")
    lines.append(f"Enemy pieces left (known from the captures): {theirs}.")
    lines.append(f"Move {int(state.ply) + 1}.")
    if bool(state.done):
        w = int(state.winner)
        lines.append("The game is over: " + ("a draw." if w < 0 else f"{PLAYERS[w]} won."))
    elif moves and int(state.player) == viewer:
        legal = legal_moves(state)
        lines.append(f"Your legal moves ({len(legal)}), answer with one of them exactly: " + " ".join(legal))
    elif moves:
        lines.append(f"It is {PLAYERS[int(state.player)]}'s turn.")
    return "\n".join(lines)


def describe_illegal(state: StrategoState, action: int) -> str:
    """Why ``action`` is not a legal move now (for error messages)."""
    state = _host(state)
    who = PLAYERS[int(state.player)]
    if not 0 <= action < NUM_ACTIONS:
        return f"action {action} is out of range: actions are 0..{NUM_ACTIONS - 1} (from-square * 18 + target)."
    f, t = int(ACT_FROM_NP[action]), int(ACT_TO_NP[action])
    name = f"{square_name(f)}-{square_name(t)}"
    owner, rank = int(state.owner[f]), int(state.rank[f])
    if owner != int(state.player):
        why = f"{square_name(f)} holds no {who} piece"
    elif rank in (0, 11):
        why = f"the {PIECE_NAMES[rank]} on {square_name(f)} never moves"
    elif LAKE_NP[t]:
        why = f"{square_name(t)} is a lake"
    elif int(state.owner[t]) == int(state.player):
        why = f"{square_name(t)} holds one of {who}'s own pieces"
    elif abs(t - f) not in (1, SIZE) and rank != 2:
        why = f"only scouts move more than one square (the piece on {square_name(f)} is a {PIECE_NAMES[rank]})"
    elif abs(t - f) not in (1, SIZE):
        why = "the squares between are not all empty (scouts do not jump pieces or lakes)"
    else:
        why = "the two-square rule forbids moving back and forth between the same two squares again"
    return f"move {name} (action {action}) is not legal for {who}: {why}."


def parse_move(state: StrategoState, text: str) -> int:
    """The action index of a move written ``b4-b5`` (also ``b4 b5``, ``b4 to b5``, ``[b4 b5]``).

    Raises InterplayError if the text is not a move or the move is not legal now.
    """
    if bool(state.done):
        raise InterplayError("the game is over; no more moves.")
    found = re.findall(r"\b([a-jA-J](?:10|[1-9]))\b", text)
    if len(found) < 2:
        raise InterplayError(f"{text!r} is not a move: write the from-square and the to-square, like 'b4-b5'.")
    f, t = square_index(found[0]), square_index(found[1])
    a = action_index(f, t)
    if a < 0:
        raise InterplayError(f"{found[0]}-{found[1]} is not a move: pieces move along a row or a column.")
    if not bool(state.mask[a]):
        raise InterplayError(describe_illegal(state, a))
    return a


__all__ = ["LEGEND", "describe_illegal", "legal_moves", "parse_move", "render", "square_index"]
