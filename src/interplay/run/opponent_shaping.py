"""The ``opponent-shaping`` experiment: learner pairings on a differentiable game.

Every pairing trains over many seeds at once (see :mod:`interplay.agents.learners`) and
the report shows, per pairing, the learning curves (reward per step of both players and
P(cooperate) per state) and a table of the final numbers. Learners: ``naive``,
``lookahead``, ``lola``, ``sos``, ``fixed`` (any seat) and ``mfos`` (first seat, against a
learner with exact gradients); ``pg`` and ``lola-dice`` from sampled play, on an iterated
game or on the coin game (``game: {id: coin-game-v1}``, see
:mod:`interplay.run.opponent_shaping_coin`).

    kind: opponent-shaping
    game: {id: ipd-v1, params: {convention: lola, discount: 0.96}}
    seeds: 50
    updates: 200
    pairings:
      - learners: [{kind: lola}, {kind: lola}]
      - learners: [{kind: lola}, {kind: naive}]
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field

from interplay.agents.learners.dice import DiCEConfig, train_dice
from interplay.agents.learners.differentiable import DifferentiableGame, differentiable
from interplay.agents.learners.exact import LOLA, SOS, FixedPolicy, LookAhead, NaiveLearner, train_exact
from interplay.agents.learners.mfos import MFOSConfig, train_mfos
from interplay.errors import InterplayError
from interplay.games.checks import MAX_HORIZON
from interplay.games.coin_game import CoinGame
from interplay.run.config import ExperimentConfig, GameConfig, Strict
from interplay.run.context import RunContext
from interplay.run.experiments import experiment

Learner = Annotated[NaiveLearner | LookAhead | LOLA | SOS | FixedPolicy | MFOSConfig | DiCEConfig,
                    Field(discriminator="kind")]

STATE_NAMES = ("start", "CC", "CD", "DC", "DD")


class Pairing(Strict):
    """Two learners, first seat then second (their numbers checked like every config's)."""

    name: str | None = Field(None, description="label in the report (default: 'LOLA vs NL' style)")
    learners: tuple[Learner, Learner] = Field(description="the two learners' settings, by kind")

    def label(self) -> str:
        short = {"naive": "NL", "lookahead": "LA", "lola": "LOLA", "sos": "SOS", "fixed": "Fixed", "mfos": "M-FOS",
                 "pg": "PG", "lola-dice": "LOLA-DiCE"}
        return self.name or " vs ".join(short[lr.kind] for lr in self.learners)


def _default_pairings() -> list[Pairing]:
    return [Pairing(learners=(NaiveLearner(), NaiveLearner())), Pairing(learners=(LOLA(), LOLA())),
            Pairing(learners=(LOLA(), NaiveLearner()))]


class OpponentShapingConfig(ExperimentConfig):
    """Learners that account for how their opponents learn, on exact game values."""

    kind: Literal["opponent-shaping"] = "opponent-shaping"
    game: GameConfig = Field(default_factory=lambda: GameConfig(id="ipd-v1",
                                                                 params={"convention": "lola", "discount": 0.96}),
                             description="an iterated 2x2 game or a two-player normal-form game")
    pairings: list[Pairing] = Field(default_factory=_default_pairings, min_length=1,
                                    description="learner pairings to train")
    seeds: int = Field(50, ge=1, le=100_000, description="independent runs per pairing (batched)")
    updates: int = Field(200, ge=1, le=10_000_000,
                         description="learning steps per run (M-FOS: opponent updates per episode)")
    init_std: float = Field(1.0, ge=0, le=1e3, description="std of the initial logits, N(0, init_std^2)")
    rollout_batch: int = Field(128, ge=1, le=100_000,
                               description="sampled-play learners (pg, lola-dice): episodes per update")
    rollout_length: int = Field(150, ge=1, le=MAX_HORIZON, description="sampled-play learners: steps per episode")
    coin_discount: float = Field(0.96, gt=0, le=1, description="coin game: gamma of the DiCE objective")

    def check(self) -> DifferentiableGame | CoinGame:
        built = self.game.make()
        if isinstance(built, CoinGame):
            for i, p in enumerate(self.pairings):
                other = [lr.kind for lr in p.learners if lr.kind not in ("pg", "lola-dice")]
                if other:
                    raise InterplayError(f"pairings[{i}]: on the coin game only sampled-play learners (pg, "
                                         f"lola-dice) play; got {', '.join(other)}.")
            return built
        game = differentiable(built)
        for i, p in enumerate(self.pairings):
            kinds = [lr.kind for lr in p.learners]
            if kinds[1] == "mfos":
                raise InterplayError(f"pairings[{i}]: M-FOS must sit in the first seat.")
            sampled = [k in ("pg", "lola-dice") for k in kinds]
            if any(sampled) and not all(sampled):
                raise InterplayError(f"pairings[{i}]: sampled-play learners (pg, lola-dice) play each other only.")
            if (kinds[0] == "mfos" or any(sampled)) and not game.iterated:
                raise InterplayError(f"pairings[{i}]: {kinds[0]} needs an iterated 2x2 game, got {self.game.id!r}.")
            for j, lr in enumerate(p.learners):
                if lr.kind in ("pg", "lola-dice") and lr.hidden:
                    raise InterplayError(f"pairings[{i}].learners[{j}]: hidden layers are for coin-game policies; "
                                         "on an iterated game the policy is 5 memory-one logits.")
                if lr.kind == "fixed":
                    game.policy_from_config(lr.policy)
                if lr.kind == "mfos" and kinds[1] == "fixed":
                    raise InterplayError(f"pairings[{i}].learners[{j}]: M-FOS shapes a learner; "
                                         "its opponent cannot be fixed.")
        return game


def _curves_figure(label: str, game: DifferentiableGame, rewards: np.ndarray, probs: tuple[np.ndarray, np.ndarray],
                   xlabel: str) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
    x = np.arange(rewards.shape[1])
    names = label.split(" vs ") if " vs " in label else ["player 1", "player 2"]
    for i, colour in enumerate(("tab:blue", "tab:red")):
        mean, std = rewards[..., i].mean(0), rewards[..., i].std(0)
        axes[0].plot(x, mean, color=colour, label=f"{names[i]} (seat {i + 1})")
        axes[0].fill_between(x, mean - std, mean + std, color=colour, alpha=0.15)
    axes[0].set_title("reward per step (mean ± std over seeds)")
    axes[0].set_xlabel(xlabel)
    axes[0].legend(fontsize=8)
    states = STATE_NAMES if game.iterated else tuple(f"action {k}" for k in range(probs[0].shape[-1]))
    for i in range(2):
        for s, name in enumerate(states):
            axes[1 + i].plot(x, probs[i][..., s].mean(0), label=name)
        axes[1 + i].set_ylim(-0.02, 1.02)
        axes[1 + i].set_title(f"{names[i]}: P(cooperate | state)" if game.iterated else f"{names[i]}: P(action)")
        axes[1 + i].set_xlabel(xlabel)
        axes[1 + i].legend(fontsize=7)
    fig.suptitle(label)
    fig.tight_layout()
    return fig


@experiment("opponent-shaping", OpponentShapingConfig)
def run_opponent_shaping(cfg: OpponentShapingConfig, ctx: RunContext) -> None:
    game = cfg.check()
    if isinstance(game, CoinGame):
        from interplay.run.opponent_shaping_coin import run_coin_pairings

        run_coin_pairings(cfg, game, ctx)
        return
    rows = []
    results: dict[str, Any] = {}
    for idx, pairing in enumerate(ctx.progress(cfg.pairings, "pairings")):
        label = pairing.label()
        l1, l2 = pairing.learners
        if l1.kind == "mfos":
            mcfg = l1.model_copy(update={"meta_steps": cfg.updates})
            agent = train_mfos(game, l2, mcfg, seed=cfg.seed + idx,
                               callback=lambda i, info, lab=label: ctx.log_metric(pairing=lab, iteration=i, **info))
            run = agent.evaluate(num_seeds=cfg.seeds, seed=cfg.seed + 1000 + idx)
            rewards, probs = run.rewards, (run.mfos_probs, run.opp_probs)
            final = run.final_policies()
            headline = run.mean_rewards  # the paper's metric: mean over meta-steps
            xlabel = "meta-step (opponent update)"
        elif l1.kind in ("pg", "lola-dice"):
            run = train_dice(game, l1, l2, num_seeds=cfg.seeds, num_updates=cfg.updates, batch=cfg.rollout_batch,
                             horizon=cfg.rollout_length, seed=cfg.seed + idx, init_std=cfg.init_std)
            rewards, probs = run.rewards, (run.probs1, run.probs2)
            final = run.final_policies()
            headline = run.final_rewards
            xlabel = "update"
        else:
            run = train_exact(game, l1, l2, num_seeds=cfg.seeds, num_updates=cfg.updates,
                              seed=cfg.seed + idx, init_std=cfg.init_std)
            rewards, probs = run.rewards, (run.probs1, run.probs2)
            final = run.final_policies()
            headline = run.final_rewards
            xlabel = "update"
        mean_curve = rewards.mean(0)
        for t in range(0, rewards.shape[1], max(1, rewards.shape[1] // 100)):
            ctx.log_metric(pairing=label, step=t, reward_1=float(mean_curve[t, 0]), reward_2=float(mean_curve[t, 1]),
                           p_coop_1=probs[0][:, t].mean(0).tolist(), p_coop_2=probs[1][:, t].mean(0).tolist())
        tft = None
        if game.iterated:
            p = final[..., 1:]
            tft = ((p[..., 0] > 0.5) & (p[..., 2] > 0.5) & (p[..., 1] < 0.5) & (p[..., 3] < 0.5)).mean(0)
        metric = "mean over meta-steps" if l1.kind == "mfos" else "after the last update"
        rows.append([label, metric, f"{headline[:, 0].mean():.3f} ± {headline[:, 0].std():.3f}",
                     f"{headline[:, 1].mean():.3f} ± {headline[:, 1].std():.3f}",
                     "" if tft is None else f"{tft[0]:.2f} / {tft[1]:.2f}"])
        results[label] = {
            "learners": [lr.model_dump() for lr in pairing.learners],
            "metric": metric,
            "reward_per_step_mean": headline.mean(0).tolist(),
            "reward_per_step_std": headline.std(0).tolist(),
            "tft_like_fraction": None if tft is None else tft.tolist(),
            "final_policies": final.tolist(),
            "curve_reward_per_step": mean_curve.tolist(),
        }
        ctx.add_figure(f"curves-{idx + 1}", _curves_figure(label, game, rewards, probs, xlabel),
                       caption=f"{label} on {game.id}: {cfg.seeds} seeds.", title=f"Learning curves: {label}")
    ctx.add_table("Reward per step", rows, ["pairing", "measured", "seat 1", "seat 2", "tit-for-tat-like (1 / 2)"],
                  note="Average reward per step, (1 - gamma) V for iterated games. Tit-for-tat-like: the final "
                       "policy rounds to cooperate after CC and DC and defect after CD and DD (own view).")
    ctx.results["game"] = game.id
    ctx.results["pairings"] = results
