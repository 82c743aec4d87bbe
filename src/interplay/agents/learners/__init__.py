"""Learners: gradient and opponent-shaping learners on differentiable games (NL, LA, LOLA,
SOS), sampled-play policy-gradient learners (PG, LOLA-DiCE), PPO and M-FOS; POLA-DiCE (and
PG, LOLA-DiCE) with GRU actor-critics on the coin game in :mod:`interplay.agents.learners.pola`.

Every learner follows one protocol (:mod:`interplay.agents.learners.protocol`: declared
options and ``train``) and every training returns one record, :class:`LearningRun`.
See docs/opponent-shaping.md.
"""

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

__all__ = [
    "LOLA", "SOS", "DiCEConfig", "DifferentiableGame", "FixedPolicy", "Learner", "LearningRun", "LookAhead",
    "NaiveLearner", "TrainSettings", "check_pairing", "differentiable", "learned_policies", "learner_from_name",
    "tit_for_tat_like", "train_dice", "train_exact",
]
