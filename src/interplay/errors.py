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


class UnknownNameError(InterplayError, KeyError):
    """An id or name that is not registered; the message lists close matches."""

    def __init__(self, what: str, name: str, known: Iterable[str], listing: str = "") -> None:
        known = sorted(set(known))
        close = difflib.get_close_matches(name, known, n=5, cutoff=0.4)
        if not close:
            lowered = name.lower()
            close = [k for k in known if lowered in k.lower()][:5]
        hint = f" Did you mean: {', '.join(repr(c) for c in close)}?" if close else ""
        where = f"; list them with `{listing}`" if listing else ""
        msg = f"Unknown {what} {name!r}.{hint} ({len(known)} known{where}.)"
        super().__init__(msg)
        self.name = name
        self.close_matches = close

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0])
