"""Shields on actions: pre-emptive and post-posed, centralised and factored.

After Alshiekh et al. (2018), "Safe Reinforcement Learning via Shielding" (AAAI):

* a **pre-emptive** shield offers the agent only safe actions (it removes the unsafe
  ones before the agent chooses);
* a **post-posed** shield lets the agent choose, and replaces an unsafe choice by a
  safe one.

After ElSayed-Aly et al. (2021), "Safe Multi-Agent Reinforcement Learning via
Shielding" (AAMAS), for several agents:

* a **centralised** shield watches the whole joint action and corrects it;
* **factored** shields each watch one group of agents and do not see each other's
  choices. Each is responsible for the violations the spec charges to its group
  (``SafetySpec.blame``): a group's joint action is safe in a state when no completion by
  the other agents gives a forbidden joint action charged to a member of the group. As
  every forbidden joint action is charged to someone, shields that all keep their groups
  safe keep the whole joint action safe, whatever the others choose; this is our
  worst-case reading of the paper's per-shield safety. A factored shield over singleton
  groups is the single-agent shield of Alshiekh et al. with the others as the environment.

Agents never know: a shield sits between their choices and the game, whatever the agent
is. In :func:`play` (the games' pure ``step``) agents are :class:`Actor` objects over
observations (a memory-one table, a learner's probabilities, a function); in per-turn
matches every agent is a :class:`~interplay.agents.protocol.Player` (an LLM agent, a
person, a machine, and every :class:`Actor` too), shielded by :func:`shield_players`. It
counts interventions per agent.

Replacement rule of the post-posed shield: the safe group joint action that changes the
fewest agents' actions (Hamming distance); among those, the most probable under the
agents' own distributions when they expose them; then the first in index order.

Pre-emptive shields sample a group's agents one after another, each from its own
distribution conditioned on the group's joint action being safe (so the group's sample is
the product distribution restricted to the safe set, renormalised). Each agent draws with
its own uniform number by the inverse CDF, so an agent whose distribution already puts no
mass on unsafe actions plays exactly what it would have played unshielded.
An *intervention* is a step at which the agent's action differs from the one it would
have played unshielded with the same random number. For agents that only choose,
``f(observation, rng, allowed=...)``, the shield cannot know that counterfactual; it counts
*restricted offers* (steps at which some action was withheld) instead.
"""

from __future__ import annotations

import dataclasses
import inspect
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from interplay.agents.protocol import Decision, Player, Speaker, View
from interplay.errors import InterplayError
from interplay.safety.spec import SafetySpec, global_state

Mode = Literal["pre-emptive", "post-posed"]
MODES = ("pre-emptive", "post-posed")


class Shield:
    """A shield over a :class:`SafetySpec`: one or more groups of agents, one mode.

    Build with :meth:`centralised` (one group of every agent) or :meth:`factored`
    (groups, default one per agent). Raises :class:`InterplayError` if some group has, in
    some state, no joint action that is safe whatever the other agents do: no shield can
    then guarantee safety for it, and a coarser grouping (or a centralised shield) is needed.
    """

    def __init__(self, spec: SafetySpec, *, groups: Sequence[Sequence[int]] | None = None,
                 mode: Mode = "post-posed", name: str | None = None) -> None:
        if mode not in MODES:
            raise InterplayError(f"shield mode must be one of {MODES}, got {mode!r}.")
        n = spec.num_players
        groups = [list(range(n))] if groups is None else [[int(p) for p in g] for g in groups]
        flat = [p for g in groups for p in g]
        if sorted(flat) != list(range(n)):
            raise InterplayError(f"shield groups {groups} must split the players 0..{n - 1} into disjoint groups, "
                                 "each player exactly once.")
        self.spec = spec
        self.mode: Mode = mode
        self.groups: list[list[int]] = groups
        self.group_of = {p: k for k, g in enumerate(groups) for p in g}
        self.name = name or f"{'centralised' if len(groups) == 1 and n > 1 else 'factored'} {mode}"
        # safe[g][s, a_g...]: True if no completion by agents outside group g is forbidden
        self._safe: list[np.ndarray] = []
        for k, g in enumerate(groups):
            others = tuple(1 + p for p in range(n) if p not in g)
            mine = (spec.blame[..., g].any(axis=-1) & spec.forbidden) if others else spec.forbidden
            ok = np.asarray(~mine.any(axis=others) if others else ~mine)
            # axes are in player order; reorder to the group's order
            order = sorted(g)
            ok = np.moveaxis(ok, [1 + order.index(p) for p in g], list(range(1, 1 + len(g))))
            for s in range(spec.num_states):
                if not ok[s].any():
                    names = [spec.players[p] for p in g]
                    raise InterplayError(
                        f"shield group {k} {names}: no joint action is safe in state {spec.states[s]!r} "
                        "whatever the other agents do; use a centralised shield or larger groups.")
            self._safe.append(ok)
        self.reset_counts()

    @classmethod
    def centralised(cls, spec: SafetySpec, mode: Mode = "post-posed") -> Shield:
        """One shield over the joint action of every agent (ElSayed-Aly et al. 2021)."""
        return cls(spec, groups=None, mode=mode, name=f"centralised {mode}")

    @classmethod
    def factored(cls, spec: SafetySpec, groups: Sequence[Sequence[int]] | None = None,
                 mode: Mode = "post-posed") -> Shield:
        """One shield per group (default: per agent), each safe against any action of the others."""
        groups = [[p] for p in range(spec.num_players)] if groups is None else groups
        return cls(spec, groups=groups, mode=mode, name=f"factored {mode}")

    # -- counters ------------------------------------------------------------------
    def reset_counts(self) -> None:
        n = self.spec.num_players
        self.steps = 0
        self.interventions = np.zeros(n, dtype=np.int64)
        self.restricted = np.zeros(n, dtype=np.int64)

    def counts(self) -> dict[str, Any]:
        """Interventions and restricted offers per agent (by name) and in total."""
        names = self.spec.players
        return {"shield": self.name, "steps": int(self.steps),
                "interventions": {names[i]: int(x) for i, x in enumerate(self.interventions)},
                "restricted_offers": {names[i]: int(x) for i, x in enumerate(self.restricted)},
                "total_interventions": int(self.interventions.sum())}

    # -- the safe sets ----------------------------------------------------------------
    def group_safe(self, state: int, group: int) -> np.ndarray:
        """Bool array over the group's joint actions (in the group's order): safe in this state."""
        return self._safe[group][int(state)]

    def allowed(self, state: int, player: int, chosen: dict[int, int] | None = None) -> list[int]:
        """The actions a pre-emptive shield offers ``player``, given earlier group members' choices."""
        g = self.group_of[player]
        members = self.groups[g]
        ok = self.group_safe(state, g)
        k = members.index(player)
        chosen = chosen or {}
        sl = tuple(chosen[m] if m in chosen else slice(None) for m in members[:k])
        sub = ok[sl] if sl else ok
        later = tuple(range(1, sub.ndim))
        feasible = sub.any(axis=later) if later else sub
        return [int(a) for a in np.flatnonzero(feasible)]

    # -- post-posed --------------------------------------------------------------------
    def correct(self, state: int, joint: Sequence[int],
                probs: Sequence[np.ndarray | None] | None = None) -> tuple[int, ...]:
        """Post-posed correction of a proposed joint action (see the module docstring)."""
        out = [int(a) for a in joint]
        for g, members in enumerate(self.groups):
            ok = self.group_safe(state, g)
            proposal = tuple(out[m] for m in members)
            if ok[proposal]:
                continue
            best_key: tuple[float, ...] | None = None
            best: tuple[int, ...] = proposal
            for cand in zip(*np.nonzero(ok)):
                dist = sum(int(c != p) for c, p in zip(cand, proposal))
                lp = 0.0
                if probs is not None:
                    for m, c in zip(members, cand):
                        pm = probs[m]
                        if pm is not None:
                            lp += float(np.log(max(float(pm[c]), 1e-300)))
                key = (dist, -lp)
                if best_key is None or key < best_key:  # ties keep the first in index order
                    best_key, best = key, tuple(int(c) for c in cand)
            for m, c in zip(members, best):
                out[m] = c
        return tuple(out)

    # -- pre-emptive on distributions ----------------------------------------------------
    def sample_group(self, state: int, group: int, probs: Sequence[np.ndarray],
                     uniforms: Sequence[float]) -> tuple[int, ...]:
        """Sample a group's joint action from the product of ``probs`` restricted to the safe set.

        Members draw one after another from their conditional distribution, each by the
        inverse CDF of its own uniform number.
        """
        members = self.groups[group]
        ok = self.group_safe(state, group).astype(float)
        chosen: list[int] = []
        for k in range(len(members)):
            w = ok[tuple(chosen)]  # shape (A_k, A_k+1, ...): safe completions given earlier choices
            for j in range(len(members) - 1, k, -1):  # sum out later members, weighted by their probs
                w = w @ np.asarray(probs[j], dtype=float)
            weights = np.asarray(probs[k], dtype=float) * w
            if weights.sum() <= 0:  # no mass on any safe action: uniform over the feasible ones
                weights = (w > 0).astype(float)
            chosen.append(_inverse_cdf(weights / weights.sum(), uniforms[k]))
        return tuple(chosen)


def _inverse_cdf(p: np.ndarray, u: float) -> int:
    c = np.cumsum(p)
    return int(min(np.searchsorted(c, u * c[-1], side="right"), len(p) - 1))


# -- agents, whatever they are ------------------------------------------------------------
def view_observation(view: View) -> int:
    """A seat's observation in the form the games' pure ``step`` gives it: in an iterated 2x2 game
    the memory-one state from its own side (0 at the start, then ``1 + 2 * mine + theirs`` of the
    last joint action), in a one-shot game 0."""
    if view.spec.num_players != 2 or view.spec.num_actions != (2, 2):
        return 0
    return _last_state(view.history, view.seat)


def _last_state(history: Sequence[Sequence[int]], seat: int) -> int:
    """The memory-one state after ``history`` from ``seat``'s side (0 before the first turn)."""
    if not history:
        return 0
    last = history[-1]
    return 1 + 2 * int(last[seat]) + int(last[1 - seat])


class Actor:
    """How the shield sees one agent: a distribution per observation, or a ``choose`` call.

    Every actor is also a :class:`~interplay.agents.protocol.Player` (the one turn-by-turn
    contract): :meth:`act` reads its observation from the view (:func:`view_observation`) and
    draws from a generator seeded by the match seed, the seat and the round, so an actor can sit
    in any match, shielded there by :func:`shield_players`.
    """

    name: str = "actor"

    def probs(self, observation: Any) -> np.ndarray | None:
        """The agent's action distribution, or None if it only acts."""
        return None

    def choose(self, observation: Any, rng: np.random.Generator, allowed: Sequence[int] | None = None) -> int:
        raise NotImplementedError  # every concrete actor below overrides this

    @property
    def accepts_allowed(self) -> bool:
        return False

    async def act(self, view: View) -> Decision:
        rng = np.random.default_rng([view.seed, view.seat, view.round, 19])
        return Decision(action=self.choose(view_observation(view), rng))


@dataclass
class DistributionActor(Actor):
    """An agent given by its action probabilities per observation (a table, a learner's policy)."""

    fn: Callable[[Any], Any]
    name: str = "actor"

    def probs(self, observation: Any) -> np.ndarray:
        p = np.asarray(self.fn(observation), dtype=float)
        if p.ndim != 1 or np.any(p < -1e-9) or not np.isclose(p.sum(), 1.0, atol=1e-6):
            raise InterplayError(f"agent's action probabilities at observation {observation!r} are not a "
                                 f"distribution: {p.tolist()}.")
        return np.clip(p, 0.0, None)

    def choose(self, observation: Any, rng: np.random.Generator, allowed: Sequence[int] | None = None) -> int:
        p = self.probs(observation)
        if allowed is not None:
            mask = np.zeros_like(p)
            mask[list(allowed)] = 1.0
            p = p * mask if (p * mask).sum() > 0 else mask
        return _inverse_cdf(p / p.sum(), float(rng.random()))


@dataclass
class CallableActor(Actor):
    """An agent that only acts: ``fn(observation, rng)`` or ``fn(observation, rng, allowed=...)``."""

    fn: Callable[..., Any]
    name: str = "actor"
    _allowed: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        try:
            params = inspect.signature(self.fn).parameters
        except (TypeError, ValueError):
            params = {}
        self._allowed = "allowed" in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())

    @property
    def accepts_allowed(self) -> bool:
        return self._allowed

    def choose(self, observation: Any, rng: np.random.Generator, allowed: Sequence[int] | None = None) -> int:
        if allowed is not None and self._allowed:
            return int(self.fn(observation, rng, allowed=list(allowed)))
        return int(self.fn(observation, rng))


def as_actor(agent: Any, num_actions: int, name: str = "actor") -> Actor:
    """Adapt an agent for a shield, without changing it.

    Accepted: an :class:`Actor`; a library strategy name or a memory-one policy (5 probabilities
    of action 0, for a 2-action player); a mixed strategy (``num_actions`` probabilities); a table
    of shape (observations, actions) of probabilities; a function ``f(obs, rng[, allowed])``.
    A per-turn :class:`~interplay.agents.protocol.Player` (``async act(view)``) is not an observation
    actor: :func:`shield_players` shields it in its matches.
    """
    if isinstance(agent, Actor):
        return agent
    if isinstance(agent, Player):
        raise InterplayError(f"{agent.name!r} is a per-turn player (interplay.agents.protocol.Player: async "
                             "act(view)); shield it in its matches with shield_players(players, shield).")
    if isinstance(agent, str):
        from interplay.agents.memory_one import memory_one_probs

        agent = memory_one_probs(agent)
    if isinstance(agent, np.ndarray | list | tuple):
        arr = np.asarray(agent, dtype=float)
        if arr.shape == (5,) and num_actions == 2:
            return DistributionActor(lambda obs, a=arr: np.array([a[int(obs)], 1.0 - a[int(obs)]]), name)
        if arr.ndim == 2 and arr.shape[1] == num_actions:
            return DistributionActor(lambda obs, a=arr: a[int(np.asarray(obs).reshape(-1)[0]) if a.shape[0] > 1 else 0],
                                     name)
        if arr.shape == (num_actions,):
            return DistributionActor(lambda obs, a=arr: a, name)
        raise InterplayError(f"an agent given as numbers must be a memory-one policy (5,), a mixed strategy "
                             f"({num_actions},) or a table (observations, {num_actions}); got shape {arr.shape}.")
    if callable(agent):
        return CallableActor(agent, name)
    raise InterplayError(f"cannot use {type(agent).__name__} as an agent: give probabilities, a strategy name, an "
                         "Actor, or a function f(observation, rng[, allowed]).")


# -- one step and whole runs ------------------------------------------------------------------
def shielded_step(shield: Shield | None, state: int, actors: Sequence[Actor], observations: Sequence[Any],
                  rng: np.random.Generator) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(proposed, executed) joint actions for one step; counts interventions on the shield.

    ``proposed`` is what the agents would have played unshielded with the same random
    numbers (for black-box agents under a pre-emptive shield it equals ``executed``: they
    were never asked the unshielded question).
    """
    n = len(actors)
    uniforms = rng.random(n)
    dists = [a.probs(o) for a, o in zip(actors, observations)]

    def free(i: int) -> int:
        d = dists[i]
        if d is not None:
            return _inverse_cdf(d, float(uniforms[i]))
        return actors[i].choose(observations[i], rng)

    if shield is None:
        joint = tuple(free(i) for i in range(n))
        return joint, joint
    shield.steps += 1
    if shield.mode == "post-posed":
        proposed = tuple(free(i) for i in range(n))
        executed = shield.correct(state, proposed, dists)
        shield.interventions += np.array([p != e for p, e in zip(proposed, executed)], dtype=np.int64)
        return proposed, executed
    proposed_l = [0] * n
    executed_l = [0] * n
    for g, members in enumerate(shield.groups):
        known = [d for d in (dists[m] for m in members) if d is not None]
        if len(known) == len(members):
            picked = shield.sample_group(state, g, known, [uniforms[m] for m in members])
            for m, a in zip(members, picked):
                executed_l[m] = a
                proposed_l[m] = free(m)
                shield.interventions[m] += int(a != proposed_l[m])
            continue
        chosen: dict[int, int] = {}
        for m in members:
            allowed = shield.allowed(state, m, chosen)
            if len(allowed) < len(shield.spec.actions[m]):
                shield.restricted[m] += 1
            d = dists[m]
            if d is not None:
                p = d * np.isin(np.arange(len(d)), allowed)
                p = p if p.sum() > 0 else np.isin(np.arange(len(d)), allowed).astype(float)
                a = _inverse_cdf(p / p.sum(), float(uniforms[m]))
                proposed_l[m] = free(m)
                shield.interventions[m] += int(a != proposed_l[m])
            elif actors[m].accepts_allowed:
                a = actors[m].choose(observations[m], rng, allowed)
                if a not in allowed:  # the agent ignored the offer: enforce it post hoc
                    shield.interventions[m] += 1
                    a = allowed[0]
                proposed_l[m] = a
            else:
                raise InterplayError(
                    f"pre-emptive shield: agent {shield.spec.players[m]!r} neither exposes its action "
                    "probabilities nor accepts `allowed` actions; use a post-posed shield for it.")
            chosen[m] = a
            executed_l[m] = a
    return tuple(proposed_l), tuple(executed_l)


@dataclass
class PlayRecord:
    """What happened in :func:`play`, step by step (arrays of length T = total steps).

    states: (T,) spec state index; proposed / executed: (T, n) joint actions; rewards,
    costs: (T, n); violations: (T,) whether the executed joint action was forbidden;
    blamed: (T, n) violations charged per player; episode: (T,) episode index.
    """

    players: tuple[str, ...]
    states: np.ndarray
    proposed: np.ndarray
    executed: np.ndarray
    rewards: np.ndarray
    costs: np.ndarray
    violations: np.ndarray
    blamed: np.ndarray
    episode: np.ndarray
    shield: dict[str, Any] | None = None

    def summary(self) -> dict[str, Any]:
        """Per-agent totals and per-step means: the safety columns of a run."""
        names = self.players
        steps = max(len(self.states), 1)
        return {
            "steps": int(len(self.states)),
            "episodes": int(self.episode.max() + 1) if len(self.episode) else 0,
            "violations": int(self.violations.sum()),
            "violations_per_agent": {names[i]: int(self.blamed[:, i].sum()) for i in range(len(names))},
            "cost_per_agent": {names[i]: float(self.costs[:, i].sum()) for i in range(len(names))},
            "reward_per_step": {names[i]: float(self.rewards[:, i].sum() / steps) for i in range(len(names))},
            "changed_actions": int((self.proposed != self.executed).sum()),
            "shield": self.shield,
        }


def play(game: Any, agents: Sequence[Any], spec: SafetySpec, *, shield: Shield | None = None,
         episodes: int = 1, max_steps: int | None = None, seed: int = 0, audit: Any = None) -> PlayRecord:
    """Play ``episodes`` episodes of ``game`` with ``agents``, optionally shielded.

    Uses the game's pure ``reset``/``step``; each agent sees its own observation and never
    the shield. Constraint costs and violations are read from ``spec`` on the executed
    joint action. ``audit``: an :class:`~interplay.safety.audit.AuditLog` that receives every
    step as an ``action`` entry.
    """
    from interplay.games.normal_form import NormalFormGame

    n = spec.num_players
    if len(agents) != n:
        raise InterplayError(f"{spec.game_id}: {len(agents)} agents given for {n} players.")
    actors = [as_actor(a, spec.num_actions[i], spec.players[i]) for i, a in enumerate(agents)]
    rng = np.random.default_rng(seed)
    keys = _KeyStream(seed, needs_keys=not isinstance(game, NormalFormGame))
    rows: dict[str, list[Any]] = {k: [] for k in ("s", "p", "e", "r", "c", "v", "b", "ep")}
    for ep in range(episodes):
        obs, gstate = game.reset(keys.next())
        t = 0
        while True:
            observations = [np.asarray(obs)[i] for i in range(n)]
            s = global_state(game, 0, observations[0])
            proposed, executed = shielded_step(shield, s, actors, observations, rng)
            obs, gstate, rewards, terminated, truncated = game.step(keys.next(), gstate, np.asarray(executed))
            for k, v in zip(rows, (s, proposed, executed, np.asarray(rewards, dtype=float), spec.costs_of(s, executed),
                                   spec.is_forbidden(s, executed), spec.blamed(s, executed), ep)):
                rows[k].append(v)
            if audit is not None:
                audit.append("action", {"episode": ep, "t": t, "state": spec.states[s], "proposed": list(proposed),
                                        "executed": list(executed), "rewards": np.asarray(rewards).tolist(),
                                        "violation": bool(rows["v"][-1])})
            t += 1
            if bool(np.asarray(terminated)) or bool(np.asarray(truncated)) or (max_steps and t >= max_steps):
                break
    return PlayRecord(spec.players, np.array(rows["s"], dtype=np.int64),
                      np.array(rows["p"], dtype=np.int64).reshape(-1, n),
                      np.array(rows["e"], dtype=np.int64).reshape(-1, n), np.array(rows["r"]).reshape(-1, n),
                      np.array(rows["c"]).reshape(-1, n), np.array(rows["v"], dtype=bool),
                      np.array(rows["b"], dtype=bool).reshape(-1, n), np.array(rows["ep"], dtype=np.int64),
                      shield.counts() if shield is not None else None)


class _KeyStream:
    """JAX keys for a game's pure step, split in blocks (one dispatch per 256 keys)."""

    def __init__(self, seed: int, needs_keys: bool) -> None:
        self.needs = needs_keys
        self._buf: list[Any] = []
        self._root: Any = None
        self._seed = seed

    def next(self) -> Any:
        if not self.needs:
            return None
        if not self._buf:
            import jax

            self._root = jax.random.PRNGKey(self._seed) if self._root is None else self._root
            block = np.asarray(jax.random.split(self._root, 257))  # host copies: no device op per key
            self._root = block[0]
            self._buf = list(block[1:])[::-1]
        return self._buf.pop()


def all_joint_actions(spec: SafetySpec) -> list[tuple[int, ...]]:
    return list(itertools.product(*map(range, spec.num_actions)))


# -- shields around per-turn players (LLM agents, humans, machines in play_match) ------------------
class _Turn:
    """The proposals of one round of one match, gathered until the group is complete."""

    def __init__(self) -> None:
        import asyncio

        self.proposals: dict[int, tuple[int, np.ndarray | None]] = {}
        self.done: dict[int, asyncio.Event] = {}
        self.result: dict[int, int] = {}


class ShieldedPlayer:
    """A :class:`~interplay.agents.protocol.Player` whose moves pass a post-posed shield (itself a Player).

    Build them with :func:`shield_players`: the wrappers of one shield share the proposals of
    each round, so a centralised (or grouped) shield sees its whole group's joint action before
    correcting it; the players' code is unchanged and they never see the shield. The spec's
    state is read from the view's history (the last joint action of an iterated game). The
    shielded player is :attr:`player`; a player that talks is wrapped as a :class:`ShieldedSpeaker`.
    """

    def __init__(self, player: Player, shield: Shield, turns: dict[Any, _Turn]) -> None:
        if shield.mode != "post-posed":
            raise InterplayError("per-turn players can only be shielded post-posed (their options are fixed by the "
                                 "game's spec); use mode='post-posed'.")
        self.player = player
        self.name = player.name
        self.shield = shield
        self._turns = turns

    def _state(self, view: View) -> int:
        return _last_state(view.history, 0) if self.shield.spec.num_states == 5 else 0

    async def act(self, view: View) -> Decision:
        import asyncio

        out = await self.player.act(view)
        decision = out if isinstance(out, Decision) else Decision(action=int(out))
        action = decision.action
        seat = int(view.seat)
        g = self.shield.group_of[seat]
        key = (view.seed, view.round, tuple(view.names), g)
        turn = self._turns.setdefault(key, _Turn())
        members = self.shield.groups[g]
        for m in members:
            turn.done.setdefault(m, asyncio.Event())
        turn.proposals[seat] = (action, None)
        if all(m in turn.proposals for m in members):
            state = self._state(view)
            joint = [0] * self.shield.spec.num_players
            for m in members:
                joint[m] = turn.proposals[m][0]
            fixed = self.shield.correct(state, joint)
            self.shield.steps += 1
            for m in members:
                turn.result[m] = fixed[m]
                self.shield.interventions[m] += int(fixed[m] != joint[m])
                turn.done[m].set()
            del self._turns[key]
        await turn.done[seat].wait()
        new = turn.result[seat]
        if new == action:
            return decision
        actions = view.spec.actions[seat]
        return dataclasses.replace(decision, action=new, reason=f"shield replaced {actions[action]} by {actions[new]}")


class ShieldedSpeaker(ShieldedPlayer):
    """A shielded :class:`~interplay.agents.protocol.Speaker`: its messages pass unchanged (message
    monitors, not action shields, watch cheap talk: :mod:`interplay.safety.monitors`)."""

    def __init__(self, player: Player, shield: Shield, turns: dict[Any, _Turn]) -> None:
        super().__init__(player, shield, turns)
        if not isinstance(player, Speaker):
            raise InterplayError(f"{player.name!r} does not talk (no speak(view, to)); shield it as a ShieldedPlayer.")
        self._speaker = player

    async def speak(self, view: View, to: tuple[str, ...]) -> str | None:
        return await self._speaker.speak(view, to)


def shield_players(players: Sequence[Player], shield: Shield) -> list[ShieldedPlayer]:
    """Wrap the per-turn players of a match (seat order) in one post-posed shield."""
    if len(players) != shield.spec.num_players:
        raise InterplayError(f"shield_players: {len(players)} players for a spec of {shield.spec.num_players}.")
    turns: dict[Any, _Turn] = {}
    return [(ShieldedSpeaker if isinstance(p, Speaker) else ShieldedPlayer)(p, shield, turns) for p in players]
