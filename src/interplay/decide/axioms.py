"""Which axioms a rule's result violates on this very profile (pref_voting's checks).

pref_voting (Holliday and Pacuit) ships one :class:`pref_voting.axiom.Axiom` per
property, each with ``has_violation(profile, rule)``: it searches the neighbourhood of
the profile (adding or removing a voter, lifting a winner, a voter misreporting, ...)
for a witness that the rule breaks the property *here*. A violation means the
aggregation itself is contestable on this input: e.g. the Condorcet winner lost, or
one voter could have changed the winner in their favour by lying.

:data:`DEFAULT_AXIOMS` are the checks cheap enough for a few voters and options; any
name of ``pref_voting.axioms.axioms_dict`` can be asked for. Besides the profile-level
checks, :func:`rule_properties` gives what pref_voting records about the rule in
general (axioms it satisfies or is known to violate on some profile).
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from typing import Any

from interplay.decide.profiles import Profile
from interplay.decide.rules import VotingRule, election_data, get_rule
from interplay.errors import InterplayError, UnknownNameError

#: Checked by default: dominance, monotonicity, participation and strategic axioms.
DEFAULT_AXIOMS: tuple[str, ...] = (
    "pareto_dominance", "condorcet_winner", "condorcet_loser", "smith", "monotonicity",
    "positive_involvement", "negative_involvement", "later_no_harm", "strategy_proofness",
    "stability_for_winners", "immunity_to_spoilers",
)


def axiom_names() -> list[str]:
    from pref_voting.axioms import axioms_dict

    return sorted(axioms_dict)


def get_axiom(name: str) -> Any:
    from pref_voting.axioms import axioms_dict

    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    if key not in axioms_dict:
        raise UnknownNameError("axiom", name, axioms_dict)
    return axioms_dict[key]


@dataclass(frozen=True)
class AxiomCheck:
    """One axiom checked for one rule on one profile.

    ``violated`` is True/False, or None when the check does not apply (e.g. it needs
    strict rankings); ``note`` says why.
    """

    axiom: str
    title: str
    violated: bool | None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"axiom": self.axiom, "title": self.title, "violated": self.violated, "note": self.note}


def check_axioms(profile: Profile, rule: str | VotingRule, axioms: tuple[str, ...] | list[str] = DEFAULT_AXIOMS,
                 data: Any = None) -> list[AxiomCheck]:
    """Run pref_voting's ``has_violation`` of each axiom for ``rule`` on ``profile``.

    Only ranking rules are checked (pref_voting's axiom checks read rankings); for a
    grading rule every check is reported as not applicable.
    """
    r = get_rule(rule) if isinstance(rule, str) else rule
    out = []
    if r.ballot != "ranking":
        return [AxiomCheck(a, get_axiom(a).name, None, "axiom checks read rankings; this rule reads grades")
                for a in axioms]
    edata = election_data(profile, r) if data is None else data
    linear = type(edata).__name__ == "Profile"
    for name in axioms:
        ax = get_axiom(name)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                bad = bool(ax.has_violation(edata, r.method))
            out.append(AxiomCheck(name, ax.name, bad))
        except (AttributeError, AssertionError, ValueError, TypeError, KeyError, IndexError) as exc:
            why = "needs strict complete rankings" if not linear else f"check failed: {type(exc).__name__}"
            out.append(AxiomCheck(name, ax.name, None, why))
    return out


def violated(profile: Profile, rule: str | VotingRule,
             axioms: tuple[str, ...] | list[str] = DEFAULT_AXIOMS) -> list[str]:
    """Names of the axioms ``rule`` violates on ``profile``."""
    return [c.axiom for c in check_axioms(profile, rule, axioms) if c.violated]


def rule_properties(rule: str | VotingRule) -> dict[str, list[str]]:
    """What pref_voting records of the rule in general: satisfied and violated axioms."""
    r = get_rule(rule) if isinstance(rule, str) else rule
    try:
        return r.properties
    except (OSError, ValueError, KeyError) as exc:  # properties file missing or malformed
        raise InterplayError(f"pref_voting has no recorded properties for {r.name!r}: {exc}.") from None
