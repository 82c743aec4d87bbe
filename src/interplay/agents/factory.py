"""Players from short specs, as the CLI and configs write them (``llm:model.yaml``, ``human``,
``random``, ``learned:lola``, a strategy name, or 5 memory-one probabilities).

The one place that knows every kind of player; nothing below it imports it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from interplay.agents.fixed import MachinePlayer, RandomPlayer, RulePlayer, strategy_player
from interplay.agents.match import stage_of
from interplay.errors import InterplayError
from interplay.games.iterated import IteratedGame


def player_from_spec(spec: str, game: Any, *, name: str | None = None, cache: Any = None, budget: Any = None,
                     record: Any = None, models: dict[str, Any] | None = None) -> Any:
    """A per-turn player from a short spec, as the CLI and configs write them.

    * ``llm:PATH.yaml`` - an LLM agent with the model in that file (agent options may
      sit beside the model fields under an ``agent:`` key);
    * ``human`` - a person: at a web seat while ``interplay serve`` runs (with the seat's declared
      fallback), else at the terminal;
    * ``random`` - uniformly random legal moves;
    * ``learned:lola`` (``nl``, ``la``, ``sos``) - the memory-one policy a learner reaches
      in self-play on this game (exact gradients, 200 updates, seed 0);
    * a strategy name (``Tit For Tat``), or 5 probabilities ``[start, CC, CD, DC, DD]``.

    ``models`` shares one model object per file among agents (one concurrency bound).
    """
    spec = spec.strip()
    if spec.startswith("llm:"):
        from interplay.agents.llm_agent import LLMAgent, load_agent_file

        path = spec[4:].strip()
        cfg = load_agent_file(path)
        models = models if models is not None else {}
        key = str(path)
        agent = LLMAgent.from_config(name or agent_name(cfg, path), cfg, model=models.get(key), cache=cache,
                                     budget=budget, record=record)
        models[key] = agent.model
        return agent
    if spec == "human":
        from interplay.agents.people import WebPlayer, active_hub

        hub = active_hub()
        if hub is not None:  # `interplay serve`: the person plays from a web page
            who = name or "human"
            fallback = str(hub.fallbacks.get(who, "random"))
            if fallback.strip() == "human":
                raise InterplayError(f"people.fallbacks.{who}: a person's fallback cannot be a person.")
            return WebPlayer(who, hub.seat(who, "player"),
                             player_from_spec(fallback, game, name=f"{who} (fallback)", cache=cache, budget=budget,
                                              record=record, models=models))
        from interplay.agents.human import HumanPlayer

        return HumanPlayer(name or "human")
    if spec == "random":
        return RandomPlayer(name or "Random")
    if spec.startswith("learned:"):
        return learned_player(spec[8:].strip(), game, name=name)
    if spec.startswith("["):
        import yaml

        return strategy_player(yaml.safe_load(spec), game, name=name or spec)
    return strategy_player(spec, game, name=name)


def agent_name(cfg: Any, path: str) -> str:
    from pathlib import Path

    model = cfg.model if isinstance(cfg.model, dict) else {}
    return str(model.get("name") or model.get("model") or Path(path).stem)


def learned_player(learner: str, game: Any, *, name: str | None = None, num_updates: int = 200,
                   seed: int = 0) -> MachinePlayer | RulePlayer:
    """The memory-one policy a learner reaches against itself (exact gradients; Foerster et al. 2018)."""
    if not isinstance(game, IteratedGame):
        raise InterplayError(f"learned:{learner}: learned policies need an iterated 2x2 game, "
                             f"got {stage_of(game)[0].id}.")
    from interplay.agents.learners.differentiable import differentiable
    from interplay.agents.learners.exact import learned_policies, learner_from_name

    lrn = learner_from_name(learner)
    probs = learned_policies(differentiable(game), lrn, lrn, num_seeds=1, num_updates=num_updates, seed=seed)
    return strategy_player(np.clip(probs[0, 0], 0.0, 1.0).tolist(), game, name=name or f"{learner.upper()} (learned)")
