"""Experiments: typed configs, the runner, executors, the run directory and reports."""
