"""Tasks: sequences of decisions whose outcomes score every option.

A task is played round by round: ``question(t)`` is what the advisors see (options,
prompt, context); after the group acts with option ``chosen``, ``outcome(t, chosen)``
returns the loss in [0, 1] of *every* option that round (so full-information learners
can score every suggestion, and bandit learners are shown only the chosen one's).

* :class:`SequenceTask` -- a fixed list of :class:`DecisionQuestion` with known losses, read
  from a JSONL file (:func:`load_jsonl`, one decision a line; a bad line raises an
  error naming the file and line) or generated (:func:`generate_task`).
* :class:`GameTask` -- repeated plays of a registered two-player game: the group picks
  a move for one seat against a fixed memory-one or mixed opponent; the loss of each of
  our moves is ``(u_max - u(move, opponent's move)) / (u_max - u_min)``. The opponent
  reacts to what the group actually played, so the task is stateful (``reset``).

JSONL format (one object a line; blank lines and lines starting with ``#`` skipped)::

    {"id": "q1", "question": "Which supplier?", "options": ["A", "B", "C"],
     "best": "B",                        # or "losses": {"A": 1, "B": 0, "C": 0.5}
                                         # or "rewards": {...} with optional "reward_range": [lo, hi]
     "advice": {"alice": "B", "bob": ["C", "A", "B"]},   # optional recorded advice
     "context": {...}}                   # optional, shown to advisors
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from interplay.errors import InterplayError


@dataclass(frozen=True)
class DecisionQuestion:
    """One decision: what advisors see, and (hidden from them) each option's loss.

    ``losses`` may be None for a live task (a game) whose outcome comes later.
    ``advice`` holds advice recorded with the question (advisor -> ranking tiers).
    """

    id: str
    options: tuple[str, ...]
    prompt: str = ""
    losses: tuple[float, ...] | None = None
    context: tuple[tuple[str, Any], ...] = field(default=())
    advice: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = field(default=())

    @property
    def ctx(self) -> dict[str, Any]:
        return dict(self.context)

    @property
    def best(self) -> tuple[str, ...]:
        if self.losses is None:
            return ()
        lo = min(self.losses)
        return tuple(o for o, x in zip(self.options, self.losses) if x == lo)

    def recorded(self, advisor: str) -> tuple[tuple[str, ...], ...] | None:
        return dict(self.advice).get(advisor)


class Task(Protocol):
    """What the decision loop needs of a task."""

    name: str
    options: tuple[str, ...]
    rounds: int

    def reset(self, seed: int) -> None: ...

    def question(self, t: int) -> DecisionQuestion: ...

    def outcome(self, t: int, chosen: int) -> np.ndarray: ...


class SequenceTask:
    """A fixed sequence of questions with known losses (all sharing one option list)."""

    def __init__(self, questions: Sequence[DecisionQuestion], name: str = "sequence") -> None:
        if not questions:
            raise InterplayError(f"task {name!r}: no questions.")
        opts = questions[0].options
        for q in questions:
            if q.options != opts:
                raise InterplayError(f"task {name!r}: question {q.id!r} has options {list(q.options)}, but the "
                                     f"first has {list(opts)}; online learning needs one option list.")
            if q.losses is None:
                raise InterplayError(f"task {name!r}: question {q.id!r} has no outcome (best, losses or rewards).")
        self.name = name
        self.questions = tuple(questions)
        self.options = opts
        self.rounds = len(questions)

    def reset(self, seed: int) -> None:
        return None

    def question(self, t: int) -> DecisionQuestion:
        return self.questions[t]

    def outcome(self, t: int, chosen: int) -> np.ndarray:
        return np.asarray(self.questions[t].losses, dtype=float)


# -- JSONL --------------------------------------------------------------------------------


def _ranking(value: Any, options: Sequence[str], where: str) -> tuple[tuple[str, ...], ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise InterplayError(f"{where}: advice must be an option or a ranking (list), got {value!r}.")
    tiers = []
    seen: set[str] = set()
    for it in items:
        tier = (it,) if isinstance(it, str) else tuple(it) if isinstance(it, list) else None
        if not tier or any(not isinstance(o, str) or o not in options or o in seen for o in tier):
            raise InterplayError(f"{where}: bad ranking {value!r} (options: {', '.join(options)}).")
        seen.update(tier)
        tiers.append(tier)
    return tuple(tiers)


def question_from_dict(d: Mapping[str, Any], where: str, default_id: str) -> DecisionQuestion:
    """Validate one decision record (see the module docstring)."""
    if not isinstance(d, Mapping):
        raise InterplayError(f"{where}: expected a JSON object, got {type(d).__name__}.")
    known = {"id", "question", "prompt", "options", "best", "losses", "rewards", "reward_range", "advice", "context"}
    extra = sorted(set(d) - known)
    if extra:
        raise InterplayError(f"{where}: unknown field(s) {extra} (allowed: {', '.join(sorted(known))}).")
    opts = d.get("options")
    if not isinstance(opts, list) or len(opts) < 2 or not all(isinstance(o, str) for o in opts):
        raise InterplayError(f"{where}: 'options' must be a list of at least 2 names, got {opts!r}.")
    if len(set(opts)) != len(opts):
        raise InterplayError(f"{where}: options must be distinct, got {opts}.")
    given = [k for k in ("best", "losses", "rewards") if k in d]
    if len(given) > 1:
        raise InterplayError(f"{where}: give one of 'best', 'losses', 'rewards', not {given}.")
    losses: tuple[float, ...] | None = None
    if "best" in d:
        best = d["best"]
        bests = [best] if isinstance(best, str) else best
        if not isinstance(bests, list) or not bests or any(b not in opts for b in bests):
            raise InterplayError(f"{where}: 'best' must be an option (or list of options) of {opts}, got {best!r}.")
        losses = tuple(0.0 if o in bests else 1.0 for o in opts)
    elif given:
        key = given[0]
        table = d[key]
        if not isinstance(table, Mapping) or set(table) != set(opts):
            raise InterplayError(f"{where}: {key!r} must map every option {opts} to a number, got {table!r}.")
        try:
            vals = np.array([float(table[o]) for o in opts])
        except (TypeError, ValueError):
            raise InterplayError(f"{where}: {key!r} values must be numbers, got {table!r}.") from None
        if not np.all(np.isfinite(vals)):
            raise InterplayError(f"{where}: {key!r} values must be finite.")
        if key == "rewards":
            lo, hi = d.get("reward_range", [0.0, 1.0])
            if not hi > lo:
                raise InterplayError(f"{where}: reward_range must be [lo, hi] with lo < hi, got {d['reward_range']}.")
            vals = (hi - vals) / (hi - lo)
        if np.any(vals < -1e-12) or np.any(vals > 1 + 1e-12):
            raise InterplayError(f"{where}: {key} must lie in [0, 1] (or give reward_range), got {table!r}.")
        losses = tuple(float(np.clip(x, 0, 1)) for x in vals)
    advice = d.get("advice", {})
    if not isinstance(advice, Mapping):
        raise InterplayError(f"{where}: 'advice' must map advisor names to options or rankings.")
    adv = tuple((str(k), _ranking(v, opts, f"{where}: advice of {k!r}")) for k, v in advice.items())
    ctx = d.get("context", {})
    if not isinstance(ctx, Mapping):
        raise InterplayError(f"{where}: 'context' must be an object.")
    prompt = d.get("question", d.get("prompt", ""))
    if not isinstance(prompt, str):
        raise InterplayError(f"{where}: 'question' must be text.")
    return DecisionQuestion(str(d.get("id", default_id)), tuple(opts), prompt, losses, tuple(ctx.items()), adv)


def load_jsonl(path: str | Path) -> list[DecisionQuestion]:
    """Read decisions, one JSON object a line; errors name the file and line."""
    p = Path(path)
    if not p.is_file():
        raise InterplayError(f"decisions file {str(p)!r} does not exist.")
    out = []
    for lineno, line in enumerate(p.read_text().splitlines(), start=1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        where = f"{p}, line {lineno}"
        try:
            d = json.loads(s)
        except json.JSONDecodeError as exc:
            raise InterplayError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno}).") from None
        out.append(question_from_dict(d, where, f"q{lineno}"))
    if not out:
        raise InterplayError(f"{p}: no decisions in the file.")
    return out


def generate_task(rounds: int, options: Sequence[str] = ("A", "B", "C"), *, seed: int = 0,
                  loss_noise: float = 0.0, name: str = "generated") -> SequenceTask:
    """Each round one uniformly drawn option is right (loss 0), the others wrong (loss 1).

    With ``loss_noise > 0`` every loss is mixed with uniform noise:
    ``(1 - loss_noise) * loss + loss_noise * U(0, 1)`` (the right option stays best in
    expectation).
    """
    if rounds < 1 or len(options) < 2:
        raise InterplayError("generate_task: needs rounds >= 1 and at least 2 options.")
    rng = np.random.default_rng(seed)
    qs = []
    for t in range(rounds):
        best = int(rng.integers(len(options)))
        losses = np.ones(len(options))
        losses[best] = 0.0
        if loss_noise > 0:
            losses = (1 - loss_noise) * losses + loss_noise * rng.random(len(options))
        qs.append(DecisionQuestion(f"r{t + 1}", tuple(options), f"Decision {t + 1}: which option is right?",
                           tuple(float(x) for x in losses), (("round", t + 1),)))
    return SequenceTask(qs, name)


# -- repeated plays of a registered game ------------------------------------------------------


class GameTask:
    """Repeated plays of a registered 2-player game; the group chooses ``seat``'s move.

    The opponent is a memory-one policy (5 probabilities of its first action, or a name
    such as ``"Tit For Tat"``, for 2x2 games) or a fixed mixed strategy over its actions.
    The question's context holds the round and the last joint action (names, our move
    first), which policy advisors read.
    """

    def __init__(self, game_id: str, params: Mapping[str, Any] | None = None, *, rounds: int = 100, seat: int = 0,
                 opponent: str | Sequence[float] = "Tit For Tat") -> None:
        from interplay.games.iterated import IteratedGame
        from interplay.games.normal_form import NormalFormGame
        from interplay.games.registry import make

        game = make(game_id, **dict(params or {}))
        stage = game.stage if isinstance(game, IteratedGame) else game
        if not isinstance(stage, NormalFormGame) or stage.num_players != 2:
            raise InterplayError(f"game task: {game_id!r} is not a 2-player normal-form or iterated game.")
        if seat not in (0, 1):
            raise InterplayError(f"game task: seat must be 0 or 1, got {seat}.")
        if rounds < 1:
            raise InterplayError(f"game task: rounds must be >= 1, got {rounds}.")
        self.name = f"{game_id} x{rounds}"
        self.game_id = game_id
        self.stage = stage
        self.seat = seat
        self.rounds = rounds
        self.options = tuple(stage.spec.actions[seat])
        self.opponent_actions = tuple(stage.spec.actions[1 - seat])
        # our payoff u[our move, their move]
        u = stage.payoffs[seat] if seat == 0 else stage.payoffs[1].T
        self.utility = np.asarray(u, dtype=float)
        self.u_min, self.u_max = float(self.utility.min()), float(self.utility.max())
        if self.u_max == self.u_min:
            raise InterplayError(f"game task: {game_id!r} gives seat {seat} a constant payoff; nothing to decide.")
        self.opponent_spec = opponent
        self._memory_one: np.ndarray | None = None
        self._mixed: np.ndarray | None = None
        if isinstance(opponent, str) or (len(opponent) == 5 and stage.num_actions == (2, 2)):
            from interplay.agents.memory_one import memory_one_probs

            if stage.num_actions != (2, 2):
                raise InterplayError(f"game task: a memory-one opponent needs a 2x2 game; {game_id!r} is "
                                     f"{stage.num_actions}; give a mixed strategy instead.")
            self._memory_one = memory_one_probs(opponent, where="game task opponent")
        else:
            mix = np.asarray(opponent, dtype=float)
            if mix.shape != (len(self.opponent_actions),) or np.any(mix < 0) or not np.isclose(mix.sum(), 1):
                raise InterplayError(f"game task: opponent mixed strategy must be {len(self.opponent_actions)} "
                                     f"probabilities summing to 1, got {list(opponent)}.")
            self._mixed = mix
        self.reset(0)

    def reset(self, seed: int) -> None:
        self._rng = np.random.default_rng([seed, 7919])
        self.last: tuple[int, int] | None = None  # (our move, their move)
        self.history: list[tuple[int, int]] = []

    def question(self, t: int) -> DecisionQuestion:
        from interplay.agents.protocol import View

        spec = self.stage.spec
        history = tuple(h if self.seat == 0 else h[::-1] for h in self.history)  # joint actions in seat order
        view = View(spec=spec, payoffs=np.asarray(self.stage.payoffs, dtype=float), seat=self.seat,
                    names=tuple(spec.players), round=t, history=history)
        return view_question(view, game=self.game_id)

    def _opponent_move(self) -> int:
        if self._mixed is not None:
            return int(self._rng.choice(len(self._mixed), p=self._mixed))
        p = self._memory_one
        if p is None:  # __init__ sets one of the two
            raise InterplayError("game task: no opponent strategy.")
        # memory-one state from the opponent's side: own move first (0=CC,1=CD,2=DC,3=DD)
        state = 0 if self.last is None else 1 + 2 * self.last[1] + self.last[0]
        return 0 if self._rng.random() < p[state] else 1

    def outcome(self, t: int, chosen: int) -> np.ndarray:
        theirs = self._opponent_move()
        losses = (self.u_max - self.utility[:, theirs]) / (self.u_max - self.u_min)
        self.last = (int(chosen), theirs)
        self.history.append(self.last)
        return losses


def view_question(view: Any, game: str | None = None) -> DecisionQuestion:
    """The decision a seat of a two-player match faces (a :class:`~interplay.agents.protocol.View`):
    its legal actions as options, a prompt naming the round and the last joint action, and the
    context policy advisors read (round from 1, the last joint action as names and as indices
    with our move first, the game, the opponent's move counts). What :class:`GameTask` asks each
    round, and what :class:`~interplay.decide.advisors.AdvisorPlayer` asks its advisor in a match.
    """
    spec = view.spec
    if spec.num_players != 2:
        raise InterplayError(f"an advisor decides for one seat of a two-player game; {spec.id} has "
                             f"{spec.num_players} players.")
    me, other = view.seat, 1 - view.seat
    options, theirs = tuple(spec.actions[me]), tuple(spec.actions[other])
    last_index = None if not view.history else (int(view.history[-1][me]), int(view.history[-1][other]))
    last = None if last_index is None else [options[last_index[0]], theirs[last_index[1]]]
    t = int(view.round)
    prompt = (f"Round {t + 1} of {spec.name}. You play as {spec.players[me]}. "
              + ("This is the first round." if last is None else
                 f"Last round you played {last[0]} and the other player played {last[1]}."))
    counts = np.bincount([int(h[other]) for h in view.history], minlength=len(theirs)).tolist()
    ctx = (("round", t + 1), ("last", last), ("last_index", last_index), ("game", game or spec.id),
           ("opponent_counts", counts))
    return DecisionQuestion(f"round-{t + 1}", options, prompt, None, ctx)
