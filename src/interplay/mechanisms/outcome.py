"""The outcome record every mechanism yields, whoever played: plain data for evaluation and the run directory."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Outcome:
    """One round of one encounter under a mechanism.

    ``who``: the seats' names; ``actions``: the base-game actions played (after a mediator or
    an enforced commitment acted); ``payoffs``: after transfers; ``cooperated``: per seat,
    whether its action was its cooperative one; ``delegations`` (mediator), ``recommendations``
    (the mediator's plan), ``transfers`` and ``contract`` (contracts), ``commitments`` (as
    stated, in words) are None where the mechanism has none; ``messages``: the talk,
    commitments, votes and plans of the round, as transcript records.
    """

    mechanism: str
    game: str
    who: tuple[str, ...]
    actions: tuple[int, ...]
    payoffs: tuple[float, ...]
    cooperated: tuple[bool, ...] = ()
    round: int = 0
    seed: int = 0
    delegations: tuple[bool, ...] | None = None
    recommendations: tuple[int, ...] | None = None
    transfers: tuple[float, ...] | None = None
    contract: dict[str, Any] | None = None
    commitments: tuple[str, ...] | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def welfare(self) -> float:
        return float(sum(self.payoffs))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"mechanism": self.mechanism, "game": self.game, "who": list(self.who),
                               "round": self.round, "seed": self.seed, "actions": list(self.actions),
                               "payoffs": list(self.payoffs), "cooperated": list(self.cooperated)}
        for key in ("delegations", "recommendations", "transfers", "commitments"):
            v = getattr(self, key)
            if v is not None:
                out[key] = list(v)
        if self.contract is not None:
            out["contract"] = dict(self.contract)
        if self.extra:
            out.update(self.extra)
        out["messages"] = list(self.messages)
        return out
