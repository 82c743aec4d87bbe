"""Per-turn play under each mechanism: LLM agents, people and the fixed types, one encounter at a time.

The array program of :mod:`interplay.mechanisms.fast` plays the fixed types only; here any
per-turn :class:`~interplay.agents.protocol.Player` (an LLM agent, a human) takes a seat
beside :class:`FixedPlayer` co-players. Every move goes through
:func:`~interplay.agents.match.play_match`, so cheap talk, message monitors (the
``channel`` factory), transcripts and the ``on_event`` hook work as in every other kind.
Each encounter returns :class:`~interplay.mechanisms.outcome.Outcome` records, one per
round, the same shape as the fast path's.

What each mechanism asks of a per-turn player:

* none, repetition: the base game (repeated for ``rounds`` rounds with the same co-players);
* cheap talk: one message before the move (through the channel, monitored), then the move;
* reputation: ``rounds`` rounds, a new co-player each round; the game's description states
  the co-player's record (its past actions and standing) and the player's own record is
  what the next co-player sees;
* mediator ``delegation``: the mediated game, whose extra action is "Delegate"; mediator
  ``correlated``: a private recommendation from the best correlated equilibrium, then the
  move; mediator ``llm``: everyone sends the mediator a message, an LLM mediator reads them
  and proposes a joint plan (a choice among joint actions, parsed, re-asked, else its
  declared fallback: no plan), then the move;
* contracts: the contract (the transfer and who pays whom) is offered; each player accepts
  or rejects (an LLM answers with a constrained choice, re-asked, else its fallback:
  reject; a person types it at the terminal, or clicks on a web seat, where silence past the
  seat's time is a reject); if all accept the game is played with the transformed payoffs, else
  the base game;
* commitments: each player states a commitment in text (``COMMIT: C``, ``COMMIT: C IF ALL
  COMMIT ELSE D``, ``COMMIT: NONE``), parsed and validated by :func:`parse_commitment`
  (re-asked once, else its fallback: no commitment; a person on a web seat picks the form and its
  actions on the page, silence being no commitment); the wrapper then plays committed
  players' actions for them and the uncommitted choose, knowing the commitments.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from interplay.agents.match import play_match
from interplay.agents.protocol import Decision, TalkMessage, View
from interplay.errors import InterplayError
from interplay.games.normal_form import NormalFormGame, normal_form
from interplay.mechanisms.fast import COOPERATOR, DEFECTOR, RANDOM, RECIPROCATOR, TYPES, Settings
from interplay.mechanisms.induced import (
    Commitment,
    contract_game,
    contract_transfers,
    mediated_game,
    repeated_spec_game,
    resolve_commitments,
)
from interplay.mechanisms.outcome import Outcome
from interplay.mechanisms.roles import Roles, roles

if TYPE_CHECKING:
    from interplay.talk.answers import AnswerCounts

#: Mechanisms of the per-turn path (the fast path's, plus the LLM mediator as a mediator policy).
MEDIATOR_POLICIES = ("delegation", "correlated", "llm")


class InvalidCommitment(InterplayError):
    """A commitment text that names no legal commitment."""


_COMMIT = re.compile(r"COMMIT\s*:\s*(?P<body>.+)", re.IGNORECASE)
_COND = re.compile(r"^(?P<a>.+?)\s+IF\s+ALL\s+COMMIT(?:\s*,?\s*ELSE\s+(?P<b>.+?))?$", re.IGNORECASE)


def _action(text: str, legal: Sequence[str], what: str) -> int:
    t = text.strip().strip(".!*`'\"").strip()
    for k, name in enumerate(legal):
        if t.lower() == name.lower():
            return k
    raise InvalidCommitment(f"{what} {t!r} is not one of the legal actions {list(legal)}")


def parse_commitment(text: str, legal: Sequence[str], defect: int) -> Commitment:
    """A :class:`Commitment` from an answer's last ``COMMIT:`` line (case-insensitive):

    * ``COMMIT: NONE`` - no commitment;
    * ``COMMIT: <action>`` - that action whatever happens;
    * ``COMMIT: <action> IF ALL COMMIT [ELSE <action>]`` - conditional on every co-player
      committing to cooperate; the default ``ELSE`` is the player's defecting action.

    Raises :class:`InvalidCommitment` naming what is wrong (no COMMIT line, an illegal action).
    """
    lines = [m for m in (_COMMIT.search(line) for line in str(text).splitlines()) if m]
    if not lines:
        raise InvalidCommitment("no line of the form 'COMMIT: ...'")
    body = lines[-1].group("body").strip().rstrip(".")
    if body.strip("*` ").lower() in ("none", "nothing", "no commitment"):
        return Commitment("none")
    cond = _COND.match(body)
    if cond:
        a = _action(cond.group("a"), legal, "the committed action")
        b = _action(cond.group("b"), legal, "the ELSE action") if cond.group("b") else defect
        return Commitment("conditional", a, b)
    return Commitment("commit", _action(body, legal, "the committed action"))


COMMIT_PROMPT = """Before the game is played, every player may announce a binding commitment; the game enforces it.
Reply with one line, one of:
COMMIT: <action>   (you will play that action whatever happens)
COMMIT: <action> IF ALL COMMIT ELSE <action>   (the first action if every other player commits to cooperate, \
the second otherwise)
COMMIT: NONE   (you choose your action later, freely)
Your actions: {actions}. Cooperating means playing {cooperate}."""

CONTRACT_PROMPT = """Before the game, a contract is proposed: {contract} It binds only if every player accepts; \
if anyone rejects, the game is played without it. With the contract the payoffs become:
{table}
Do you accept the contract? Answer Accept or Reject."""

MEDIATOR_SYSTEM = """You are a mediator between the players of a game: {game_name}. {rules}
Players: {players}. Payoffs for each combination of actions (higher is better):
{table}
Read the players' messages and propose the joint plan that is best for all of them."""


@dataclass
class FixedPlayer:
    """A fixed type (:data:`interplay.mechanisms.fast.TYPES`) as a per-turn player under one mechanism.

    The encounter sets ``ok`` (whether a reciprocator has reason to cooperate: the contract
    bound, the co-players' standing is good, their commitments hold) before each move; under
    repetition it reads the history of its view itself, and after cheap talk (the mechanism, or
    talk composed with another) it also needs every co-player's message to promise its
    cooperative action, as in :mod:`interplay.mechanisms.fast`."""

    name: str
    kind: int
    mechanism: str
    rl: Roles
    ok: bool = True
    plan: tuple[int, ...] | None = None

    def _rng(self, view: View, salt: int) -> np.random.Generator:
        return np.random.default_rng([view.seed, view.seat, view.round, salt, 41])

    def choose(self, view: View, seat: int, num_actions: int) -> int:
        """The base-game action, from this seat's point of view."""
        C, D = self.rl.cooperate[seat], self.rl.defect[seat]
        if self.kind == COOPERATOR:
            return C
        if self.kind == DEFECTOR:
            return D
        if self.kind == RANDOM:
            return int(self._rng(view, 1).integers(num_actions))
        if self.plan is not None:  # a mediator's recommendation or plan: the reciprocator follows it
            return self.plan[seat]
        ok = self.ok
        said = [m for m in view.messages if m.round == view.round and m.sender != view.me]
        if self.mechanism == "repetition" and view.history:
            last = view.history[-1]
            ok = all(last[j] == self.rl.cooperate[j] for j in range(len(last)) if j != seat)
        if self.mechanism == "cheap-talk" or said:  # cheap talk, alone or composed with the mechanism
            ok = ok and len(said) == view.spec.num_players - 1 and all(_promises(m.text, view, m.sender, self.rl)
                                                                       for m in said)
        return C if ok else D

    async def act(self, view: View) -> Decision:
        base = view.spec.num_actions[view.seat]
        if self.mechanism == "mediator" and "Delegate" in view.legal:
            delegate = view.legal.index("Delegate")
            if self.kind == RECIPROCATOR or (self.kind == RANDOM and self._rng(view, 2).random() < 0.5):
                return Decision(action=delegate)
            base = delegate  # the base actions come first
        return Decision(action=self.choose(view, view.seat, base))

    async def speak(self, view: View, to: tuple[str, ...]) -> str:
        seat = view.seat
        if self.kind == RANDOM:
            a = int(self._rng(view, 3).integers(view.spec.num_actions[seat]))
        else:
            a = self.rl.cooperate[seat]  # the defector's promise is a lie: cheap talk binds nobody
        return f"I will play {view.spec.actions[seat][a]}."

    def vote(self, rng: np.random.Generator) -> bool:
        return self.kind in (COOPERATOR, RECIPROCATOR) or (self.kind == RANDOM and rng.random() < 0.5)

    def commitment(self, seat: int, rng: np.random.Generator) -> Commitment:
        C, D = self.rl.cooperate[seat], self.rl.defect[seat]
        options = [Commitment("none"), Commitment("commit", C), Commitment("conditional", C, D)]
        if self.kind == RANDOM:
            return options[int(rng.integers(3))]
        return options[{COOPERATOR: 1, DEFECTOR: 0, RECIPROCATOR: 2}[self.kind]]


def _promises(text: str, view: View, sender: str, rl: Roles) -> bool:
    """Whether a message names the sender's cooperative action and not its defecting one."""
    seat = view.names.index(sender)
    names = view.spec.actions[seat]
    words = set(re.findall(r"[\w'-]+", text.lower()))
    return names[rl.cooperate[seat]].lower() in words and names[rl.defect[seat]].lower() not in words


class _Told:
    """A player whose view carries extra messages (a mediator's private recommendation or public plan)."""

    def __init__(self, inner: Any, extra: Sequence[TalkMessage]) -> None:
        self.inner, self.name, self.extra = inner, inner.name, tuple(extra)
        if hasattr(inner, "speak"):
            self.speak = inner.speak

    async def act(self, view: View) -> Any:
        mine = tuple(m for m in self.extra if m.visible_to(view.me))
        return await self.inner.act(replace(view, messages=view.messages + mine))


class _Enforced:
    """A committed player: the wrapper plays its enforced action (it may still talk)."""

    def __init__(self, name: str, action: int, inner: Any = None) -> None:
        self.name, self.action = name, action
        if inner is not None and hasattr(inner, "speak"):
            self.speak = inner.speak

    async def act(self, view: View) -> Decision:
        return Decision(action=self.action, text="(enforced commitment)")


def _is_llm(p: Any) -> bool:
    return hasattr(p, "model") and hasattr(p, "config")


def _is_person(p: Any) -> bool:
    """A person at a terminal (:class:`~interplay.agents.human.HumanPlayer`): asked by typing."""
    return hasattr(p, "terminal") and hasattr(p.terminal, "achoose")


async def _person_vote(p: Any, contract: str, table: str) -> bool:
    def parse(text: str) -> bool:
        t = text.strip().lower()
        if t in ("accept", "a", "yes", "y"):
            return True
        if t in ("reject", "r", "no", "n"):
            return False
        raise ValueError("answer Accept or Reject")

    p.terminal.tell(f"A contract is proposed: {contract}\nWith it the payoffs become:\n{table}")
    return await p.terminal.achoose("Accept or Reject? ", parse, tries=p.max_tries,
                                    complaint=lambda exc: f"Not an answer: {exc}.",
                                    exhausted=lambda _: InterplayError(f"{p.name}: no answer to the contract."))


async def _person_commitment(p: Any, legal: Sequence[str], rl: Roles, seat: int) -> Commitment:
    def parse(text: str) -> Commitment:
        line = text if text.strip().lower().startswith("commit") else f"COMMIT: {text}"  # the short form
        try:
            return parse_commitment(line, legal, rl.defect[seat])
        except InvalidCommitment as exc:
            raise ValueError(str(exc)) from None

    p.terminal.tell(COMMIT_PROMPT.format(actions=", ".join(legal), cooperate=legal[rl.cooperate[seat]]))
    return await p.terminal.achoose("Your commitment: ", parse, tries=p.max_tries,
                                    complaint=lambda exc: f"Not a commitment: {exc}.",
                                    exhausted=lambda _: InterplayError(f"{p.name}: no valid commitment."))


def _is_web_person(p: Any) -> bool:
    """A person at a web seat (:class:`~interplay.agents.people.WebPlayer`): asked on the page."""
    return hasattr(p, "seat") and hasattr(p.seat, "arequest")


def _web_view(game: NormalFormGame, seat: int, names: tuple[str, ...], seed: int) -> dict[str, Any]:
    from interplay.agents.people import view_state

    return view_state(View(spec=game.spec, payoffs=np.asarray(game.payoffs), seat=seat, names=names, round=0,
                           seed=seed))


async def _web_vote(p: Any, contract: str, base: NormalFormGame, cg: NormalFormGame, seat: int,
                    names: tuple[str, ...], seed: int) -> tuple[bool, bool]:
    """(accepts, silent) of a person at a web seat; silent past the seat's time: rejects (the declared
    fallback, as an LLM's)."""
    from interplay.agents.people import Silent

    def validate(posted: dict[str, Any]) -> bool:
        a = posted.get("accept")
        if not isinstance(a, bool):
            raise ValueError(f"accept must be true or false, got {a!r}")
        posted["_shown"] = "accept" if a else "reject"
        posted["_title"] = "the contract"
        return a

    ask = {"kind": "contract", "contract": contract, **_web_view(cg, seat, names, seed),
           "base_table": _web_view(base, seat, names, seed)["payoff_table"]}
    try:
        return await p.seat.arequest(ask, validate), False
    except Silent:
        return False, True


async def _web_commitment(p: Any, game: NormalFormGame, seat: int, names: tuple[str, ...], rl: Roles,
                          seed: int) -> tuple[Commitment, bool]:
    """(commitment, silent) of a person at a web seat: one of the three forms with its actions; silent past
    the seat's time: no commitment (the declared fallback)."""
    from interplay.agents.people import Silent

    legal = game.spec.actions[seat]

    def action(posted: dict[str, Any], key: str) -> int:
        a = posted.get(key)
        if isinstance(a, bool) or not isinstance(a, int) or not 0 <= a < len(legal):
            raise ValueError(f"{key} must be an integer 0..{len(legal) - 1} ({', '.join(legal)}), got {a!r}")
        return a

    def validate(posted: dict[str, Any]) -> Commitment:
        form = posted.get("commitment")
        if form == "none":
            c = Commitment("none")
        elif form == "commit":
            c = Commitment("commit", action(posted, "action"))
        elif form == "conditional":
            c = Commitment("conditional", action(posted, "action"), action(posted, "else"))
        else:
            raise ValueError(f"commitment must be none, commit or conditional, got {form!r}")
        posted["_shown"] = c.describe(legal)
        posted["_title"] = "commitment"
        return c

    ask = {"kind": "commit", "cooperate": rl.cooperate[seat], "defect": rl.defect[seat],
           **_web_view(game, seat, names, seed)}
    try:
        return await p.seat.arequest(ask, validate), False
    except Silent:
        return Commitment("none"), True


def _system(p: Any, game: NormalFormGame, seat: int, names: tuple[str, ...]) -> list[dict[str, str]]:
    view = View(spec=game.spec, payoffs=np.asarray(game.payoffs), seat=seat, names=names, round=0)
    return [{"role": "system", "content": p.config.system_template.format(**p.fields(view))}]


async def _llm_choice(p: Any, msgs: list[dict[str, str]], options: list[str], counts: dict[str, AnswerCounts],
                      seed: int) -> int | None:
    from interplay.talk.answers import AnswerCounts, choose_with_reasks

    c = AnswerCounts()
    choice, attempts = await choose_with_reasks(p.model, msgs, options, counts=c, seed=seed,
                                                temperature=p.config.temperature, max_reasks=p.config.max_reasks)
    for at in attempts:  # the agent's calls and tokens (its answers are counted here, not as moves)
        p.stats.add(at.get("completion"))
    rec = counts.setdefault(p.name, AnswerCounts())
    rec.merge(c)
    rec.decisions += 1
    if choice is None:
        rec.fallbacks += 1
        return None
    return int(choice.index)


async def _llm_commitment(p: Any, game: NormalFormGame, seat: int, names: tuple[str, ...], rl: Roles,
                          counts: dict[str, AnswerCounts], seed: int) -> tuple[Commitment, str, bool]:
    legal = game.spec.actions[seat]
    msgs = _system(p, game, seat, names) + [{"role": "user", "content": COMMIT_PROMPT.format(
        actions=", ".join(legal), cooperate=legal[rl.cooperate[seat]])}]
    from interplay.talk.answers import AnswerCounts

    rec = counts.setdefault(p.name, AnswerCounts())
    rec.decisions += 1
    text = ""
    for attempt in range(p.config.max_reasks + 1):
        if attempt:
            rec.reasks += 1
        c = await p.model.agenerate(msgs, temperature=p.config.temperature, max_tokens=p.config.max_tokens,
                                    seed=seed + 7919 * attempt)
        p.stats.add(c)
        rec.answers += 1
        text = c.text
        if c.problem is not None:
            reason = c.problem
            rec.unparsed[c.problem_kind or "invalid"] = rec.unparsed.get(c.problem_kind or "invalid", 0) + 1
        else:
            try:
                return parse_commitment(c.text, legal, rl.defect[seat]), c.text, False
            except InvalidCommitment as exc:
                reason = str(exc)
                rec.unparsed["invalid"] = rec.unparsed.get("invalid", 0) + 1
        msgs = [*msgs, {"role": "assistant", "content": c.text or "(empty)"},
                {"role": "user", "content": f"That cannot be used: {reason}. Reply with one line 'COMMIT: ...' as "
                                            "described."}]
    rec.fallbacks += 1
    return Commitment("none"), text, True


def _table(game: NormalFormGame, seat: int, names: tuple[str, ...]) -> str:
    from interplay.agents.prompts import payoff_table

    view = View(spec=game.spec, payoffs=np.asarray(game.payoffs), seat=seat, names=names, round=0)
    return payoff_table(view)


def _plan_options(game: NormalFormGame, rl: Roles, limit: int = 16) -> list[tuple[int, ...]]:
    joints = [tuple(int(x) for x in j) for j in np.ndindex(*game.num_actions)]
    if len(joints) <= limit:
        return joints
    return [tuple(rl.cooperate), tuple(rl.defect)]


@dataclass
class Encounter:
    """One encounter's result: outcome records (one per round), the match transcripts, LLM counts."""

    outcomes: list[Outcome]
    events: list[dict[str, Any]]
    counts: dict[str, AnswerCounts]
    error: str | None = None


async def encounter(game: NormalFormGame, mechanism: str, players: Sequence[Any], *, settings: Settings,
                    mediator: str = "delegation", mediator_model: Any = None, seed: int = 0,
                    rounds: int | None = None, channel: Any = None, on_event: Any = None,
                    co_player_types: Sequence[int] = (), talk_rounds: int = 0) -> Encounter:
    """Play one encounter of ``players`` (one per seat) under ``mechanism`` (see the module docstring).

    ``co_player_types``: for reputation, the types of the fresh co-players met each round
    (seats 1..n-1, one type per round, cycled); ``mediator_model``: the LLM mediator's agent
    (an :class:`~interplay.agents.llm_agent.LLMAgent`) for ``mediator="llm"``."""
    rl = roles(game)
    names = tuple(getattr(p, "name", f"player_{i}") for i, p in enumerate(players))
    if len(set(names)) != len(names):
        names = tuple(f"{nm} ({game.spec.players[i]})" for i, nm in enumerate(names))
    R = int(rounds or settings.rounds)
    rng = np.random.default_rng([seed, 77])
    counts: dict[str, AnswerCounts] = {}
    events: list[dict[str, Any]] = []
    outcomes: list[Outcome] = []
    gid = game.spec.id

    def out(rec: Any, t: int, **kw: Any) -> Outcome:
        acts = tuple(int(a) for a in kw.pop("actions", rec.actions[t]))
        pays = tuple(float(x) for x in kw.pop("payoffs", rec.rewards[t]))
        msgs = [m.to_dict() for m in rec.messages if m.round == t] + kw.pop("messages", [])
        return Outcome(mechanism=mechanism, game=gid, who=names, round=t, seed=seed, actions=acts, payoffs=pays,
                       cooperated=tuple(a == rl.cooperate[i] for i, a in enumerate(acts)), messages=msgs, **kw)

    async def match(g: NormalFormGame, seats: Sequence[Any], r: int = 1, talk: int = talk_rounds, s: int = 0) -> Any:
        rec = await play_match(g, list(seats), seed=seed + 1000 * s, rounds=r, talk_rounds=talk, names=names,
                               channel=channel, on_event=on_event)
        events.extend(rec.events)
        if not rec.complete:
            raise _Stop(rec.error or "match failed")
        return rec

    try:
        if mechanism in ("none", "cheap-talk"):
            rec = await match(game, players, talk=max(1, talk_rounds) if mechanism == "cheap-talk" else talk_rounds)
            outcomes.append(out(rec, 0))
        elif mechanism == "repetition":
            rec = await match(repeated_spec_game(game, R), players, r=R)
            outcomes.extend(out(rec, t) for t in range(R))
        elif mechanism == "reputation":
            outcomes.extend(await _reputation(game, players, names, rl, settings, R, co_player_types, out, rng,
                                              events, channel, on_event, talk_rounds))
        elif mechanism == "mediator":
            outcomes.append(await _mediator(game, players, names, rl, mediator, mediator_model, match, out, rng,
                                            counts, seed, channel, events))
        elif mechanism == "contracts":
            outcomes.append(await _contracts(game, players, names, rl, settings, match, out, rng, counts, seed))
        elif mechanism == "commitments":
            outcomes.append(await _commitments(game, players, names, rl, match, out, rng, counts, seed, channel,
                                               events))
        else:
            raise InterplayError(f"unknown mechanism {mechanism!r}.")
    except _Stop as exc:
        return Encounter(outcomes, events, counts, error=str(exc))
    return Encounter(outcomes, events, counts)


class _Stop(Exception):
    pass


def _record_game(game: NormalFormGame, records: dict[str, list[int]], standing: dict[str, bool], rule: str,
                 names: Sequence[str], labels: dict[str, list[str]] | None = None) -> NormalFormGame:
    """The game described with every seat's record: its last actions (``records``, as actions of its seat here,
    or ``labels``, as names) and its standing."""
    lines = []
    for i, nm in enumerate(names):
        past = labels[nm] if labels is not None else [game.spec.actions[i][a] for a in records.get(nm, [])]
        shown = ", ".join(past[-5:]) or "none yet"
        lines.append(f"{nm}'s last actions: {shown} ({'good' if standing[nm] else 'bad'} standing).")
    how = ("good after cooperating, or after defecting against a co-player in bad standing" if rule == "standing"
           else "good after cooperating, bad after anything else")
    desc = (f"{game.spec.description} Players meet a new co-player every round and see each co-player's record "
            f"({rule.replace('-', ' ')}: a player's standing is {how}). " + " ".join(lines))
    return normal_form(game.payoffs, id=game.spec.id, name=game.spec.name, players=game.spec.players,
                       actions=game.spec.actions, description=desc)


async def _reputation(game, players, names, rl, settings, R, co_types, out, rng, events, channel, on_event,
                      talk_rounds=0):
    """The first seat meets fresh co-players each round; every record is public."""
    results = []
    own: list[int] = []
    first_good = True
    for t in range(R):
        seats = [players[0]]
        seat_names = [names[0]]
        records: dict[str, list[int]] = {names[0]: own}
        standing = {names[0]: first_good}
        for j in range(1, game.num_players):
            kind = co_types[(t * (game.num_players - 1) + j - 1) % len(co_types)] if co_types else RECIPROCATOR
            nm = f"{TYPES[kind]} #{t + 1}.{j}"
            p = FixedPlayer(nm, kind, "reputation", rl, ok=first_good)
            # the co-player's record before this round: its type's behaviour among players in good standing
            records[nm] = [rl.cooperate[j] if kind in (COOPERATOR, RECIPROCATOR) else
                           rl.defect[j] if kind == DEFECTOR else int(rng.integers(game.num_actions[j]))
                           for _ in range(3)]
            standing[nm] = records[nm][-1] == rl.cooperate[j]
            seats.append(p)
            seat_names.append(nm)
        others_good = all(standing[nm] for nm in seat_names[1:])
        if isinstance(players[0], FixedPlayer):
            players[0].ok = others_good
        g = _record_game(game, records, standing, settings.reputation, seat_names)
        rec = await play_match(g, seats, seed=int(rng.integers(2**31)), names=seat_names, channel=channel,
                               on_event=on_event, talk_rounds=talk_rounds)
        events.extend(rec.events)
        if not rec.complete:
            raise _Stop(rec.error or "match failed")
        own.append(int(rec.actions[0][0]))
        justified = settings.reputation == "standing" and not others_good
        first_good = own[-1] == rl.cooperate[0] or justified
        o = out(rec, 0)
        o.who, o.round = tuple(seat_names), t
        o.extra["standing"] = [standing[nm] for nm in seat_names]
        results.append(o)
    return results


async def _mediator(game, players, names, rl, policy, mediator_model, match, out, rng, counts, seed, channel, events):
    n = game.num_players
    if policy == "delegation":
        mg = mediated_game(game, rl)
        rec = await match(mg, players)
        joint = rec.actions[0]
        delegated = tuple(joint[i] == game.num_actions[i] for i in range(n))
        played = tuple(rl.cooperate[i] if all(delegated) else (rl.defect[i] if delegated[i] else joint[i])
                       for i in range(n))
        return out(rec, 0, actions=played, delegations=delegated)
    if policy == "correlated":
        from interplay.mechanisms.correlated import best_correlated_equilibrium

        plan = tuple(int(x) for x in best_correlated_equilibrium(game).sample(rng))
        private = True
        text_of = {i: f"The mediator privately recommends that you play {game.spec.actions[i][plan[i]]}."
                   for i in range(n)}
    else:
        if mediator_model is None:
            raise InterplayError("mediator: llm needs a mediator model (mediator_agent in the config).")
        # everyone writes to the mediator first (one round of public cheap talk), then it proposes a plan
        said = []
        for i, p in enumerate(players):
            if hasattr(p, "speak"):
                v = View(spec=game.spec, payoffs=np.asarray(game.payoffs), seat=i, names=names, round=0, seed=seed)
                said.append(f"{names[i]}: {await p.speak(v, tuple(nm for nm in names if nm != names[i]))}")
        options = _plan_options(game, rl)
        labels = [", ".join(game.spec.actions[i][a] for i, a in enumerate(j)) for j in options]
        msgs = [{"role": "system", "content": MEDIATOR_SYSTEM.format(
            game_name=game.spec.name, rules=game.spec.description, players=", ".join(names),
            table=_table(game, 0, names))},
            {"role": "user", "content": "Messages:\n" + ("\n".join(said) or "(none)") +
             "\nPropose the joint plan (each player's action, in the order " + ", ".join(names) + ")."}]
        k = await _llm_choice(mediator_model, msgs, labels, counts, seed)
        if k is None:  # the mediator's declared fallback: no plan
            rec = await match(game, players)
            return out(rec, 0, recommendations=None, messages=[{"sender": "mediator", "text": "(no plan: fallback)",
                                                              "kind": "plan", "fallback": True}])
        plan = options[k]
        private = False
        text_of = {i: f"The mediator proposes the plan: {labels[k]}." for i in range(n)}
        for s in said:
            events.append({"sender": s.split(":", 1)[0], "text": s.split(":", 1)[1].strip(), "kind": "to-mediator"})
    notes = []
    seats = []
    for i, p in enumerate(players):
        msg = TalkMessage(sender="mediator", text=text_of[i], round=0, visibility="private" if private else "public",
                          to=(names[i],) if private else names)
        notes.append(msg.to_dict())
        if isinstance(p, FixedPlayer):
            p.plan = plan
            seats.append(p)
        else:
            seats.append(_Told(p, [msg]))
    if channel is not None:
        chan = channel(tuple(names) + ("mediator",))
        for m in notes:
            posted = chan.post("mediator", m["text"], visibility=m["visibility"],
                               to=m["to"] if m["visibility"] == "private" else None, round=0, kind="plan")
            if posted.flags:
                m["flags"] = [f.to_dict() if hasattr(f, "to_dict") else dict(f) for f in posted.flags]
    events.extend(notes)
    rec = await match(game, seats)
    return out(rec, 0, recommendations=plan, messages=notes)


async def _contracts(game, players, names, rl, settings, match, out, rng, counts, seed):
    n = game.num_players
    t = settings.contract_transfer(game, rl)
    coop = ", ".join(f"{names[i]} {game.spec.actions[i][rl.cooperate[i]]}" for i in range(n))
    contract = (f"every player who does not cooperate ({coop}) pays {t:g}, shared equally by those who do "
                "(proposed by the first player).")
    cg = contract_game(game, t, rl)
    votes = []
    silent: list[str] = []  # people who did not answer in time (their fallback rejected)
    for i, p in enumerate(players):
        if isinstance(p, FixedPlayer):
            votes.append(p.vote(rng))
        elif _is_llm(p):
            msgs = _system(p, game, i, names) + [{"role": "user", "content": CONTRACT_PROMPT.format(
                contract=contract, table=_table(cg, i, names))}]
            k = await _llm_choice(p, msgs, ["Accept", "Reject"], counts, seed + i)
            votes.append(k == 0)  # fallback (None): reject
        elif _is_person(p):
            votes.append(await _person_vote(p, contract, _table(cg, i, names)))
        elif _is_web_person(p):
            v, quiet = await _web_vote(p, contract, game, cg, i, names, seed)
            votes.append(v)
            if quiet:
                silent.append(names[i])
        else:
            raise InterplayError(f"contracts: {names[i]!r} cannot vote (a fixed type, an LLM agent or a person can).")
    bound = all(votes)
    for p in players:
        if isinstance(p, FixedPlayer):
            p.ok = bound
    g = cg if bound else normal_form(game.payoffs, id=game.spec.id, name=game.spec.name, players=game.spec.players,
                                     actions=game.spec.actions,
                                     description=f"{game.spec.description} A contract was offered and rejected: "
                                                 "no transfers.")
    rec = await match(g, players)
    played = rec.actions[0]
    transfers = tuple(float(x) for x in (contract_transfers(np.array(played), rl.cooperate, t) if bound
                                         else np.zeros(n)))
    said = ", ".join(f"{names[i]} {'accepts' if v else 'rejects'}" for i, v in enumerate(votes))
    note: dict[str, Any] = {"sender": "contract", "kind": "contract",
                            "text": f"Contract: {contract} Votes: {said}" + (" - binding." if bound else
                                                                              " - not binding.")}
    if silent:
        note["fallback"] = True
        note["reason"] = f"silent past the seat's time (rejected by the fallback): {', '.join(silent)}"
    return out(rec, 0, transfers=transfers, contract={"transfer": t, "accepted": list(votes), "bound": bound},
               messages=[note])


async def _commitments(game, players, names, rl, match, out, rng, counts, seed, channel, events):
    commits: list[Commitment] = []
    texts = []
    for i, p in enumerate(players):
        if isinstance(p, FixedPlayer):
            c = p.commitment(i, rng)
            texts.append({"sender": names[i], "text": c.describe(game.spec.actions[i]), "kind": "commitment"})
        elif _is_llm(p):
            c, raw, fb = await _llm_commitment(p, game, i, names, rl, counts, seed + i)
            texts.append({"sender": names[i], "text": raw.strip()[:400], "kind": "commitment",
                          "parsed": c.describe(game.spec.actions[i]), **({"fallback": True,
                                                                         "reason": "no valid commitment"} if fb
                                                                        else {})})
        elif _is_person(p):
            c = await _person_commitment(p, game.spec.actions[i], rl, i)
            texts.append({"sender": names[i], "text": c.describe(game.spec.actions[i]), "kind": "commitment"})
        elif _is_web_person(p):
            c, quiet = await _web_commitment(p, game, i, names, rl, seed + i)
            texts.append({"sender": names[i], "text": c.describe(game.spec.actions[i]), "kind": "commitment",
                          **({"fallback": True, "reason": "silent past the seat's time"} if quiet else {})})
        else:
            c = Commitment("none")
            texts.append({"sender": names[i], "text": "no commitment", "kind": "commitment"})
        commits.append(c)
    if channel is not None:
        chan = channel(tuple(names))
        for m in texts:
            posted = chan.post(m["sender"], m["text"], visibility="public", round=0, kind="commitment")
            if posted.flags:
                m["flags"] = [f.to_dict() if hasattr(f, "to_dict") else dict(f) for f in posted.flags]
            if posted.blocked:
                m["blocked"] = True
    events.extend(texts)
    enforced = resolve_commitments(commits, rl.cooperate)
    shown = "; ".join(f"{names[i]} {c.describe(game.spec.actions[i])}" for i, c in enumerate(commits))
    g = normal_form(game.payoffs, id=game.spec.id, name=game.spec.name, players=game.spec.players,
                    actions=game.spec.actions,
                    description=f"{game.spec.description} Commitments announced (and enforced): {shown}.")
    seats = []
    for i, p in enumerate(players):
        move = enforced[i]
        if move is not None:
            seats.append(_Enforced(names[i], int(move), p))
        else:
            seats.append(p)
    rec = await match(g, seats)
    return out(rec, 0, commitments=tuple(c.describe(game.spec.actions[i]) for i, c in enumerate(commits)),
               messages=texts)


# -- a re-matched population under reputation ----------------------------------------------------
@dataclass
class MemberRecord:
    """One member of a re-matched population: its moves' cooperation and payoffs, and its own accounting
    (decisions: moves made; invalid: answers re-asked; fallbacks: moves its fallback made)."""

    name: str
    kind: str
    cooperated: list[bool] = field(default_factory=list)
    payoffs: list[float] = field(default_factory=list)
    #: per move, whether every co-player of that group was an LLM member
    with_llm: list[bool] = field(default_factory=list)
    decisions: int = 0
    invalid: int = 0
    fallbacks: int = 0


@dataclass
class PopulationRun:
    """A re-matched reputation population: outcome records (one per group and round), transcripts, members."""

    outcomes: list[Outcome]
    events: list[dict[str, Any]]
    members: list[MemberRecord]
    error: str | None = None


async def reputation_population(game: NormalFormGame, members: Sequence[tuple[str, str, Any]], *,
                                settings: Settings, rounds: int, seed: int = 0, channel: Any = None,
                                on_event: Any = None, talk_rounds: int = 0) -> PopulationRun:
    """Reputation with random re-matching in a population of any per-turn players (LLM agents among them).

    ``members``: (name, kind, player) each; a kind is a fixed type's name (its player a :class:`FixedPlayer`
    under ``"reputation"``) or anything else for an agent (one agent object may hold several members: each
    plays under its own name; give neutral names, such as "Player 3", when a name must not reveal a type).
    The outcome records carry the seats' kinds (``kinds``) and standings before the round.
    Every round the members are split at random into groups of the game's size,
    seats at random; every group's game describes each member's record (its last actions and its standing,
    ``settings.reputation``: image scoring or standing, everyone good at first) and the groups play at once.
    A Reciprocator cooperates iff every co-player is in good standing; after the round every member's
    standing is updated from its move (as in :mod:`interplay.mechanisms.fast`)."""
    rl = roles(game)
    n = game.num_players
    N = len(members)
    if n > N or N % n:
        raise InterplayError(f"{game.spec.id}: a population of {N} members cannot be split into groups of {n}.")
    names = [m[0] for m in members]
    if len(set(names)) != N:
        raise InterplayError(f"reputation population: member names must be unique, got {names}.")
    rng = np.random.default_rng([seed, 313])
    good = [True] * N
    shown: list[list[str]] = [[] for _ in range(N)]
    recs = [MemberRecord(name=m[0], kind=m[1]) for m in members]
    llm = [m[1] not in TYPES for m in members]
    outcomes: list[Outcome] = []
    events: list[dict[str, Any]] = []
    for t in range(rounds):
        order = [int(x) for x in rng.permutation(N)]
        groups = [order[k:k + n] for k in range(0, N, n)]
        jobs = []
        for gi, grp in enumerate(groups):
            seat_names = [names[p] for p in grp]
            standing = {names[p]: good[p] for p in grp}
            labels = {names[p]: shown[p] for p in grp}
            g = _record_game(game, {}, standing, settings.reputation, seat_names, labels=labels)
            seats = []
            for k, p in enumerate(grp):
                player = members[p][2]
                if isinstance(player, FixedPlayer):
                    player.ok = all(good[q] for j, q in enumerate(grp) if j != k)
                seats.append(player)
            jobs.append(play_match(g, seats, seed=int(np.random.SeedSequence([seed, t, gi]).generate_state(1)[0]),
                                   names=seat_names, channel=channel, on_event=on_event, talk_rounds=talk_rounds))
        recs_t = await asyncio.gather(*jobs)
        new_good = list(good)
        for grp, rec in zip(groups, recs_t, strict=True):
            events.extend(rec.events)
            if not rec.complete:
                return PopulationRun(outcomes, events, recs, error=rec.error or "match failed")
            played = rec.actions[0]
            others_good = [all(good[q] for j, q in enumerate(grp) if j != k) for k in range(n)]
            for k, p in enumerate(grp):
                coop = played[k] == rl.cooperate[k]
                r = recs[p]
                r.cooperated.append(bool(coop))
                r.payoffs.append(float(rec.rewards[0][k]))
                r.with_llm.append(all(llm[q] for j, q in enumerate(grp) if j != k))
                r.decisions += 1
                r.invalid += rec.invalid[k]
                r.fallbacks += rec.fallbacks[k]
                shown[p].append(game.spec.actions[k][played[k]])
                new_good[p] = bool(coop) or (settings.reputation == "standing" and not others_good[k])
            o = Outcome(mechanism="reputation", game=game.spec.id, who=tuple(names[p] for p in grp), round=t,
                        seed=seed, actions=tuple(int(a) for a in played),
                        payoffs=tuple(float(x) for x in rec.rewards[0]),
                        cooperated=tuple(played[k] == rl.cooperate[k] for k in range(n)),
                        messages=[m.to_dict() for m in rec.messages])
            o.extra["standing"] = [good[p] for p in grp]
            o.extra["kinds"] = [members[p][1] for p in grp]
            o.extra["population"] = N
            outcomes.append(o)
        good = new_good
    return PopulationRun(outcomes, events, recs)
