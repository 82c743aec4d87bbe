"""interplay: interacting learning agents under one roof.

Games, agents (fixed strategies, learners, LLM agents, humans), talk, collective
decisions, evaluation and safety. The short list of the public API (each name is
imported on first use, so ``import interplay`` stays fast)::

    import interplay
    game = interplay.make("ipd-v1", convention="lola", discount=0.96)
    game.average_rewards([1, 1, 0, 1, 0], [0, 0, 0, 0, 0])  # tit-for-tat vs always-defect
    result = interplay.run_tournament([interplay.strategy("Tit For Tat"), interplay.strategy("Defector")])
    run = interplay.train(game, "lola", seeds=4)

Games: :func:`make`, :func:`list_games`, :func:`register`, :func:`analyze`, :class:`Game`.
Agents: :func:`strategy` (the 224-strategy library), :func:`train` (learners, one
:class:`LearningRun`), :func:`load_model` (language models). Evaluation:
:func:`run_tournament`, :class:`TournamentSettings`, :func:`alpharank`, :func:`reproduce`.
Experiments: :func:`load_config`, :func:`run_experiment` (what ``interplay run`` does).
"""

from typing import TYPE_CHECKING

from interplay._lazy import lazy_exports
from interplay.errors import InterplayError

if TYPE_CHECKING:  # what a type checker (and an editor) sees; at run time each is imported on first use
    from interplay.agents.learners import LearningRun, train
    from interplay.agents.strategies import get as strategy
    from interplay.evaluate.alpharank import alpharank
    from interplay.evaluate.reproduce import reproduce
    from interplay.evaluate.tournament import TournamentSettings, run_tournament
    from interplay.games.analysis import analyze
    from interplay.games.protocol import Game
    from interplay.games.registry import list_games, make, register
    from interplay.llm.config import load_model
    from interplay.run.runner import load_config, run_experiment

_EXPORTS = {
    "make": "interplay.games.registry",
    "list_games": "interplay.games.registry",
    "register": "interplay.games.registry",
    "analyze": "interplay.games.analysis",
    "Game": "interplay.games.protocol",
    "strategy": "interplay.agents.strategies:get",
    "train": "interplay.agents.learners",
    "LearningRun": "interplay.agents.learners.protocol",
    "load_model": "interplay.llm.config",
    "run_tournament": "interplay.evaluate.tournament",
    "TournamentSettings": "interplay.evaluate.tournament",
    "alpharank": "interplay.evaluate.alpharank",
    "reproduce": "interplay.evaluate.reproduce",
    "load_config": "interplay.run.runner",
    "run_experiment": "interplay.run.runner",
}

__all__ = [
    "InterplayError", "__version__", "make", "list_games", "register", "analyze", "Game", "strategy", "train",
    "LearningRun", "load_model", "run_tournament", "TournamentSettings", "alpharank", "reproduce",
    "load_config", "run_experiment",
]
__version__ = "0.1.0"
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
