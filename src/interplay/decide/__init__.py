"""Collective decisions from a mixture of experts: aggregation, advisor weighting, importance."""
