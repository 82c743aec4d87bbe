"""Profiles of ballots from any mix of voters, with per-voter weights.

A :class:`Ballot` is what one voter (a person, an LLM agent, a policy, a fixed
heuristic) says about the options: a ranking (ties and truncation allowed), a set
of approvals, or scores. A :class:`Profile` is a list of ballots over named options;
it converts itself to the election data of the ``pref_voting`` library (Holliday and
Pacuit), which computes every rule:

* rankings -> ``pref_voting.profiles.Profile`` when every ballot is a strict, complete
  order, else ``ProfileWithTies`` with extended strict preference (options a voter
  leaves out are ranked below the ones listed);
* approvals and scores -> ``pref_voting.grade_profiles.GradeProfile``.

Identical ballots are grouped (their weights summed) before conversion, so a profile
of 10,000 voters over 8 options becomes at most 8! distinct rankings.

Conventions when a voter gave only a ranking and a grading rule is asked for (stated
so results are reproducible): the option in position ``r`` (0-based, with tiers
sharing the better position) of ``m`` gets the score ``round(5 (m-1-r) / (m-1))`` on
the 0..5 scale STAR needs, unlisted options 0; approval means a score of at least 3
(the upper half). A voter who gave scores but no ranking is ranked by score (equal
scores tie).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from interplay.errors import InterplayError

#: The grade scale of score ballots (STAR's 0..5).
SCORE_SCALE: tuple[int, ...] = (0, 1, 2, 3, 4, 5)
#: Derived approval: a derived score at least this.
APPROVAL_THRESHOLD = 3


@dataclass(frozen=True)
class Ballot:
    """One voter's ballot.

    Attributes:
        voter: the voter's name (unique within a profile).
        ranking: tiers best first, e.g. ``(("B",), ("A", "C"))`` ranks B above A and C,
            which tie; options left out rank below all listed ones. None if not given.
        approvals: the approved options, or None.
        scores: option -> grade on ``SCORE_SCALE``, or None.
        weight: the voter's weight (a positive number; 2 counts like two voters).
        meta: anything worth recording with the ballot (e.g. the order an LLM saw).
    """

    voter: str
    ranking: tuple[tuple[str, ...], ...] | None = None
    approvals: frozenset[str] | None = None
    scores: tuple[tuple[str, float], ...] | None = None
    weight: float = 1.0
    meta: tuple[tuple[str, Any], ...] = field(default=(), compare=False)

    @property
    def top(self) -> tuple[str, ...]:
        """The options this voter puts first (its suggestion)."""
        tiers = self.effective_ranking()
        return tiers[0] if tiers else ()

    def effective_ranking(self) -> tuple[tuple[str, ...], ...]:
        """The ranking, or one derived from scores (equal scores tie), or approvals above the rest."""
        if self.ranking is not None:
            return self.ranking
        if self.scores is not None:
            by: dict[float, list[str]] = {}
            for o, s in self.scores:
                by.setdefault(s, []).append(o)
            return tuple(tuple(by[s]) for s in sorted(by, reverse=True))
        if self.approvals:
            return (tuple(sorted(self.approvals)),)
        return ()

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"voter": self.voter, "weight": self.weight}
        if self.ranking is not None:
            out["ranking"] = [list(t) for t in self.ranking]
        if self.approvals is not None:
            out["approvals"] = sorted(self.approvals)
        if self.scores is not None:
            out["scores"] = dict(self.scores)
        out.update(dict(self.meta))
        return out


def ballot(voter: str, options: Sequence[str], *, ranking: Any = None, approvals: Iterable[str] | None = None,
           scores: Mapping[str, float] | None = None, weight: float = 1.0,
           meta: Mapping[str, Any] | None = None) -> Ballot:
    """Build and validate a ballot over ``options``.

    ``ranking`` is a list whose items are option names or lists of option names (a tie),
    best first. Unknown or repeated options, a non-positive weight, or scores off the
    0..5 scale raise :class:`InterplayError` naming the voter.
    """
    where = f"ballot of {voter!r}"
    known = set(options)
    if not (isinstance(weight, int | float) and math.isfinite(weight) and weight > 0):
        raise InterplayError(f"{where}: weight must be a positive number, got {weight!r}.")
    tiers: tuple[tuple[str, ...], ...] | None = None
    if ranking is not None:
        if isinstance(ranking, str) or not isinstance(ranking, Sequence):
            raise InterplayError(f"{where}: a ranking is a list of options (or lists of tied options), "
                                 f"got {ranking!r}.")
        seen: set[str] = set()
        out = []
        for item in ranking:
            tier = (item,) if isinstance(item, str) else tuple(item)
            if not tier:
                raise InterplayError(f"{where}: empty tie group in ranking {ranking!r}.")
            for o in tier:
                if o not in known:
                    raise InterplayError(f"{where}: unknown option {o!r} in ranking (options: {', '.join(options)}).")
                if o in seen:
                    raise InterplayError(f"{where}: option {o!r} appears twice in ranking {ranking!r}.")
                seen.add(o)
            out.append(tier)
        tiers = tuple(out)
    appr = None
    if approvals is not None:
        appr = frozenset(approvals)
        bad = sorted(appr - known)
        if bad:
            raise InterplayError(f"{where}: unknown approved option(s) {bad} (options: {', '.join(options)}).")
    sc = None
    if scores is not None:
        items = []
        for o, s in scores.items():
            if o not in known:
                raise InterplayError(f"{where}: unknown scored option {o!r} (options: {', '.join(options)}).")
            if s not in SCORE_SCALE:
                raise InterplayError(f"{where}: score of {o!r} must be an integer 0..5, got {s!r}.")
            items.append((o, int(s)))
        sc = tuple(items)
    if tiers is None and appr is None and sc is None:
        raise InterplayError(f"{where}: give a ranking, approvals or scores.")
    return Ballot(voter, tiers, appr, sc, float(weight), tuple((meta or {}).items()))


class Profile:
    """Ballots of named voters over named options.

    Keeps every ballot (so a voter can be left out: pivotality, Shapley) and converts to
    ``pref_voting`` election data on demand. ``rankings`` may also be given as an int
    array of shape (voters, options) of option indices, best first (the fast path for
    large generated profiles).
    """

    def __init__(self, options: Sequence[str], ballots: Sequence[Ballot]) -> None:
        opts = [str(o) for o in options]
        if len(opts) < 2:
            raise InterplayError(f"a decision needs at least 2 options, got {opts}.")
        if len(set(opts)) != len(opts):
            raise InterplayError(f"options must be distinct, got {opts}.")
        names = [b.voter for b in ballots]
        dup = sorted({n for n in names if names.count(n) > 1}) if len(names) < 2000 else []
        if dup:
            raise InterplayError(f"voter names must be distinct; repeated: {dup}.")
        self.options: tuple[str, ...] = tuple(opts)
        self.ballots: tuple[Ballot, ...] = tuple(ballots)
        self._index = {o: i for i, o in enumerate(self.options)}
        self._arrays: tuple[np.ndarray, np.ndarray] | None = None

    # -- construction -----------------------------------------------------------------
    @classmethod
    def from_rankings(cls, options: Sequence[str], rankings: Mapping[str, Any] | Sequence[Any],
                      weights: Mapping[str, float] | None = None) -> Profile:
        """``{voter: ranking}`` (or a list: voters named v1, v2, ...) -> Profile."""
        items = (rankings.items() if isinstance(rankings, Mapping)
                 else ((f"v{i + 1}", r) for i, r in enumerate(rankings)))
        w = dict(weights or {})
        return cls(options, [ballot(v, options, ranking=r, weight=w.get(v, 1.0)) for v, r in items])

    @classmethod
    def from_array(cls, options: Sequence[str], rankings: np.ndarray, weights: np.ndarray | None = None) -> Profile:
        """Strict complete rankings as an int array (voters, options) of option indices, best first."""
        arr = np.asarray(rankings)
        m = len(options)
        if arr.ndim != 2 or arr.shape[1] != m:
            raise InterplayError(f"rankings array must have shape (voters, {m}), got {arr.shape}.")
        if not np.array_equal(np.sort(arr, axis=1), np.broadcast_to(np.arange(m), arr.shape)):
            raise InterplayError("rankings array: every row must be a permutation of 0..options-1.")
        w = np.ones(len(arr)) if weights is None else np.asarray(weights, dtype=float)
        if w.shape != (len(arr),) or np.any(~np.isfinite(w)) or np.any(w <= 0):
            raise InterplayError("rankings array: weights must be positive, one per voter.")
        prof = cls.__new__(cls)
        prof.options = tuple(str(o) for o in options)
        prof._index = {o: i for i, o in enumerate(prof.options)}
        opts = prof.options
        prof.ballots = tuple(Ballot(f"v{i + 1}", tuple((opts[k],) for k in row), weight=float(wi))
                             for i, (row, wi) in enumerate(zip(arr.tolist(), w.tolist())))
        prof._arrays = (arr.astype(np.int64), w)
        return prof

    # -- views ------------------------------------------------------------------------
    @property
    def voters(self) -> tuple[str, ...]:
        return tuple(b.voter for b in self.ballots)

    @property
    def weights(self) -> np.ndarray:
        return np.array([b.weight for b in self.ballots], dtype=float)

    def __len__(self) -> int:
        return len(self.ballots)

    def subset(self, voters: Iterable[str]) -> Profile:
        """The profile of only these voters (same options)."""
        keep = set(voters)
        return Profile(self.options, [b for b in self.ballots if b.voter in keep])

    def without(self, voter: str) -> Profile:
        return Profile(self.options, [b for b in self.ballots if b.voter != voter])

    def is_linear(self) -> bool:
        """True when every ballot ranks all options strictly."""
        m = len(self.options)
        return all(b.ranking is not None and len(b.ranking) == m for b in self.ballots) or (
            self._arrays is not None)

    # -- conversion to pref_voting ------------------------------------------------------
    def _weights_for_pv(self, w: Sequence[float]) -> list[float] | list[int]:
        return [int(x) for x in w] if all(float(x).is_integer() for x in w) else [float(x) for x in w]

    def to_pref_voting(self) -> Any:
        """``pref_voting`` election data of the rankings (grouped), with option names as cmap."""
        from pref_voting.profiles import Profile as PVProfile
        from pref_voting.profiles_with_ties import ProfileWithTies

        if not self.ballots:
            raise InterplayError("the profile has no ballots.")
        cmap = dict(enumerate(self.options))
        if self._arrays is not None:
            arr, w = self._arrays
            uniq, inv = np.unique(arr, axis=0, return_inverse=True)
            counts = np.bincount(inv.ravel(), weights=w, minlength=len(uniq))
            return PVProfile(uniq.tolist(), self._weights_for_pv(counts.tolist()), cmap=cmap)
        groups: dict[tuple[tuple[int, ...], ...], float] = {}
        for b in self.ballots:
            tiers = b.effective_ranking()
            key = tuple(tuple(sorted(self._index[o] for o in t)) for t in tiers)
            groups[key] = groups.get(key, 0.0) + b.weight
        keys = list(groups)
        counts = self._weights_for_pv([groups[k] for k in keys])
        m = len(self.options)
        if self.is_linear():
            return PVProfile([[t[0] for t in k] for k in keys], counts, cmap=cmap)
        rankings = [{c: r + 1 for r, tier in enumerate(k) for c in tier} for k in keys]
        prof = ProfileWithTies(rankings, rcounts=counts, candidates=list(range(m)), cmap=cmap)
        prof.use_extended_strict_preference()
        return prof

    def derived_scores(self, b: Ballot) -> dict[str, int]:
        """A ballot's scores on 0..5: given, or derived from its ranking (module docstring)."""
        if b.scores is not None:
            return {o: int(s) for o, s in b.scores}
        m = len(self.options)
        if b.ranking is None and b.approvals is not None:
            return {o: (5 if o in b.approvals else 0) for o in self.options}
        out = {o: 0 for o in self.options}
        pos = 0
        for tier in b.effective_ranking():
            for o in tier:
                out[o] = round(5 * (m - 1 - pos) / (m - 1))
            pos += len(tier)
        return out

    def derived_approvals(self, b: Ballot) -> frozenset[str]:
        if b.approvals is not None:
            return b.approvals
        return frozenset(o for o, s in self.derived_scores(b).items() if s >= APPROVAL_THRESHOLD)

    def to_grade_profile(self, kind: str) -> Any:
        """``pref_voting`` GradeProfile of approvals (kind ``"approval"``) or 0..5 scores (``"score"``)."""
        from pref_voting.grade_profiles import GradeProfile

        if not self.ballots:
            raise InterplayError("the profile has no ballots.")
        groups: dict[tuple[int, ...], float] = {}
        for b in self.ballots:
            if kind == "approval":
                a = self.derived_approvals(b)
                key = tuple(int(o in a) for o in self.options)
            else:
                s = self.derived_scores(b)
                key = tuple(s[o] for o in self.options)
            groups[key] = groups.get(key, 0.0) + b.weight
        keys = list(groups)
        grades = [0, 1] if kind == "approval" else list(SCORE_SCALE)
        maps = [dict(enumerate(k)) for k in keys]
        return GradeProfile(maps, grades, gcounts=self._weights_for_pv([groups[k] for k in keys]),
                            candidates=list(range(len(self.options))), cmap=dict(enumerate(self.options)))

    def as_dict(self) -> dict[str, Any]:
        return {"options": list(self.options), "ballots": [b.as_dict() for b in self.ballots]}
