"""What is played: normal-form and iterated games, the registry, and adapters.

Games know nothing of agents. Build one with :func:`interplay.make`.
"""

from interplay.games.normal_form import NormalFormGame, normal_form
from interplay.games.protocol import Game, SteppedGame
from interplay.games.spec import Dynamics, GameSpec, UtilityKind

__all__ = ["Dynamics", "Game", "GameSpec", "NormalFormGame", "SteppedGame", "UtilityKind", "normal_form"]
