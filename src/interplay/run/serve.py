"""``interplay serve CONFIG``: run any experiment with its people at web pages.

The config is any experiment's, with an optional ``people:`` section (:class:`PeopleConfig`).
The people an experiment names take seats: ``human`` agents of an ``llm-tournament`` and of a
``coordination``'s ``llm.agents`` (players: moves, contract votes, commitments, delegation),
``kind: human`` negotiators of a ``negotiation`` (messages and offers),
``type: human`` advisors of ``decide`` (advisors), ``judge_model: person`` of ``judged-debate``
(the judge). The run is the ordinary one (:func:`interplay.run.runner.run_experiment`: the same
run directory, results.json, transcripts and audit log); results.json gains ``people``: per seat
its role, questions, answers, fallbacks, timeouts and rejoins (never a token).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from interplay.agents.people import Hub, activated
from interplay.errors import InterplayError
from interplay.run.people import PeopleConfig, split_people

__all__ = ["PeopleConfig", "seats_named", "serve_experiment", "split_people"]


def seats_named(cfg: Any) -> list[tuple[str, str]]:
    """(seat, role) of every person the experiment names."""
    kind = getattr(cfg, "kind", "")
    if kind == "llm-tournament":
        return [(n, "player") for n, a in cfg.agents.items() if isinstance(a, str) and a.strip() == "human"]
    if kind == "decide":
        return [(a.name, "advisor") for a in cfg.advisors if a.type == "human"]
    if kind == "judged-debate" and cfg.judge_model == "person":
        return [("judge", "judge")]
    if kind == "negotiation":
        return [(n, "player") for n, s in cfg.negotiators.items() if s.kind == "human"]
    if kind == "coordination" and cfg.llm is not None:
        return [(n, "player") for n, a in cfg.llm.agents.items() if a == "human"]
    return []


def serve_experiment(config: Path, out: Path | None, *, overrides: list[str] | None = None, port: int | None = None,
                     quiet: bool = False, resume: bool = False, overwrite: bool = False,
                     announce: Any = print) -> tuple[Path, Hub]:
    """Run ``config`` with its people at web pages; ``announce`` gets the experimenter's link."""
    from interplay.run.config import read_yaml
    from interplay.run.runner import load_config, run_experiment
    from interplay.run.web import Server

    raw, people = split_people(read_yaml(config), str(config))
    cfg = load_config(data=raw, overrides=overrides)
    named = seats_named(cfg)
    if not named:
        raise InterplayError(f"{config}: the experiment names no person (a `human` agent of an llm-tournament or "
                             "of a coordination's llm.agents, a `kind: human` negotiator, a `type: human` advisor "
                             "of decide, or `judge_model: person` of judged-debate).")
    if getattr(cfg, "kind", "") == "llm-tournament" and getattr(cfg, "self_play", False):
        raise InterplayError(f"{config}: self_play: a person cannot sit in both seats of a match; set "
                             "self_play: false.")
    if getattr(cfg, "kind", "") == "negotiation" and people.fallbacks:
        raise InterplayError(f"{config}: people.fallbacks: a negotiator's fallback is its own `fallback:` "
                             "(negotiators.NAME.fallback), not people.fallbacks.")
    for who in people.fallbacks:
        if who not in {n for n, r in named if r == "player"}:
            raise InterplayError(f"{config}: people.fallbacks.{who}: no player seat of that name "
                                 f"(seats: {', '.join(n for n, _ in named)}).")
    hub = Hub(timeout=people.timeout, join_timeout=people.join_timeout, fallbacks=people.fallbacks,
              timeouts=people.timeouts)
    for name, role in named:
        hub.seat(name, role)
    from interplay.run.runner import default_run_dir

    run_dir = Path(out) if out is not None else default_run_dir(cfg)
    server = Server(hub, host=people.host, port=port or people.port, run_dir=run_dir).start()
    announce(f"experimenter's page: {server.url}/#admin={hub.admin_token}")
    try:
        with activated(hub):
            run_dir = run_experiment(cfg, run_dir, quiet=quiet, resume=resume, overwrite=overwrite)
        hub.finish()
        if people.linger:
            time.sleep(people.linger)
    finally:
        hub.finish()
        server.stop()
    return run_dir, hub
