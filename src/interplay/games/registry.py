"""The versioned game registry: ``make("ipd-v1", **params)``.

Every game is registered under an id ending in ``-vN``; a change in behaviour gets a
new version, never an edit of an old one. Other packages (the coin game, bargaining,
user code) add games with :func:`register`. The games interplay ships are listed, as data, in
:mod:`interplay.games.builtin` and registered the first time the registry is asked.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from interplay.errors import InterplayError, UnknownNameError
from interplay.games.entry import GameEntry, game_entry
from interplay.games.protocol import Game
from interplay.registry import Registry


def _load_builtins(games: Registry[GameEntry]) -> None:
    from interplay.games.builtin import BUILTIN

    for entry in BUILTIN:
        _add(entry)


#: Every registered game by id (and alias); the shipped ones are added at the first lookup.
GAMES: Registry[GameEntry] = Registry("game id", listing="interplay games", loader=_load_builtins)


def register(id: str, factory: Callable[..., Game], *, summary: str = "", aliases: tuple[str, ...] = (),
             kind: str = "normal-form", example: dict[str, Any] | None = None, overwrite: bool = False) -> None:
    """Register a game factory under a versioned id (``name-vN``)."""
    _add(game_entry(id, factory, summary=summary, aliases=aliases, kind=kind, example=example), overwrite)


def _add(entry: GameEntry, overwrite: bool = False) -> None:
    id = entry.id
    if not id.rsplit("-", 1)[-1].startswith("v"):
        raise InterplayError(f"game id {id!r} must end with a version, like '-v1'.")
    GAMES.add(id, entry, aliases=entry.aliases, overwrite=overwrite)


def resolve_game(id: str) -> GameEntry:
    """The :class:`GameEntry` of a registered id or alias (or an ``openspiel:NAME`` game)."""
    if not isinstance(id, str):
        raise InterplayError(f"a game id must be a name like 'ipd-v1' (see `interplay games`), got "
                             f"{type(id).__name__} {str(id)[:40]!r}.")
    if id.startswith("openspiel:"):
        from interplay.games.openspiel import load_openspiel_entry

        return load_openspiel_entry(id)
    return GAMES.get(id)


def make(id: str, **params: Any) -> Game:
    """Build a registered game with its parameters, e.g. ``make("ipd-v1", discount=0.9)``.

    Unknown ids get the closest registered ids; unknown or bad parameters get a
    message naming the parameter.
    """
    entry = resolve_game(id)
    sig = inspect.signature(entry.factory)
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values())
    if not accepts_any:
        for name in params:
            if name not in sig.parameters:
                raise UnknownNameError(f"parameter of game {entry.id!r}:", name, list(sig.parameters))
    try:
        return entry.factory(**params)
    except InterplayError:
        raise
    except (TypeError, ValueError) as exc:
        raise InterplayError(f"game {entry.id!r}: bad parameters {params}: {exc}") from None


def game_parameters(id: str) -> dict[str, Any]:
    """Default parameters of a registered game, by name."""
    entry = resolve_game(id)
    return {
        n: (p.default if p.default is not inspect.Parameter.empty else None)
        for n, p in inspect.signature(entry.factory).parameters.items()
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    }


def list_games() -> list[GameEntry]:
    """Every registered game, sorted by id."""
    return [GAMES.get(k) for k in sorted(GAMES.names())]
