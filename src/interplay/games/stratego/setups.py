"""Set-ups: the armies of the two variants, random legal set-ups, a few classic ones, and
user-given ones (validated, with errors that say what is wrong and where).

A set-up is 4 rows of 10 pieces as the player sees them from behind their own army: the
first row is the front row (next to the lakes), the last the back row; left to right is
the player's own left to right. So the same set-up is legal for either side: red's front
row is rank 4 (files a..j left to right), blue's is rank 7 (files j..a, the board turned).

Symbols: ``F`` flag, ``B`` bomb, ``S`` spy, ``2`` scout, ``3`` miner, ``4`` sergeant,
``5`` lieutenant, ``6`` captain, ``7`` major, ``8`` colonel, ``9`` general, ``M`` (or ``10``)
marshal, ``.`` an empty square (Barrage only). A row is either 10 characters or 10
whitespace-separated tokens.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from interplay.errors import InterplayError
from interplay.games.stratego.core import (
    EMPTY,
    MARSHAL,
    NUM_RANKS,
    PIECE_NAMES,
    PIECE_SYMBOLS,
    SIZE,
    SQUARES,
)

#: pieces per rank code (flag, spy, scout, ..., marshal, bomb) for each variant.
ARMIES: dict[str, tuple[int, ...]] = {
    # flag 1, spy 1, scouts 8, miners 5, sergeants 4, lieutenants 4, captains 4, majors 3,
    # colonels 2, general 1, marshal 1, bombs 6: 40 pieces.
    "standard": (1, 1, 8, 5, 4, 4, 4, 3, 2, 1, 1, 6),
    # Barrage: flag, spy, 2 scouts, miner, general, marshal, 1 bomb: 8 pieces.
    "barrage": (1, 1, 2, 1, 0, 0, 0, 0, 0, 1, 1, 1),
}

_SYMBOL_CODE = {s: i for i, s in enumerate(PIECE_SYMBOLS)} | {"10": MARSHAL, ".": EMPTY}


def army_vector(variant: str) -> np.ndarray:
    """The 40 set-up squares' contents in a fixed order (pieces, then EMPTY for Barrage)."""
    counts = ARMIES[variant]
    pieces = [code for code, n in enumerate(counts) for _ in range(n)]
    return np.array(pieces + [EMPTY] * (40 - len(pieces)), np.int32)


def _rows_of(text: str | Sequence[str]) -> list[str]:
    if isinstance(text, str):
        return [r.strip() for r in text.strip().splitlines() if r.strip()]
    return [str(r).strip() for r in text]


def parse_setup(text: str | Sequence[str] | np.ndarray, variant: str = "standard", who: str = "setup") -> np.ndarray:
    """A (4, 10) array of piece codes from set-up text (or an array), validated for ``variant``.

    Raises InterplayError naming the row, column and symbol that are wrong, or the piece
    counts that differ from the variant's army.
    """
    if isinstance(text, np.ndarray) or (not isinstance(text, str) and text and not isinstance(text[0], str)):
        arr = np.asarray(text)
        if arr.shape != (4, SIZE):
            raise InterplayError(f"{who}: a set-up array must have shape (4, 10), got {arr.shape}.")
        grid = arr.astype(np.int32)
        bad = (grid < EMPTY) | (grid >= NUM_RANKS)
        if bad.any():
            r, c = np.argwhere(bad)[0]
            raise InterplayError(f"{who}: row {r + 1}, column {c + 1} holds {grid[r, c]}, not a piece code "
                                 f"(-1 empty, 0..11).")
    else:
        rows = _rows_of(text)
        if len(rows) != 4:
            raise InterplayError(f"{who}: a set-up has 4 rows (front row first), got {len(rows)}.")
        grid = np.zeros((4, SIZE), np.int32)
        for i, row in enumerate(rows):
            tokens = row.split() if len(row.split()) > 1 else list(row)
            if len(tokens) != SIZE:
                raise InterplayError(f"{who}: row {i + 1} ({row!r}) has {len(tokens)} squares; a row has 10.")
            for j, tok in enumerate(tokens):
                code = _SYMBOL_CODE.get(tok.upper())
                if code is None:
                    raise InterplayError(f"{who}: row {i + 1}, column {j + 1}: unknown symbol {tok!r} (use "
                                         f"{' '.join(PIECE_SYMBOLS)}, or '.' for an empty square in Barrage).")
                grid[i, j] = code
    want = ARMIES[variant]
    have = np.bincount(grid[grid >= 0].ravel(), minlength=NUM_RANKS)
    wrong = [f"{PIECE_NAMES[k]}: {have[k]} (needs {want[k]})" for k in range(NUM_RANKS) if have[k] != want[k]]
    if wrong:
        raise InterplayError(f"{who}: the pieces do not make a {variant} army: " + "; ".join(wrong) + ".")
    return grid


def setup_text(grid: np.ndarray) -> str:
    """The 4-line text of a set-up (front row first)."""
    return "\n".join("".join("." if x == EMPTY else PIECE_SYMBOLS[x] for x in row) for row in np.asarray(grid))


def placement_squares(player: int) -> np.ndarray:
    """(4, 10) board squares of a player's set-up cells (front row first, own left to right)."""
    i, j = np.meshgrid(np.arange(4), np.arange(SIZE), indexing="ij")
    if player == 0:
        return (3 - i) * SIZE + j
    return (6 + i) * SIZE + (SIZE - 1 - j)


def place(red: np.ndarray | jax.Array, blue: np.ndarray | jax.Array) -> tuple[jax.Array, jax.Array]:
    """Board (owner, rank) arrays from two (4, 10) set-ups."""
    owner = jnp.full(SQUARES, EMPTY, jnp.int32)
    rank = jnp.full(SQUARES, EMPTY, jnp.int32)
    for p, grid in ((0, red), (1, blue)):
        grid = jnp.asarray(grid, jnp.int32).reshape(-1)
        sq = jnp.asarray(placement_squares(p).reshape(-1))
        owner = owner.at[sq].set(jnp.where(grid >= 0, p, EMPTY))
        rank = rank.at[sq].set(grid)
    return owner, rank


def random_setup(key: jax.Array, variant: str = "standard") -> jax.Array:
    """A uniformly random legal set-up: the army shuffled over the 40 set-up squares."""
    return jax.random.permutation(key, jnp.asarray(army_vector(variant))).reshape(4, SIZE)


# Classic-style set-ups, written for this project in the patterns players use (flag on the
# back row behind bombs, bombs on the front to stop scouts, strong pieces on the wings).
# They are ordinary legal set-ups, not copies of any published player's.
CLASSIC: dict[str, str] = {
    # flag in the back-left corner behind two bombs; a bomb wall in the middle of row 3
    "corner-fortress": """
        2 7 2 5 9 3 2 8 6 2
        4 M 5 B 2 6 3 S 7 5
        B 4 6 8 B 4 3 2 7 4
        F B 3 B 6 B 3 2 5 2
    """,
    # flag in the back middle inside a bomb triangle
    "centre-flag": """
        5 2 6 2 3 9 2 M 2 6
        4 7 S 8 4 5 7 3 2 6
        2 4 5 3 B B 6 7 8 3
        3 5 2 B F B B 4 B 2
    """,
    # bombs on the front row at the lake lanes' sides; flag back right
    "shoreline": """
        2 6 B 5 2 3 B 7 6 2
        5 M 3 4 8 S 9 4 7 2
        4 B 2 6 5 7 2 8 5 B
        3 4 6 2 3 2 3 B F B
    """,
}

BARRAGE_CLASSIC: dict[str, str] = {
    "barrage-back-flag": """
        . 2 . . M . . 2 . .
        . . . 9 . . 3 . . .
        . . . . . . . . S .
        . . . . B F . . . .
    """,
}


def classic_setups(variant: str = "standard") -> dict[str, np.ndarray]:
    """The named classic set-ups of a variant, validated."""
    table = CLASSIC if variant == "standard" else BARRAGE_CLASSIC
    return {name: parse_setup(text, variant, who=f"classic set-up {name!r}") for name, text in table.items()}


def resolve_setup(spec: object, variant: str, who: str) -> np.ndarray | None:
    """A set-up parameter as a (K, 4, 10) pool to draw from at each reset, or None for random.

    ``spec``: ``"random"`` (None); ``"classic"`` (the classic set-ups, one drawn per game); a
    classic set-up's name; set-up text (4 lines); or a (4, 10) array / list of rows.
    """
    if spec is None or (isinstance(spec, str) and spec == "random"):
        return None
    classics = classic_setups(variant)
    if isinstance(spec, str) and spec == "classic":
        return np.stack(list(classics.values()))
    if isinstance(spec, str) and "\n" not in spec.strip():
        if spec in classics:
            return classics[spec][None]
        names = ", ".join(["random", "classic", *classics])
        raise InterplayError(f"{who}: unknown set-up {spec!r}; use one of {names}, or 4 rows of 10 symbols.")
    if not isinstance(spec, str | list | tuple | np.ndarray):
        raise InterplayError(f"{who}: a set-up is a name, 4 rows of text or a (4, 10) array, got "
                             f"{type(spec).__name__}.")
    return parse_setup(spec, variant, who=who)[None]
