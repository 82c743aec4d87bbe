"""The ``population`` experiment: memory-one strategies in an iterated game, exact
values and sampled play side by side (the showcase's first part)."""

from __future__ import annotations

from typing import Any, Literal

import jax
import jax.numpy as jnp
import numpy as np
from pydantic import Field

from interplay.agents.memory_one import population
from interplay.errors import InterplayError
from interplay.games.iterated import IteratedGame, batched_average_rewards, sample_play
from interplay.run.config import ExperimentConfig, GameConfig
from interplay.run.context import RunContext
from interplay.run.experiments import experiment
from interplay.safety.evaluation import memory_one_columns
from interplay.safety.spec import SafetyConfig

DEFAULT_AGENTS: dict[str, Any] = {
    "Cooperator": "Cooperator",
    "Defector": "Defector",
    "Tit For Tat": "Tit For Tat",
    "Win-Stay Lose-Shift": "Win-Stay Lose-Shift",
    "Random: 0.5": "Random: 0.5",
}


class PopulationConfig(ExperimentConfig):
    """Every pair of memory-one agents, exact discounted values and sampled matches."""

    kind: Literal["population"] = "population"
    game: GameConfig = Field(default_factory=lambda: GameConfig(id="ipd-v1"))
    agents: dict[str, str | list[float]] = Field(
        default_factory=lambda: dict(DEFAULT_AGENTS),
        description="display name -> strategy name or 5 probabilities [start, CC, CD, DC, DD]",
    )
    matches: int = Field(default=1000, ge=2, description="sampled matches per ordered pair")
    safety: SafetyConfig | None = Field(default=None,
                                        description="forbidden (joint) actions: adds exact violations and "
                                                          "costs per turn to the safety columns")

    #: a unit is one row player's sampled play against everyone (``row-I``)
    resumable = True

    def check(self) -> None:
        game = self.game.make()
        if not isinstance(game, IteratedGame):
            raise InterplayError(
                f"game.id: the population experiment needs an iterated 2x2 game (e.g. ipd-v1), got {self.game.id!r}."
            )
        population(self.agents)


def pairwise(game: IteratedGame, probs: np.ndarray, key: jax.Array, matches: int,
             progress: Any = None, done: dict[int, dict[str, Any]] | None = None,
             on_row: Any = None) -> dict[str, np.ndarray]:
    """Exact and sampled average reward per step for every ordered pair (row player's view).

    The sampled estimate is (1 - gamma) times the discounted return, truncated at the
    game's horizon (bias at most gamma^horizon times the payoff range). Each row player's
    sampled play is one unit with its own key: ``on_row(i, row)`` gets its numbers as it
    finishes, and rows in ``done`` (``{i: row}`` from an earlier run) are taken as they are.
    """
    n = len(probs)
    p = jnp.asarray(probs, jnp.float32)
    rows, cols = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    exact = np.asarray(batched_average_rewards(p[rows.ravel()], p[cols.ravel()], game.payoffs,
                                               game.discount, game.noise))
    exact_row = exact[:, 0].reshape(n, n)
    sampled = np.zeros((n, n))
    stderr = np.zeros((n, n))
    coop = np.zeros((n, n))
    keys = jax.random.split(key, n)
    it = range(n) if progress is None else progress(range(n), "sampled play")
    for i in it:
        if done and i in done:
            row = done[i]
            sampled[i], stderr[i], coop[i] = (np.asarray(row[k], dtype=float) for k in ("sampled", "stderr", "coop"))
            continue
        b1 = jnp.repeat(p[i][None], n * matches, axis=0)
        b2 = jnp.repeat(p, matches, axis=0)
        res = sample_play(keys[i], b1, b2, game.payoffs, horizon=game.horizon, discount=game.discount,
                          noise=game.noise)
        per_step = (1.0 - game.discount) * np.asarray(res.discounted[:, 0]).reshape(n, matches)
        sampled[i] = per_step.mean(1)
        stderr[i] = per_step.std(1, ddof=1) / np.sqrt(matches)
        coop[i] = np.asarray(res.cooperation[:, 0]).reshape(n, matches).mean(1)
        if on_row is not None:
            on_row(i, {"sampled": sampled[i].tolist(), "stderr": stderr[i].tolist(), "coop": coop[i].tolist()})
    return {"exact": exact_row, "sampled": sampled, "stderr": stderr, "cooperation": coop}


@experiment("population", PopulationConfig)
def run_population(cfg: PopulationConfig, ctx: RunContext) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    game = cfg.game.make()
    if not isinstance(game, IteratedGame):  # check() built it once already; this narrows the type
        raise InterplayError(f"game.id: {cfg.game.id!r} is not an iterated 2x2 game.")
    names, probs = population(cfg.agents)
    n = len(names)
    finished = ctx.finished_units()
    ctx.plan_units(f"row-{i}" for i in range(n))
    done = {i: finished[f"row-{i}"] for i in range(n) if isinstance(finished.get(f"row-{i}"), dict)}
    out = pairwise(game, probs, jax.random.PRNGKey(cfg.seed), cfg.matches, ctx.progress, done=done,
                   on_row=lambda i, row: ctx.unit_done(f"row-{i}", {"player": names[i], **row}))
    exact, sampled, se = out["exact"], out["sampled"], out["stderr"]
    # truncation at the horizon biases the sampled value by at most gamma^H * payoff range
    bias = game.discount**game.horizon * float(np.ptp(np.asarray(game.payoffs))) + 1e-4
    z = np.abs(sampled - exact) / np.maximum(se, bias)
    score_exact = exact.mean(1)
    score_sampled = sampled.mean(1)
    order = np.argsort(-score_exact, kind="stable")
    ctx.results.update({
        "game": game.spec.id,
        "discount": game.discount,
        "horizon": game.horizon,
        "players": names,
        "policies": {k: v.tolist() for k, v in zip(names, probs)},
        "exact_payoff_matrix": exact,
        "sampled_payoff_matrix": sampled,
        "sampled_stderr": se,
        "cooperation_matrix": out["cooperation"],
        "scores_exact": dict(zip(names, score_exact)),
        "scores_sampled": dict(zip(names, score_sampled)),
        "ranked_names": [names[k] for k in order],
        "max_abs_z": float(z.max()),
        "within_99ci_fraction": float((z <= 2.576).mean()),
    })
    for i in range(n):
        for j in range(n):
            ctx.log_metric(row=names[i], col=names[j], exact=exact[i, j], sampled=sampled[i, j], stderr=se[i, j])
    ctx.add_table(
        "Ranking (mean average reward per step over all opponents, self included)",
        [[k + 1, names[o], score_exact[o], score_sampled[o]] for k, o in enumerate(order)],
        ["rank", "agent", "exact", "sampled"],
        note=(f"{game.spec.id}, discount {game.discount}, {cfg.matches} sampled matches "
              f"of {game.horizon} turns per pair."),
    )
    # safety columns (interplay.safety.evaluation): exact exploitability, welfare lost, violations
    spec = cfg.safety.build(game) if cfg.safety is not None else None
    safety_rows = memory_one_columns(game, names, probs, spec)
    ctx.results["safety"] = safety_rows
    safety_cols = [c for c in ("exploitability", "welfare_lost_per_turn", "violations_per_turn", "cost_per_turn")
                   if c in safety_rows[0]]
    ctx.add_table("Safety (exact)",
                  [[r["name"], *(round(float(r[c]), 4) + 0.0 for c in safety_cols)] for r in safety_rows],
                  ["agent", *safety_cols],
                  note="exploitability: what a best response gains over self-play, per step; welfare lost: the "
                       "social optimum minus the pair's welfare, per step, mean over opponents.")
    ctx.add_table(
        "Exact average reward per step (row player against column player)",
        [[names[i], *exact[i]] for i in range(n)], ["", *names],
    )

    fig, axes = plt.subplots(1, 2, figsize=(13, 5.2), layout="constrained")
    lo, hi = float(min(exact.min(), sampled.min())), float(max(exact.max(), sampled.max()))
    for ax, mat, title in ((axes[0], exact, "exact (1-γ)V"), (axes[1], sampled, "sampled mean")):
        im = ax.imshow(mat, cmap="viridis", vmin=lo, vmax=hi)
        ax.set_xticks(range(n), names, rotation=35, ha="right", fontsize=8)
        ax.set_yticks(range(n), names, fontsize=8)
        ax.set_title(title)
        for i in range(n):
            for j in range(n):
                ax.text(j, i, f"{mat[i, j]:.2f}", ha="center", va="center", fontsize=7,
                        color="white" if mat[i, j] < (lo + hi) / 2 else "black")
    fig.colorbar(im, ax=axes, shrink=0.8, label="reward per step (row player)")
    ctx.add_figure("payoff-heatmaps", fig, "Average reward per step of the row agent, exact and sampled.",
                   title="Payoff matrices, exact and sampled")

    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.errorbar(exact.ravel(), sampled.ravel(), yerr=2.576 * se.ravel(), fmt="o", ms=4, alpha=0.8)
    ax.plot([lo, hi], [lo, hi], "k--", lw=1)
    ax.set_xlabel("exact (1-γ)V")
    ax.set_ylabel("sampled mean ± 99% CI")
    ax.set_title(f"exact vs sampled: {int((z <= 2.576).sum())}/{z.size} pairs within the 99% CI")
    ctx.add_figure("exact-vs-sampled", fig, "Every ordered pair: sampled estimate against the exact value.",
                   title="Exact vs sampled")

    fig, ax = plt.subplots(figsize=(7, 3.5))
    xs = np.arange(n)
    ax.bar(xs - 0.2, score_exact[order], 0.4, label="exact")
    ax.bar(xs + 0.2, score_sampled[order], 0.4, label="sampled")
    ax.set_xticks(xs, [names[o] for o in order], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("mean reward per step")
    ax.legend()
    ctx.add_figure("scores", fig, "Mean reward per step against the whole population.", title="Scores")
