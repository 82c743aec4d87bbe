"""Constraint costs: per agent and per run, exact for data policies, and a Lagrangian option.

A :class:`~interplay.safety.spec.SafetySpec` gives each player a cost per (state, joint
action). This module

* totals costs and violations per agent and per run (:class:`CostLedger`);
* computes expected costs exactly, differentiably, for memory-one policies in iterated
  2x2 games and mixed strategies in two-player normal-form games (:func:`exact_costs`), by
  the same occupancy measure as the values: with state occupancy
  ``u = (1 - gamma) e_start^T (I - gamma M)^-1`` over the five memory-one states, the
  cost per step is ``C_i = sum_s u_s sum_a q_s(a) c_i(s, a)``;
* offers the Lagrangian relaxation of a constrained MDP (Altman 1999, "Constrained Markov
  Decision Processes"), as used by RCPO (Tessler et al. 2019) and the Lagrangian PPO of
  Ray et al. (2019, "Benchmarking Safe Exploration in Deep RL"): maximise
  ``J_r - lambda (J_c - d)`` over the policy, and move the multiplier by projected dual
  ascent ``lambda <- max(0, lambda + eta (J_c - d))`` (:class:`Lagrangian`). A learner that
  maximises a reward adds ``penalise(reward, cost)`` to its update; :func:`train_constrained`
  is the exact-gradient version on memory-one policies.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from interplay.errors import InterplayError
from interplay.safety.spec import SafetySpec

_SWAP5 = jnp.array([0, 1, 3, 2, 4])


@dataclass
class CostLedger:
    """Constraint costs and violations per agent, accumulated over a run."""

    players: Sequence[str]
    cost: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per player; zeros when not given
    violations: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    steps: int = 0

    def __post_init__(self) -> None:
        n = len(self.players)
        self.cost = np.zeros(n) if len(self.cost) == 0 else np.asarray(self.cost, dtype=float)
        self.violations = np.zeros(n, dtype=np.int64) if len(self.violations) == 0 else np.asarray(self.violations)

    def add(self, spec: SafetySpec, state: int, joint: Sequence[int]) -> None:
        """Charge one executed joint action."""
        self.cost += spec.costs_of(state, joint)
        self.violations += spec.blamed(state, joint).astype(np.int64)
        self.steps += 1

    def add_record(self, record: Any) -> None:
        """Charge a whole :class:`~interplay.safety.shields.PlayRecord`."""
        self.cost += record.costs.sum(axis=0)
        self.violations += record.blamed.sum(axis=0).astype(np.int64)
        self.steps += len(record.states)

    def summary(self, budget: float | None = None) -> dict[str, Any]:
        """Per agent: total cost, cost per step, violations, and whether within ``budget`` per step."""
        steps = max(self.steps, 1)
        out: dict[str, Any] = {"steps": self.steps, "total_cost": float(self.cost.sum()),
                               "total_violations": int(self.violations.sum()), "per_agent": {}}
        for i, p in enumerate(self.players):
            row = {"cost": float(self.cost[i]), "cost_per_step": float(self.cost[i] / steps),
                   "violations": int(self.violations[i])}
            if budget is not None:
                row["within_budget"] = bool(self.cost[i] / steps <= budget + 1e-12)
            out["per_agent"][p] = row
        return out


# -- exact expected costs -----------------------------------------------------------------------
def _state_joint(p1: jax.Array, p2: jax.Array) -> jax.Array:
    """q[s, a1, a2]: the joint action distribution in each of the 5 global memory-one states."""
    c1 = p1  # P(player 1 plays C) in global state s (its own view)
    c2 = p2[_SWAP5]  # player 2 reads CD as DC
    return jnp.stack([jnp.stack([c1 * c2, c1 * (1 - c2)], -1), jnp.stack([(1 - c1) * c2, (1 - c1) * (1 - c2)], -1)],
                     axis=1)


def state_occupancy(q: jax.Array, discount: float | jax.Array) -> jax.Array:
    """Normalised discounted occupancy of the 5 memory-one states, given q[s, a1, a2]."""
    M = jnp.zeros((5, 5)).at[:, 1:].set(q.reshape(5, 4))  # next state = 1 + joint index
    e = jnp.zeros(5).at[0].set(1.0)
    return (1.0 - discount) * jnp.linalg.solve((jnp.eye(5) - discount * M).T, e)


def occupancy_expectation(q: jax.Array, table: jax.Array, discount: float | jax.Array) -> jax.Array:
    """Per-step expectation of ``table[s, a1, a2, ...]`` under the joint distributions ``q``."""
    u = state_occupancy(q, discount)
    return jnp.einsum("s,sab,sab...->...", u, q, table)


@jax.jit
def _exact_iterated(p1: jax.Array, p2: jax.Array, table: jax.Array, discount: jax.Array) -> jax.Array:
    return occupancy_expectation(_state_joint(p1, p2), table, discount)


def exact_costs(game: Any, spec: SafetySpec, p1: Any, p2: Any) -> np.ndarray:
    """Expected constraint cost per step of each player, exactly.

    Iterated 2x2 games: ``p1``, ``p2`` memory-one policies (5 probabilities of action 0,
    own view); the cost per step is the discounted average ``(1 - gamma) E[sum gamma^t c_t]``.
    Two-player normal-form games: mixed strategies.
    """
    from interplay.games.iterated import IteratedGame
    from interplay.games.normal_form import NormalFormGame

    cost = jnp.asarray(spec.cost, jnp.float32)
    if isinstance(game, IteratedGame):
        return np.asarray(_exact_iterated(jnp.asarray(p1, jnp.float32), jnp.asarray(p2, jnp.float32), cost,
                                          jnp.float32(game.discount)))
    if isinstance(game, NormalFormGame) and game.num_players == 2:
        x, y = jnp.asarray(p1, jnp.float32), jnp.asarray(p2, jnp.float32)
        return np.asarray(jnp.einsum("a,b,abi->i", x, y, cost[0]))
    raise InterplayError(f"{spec.game_id}: exact costs need an iterated 2x2 game or a two-player normal-form game.")


# -- the Lagrangian option ------------------------------------------------------------------------
class LagrangianConfig(BaseModel):
    """Settings of the Lagrangian constraint for a learner (``lagrangian:`` in a config)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    budget: float = Field(ge=0, description="d: the allowed constraint cost per step")
    lr: float = Field(default=0.5, gt=0, description="eta: the dual (multiplier) step size")
    init: float = Field(default=0.0, ge=0, description="the initial multiplier lambda")
    max_multiplier: float = Field(default=1e3, gt=0, description="clip lambda here (keeps early updates bounded)")
    kp: float = Field(default=0.0, ge=0,
                      description="proportional gain (PID Lagrangian, Stooke et al. 2020); 0 = plain")


@dataclass
class Lagrangian:
    """A Lagrange multiplier for ``E[cost] <= budget``, by projected dual ascent.

    ``lambda <- clip(lambda + lr * (cost - budget), 0, max_multiplier)`` after each update of the
    learner (Altman 1999; Tessler et al. 2019; Ray et al. 2019). The learner maximises
    :meth:`penalise` ``= reward - lambda * cost`` in place of its reward.
    """

    budget: float
    lr: float = 0.5
    multiplier: float = 0.0
    max_multiplier: float = 1e3
    kp: float = 0.0
    history: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._integral = self.multiplier

    @classmethod
    def from_config(cls, cfg: LagrangianConfig) -> Lagrangian:
        return cls(cfg.budget, cfg.lr, cfg.init, cfg.max_multiplier, cfg.kp)

    def penalise(self, reward: Any, cost: Any) -> Any:
        return reward - self.multiplier * cost

    def update(self, cost: float) -> float:
        """One dual step from the measured cost per step; returns the new multiplier.

        With ``kp > 0`` this is the PI form of Stooke et al. (2020, "Responsive Safety in RL
        by PID Lagrangian Methods"): ``lambda = max(0, I + kp (cost - budget))`` with the
        integral ``I`` the plain dual-ascent multiplier; the proportional term damps the
        oscillation of plain gradient descent-ascent.
        """
        err = float(cost) - self.budget
        self._integral = float(np.clip(self._integral + self.lr * err, 0.0, self.max_multiplier))
        self.multiplier = float(np.clip(self._integral + self.kp * err, 0.0, self.max_multiplier))
        self.history.append(self.multiplier)
        return self.multiplier


@dataclass
class ConstrainedRun:
    """A primal-dual run: policies, costs, rewards and multipliers over updates."""

    policy: np.ndarray  # (T+1, 5) the learner's P(cooperate)
    reward: np.ndarray  # (T,) its reward per step
    cost: np.ndarray  # (T,) its cost per step
    multiplier: np.ndarray  # (T,)


def train_constrained(game: Any, spec: SafetySpec, opponent: Any, lagrangian: Lagrangian, *, player: int = 0,
                      steps: int = 300, lr: float = 1.0, init_logits: Any = None) -> ConstrainedRun:
    """A naive learner (exact gradient ascent on memory-one logits) under a cost budget.

    Primal step: ``theta += lr * grad(V_r - lambda V_c)`` (per-step values); dual step:
    :meth:`Lagrangian.update` with the exact cost per step. The opponent is a fixed
    memory-one policy. At a constrained optimum with the constraint active the cost per
    step equals the budget (complementary slackness); with a slack budget lambda goes to 0.
    """
    from interplay.games.iterated import IteratedGame, average_rewards

    if not isinstance(game, IteratedGame):
        raise InterplayError(f"{spec.game_id}: train_constrained needs an iterated 2x2 game.")
    other = jnp.asarray(opponent, jnp.float32)
    cost = jnp.asarray(spec.cost, jnp.float32)[..., player]

    def objectives(theta: jax.Array) -> tuple[jax.Array, jax.Array]:
        p = jax.nn.sigmoid(theta)
        p1, p2 = (p, other) if player == 0 else (other, p)
        r = average_rewards(p1, p2, game.payoffs, game.discount, game.noise)[player]
        c = occupancy_expectation(_state_joint(p1, p2), cost, game.discount)
        return r, c

    grads = jax.jit(jax.grad(lambda th, lam: (lambda rc: rc[0] - lam * rc[1])(objectives(th))))
    evaluate = jax.jit(objectives)
    theta = jnp.zeros(5) if init_logits is None else jnp.asarray(init_logits, jnp.float32)
    pol, rew, cst, mult = [np.asarray(jax.nn.sigmoid(theta))], [], [], []
    for _ in range(steps):
        theta = theta + lr * grads(theta, lagrangian.multiplier)
        r, c = evaluate(theta)
        rew.append(float(r))
        cst.append(float(c))
        mult.append(lagrangian.update(float(c)))
        pol.append(np.asarray(jax.nn.sigmoid(theta)))
    return ConstrainedRun(np.array(pol), np.array(rew), np.array(cst), np.array(mult))


@dataclass
class PPORun:
    """A Lagrangian PPO run: per iteration the learner's reward and cost per step and the multiplier;
    ``policy`` is the final P(action 0) in each memory-one state (start, CC, CD, DC, DD)."""

    reward: np.ndarray
    cost: np.ndarray
    multiplier: np.ndarray
    policy: np.ndarray


def train_lagrangian_ppo(game: Any, spec: SafetySpec, opponent: Any, lagrangian: Lagrangian, *,
                         ppo: Any = None, iterations: int = 60, matches: int = 64, steps: int = 32,
                         seed: int = 0) -> PPORun:
    """PPO (:mod:`interplay.agents.learners.ppo`) within a cost budget, against a fixed memory-one opponent.

    The learner sits in the first seat of an iterated 2x2 game and observes its memory-one
    state (one-hot, own view). Each iteration plays ``matches`` x ``steps`` sampled turns, replaces
    the reward by ``r - lambda c`` (:meth:`Lagrangian.penalise`) before GAE, takes a PPO update,
    then moves lambda with the batch's cost per step (:meth:`Lagrangian.update`): the
    Lagrangian PPO of Ray et al. (2019), with the PI option of Stooke et al. (2020).
    """
    from interplay.agents.learners.ppo import PPOConfig, init_actor_critic, policy_and_value
    from interplay.games.iterated import IteratedGame

    if not isinstance(game, IteratedGame):
        raise InterplayError(f"{spec.game_id}: Lagrangian PPO here needs an iterated 2x2 game.")
    cfg = ppo if ppo is not None else PPOConfig(gamma=0.9, lr=0.01, hidden=(16,))
    # a frozen pydantic model hashes at run time; its stub declares no __hash__
    opt, learn = _ppo_program(cfg, int(matches), int(steps))  # pyright: ignore[reportArgumentType]
    key = jax.random.PRNGKey(seed)
    key, k0 = jax.random.split(key)
    params = init_actor_critic(k0, 5, 2, cfg.hidden)
    opt_state = opt.init(params)
    tables = (jnp.asarray(opponent, jnp.float32), jnp.asarray(game.payoffs)[0],
              jnp.asarray(spec.cost, jnp.float32)[..., 0])
    rew, cst, mult = [], [], []
    for _ in range(iterations):
        key, k = jax.random.split(key)
        params, opt_state, r, c = learn(params, opt_state, k, jnp.float32(lagrangian.multiplier), *tables)
        rew.append(float(r))
        cst.append(float(c))
        mult.append(lagrangian.update(float(c)))
    out, _ = policy_and_value(params, jnp.eye(5))
    return PPORun(np.array(rew), np.array(cst), np.array(mult), np.asarray(jax.nn.softmax(out)[:, 0]))


@functools.lru_cache(maxsize=8)
def _ppo_program(cfg: Any, matches: int, steps: int) -> tuple[Any, Any]:
    """(optimizer, jitted rollout + penalised GAE + PPO update), compiled once per settings."""
    from interplay.agents.learners.ppo import Batch, gae, log_prob, make_optimizer, policy_and_value, ppo_update

    opt = make_optimizer(cfg)
    eye = jnp.eye(5)

    @jax.jit
    def learn(params: Any, opt_state: Any, key: jax.Array, multiplier: jax.Array, opp: jax.Array,
              pay: jax.Array, cost_tab: jax.Array) -> tuple[Any, ...]:
        def turn(s: jax.Array, k: jax.Array) -> tuple[jax.Array, tuple[jax.Array, ...]]:
            ka, kb = jax.random.split(k)
            obs = eye[s]
            out, value = policy_and_value(params, obs)
            a = jax.random.categorical(ka, out)
            b = (jax.random.uniform(kb, s.shape) >= opp[_SWAP5[s]]).astype(jnp.int32)  # opponent's own view
            return 1 + 2 * a + b, (obs, a, log_prob(params, out, a), value, pay[a, b], cost_tab[s, a, b])

        kr, ku = jax.random.split(key)
        last, (obs, a, logp, values, r, c) = jax.lax.scan(turn, jnp.zeros(matches, jnp.int32),
                                                          jax.random.split(kr, steps))
        _, last_value = policy_and_value(params, eye[last])
        adv, ret = gae(r - multiplier * c, values, jnp.zeros_like(r), last_value, cfg.gamma, cfg.gae_lambda)
        batch = Batch(obs.reshape(-1, 5), a.reshape(-1), logp.reshape(-1), adv.reshape(-1), ret.reshape(-1))
        params, opt_state, _ = ppo_update(params, opt_state, batch, ku, cfg, opt)
        return params, opt_state, r.mean(), c.mean()

    return opt, learn
