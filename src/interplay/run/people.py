"""The ``people:`` section of a config (``interplay serve``; see :mod:`interplay.run.serve`)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, ValidationError

from interplay.errors import InterplayError
from interplay.run.config import Strict, format_validation_error


class PeopleConfig(Strict):
    """``people:``: where the pages are served and how long a person may stay silent."""

    host: str = Field(default="127.0.0.1", description="address to serve on (loopback by default)")
    port: int = Field(default=8765, ge=1, le=65535, description="port of the pages")
    timeout: float = Field(default=120.0, gt=0, le=86400, description="seconds a seated person may take to answer; "
                           "past it the seat's fallback answers, and goes on answering until the person is back")
    join_timeout: float = Field(default=600.0, gt=0, le=86400, description="seconds a seat's first question waits for "
                                "a person to take the seat")
    fallbacks: dict[str, str] = Field(default_factory=dict, description="player seat -> its fallback player "
                                      "(a strategy name, 'random', ...; default 'random'); judges fall back to "
                                      "the judged debate's judge_fallback, advisors to an abstention (all tied)")
    timeouts: dict[str, float] = Field(default_factory=dict, description="seat -> its own timeout")
    linger: float = Field(default=5.0, ge=0, le=3600, description="seconds the pages stay up after the run ends")


def split_people(raw: dict[str, Any], source: str) -> tuple[dict[str, Any], PeopleConfig]:
    """The experiment's config without ``people:``, and the validated people section."""
    rest = dict(raw)
    people = rest.pop("people", None) or {}
    try:
        return rest, _People.model_validate({"kind": rest.get("kind", "population"), "people": people}).people
    except ValidationError as exc:
        raise InterplayError(format_validation_error(exc, source, raw, _People)) from None


class _People(Strict):
    """The ``people:`` section where it stands in a config (for errors naming ``people.FIELD`` and its line)."""

    kind: str = "population"
    people: PeopleConfig
