"""How well agents did: tournaments, metrics, ratings, alpha-Rank, equilibria, dynamics.

The main functions, each imported on first use::

    from interplay.evaluate import run_tournament, TournamentSettings, alpharank, elo
"""

from typing import TYPE_CHECKING

from interplay._lazy import lazy_exports

# alpharank and reproduce are also the names of their modules: imported here (both light), so the
# package attribute is the function, not the module
from interplay.evaluate.alpharank import AlphaRank, alpharank
from interplay.evaluate.reproduce import list_reproductions, reproduce

if TYPE_CHECKING:  # what a type checker sees; at run time each is imported on first use
    from interplay.evaluate.dynamics import moran_process, replicator_continuous
    from interplay.evaluate.metagame import nash_average, symmetric_nash
    from interplay.evaluate.metrics import population_metrics
    from interplay.evaluate.negotiation import outcome_metrics
    from interplay.evaluate.ratings import elo, openskill
    from interplay.evaluate.tournament import TournamentResult, TournamentSettings, run_tournament

_EXPORTS = {
    "run_tournament": "interplay.evaluate.tournament",
    "TournamentSettings": "interplay.evaluate.tournament",
    "TournamentResult": "interplay.evaluate.tournament",
    "population_metrics": "interplay.evaluate.metrics",
    "elo": "interplay.evaluate.ratings",
    "openskill": "interplay.evaluate.ratings",
    "moran_process": "interplay.evaluate.dynamics",
    "replicator_continuous": "interplay.evaluate.dynamics",
    "symmetric_nash": "interplay.evaluate.metagame",
    "nash_average": "interplay.evaluate.metagame",
    "outcome_metrics": "interplay.evaluate.negotiation",
}

__all__ = [
    "AlphaRank", "TournamentResult", "TournamentSettings", "alpharank", "elo", "list_reproductions",
    "moran_process", "nash_average", "openskill", "outcome_metrics", "population_metrics",
    "replicator_continuous", "reproduce", "run_tournament", "symmetric_nash",
]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
