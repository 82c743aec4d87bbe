"""Learners: gradient and opponent-shaping learners on differentiable games (NL, LA, LOLA,
SOS), sampled-play policy-gradient learners (PG, LOLA-DiCE), PPO and M-FOS; POLA-DiCE (and
PG, LOLA-DiCE) with GRU actor-critics on the coin game in :mod:`interplay.agents.learners.pola`.

See docs/opponent-shaping.md.
"""

from interplay.agents.learners.dice import DiCEConfig, train_dice
from interplay.agents.learners.differentiable import DifferentiableGame, differentiable
from interplay.agents.learners.exact import (
    LOLA,
    SOS,
    ExactRun,
    FixedPolicy,
    LookAhead,
    NaiveLearner,
    learned_policies,
    learner_from_name,
    train_exact,
)

__all__ = [
    "LOLA", "SOS", "DiCEConfig", "DifferentiableGame", "ExactRun", "FixedPolicy", "LookAhead", "NaiveLearner",
    "differentiable", "learned_policies", "learner_from_name", "train_dice",
    "train_exact",
]
