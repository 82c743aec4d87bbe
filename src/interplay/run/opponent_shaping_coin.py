"""The ``opponent-shaping`` experiment on the coin game: PG and LOLA-DiCE pairings.

Reached from an ``opponent-shaping`` YAML whose game is a coin game (see
:mod:`interplay.agents.learners.dice_coin`). Per pairing the report shows, over the
updates, each agent's own-coin pick-up rate, coins picked per step and reward per step
(on the batch each update was computed from), and a table of the final numbers.

    kind: opponent-shaping
    game: {id: coin-game-v1}
    seeds: 4
    updates: 100
    rollout_batch: 64
    rollout_length: 50
    pairings:
      - learners: [{kind: lola-dice, lr: 2.0, lr_inner: 2.0}, {kind: pg, lr: 2.0}]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from interplay.agents.learners.dice_coin import DiCECoinRun, train_dice_coin
from interplay.games.coin_game import CoinGame
from interplay.run.context import RunContext

if TYPE_CHECKING:
    from interplay.run.opponent_shaping import OpponentShapingConfig


def _smooth(x: np.ndarray, k: int) -> np.ndarray:
    if k <= 1 or x.shape[0] < k:
        return x
    return np.convolve(x, np.ones(k) / k, mode="valid")


def _curves(label: str, run: DiCECoinRun, k: int) -> Any:
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


def run_coin_pairings(cfg: OpponentShapingConfig, game: CoinGame, ctx: RunContext) -> None:
    """Train every pairing of sampled-play learners on ``game`` and report the coin-game metrics."""
    rows, results = [], {}
    last = max(1, cfg.updates // 10)
    for idx, pairing in enumerate(ctx.progress(cfg.pairings, "pairings")):
        label = pairing.label()
        l1, l2 = pairing.learners
        run = train_dice_coin(game, l1, l2, num_seeds=cfg.seeds, num_updates=cfg.updates, batch=cfg.rollout_batch,
                              horizon=cfg.rollout_length, gamma=cfg.coin_discount, seed=cfg.seed + idx)
        own, cps, rew = run.own_coin_rate(), run.coins_per_step().mean(0), run.rewards.mean(0)
        for t in range(0, cfg.updates, max(1, cfg.updates // 100)):
            ctx.log_metric(pairing=label, step=t, own_coin_rate=own[t].tolist(), coins_per_step=cps[t].tolist(),
                           reward_per_step=rew[t].tolist())
        final = run.metrics(last)
        first = _first_window(run, last)
        rows.append([label] + [f"{final['own_coin_rate'][i]:.3f}" for i in range(2)]
                    + [f"{run.coins_per_step()[:, -last:, i].mean():.3f}" for i in range(2)]
                    + [f"{v:.3f}" for v in final["return_per_agent"]]
                    + [f"{first['coins_per_step']:.3f}"])
        results[label] = {
            "learners": [lr.model_dump() for lr in pairing.learners],
            "final_window_updates": last,
            "own_coin_rate": final["own_coin_rate"],
            "coins_per_step": [float(run.coins_per_step()[:, -last:, i].mean()) for i in range(2)],
            "reward_per_step": final["return_per_agent"],
            "first_window": first,
            "curve_own_coin_rate": own.tolist(),
            "curve_coins_per_step": cps.tolist(),
            "curve_reward_per_step": rew.tolist(),
        }
        ctx.add_figure(f"coin-curves-{idx + 1}", _curves(label, run, max(1, cfg.updates // 20)),
                       caption=f"{label} on {game.spec.id} ({game.grid_size}x{game.grid_size}): {cfg.seeds} seeds, "
                               f"{cfg.rollout_batch} episodes of {cfg.rollout_length} steps per update.",
                       title=f"Learning curves: {label}")
    ctx.add_table("Coin game, last updates", rows,
                  ["pairing", "own-coin rate (red)", "own-coin rate (blue)", "coins/step (red)", "coins/step (blue)",
                   "reward/step (red)", "reward/step (blue)", "coins/step at the start (both)"],
                  note=f"Means over seeds and the last {last} updates, on the batches the updates were computed "
                       "from. Selfish play picks about half its own coins (rate 0.5); cooperative play near 1.")
    ctx.results["game"] = game.spec.id
    ctx.results["pairings"] = results


def _first_window(run: DiCECoinRun, window: int) -> dict[str, float]:
    """Coins picked per step (both agents) and own-coin rate over the first ``window`` updates."""
    own = run.own_coin_rate()[:window]
    return {"coins_per_step": float(run.coins_per_step()[:, :window].sum(axis=2).mean()),
            "own_coin_rate": float(np.nanmean(own))}
