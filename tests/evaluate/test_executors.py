"""The same tournament on a local Ray instance gives the same results as in-process."""

from __future__ import annotations

import numpy as np

from interplay.evaluate.tournament import run_tournament
from interplay.run.executors import LocalExecutor, RayExecutor, get_executor


def test_ray_tournament_equals_local():
    import ray

    players = ["Random: 0.5", "Tit For Tat", "GTFT", "Defector", "Grudger", "ZD-Extort-2"]
    kw = {"turns": 50, "repetitions": 8, "noise": 0.01, "seed": 5}
    local = run_tournament(players, executor=get_executor({"kind": "local"}), **kw)
    assert isinstance(get_executor(None), LocalExecutor)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        ex = RayExecutor()
        import interplay.evaluate.tournament as tour

        old = tour.BLOCK_MATCHES
        tour.BLOCK_MATCHES = 60  # several blocks, so several Ray tasks
        try:
            remote = run_tournament(players, executor=ex, **kw)
        finally:
            tour.BLOCK_MATCHES = old
    finally:
        ray.shutdown()
    np.testing.assert_array_equal(local.scores, remote.scores)
    np.testing.assert_array_equal(local.state_distribution, remote.state_distribution)
    np.testing.assert_array_equal(local.payoff_matrix, remote.payoff_matrix)
