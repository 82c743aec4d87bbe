"""The games interplay ships, as registry entries: the catalogue games, their iterated versions,
the bargaining games, the coin games and Stratego (registered by :mod:`interplay.games.registry` when first asked)."""

from __future__ import annotations

from typing import Any

from interplay.games import catalogue as cat
from interplay.games.bargaining import ENTRIES as BARGAINING
from interplay.games.coin_game import ENTRIES as COIN_GAMES
from interplay.games.entry import GameEntry, game_entry
from interplay.games.iterated import IteratedGame, iterated
from interplay.games.stratego import ENTRIES as STRATEGO

BUILTIN: list[GameEntry] = []

_NORMAL_FORM = {
    "prisoners-dilemma-v1": (cat.prisoners_dilemma, ("pd-v1",)),
    "stag-hunt-v1": (cat.stag_hunt, ()),
    "chicken-v1": (cat.chicken, ("hawk-dove-v1",)),
    "battle-of-the-sexes-v1": (cat.battle_of_the_sexes, ("bos-v1",)),
    "matching-pennies-v1": (cat.matching_pennies, ()),
    "coordination-v1": (cat.coordination, ()),
    "rock-paper-scissors-v1": (cat.rock_paper_scissors, ("rps-v1",)),
    "public-goods-v1": (cat.public_goods, ()),
    "volunteers-dilemma-v1": (cat.volunteers_dilemma, ()),
    "trust-game-v1": (cat.trust_game, ()),
    "travelers-dilemma-v1": (cat.travelers_dilemma, ("traveler-v1",)),
    "custom-v1": (cat.custom, ()),
}

_CUSTOM_EXAMPLE = {"payoffs": [[[3, 3], [0, 5]], [[5, 0], [1, 1]]], "actions": [["C", "D"], ["C", "D"]]}
for _id, (_factory, _aliases) in _NORMAL_FORM.items():
    BUILTIN.append(game_entry(_id, _factory, aliases=_aliases, kind="normal-form",
                              example=_CUSTOM_EXAMPLE if _id == "custom-v1" else None))


def _iterated_factory(stage_factory: Any, id: str, doc: str) -> Any:
    def factory(discount: float = 0.96, horizon: int = 100, noise: float = 0.0, end_prob: float = 0.0,
                **stage_params: Any) -> IteratedGame:
        return iterated(stage_factory(**stage_params), id=id, discount=discount, horizon=horizon,
                        noise=noise, end_prob=end_prob)

    factory.__doc__ = doc
    factory.__name__ = id.replace("-", "_")
    return factory


def _iterated_pd(convention: str = "tournament", R: float | None = None, S: float | None = None,
                 T: float | None = None, P: float | None = None, discount: float = 0.96,
                 horizon: int = 100, noise: float = 0.0, end_prob: float = 0.0) -> IteratedGame:
    """Iterated prisoner's dilemma (memory-one exact values and sampled play).

    convention: "tournament" (R=3, S=0, T=5, P=1) or "lola" (CC -1, CD -3, DC 0, DD -2).
    """
    return iterated(cat.prisoners_dilemma(convention, R, S, T, P), id="ipd-v1", discount=discount,
                    horizon=horizon, noise=noise, end_prob=end_prob)


BUILTIN.append(game_entry("ipd-v1", _iterated_pd, aliases=("iterated-prisoners-dilemma-v1",), kind="iterated"))
for _base, _factory, _alias in [
    ("stag-hunt", cat.stag_hunt, None),
    ("chicken", cat.chicken, None),
    ("battle-of-the-sexes", cat.battle_of_the_sexes, None),
    ("matching-pennies", cat.matching_pennies, "imp-v1"),
    ("coordination", cat.coordination, None),
]:
    _iid = f"iterated-{_base}-v1"
    _doc = f"Iterated {_base.replace('-', ' ')}: the 2x2 stage game repeated, memory-one policies."
    BUILTIN.append(game_entry(_iid, _iterated_factory(_factory, _iid, _doc), aliases=(_alias,) if _alias else (),
                              summary=_doc, kind="iterated"))
BUILTIN.extend(BARGAINING)
BUILTIN.extend(COIN_GAMES)
BUILTIN.extend(STRATEGO)
