"""OpenSpiel adapters: load a one-shot simultaneous OpenSpiel game as an interplay
normal-form game (``make("openspiel:matrix_sh")``) and export an interplay game to
pyspiel so OpenSpiel's solvers and evaluation tools can run on it."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from interplay.errors import InterplayError
from interplay.games.normal_form import NormalFormGame, normal_form

_UTILITY = {"ZERO_SUM": "zero-sum", "CONSTANT_SUM": "constant-sum", "GENERAL_SUM": "general-sum",
            "IDENTICAL": "identical-interest"}


def _pyspiel() -> Any:
    try:
        import pyspiel
    except ImportError:  # pragma: no cover - depends on the optional extra
        raise InterplayError("OpenSpiel is not installed: pip install 'interplay[openspiel]'.") from None
    return pyspiel


def from_openspiel(name: str, params: dict[str, Any] | None = None) -> NormalFormGame:
    """Tabulate a one-shot simultaneous-move OpenSpiel game (matrix or tensor game)."""
    pyspiel = _pyspiel()
    try:
        game = pyspiel.load_game(name, params or {})
    except Exception as exc:  # pyspiel raises plain RuntimeError / SpielError
        known = [n for n in pyspiel.registered_names() if n.startswith(("matrix_", "normal"))]
        raise InterplayError(f"openspiel:{name}: OpenSpiel cannot load it ({exc}). Matrix games: {known}.") from None
    gtype = game.get_type()
    if gtype.dynamics != pyspiel.GameType.Dynamics.SIMULTANEOUS or game.max_game_length() != 1:
        raise InterplayError(
            f"openspiel:{name}: only one-shot simultaneous-move games can become normal-form games "
            f"(this one has {gtype.dynamics.name.lower()} moves and length {game.max_game_length()})."
        )
    n = game.num_players()
    root = game.new_initial_state()
    legal = [root.legal_actions(p) for p in range(n)]
    names = [[root.action_to_string(p, a) for a in legal[p]] for p in range(n)]
    pay = np.zeros((n, *[len(x) for x in legal]))
    for idx in itertools.product(*[range(len(x)) for x in legal]):
        state = game.new_initial_state()
        state.apply_actions([legal[p][k] for p, k in enumerate(idx)])
        pay[(slice(None), *idx)] = state.returns()
    return normal_form(pay, id=f"openspiel:{name}", name=gtype.long_name or name, actions=names,
                       players=[f"player_{i}" for i in range(n)],
                       description=f"OpenSpiel game {name!r}.")


def to_openspiel(game: NormalFormGame) -> Any:
    """An equivalent pyspiel MatrixGame (2 players) or TensorGame (n players)."""
    pyspiel = _pyspiel()
    short = game.spec.id.replace(":", "_")
    if game.num_players == 2:
        a, b = game.bimatrix()
        return pyspiel.create_matrix_game(short, game.spec.name, list(game.spec.actions[0]),
                                          list(game.spec.actions[1]), a.tolist(), b.tolist())
    return pyspiel.create_tensor_game(short, game.spec.name, [list(a) for a in game.spec.actions],
                                      [game.payoffs[i].ravel().tolist() for i in range(game.num_players)])


def load_openspiel_entry(id: str) -> Any:
    """Registry hook: ``openspiel:NAME`` resolves to a tabulated OpenSpiel game."""
    from interplay.games.entry import GameEntry

    name = id.split(":", 1)[1]

    def factory(**params: Any) -> NormalFormGame:
        return from_openspiel(name, params)

    factory.__doc__ = f"OpenSpiel game {name!r}, tabulated as a normal-form game."
    return GameEntry(id=id, factory=factory, summary=factory.__doc__, kind="openspiel")
