"""The ``opponent-shaping`` experiment: learner pairings on a game, one loop for every learner.

Every pairing trains over many seeds at once (see :mod:`interplay.agents.learners`): the
first seat's learner trains the pairing (``train``) and every learner returns the same
record (:class:`~interplay.agents.learners.protocol.LearningRun`); which pairings are
allowed comes from the learners' declared options (game forms, seats, opponents). The
report shows, per pairing, the learning curves and a table of the final numbers: reward
per step and P(cooperate) per state on a tabular game, own-coin rate and coins per step on
the coin game (:mod:`interplay.run.opponent_shaping_coin`, a choice of metrics and plots).
Learners: ``naive``, ``lookahead``, ``lola``, ``sos``, ``fixed`` (any seat) and ``mfos``
(first seat, against a learner with exact gradients); ``pg`` and ``lola-dice`` from
sampled play, on an iterated game or on the coin game (``game: {id: coin-game-v1}``);
``pola-dice`` (GRU actor-critics, the POLA paper's setting) on the coin game.

    kind: opponent-shaping
    game: {id: ipd-v1, params: {convention: lola, discount: 0.96}}
    seeds: 50
    updates: 200
    pairings:
      - learners: [{kind: lola}, {kind: lola}]
      - learners: [{kind: lola}, {kind: naive}]
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

import numpy as np
from pydantic import Field

from interplay.agents.learners.dice import DiCEConfig
from interplay.agents.learners.exact import LOLA, SOS, FixedPolicy, LookAhead, NaiveLearner
from interplay.agents.learners.mfos import MFOSConfig
from interplay.agents.learners.pola import POLAConfig
from interplay.agents.learners.protocol import STATE_NAMES, LearningRun, TrainSettings, check_pairing, game_form
from interplay.errors import InterplayError
from interplay.games.checks import MAX_HORIZON
from interplay.games.protocol import Game
from interplay.run.config import ExperimentConfig, GameConfig, Strict
from interplay.run.context import RunContext
from interplay.run.experiments import experiment
from interplay.run.opponent_shaping_coin import CoinMetrics

Learner = Annotated[NaiveLearner | LookAhead | LOLA | SOS | FixedPolicy | MFOSConfig | DiCEConfig | POLAConfig,
                    Field(discriminator="kind")]
#: Every learner the experiment accepts (their declarations say which pairings are allowed).
LEARNERS: tuple[type, ...] = get_args(get_args(Learner)[0])


class Pairing(Strict):
    """Two learners, first seat then second (their numbers checked like every config's)."""

    name: str | None = Field(default=None, description="label in the report (default: 'LOLA vs NL' style)")
    learners: tuple[Learner, Learner] = Field(description="the two learners' settings, by kind")

    def label(self) -> str:
        return self.name or " vs ".join(lr.label() for lr in self.learners)


def _default_pairings() -> list[Pairing]:
    return [Pairing(learners=(NaiveLearner(), NaiveLearner())), Pairing(learners=(LOLA(), LOLA())),
            Pairing(learners=(LOLA(), NaiveLearner()))]


class OpponentShapingConfig(ExperimentConfig):
    """Learners that account for how their opponents learn: pairings trained on one game."""

    kind: Literal["opponent-shaping"] = "opponent-shaping"
    game: GameConfig = Field(default_factory=lambda: GameConfig(id="ipd-v1",
                                                                 params={"convention": "lola", "discount": 0.96}),
                             description="an iterated 2x2 game, a two-player normal-form game or a coin game")
    pairings: list[Pairing] = Field(default_factory=_default_pairings, min_length=1,
                                    description="learner pairings to train")
    seeds: int = Field(default=50, ge=1, le=100_000, description="independent runs per pairing (batched)")
    updates: int = Field(default=200, ge=1, le=10_000_000,
                         description="learning steps per run (M-FOS: opponent updates per episode)")
    init_std: float = Field(default=1.0, ge=0, le=1e3, description="std of the initial logits, N(0, init_std^2)")
    rollout_batch: int = Field(default=128, ge=1, le=100_000,
                               description="sampled-play learners (pg, lola-dice, pola-dice): episodes per update")
    rollout_length: int = Field(default=150, ge=1, le=MAX_HORIZON,
                                description="sampled-play learners: steps per episode")
    coin_discount: float = Field(default=0.96, gt=0, le=1, description="coin game: gamma of the DiCE objective")

    resumable = True

    def settings(self, idx: int, callback: Any = None) -> TrainSettings:
        """The run's settings for pairing ``idx`` (its seed offset by the index)."""
        return TrainSettings(seeds=self.seeds, updates=self.updates, seed=self.seed + idx, init_std=self.init_std,
                             rollout_batch=self.rollout_batch, rollout_length=self.rollout_length,
                             coin_discount=self.coin_discount, eval_seed=self.seed + 1000 + idx, callback=callback)

    def check(self) -> Game:
        """The game, built; every pairing checked against its learners' declared options."""
        game = self.game.make()
        if game_form(game) is None:
            raise InterplayError(f"game {self.game.id!r}: opponent-shaping learners play iterated 2x2 games, "
                                 "two-player normal-form games and the coin game.")
        for i, p in enumerate(self.pairings):
            check_pairing(game, p.learners, f"pairings[{i}]", list(LEARNERS))
        return game


class TabularMetrics:
    """Reward per step and the policies per state: the metrics of a tabular (iterated or one-shot) game."""

    table = "Reward per step"
    header = ["pairing", "measured", "seat 1", "seat 2", "tit-for-tat-like (1 / 2)"]
    note = ("Average reward per step, (1 - gamma) V for iterated games. Tit-for-tat-like: the final "
            "policy rounds to cooperate after CC and DC and defect after CD and DD (own view).")
    figure_prefix = "curves"

    def __init__(self, cfg: OpponentShapingConfig) -> None:
        self.cfg = cfg

    def log(self, ctx: RunContext, label: str, run: LearningRun) -> None:
        assert run.policies is not None
        mean_curve = run.rewards.mean(0)
        for t in range(0, run.rewards.shape[1], max(1, run.rewards.shape[1] // 100)):
            ctx.log_metric(pairing=label, step=t, reward_1=float(mean_curve[t, 0]), reward_2=float(mean_curve[t, 1]),
                           p_coop_1=run.policies[0][:, t].mean(0).tolist(),
                           p_coop_2=run.policies[1][:, t].mean(0).tolist())

    def _tft(self, run: LearningRun) -> np.ndarray | None:
        return run.tft_like().mean(0) if run.form == "iterated" else None

    def row(self, label: str, run: LearningRun) -> list[str]:
        h, tft = run.headline, self._tft(run)
        return [label, run.headline_name, f"{h[:, 0].mean():.3f} ± {h[:, 0].std():.3f}",
                f"{h[:, 1].mean():.3f} ± {h[:, 1].std():.3f}", "" if tft is None else f"{tft[0]:.2f} / {tft[1]:.2f}"]

    def results(self, run: LearningRun) -> dict[str, Any]:
        tft = self._tft(run)
        return {
            "metric": run.headline_name,
            "reward_per_step_mean": run.headline.mean(0).tolist(),
            "reward_per_step_std": run.headline.std(0).tolist(),
            "tft_like_fraction": None if tft is None else tft.tolist(),
            "final_policies": run.final_policies().tolist(),
            "curve_reward_per_step": run.rewards.mean(0).tolist(),
        }

    def caption(self, label: str, run: LearningRun) -> str:
        return f"{label} on {run.game}: {self.cfg.seeds} seeds."

    def figure(self, label: str, run: LearningRun) -> Any:
        return curves_figure(label, run)


def curves_figure(label: str, run: LearningRun) -> Any:
    """Reward per step (mean ± std over seeds) and each seat's mean policy per state, over time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    assert run.policies is not None
    rewards, probs, iterated = run.rewards, run.policies, run.form == "iterated"
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
    x = np.arange(rewards.shape[1])
    names = label.split(" vs ") if " vs " in label else ["player 1", "player 2"]
    for i, colour in enumerate(("tab:blue", "tab:red")):
        mean, std = rewards[..., i].mean(0), rewards[..., i].std(0)
        axes[0].plot(x, mean, color=colour, label=f"{names[i]} (seat {i + 1})")
        axes[0].fill_between(x, mean - std, mean + std, color=colour, alpha=0.15)
    axes[0].set_title("reward per step (mean ± std over seeds)")
    axes[0].set_xlabel(run.step_name)
    axes[0].legend(fontsize=8)
    states = STATE_NAMES if iterated else tuple(f"action {k}" for k in range(probs[0].shape[-1]))
    for i in range(2):
        for s, name in enumerate(states):
            axes[1 + i].plot(x, probs[i][..., s].mean(0), label=name)
        axes[1 + i].set_ylim(-0.02, 1.02)
        axes[1 + i].set_title(f"{names[i]}: P(cooperate | state)" if iterated else f"{names[i]}: P(action)")
        axes[1 + i].set_xlabel(run.step_name)
        axes[1 + i].legend(fontsize=7)
    fig.suptitle(label)
    fig.tight_layout()
    return fig


@experiment("opponent-shaping", OpponentShapingConfig)
def run_opponent_shaping(cfg: OpponentShapingConfig, ctx: RunContext) -> None:
    game = cfg.check()  # what make returns: every learner takes it as it is
    metrics = CoinMetrics(cfg) if game_form(game) == "coin" else TabularMetrics(cfg)
    rows = []
    results: dict[str, Any] = {}
    # a unit is one pairing (its seeds trained together): journalled when it finishes, with its table
    # row, results and figure; on --resume a finished pairing is put back as it was, not trained again
    finished = ctx.finished_units()
    ctx.plan_units(f"pairing-{idx}" for idx in range(len(cfg.pairings)))
    for idx, pairing in enumerate(ctx.progress(cfg.pairings, "pairings")):
        label = pairing.label()
        key = f"pairing-{idx}"
        kept = finished.get(key)
        if isinstance(kept, dict) and "figure" in kept:
            rows.append(kept["row"])
            results[label] = kept["result"]
            ctx.show_figure(**kept["figure"])
            continue
        first, second = pairing.learners
        with ctx.unit_scope(key):  # its metric rows are kept on resume only once the pairing is done
            log = lambda i, info, lab=label: ctx.log_metric(pairing=lab, iteration=i, **info)  # noqa: E731
            run = first.train(game, second, cfg.settings(idx, callback=log))
            metrics.log(ctx, label, run)
        rows.append(metrics.row(label, run))
        results[label] = {"learners": [lr.model_dump() for lr in pairing.learners], **metrics.results(run)}
        caption, title = metrics.caption(label, run), f"Learning curves: {label}"
        path = ctx.add_figure(f"{metrics.figure_prefix}-{idx + 1}", metrics.figure(label, run), caption=caption,
                              title=title)
        ctx.unit_done(key, {"row": rows[-1], "result": results[label],
                            "figure": {"file": path.name, "caption": caption, "title": title}})
    ctx.add_table(metrics.table, rows, metrics.header, note=metrics.note)
    ctx.results["game"] = game.spec.id
    ctx.results["pairings"] = results
