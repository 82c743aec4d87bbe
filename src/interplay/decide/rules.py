"""Voting rules by name, all computed by the ``pref_voting`` library.

Every method of ``pref_voting``'s registry (96 in version 1.18: plurality, Borda,
Copeland, Kemeny-Young, Beat Path (Schulze), Ranked Pairs (Tideman), Instant Runoff,
Minimax (Simpson-Kramer), Split Cycle, Stable Voting, ...) is available under its own
name, plus the grading methods Approval, Score Voting, STAR and Majority Judgement.
Names are matched case-insensitively, with spaces, hyphens and underscores alike,
and the common aliases in :data:`ALIASES` (``schulze``, ``irv``, ``tideman``, ...).

:func:`apply_rule` returns the winners (all of them: pref_voting rules are irresolute,
so a tie is a set of several winners); :func:`majority` gives the Condorcet winner, or
when there is none the Smith set and the majority cycles.
"""

from __future__ import annotations

import contextlib
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from interplay.decide.profiles import Profile
from interplay.errors import InterplayError, UnknownNameError

#: Friendly names -> pref_voting method names.
ALIASES: dict[str, str] = {
    "plurality": "Plurality",
    "borda": "Borda",
    "copeland": "Copeland",
    "kemeny": "Kemeny-Young",
    "kemeny-young": "Kemeny-Young",
    "schulze": "Beat Path",
    "beat-path": "Beat Path",
    "ranked-pairs": "Ranked Pairs",
    "tideman": "Ranked Pairs",
    "instant-runoff": "Instant Runoff",
    "irv": "Instant Runoff",
    "hare": "Instant Runoff",
    "minimax": "Minimax",
    "simpson-kramer": "Minimax",
    "approval": "Approval",
    "score": "Score Voting",
    "range": "Score Voting",
    "star": "STAR",
    "majority-judgement": "Majority Judgement",
    "majority-judgment": "Majority Judgement",
    "split-cycle": "Split Cycle",
    "stable-voting": "Stable Voting",
    "anti-plurality": "Anti-Plurality",
    "coombs": "Coombs",
    "baldwin": "Baldwin",
    "nanson": "Strict Nanson",
    "black": "Blacks",
    "bucklin": "Bucklin",
    "dodgson": "Dodgson",
}

#: The rules reported by default (the issue's list).
DEFAULT_RULES: tuple[str, ...] = ("plurality", "borda", "copeland", "kemeny-young", "schulze", "ranked-pairs",
                                  "instant-runoff", "minimax", "approval", "score", "star")

#: Grading methods (from pref_voting.grade_methods) and the ballot they read.
_GRADE_METHODS: dict[str, str] = {
    "Approval": "approval",
    "Score Voting": "score",
    "STAR": "score",
    "Majority Judgement": "score",
}


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]+", "-", name.strip().lower())


@dataclass(frozen=True)
class VotingRule:
    """A pref_voting method with the ballot it reads (``ranking``, ``approval`` or ``score``)."""

    name: str
    method: Any
    ballot: str

    @property
    def properties(self) -> dict[str, list[str]]:
        """Axioms pref_voting records as satisfied / violated by this rule in general."""
        props = self.method.get_properties() if hasattr(self.method, "get_properties") else {}
        return {"satisfied": list(props.get("satisfied", [])), "violated": list(props.get("violated", []))}


@lru_cache(maxsize=1)
def _registry() -> dict[str, VotingRule]:
    from pref_voting import grade_methods
    from pref_voting.voting_methods_registry import voting_methods

    rules = {name: VotingRule(name, info["method"], "ranking") for name, info in voting_methods.methods.items()}
    for name, kind in _GRADE_METHODS.items():
        method = next(m for m in vars(grade_methods).values() if getattr(m, "name", None) == name)
        rules[name] = VotingRule(name, method, kind)
    return rules


def rule_names() -> list[str]:
    """Every available rule, by its pref_voting name."""
    return sorted(_registry())


def get_rule(name: str) -> VotingRule:
    """A rule by pref_voting name or alias (case, spaces and hyphens ignored)."""
    reg = _registry()
    if name in reg:
        return reg[name]
    key = _norm(name)
    if key in ALIASES:
        return reg[ALIASES[key]]
    by_norm = {_norm(n): n for n in reg}
    if key in by_norm:
        return reg[by_norm[key]]
    raise UnknownNameError("voting rule", name, list(reg) + list(ALIASES))


@dataclass(frozen=True)
class RuleResult:
    """Winners of one rule on one profile; ``tied`` when there is more than one."""

    rule: str
    winners: tuple[str, ...]

    @property
    def tied(self) -> bool:
        return len(self.winners) > 1

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "winners": list(self.winners), "tied": self.tied}


def election_data(profile: Profile, rule: VotingRule) -> Any:
    return profile.to_pref_voting() if rule.ballot == "ranking" else profile.to_grade_profile(rule.ballot)


def apply_rule(profile: Profile, rule: str | VotingRule, data: Any = None) -> RuleResult:
    """Winners of ``rule`` on ``profile`` (``data``: pre-built election data to reuse)."""
    r = get_rule(rule) if isinstance(rule, str) else rule
    edata = election_data(profile, r) if data is None else data
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            ws = r.method(edata)
    except (AssertionError, ValueError, TypeError, KeyError, IndexError, ZeroDivisionError) as exc:
        raise InterplayError(f"voting rule {r.name!r} cannot be applied to this profile: {exc or type(exc).__name__}."
                             ) from None
    return RuleResult(r.name, tuple(profile.options[int(c)] for c in sorted(ws)))


def apply_rules(profile: Profile, rules: list[str] | tuple[str, ...] = DEFAULT_RULES) -> dict[str, RuleResult]:
    """Winners under each rule, building each kind of election data once."""
    cache: dict[str, Any] = {}
    out = {}
    for name in rules:
        r = get_rule(name)
        if r.ballot not in cache:
            cache[r.ballot] = election_data(profile, r)
        out[name] = apply_rule(profile, r, cache[r.ballot])
    return out


@dataclass(frozen=True)
class Majority:
    """The majority relation's verdict.

    ``condorcet_winner`` beats every other option head to head (None if there is none);
    ``smith_set`` is the smallest set of options each beating every option outside it;
    ``cycles`` are the majority cycles (as lists of options), given when there is no
    Condorcet winner.
    """

    condorcet_winner: str | None
    weak_condorcet_winners: tuple[str, ...]
    condorcet_loser: str | None
    smith_set: tuple[str, ...]
    cycles: tuple[tuple[str, ...], ...]
    margins: tuple[tuple[float, ...], ...]

    def as_dict(self) -> dict[str, Any]:
        return {"condorcet_winner": self.condorcet_winner,
                "weak_condorcet_winners": list(self.weak_condorcet_winners),
                "condorcet_loser": self.condorcet_loser, "smith_set": list(self.smith_set),
                "cycles": [list(c) for c in self.cycles], "margins": [list(r) for r in self.margins]}


def majority(profile: Profile, max_cycle_options: int = 8) -> Majority:
    """Condorcet winner or the majority cycles (cycles listed for up to ``max_cycle_options``)."""
    from pref_voting.c1_methods import smith_set

    data = profile.to_pref_voting()
    names = profile.options
    cw = data.condorcet_winner()
    wcw = data.weak_condorcet_winner() or []
    cl = data.condorcet_loser()
    cyc: list[list[int]] = []
    if cw is None and len(names) <= max_cycle_options:
        cyc = data.cycles()
    m = len(names)
    margins = tuple(tuple(float(data.margin(a, b)) for b in range(m)) for a in range(m))
    return Majority(
        condorcet_winner=None if cw is None else names[int(cw)],
        weak_condorcet_winners=tuple(names[int(c)] for c in sorted(wcw)),
        condorcet_loser=None if cl is None else names[int(cl)],
        smith_set=tuple(names[int(c)] for c in sorted(smith_set(data))),
        cycles=tuple(tuple(names[int(c)] for c in cy) for cy in cyc),
        margins=margins,
    )
