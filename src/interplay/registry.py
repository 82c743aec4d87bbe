"""One registry helper for every table of named things in interplay.

Games (``interplay.make``), experiment kinds (``kind:`` in a config), reproductions
(``interplay reproduce``), learners' short names, the strategy library and the red-team
scenarios are each a :class:`Registry`: entries by name (and alias), one lookup that
names the closest entries when a name is unknown, one check that reports every unknown
name of a list at once, and modules imported on first use for entries that live in
modules too heavy to import up front::

    scenarios: Registry[Scenario] = Registry("red-team scenario")
    scenarios.add("injection", Scenario(...))
    scenarios.get("injektion")   # UnknownNameError: ... Did you mean: 'injection'?

    kinds = Registry("experiment kind", lazy={"tournament": "interplay.run.tournament"})
    kinds.get("tournament")      # imports interplay.run.tournament, which adds "tournament"
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Generic, TypeVar

from interplay.errors import InterplayError, UnknownNameError, unknown_names_message

__all__ = ["Registry"]

T = TypeVar("T")


class Registry(Generic[T]):
    """Entries of one kind by name.

    ``what`` names the kind in messages ("game id", "strategy"); ``listing`` is the command
    that lists them (quoted in the message for an unknown name). ``case_insensitive`` also
    finds an entry by its name in any case. ``lazy`` maps a name to the module that adds it
    when imported (a module that does not is a programming error, raised at once);
    ``loader`` is called once before the first lookup (to add entries that are data).
    """

    def __init__(self, what: str, *, listing: str = "", case_insensitive: bool = False,
                 lazy: Mapping[str, str] | None = None, loader: Callable[[Registry[T]], None] | None = None) -> None:
        self.what = what
        self.listing = listing
        self.case_insensitive = case_insensitive
        self._entries: dict[str, T] = {}
        self._aliases: dict[str, str] = {}
        self._folded: dict[str, str] = {}
        self._lazy: dict[str, str] = dict(lazy or {})
        self._loader = loader

    # -- adding -----------------------------------------------------------------------
    def add(self, name: str, value: T, *, aliases: Iterable[str] = (), overwrite: bool = False) -> T:
        """Add ``value`` under ``name`` (and ``aliases``); a name already taken is refused unless ``overwrite``."""
        self._ready()
        aliases = tuple(aliases)
        for n in (name, *aliases):
            if not isinstance(n, str) or not n:
                raise InterplayError(f"{self.what}: a name must be a non-empty string, got {n!r}.")
            if not overwrite and (n in self._entries or n in self._aliases):
                raise InterplayError(f"{self.what} {n!r} is already registered.")
        self._entries[name] = value
        for a in aliases:
            self._aliases[a] = name
        if self.case_insensitive:
            for n in (name, *aliases):
                self._folded[n.lower()] = name
        return value

    # -- finding ----------------------------------------------------------------------
    def _ready(self) -> None:
        if self._loader is not None:
            loader, self._loader = self._loader, None
            loader(self)

    def _key(self, name: str) -> str | None:
        if name in self._entries:
            return name
        if name in self._aliases:
            return self._aliases[name]
        if self.case_insensitive and isinstance(name, str):
            return self._folded.get(name.strip().lower())
        return None

    def find(self, name: str) -> T | None:
        """The entry called ``name`` (or an alias), or None."""
        self._ready()
        key = self._key(name)
        if key is None and name in self._lazy:
            module = self._lazy[name]
            importlib.import_module(module)
            key = self._key(name)
            if key is None:  # the table names a module that does not add the entry
                raise RuntimeError(f"{self.what} {name!r}: {module} was imported but did not register it.")
        return None if key is None else self._entries[key]

    def get(self, name: str) -> T:
        """The entry called ``name``; an unknown name raises :class:`UnknownNameError` with close matches."""
        found = self.find(name)
        if found is None:
            raise UnknownNameError(self.what, str(name), self.known(), listing=self.listing)
        return found

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (name in self._lazy or self.find(name) is not None)

    def check(self, names: Iterable[object], where: str) -> None:
        """Raise one InterplayError naming every unknown name of ``names`` (with close matches)."""
        bad = [(i, str(n)) for i, n in enumerate(names) if not isinstance(n, str) or n not in self]
        if bad:
            raise InterplayError(unknown_names_message(self.what, where, bad, self.known(), listing=self.listing))

    # -- listing ----------------------------------------------------------------------
    def names(self) -> list[str]:
        """The names of the entries added so far (not aliases; lazy ones once imported), in order of adding."""
        self._ready()
        return list(self._entries)

    def known(self) -> list[str]:
        """Every name a lookup accepts: names, aliases and lazy names (for messages and listings)."""
        self._ready()
        return sorted({*self._entries, *self._aliases, *self._lazy})

    def values(self) -> list[T]:
        self._ready()
        return list(self._entries.values())

    def items(self) -> list[tuple[str, T]]:
        self._ready()
        return list(self._entries.items())

    def load_all(self) -> None:
        """Import every lazy module (so :meth:`names` lists every entry)."""
        for name in list(self._lazy):
            self.find(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def __repr__(self) -> str:
        return f"Registry({self.what!r}, {len(self._entries)} entries)"
