"""PG, LOLA-DiCE and POLA-DiCE with recurrent actor-critics on the coin game.

One learner, :class:`POLAConfig`, covers the three rules of the POLA paper's coin-game
experiments (Zhao, Lu, Grosse & Foerster 2022, "Proximal Learning With Opponent-Learning
Awareness", NeurIPS; Sec. 4 and Algorithm 2, "POLA-DiCE"):

* every agent has a GRU policy and a GRU value function over its observation history
  (one linear layer, then a GRU cell, then a linear output; Cho et al. 2014; the POLA code's
  ``layers_before_gru 1``, whose one layer has no ReLU);
* the objective is loaded DiCE with a learned baseline and GAE (Farquhar et al. 2019,
  "Loaded DiCE"): ``L_i = mean_batch sum_t gamma^t A_t (box(W_<=t) - box(W_<t))`` with
  ``W_<=t`` the log-probabilities of both agents' actions up to step t and ``A_t`` the
  GAE advantages of agent i's stopped values; its value loss is the squared error to the
  discounted reward-to-go plus the bootstrapped value of the last state;
* the opponent's look-ahead (inner loop): ``inner_steps`` SGD steps (lr ``lr_in``) of the
  opponent on ``-L_o + value loss + inner_beta * KL(pi_o || pi_o')``, each on a fresh batch
  played against the learner's current parameters, differentiated through;
* the learner's own update (outer loop): ``outer_steps`` Adam steps (lr ``lr_out``; the
  value with Adam lr ``lr_v``) on ``-L_i(theta_i', theta_o'(theta_i')) + value loss +
  outer_beta * KL(pi_i || pi_i')``, each on a fresh batch against the looked-ahead
  opponent. The KL terms are POLA's proximal penalties: the forward KL from the policy at
  the start of the update to the new one, averaged over the states of the batch.

``inner_steps=0`` is naive PG with the learned baseline; ``inner_steps=1, outer_steps=1``
with both betas 0 is LOLA-DiCE (the POLA paper's LOLA-DiCE baseline); the paper's
POLA-DiCE setting on the coin game is :data:`POLA_DICE_PAPER`. The optimiser state of
the outer loop starts afresh at every update, as in the paper's code. Both agents update
simultaneously from the parameters at the start of the update.

The game is interplay's coin game (``coin-game-v1``: one coin at a time, 4 moves, colour
alternating after each pickup, both agents rewarded when they reach the coin together, as
in the POLA code). Rollouts start from ``reset`` and last ``rollout_length`` steps;
seeds run at once under ``vmap``.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any, ClassVar, Literal, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from interplay.agents.learners.dice_objective import dice_surrogate, magic_box
from interplay.agents.learners.protocol import LearnerOptions, LearningRun
from interplay.errors import InterplayError
from interplay.games.coin_game import CoinGame

_sg = jax.lax.stop_gradient


class POLAConfig(LearnerOptions, BaseModel):
    """A learner of the POLA family (see the module docstring); the defaults are POLA-DiCE's
    coin-game setting in the POLA paper's code (README, Figure 5).

    ``policy``, ``layers``, ``value`` and ``optimizer`` select the networks and optimiser;
    the defaults are the paper's (GRU actor-critic, Adam). The feed-forward form (a linear
    or tanh-MLP softmax policy, no learned value, SGD) is what ``pg`` and ``lola-dice``
    learners (:class:`~interplay.agents.learners.dice.DiCEConfig`) are on the coin game.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    family: ClassVar[str] = "sampled"
    opponents: ClassVar[frozenset[str]] = frozenset({"sampled"})
    forms: ClassVar[frozenset[str]] = frozenset({"coin"})

    kind: Literal["pola-dice"] = "pola-dice"
    inner_steps: int = Field(default=4, ge=0, description="opponent look-ahead steps (0: naive PG; 1 with betas 0 and "
                                                   "outer_steps 1: LOLA-DiCE)")
    outer_steps: int = Field(default=200, ge=1, description="the learner's own optimisation steps per update")
    inner_beta: float = Field(default=5.0, ge=0, description="weight of the opponent's KL penalty in the look-ahead")
    outer_beta: float = Field(default=150.0, ge=0, description="weight of the learner's own KL penalty")
    lr_in: float = Field(default=0.01, gt=0, description="SGD learning rate of the opponent's look-ahead steps")
    lr_out: float = Field(default=0.003, gt=0, description="Adam learning rate of the learner's own steps")
    lr_v: float = Field(default=0.0005, gt=0,
                        description="learning rate of the value functions (Adam outer, SGD inner)")
    hidden: int = Field(default=64, ge=1, description="width of the dense layer and of the GRU")
    gae_lambda: float = Field(default=1.0, ge=0, le=1, description="GAE lambda of the loaded-DiCE advantages")
    policy: Literal["gru", "feedforward"] = Field(default="gru",
                                                  description="the policy network: the paper's GRU, or a "
                                                  "feed-forward softmax over the current observation")
    layers: tuple[int, ...] = Field(default=(),
                                    description="feed-forward policy only: its tanh hidden layers (() = linear)")
    value: Literal["learned", "batch-mean", "none"] = Field(
        default="learned", description="the baseline: a learned value (GRU, loaded DiCE with GAE), the batch-mean "
        "baseline of Mao et al. 2019, or none")
    optimizer: Literal["adam", "sgd"] = Field(default="adam", description="optimiser of the learner's own steps")

    def on_coin_game(self) -> POLAConfig:
        return self

    def check_rules(self, game: Any, opponent: Any, where: str) -> None:
        if self.value == "learned" and self.policy != "gru":
            raise InterplayError(f"{where}: a learned value comes with the GRU policy; use value: batch-mean "
                                 "or none with a feed-forward policy.")
        if self.layers and self.policy != "feedforward":
            raise InterplayError(f"{where}: layers are for the feed-forward policy; the GRU's width is hidden.")

    def train(self, game: Any, opponent: Any, settings: Any) -> LearningRun:
        return train_pola_coin(game, self, opponent, num_seeds=settings.seeds, num_updates=settings.updates,
                               batch=settings.rollout_batch, rollout_length=settings.rollout_length,
                               gamma=settings.coin_discount, seed=settings.seed, callback=settings.callback)

    def label(self) -> str:
        if self.inner_steps == 0:
            return "PG"
        if self.inner_steps == 1 and self.outer_steps == 1 and self.inner_beta == 0 and self.outer_beta == 0:
            return "LOLA-DiCE"
        return "POLA-DiCE"


#: POLA-DiCE on the coin game (POLA code README, "Commands used for Figure 5", edited 2023):
#: 251 updates, batch 1000, rollouts of 50 steps, gamma 0.96.
POLA_DICE_PAPER = POLAConfig()
#: LOLA-DiCE as the POLA paper ran it on the coin game: 50,001 updates, batch 2000, rollouts of 50.
LOLA_DICE_PAPER = POLAConfig(inner_steps=1, outer_steps=1, inner_beta=0.0, outer_beta=0.0, lr_in=0.003,
                             lr_out=0.003, lr_v=0.0005)
#: Naive PG with the same actor-critic and outer optimiser.
PG_PAPER = LOLA_DICE_PAPER.model_copy(update={"inner_steps": 0})


# ---------------------------------------------------------------------------------------
# The networks: the recurrent actor and critic, and a feed-forward policy
# ---------------------------------------------------------------------------------------


def init_policy(key: jax.Array, obs_size: int, num_actions: int, hidden: tuple[int, ...] = ()) -> list[dict]:
    """Layers ``[{"w", "b"}, ...]`` of a feed-forward policy; the last layer starts at zero (uniform moves)."""
    sizes = (obs_size, *hidden, num_actions)
    keys = jax.random.split(key, len(sizes) - 1)
    layers = []
    for i, (k, m, n) in enumerate(zip(keys, sizes[:-1], sizes[1:], strict=True)):
        scale = 0.0 if i == len(sizes) - 2 else 1.0 / np.sqrt(m)
        layers.append({"w": scale * jax.random.normal(k, (m, n)), "b": jnp.zeros(n)})
    return layers


def policy_logits(params: list[dict], obs: jax.Array) -> jax.Array:
    """Move logits of a feed-forward policy for observations (..., obs_size): tanh layers, linear output."""
    x = obs
    for layer in params[:-1]:
        x = jnp.tanh(x @ layer["w"] + layer["b"])
    return x @ params[-1]["w"] + params[-1]["b"]


def init_gru_net(key: jax.Array, obs_size: int, out_size: int, hidden: int, out_scale: float = 1.0) -> dict:
    """Parameters of dense -> GRU cell -> dense, LeCun-normal weights, zero biases."""
    k1, k2, k3, k4 = jax.random.split(key, 4)
    normal = lambda k, m, n, s=1.0: s * jax.random.normal(k, (m, n)) / np.sqrt(m)  # noqa: E731
    return {
        "dense": {"w": normal(k1, obs_size, hidden), "b": jnp.zeros(hidden)},
        "gru": {"wi": normal(k2, hidden, 3 * hidden), "wh": normal(k3, hidden, 3 * hidden),
                "bi": jnp.zeros(3 * hidden), "bh": jnp.zeros(3 * hidden)},
        "out": {"w": normal(k4, hidden, out_size, out_scale), "b": jnp.zeros(out_size)},
    }


def gru_step(params: dict, h: jax.Array, obs: jax.Array) -> tuple[jax.Array, jax.Array]:
    """One step: (h, obs (..., D)) -> (h', output). A linear layer (the POLA code's one layer
    before the GRU has no activation: its ReLU goes only between two such layers), then the GRU
    of Cho et al. 2014: ``r, z = sigma(.)``, ``n = tanh(W_in x + b_in + r (W_hn h + b_hn))``,
    ``h' = (1 - z) n + z h``, then a linear output."""
    x = obs @ params["dense"]["w"] + params["dense"]["b"]
    g = params["gru"]
    xi = x @ g["wi"] + g["bi"]
    hh = h @ g["wh"] + g["bh"]
    xr, xz, xn = jnp.split(xi, 3, axis=-1)
    hr, hz, hn = jnp.split(hh, 3, axis=-1)
    r, z = jax.nn.sigmoid(xr + hr), jax.nn.sigmoid(xz + hz)
    n = jnp.tanh(xn + r * hn)
    h = (1.0 - z) * n + z * h
    return h, h @ params["out"]["w"] + params["out"]["b"]


def gru_sequence(params: dict, obs: jax.Array) -> jax.Array:
    """Outputs (T, B, out) over an observation sequence (T, B, D), from a zero hidden state."""
    hidden = params["gru"]["wh"].shape[0]
    h0 = jnp.zeros(obs.shape[1:-1] + (hidden,))
    _, out = jax.lax.scan(lambda h, o: gru_step(params, h, o), h0, obs)
    return out


def net_step(params: dict, h: jax.Array, obs: jax.Array) -> tuple[jax.Array, jax.Array]:
    """One step of a GRU net (:func:`gru_step`) or of a feed-forward one (``{"layers": ...}``, no state)."""
    if "gru" in params:
        return gru_step(params, h, obs)
    return h, policy_logits(params["layers"], obs)


def net_sequence(params: dict, obs: jax.Array) -> jax.Array:
    """Outputs (T, B, out) over an observation sequence (T, B, D)."""
    if "gru" in params:
        return gru_sequence(params, obs)
    return policy_logits(params["layers"], obs)


def initial_state(params: dict, batch: int) -> jax.Array:
    width = params["gru"]["wh"].shape[0] if "gru" in params else 0
    return jnp.zeros((batch, width))


class Agent(NamedTuple):
    """An actor (move logits) and a critic (a value; None without a learned value)."""

    policy: Any  # parameter pytrees (optax returns them as its Params union)
    value: Any  # None without a learned value


def init_agent(key: jax.Array, obs_size: int, num_actions: int, hidden: int) -> Agent:
    """The paper's recurrent actor-critic."""
    kp, kv = jax.random.split(key)
    return Agent(init_gru_net(kp, obs_size, num_actions, hidden), init_gru_net(kv, obs_size, 1, hidden))


def init_learner(key: jax.Array, game: CoinGame, cfg: POLAConfig) -> Agent:
    """A learner's networks as its config says (GRU actor-critic, or a feed-forward policy alone)."""
    if cfg.policy == "gru":
        return init_agent(key, game.obs_size, game.num_actions, cfg.hidden)
    return Agent({"layers": init_policy(key, game.obs_size, game.num_actions, cfg.layers)}, None)


# ---------------------------------------------------------------------------------------
# Sampled play and the loaded-DiCE objective
# ---------------------------------------------------------------------------------------


class Rollouts(NamedTuple):
    """A batch of episodes, time-major: obs (T+1, B, 2, D) including the last state,
    actions (T, B, 2), rewards (T, B, 2); picks (B, 2, 2) coins of [owner] picked by [agent]."""

    obs: jax.Array
    actions: jax.Array
    rewards: jax.Array
    picks: jax.Array


def sample(game: CoinGame, key: jax.Array, pol1: dict, pol2: dict, batch: int, length: int) -> Rollouts:
    """Play ``batch`` episodes of ``length`` steps from ``reset`` (parameters' gradients stopped)."""
    pols = (_sg(pol1), _sg(pol2))
    k_reset, k_run = jax.random.split(key)
    obs, state = jax.vmap(game.reset)(jax.random.split(k_reset, batch))
    hs = (initial_state(pols[0], batch), initial_state(pols[1], batch))

    def step(carry, k):
        obs, state, h1, h2 = carry
        ka, ks = jax.random.split(k)
        h1, l1 = net_step(pols[0], h1, obs[:, 0])
        h2, l2 = net_step(pols[1], h2, obs[:, 1])
        actions = jax.random.categorical(ka, jnp.stack([l1, l2], axis=1))
        new_obs, state, rewards, _, _ = game.step_batch(ks, state, actions)
        return (new_obs, state, h1, h2), (obs, actions, rewards)

    (last, end, _, _), (o, a, r) = jax.lax.scan(step, (obs, state, *hs), jax.random.split(k_run, length))
    return Rollouts(jnp.concatenate([o, last[None]]), a, r, end.picks)


def log_probs(policy: dict, obs: jax.Array, actions: jax.Array) -> jax.Array:
    """(T, B) log-probabilities of ``actions`` (T, B) given the observation history (T, B, D)."""
    return _taken(jax.nn.log_softmax(net_sequence(policy, obs)), actions)


def _taken(logp: jax.Array, actions: jax.Array) -> jax.Array:
    return jnp.take_along_axis(logp, actions[..., None], axis=-1)[..., 0]


def gae(rewards: jax.Array, values: jax.Array, end_value: jax.Array, gamma: float, lam: float) -> jax.Array:
    """GAE advantages (Schulman et al. 2016), time-major (T, B), values stopped."""
    v = _sg(values)
    next_v = jnp.concatenate([v[1:], _sg(end_value)[None]])
    deltas = rewards + gamma * next_v - v

    def back(acc, d):
        acc = d + gamma * lam * acc
        return acc, acc

    _, adv = jax.lax.scan(back, jnp.zeros_like(deltas[0]), deltas, reverse=True)
    return adv


def loaded_dice(lp_self: jax.Array, lp_other: jax.Array, rewards: jax.Array, values: jax.Array,
                end_value: jax.Array, gamma: float, lam: float) -> jax.Array:
    """Loaded DiCE with a baseline (Farquhar et al. 2019): ``mean_b sum_t gamma^t A_t (box(W_<=t) - box(W_<t))``.

    Its value is 0; its gradients of any order estimate those of the expected discounted
    return, with the variance lowered by the advantages.
    """
    disc = gamma ** jnp.arange(rewards.shape[0], dtype=jnp.float32)[:, None]
    adv = gae(rewards, values, end_value, gamma, lam)
    w = lp_self + lp_other
    upto = jnp.cumsum(w, axis=0)
    return jnp.sum((magic_box(upto) - magic_box(upto - w)) * disc * adv, axis=0).mean()


def value_loss(rewards: jax.Array, values: jax.Array, end_value: jax.Array, gamma: float) -> jax.Array:
    """``mean_b sum_t (R_t + gamma^(T-t) V(s_T) - V(s_t))^2``, R_t the discounted reward-to-go."""
    steps = rewards.shape[0]
    disc = gamma ** jnp.arange(steps, dtype=jnp.float32)[:, None]
    to_go = jnp.cumsum((disc * rewards)[::-1], axis=0)[::-1] / disc
    target = to_go + gamma ** jnp.arange(steps, 0, -1, dtype=jnp.float32)[:, None] * _sg(end_value)[None]
    return jnp.sum((_sg(target) - values) ** 2, axis=0).mean()


def kl_from(ref_policy: dict, policy: dict, obs: jax.Array) -> jax.Array:
    """``KL(pi_ref || pi)`` per state, averaged over the states (T, B) of ``obs`` (with their histories)."""
    return _kl_logp(ref_policy, jax.nn.log_softmax(net_sequence(policy, obs)), obs)


def _kl_logp(ref_policy: dict, log_new: jax.Array, obs: jax.Array) -> jax.Array:
    """:func:`kl_from` given the new policy's log-probabilities on ``obs`` (computed once for the loss too)."""
    log_ref = _sg(jax.nn.log_softmax(net_sequence(ref_policy, obs)))
    return jnp.sum(jnp.exp(log_ref) * (log_ref - log_new), axis=-1).mean()


def agent_loss(me: int, agents: tuple[Agent, Agent], ep: Rollouts, gamma: float, lam: float,
               baseline: bool = True, kl_ref: dict | None = None, kl_beta: float = 0.0) -> jax.Array:
    """``-L_me`` (loaded DiCE) plus ``me``'s value loss, on rollouts ``ep``, plus
    ``kl_beta * KL(pi_ref || pi_me)`` over the batch's states when ``kl_ref`` is given (the
    policy's log-probabilities are computed once for both terms).

    Without a learned value (``agents[me].value`` None): ``-L_me`` of plain DiCE
    (:func:`~interplay.agents.learners.dice_objective.dice_surrogate`), with Mao et al.'s batch-mean
    baseline if ``baseline``.
    """
    obs = ep.obs[:-1]
    logps = [jax.nn.log_softmax(net_sequence(agents[i].policy, obs[:, :, i])) for i in range(2)]
    lps = [_taken(logps[i], ep.actions[:, :, i]) for i in range(2)]
    r = ep.rewards[:, :, me]
    value = agents[me].value
    kl = 0.0
    if kl_ref is not None and kl_beta > 0:
        kl = kl_beta * _kl_logp(kl_ref, logps[me], obs[:, :, me])
    if value is None:
        return -dice_surrogate(lps[me], lps[1 - me], r, gamma, baseline) + kl
    vals = gru_sequence(value, ep.obs[:, :, me])[..., 0]  # (T+1, B)
    return (-loaded_dice(lps[me], lps[1 - me], r, vals[:-1], vals[-1], gamma, lam)
            + value_loss(r, vals[:-1], vals[-1], gamma) + kl)


def _pair(me: int, mine: Any, other: Any) -> tuple[Any, Any]:
    return (mine, other) if me == 0 else (other, mine)


class Setting(NamedTuple):
    """What a rollout needs: the game, batch size, rollout length and discount."""

    game: CoinGame
    batch: int
    length: int
    gamma: float


def inner_lookahead(s: Setting, cfg: POLAConfig, key: jax.Array, me: int, mine: Agent, other: Agent) -> Agent:
    """The opponent after ``cfg.inner_steps`` proximal SGD steps, a differentiable function of ``mine``.

    Each step plays a fresh batch between ``mine`` and the current look-ahead opponent and
    descends ``-L_o + value loss + inner_beta * KL(pi_o || pi_o')``.
    """
    o = 1 - me
    ref = other.policy

    def step(opp: Agent, k: jax.Array) -> tuple[Agent, None]:
        pair = _pair(me, mine, opp)
        ep = sample(s.game, k, pair[0].policy, pair[1].policy, s.batch, s.length)

        def loss(opp_: Agent) -> jax.Array:
            return agent_loss(o, _pair(me, mine, opp_), ep, s.gamma, cfg.gae_lambda, cfg.value != "none",
                              ref, cfg.inner_beta)

        g = jax.grad(loss)(opp)
        return Agent(jax.tree_util.tree_map(lambda p, d: p - cfg.lr_in * d, opp.policy, g.policy),
                     jax.tree_util.tree_map(lambda p, d: p - cfg.lr_v * d, opp.value, g.value)), None

    if cfg.inner_steps == 0:
        return other
    out, _ = jax.lax.scan(step, other, jax.random.split(key, cfg.inner_steps))
    return out


def outer_objective(s: Setting, cfg: POLAConfig, key: jax.Array, me: int, mine: Agent, other: Agent,
                    ref: dict) -> jax.Array:
    """The learner's loss at ``mine``: against the looked-ahead opponent, on a fresh batch, plus its KL penalty."""
    k_in, k_out = jax.random.split(key)
    opp = inner_lookahead(s, cfg, k_in, me, mine, other)
    pair = _pair(me, mine, opp)
    ep = sample(s.game, k_out, pair[0].policy, pair[1].policy, s.batch, s.length)
    return agent_loss(me, pair, ep, s.gamma, cfg.gae_lambda, cfg.value != "none", ref, cfg.outer_beta)


def _optimizer(name: str, lr: float):
    import optax

    return optax.adam(lr) if name == "adam" else optax.sgd(lr)


def learner_update(s: Setting, cfg: POLAConfig, key: jax.Array, me: int, mine: Agent, other: Agent) -> Agent:
    """``cfg.outer_steps`` optimiser steps of the learner (Adam or SGD, fresh state), the opponent at ``other``."""
    import optax

    opt_p, opt_v = _optimizer(cfg.optimizer, cfg.lr_out), _optimizer(cfg.optimizer, cfg.lr_v)
    ref = mine.policy

    def step(carry, k):
        agent, sp, sv = carry
        g = jax.grad(lambda a: outer_objective(s, cfg, k, me, a, other, ref))(agent)
        up, sp = opt_p.update(g.policy, sp, agent.policy)
        value = agent.value
        if value is not None:
            uv, sv = opt_v.update(g.value, sv, value)
            value = optax.apply_updates(value, uv)
        return (Agent(optax.apply_updates(agent.policy, up), value), sp, sv), None

    init = (mine, opt_p.init(mine.policy), opt_v.init(mine.value) if mine.value is not None else ())
    (out, _, _), _ = jax.lax.scan(step, init, jax.random.split(key, cfg.outer_steps))
    return out


def env_steps_per_update(cfg1: POLAConfig, cfg2: POLAConfig, batch: int, length: int) -> int:
    """Environment steps sampled by one simultaneous update (both learners, plus one evaluation batch)."""
    rollouts = sum(c.outer_steps * (c.inner_steps + 1) for c in (cfg1, cfg2)) + 1
    return rollouts * batch * length


@partial(jax.jit, static_argnames=("s", "cfg1", "cfg2"))
def _update(key, a1: Agent, a2: Agent, s: Setting, cfg1: POLAConfig, cfg2: POLAConfig):
    """One simultaneous update of every seed (leading axis), and an evaluation batch of the new agents."""

    def one(k, x, y):
        k1, k2, k3 = jax.random.split(k, 3)
        x2 = learner_update(s, cfg1, k1, 0, x, y)
        y2 = learner_update(s, cfg2, k2, 1, y, x)
        ep = sample(s.game, k3, x2.policy, y2.policy, s.batch, s.length)
        return x2, y2, ep.picks.sum(axis=0), ep.rewards.mean(axis=(0, 1))

    keys = jax.random.split(key, jax.tree_util.tree_leaves(a1)[0].shape[0])
    return jax.vmap(one)(keys, a1, a2)


def train_pola_coin(game: Any, learner1: Any, learner2: Any, *, num_seeds: int = 2, num_updates: int = 10,
                    batch: int = 1000, rollout_length: int = 50, gamma: float = 0.96, seed: int = 0,
                    callback=None) -> LearningRun:
    """Train two sampled-play learners on a coin game, batched over seeds: the one coin-game trainer.

    ``learner1``, ``learner2``: :class:`POLAConfig` rules, or ``pg`` / ``lola-dice``
    :class:`~interplay.agents.learners.dice.DiCEConfig` learners (feed-forward policies, see
    their ``on_coin_game``). ``callback(update, info)`` after each update, with the
    evaluation batch's own-coin rate and reward per step (means over seeds).

    The record has, per seed and update, on a fresh evaluation batch of the updated agents:
    ``picks`` (S, U, 2, 2) (coins of [owner] picked by [agent], summed over the batch) and
    ``rewards`` (S, U, 2) reward per step; ``params`` the final :class:`Agent` of each seat;
    ``env_steps`` and ``seconds`` the environment steps sampled in the timed training loop
    (every update but the first, which compiles) and its wall time.
    """
    if not isinstance(game, CoinGame):
        raise InterplayError(f"train_pola_coin plays the coin game; got {type(game).__name__}. Build one with "
                             "interplay.make('coin-game-v1').")
    rules = tuple(lr.on_coin_game() if hasattr(lr, "on_coin_game") else lr for lr in (learner1, learner2))
    if not all(isinstance(r, POLAConfig) for r in rules):
        raise InterplayError("train_pola_coin: the learners must be pola-dice, pg or lola-dice configs; got "
                             f"{type(learner1).__name__}, {type(learner2).__name__}.")
    cfg1, cfg2 = rules
    if game.two_coins and any(c.policy == "gru" for c in rules):
        raise InterplayError("train_pola_coin: POLA's coin game is the original one (coin-game-v1), "
                             "not the two-coin variant.")
    if not 0.0 < gamma <= 1.0:
        raise InterplayError(f"train_pola_coin: gamma must be in (0, 1], got {gamma}.")
    for name, v in (("num_seeds", num_seeds), ("num_updates", num_updates), ("batch", batch),
                    ("rollout_length", rollout_length)):
        if int(v) < 1 or int(v) != v:
            raise InterplayError(f"train_pola_coin: {name} must be a positive integer, got {v!r}.")
    for where, c in (("learner1", cfg1), ("learner2", cfg2)):
        c.check_rules(game, None, f"train_pola_coin: {where}")
    key = jax.random.PRNGKey(seed)
    k1, k2, key = jax.random.split(key, 3)
    init = lambda k, cfg: jax.vmap(lambda kk: init_learner(kk, game, cfg))(jax.random.split(k, num_seeds))  # noqa: E731
    a1, a2 = init(k1, cfg1), init(k2, cfg2)
    s = Setting(game, int(batch), int(rollout_length), float(gamma))
    picks, rewards = [], []
    seconds = 0.0
    for u in range(int(num_updates)):
        key, k = jax.random.split(key)
        t0 = time.perf_counter()
        a1, a2, p, r = _update(k, a1, a2, s, cfg1, cfg2)
        p, r = np.asarray(p), np.asarray(r)
        if u > 0:  # the first update includes compilation
            seconds += time.perf_counter() - t0
        picks.append(p)
        rewards.append(r)
        if callback is not None:
            own = (p[:, 0, 0] + p[:, 1, 1]).sum() / max(p.sum(), 1)
            callback(u, {"own_coin_rate": float(own), "reward_per_step": r.mean(axis=0).tolist()})
    timed = max(int(num_updates) - 1, 0)
    steps = timed * env_steps_per_update(cfg1, cfg2, batch, rollout_length) * num_seeds
    picks_arr, rewards_arr = np.stack(picks, axis=1), np.stack(rewards, axis=1)
    last = max(1, int(num_updates) // 10)
    config = {"learners": [learner1.model_dump(), learner2.model_dump()],
              "rules": [cfg1.model_dump(), cfg2.model_dump()], "num_seeds": num_seeds, "num_updates": num_updates,
              "batch": batch, "rollout_length": rollout_length,
              "gamma": gamma, "seed": seed}
    return LearningRun((learner1.label(), learner2.label()), game.spec.id, "coin", "update", rewards_arr, None,
                       rewards_arr[:, -last:].mean(axis=1), f"reward per step over the last {last} updates", config,
                       params=(a1, a2), picks=picks_arr, steps_per_update=int(batch) * int(rollout_length),
                       env_steps=steps, seconds=seconds)
