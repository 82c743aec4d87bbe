"""An LLM agent: plays any registered normal-form or iterated game through a LanguageModel.

The prompt is built from the game's public spec and the match so far (see
:data:`SYSTEM_TEMPLATE`, :data:`MOVE_TEMPLATE`, :data:`TALK_TEMPLATE`; every
template can be replaced from the config, with the placeholders listed in
:data:`PLACEHOLDERS`). A move is decided in two steps, after the practice of
letting a model reason before it commits (Wei et al. 2022, chain of thought):

1. free reasoning, ending with a line ``ACTION: <name>`` (``reasoning: false``
   asks for the action only);
2. the final choice among the legal actions: parsed strictly from that answer
   (``decision: parse``, one call a move) or asked again as a constrained choice
   (``decision: choose``: JSON-schema enum / guided choice on HTTP servers,
   option log-likelihoods on local models).

An illegal or unparseable answer is never played: the agent re-asks up to
``max_reasks`` times, telling the model what was wrong; then it plays its declared
``fallback`` (``random``, or a named memory-one strategy), and the move is marked
as a fallback in the transcript. :class:`AgentStats` counts calls, tokens, cost,
invalid answers, re-asks and fallbacks per agent; a call that fails for good
(server down after retries, budget spent) stops the match (``on_error: stop``) or
falls back (``on_error: fallback``), and is counted either way.

Cheap talk: with talk rounds on, :meth:`LLMAgent.speak` writes a short message
before each move; the messages a seat can read are part of its move prompt.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from interplay.agents.asking import fallback_decision
from interplay.agents.fixed import MachinePlayer, RandomPlayer
from interplay.agents.prompts import (
    MOVE_TEMPLATE,
    MOVE_TEMPLATE_NO_REASONING,
    REASK_TEMPLATE,
    SYSTEM_TEMPLATE,
    TALK_TEMPLATE,
    check_template,
    prompt_fields,
)
from interplay.agents.protocol import Decision, View
from interplay.errors import InterplayError
from interplay.llm.base import CallTotals, Completion, InvalidAnswer, LanguageModel, ModelCallError
from interplay.llm.parsing import parse_choice

#: How much of a bad answer a re-ask quotes back to the model.
REASK_QUOTE_CHARS = 300


class LLMAgentConfig(BaseModel):
    """An LLM agent, as written in an experiment config (``agents: {name: {llm: ...}}``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: dict[str, Any] | str | None = Field(
        default=None,
        description="Model mapping (provider, model, ...) or a YAML file path; needed when the agent loads "
                          "its own model (configs, `llm:` specs), not when a model object is handed to LLMAgent.")
    temperature: float = Field(default=0.0, ge=0.0, le=2.0, description="Sampling temperature of every call.")
    max_tokens: int | None = Field(default=300, ge=1, description="Longest answer to a move prompt.")
    reasoning: bool = Field(default=True, description="Let the model reason before its ACTION line.")
    decision: Literal["parse", "choose"] = Field(
        default="parse", description="parse: read the ACTION line; choose: a second, constrained choice call.")
    max_reasks: int = Field(default=2, ge=0, le=10, description="Re-asks after an illegal or unparseable answer.")
    fallback: str = Field(default="random",
                          description="Move after the re-asks: 'random' or a memory-one strategy name.")
    on_error: Literal["stop", "fallback"] = Field(
        default="stop", description="When a call fails for good: stop the match, or play the fallback.")
    history_window: int = Field(default=20, ge=0,
                                description="Past rounds shown in the prompt (all totals still count).")
    talk: bool = Field(default=True, description="Speak when the match has cheap-talk rounds.")
    talk_max_tokens: int = Field(default=80, ge=1, description="Longest cheap-talk message, in tokens.")
    talk_max_chars: int = Field(default=400, ge=1, description="Messages are cut to this many characters.")
    system_template: str = Field(default=SYSTEM_TEMPLATE, description="System prompt template.")
    move_template: str | None = Field(default=None,
                                      description="Move prompt template (default depends on `reasoning`).")
    talk_template: str = Field(default=TALK_TEMPLATE, description="Cheap-talk prompt template.")
    reask_template: str = Field(default=REASK_TEMPLATE, description="Sent after an invalid answer; has {reason} and "
                                "{answer} (the bad answer, quoted).")

    @field_validator("system_template", "move_template", "talk_template", "reask_template")
    @classmethod
    def _templates(cls, v: str | None, info: Any) -> str | None:
        return v if v is None else check_template(v, info.field_name)

    @field_validator("fallback")
    @classmethod
    def _fallback(cls, v: str) -> str:
        if v != "random":
            from interplay.agents.memory_one import CLASSIC

            if v not in CLASSIC:
                raise ValueError(f"fallback must be 'random' or one of {sorted(CLASSIC)}, got {v!r}")
        return v


def parse_agent_config(data: Any, where: str = "agent") -> LLMAgentConfig:
    if isinstance(data, LLMAgentConfig):
        return data
    if isinstance(data, str):
        data = {"model": data}
    try:
        return LLMAgentConfig.model_validate(data)
    except ValidationError as exc:
        parts = [f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise InterplayError(f"{where}: {'; '.join(parts)}") from None


@dataclass
class AgentStats(CallTotals):
    """Per-agent accounting (what results.json reports for each LLM agent): its calls and tokens
    (:class:`~interplay.llm.base.CallTotals`, cached answers' tokens counted too), then its decisions."""

    moves: int = 0
    answers: int = 0
    invalid_answers: int = 0
    truncated_answers: int = 0
    empty_answers: int = 0
    reasks: int = 0
    fallbacks: int = 0
    call_errors: int = 0
    messages: int = 0

    def add(self, c: Completion | None) -> None:
        if c is None:
            return
        if c.cached:
            self.cached_calls += 1
        else:
            self.calls += 1
            self.cost += c.cost
            self.retries += c.retries
        self.prompt_tokens += c.prompt_tokens
        self.completion_tokens += c.completion_tokens

    @property
    def invalid_rate(self) -> float:
        """Invalid answers per answer received for a move."""
        return self.invalid_answers / self.answers if self.answers else 0.0

    @property
    def fallback_rate(self) -> float:
        """Moves that were the fallback, per move."""
        return self.fallbacks / self.moves if self.moves else 0.0

    def as_dict(self) -> dict[str, Any]:
        """Every count, with ``invalid_rate`` and ``fallback_rate``.

        ``moves`` counts decisions returned (played, by the model or its fallback); a move
        cut short by a failed call, a spent budget or a match that ended is not a move.
        ``answers`` counts answers received for moves (several per move with re-asks);
        ``truncated_answers`` and ``empty_answers`` are the invalid answers cut by the
        length limit or empty (counted in ``invalid_answers`` too).
        """
        return {**asdict(self), "invalid_rate": self.invalid_rate, "fallback_rate": self.fallback_rate,
                "total_tokens": self.prompt_tokens + self.completion_tokens}


class LLMAgent:
    """A per-turn player (:class:`~interplay.agents.protocol.Player`) backed by a LanguageModel.

    Stateless between calls: one agent can play many concurrent matches and both seats.
    """

    def __init__(self, name: str, model: LanguageModel, config: LLMAgentConfig | dict[str, Any] | None = None) -> None:
        self.name = name
        self.model = model
        self.config = parse_agent_config(config or {}, where=f"agent {name!r}")
        self.stats = AgentStats()
        cfg = self.config
        self._move_template = cfg.move_template or (MOVE_TEMPLATE if cfg.reasoning else MOVE_TEMPLATE_NO_REASONING)
        self._fallback = (RandomPlayer(f"{name}/fallback") if cfg.fallback == "random"
                          else MachinePlayer.memory_one(f"{name}/fallback", cfg.fallback))

    @classmethod
    def from_config(cls, name: str, config: Any, *, model: LanguageModel | None = None, cache: Any = None,
                    budget: Any = None, record: Any = None, base_dir: str | Path | None = None) -> LLMAgent:
        """Build an agent (and its model, unless one is given to share) from a config mapping."""
        cfg = parse_agent_config(config, where=f"agent {name!r}")
        if model is None and cfg.model is None:
            raise InterplayError(f"agent {name!r}: no model given (set `model:` to a mapping or a YAML file).")
        if model is None:
            from interplay.llm.config import load_model

            spec: Any = cfg.model
            if isinstance(spec, str) and base_dir is not None and not Path(spec).expanduser().is_absolute():
                spec = Path(base_dir) / spec
            model = load_model(spec, cache=cache, budget=budget, record=record, base_dir=base_dir)
        return cls(name, model, cfg)

    # -- prompts -------------------------------------------------------------------
    def fields(self, view: View, **extra: str) -> dict[str, str]:
        return prompt_fields(view, self.config.history_window, **extra)

    def move_messages(self, view: View) -> list[dict[str, str]]:
        f = self.fields(view)
        return [{"role": "system", "content": self.config.system_template.format(**f)},
                {"role": "user", "content": self._move_template.format(**f)}]

    def _seed(self, view: View, *parts: int) -> int:
        return int(np.random.SeedSequence([view.seed, view.seat, view.round, *parts]).generate_state(1)[0] >> 1)

    # -- the Player protocol -------------------------------------------------------
    async def act(self, view: View) -> Decision:
        """One move: ask, re-ask on an invalid answer (each re-ask quotes the bad answer, lists the
        legal actions and uses a new seed, so no two requests of a move are identical), then fall back.

        An answer cut by the length limit or empty is invalid (never parsed). A call that
        fails for good raises (``on_error: stop``) or falls back; :class:`BudgetExceeded`
        always raises. ``stats.moves`` counts only the decisions returned.
        """
        cfg = self.config
        legal = list(view.legal)
        msgs = self.move_messages(view)
        invalid, reason, texts = 0, None, []
        for attempt in range(cfg.max_reasks + 1):
            if attempt:
                self.stats.reasks += 1
            try:
                if cfg.decision == "parse":
                    c = await self.model.agenerate(msgs, temperature=cfg.temperature, max_tokens=cfg.max_tokens,
                                                   seed=self._seed(view, attempt, 0))
                    self.stats.add(c)
                    self.stats.answers += 1
                    texts.append(c.text)
                    if c.problem is not None:  # cut by the length limit, or empty: never parsed
                        raise InvalidAnswer(c.problem, c.text, kind=c.problem_kind or "unparsed")
                    index = parse_choice(c.text, legal)  # InvalidAnswer (without a completion) if garbage
                else:
                    if cfg.reasoning and attempt == 0:
                        c = await self.model.agenerate(msgs, temperature=cfg.temperature, max_tokens=cfg.max_tokens,
                                                       seed=self._seed(view, attempt, 1))
                        self.stats.add(c)
                        texts.append(c.text)
                        msgs = [*msgs, {"role": "assistant", "content": c.text}]
                    choice = await self.model.achoose(msgs, legal, temperature=cfg.temperature,
                                                      seed=self._seed(view, attempt, 2))
                    self.stats.add(choice.completion)
                    self.stats.answers += 1
                    texts.append(choice.completion.text)
                    index = choice.index
                self.stats.moves += 1
                return Decision(action=index, text="\n".join(texts), invalid=invalid,
                                meta={"attempts": attempt + 1})
            except InvalidAnswer as exc:
                if exc.completion is not None:  # a constrained choice: its call is accounted here
                    self.stats.add(exc.completion)
                    self.stats.answers += 1
                    texts.append(exc.text)
                invalid += 1
                self.stats.invalid_answers += 1
                self.stats.truncated_answers += exc.kind == "length"
                self.stats.empty_answers += exc.kind == "empty"
                reason = exc.reason
                quoted = " ".join(exc.text.split())
                if len(quoted) > REASK_QUOTE_CHARS:
                    quoted = quoted[:REASK_QUOTE_CHARS] + "..."
                turn = [{"role": "assistant", "content": exc.text}] if exc.text.strip() else []
                msgs = [*msgs, *turn, {"role": "user", "content": cfg.reask_template.format(
                    **self.fields(view, reason=exc.reason, answer=quoted or "(nothing)"))}]
            except ModelCallError as exc:
                self.stats.call_errors += 1
                if cfg.on_error == "stop":
                    raise
                reason = f"call failed: {exc}"
                break
        return await fallback_decision(self._fallback, view, self.stats, declared=cfg.fallback, reason=reason,
                                       invalid=invalid, texts=texts)

    async def speak(self, view: View, to: tuple[str, ...]) -> str | None:
        cfg = self.config
        if not cfg.talk:
            return None
        visibility = "public" if set(to) == set(view.others) else "private"
        f = self.fields(view, recipients=", ".join(to), visibility=visibility)
        msgs = [{"role": "system", "content": cfg.system_template.format(**f)},
                {"role": "user", "content": cfg.talk_template.format(**f)}]
        try:
            c = await self.model.agenerate(msgs, temperature=cfg.temperature, max_tokens=cfg.talk_max_tokens,
                                           seed=self._seed(view, len(view.messages), 3))
        except ModelCallError:
            self.stats.call_errors += 1
            if cfg.on_error == "stop":
                raise
            return None
        self.stats.add(c)
        self.stats.messages += 1
        return c.text.strip()[:cfg.talk_max_chars]


def load_agent_file(path: str | Path) -> LLMAgentConfig:
    """An agent from a YAML file: a model mapping, optionally with agent options under ``agent:``.

    ``model.yaml`` holding just ``{provider, model, ...}`` gives an agent with default
    options; relative paths in the model mapping are read from the file's folder.
    """
    from interplay.serialize import read_yaml_mapping

    p = Path(path).expanduser()
    data = dict(read_yaml_mapping(p, "agent model file"))
    options = data.pop("agent", None) or {}
    for key in ("cache", "record", "path"):
        if isinstance(data.get(key), str) and not Path(data[key]).expanduser().is_absolute():
            data[key] = str(p.parent / data[key])
    return parse_agent_config({**options, "model": data}, where=f"agent model file {p}")
