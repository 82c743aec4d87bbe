"""Diplomacy through the ``diplomacy`` engine (PyPI, AGPL-3.0): a PettingZoo-style parallel env.

The engine (DATC-compliant adjudication, the legal orders of every unit, SVG rendering) is
imported only here, and only when a :class:`DiplomacyEnv` is built; install it with the extra
``interplay[diplomacy]``.

The seven powers are the players. Every phase (movement ``M``, retreat ``R``, adjustment ``A``)
is one :meth:`DiplomacyEnv.step`: each power still in the game gives a list of orders, each
chosen from ``obs["legal_orders"][location]`` (the engine's ``get_all_possible_orders`` for
that power's orderable locations). An order outside that list, or two orders for one
location, or more builds than the power may make, raises :class:`InterplayError`; a unit
given no order holds (movement), is disbanded (retreat), and missing disbands are chosen by
the engine's civil-disorder rule.

Welfare Diplomacy (Mukobi et al. 2023, "Welfare Diplomacy: Benchmarking Language Model
Cooperation", arXiv:2310.08901) is ``welfare=True``:

- after every winter each power gains welfare points ``WP += centres - units`` (centres not
  turned into units);
- in every winter a power may disband any of its units (voluntary disbanding); when the
  engine has no adjustment phase that winter (no power had to build or disband) the env
  still gives one, phase ``W{year}A``, in which only disbands are legal;
- no solo victory: the game always lasts ``max_years`` years.

Rewards of a step are the change in each power's supply-centre count (standard game) or in
its welfare points (Welfare Diplomacy). The game ends (``terminations``) on a solo victory,
after ``max_years`` in Welfare Diplomacy, or for a power when it is eliminated; a standard
game reaching ``max_years`` is truncated (a draw among the survivors).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from interplay.errors import InterplayError

POWERS: tuple[str, ...] = ("AUSTRIA", "ENGLAND", "FRANCE", "GERMANY", "ITALY", "RUSSIA", "TURKEY")
#: First year of the standard map.
START_YEAR = 1901


def _engine() -> Any:
    try:
        import diplomacy
    except ImportError as e:  # pragma: no cover - the extra is installed in the test venv
        raise InterplayError(
            "Diplomacy needs the 'diplomacy' engine (AGPL-3.0): pip install 'interplay[diplomacy]'") from e
    return diplomacy


def province(loc: str) -> str:
    """The province of a location (``STP/SC`` -> ``STP``)."""
    return loc.split("/")[0].upper()


def order_kind(order: str) -> str:
    """``move``, ``hold``, ``support``, ``convoy``, ``retreat``, ``disband``, ``build`` or ``waive``."""
    parts = order.split()
    if order == "WAIVE":
        return "waive"
    if len(parts) >= 3 and parts[2] == "B":
        return "build"
    if len(parts) >= 3 and parts[2] == "D":
        return "disband"
    if len(parts) >= 3 and parts[2] == "R":
        return "retreat"
    if len(parts) >= 3 and parts[2] == "H":
        return "hold"
    if len(parts) >= 3 and parts[2] == "S":
        return "support"
    if len(parts) >= 3 and parts[2] == "C":
        return "convoy"
    return "move"


def order_target(order: str) -> str | None:
    """The province a move or retreat order goes to (``A PAR - BUR`` -> ``BUR``), else None."""
    parts = order.split()
    kind = order_kind(order)
    if kind == "move":
        return province(parts[3]) if len(parts) > 3 else None
    if kind == "retreat":
        return province(parts[3])
    return None


@dataclass
class DiplomacyRecord:
    """What a game left: supply centres over time, eliminations, welfare, conflicts, outcome."""

    welfare: bool
    max_years: int
    #: one row per phase start: (phase name, {power: supply-centre count})
    centres: list[tuple[str, dict[str, int]]] = field(default_factory=list)
    #: power -> phase at which it was eliminated
    eliminated: dict[str, str] = field(default_factory=dict)
    welfare_points: dict[str, int] = field(default_factory=lambda: dict.fromkeys(POWERS, 0))
    #: power -> move orders into a province held, or also entered, by another power's unit
    conflicts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(POWERS, 0))
    #: power -> supply centres it took from another power (not neutral ones)
    stolen: dict[str, int] = field(default_factory=lambda: dict.fromkeys(POWERS, 0))
    winner: str | None = None
    phases: int = 0

    def final_centres(self) -> dict[str, int]:
        return dict(self.centres[-1][1]) if self.centres else {}

    def outcome(self) -> str:
        if self.winner:
            return f"solo victory: {self.winner}"
        alive = [p for p, n in self.final_centres().items() if n > 0 and p not in self.eliminated]
        return "draw: " + ", ".join(alive)

    def root_nash_welfare(self) -> float:
        """Geometric mean of the welfare points, ``(prod_i WP_i)^(1/n)`` (Mukobi et al. 2023)."""
        wp = [self.welfare_points[p] for p in POWERS]
        if min(wp) <= 0:
            return 0.0
        return math.exp(sum(math.log(w) for w in wp) / len(wp))

    def to_dict(self) -> dict[str, Any]:
        return {"welfare": self.welfare, "max_years": self.max_years, "phases": self.phases,
                "winner": self.winner, "outcome": self.outcome(), "eliminated": self.eliminated,
                "final_centres": self.final_centres(),
                "centres": [{"phase": ph, **c} for ph, c in self.centres],
                "welfare_points": self.welfare_points if self.welfare else None,
                "root_nash_welfare": self.root_nash_welfare() if self.welfare else None,
                "conflicts": self.conflicts, "stolen": self.stolen}


#: map name -> its distance table (the map never changes, so it is computed once a process)
_DISTANCES: dict[str, dict[str, dict[str, dict[str, int]]]] = {}


def _distances(game_map: Any) -> dict[str, dict[str, dict[str, int]]]:
    """Fewest moves from every location to every supply centre, for armies ``A`` and fleets ``F``
    (breadth-first over the engine map's adjacency; convoys ignored)."""
    locs = [loc.upper() for loc in game_map.locs]
    out: dict[str, dict[str, dict[str, int]]] = {}
    for utype in ("A", "F"):
        table: dict[str, dict[str, int]] = {}
        for start in locs:
            if not game_map.is_valid_unit(f"{utype} {start}"):
                continue
            seen = {start: 0}
            queue = deque([start])
            while queue:
                here = queue.popleft()
                for nxt in game_map.abut_list(here, incl_no_coast=False):
                    nxt = nxt.upper()
                    if nxt in seen or not game_map.is_valid_unit(f"{utype} {nxt}"):
                        continue
                    if not game_map.abuts(utype, here, "-", nxt):
                        continue
                    seen[nxt] = seen[here] + 1
                    queue.append(nxt)
            best: dict[str, int] = {}
            for loc, d in seen.items():
                sc = province(loc)
                if sc in game_map.scs and d < best.get(sc, 1 << 30):
                    best[sc] = d
            table[start] = best
        out[utype] = table
    return out


class DiplomacyEnv:
    """The standard Diplomacy board as a PettingZoo-style parallel environment.

    >>> env = DiplomacyEnv(max_years=2)              # doctest: +SKIP
    >>> obs, infos = env.reset()
    >>> obs, rewards, terms, truncs, infos = env.step({p: [] for p in env.agents})   # all hold
    """

    metadata = {"name": "diplomacy-v1", "is_parallel": True}

    def __init__(self, max_years: int = 10, welfare: bool = False) -> None:
        if isinstance(max_years, bool) or not isinstance(max_years, int) or not 1 <= max_years <= 200:
            raise InterplayError(f"diplomacy max_years must be a whole number from 1 to 200, got {max_years!r}")
        self._dip = _engine()
        self.max_years = max_years
        self.welfare = bool(welfare)
        self.possible_agents: list[str] = list(POWERS)
        self.agents: list[str] = []
        self.game: Any = None
        self.record = DiplomacyRecord(self.welfare, max_years)
        self._extra_winter: int | None = None  # year of a Welfare Diplomacy winter the engine skipped
        self._done = True
        self._distances: dict[str, dict[str, dict[str, int]]] | None = None
        self.reset()

    # ---- engine state -------------------------------------------------------------------------
    @property
    def last_year(self) -> int:
        return START_YEAR + self.max_years - 1

    @property
    def phase(self) -> str:
        """The phase to play: the engine's, or ``W{year}A`` for a Welfare Diplomacy extra winter."""
        if self._extra_winter is not None:
            return f"W{self._extra_winter}A"
        return self.game.get_current_phase()

    @property
    def phase_type(self) -> str:
        return "A" if self._extra_winter is not None else self.game.phase_type

    def centres(self) -> dict[str, list[str]]:
        return {p: list(self.game.get_power(p).centers) for p in POWERS}

    def units(self) -> dict[str, list[str]]:
        return {p: list(self.game.get_power(p).units) for p in POWERS}

    def distances(self) -> dict[str, dict[str, dict[str, int]]]:
        """Fewest moves from each location to each supply centre (``[unit type][location][centre]``)."""
        if self._distances is None:
            name = self.game.map.name
            if name not in _DISTANCES:
                _DISTANCES[name] = _distances(self.game.map)
            self._distances = _DISTANCES[name]
        return self._distances

    def _phase_year(self) -> int:
        return int(self.phase[1:5]) if self.phase[1:5].isdigit() else self.last_year

    def _year(self) -> int:
        return int(self.game.get_current_phase()[1:5]) if self.game.get_current_phase() != "COMPLETED" else 0

    # ---- legal orders -------------------------------------------------------------------------
    def legal_orders(self, power: str) -> dict[str, list[str]]:
        """Each orderable location of ``power`` -> its legal orders (the engine's list; in a
        Welfare Diplomacy winter every unit may also disband)."""
        power = self._power(power)
        if self._done:
            return {}
        pw = self.game.get_power(power)
        if self._extra_winter is not None:
            return {province(u.split()[1]): [f"{u} D"] for u in pw.units}
        possible = self._possible
        legal = {loc: sorted(possible.get(loc, [])) for loc in self.game.get_orderable_locations(power)}
        legal = {loc: orders for loc, orders in legal.items() if orders}
        if self.welfare and self.game.phase_type == "A" and len(pw.units) <= len(pw.centers):
            for u in pw.units:
                legal.setdefault(province(u.split()[1]), [])
                if f"{u} D" not in legal[province(u.split()[1])]:
                    legal[province(u.split()[1])].append(f"{u} D")
        return legal

    def builds_allowed(self, power: str) -> int:
        """How many builds ``power`` may make this phase (0 outside adjustments)."""
        pw = self.game.get_power(self._power(power))
        if self.phase_type != "A" or self._extra_winter is not None:
            return 0
        return max(0, len(pw.centers) - len(pw.units))

    def _power(self, power: str) -> str:
        if not isinstance(power, str) or power.upper() not in POWERS:
            raise InterplayError(f"unknown Diplomacy power {power!r}; the powers are {', '.join(POWERS)}")
        return power.upper()

    def check_orders(self, power: str, orders: Sequence[str] | Mapping[str, str]) -> list[str]:
        """The orders of ``power`` if every one is legal, else an InterplayError naming the bad one."""
        power = self._power(power)
        if isinstance(orders, Mapping):
            orders = list(orders.values())
        if isinstance(orders, str) or not isinstance(orders, Sequence):
            raise InterplayError(f"{power}'s orders in {self.phase} must be a list of order strings, got {orders!r}")
        legal = self.legal_orders(power)
        where = {o: loc for loc, os in legal.items() for o in os}
        used: dict[str, str] = {}
        builds = 0
        for order in orders:
            if not isinstance(order, str) or order not in where:
                hint = ""
                if isinstance(order, str) and len(order.split()) > 1:
                    loc = province(order.split()[1])
                    if loc in legal:
                        hint = f"; legal orders at {loc}: {', '.join(legal[loc])}"
                raise InterplayError(
                    f"illegal order {order!r} for {power} in {self.phase}: not among the engine's legal orders"
                    f"{hint or '; orderable locations: ' + (', '.join(sorted(legal)) or 'none')}")
            kind = order_kind(order)
            if kind in ("build", "waive"):
                builds += 1
            if kind != "waive":
                loc = where[order]
                if loc in used:
                    raise InterplayError(f"{power} gave two orders for {loc} in {self.phase}: "
                                         f"{used[loc]!r} and {order!r}")
                used[loc] = order
        if builds > self.builds_allowed(power):
            raise InterplayError(f"{power} may build {self.builds_allowed(power)} unit(s) in {self.phase}, "
                                 f"got {builds} build/waive orders")
        return list(orders)

    # ---- observation --------------------------------------------------------------------------
    def observe(self, power: str) -> dict[str, Any]:
        """What ``power`` sees: the public board (all units and centres), its own units, centres
        and legal orders, and the messages addressed to it (or to everyone)."""
        power = self._power(power)
        pw = self.game.get_power(power)
        msgs = [m for m in self._messages if m["recipient"] in (power, "GLOBAL") or m["sender"] == power]
        return {"power": power, "phase": self.phase, "phase_type": self.phase_type,
                "year": self._phase_year(), "units": self.units(), "centres": self.centres(),
                "my_units": list(pw.units), "my_centres": list(pw.centers),
                "supply_centres": list(self.game.map.scs), "legal_orders": self.legal_orders(power),
                "builds_allowed": self.builds_allowed(power), "messages": msgs,
                "welfare": self.welfare, "welfare_points": dict(self.record.welfare_points),
                "last_year": self.last_year, "distances": self.distances()}

    def send_message(self, sender: str, recipient: str, body: str) -> None:
        """Add a press message from ``sender`` to ``recipient`` (a power or ``GLOBAL``) in this phase."""
        sender = self._power(sender)
        if recipient != "GLOBAL":
            recipient = self._power(recipient)
        if not isinstance(body, str) or not body:
            raise InterplayError(f"message from {sender} must be a non-empty string")
        msg = self._dip.Message(sender=sender, recipient=recipient, message=body, phase=self.game.get_current_phase())
        self.game.add_message(msg)
        self._messages.append({"phase": msg.phase, "sender": sender, "recipient": recipient, "body": body})

    # ---- PettingZoo-style API -----------------------------------------------------------------
    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[dict, dict]:
        """A new game at Spring 1901 (the game is deterministic; ``seed`` is accepted for the API)."""
        self.game = self._dip.Game()
        self.game.remove_rule("NO_PRESS")
        if self.welfare:
            self.game.victory = [len(self.game.map.scs) + 1]  # no solo victory
            self.game.win = self.game.victory[0]
        self.record = DiplomacyRecord(self.welfare, self.max_years)
        self._extra_winter = None
        self._messages: list[dict[str, str]] = []
        self._done = False
        self.agents = list(POWERS)
        self._possible = self.game.get_all_possible_orders()
        self._note_centres()
        return {p: self.observe(p) for p in self.agents}, {p: {} for p in self.agents}

    def set_position(self, units: Mapping[str, Sequence[str]] | None = None,
                     centres: Mapping[str, Sequence[str]] | None = None) -> None:
        """Replace the units and/or supply centres of the powers named (for constructed positions,
        e.g. in tests); the engine checks each unit and centre."""
        for p, us in (units or {}).items():
            self.game.set_units(self._power(p), list(us), reset=True)
            if len(self.game.get_power(self._power(p)).units) != len(us):
                raise InterplayError(f"invalid units for {p}: {list(us)}")
        for p, cs in (centres or {}).items():
            self.game.set_centers(self._power(p), list(cs), reset=True)
        self._possible = self.game.get_all_possible_orders()
        self.record.centres[-1] = (self.phase, {p: len(self.game.get_power(p).centers) for p in POWERS})

    def _note_centres(self) -> None:
        self.record.centres.append((self.phase, {p: len(self.game.get_power(p).centers) for p in POWERS}))

    def _score(self) -> dict[str, int]:
        if self.welfare:
            return dict(self.record.welfare_points)
        return {p: len(self.game.get_power(p).centers) for p in POWERS}

    def step(self, actions: Mapping[str, Sequence[str] | Mapping[str, str]]) -> tuple[dict, dict, dict, dict, dict]:
        """Adjudicate one phase. ``actions``: power -> its orders (a power left out gives none)."""
        if self._done:
            raise InterplayError("the Diplomacy game is over; call reset() for a new one")
        if not isinstance(actions, Mapping):
            raise InterplayError(f"step() takes a mapping power -> orders, got {type(actions).__name__}")
        for p in actions:
            if self._power(p) not in self.agents:
                raise InterplayError(f"{p} is not in the game any more (eliminated), it cannot give orders")
        checked = {self._power(p): self.check_orders(p, o) for p, o in actions.items()}
        before = self._score()
        owner_before = {c: p for p in POWERS for c in self.game.get_power(p).centers}
        self.record.phases += 1
        if self._extra_winter is not None:
            self._disband(checked)
            self._extra_winter = None
            self._add_welfare()
        else:
            kind = self.game.phase_type
            if kind == "M":
                self._count_conflicts(checked)
            disbands: dict[str, list[str]] = {}
            if self.welfare and kind == "A":
                for p, orders in checked.items():
                    pw = self.game.get_power(p)
                    if len(pw.units) <= len(pw.centers):
                        disbands[p] = [o for o in orders if order_kind(o) == "disband"]
                        checked[p] = [o for o in orders if order_kind(o) != "disband"]
                self._disband(disbands)
            for p, orders in checked.items():
                self.game.set_orders(p, orders)
            year = self._year()
            self.game.process()
            if kind == "A" and self.welfare:
                self._add_welfare()
            elif self.welfare and not self.game.is_game_done and self.game.phase_type == "M" \
                    and self.game.get_current_phase().startswith("S") and kind in ("M", "R") \
                    and self._year() == year + 1:
                self._extra_winter = year  # the engine skipped this winter: play it for disbands
        for c, p in owner_before.items():
            now = next((q for q in POWERS if c in self.game.get_power(q).centers), None)
            if now is not None and now != p:
                self.record.stolen[now] += 1
        self._possible = self.game.get_all_possible_orders() if not self.game.is_game_done else {}
        self._note_centres()
        after = self._score()
        rewards = {p: float(after[p] - before[p]) for p in self.agents}
        terms = {p: False for p in self.agents}
        truncs = {p: False for p in self.agents}
        winner = [p for p in POWERS if len(self.game.get_power(p).centers) >= self.game.win] \
            if not self.welfare else []
        if self.game.is_game_done or winner:
            self.record.winner = winner[0] if winner else None
            terms = dict.fromkeys(self.agents, True)
            self._done = True
        elif self._extra_winter is None and self._year() > self.last_year:
            if self.welfare:
                terms = dict.fromkeys(self.agents, True)
            else:
                truncs = dict.fromkeys(self.agents, True)
            self._done = True
        for p in self.agents:
            if self.game.get_power(p).is_eliminated() and p not in self.record.eliminated:
                self.record.eliminated[p] = self.phase
                terms[p] = True
        obs = {p: self.observe(p) for p in self.agents}
        infos = {p: {"phase": self.phase} for p in self.agents}
        if not self._done:
            self.agents = [p for p in self.agents if not terms[p]]
        else:
            self.agents = []
        return obs, rewards, terms, truncs, infos

    @property
    def done(self) -> bool:
        return self._done

    def _disband(self, orders: Mapping[str, Sequence[str]]) -> None:
        for p, os in orders.items():
            pw = self.game.get_power(p)
            for o in os:
                unit = " ".join(o.split()[:2])
                if unit in pw.units:
                    pw.units.remove(unit)

    def _add_welfare(self) -> None:
        for p in POWERS:
            pw = self.game.get_power(p)
            self.record.welfare_points[p] += max(0, len(pw.centers) - len(pw.units))

    def _count_conflicts(self, orders: Mapping[str, Sequence[str]]) -> None:
        held = {province(u.split()[1]): p for p in POWERS for u in self.game.get_power(p).units}
        targets: dict[str, set[str]] = {}
        for p, os in orders.items():
            for o in os:
                t = order_target(o)
                if t:
                    targets.setdefault(t, set()).add(p)
        for p, os in orders.items():
            for o in os:
                t = order_target(o)
                if t and ((held.get(t, p) != p) or targets[t] - {p}):
                    self.record.conflicts[p] += 1

    # ---- the engine's records -----------------------------------------------------------------
    def saved_game(self) -> dict[str, Any]:
        """The game in the engine's own saved-game format (``to_saved_game_format``)."""
        from diplomacy.utils.export import to_saved_game_format

        return to_saved_game_format(self.game)

    def render_svg(self) -> str:
        """The board now, drawn by the engine's SVG renderer."""
        return self.game.render(incl_orders=False)


def play_game(policies: Mapping[str, Any], *, max_years: int = 10, welfare: bool = False,
              seed: int = 0) -> DiplomacyEnv:
    """Play one game to the end; ``policies``: power -> ``policy(obs, rng) -> orders``. Returns the env
    (its ``record``, ``saved_game()`` and ``render_svg()`` hold the game)."""
    import numpy as np

    missing = [p for p in POWERS if p not in policies]
    if missing:
        raise InterplayError(f"play_game needs a policy for every power; missing: {', '.join(missing)}")
    env = DiplomacyEnv(max_years=max_years, welfare=welfare)
    obs, _ = env.reset(seed=seed)
    rngs = {p: np.random.default_rng([seed, i]) for i, p in enumerate(POWERS)}
    while not env.done:
        actions = {p: policies[p](obs[p], rngs[p]) for p in env.agents}
        obs, *_ = env.step(actions)
    return env
