"""Stratego players (bots, LLM agents, people) and the move-by-move game loop.

A Stratego player has the per-turn player's shape (:mod:`interplay.agents.protocol`): a
``name`` and ``async act(view) -> Decision | int`` (an action index, ``from-square * 18 +
target``). The view (:class:`StrategoView`) holds only what the player to move may know: its
observation vector and legal mask (for bots), and the text view of
:mod:`interplay.games.stratego.text` (the board from its own side, its pieces, enemy pieces
unknown unless revealed, and its legal moves) for LLM agents and people. No player is handed
the game state, which holds the hidden enemy ranks.

:func:`play_stratego` plays one game move by move under asyncio, checking every move against
the legal set before it is applied. It consumes the game's key exactly as the batched
``Stratego.play`` does, so two bots play the same game on either path (the batched path is
the fast one: the ``stratego`` kind uses it for every pairing of two bots).

:class:`LLMStrategoAgent` chooses its move among the legal moves written ``b4-b5`` (a
constrained choice: JSON-schema enum or guided choice on HTTP servers, option
log-likelihoods on local models); an invalid answer is re-asked (quoting it, a new seed) up
to ``max_reasks`` times, then its declared fallback bot (``random`` or ``heuristic``) moves,
counted as a fallback. It never plays a move outside the list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import jax
import numpy as np

from interplay.agents.asking import choose_option, fallback_decision
from interplay.agents.llm_agent import AgentStats
from interplay.agents.protocol import Decision
from interplay.agents.stratego_config import StrategoAgentConfig, parse_stratego_agent
from interplay.errors import InterplayError
from interplay.games.stratego.bots import BOTS
from interplay.games.stratego.core import PLAYERS
from interplay.games.stratego.game import Stratego
from interplay.llm.base import LanguageModel


@dataclass(frozen=True)
class StrategoView:
    """What the player to move knows: ``text`` (the board from its side with its legal moves),
    ``moves`` (the legal moves as ``from-to``, in action order) and ``actions`` (their indices),
    ``obs`` and ``mask`` (the observation vector and legal mask the bots read), ``key`` (its
    random key for this move)."""

    player: int
    name: str
    opponent: str
    text: str
    moves: tuple[str, ...]
    actions: tuple[int, ...]
    obs: Any
    mask: Any
    ply: int
    max_plies: int
    key: Any
    seed: int = 0

    @property
    def colour(self) -> str:
        return PLAYERS[self.player]


@partial(jax.jit, static_argnums=0)
def _policy_call(policy: Callable[..., Any], key: jax.Array, obs: jax.Array, mask: jax.Array) -> jax.Array:
    return policy(key, obs, mask)


@partial(jax.jit, static_argnums=0)
def _transition(game: Stratego, state: Any, action: jax.Array) -> Any:
    return game.transition(state, action)


@partial(jax.jit, static_argnums=0)
def _observe(game: Stratego, state: Any) -> Any:
    return game.observe(state, state.player)


class StrategoBot:
    """A bot of :mod:`interplay.games.stratego.bots` (``policy(key, obs, mask)``) as a player."""

    def __init__(self, name: str, policy: Callable[..., Any] | str) -> None:
        if isinstance(policy, str):
            if policy not in BOTS:
                raise InterplayError(f"unknown Stratego bot {policy!r}; the bots are {', '.join(BOTS)}")
            policy = BOTS[policy]
        self.name = name
        self.policy = policy

    async def act(self, view: StrategoView) -> Decision:
        return Decision(action=int(_policy_call(self.policy, view.key, view.obs, view.mask)))


SYSTEM = """You play Stratego as {colour} against {opponent}. Capture the enemy flag to win; a player with no \
legal move loses; after {max_plies} moves in all the game is a draw. Each turn you move one of your pieces."""


class LLMStrategoAgent:
    """An LLM choosing each Stratego move from the legal set through the text view.

    ``stats`` (the accounting fields of the LLM agents: moves, answers, invalid answers,
    re-asks, fallbacks, calls, tokens) counts over every game it plays.
    """

    def __init__(self, name: str, model: LanguageModel, config: StrategoAgentConfig | Mapping[str, Any] | None = None
                 ) -> None:
        self.name = name
        self.model = model
        self.config = parse_stratego_agent(config or {}, where=f"agent {name!r}")
        self.stats = AgentStats()
        self._fallback = StrategoBot(f"{name}/fallback", self.config.fallback)

    def messages(self, view: StrategoView) -> list[dict[str, str]]:
        system = SYSTEM.format(colour=view.colour, opponent=view.opponent, max_plies=view.max_plies)
        text = view.text
        if self.config.shuffle_options:  # the text view's list of legal moves, in the shuffled order
            lines = text.split("\n")
            k = next((i for i in range(len(lines) - 1, -1, -1) if lines[i].startswith("Your legal moves")), None)
            if k is not None:
                lines[k] = lines[k].split(": ", 1)[0] + ": " + " ".join(self.options(view))
            text = "\n".join(lines)
        return [{"role": "system", "content": system},
                {"role": "user", "content": f"{text}\n\nReply with your move only, exactly as listed."}]

    def options(self, view: StrategoView) -> list[str]:
        """The legal moves in the order the prompt lists them (seeded random with ``shuffle_options``)."""
        options = list(view.moves)
        if self.config.shuffle_options:
            seed = np.random.SeedSequence([view.seed, view.ply, 77]).generate_state(1)[0]
            options = [options[i] for i in np.random.default_rng(int(seed)).permutation(len(options))]
        return options

    async def act(self, view: StrategoView) -> Decision:
        cfg = self.config
        options = self.options(view)
        msgs = self.messages(view)
        got = await choose_option(
            self.model, msgs, options, stats=self.stats, max_reasks=cfg.max_reasks, temperature=cfg.temperature,
            on_error=cfg.on_error,
            seed=lambda attempt: int(np.random.SeedSequence([view.seed, view.ply, attempt]).generate_state(1)[0] >> 1),
            reask=lambda quoted, why: f"Your answer \"{quoted}\" cannot be played: {why}. "
                                      f"Reply with exactly one of: {' '.join(options)}")
        if got.option is not None:
            self.stats.moves += 1
            return Decision(action=view.actions[view.moves.index(got.option)], text="\n".join(got.texts),
                            invalid=got.invalid)
        return await fallback_decision(self._fallback, view, self.stats, declared=cfg.fallback, reason=got.reason,
                                       invalid=got.invalid, texts=got.texts)


class HumanStrategoPlayer:
    """A person at the terminal (:class:`~interplay.agents.human.Terminal`): the board from their
    side and the legal moves are shown; a move is typed ``b4-b5`` (or its number in the list) and
    anything else is asked again, never guessed."""

    def __init__(self, name: str = "human", *, ask: Callable[[str], str] = input,
                 tell: Callable[[str], None] = print, max_tries: int = 20) -> None:
        from interplay.agents.human import Terminal

        self.name = name
        self.max_tries = max_tries
        self.terminal = Terminal(name, ask=ask, tell=tell, eof="no more input (end of file); the game stops here.")

    async def act(self, view: StrategoView) -> Decision:
        term = self.terminal
        term.tell(view.text)
        for _ in range(self.max_tries):
            text = await term.aread("your move (like b4-b5): ")
            if text.isdigit() and 1 <= int(text) <= len(view.moves):
                return Decision(action=view.actions[int(text) - 1], text=text)
            norm = "-".join(text.lower().replace(" to ", " ").replace("-", " ").split())
            if norm in view.moves:
                return Decision(action=view.actions[view.moves.index(norm)], text=text)
            term.tell(f"{text!r} is not one of your {len(view.moves)} legal moves.")
        raise InterplayError(f"{self.name}: no legal move after {self.max_tries} tries.")


@dataclass
class StrategoGame:
    """One game played move by move: winner (0 red, 1 blue, -1 draw), plies, the moves, decisions."""

    names: tuple[str, str]
    winner: int
    plies: int
    truncated: bool
    actions: list[int]
    moves: list[str]
    fallbacks: tuple[int, int]
    invalid: tuple[int, int]

    def to_dict(self) -> dict[str, Any]:
        return {"red": self.names[0], "blue": self.names[1], "winner": self.winner, "plies": self.plies,
                "truncated": self.truncated, "moves": self.moves, "fallbacks": list(self.fallbacks),
                "invalid": list(self.invalid)}


async def play_stratego(game: Stratego, players: tuple[Any, Any], key: jax.Array, *, seed: int = 0
                        ) -> StrategoGame:
    """One game, red ``players[0]`` against blue ``players[1]``, move by move (see the module docstring)."""
    from interplay.games.stratego.text import describe_illegal, legal_moves, render

    k_reset, k = jax.random.split(key)
    _, state = game.reset(k_reset)
    names = (getattr(players[0], "name", "red"), getattr(players[1], "name", "blue"))
    actions: list[int] = []
    moves: list[str] = []
    fb, bad = [0, 0], [0, 0]
    truncated = False
    while not bool(state.done):
        k, sub = jax.random.split(k)
        p = int(state.player)
        mask = np.asarray(state.mask)
        legal = np.flatnonzero(mask)
        view = StrategoView(player=p, name=names[p], opponent=names[1 - p], text=render(state, p),
                            moves=tuple(legal_moves(state)), actions=tuple(int(a) for a in legal),
                            obs=_observe(game, state), mask=state.mask, ply=int(state.ply),
                            max_plies=game.max_plies, key=sub, seed=seed)
        d = await players[p].act(view)
        if isinstance(d, Decision):
            a = int(d.action)
            fb[p] += bool(d.fallback)
            bad[p] += int(d.invalid)
        else:
            a = int(d)
        if not (0 <= a < mask.shape[0]) or not mask[a]:
            raise InterplayError(f"{names[p]} ({PLAYERS[p]}) played an illegal move: {describe_illegal(state, a)}")
        moves.append(view.moves[list(view.actions).index(a)])
        actions.append(a)
        state, _, _, tr = _transition(game, state, np.int32(a))
        truncated = truncated or bool(tr)
    return StrategoGame(names=names, winner=int(state.winner), plies=int(state.ply), truncated=truncated,
                        actions=actions, moves=moves, fallbacks=(fb[0], fb[1]), invalid=(bad[0], bad[1]))
