"""Prompt rendering: the game and the match so far, in words, for a model or a person.

The templates an LLM agent fills (:data:`SYSTEM_TEMPLATE`, :data:`MOVE_TEMPLATE`,
:data:`TALK_TEMPLATE`, :data:`REASK_TEMPLATE`; every one can be replaced from the config,
with the placeholders of :data:`PLACEHOLDERS`), and the pieces people are shown too
(payoff table, horizon, history, readable messages).

The legal actions are named in the system prompt ("Your possible actions") and again by
the payoff table; the move prompts do not list them a third time (their answer format is
``ACTION: <your action>``). A re-ask lists them, beside the reason the answer failed,
and a constrained choice (``decision: choose``) names its options in its own last turn
(:func:`interplay.llm.openai_backend.choice_instruction`), whatever the move prompt says. Only the protocol's
:class:`~interplay.agents.protocol.View` is read: no model layer, no pydantic.
"""

from __future__ import annotations

import string

import numpy as np

from interplay.agents.protocol import View

SYSTEM_TEMPLATE = """You are {me}, a player in a game: {game_name}.
{rules}
Players: {players}. You are {me}; the other player(s): {opponents}.
Your possible actions: {actions}.
Payoffs for each combination of actions (higher is better):
{payoff_table}
{horizon_text}
Your goal is to get as high a total payoff as you can."""

MOVE_TEMPLATE = """Round {round_number}{of_rounds}. Your total payoff so far: {score}.
History of play:
{history}
{messages}
Think briefly about what to do, then end your answer with one line of the form
ACTION: <your action>"""

MOVE_TEMPLATE_NO_REASONING = """Round {round_number}{of_rounds}. Your total payoff so far: {score}.
History of play:
{history}
{messages}
Reply with your action only."""

TALK_TEMPLATE = """Round {round_number}{of_rounds}. Before the moves of this round you may send a short {visibility} \
message to {recipients}. Your total payoff so far: {score}.
History of play:
{history}
{messages}
Write only the message, in one or two sentences. It is cheap talk: nothing binds anyone to it."""

REASK_TEMPLATE = """Your answer was: "{answer}"
That answer cannot be played: {reason}. The legal actions are: {actions}.
Reply again, ending with one line of the form
ACTION: <one of {actions}>"""

#: The placeholders every template may use.
PLACEHOLDERS = ("me", "opponents", "players", "game_name", "game_id", "rules", "actions", "payoff_table",
                "horizon_text", "round_number", "of_rounds", "history", "messages", "score", "recipients",
                "visibility", "reason", "answer")


def check_template(text: str, field: str) -> str:
    try:
        names = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    except ValueError as exc:
        raise ValueError(f"{field}: not a valid template ({exc})") from None
    unknown = sorted(n for n in names if n not in PLACEHOLDERS)
    if unknown:
        raise ValueError(f"{field}: unknown placeholder(s) {unknown}; available: {list(PLACEHOLDERS)}")
    return text


def _fmt_num(x: float) -> str:
    return f"{x:g}"


def payoff_table(view: View) -> str:
    """The stage payoffs in words, from this seat's side (at most 64 lines)."""
    spec, P, me = view.spec, view.payoffs, view.seat
    lines = []
    for joint in np.ndindex(*spec.num_actions):
        if len(lines) >= 64:
            lines.append("(more combinations omitted)")
            break
        mine = f"you play {spec.actions[me][joint[me]]}"
        theirs = "; ".join(f"{view.names[i]} plays {spec.actions[i][a]}" for i, a in enumerate(joint) if i != me)
        pay = [f"you get {_fmt_num(P[(me, *joint)])}"] + [f"{view.names[i]} gets {_fmt_num(P[(i, *joint)])}"
                                                          for i in range(spec.num_players) if i != me]
        lines.append(f"- If {mine} and {theirs}: {', '.join(pay)}.")
    return "\n".join(lines)


def rules_text(view: View) -> str:
    """The game's rules for the prompt, without its own sentence about repetition.

    An iterated game's description ends with how long *its* sampled play lasts
    ("... sampled play lasts 100 rounds."); a match may be shorter (``--rounds 10``),
    and :func:`horizon_text` states this match's length, so the prompt says it once.
    """
    text = view.spec.description or ""
    if view.spec.repeated:
        cut = text.find(" The game is repeated")
        if cut >= 0:
            text = text[:cut]
    return text


def horizon_text(view: View) -> str:
    spec = view.spec
    if not spec.repeated:
        return "The game is played once."
    if view.horizon is not None and view.end_prob == 0:
        text = f"The game is repeated for {view.horizon} rounds; your payoffs add up over the rounds."
    else:
        cap = f" (at most {view.horizon} rounds)" if view.horizon is not None else ""
        text = (f"The game is repeated: after each round it goes on with probability {1 - view.end_prob:g}"
                f"{cap}; your payoffs add up over the rounds.")
    if view.noise > 0:
        text += f" Each chosen action is flipped to the other with probability {view.noise:g}."
    return text


def history_text(view: View, window: int) -> str:
    if not view.history:
        return "(no rounds played yet)"
    start = max(0, len(view.history) - window) if window > 0 else len(view.history)
    lines = [f"({start} earlier rounds not shown)"] if start else []
    for t in range(start, len(view.history)):
        joint, rew = view.history[t], view.rewards[t]
        acts = [f"you played {view.spec.actions[view.seat][joint[view.seat]]}"] + [
            f"{view.names[i]} played {view.spec.actions[i][a]}" for i, a in enumerate(joint) if i != view.seat]
        pays = [f"you got {_fmt_num(rew[view.seat])}"] + [f"{view.names[i]} got {_fmt_num(r)}"
                                                          for i, r in enumerate(rew) if i != view.seat]
        lines.append(f"Round {t + 1}: {', '.join(acts)}; {', '.join(pays)}.")
    return "\n".join(lines)


def messages_text(view: View, limit: int = 20) -> str:
    if not view.messages:
        return ""
    msgs = view.messages[-limit:]
    lines = ["Messages you can read:"]
    for m in msgs:
        who = "you" if m.sender == view.me else m.sender
        to = "everyone" if m.visibility == "public" else ", ".join("you" if r == view.me else r for r in m.to)
        note = " [blocked by a monitor: not delivered]" if getattr(m, "blocked", False) else ""
        lines.append(f"[before round {m.round + 1}] {who} to {to}: {m.text}{note}")
    return "\n".join(lines)


def prompt_fields(view: View, history_window: int = 20, **extra: str) -> dict[str, str]:
    """The value of every placeholder of :data:`PLACEHOLDERS` for this view (``extra`` overrides)."""
    spec = view.spec
    of_rounds = f" of {view.horizon}" if spec.repeated and view.horizon is not None and view.end_prob == 0 else ""
    score = sum(r[view.seat] for r in view.rewards)
    values = {
        "me": view.me, "opponents": ", ".join(view.others), "players": ", ".join(view.names),
        "game_name": spec.name, "game_id": spec.id, "rules": rules_text(view),
        "actions": ", ".join(view.legal), "payoff_table": payoff_table(view), "horizon_text": horizon_text(view),
        "round_number": str(view.round + 1), "of_rounds": of_rounds,
        "history": history_text(view, history_window), "messages": messages_text(view),
        "score": _fmt_num(score), "recipients": ", ".join(view.others), "visibility": "public", "reason": "",
        "answer": "",
    }
    values.update(extra)
    return values
