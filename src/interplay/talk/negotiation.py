"""The negotiation protocol: free-form messages between offers, every move checked before it is played.

:func:`negotiate` plays one negotiation of a bargaining game
(:mod:`interplay.games.bargaining`) between negotiators
(:mod:`interplay.agents.negotiators`), one per party. At each turn the party to move is
shown its :class:`~interplay.agents.negotiation.NegotiationView` and answers with a message
and a move:

1. the message (if any) is posted on a :class:`~interplay.talk.channel.Channel` of the
   parties, so the safety monitors (:mod:`interplay.safety.monitors`) see every message
   before delivery; a blocked message reaches nobody but its sender;
2. the move is parsed (typed text) and checked against the legal set
   (:meth:`~interplay.games.bargaining.NegotiationGame.why_illegal`) *before* it reaches the
   game. A move that cannot be played is re-asked, up to ``max_reasks`` times, quoting the
   bad move, saying why, and giving the legal form; then the party's declared fallback
   negotiator moves for it (its move is checked too), and the move is marked as a fallback; a
   person silent past the seat's time (a turn with ``meta["silent"]``) is not re-asked: the
   fallback moves at once;
3. the game steps. The game's own turn limit (``max_turns``) ends the negotiation; the
   protocol never plays more turns than that.

Every answer is counted per negotiator in a :class:`~interplay.talk.answers.AnswerCounts`
(answers, unparsed by reason: ``length``, ``empty``, ``none`` for no move, ``invalid`` for an
unreadable or illegal move; re-asks, decisions and fallbacks), so the run reports n,
unparsed and fallback counts beside every number about a model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from interplay.agents.negotiation import NegotiationTurn, NegotiationView, Negotiator
from interplay.errors import InterplayError
from interplay.games.bargaining import BadMove, Move, NegotiationGame, State
from interplay.talk.answers import AnswerCounts
from interplay.talk.channel import Channel, Monitor

REASK = ('Your move "{bad}" cannot be played: {reason}.\nReply with one line only:\nMOVE: {form}')

#: How much of a bad move a re-ask quotes.
QUOTE_CHARS = 200


@dataclass
class NegotiationResult:
    """One negotiation: who sat where, every move and message, and how it ended.

    ``moves`` holds one record per turn (``party``, ``negotiator``, ``kind``, ``deal``, ``text``,
    ``fallback``, ``attempts``: the raw answers and why each bad one was refused);
    ``transcript`` the messages and moves in order (the report viewer's records);
    ``counts`` each negotiator's answers (:class:`AnswerCounts`).
    """

    game: dict[str, Any]
    parties: list[str]
    negotiators: list[str]
    agreement: int | None
    deal_text: str | None
    payoffs: list[float]
    turns: int
    moves: list[dict[str, Any]] = field(default_factory=list)
    transcript: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, AnswerCounts] = field(default_factory=dict)
    seed: int = 0

    def to_record(self) -> dict[str, Any]:
        """The outcome record evaluation reads (plain data; ``game`` is the game's public record)."""
        return {"game": self.game, "parties": self.parties, "negotiators": self.negotiators,
                "agreement": self.agreement, "deal_text": self.deal_text, "payoffs": self.payoffs,
                "turns": self.turns, "moves": self.moves, "messages": [m for m in self.transcript
                                                                       if m.get("kind") == "talk"],
                "counts": {k: c.as_dict(decides=True) for k, c in self.counts.items()}, "seed": self.seed}


def _seed(seed: int, *parts: int) -> int:
    return int(np.random.SeedSequence([int(seed), *parts]).generate_state(1)[0] >> 1)


def make_view(game: NegotiationGame, state: State, seat: int, messages: Sequence[dict[str, Any]], *,
              seed: int = 0, feedback: str | None = None, previous: str | None = None,
              attempt: int = 0) -> NegotiationView:
    """The view of ``seat``: its own payoffs only, the public moves and the messages it can read."""
    legal = game.legal(state)
    names = game.parties
    return NegotiationView(
        spec=game.spec, seat=seat, names=names, private=game.private_text(seat),
        own_utility=game.utilities[:, seat].copy(), own_disagreement=float(game.disagreement[seat]),
        deal_texts=tuple(game.deal_text(k, seat) for k in range(game.num_deals)),
        given=np.array([game.given(k, seat) for k in range(game.num_deals)]), legal=legal,
        form=game.move_form(state), turn=state.turn, max_turns=game.max_turns, offer=state.offer,
        offer_text="" if state.offer is None else game.describe_deal(state.offer, seat),
        proposer=None if state.proposer is None else names[state.proposer],
        history=tuple((names[p], _move_seen(game, m, p, seat)) for p, m in state.history),
        moves=state.history, messages=tuple(messages), feedback=feedback, previous=previous, attempt=attempt,
        seed=_seed(seed, seat, state.turn, attempt), offer_word=game.offer_word)


def _move_seen(game: NegotiationGame, move: Move, mover: int, reader: int) -> str:
    """A past move as ``reader`` sees it (an offer from the reader's side: what the reader would get)."""
    if move.kind != "offer":
        return move.kind.upper()
    return f"{game.offer_word.lower()}s: {game.describe_deal(int(move.deal or 0), reader)}"


def read_move(game: NegotiationGame, state: State, turn: NegotiationTurn) -> tuple[Move | None, str | None, str]:
    """(move, None, reason key) for a playable move, or (None, why, reason key) for one that is not.

    Reason keys are those of :data:`interplay.talk.answers.UNPARSED_REASONS` (``length``, ``empty``,
    ``none``, ``invalid``); a playable move's key is ``""``.
    """
    c = turn.completion
    if c is not None and getattr(c, "problem_kind", None) is not None:
        return None, c.problem, c.problem_kind
    if isinstance(turn.move, Move):
        why = game.why_illegal(state, turn.move)
        return (turn.move, None, "") if why is None else (None, why, "invalid")
    if turn.move is None or not str(turn.move).strip():
        return None, "the answer names no move (no line 'MOVE: ...')", "none"
    try:
        return game.parse_move(str(turn.move), state), None, ""
    except BadMove as exc:
        return None, exc.reason, "invalid"


async def negotiate(game: NegotiationGame, negotiators: Sequence[Negotiator], *,
                    fallbacks: Sequence[Negotiator] | None = None, max_reasks: int | Sequence[int] = 2,
                    monitors: Sequence[Monitor] = (), seed: int = 0,
                    on_event: Callable[[dict[str, Any]], None] | None = None) -> NegotiationResult:
    """Play one negotiation (see the module docstring); ``negotiators[k]`` sits at party k.

    ``fallbacks[k]`` moves for party k when its answers stay unplayable after ``max_reasks``
    re-asks (an int, or one per party); without fallbacks such a party raises.
    """
    n = game.num_parties
    if len(negotiators) != n:
        raise InterplayError(f"{game.spec.id}: {n} parties ({', '.join(game.parties)}) need {n} negotiators, "
                             f"got {len(negotiators)}.")
    if fallbacks is not None and len(fallbacks) != n:
        raise InterplayError(f"{game.spec.id}: one fallback per party ({n}), got {len(fallbacks)}.")
    reasks = [int(max_reasks)] * n if isinstance(max_reasks, int) else [int(r) for r in max_reasks]
    channel = Channel(game.parties, monitors=monitors)
    state = game.initial_state()
    counts = {neg.name: AnswerCounts() for neg in negotiators}
    moves: list[dict[str, Any]] = []
    transcript: list[dict[str, Any]] = []

    def emit(rec: dict[str, Any]) -> None:
        transcript.append(rec)
        if on_event is not None:
            on_event(rec)

    while not state.done:
        if state.turn >= game.max_turns:  # pragma: no cover - every game ends itself by then
            raise InterplayError(f"{game.spec.id}: no end after {game.max_turns} turns.")
        seat = game.legal(state).party
        party, neg = game.parties[seat], negotiators[seat]
        count = counts[neg.name]
        count.decisions += 1
        attempts: list[dict[str, Any]] = []
        feedback = previous = None
        move: Move | None = None
        for attempt in range(reasks[seat] + 1):
            if attempt:
                count.reasks += 1
            seen = [m.to_dict() for m in channel.inbox(party, include_own=True) if m.visible_to(party)]
            view = make_view(game, state, seat, seen, seed=seed, feedback=feedback, previous=previous,
                             attempt=attempt)
            turn = await neg.negotiate(view)
            if turn.meta.get("silent"):  # a person silent past its time: no answer to count, the fallback moves
                attempts.append({"text": "", "move": "", "refused": str(turn.meta["silent"])})
                break
            if attempt == 0 and turn.message:
                msg = channel.post(party, turn.message, round=state.turn, kind="talk", negotiator=neg.name)
                emit(msg.to_dict())
            move, why, key = read_move(game, state, turn)
            if not isinstance(turn.move, Move):  # an answer in words (a model's, a person's): counted
                count.add(key or None, turn.completion)
            for extra in turn.meta.get("calls", ()):  # e.g. the call that wrote the message before a choice
                count.calls += 1
                count.tokens += extra.total_tokens
            shown = turn.move.kind if isinstance(turn.move, Move) else (turn.move or turn.raw or "")
            attempts.append({"text": turn.raw or (shown if isinstance(shown, str) else ""), "move": str(shown)}
                            | ({"refused": why} if why else {}))
            if move is not None:
                break
            bad = " ".join(str(shown).split())
            feedback = REASK.format(bad=(bad[:QUOTE_CHARS] + "...") if len(bad) > QUOTE_CHARS else bad or "(nothing)",
                                    reason=why, form=game.move_form(state))
            previous = turn.raw or None
        fell_back = move is None
        if move is None:
            if fallbacks is None:
                raise InterplayError(f"{game.spec.id}: {neg.name} (party {party}) gave no playable move after "
                                     f"{reasks[seat]} re-asks, and no fallback is declared: {attempts[-1]}.")
            fb = fallbacks[seat]
            view = make_view(game, state, seat, [m.to_dict() for m in channel.inbox(party, include_own=True)],
                             seed=seed, attempt=reasks[seat] + 1)
            fturn = await fb.negotiate(view)
            move, why, _ = read_move(game, state, fturn)
            if move is None:
                raise InterplayError(f"{game.spec.id}: the fallback {fb.name} of {neg.name} made an illegal move: "
                                     f"{why}.")
            count.fallbacks += 1
        rec = {"kind": "move", "turn": state.turn, "party": party, "seat": seat, "negotiator": neg.name,
               "move": move.kind, "deal": move.deal, "text": game.move_text(move, seat), "fallback": fell_back,
               "attempts": attempts}
        moves.append({k: rec[k] for k in ("turn", "party", "seat", "negotiator", "move", "deal", "text",
                                          "fallback")} | {"attempts": len(attempts)})
        emit({**rec, "sender": party})
        state = game.step(state, move)
    payoffs = [float(x) for x in game.returns(state)]
    deal_text = None if state.agreement is None else game.neutral_text(state.agreement)
    emit({"kind": "outcome", "sender": "protocol", "agreement": state.agreement is not None, "deal": state.agreement,
          "deal_text": deal_text, "payoffs": payoffs, "turns": state.turn,
          "text": (f"agreement: {deal_text} -> {payoffs}" if deal_text else f"no agreement -> {payoffs}")})
    return NegotiationResult(game=game.public_record(), parties=list(game.parties),
                             negotiators=[neg.name for neg in negotiators], agreement=state.agreement,
                             deal_text=deal_text, payoffs=payoffs, turns=state.turn, moves=moves,
                             transcript=transcript, counts=counts, seed=seed)
