"""M-FOS's restarts: independent meta-agents trained side by side, the best by training reward kept."""

import numpy as np

from interplay.agents.learners import NaiveLearner, differentiable
from interplay.agents.learners.mfos import MFOSConfig, select_restart, train_mfos


def test_select_restart_uses_the_last_tenth_of_the_training_curve():
    curves = np.zeros((3, 20, 2))
    curves[0, :, 0] = -1.0
    curves[1, :18, 0] = -0.1   # best early, worst in the last two iterations (the last tenth)
    curves[1, 18:, 0] = -2.0
    curves[2, :, 0] = -1.5
    curves[2, 18:, 0] = -0.5
    assert select_restart(curves) == 2
    assert select_restart(curves[:, :5]) == 1  # 5 iterations: the tail is the last one
    assert select_restart(curves[:1]) == 0
    curves[2, -1, 0] = np.nan  # a restart that diverged is never kept
    assert select_restart(curves) == 0


def test_train_keeps_the_selected_restart():
    game = differentiable("ipd-v1", convention="lola", discount=0.96)
    cfg = MFOSConfig(iterations=3, episodes=4, meta_steps=5, restarts=3)
    run = train_mfos(game, NaiveLearner(), cfg, seed=0, num_seeds=2)  # evaluated on seed 1 (seed + 1)
    agent = run.extras["agent"]  # the kept meta-agent
    assert agent.restart_curves.shape == (3, 3, 2)
    best = select_restart(agent.restart_curves)
    np.testing.assert_array_equal(agent.curve, agent.restart_curves[best])
    # the restarts start from different networks, so they do not train in lockstep
    assert not np.allclose(agent.restart_curves[0], agent.restart_curves[1])
    # the kept parameters are one agent's (no restart axis)
    assert agent.params["log_std"].shape == (5,)
    assert run.rewards.shape == (2, 5, 2)
    np.testing.assert_array_equal(agent.evaluate(num_seeds=2, seed=1).rewards, run.rewards)
