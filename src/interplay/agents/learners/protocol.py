"""The Learner protocol and the one record every learner's training returns.

A learner is a frozen config of one ``kind`` (NL, LA, LOLA, SOS, a fixed policy, M-FOS, PG,
LOLA-DiCE, POLA-DiCE) that declares what it plays, so that an experiment checks a pairing
and trains it without knowing any kind by name:

* ``family``: learners of one family are trained together by one trainer (exact gradients,
  a meta-learner, sampled play); ``opponents``: the families it may face;
* ``forms``: the game forms it plays (:data:`FORMS`: ``matrix``, ``iterated``, ``coin``);
* ``first_seat_only``, ``learns``; ``check_rules(game, opponent, where)`` for its own rules;
* ``train(game, opponent, settings)`` trains the pairing (this learner in the first seat)
  and returns a :class:`LearningRun`.

Every trainer (``train_exact``, ``train_dice``, ``train_dice_coin``, ``train_mfos``,
``train_pola_coin``, ``train_independent_ppo``) returns a :class:`LearningRun`: the same
fields whatever the learner (policies and rewards over time, the headline metric, the
settings and seed), with a leading seed axis.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol, get_args, runtime_checkable

import numpy as np

from interplay.errors import InterplayError

#: The game forms learners play, in words for messages.
FORMS: dict[str, str] = {
    "matrix": "two-player normal-form game",
    "iterated": "iterated 2x2 game",
    "coin": "coin game",
}
Form = Literal["matrix", "iterated", "coin"]

#: Families of learners, in words for messages.
FAMILIES: dict[str, str] = {
    "exact": "exact-gradient learners",
    "meta": "meta-learners",
    "sampled": "sampled-play learners",
}

#: The states of a memory-one policy, own view (own move first), start first.
STATE_NAMES = ("start", "CC", "CD", "DC", "DD")


def game_form(game: object) -> Form | None:
    """The form of a game as learners see it (None if no learner plays it).

    Takes what :func:`interplay.make` returns or a
    :class:`~interplay.agents.learners.differentiable.DifferentiableGame`.
    """
    from interplay.agents.learners.differentiable import DifferentiableGame
    from interplay.games.coin_game import CoinGame
    from interplay.games.iterated import IteratedGame
    from interplay.games.normal_form import NormalFormGame

    if isinstance(game, DifferentiableGame):
        return "iterated" if game.iterated else "matrix"
    if isinstance(game, IteratedGame):
        return "iterated"
    if isinstance(game, CoinGame):
        return "coin"
    if isinstance(game, NormalFormGame) and game.num_players == 2:
        return "matrix"
    return None


def game_id(game: object) -> str:
    spec = getattr(game, "spec", None)
    return str(getattr(spec, "id", None) or getattr(game, "id", type(game).__name__))


def tit_for_tat_like(policies: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Does a memory-one policy round to tit-for-tat after every last joint action?

    ``policies``: (..., 5) P(cooperate) per state, own view (own move first), start first.
    Our criterion (LOLA's paper does not spell one out): P(C | CC) and P(C | DC) above
    ``threshold`` and P(C | CD) and P(C | DD) below it. The start state is ignored.
    """
    p = np.asarray(policies)[..., 1:]
    return (p[..., 0] > threshold) & (p[..., 2] > threshold) & (p[..., 1] < threshold) & (p[..., 3] < threshold)


@dataclass(frozen=True)
class LearningRun:
    """One pairing's training, whatever the learners (S seeds, T points in time).

    Attributes:
        learners: the two learners' labels, first seat first.
        game: the game's id; ``form``: its form (:data:`FORMS`).
        step_name: what one point in time is ("update", "meta-step (opponent update)").
        rewards: (S, T, 2) reward per step of each seat at each point (exact for the
            tabular games; on the batch of that update for the coin game).
        policies: per seat (S, T, D) tabular policies over time (P(cooperate | state), own
            view, start first, for iterated games; mixed strategies for one-shot games), or
            None when the policies are networks (the coin game).
        headline: (S, 2) the headline metric per seed and seat; ``headline_name`` says which
            (the reward per step after the last update, or M-FOS's mean over meta-steps).
        config: the learners' and the run's settings, seed included.
        params: the final parameters per seat (leading seed axis), or None.
        picks: (S, T, 2, 2) coin game only: coins of [owner] picked by [agent] at each update.
        steps_per_update: environment steps behind one point of ``picks`` (coin game).
        env_steps, seconds: environment steps sampled by the timed part of training, and its
            wall time (0 when not measured).
        extras: learner-specific diagnostics (exact values, M-FOS's training curve, ...).
    """

    learners: tuple[str, str]
    game: str
    form: str
    step_name: str
    rewards: np.ndarray
    policies: tuple[np.ndarray, np.ndarray] | None
    headline: np.ndarray
    headline_name: str
    config: dict[str, Any] = field(default_factory=dict)
    params: tuple[Any, Any] | None = None
    picks: np.ndarray | None = None
    steps_per_update: int = 0
    env_steps: int = 0
    seconds: float = 0.0
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def seed(self) -> int:
        return int(self.config.get("seed", 0))

    @property
    def label(self) -> str:
        return " vs ".join(self.learners)

    # -- tabular policies --------------------------------------------------------------
    def final_policies(self) -> np.ndarray:
        """(S, 2, D) final policies; for iterated games 5 probabilities each, own view, start first.

        This is what a tournament takes as a learned memory-one entrant.
        """
        if self.policies is None:
            raise InterplayError(f"{self.label} on {self.game}: the policies are networks, not tables; "
                                 "see .params for the final parameters.")
        return np.stack([self.policies[0][:, -1], self.policies[1][:, -1]], axis=1)

    def tft_like(self, threshold: float = 0.5) -> np.ndarray:
        """(S, 2) bool: does each final policy round to tit-for-tat (see :func:`tit_for_tat_like`)?"""
        if self.form != "iterated":
            raise InterplayError("tit-for-tat-like is defined for iterated 2x2 games only.")
        return tit_for_tat_like(self.final_policies(), threshold)

    # -- coin-game counts --------------------------------------------------------------
    def _picks(self) -> np.ndarray:
        if self.picks is None:
            raise InterplayError(f"{self.label} on {self.game}: coin pick-ups are counted on the coin game only.")
        return self.picks

    def own_coin_rate(self) -> np.ndarray:
        """(T, 2) fraction of the coins each agent picked that were its own, pooled over seeds."""
        p = self._picks().sum(axis=0)
        own = np.stack([p[:, 0, 0], p[:, 1, 1]], axis=1)
        return own / np.maximum(p.sum(axis=2), 1)

    def seed_own_coin_rate(self, last: int) -> np.ndarray:
        """(S,) own-coin rate of both agents together over the last ``last`` updates, per seed."""
        p = self._picks()[:, -last:].sum(axis=1)  # (S, 2, 2)
        own = p[:, 0, 0] + p[:, 1, 1]
        return own / np.maximum(p.sum(axis=(1, 2)), 1)

    def coins_per_step(self) -> np.ndarray:
        """(S, T, 2) coins each agent picked per environment step."""
        return self._picks().sum(axis=3) / max(self.steps_per_update, 1)

    def metrics(self, last: int = 10) -> dict[str, object]:
        """Coin-game metrics over the last ``last`` updates of every seed."""
        from interplay.games.coin_game import coin_metrics

        return coin_metrics(self._picks()[:, -last:], self.rewards[:, -last:])

    @property
    def steps_per_second(self) -> float:
        return self.env_steps / max(self.seconds, 1e-9)


@dataclass(frozen=True)
class TrainSettings:
    """A run's settings, shared by every pairing (each learner reads what applies to it)."""

    seeds: int = 8
    updates: int = 200
    seed: int = 0
    init_std: float = 1.0
    rollout_batch: int = 128
    rollout_length: int = 150
    coin_discount: float = 0.96
    eval_seed: int = 1000
    callback: Callable[[int, dict[str, Any]], None] | None = None


@runtime_checkable
class Learner(Protocol):
    """What every learner config declares (see the module docstring)."""

    @property
    def kind(self) -> str: ...

    short: ClassVar[str]
    family: ClassVar[str]
    opponents: ClassVar[frozenset[str]]
    forms: ClassVar[frozenset[str]]
    first_seat_only: ClassVar[bool]
    learns: ClassVar[bool]

    def label(self) -> str: ...

    def check_rules(self, game: Any, opponent: Learner, where: str) -> None: ...

    def train(self, game: Any, opponent: Learner, settings: TrainSettings) -> LearningRun: ...


class LearnerOptions:
    """Defaults of the declared options (mixed into every learner config)."""

    short: ClassVar[str] = "?"
    family: ClassVar[str] = "exact"
    opponents: ClassVar[frozenset[str]] = frozenset({"exact"})
    forms: ClassVar[frozenset[str]] = frozenset({"matrix", "iterated"})
    first_seat_only: ClassVar[bool] = False
    learns: ClassVar[bool] = True

    def label(self) -> str:
        return self.short

    def check_rules(self, game: Any, opponent: Learner, where: str) -> None:
        """Rules of this learner beyond its declared options; raise InterplayError naming ``where``."""


def check_pairing(game: Any, learners: tuple[Learner, Learner], where: str, catalogue: list[type]) -> None:
    """Check a pairing against the learners' declared options (game form, seat, opponents).

    ``catalogue``: every learner class an experiment accepts (to say which ones play a form).
    """
    form = game_form(game)
    gid = game_id(game)
    for seat, lr in enumerate(learners):
        if seat == 1 and lr.first_seat_only:
            raise InterplayError(f"{where}: {lr.label()} must sit in the first seat.")
    for lr in learners:
        if form not in lr.forms:
            plays = " or ".join(FORMS[f] + "s" for f in sorted(lr.forms))
            msg = f"{where}: {lr.kind} plays {plays} only, got {gid!r}"
            families: dict[str, list[str]] = {}
            for c in catalogue:
                if form in c.forms:
                    families.setdefault(c.family, []).append(_kind(c))
            if form is not None and families:
                who = " and ".join(f"{FAMILIES[f]} ({', '.join(k)})" for f, k in families.items())
                msg += f"; on the {FORMS[form]} only {who} play"
            raise InterplayError(msg + ".")
    a, b = learners
    refused = [(me, other) for me, other in ((a, b), (b, a)) if other.family not in me.opponents]
    for me, other in sorted(refused, key=lambda pair: pair[0].opponents != frozenset({pair[0].family})):
        if me.opponents == frozenset({me.family}):
            raise InterplayError(f"{where}: {FAMILIES[me.family]} ({me.kind}) play each other only.")
        raise InterplayError(f"{where}: {me.kind} does not play {FAMILIES[other.family]} ({other.kind}).")
    for j, lr in enumerate(learners):
        lr.check_rules(game, learners[1 - j], f"{where}.learners[{j}]")


def _kind(cls: type) -> str:
    """The kind names of a learner config class (every value its ``kind`` field takes)."""
    fields = getattr(cls, "model_fields", None)
    if not fields or "kind" not in fields:
        return cls.__name__
    return ", ".join(str(k) for k in get_args(fields["kind"].annotation)) or str(fields["kind"].default)

