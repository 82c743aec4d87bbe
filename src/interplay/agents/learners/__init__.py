"""Learners: gradient and opponent-shaping learners on differentiable games (NL, LA, LOLA,
SOS), sampled-play policy-gradient learners (PG, LOLA-DiCE), PPO and M-FOS; POLA-DiCE (and
PG, LOLA-DiCE) with GRU actor-critics on the coin game in :mod:`interplay.agents.learners.pola`.

Every learner follows one protocol (:mod:`interplay.agents.learners.protocol`: declared
options and ``train``) and every training returns one record, :class:`LearningRun`.
See docs/opponent-shaping.md.
"""

from typing import Any

from interplay.agents.learners.dice import DiCEConfig, train_dice
from interplay.agents.learners.differentiable import DifferentiableGame, differentiable
from interplay.agents.learners.exact import (
    LOLA,
    SOS,
    FixedPolicy,
    LookAhead,
    NaiveLearner,
    learned_policies,
    learner_from_name,
    train_exact,
)
from interplay.agents.learners.protocol import Learner, LearningRun, TrainSettings, check_pairing, tit_for_tat_like
from interplay.errors import InterplayError

__all__ = [
    "LOLA", "SOS", "DiCEConfig", "DifferentiableGame", "FixedPolicy", "Learner", "LearningRun", "LookAhead",
    "NaiveLearner", "TrainSettings", "check_pairing", "differentiable", "learned_policies", "learner_from_name",
    "tit_for_tat_like", "train", "train_dice", "train_exact",
]


def train(game: Any, learner: Learner | str, opponent: Learner | str | None = None, **settings: Any) -> LearningRun:
    """Train ``learner`` against ``opponent`` (default: a copy of ``learner``) on ``game``.

    ``game`` is what :func:`interplay.make` returns; a learner is a config (``LOLA()``,
    ``NaiveLearner(lr=0.5)``) or a short name (``"nl"``, ``"la"``, ``"lola"``, ``"sos"``);
    ``settings`` are :class:`TrainSettings` fields (``seeds``, ``updates``, ``seed``, ...).
    The pairing is checked against both learners' declared options first::

        run = interplay.train(interplay.make("ipd-v1", convention="lola", discount=0.96), "lola", seeds=4)
        run.final_policies()
    """
    me = _learner(learner, "learner")
    other = me if opponent is None else _learner(opponent, "opponent")
    unknown = sorted(set(settings) - set(TrainSettings.__dataclass_fields__))
    if unknown:
        raise InterplayError(f"train: unknown setting(s) {unknown}; the settings are "
                             f"{sorted(TrainSettings.__dataclass_fields__)}.")
    check_pairing(game, (me, other), "train", [type(me), type(other)])
    return me.train(game, other, TrainSettings(**settings))


def _learner(x: Any, who: str) -> Learner:
    lr = learner_from_name(x) if isinstance(x, str) else x
    if not isinstance(lr, Learner):
        raise InterplayError(f"train: the {who} must be a learner config (LOLA(), NaiveLearner(), ...) or a short "
                             f"name, got {type(lr).__name__}.")
    return lr
