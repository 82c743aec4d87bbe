"""Safety options shared by the experiment kinds that carry messages: ``monitors:`` and ``audit:``.

``monitors:`` is a list of message monitors of :mod:`interplay.safety.monitors`, each
``{kind: injection | covert-channel, action: log | flag | block}``; the kinds that take it
(``debate``, ``judged-debate``, ``persuasion``, ``llm-tournament``) run every message through
one :class:`~interplay.safety.monitors.MonitorSuite` of them and report its counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field

from interplay.run.config import Strict
from interplay.run.context import RunContext


class MonitorSpec(Strict):
    """A message monitor of interplay.safety put on every message of the protocol."""

    kind: Literal["injection", "covert-channel"] = Field(description="which monitor")
    action: Literal["log", "flag", "block"] = Field(default="flag", description="what a finding does to the message")


def monitor_suite(specs: Sequence[MonitorSpec]) -> Any:
    """Safety's MonitorSuite over the configured monitors (None when there are none)."""
    if not specs:
        return None
    from interplay.safety.monitors import CovertChannelMonitor, InjectionMonitor, MonitorSuite

    kinds = {"injection": InjectionMonitor, "covert-channel": CovertChannelMonitor}
    return MonitorSuite([kinds[m.kind](action=m.action) for m in specs])


def report_monitors(ctx: RunContext, suite: Any) -> None:
    """``results.json["monitors"]`` (the suite's summary) and a table of flags and blocks."""
    if suite is None:
        return
    summary = suite.summary()
    ctx.results["monitors"] = summary
    ctx.add_table("Message monitors", [[c.get("name", c.get("monitor", "?")), c["checked"], c["flagged"],
                                        c["blocked"], c["logged"]] for c in summary["monitors"]],
                  ["monitor", "messages checked", "flagged", "blocked", "logged"])
