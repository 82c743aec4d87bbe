"""A simulated language model for the talk protocols, served by the loopback server.

Examples and tests of debate, judged debate and persuasion must run with no
network and no model weights. :func:`responder` returns a function that answers
the talk protocols' prompts the way a simple, parameterised agent would, and
:func:`simulated_server` puts it behind :class:`interplay.llm.testing.LoopbackServer`,
a real OpenAI-compatible HTTP server on 127.0.0.1, so the whole stack (OpenAI
client, retries, cache, call records, the protocols) runs exactly as it would
against vLLM or a hosted API.

**Its numbers are not results about language models.** They show the protocols
and metrics working, and how the metrics separate known mechanisms:

* solver (multi-agent debate): answers an arithmetic question correctly with
  probability ``accuracy`` (else off by a small amount); shown other agents' answers,
  it adopts their plurality with probability ``conformity`` (else solves again);
* debater / consultant (judged debate): argues its assigned answer; when it reads
  the source and its answer occurs there, it quotes the sentence that holds it,
  otherwise it makes a quote up (which quote verification marks unverified);
* judge: picks the only answer backed by a verified quote; otherwise, when it can
  read the source, the answer occurring there; otherwise the answer argued last
  with probability ``gullibility`` (a consultant's), else a coin flip;
* persuader / persuadee: the persuadee's stance on a 1-7 scale starts from a value
  drawn per claim and moves ``susceptibility`` points towards a persuasive message
  (rounded, clipped), and by ``noise`` otherwise.

Every draw is a hash of (prompt, seed), so a run is reproducible.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from interplay.llm.testing import ChatRequest, LoopbackServer, Reply


class SimulatedAgents(BaseModel):
    """Parameters of the simulated model (see the module doc)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    accuracy: float = Field(default=0.6, ge=0, le=1, description="solver: chance of a correct independent answer")
    conformity: float = Field(default=0.7, ge=0, le=1, description="solver: chance to adopt the others' plurality")
    gullibility: float = Field(default=0.7, ge=0, le=1, description="judge: chance to follow an unverified argument")
    susceptibility: float = Field(default=1.5, ge=0, le=6,
                                  description="persuadee: points moved by a persuasive message")
    noise: float = Field(default=0.3, ge=0, le=1, description="persuadee: chance of a one-point move without reason")
    unparseable: float = Field(default=0.05, ge=0, le=1,
                               description="chance of an answer with no readable final answer")


def _u(req: ChatRequest, *salt: Any) -> float:
    """A uniform draw in [0, 1) from the request (prompt and seed) and a salt."""
    key = f"{req.prompt}|{req.body.get('seed')}|{req.body.get('model')}|{salt}"
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") / 2**64


_ARITH = re.compile(r"What is the result of (-?\d+)\+(-?\d+)\*(-?\d+)\+(-?\d+)-(-?\d+)\*(-?\d+)\?")


def _solve(req: ChatRequest, p: SimulatedAgents, salt: Any) -> str:
    m = _ARITH.search(req.prompt)
    if m is None:
        return "I cannot work this out."
    a, b, c, d, e, f = map(int, m.groups())
    truth = a + b * c + d - e * f
    if _u(req, "acc", salt) < p.accuracy:
        return str(truth)
    off = 1 + int(_u(req, "off", salt) * 10)
    return str(truth + (off if _u(req, "sign", salt) < 0.5 else -off))


def _solver(req: ChatRequest, p: SimulatedAgents) -> str:
    user_turns = [m for m in req.messages if m.get("role") == "user"]
    last = str(user_turns[-1].get("content") or "")
    if _u(req, "garble") < p.unparseable:
        return "Let me think about this differently; the terms interact in an interesting way."
    others = [m.group(1) for chunk in last.split("One agent response:")[1:]
              if (m := re.search(r"Answer: (-?\d+)", chunk))]
    own = re.findall(r"Answer: (-?\d+)", str(req.messages[-2].get("content") or "")) if len(req.messages) > 1 else []
    if others and _u(req, "conform") < p.conformity:
        votes = Counter(others + own[-1:])
        answer = votes.most_common(1)[0][0]
        return f"Having read the other agents' reasoning, I agree with the majority.\nAnswer: {answer}"
    if own and not others:  # self-reflection: keeps its answer
        return f"I double-checked my work.\nAnswer: {own[-1]}"
    return f"I compute the products first, then add and subtract from left to right.\nAnswer: " \
           f"{_solve(req, p, len(user_turns))}"


def _sentence_with(source: str, phrase: str) -> str | None:
    for sentence in re.split(r"(?<=[.!?])\s+", source):
        if phrase.lower() in sentence.lower():
            return sentence.strip()
    return None


def _advocate(req: ChatRequest) -> str:
    text = req.last_user
    mine = re.search(r'answer is "([^"]+)"', text)
    answer = mine.group(1) if mine else "?"
    src = re.search(r"<source>\n(.*?)\n</source>", text, re.S)
    if src:
        sentence = _sentence_with(src.group(1), answer)
        if sentence:
            return f'The source settles it: <quote>{sentence}</quote> So the answer is "{answer}".'
    return f'The text makes this clear: <quote>the answer is {answer}</quote> Trust me, it is "{answer}".'


def _judge(req: ChatRequest, p: SimulatedAgents) -> Reply:
    options = req.options or []
    text = req.prompt
    backed = [o for o in options if any(o.lower() in q.lower() for q in re.findall(r"<v_quote>(.*?)</v_quote>",
                                                                                 text, re.S))]
    if len(backed) == 1:
        return Reply.choice(backed[0])
    src = re.search(r"<source>\n(.*?)\n</source>", text, re.S)
    if src:
        found = [o for o in options if o.lower() in src.group(1).lower()]
        if len(found) == 1:
            return Reply.choice(found[0])
    argued = re.findall(r'the answer is "([^"]+)"', text)
    if argued and argued[-1] in options and _u(req, "gull") < p.gullibility:
        return Reply.choice(argued[-1])
    m = _ARITH.search(text)
    if m is not None:  # an arithmetic judge solves it with the solvers' accuracy
        guess = _solve(req, p, "judge")
        if guess in options:
            return Reply.choice(guess)
    return Reply.choice(options[int(_u(req, "coin") * len(options))] if options else "")


def _stance(req: ChatRequest, p: SimulatedAgents) -> str:
    text = req.prompt
    claim = re.search(r"Claim: (.*)", text)
    base = 2 + int(_u_text(claim.group(1) if claim else "", "base") * 5)  # 2..6
    stance = base
    if any(m.get("role") == "assistant" for m in req.messages):  # asked a second time
        msg = re.search(r"<message>(.*?)</message>", req.last_user, re.S)
        body = msg.group(1) if msg else ""
        if "I urge you to agree" in body:
            stance = base + p.susceptibility
        elif "I urge you to disagree" in body:
            stance = base - p.susceptibility
        if _u(req, "noise") < p.noise:
            stance += 1 if _u(req, "dir") < 0.5 else -1
    value = int(min(7, max(1, round(stance))))
    return f"After weighing it, my position is {value}.\nRating: {value}"


def _u_text(text: str, salt: str) -> float:
    return int.from_bytes(hashlib.sha256(f"{text}|{salt}".encode()).digest()[:8], "big") / 2**64


def _persuader(req: ChatRequest) -> str:
    text = req.last_user
    if "neutral" in text.lower() and "do not argue" in text.lower():
        return "Here is some background on the topic, with the main considerations on each side."
    direction = "agree" if "convince the reader to agree" in text else "disagree"
    return f"I urge you to {direction}: the strongest evidence and the best reasons point that way."


def responder(params: SimulatedAgents | None = None) -> Callable[[ChatRequest], Reply | str]:
    """The loopback server's answer function for the talk protocols' prompts."""
    p = params or SimulatedAgents()

    def respond(req: ChatRequest) -> Reply | str:
        text = req.prompt
        if req.options is not None or "You are a judge" in text:
            return _judge(req, p)
        if "You are the judge" in text:
            return "Which exact sentence of the source supports your answer?"
        if "You are debater" in text or "You are a consultant" in text:
            return _advocate(req)
        if "Rating:" in text and "Claim:" in text:
            return _stance(req, p)
        if "You are a persuader" in text:
            return _persuader(req)
        return _solver(req, p)

    return respond


def simulated_server(params: SimulatedAgents | None = None) -> LoopbackServer:
    """A started-on-``with`` loopback server answering as the simulated model."""
    return LoopbackServer(default=responder(params), model="simulated")
