"""Stratego as a PettingZoo AEC environment (turn by turn, with action masks).

Agents ``red`` and ``blue``; red moves first. Each observation is a dict
``{"observation": float32 (OBS_SIZE,), "action_mask": int8 (1800,)}`` (the mask is all zeros
when it is not that agent's turn); ``infos[agent]["legal_moves"]`` lists the moves as text on
the agent's turn. Rewards are +1 / -1 at a win / loss, 0 otherwise and in a draw. An illegal
action raises InterplayError naming the move and why. ``render()`` gives the board from the
view of the agent to move (``render_mode="ansi"``).

``own_frame=True`` turns blue's observation planes and action mask half a circle (square ``s``
is seen as ``99 - s``), so each player sees its own side at the bottom, as in the text view,
and blue's actions are read in that frame (:func:`interplay.games.stratego.core.own_frame`);
``legal_moves`` still names the board's squares.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np
from pettingzoo import AECEnv

from interplay.errors import InterplayError
from interplay.games.stratego.core import NUM_PLANES, PLAYERS, ROTATE_ACTION_NP, SQUARES
from interplay.games.stratego.game import Stratego, _jit_step
from interplay.games.stratego.text import legal_moves, render


class StrategoAEC(AECEnv):
    """A :class:`Stratego` game behind the PettingZoo AEC API."""

    metadata = {"render_modes": ["ansi"], "name": "stratego-v1", "is_parallelizable": False}

    def __init__(self, game: Stratego, render_mode: str | None = None, own_frame: bool = False) -> None:
        super().__init__()
        self.game = game
        #: blue's observation, mask and actions in its own frame (the board turned half a circle)
        self.own_frame = bool(own_frame)
        self.possible_agents = list(PLAYERS)
        self.render_mode = render_mode
        self.metadata = {**self.metadata, "name": game.spec.id}
        self._space = game.observation_space(0)
        self._act = game.action_space(0)
        self._key = jax.random.PRNGKey(int(np.random.SeedSequence().generate_state(1)[0]) % (2**31))
        self._state: Any = None
        self._reset_jit = jax.jit(game.reset)

    def observation_space(self, agent: str):
        return self._space

    def action_space(self, agent: str):
        return self._act

    def _refresh(self, obs: Any) -> None:
        obs = np.asarray(obs)
        mask = np.asarray(self._state.mask).astype(np.int8)
        zero = np.zeros_like(mask)
        to_move = int(self._state.player)
        self._obs = {}
        for i, a in enumerate(self.possible_agents):
            o, m = obs[i].astype(np.float32), mask if i == to_move else zero
            if self.own_frame and i == 1:
                o = np.concatenate([o[:NUM_PLANES * SQUARES].reshape(NUM_PLANES, SQUARES)[:, ::-1].reshape(-1),
                                    o[NUM_PLANES * SQUARES:]])
                m = m[ROTATE_ACTION_NP]
            self._obs[a] = {"observation": o, "action_mask": m}

    def reset(self, seed: int | None = None, options: dict | None = None) -> None:
        if seed is not None:
            self._key = jax.random.PRNGKey(seed)
        self._key, sub = jax.random.split(self._key)
        obs, self._state = self._reset_jit(sub)
        self.agents = list(self.possible_agents)
        self.rewards = {a: 0.0 for a in self.agents}
        self._cumulative_rewards = {a: 0.0 for a in self.agents}
        self.terminations = {a: False for a in self.agents}
        self.truncations = {a: False for a in self.agents}
        self.infos = {a: {} for a in self.agents}
        self._refresh(obs)
        self.agent_selection = self.possible_agents[int(self._state.player)]
        self._set_legal_info()
        if bool(self._state.done):  # a set-up with no legal move for the first player
            self._finish(np.zeros(2), True, False)

    def _set_legal_info(self) -> None:
        for a in self.agents:
            self.infos[a] = {}
        if self.agents:
            self.infos[self.agent_selection] = {"legal_moves": legal_moves(self._state),
                                                "action_mask": self._obs[self.agent_selection]["action_mask"]}

    def _finish(self, rewards: Any, terminated: bool, truncated: bool) -> None:
        for i, a in enumerate(self.possible_agents):
            self.rewards[a] = float(rewards[i])
            self.terminations[a] = terminated
            self.truncations[a] = truncated and not terminated

    def observe(self, agent: str) -> dict[str, np.ndarray]:
        return self._obs[agent]

    def step(self, action: Any) -> None:
        agent = self.agent_selection
        if self.terminations.get(agent) or self.truncations.get(agent):
            self._was_dead_step(action)
            return
        if action is None:
            raise InterplayError(f"{self.game.spec.id}: {agent} must give a move (action None is only for "
                                 "finished agents).")
        if self.own_frame and agent == self.possible_agents[1] and isinstance(action, int | np.integer) \
                and 0 <= int(action) < len(ROTATE_ACTION_NP):
            action = int(ROTATE_ACTION_NP[int(action)])  # blue's own frame -> the board's
        a = self.game.check_action(self._state, action, where=f" ({agent})")
        self._key, sub = jax.random.split(self._key)
        obs, self._state, rewards, terminated, truncated = _jit_step(self.game, sub, self._state, a)
        self._refresh(obs)
        self._cumulative_rewards[agent] = 0.0
        for a_ in self.agents:
            self.rewards[a_] = 0.0
        term, trunc = bool(terminated), bool(truncated)
        if term or trunc:
            self._finish(np.asarray(rewards), term, trunc)
        self.agent_selection = self.possible_agents[int(self._state.player)]
        self._set_legal_info()
        self._accumulate_rewards()

    def render(self) -> str | None:
        if self._state is None:
            return None
        return render(self._state, int(self._state.player))

    def state(self) -> Any:
        return self._state

    def close(self) -> None:
        pass


def aec_env(id: str = "stratego-v1", render_mode: str | None = None, own_frame: bool = False,
            **params: Any) -> StrategoAEC:
    """``aec_env("stratego-barrage-v1")``: a registered Stratego game as a PettingZoo AECEnv
    (``own_frame=True``: blue observes and acts with the board turned, its side at the bottom)."""
    from interplay.games.registry import make

    game = make(id, **params)
    if not isinstance(game, Stratego):
        raise InterplayError(f"aec_env: {id!r} is not a Stratego game.")
    return StrategoAEC(game, render_mode=render_mode, own_frame=own_frame)
