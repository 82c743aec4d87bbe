"""PettingZoo ParallelEnv shell around any game's pure functional core.

A game offers ``reset(key) -> (obs, state)`` and
``step(key, state, actions) -> (obs, state, rewards, terminated, truncated)`` where
obs and rewards have one entry per player, plus ``observation_space(i)``,
``action_space(i)`` and ``spec``. This class keeps the state and the random key so a
user gets the familiar stateful API (and `pettingzoo.test` conformance).
"""

from __future__ import annotations

import numbers
from typing import Any

import jax
import numpy as np
from pettingzoo import ParallelEnv

from interplay.errors import InterplayError
from interplay.games.protocol import SteppedGame


class InterplayParallelEnv(ParallelEnv):
    """A registered interplay game as a PettingZoo ParallelEnv."""

    metadata = {"render_modes": ["ansi"], "name": "interplay", "is_parallelizable": True}

    def __init__(self, game: SteppedGame, render_mode: str | None = None) -> None:
        if str(getattr(game.spec, "dynamics", "simultaneous")) == "sequential":
            raise InterplayError(f"{game.spec.id} is turn-based, not a ParallelEnv game; use its AEC env "
                                 "(interplay.games.stratego.aec.aec_env for Stratego).")
        self.game = game
        self.spec_ = game.spec
        self.possible_agents = list(game.spec.players)
        self.agents: list[str] = []
        self.render_mode = render_mode
        self._obs_spaces = {a: game.observation_space(i) for i, a in enumerate(self.possible_agents)}
        self._act_spaces = {a: game.action_space(i) for i, a in enumerate(self.possible_agents)}
        self._key = jax.random.PRNGKey(int(np.random.SeedSequence().generate_state(1)[0]) % (2**31))
        self._state: Any = None
        self._last: dict[str, Any] = {}
        self.metadata = {**self.metadata, "name": game.spec.id}

    def observation_space(self, agent: str):
        return self._obs_spaces[agent]

    def action_space(self, agent: str):
        return self._act_spaces[agent]

    def _obs_dict(self, obs: Any) -> dict[str, Any]:
        out = {}
        for i, a in enumerate(self.possible_agents):
            o = np.asarray(obs[i])
            space = self._obs_spaces[a]
            out[a] = int(o) if o.ndim == 0 and space.shape == () else o.astype(space.dtype)
        return out

    def reset(self, seed: int | None = None, options: dict | None = None):
        if seed is not None:
            s = np.asarray(seed).item() if hasattr(seed, "dtype") and np.ndim(seed) == 0 else seed
            if isinstance(s, bool) or not isinstance(s, numbers.Integral) or not 0 <= int(s) < 2**32:
                raise InterplayError(f"{self.spec_.id}: reset(seed=...) needs a whole number in [0, 2**32) or None, "
                                     f"got {_shown(seed)}.")
            self._key = jax.random.PRNGKey(int(s))
        self._key, sub = jax.random.split(self._key)
        obs, self._state = self.game.reset(sub)
        self.agents = list(self.possible_agents)
        observations = self._obs_dict(obs)
        self._last = observations
        return observations, {a: {} for a in self.agents}

    def step(self, actions: dict[str, Any]):
        if not self.agents:
            raise InterplayError(f"{self.spec_.id}: step() called on a finished episode; call reset() first.")
        if not isinstance(actions, dict):
            raise InterplayError(f"{self.spec_.id}: step() takes a dict of agent -> action, got {_shown(actions)}.")
        missing = [a for a in self.agents if a not in actions]
        if missing:
            raise InterplayError(f"{self.spec_.id}: no action given for {missing}.")
        unknown = [a for a in actions if a not in self.possible_agents]
        if unknown:
            raise InterplayError(f"{self.spec_.id}: actions for unknown agent(s) {unknown}; the agents are "
                                 f"{self.possible_agents}.")
        joint = np.array([self._check_action(a, actions[a]) for a in self.possible_agents])
        self._key, sub = jax.random.split(self._key)
        obs, self._state, rewards, terminated, truncated = self.game.step(sub, self._state, joint)
        observations = self._obs_dict(obs)
        rew = {a: float(np.asarray(rewards)[i]) for i, a in enumerate(self.possible_agents)}
        term = bool(np.asarray(terminated))
        trunc = bool(np.asarray(truncated)) and not term
        terms = {a: term for a in self.agents}
        truncs = {a: trunc for a in self.agents}
        infos: dict[str, dict] = {a: {} for a in self.agents}
        self._last = observations
        if term or trunc:
            self.agents = []
        return observations, rew, terms, truncs, infos

    def _check_action(self, agent: str, value: Any) -> int:
        """``value`` as an action index of ``agent``, or an InterplayError naming the allowed ones."""
        v = np.asarray(value).item() if hasattr(value, "dtype") and np.ndim(value) == 0 else value
        n = int(self._act_spaces[agent].n)
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or not 0 <= int(v) < n:
            names = self.spec_.actions[self.possible_agents.index(agent)]
            allowed = ", ".join(f"{k} ({name})" for k, name in enumerate(names))
            raise InterplayError(f"{self.spec_.id}: agent {agent!r} played {_shown(value)}, which is not an "
                                 f"action; the allowed actions are the integers {allowed}.")
        return int(v)

    def render(self) -> str | None:
        return f"{self.spec_.id}: state {self._state}, last observations {self._last}"

    def close(self) -> None:
        pass

    def state(self) -> Any:
        return self._state


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def parallel_env(id: str, render_mode: str | None = None, **params: Any) -> InterplayParallelEnv:
    """``parallel_env("ipd-v1", discount=0.9)``: a registered game as a ParallelEnv."""
    from interplay.games.registry import make, resolve_game

    entry = resolve_game(id)
    game = make(id, **params) if params or not entry.example else entry.make_example()
    if not isinstance(game, SteppedGame):
        raise InterplayError(f"{id}: a ParallelEnv needs a game with reset/step and spaces; this one is played "
                             "by its own protocol (see its docs).")
    return InterplayParallelEnv(game, render_mode=render_mode)
