"""The catalogue of classic normal-form games.

Each constructor returns a :class:`NormalFormGame`; the registry exposes them
under versioned ids. Payoffs are (row, column) unless stated.
"""

from __future__ import annotations

import itertools

import numpy as np

from interplay.errors import InterplayError
from interplay.games.checks import MAX_PAYOFF, integer, real, table_size
from interplay.games.normal_form import NormalFormGame, normal_form

CD = ("C", "D")

#: Prisoner's dilemma conventions. "lola": Foerster et al. 2018 (LOLA) and the
#: opponent-shaping literature, CC -1/-1, CD -3/0, DC 0/-3, DD -2/-2.
#: "tournament": Axelrod (1980), R=3, S=0, T=5, P=1.
PD_CONVENTIONS = {
    "lola": {"R": -1.0, "S": -3.0, "T": 0.0, "P": -2.0},
    "tournament": {"R": 3.0, "S": 0.0, "T": 5.0, "P": 1.0},
}


def _sym2x2(a: float, b: float, c: float, d: float) -> np.ndarray:
    """Symmetric 2x2 payoffs: row gets a (both 0), b (0 vs 1), c (1 vs 0), d (both 1)."""
    row = np.array([[a, b], [c, d]], dtype=float)
    return np.stack([row, row.T])


def prisoners_dilemma(
    convention: str = "tournament",
    R: float | None = None,
    S: float | None = None,
    T: float | None = None,
    P: float | None = None,
) -> NormalFormGame:
    """Prisoner's dilemma (Flood and Dresher 1950; Tucker; Axelrod 1984).

    ``convention`` picks the payoffs: "tournament" (R=3, S=0, T=5, P=1, Axelrod
    1980) or "lola" (CC -1/-1, CD -3/0, DC 0/-3, DD -2/-2, Foerster et al. 2018).
    R, S, T, P override single entries; a dilemma needs T > R > P > S.
    """
    if convention not in PD_CONVENTIONS:
        raise InterplayError(
            f"prisoners-dilemma: unknown convention {convention!r}; choose one of {sorted(PD_CONVENTIONS)}."
        )
    v = dict(PD_CONVENTIONS[convention])
    for k, x in (("R", R), ("S", S), ("T", T), ("P", P)):
        if x is not None:
            v[k] = float(x)
    if not (v["T"] > v["R"] > v["P"] > v["S"]):
        raise InterplayError(
            f"prisoners-dilemma: payoffs must satisfy T > R > P > S, got {v}."
        )
    return normal_form(
        _sym2x2(v["R"], v["S"], v["T"], v["P"]),
        id="prisoners-dilemma-v1",
        name="Prisoner's dilemma",
        actions=[CD, CD],
        description=(
            "Each player cooperates (C) or defects (D). Defecting is better for each "
            "whatever the other does, but both are better off cooperating than both defecting."
        ),
    )


def stag_hunt(stag: float = 4.0, hare: float = 3.0, sucker: float = 0.0) -> NormalFormGame:
    """Stag hunt (Rousseau; Skyrms 2004): hunt the stag together or the hare alone.

    Both stag: ``stag`` each; stag against hare: ``sucker`` / ``hare``; both hare: ``hare``.
    """
    if not stag > hare > sucker:
        raise InterplayError(f"stag-hunt: need stag > hare > sucker, got {stag}, {hare}, {sucker}.")
    return normal_form(
        _sym2x2(stag, sucker, hare, hare),
        id="stag-hunt-v1",
        name="Stag hunt",
        actions=[("Stag", "Hare"), ("Stag", "Hare")],
        description="Hunting the stag pays only if both do; the hare is a safe smaller prize.",
    )


def chicken(win: float = 1.0, crash: float = -10.0, lose: float | None = None) -> NormalFormGame:
    """Chicken / hawk-dove (Russell 1959; Maynard Smith and Price 1973).

    Both swerve: 0; swerve vs straight: ``lose`` / ``win`` (``lose`` defaults to ``-win``);
    both straight: ``crash``. Aumann's (1974) example, (6,6) (2,7) (7,2) (0,0) shifted by 6,
    is ``win=1, lose=-4, crash=-6``: there the best correlated equilibrium's welfare exceeds
    every Nash equilibrium's.
    """
    lose = -win if lose is None else lose
    if not crash < lose < 0 < win:
        raise InterplayError(f"chicken: need crash < lose < 0 < win, got win={win}, lose={lose}, crash={crash}.")
    return normal_form(
        _sym2x2(0.0, lose, win, crash),
        id="chicken-v1",
        name="Chicken",
        actions=[("Swerve", "Straight"), ("Swerve", "Straight")],
        description="Going straight wins if the other swerves; if both go straight they crash.",
    )


def battle_of_the_sexes(high: float = 3.0, low: float = 2.0) -> NormalFormGame:
    """Battle of the sexes (Luce and Raiffa 1957): coordinate, but on whose choice?

    Both at the row player's favourite: high/low; both at the column's: low/high; apart: 0.
    """
    if not high > low > 0:
        raise InterplayError(f"battle-of-the-sexes: need high > low > 0, got {high}, {low}.")
    a = np.array([[high, 0.0], [0.0, low]])
    b = np.array([[low, 0.0], [0.0, high]])
    return normal_form(
        np.stack([a, b]),
        id="battle-of-the-sexes-v1",
        name="Battle of the sexes",
        actions=[("Opera", "Football"), ("Opera", "Football")],
        description="Both want to be together, but the first prefers Opera and the second Football.",
    )


def matching_pennies() -> NormalFormGame:
    """Matching pennies (von Neumann and Morgenstern 1944): zero-sum, the row player
    wins +1 when the pennies match, the column player when they differ."""
    a = np.array([[1.0, -1.0], [-1.0, 1.0]])
    return normal_form(
        np.stack([a, -a]),
        id="matching-pennies-v1",
        name="Matching pennies",
        actions=[("Heads", "Tails"), ("Heads", "Tails")],
        description="The first player wins 1 if the pennies match, the second if they differ.",
    )


def coordination(num_actions: int = 2, payoff: float = 1.0) -> NormalFormGame:
    """Pure coordination (Schelling 1960): identical interest, ``payoff`` each when
    both pick the same action, 0 otherwise."""
    num_actions = integer("coordination-v1", "num_actions", num_actions, 2, 1024)
    a = np.eye(num_actions) * float(payoff)
    names = tuple(f"A{k}" for k in range(num_actions))
    return normal_form(
        np.stack([a, a]),
        id="coordination-v1",
        name="Pure coordination",
        actions=[names, names],
        description="Both players score only if they pick the same action.",
    )


def rock_paper_scissors() -> NormalFormGame:
    """Rock-paper-scissors: zero-sum, win +1, loss -1, tie 0."""
    a = np.array([[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]])
    names = ("Rock", "Paper", "Scissors")
    return normal_form(
        np.stack([a, -a]),
        id="rock-paper-scissors-v1",
        name="Rock-paper-scissors",
        actions=[names, names],
        description="Rock beats Scissors, Scissors beats Paper, Paper beats Rock.",
    )


def public_goods(num_players: int = 3, multiplier: float = 1.5, endowment: float = 1.0) -> NormalFormGame:
    """Linear public goods game (e.g. Ledyard 1995).

    Each player keeps its endowment or contributes it; contributions are multiplied
    by ``multiplier`` and shared equally. With 1 < multiplier < num_players,
    contributing is socially best but individually dominated.
    """
    num_players = integer("public-goods-v1", "num_players", num_players, 2, 64)
    multiplier = real("public-goods-v1", "multiplier", multiplier, 0, MAX_PAYOFF, lo_open=True)
    endowment = real("public-goods-v1", "endowment", endowment, -MAX_PAYOFF, MAX_PAYOFF)
    table_size("public-goods-v1", num_players, (2,) * num_players)
    shape = (num_players,) + (2,) * num_players
    pay = np.zeros(shape)
    for joint in itertools.product((0, 1), repeat=num_players):
        contributions = sum(1 for a in joint if a == 0)
        share = multiplier * endowment * contributions / num_players
        for i, a in enumerate(joint):
            pay[(i, *joint)] = share + (endowment if a == 1 else 0.0)
    return normal_form(
        pay,
        id="public-goods-v1",
        name=f"Public goods ({num_players} players, r={multiplier})",
        players=[f"player_{i}" for i in range(num_players)],
        actions=[("Contribute", "Keep")] * num_players,
        description=(
            f"Each of {num_players} players contributes its endowment {endowment} or keeps it; "
            f"contributions are multiplied by {multiplier} and shared equally."
        ),
    )


def volunteers_dilemma(num_players: int = 3, benefit: float = 1.0, cost: float = 0.5) -> NormalFormGame:
    """Volunteer's dilemma (Diekmann 1985): everyone gets ``benefit`` if at least one
    player volunteers; volunteers pay ``cost``."""
    num_players = integer("volunteers-dilemma-v1", "num_players", num_players, 2, 64)
    benefit = real("volunteers-dilemma-v1", "benefit", benefit, -MAX_PAYOFF, MAX_PAYOFF)
    cost = real("volunteers-dilemma-v1", "cost", cost, -MAX_PAYOFF, MAX_PAYOFF)
    table_size("volunteers-dilemma-v1", num_players, (2,) * num_players)
    if not 0 < cost < benefit:
        raise InterplayError(f"volunteers-dilemma: need 0 < cost < benefit, got cost={cost}, benefit={benefit}.")
    shape = (num_players,) + (2,) * num_players
    pay = np.zeros(shape)
    for joint in itertools.product((0, 1), repeat=num_players):
        someone = any(a == 0 for a in joint)
        for i, a in enumerate(joint):
            pay[(i, *joint)] = (benefit if someone else 0.0) - (cost if a == 0 else 0.0)
    return normal_form(
        pay,
        id="volunteers-dilemma-v1",
        name=f"Volunteer's dilemma ({num_players} players)",
        players=[f"player_{i}" for i in range(num_players)],
        actions=[("Volunteer", "Ignore")] * num_players,
        description=(
            f"All {num_players} players get {benefit} if at least one volunteers; "
            f"each volunteer pays {cost}."
        ),
    )


def trust_game(endowment: float = 1.0, multiplier: float = 3.0, returned: float = 0.5) -> NormalFormGame:
    """Binary trust game (Berg, Dickhaut and McCabe 1995; the strategy form of Kreps 1990's version).

    The trustor keeps its ``endowment`` or sends it; a sent endowment is multiplied by
    ``multiplier``; the trustee then returns the fraction ``returned`` of it or keeps it all.
    Payoffs (trustor, trustee): Keep: (endowment, 0); Trust, Return: (m e r, m e (1 - r));
    Trust, Keep: (0, m e). Keeping is dominant for the trustee, so the trustor keeps
    (the subgame-perfect outcome), though trusting and returning is better for both when
    m r > 1.
    """
    endowment = real("trust-game-v1", "endowment", endowment, 0, MAX_PAYOFF, lo_open=True)
    multiplier = real("trust-game-v1", "multiplier", multiplier, 1, MAX_PAYOFF / endowment, lo_open=True)
    returned = real("trust-game-v1", "returned", returned, 0, 1, lo_open=True)
    if not multiplier * returned > 1:
        raise InterplayError(f"trust-game: need multiplier * returned > 1 (trust must pay when returned), got "
                             f"{multiplier} * {returned}.")
    pot = multiplier * endowment
    trustor = np.array([[pot * returned, 0.0], [endowment, endowment]])
    trustee = np.array([[pot * (1 - returned), pot], [0.0, 0.0]])
    return normal_form(
        np.stack([trustor, trustee]),
        id="trust-game-v1",
        name="Trust game",
        players=["trustor", "trustee"],
        actions=[("Trust", "Keep"), ("Return", "Keep")],
        description=(
            f"The trustor keeps its endowment {endowment:g} or sends it to the trustee, who receives "
            f"{multiplier:g} times what was sent; the trustee then returns {returned:g} of it or keeps it "
            "(the trustee's choice counts only if the trustor trusted)."
        ),
    )


def travelers_dilemma(low: int = 2, high: int = 100, bonus: float = 2.0) -> NormalFormGame:
    """Traveler's dilemma (Basu 1994): each claims a whole amount in ``low..high``.

    Both get the lower claim; the lower claimant also gets ``bonus``, the higher one loses
    it; equal claims get the claim. The only Nash equilibrium is both claiming ``low``,
    though both claiming ``high`` is socially best.
    """
    low = integer("travelers-dilemma-v1", "low", low, 0, 10_000)
    high = integer("travelers-dilemma-v1", "high", high, low + 1, low + 1000)
    bonus = real("travelers-dilemma-v1", "bonus", bonus, 0, MAX_PAYOFF, lo_open=True)
    if bonus <= 1:
        raise InterplayError(f"travelers-dilemma: bonus must exceed 1 (undercutting by one must pay), got {bonus}.")
    claims = np.arange(low, high + 1, dtype=float)
    mine, theirs = np.meshgrid(claims, claims, indexing="ij")
    row = np.where(mine == theirs, mine, np.where(mine < theirs, mine + bonus, theirs - bonus))
    names = tuple(str(int(c)) for c in claims)
    return normal_form(
        np.stack([row, row.T]),
        id="travelers-dilemma-v1",
        name=f"Traveler's dilemma ({low}-{high}, bonus {bonus:g})",
        actions=[names, names],
        description=(
            f"Each player claims a whole amount from {low} to {high}. Both are paid the lower claim; "
            f"whoever claimed less also gets {bonus:g} more and whoever claimed more gets {bonus:g} less."
        ),
    )


def custom(
    payoffs: object,
    actions: list[list[str]] | None = None,
    players: list[str] | None = None,
    name: str = "Custom game",
    description: str = "",
    layout: str = "players-first",
) -> NormalFormGame:
    """Any user-given payoff table.

    layout "players-first": shape (n, a_1, ..., a_n), ``payoffs[i][a_1]...[a_n]`` is player
    i's payoff; layout "pairs": shape (a_1, a_2, 2), each cell the (row, column) payoffs.
    """
    return normal_form(
        payoffs, id="custom-v1", name=name, actions=actions, players=players, description=description,
        layout=layout,
    )
