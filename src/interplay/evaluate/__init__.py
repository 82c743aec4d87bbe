"""How well agents did: tournaments, metrics, ratings, alpha-Rank, equilibria, dynamics."""
