"""interplay: interacting learning agents under one roof.

Games, agents (fixed strategies, learners, LLM agents, humans), talk, collective
decisions, evaluation and safety. Start with :func:`make`::

    import interplay
    game = interplay.make("ipd-v1", convention="lola", discount=0.96)
    game.average_rewards([1, 1, 0, 1, 0], [0, 0, 0, 0, 0])  # tit-for-tat vs always-defect
"""

from interplay.errors import InterplayError
from interplay.games.registry import list_games, make, register

__all__ = ["InterplayError", "list_games", "make", "register", "__version__"]
__version__ = "0.1.0"
