"""Coin-game metrics and plots for the ``opponent-shaping`` experiment.

The experiment's loop (:mod:`interplay.run.opponent_shaping`) chooses these on a coin game:
per pairing the report shows, over the updates, each agent's own-coin pick-up rate, coins
picked per step and reward per step (on a fresh evaluation batch after each update), and a
table of the final numbers. Learners: ``pg`` and ``lola-dice`` (feed-forward policies),
``pola-dice`` (GRU actor-critics; with ``inner_steps: 1, outer_steps: 1, inner_beta: 0,
outer_beta: 0`` the POLA paper's LOLA-DiCE, with ``inner_steps: 0`` its PG).

    kind: opponent-shaping
    game: {id: coin-game-v1}
    seeds: 4
    updates: 100
    rollout_batch: 64
    rollout_length: 50
    pairings:
      - learners: [{kind: lola-dice, lr: 2.0, lr_inner: 2.0}, {kind: pg, lr: 2.0}]
      - learners: [{kind: pola-dice, outer_steps: 10}, {kind: pola-dice, outer_steps: 10}]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from interplay.agents.learners.protocol import LearningRun
from interplay.run.context import RunContext


def _smooth(x: np.ndarray, k: int) -> np.ndarray:
    if k <= 1 or x.shape[0] < k:
        return x
    return np.convolve(x, np.ones(k) / k, mode="valid")


def _curves(label: str, run: LearningRun, k: int) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = label.split(" vs ") if " vs " in label else ["red", "blue"]
    own, cps, rew = run.own_coin_rate(), run.coins_per_step().mean(0), run.rewards.mean(0)
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
    for i, colour in enumerate(("tab:red", "tab:blue")):
        tag = f"{names[i]} ({'red' if i == 0 else 'blue'})"
        for ax, y in zip(axes, (own[:, i], cps[:, i], rew[:, i]), strict=True):
            ys = _smooth(y, k)
            ax.plot(np.arange(len(ys)) + (len(y) - len(ys)), ys, color=colour, label=tag)
    for ax, title in zip(axes, ("own-coin pick-up rate", "coins picked per step", "reward per step"), strict=True):
        ax.set_title(f"{title} (mean over seeds)")
        ax.set_xlabel("update")
        ax.legend(fontsize=8)
    axes[0].axhline(0.5, color="grey", lw=0.8, ls="--")
    fig.suptitle(f"{label} (moving average over {k} updates)" if k > 1 else label)
    fig.tight_layout()
    return fig


class CoinMetrics:
    """Own-coin rate, coins per step and reward per step, over the last tenth of the updates."""

    table = "Coin game, last updates"
    header = ["pairing", "own-coin rate (red)", "own-coin rate (blue)", "coins/step (red)", "coins/step (blue)",
              "reward/step (red)", "reward/step (blue)", "coins/step at the start (both)"]
    figure_prefix = "coin-curves"

    def __init__(self, cfg: Any) -> None:
        self.cfg = cfg
        self.last = max(1, cfg.updates // 10)
        self.note = (f"Means over seeds and the last {self.last} updates, on a fresh evaluation batch after each "
                     "update. Selfish play picks about half its own coins (rate 0.5); cooperative play near 1.")

    def log(self, ctx: RunContext, label: str, run: LearningRun) -> None:
        own, cps, rew = run.own_coin_rate(), run.coins_per_step().mean(0), run.rewards.mean(0)
        for t in range(0, self.cfg.updates, max(1, self.cfg.updates // 100)):
            ctx.log_metric(pairing=label, step=t, own_coin_rate=own[t].tolist(), coins_per_step=cps[t].tolist(),
                           reward_per_step=rew[t].tolist())

    def _final(self, run: LearningRun) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Own-coin rate, coins per step and reward per step of each agent over the last updates."""
        final = run.metrics(self.last)
        cps = run.coins_per_step()[:, -self.last:].mean(axis=(0, 1))
        return np.asarray(final["own_coin_rate"], float), cps, np.asarray(final["return_per_agent"], float)

    def row(self, label: str, run: LearningRun) -> list[str]:
        own, cps, rew = self._final(run)
        return ([label] + [f"{v:.3f}" for v in (*own, *cps, *rew)]
                + [f"{_first_window(run, self.last)['coins_per_step']:.3f}"])

    def results(self, run: LearningRun) -> dict[str, Any]:
        last = self.last
        final_own, final_cps, final_rew = self._final(run)
        own, cps, rew = run.own_coin_rate(), run.coins_per_step().mean(0), run.rewards.mean(0)
        return {
            "final_window_updates": last,
            "own_coin_rate": final_own.tolist(),
            "coins_per_step": final_cps.tolist(),
            "reward_per_step": final_rew.tolist(),
            "first_window": _first_window(run, last),
            "curve_own_coin_rate": own.tolist(),
            "curve_coins_per_step": cps.tolist(),
            "curve_reward_per_step": rew.tolist(),
        }

    def caption(self, label: str, run: LearningRun) -> str:
        size = self.cfg.game.params.get("grid_size", 3)
        return (f"{label} on {run.game} ({size}x{size}): {self.cfg.seeds} seeds, {self.cfg.rollout_batch} episodes "
                f"of {self.cfg.rollout_length} steps per update.")

    def figure(self, label: str, run: LearningRun) -> Any:
        return _curves(label, run, max(1, self.cfg.updates // 20))


def _first_window(run: LearningRun, window: int) -> dict[str, float]:
    """Coins picked per step (both agents) and own-coin rate over the first ``window`` updates."""
    own = run.own_coin_rate()[:window]
    return {"coins_per_step": float(run.coins_per_step()[:, :window].sum(axis=2).mean()),
            "own_coin_rate": float(np.nanmean(own))}
