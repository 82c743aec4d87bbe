"""Coordination mechanisms over any registered normal-form game.

Repetition and reputation, the delegation and correlated mediators, contracts and
commitments (see docs/coordination.md): :mod:`~interplay.mechanisms.induced` holds the
payoff transformations and the games they induce, :mod:`~interplay.mechanisms.correlated`
the correlated-equilibrium LP, :mod:`~interplay.mechanisms.fast` the fixed-strategy table
as one NumPy program, :mod:`~interplay.mechanisms.play` the per-turn play of LLM agents
and people under each mechanism, and :mod:`~interplay.mechanisms.outcome` the outcome record
both produce.
"""

from interplay.mechanisms.fast import MECHANISMS, TYPES, Settings, simulate
from interplay.mechanisms.roles import Roles, roles

__all__ = ["MECHANISMS", "TYPES", "Roles", "Settings", "roles", "simulate"]
