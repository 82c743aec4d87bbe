"""User-facing errors.

Every error a user can cause (a bad config, an unknown id, a payoff table of the
wrong shape, a malformed answer file) is an :class:`InterplayError`. The CLI turns
it into a one-paragraph message and exit status 2, never a traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class InterplayError(Exception):
    """A problem with the user's input, named with what and where."""


def close_matches(name: str, known: Iterable[str], n: int = 5) -> list[str]:
    """Known names close to ``name`` (by spelling, else containing it, case-insensitive)."""
    known = sorted(set(known))
    close = difflib.get_close_matches(name, known, n=n, cutoff=0.4)
    if not close:
        lowered = name.lower()
        close = [k for k in known if lowered in k.lower()][:n]
    return close


class UnknownNameError(InterplayError, KeyError):
    """An id or name that is not registered; the message lists close matches."""

    def __init__(self, what: str, name: str, known: Iterable[str], listing: str = "") -> None:
        known = sorted(set(known))
        close = close_matches(name, known)
        hint = f" Did you mean: {', '.join(repr(c) for c in close)}?" if close else ""
        where = f"; list them with `{listing}`" if listing else ""
        msg = f"Unknown {what} {name!r}.{hint} ({len(known)} known{where}.)"
        super().__init__(msg)
        self.name = name
        self.close_matches = close

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0])


def unknown_names_message(what: str, where: str, bad: list[tuple[int, str]], known: Iterable[str],
                          listing: str = "") -> str:
    """One message naming every unknown name (item number and close matches), e.g. for a list of
    strategies with several misspellings."""
    known = sorted(set(known))
    items = []
    for index, name in bad:
        close = close_matches(name, known, n=3)
        hint = f" (Did you mean {', '.join(repr(c) for c in close)}?)" if close else " (no close match)"
        items.append(f"item {index} {name!r}{hint}")
    tail = f"; list them with `{listing}`" if listing else ""
    return f"{where}: {len(bad)} unknown {what}(s): " + "; ".join(items) + f". ({len(known)} known{tail}.)"
