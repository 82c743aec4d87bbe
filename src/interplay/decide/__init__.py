"""Collective decisions from a mixture of experts.

* :mod:`~interplay.decide.profiles` -- ballots (rankings with ties, approvals, scores)
  of any mix of voters, with weights; conversion to pref_voting.
* :mod:`~interplay.decide.rules` -- every pref_voting rule by name; Condorcet winner or
  majority cycle.
* :mod:`~interplay.decide.axioms` -- the axioms a rule's result violates on a profile.
* :mod:`~interplay.decide.online` -- Hedge, EXP3, EXP4 with regret tracking.
* :mod:`~interplay.decide.importance` -- Shapley (exact, Monte Carlo), Banzhaf,
  leave-one-out, pivotality.
* :mod:`~interplay.decide.advisors` -- people, LLM agents, policies, heuristics.
* :mod:`~interplay.decide.tasks` -- JSONL decisions, generated sequences, game plays.
* :mod:`~interplay.decide.loop` -- one decision by vote; online learning over a task.
"""

from interplay.decide.importance import (
                                         CoalitionGame,
                                         exact_banzhaf,
                                         exact_shapley,
                                         leave_one_out,
                                         monte_carlo_shapley,
                                         pivotal_voters,
                                         weighted_voting_game,
)
from interplay.decide.online import Exp3, Exp4, Hedge, RegretTracker
from interplay.decide.profiles import Ballot, Profile, ballot
from interplay.decide.rules import apply_rule, apply_rules, get_rule, majority, rule_names

__all__ = [
    "Ballot", "CoalitionGame", "Exp3", "Exp4", "Hedge", "Profile", "RegretTracker", "apply_rule", "apply_rules",
    "ballot", "exact_banzhaf", "exact_shapley", "get_rule", "leave_one_out", "majority", "monte_carlo_shapley",
    "pivotal_voters", "rule_names", "weighted_voting_game",
]
