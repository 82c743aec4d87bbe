"""The strategy library: iterated prisoner's dilemma strategies as data.

Names, behaviour and declared properties (memory depth, stochastic) follow the Axelrod
library (Knight et al. 2016, "An open framework for the reproducible study of the
iterated prisoner's dilemma"; axelrod 4.14), where each strategy is documented with its
origin; tests play every deterministic strategy against the Axelrod library's and compare
action sequences and payoff matrices. Origins below name the first source.
"""

from __future__ import annotations

import math

from interplay.agents.strategies.core import C, D, MachineRule, Strategy
from interplay.agents.strategies.families import (
    FSM,
    Cycle,
    GenerousTitForTat,
    History,
    HistoryView,
    Lookup,
    MemoryOne,
    Procedure,
    Sequence,
    ZeroDeterminant,
)

INF = math.inf
#: The strategies given as data (tables, state machines), in library order.
MACHINES: list[Strategy] = []


def _add(name: str, rule: MachineRule, depth: float, stochastic: bool, kind: str, origin: str,
         axelrod: str | None = None, aliases: tuple[str, ...] = (), uses_length: bool = False) -> None:
    MACHINES.append(Strategy(name=name, rule=rule, origin=origin, memory_depth=depth, stochastic=stochastic,
                            kind=kind, axelrod=axelrod, aliases=aliases, uses_length=uses_length))


def _m1(name: str, probs: tuple[float, float, float, float, float], origin: str, axelrod: str, depth: float = 1,
        aliases: tuple[str, ...] = ()) -> None:
    stochastic = any(0.0 < p < 1.0 for p in probs)
    _add(name, MemoryOne(probs), depth, stochastic, "memory-one", origin, axelrod, aliases)


# -- memory one: [start, after CC, CD, DC, DD], own move first ---------------------------
_m1("Cooperator", (1, 1, 1, 1, 1), "Always cooperates (Axelrod 1984).", "Cooperator", depth=0,
    aliases=("ALLC", "Always Cooperate"))
_m1("Defector", (0, 0, 0, 0, 0), "Always defects (Axelrod 1984).", "Defector", depth=0,
    aliases=("ALLD", "Always Defect"))
_m1("Tit For Tat", (1, 1, 0, 1, 0), "Cooperates first, then copies the opponent's last move (Rapoport; "
    "winner of Axelrod's first tournament, 1980).", "TitForTat", aliases=("TFT",))
_m1("Suspicious Tit For Tat", (0, 1, 0, 1, 0), "Tit for tat that defects first (Beaufils et al. 1997).",
    "SuspiciousTitForTat", aliases=("STFT",))
_m1("Anti Tit For Tat", (1, 0, 1, 0, 1), "Cooperates first, then plays the opposite of the opponent's last move "
    "(Hilbe et al. 2013).", "AntiTitForTat")
_m1("Bully", (0, 0, 1, 0, 1), "Defects first, then plays the opposite of the opponent's last move: reverse tit "
    "for tat (Nachbar 1992).", "Bully")
_m1("Win-Stay Lose-Shift", (1, 1, 0, 0, 1), "Pavlov: repeats its move after R or T, switches after S or P "
    "(Nowak and Sigmund 1993; Kraines and Kraines 1989).", "WinStayLoseShift", aliases=("WSLS", "Pavlov"))
_m1("Win-Shift Lose-Stay", (0, 0, 1, 1, 0), "Defects first; switches after R or T, repeats after S or P "
    "(Li et al. 2011).", "WinShiftLoseStay", aliases=("Win-Shift Lose-Stay: D",))
_m1("Random: 0.5", (0.5, 0.5, 0.5, 0.5, 0.5),
    "Cooperates with probability 1/2 every turn (Axelrod's first tournament, 1980).", "Random", depth=0,
    aliases=("Random",))
_add("GTFT", GenerousTitForTat(), 1, True, "memory-one",
     "Generous tit for tat: after a defection cooperates with probability min(1 - (T-R)/(R-S), (R-P)/(T-P)), "
     "1/3 for the default payoffs (Nowak and Sigmund 1992).", "GTFT",
     aliases=("GTFT: 0.33", "Generous Tit For Tat"))
_m1("Firm But Fair", (1, 1, 0, 1, 2 / 3), "Cooperates after CC and DC, defects after CD, cooperates with "
    "probability 2/3 after DD (Frean 1994).", "FirmButFair")
_m1("First by Joss", (1, 0.9, 0, 0.9, 0), "Tit for tat that defects with probability 0.1 after the opponent "
    "cooperates (Joss, Axelrod's first tournament, 1980).", "FirstByJoss", aliases=("First by Joss: 0.9", "Joss"))
_m1("Soft Joss", (1, 1, 0.1, 1, 0.1), "Tit for tat that forgives a defection with probability 0.1 "
    "(Prison tournament, Axelrod library).", "SoftJoss", aliases=("Soft Joss: 0.9",))
_m1("Stochastic Cooperator", (1, 0.935, 0.229, 0.266, 0.42), "Memory-one strategy evolved by Adami and "
    "Hintze (2013).", "StochasticCooperator")
_m1("Stochastic WSLS", (1, 0.95, 0.05, 0.05, 0.95), "Win-stay lose-shift that errs with probability 0.05 "
    "(Axelrod library).", "StochasticWSLS", aliases=("Stochastic WSLS: 0.05",))
_m1("Alternator", (1, 0, 0, 1, 1), "Cooperates first, then alternates its own move (Axelrod 1980).", "Alternator")
_m1("Cycler DC", (0, 0, 0, 1, 1), "Plays D, C, D, C, ... (Axelrod library).", "CyclerDC")
_m1("ALLCorALLD", (0.6, 1, 1, 0, 0), "Cooperates first with probability 0.6, then repeats its first move for "
    "ever (Axelrod library).", "ALLCorALLD")
_m1("Naive Prober", (1, 0.9, 0, 0.9, 0), "Tit for tat that defects at random with probability 0.1 after the "
    "opponent cooperates (Li et al. 2011).", "NaiveProber", aliases=("Naive Prober: 0.1",))
_m1("Negation", (0.5, 0, 1, 0, 1), "Random first move, then the opposite of the opponent's last move "
    "(Axelrod library).", "Negation")
_m1("Desperate", (0.5, 0, 0, 0, 1), "Random first move, then cooperates only after mutual defection "
    "(Ohtsuki and Nowak 2006, via Axelrod library).", "Desperate")
_m1("Hopeless", (0.5, 0, 1, 1, 1), "Random first move, then defects only after mutual cooperation "
    "(Ohtsuki and Nowak 2006).", "Hopeless")
_m1("Willing", (0.5, 1, 1, 1, 0), "Random first move, then defects only after mutual defection "
    "(Ohtsuki and Nowak 2006).", "Willing")
_m1("Burn Both Ends", (1, 0.9, 0, 0.9, 0), "Tit for tat that cooperates only with probability 0.9 after the "
    "opponent cooperates (Wikipedia's tit-for-tat variants, via Axelrod library).", "BurnBothEnds")
_m1("First by Grofman", (1, 1, 2 / 7, 2 / 7, 1), "Cooperates if both played the same last turn, else cooperates "
    "with probability 2/7 (Grofman, Axelrod's first tournament, 1980).", "FirstByGrofman", aliases=("Grofman",))
_m1("PSO Gambler Mem1", (1, 1.0, 0.52173487, 0.0, 0.12050939), "Memory-one table trained by particle swarm "
    "optimisation (Harper et al. 2017).", "PSOGamblerMem1")

# -- zero-determinant strategies (Press and Dyson 2012; Stewart and Plotkin 2012) -------------
for _name, _phi, _s, _l, _cls, _why in [
    ("ZD-Extort-2", 1 / 9, 1 / 2, "P", "ZDExtort2", "extortionate, factor 2 (Stewart and Plotkin 2012)"),
    ("ZD-Extort-2 v2", 1 / 8, 1 / 2, 1.0, "ZDExtort2v2", "extortionate, factor 2 (Kuhn, Stanford Encyclopedia)"),
    ("ZD-Extort3", 3 / 26, 1 / 3, 1.0, "ZDExtort3", "extortionate, factor 3 (Press and Dyson 2012)"),
    ("ZD-Extort-4", 4 / 17, 1 / 4, 1.0, "ZDExtort4", "extortionate, factor 4 (Axelrod library)"),
    ("ZD-Extortion", 0.2, 0.1, 1.0, "ZDExtortion", "extortionate (Stewart and Plotkin 2012)"),
    ("ZD-GTFT-2", 1 / 4, 1 / 2, "R", "ZDGTFT2", "generous, factor 2 (Stewart and Plotkin 2012)"),
    ("ZD-GEN-2", 1 / 8, 1 / 2, 3.0, "ZDGen2", "generous, factor 2 (Kuhn, Stanford Encyclopedia)"),
    ("ZD-Mischief", 0.1, 0.0, 1.0, "ZDMischief", "equaliser-like mischief (Axelrod library)"),
    ("ZD-SET-2", 1 / 4, 0.0, 2.0, "ZDSet2", "sets the opponent's score to 2 (Press and Dyson 2012)"),
]:
    _add(_name, ZeroDeterminant(_phi, _s, _l), 1, True, "memory-one", f"Zero-determinant strategy, {_why}.", _cls)

# -- finite-state machines (Axelrod library's FSMPlayer tables) ------------------------------
_FSMS = [
    ("Evolved FSM 4", "0C", "0C0C 0D2D 1C3D 1D0C 2C2D 2D1C 3C3D 3D1D", INF, "EvolvedFSM4",
     "4-state machine trained by an evolutionary algorithm (Harper et al. 2017)."),
    ("Evolved FSM 6", "4C", "2C2D 2D7D 3C6D 3D4C 4C4C 4D6D 5C2D 5D7D 6C3C 6D5D 7C2C 7D3D", INF, "EvolvedFSM6",
     "6-state machine trained by an evolutionary algorithm (Axelrod library)."),
    ("Evolved FSM 16", "0C", "0C0C 0D12D 1C3D 1D6C 2C2D 2D14D 3C3D 3D3D 5C12D 5D10D 6C5C 6D12D 7C3D 7D1C "
     "8C5C 8D5C 10C11D 10D8C 11C15D 11D5D 12C8C 12D11D 13C13D 13D7D 14C13D 14D13D 15C15D 15D2C", INF,
     "EvolvedFSM16", "16-state machine trained by an evolutionary algorithm (Harper et al. 2017)."),
    ("Evolved FSM 16 Noise 05", "0C", "0C8C 0D3D 1C13C 1D15D 2C12C 2D3D 3C10C 3D3D 4C5D 4D4D 5C4D 5D10D 6C8C "
     "6D6D 8C2C 8D4D 10C4D 10D1D 11C14D 11D13C 12C13C 12D2C 13C13C 13D6C 14C3D 14D13D 15C5D 15D11C", INF,
     "EvolvedFSM16Noise05", "16-state machine trained under 5% noise (Harper et al. 2017)."),
    ("Fortress3", "1D", "1C1D 1D2D 2C1D 2D3C 3C3C 3D1D", 2, "Fortress3",
     "Handshake DD then cooperates with those who answer it (Ashlock and Kim 2006)."),
    ("Fortress4", "1D", "1C1D 1D2D 2C1D 2D3D 3C1D 3D4C 4C4C 4D1D", 3, "Fortress4",
     "Handshake DDD then cooperates with those who answer it (Ashlock and Kim 2006)."),
    ("Predator", "0C", "0C0D 0D1D 1C2D 1D3D 2C4C 2D3D 3C5D 3D4C 4C2C 4D6D 5C7D 5D3D 6C7C 6D7D 7C8D 7D7D "
     "8C8D 8D6D", INF, "Predator", "9-state machine (Ashlock 2006)."),
    ("Pun1", "1D", "1C2C 1D2C 2C1C 2D1D", INF, "Pun1", "2-state machine (Ashlock and Kim 2006)."),
    ("Raider", "0D", "0C2D 0D2D 1C1C 1D1D 2C0D 2D3C 3C0D 3D1C", INF, "Raider",
     "4-state machine (Barlow and Ashlock 2015)."),
    ("Ripoff", "1D", "1C2C 1D3C 2C1D 2D3C 3C3C 3D3D", 3, "Ripoff",
     "Exploits cooperators, then plays tit for tat (Ashlock et al. 2008)."),
    ("Second by Colbert", "0C", "0C1C 0D1C 1C2C 1D2C 2C3C 2D3C 3C4C 3D4C 4C5D 4D5D 5C6C 5D6C 6C7C 6D7C 7C7C "
     "7D8D 8C9D 8D9D 9C10C 9D10C 10C7C 10D7C", 4, "SecondByColbert",
     "Colbert's entry to Axelrod's second tournament (1980), as a machine."),
    ("SolutionB1", "1D", "1C2D 1D1D 2C2C 2D3C 3C3C 3D3C", 2, "SolutionB1",
     "3-state machine (Ashlock et al. 2015)."),
    ("SolutionB5", "1D", "1C2C 1D6D 2C2C 2D3D 3C6C 3D1D 4C3C 4D6D 5C5D 5D4D 6C3C 6D5D", INF, "SolutionB5",
     "6-state machine (Ashlock et al. 2015)."),
    ("TF1", "0C", "0C7C 0D1C 1C11D 1D11D 2C8D 2D8C 3C3C 3D12D 4C6C 4D3C 5C11C 5D8D 6C13D 6D14C 7C4D 7D2D "
     "8C14D 8D8D 9C0C 9D10D 10C8C 10D15C 11C6D 11D5D 12C6D 12D9D 13C9D 13D8D 14C8D 14D13D 15C4C 15D5C", INF,
     "TF1", "16-state machine trained to beat tit for tat (Axelrod library)."),
    ("TF2", "0C", "0C13D 0D12D 1C3D 1D4D 2C14D 2D9D 3C0C 3D1D 4C1D 4D2D 7C12D 7D2D 8C7D 8D9D 9C8D 9D0D 10C2C "
     "10D15C 11C7D 11D13D 12C3C 12D8D 13C7C 13D10D 14C10D 14D7D 15C15C 15D11D", INF, "TF2",
     "16-state machine trained to beat tit for tat (Axelrod library)."),
    ("TF3", "0C", "0C0C 0D3C 1C5D 1D0C 2C3C 2D2D 3C4D 3D6D 4C3C 4D1D 5C6C 5D3D 6C6D 6D6D 7C7D 7D5C", INF, "TF3",
     "8-state machine trained to beat tit for tat (Axelrod library)."),
    ("Thumper", "1C", "1C1C 1D2D 2C1D 2D1D", INF, "Thumper", "2-state machine (Ashlock and Kim 2006)."),
    ("UsuallyCooperates", "1C", "1C1C 1D2C 2C1D 2D1C", INF, "UsuallyCooperates",
     "Cooperates except after a C answered by D (Ashlock and Kim 2006)."),
    ("UsuallyDefects", "1D", "1C2D 1D1D 2C1D 2D1C", INF, "UsuallyDefects",
     "Defects except after a D answered by C (Ashlock and Kim 2006)."),
]
for _name, _start, _table, _depth, _cls, _why in _FSMS:
    _add(_name, FSM(_table, _start), _depth, False, "fsm", _why, _cls)

# -- memory-n lookup tables ------------------------------------------------------------
_add("Winner12", Lookup.from_pattern(1, 2, "CDCDDCDD", "CC"), 2, False, "memory-n",
     "Memory-two winner of Mathieu and Delahaye (2015).", "Winner12")
_add("Winner21", Lookup.from_pattern(1, 2, "CDCDCDDD", "DC"), 2, False, "memory-n",
     "Memory-two winner of Mathieu and Delahaye (2015).", "Winner21")
_add("AON2", Lookup(2, 2, (1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1), "CC"), 2, False, "memory-n",
     "All-or-none of memory two: cooperates only if both played the same in each of the last two turns "
     "(Hilbe et al. 2017).", "AON2")
_add("Delayed AON1", Lookup(2, 2, (1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 0, 1), "CC"), 2, False, "memory-n",
     "Delayed all-or-none of memory one (Hilbe et al. 2017).", "DelayedAON1")

# -- sequences -------------------------------------------------------------------------
for _pat in ("CCD", "DDC", "CCCD", "CCCCCD", "CCCDCD"):
    _add(f"Cycler {_pat}", Cycle(_pat), len(_pat) - 1, False, "sequence",
         f"Plays {_pat} over and over (Axelrod library; Mittal and Deb 2009 for CCD).", f"Cycler{_pat}")
_add("ThueMorse", Sequence(lambda t, ctx: float(bin(t).count("1") % 2 == 1)), INF, False, "sequence",
     "Plays the Thue-Morse sequence, 0 as D and 1 as C (Axelrod library).", "ThueMorse")
_add("Worse and Worse", Sequence(lambda t, ctx: 1.0 - (t + 1) / 1000.0), INF, True, "sequence",
     "Defects with probability t/1000 on turn t (Prison tournament, via the Axelrod library).", "WorseAndWorse")


# -- rules over the history -------------------------------------------------------------
def _tft(v: HistoryView) -> float:
    return 1.0 if not v.theirs or v.theirs[-1] == C else 0.0


def _last(v: HistoryView) -> float:
    return 1.0 if v.theirs[-1] == C else 0.0


def _act(a: int) -> float:
    return 1.0 if a == C else 0.0


def _hist(name: str, decide, depth: float, origin: str, axelrod: str, stochastic: bool = False, **kw) -> None:
    _add(name, History(decide, **kw), depth, stochastic, "rule", origin, axelrod)


def _proc(name: str, decide, memo, depth: float, origin: str, axelrod: str, **kw) -> None:
    _add(name, Procedure(decide, memo=memo, **kw), depth, False, "rule", origin, axelrod)


_hist("Tit For 2 Tats", lambda v: 0.0 if v.theirs[-2:] == (D, D) else 1.0, 2,
      "Defects only after two defections in a row (Axelrod 1984).", "TitFor2Tats", window=2)
_hist("Two Tits For Tat", lambda v: 0.0 if D in v.theirs[-2:] else 1.0, 2,
      "Defects twice after each defection (Axelrod 1984).", "TwoTitsForTat", window=2)
_hist("Hard Tit For Tat", lambda v: 0.0 if D in v.theirs[-3:] else 1.0, 3,
      "Defects if the opponent defected in any of the last three turns (Stewart and Plotkin 2012).",
      "HardTitForTat", window=3)
_hist("Hard Tit For 2 Tats", lambda v: 0.0 if "DD" in "".join("CD"[a] for a in v.theirs[-3:]) else 1.0, 3,
      "Defects after two consecutive defections within the last three turns (Stewart and Plotkin 2012).",
      "HardTitFor2Tats", window=3)
_hist("Slow Tit For Two Tats 2",
      lambda v: 1.0 if v.t < 2 else (_act(v.theirs[-1]) if v.theirs[-2] == v.theirs[-1] else _act(v.mine[-1])), 2,
      "Cooperates twice, then copies the opponent only if it played the same twice in a row (Prison "
      "tournament).", "SlowTitForTwoTats2", window=2, t_cap=2)
_hist("Sneaky Tit For Tat",
      lambda v: 1.0 if v.t < 2 else (0.0 if not v.flag else
                                     (1.0 if v.theirs[-1] == D and v.mine[-2] == D else _last(v))), INF,
      "Tit for tat that tries a defection while the opponent never defected, and apologises once punished "
      "(Axelrod library).", "SneakyTitForTat", window=2, t_cap=2, flag_when=lambda v: v.theirs[-1] == D)
_hist("Spiteful Tit For Tat", lambda v: 1.0 if v.t == 0 else (0.0 if v.flag else _last(v)), INF,
      "Tit for tat until the opponent defects twice in a row, then defects for ever (Prison tournament).",
      "SpitefulTitForTat", window=2, flag_when=lambda v: v.theirs[-2:] == (D, D))
_hist("Grudger", lambda v: 0.0 if v.defections else 1.0, INF,
      "Grim trigger: cooperates until the opponent defects, then defects for ever (Friedman 1971).",
      "Grudger", window=0, count="D")
_hist("Fool Me Once", lambda v: 0.0 if v.defections > 1 else 1.0, INF,
      "Forgives one defection, then defects for ever after the second (Axelrod library).", "FoolMeOnce",
      window=0, count="D")
_hist("Aggravater", lambda v: 0.0 if v.t < 3 or v.defections else 1.0, INF,
      "Defects three times, then plays grudger (Axelrod library).", "Aggravater", window=0, t_cap=3, count="D")
_hist("SpitefulCC", lambda v: 1.0 if v.t < 2 else (0.0 if v.defections else 1.0), INF,
      "Cooperates twice, then plays grudger (Mathieu and Delahaye 2015).", "SpitefulCC", window=0, t_cap=2,
      count="D")
_hist("Opposite Grudger", lambda v: 1.0 if v.cooperations else 0.0, INF,
      "Defects until the opponent cooperates, then cooperates for ever (Axelrod library).", "OppositeGrudger",
      window=0, count=True)
_hist("GrudgerAlternator", lambda v: 0.0 if v.defections and v.mine[-1] == C else 1.0, INF,
      "Cooperates until the opponent defects, then alternates D and C (Prison tournament).", "GrudgerAlternator",
      count="D")
_hist("First by Davis", lambda v: 1.0 if v.t < 10 else (0.0 if v.defections else 1.0), INF,
      "Cooperates for ten turns, then plays grudger (Davis, Axelrod's first tournament, 1980).", "FirstByDavis",
      window=0, t_cap=10, count="D")
_hist("Tricky Defector", lambda v: 1.0 if v.flag and v.theirs[-3:] == (D, D, D) else 0.0, INF,
      "Defects, but cooperates after three defections in a row from an opponent that once cooperated "
      "(Axelrod library).", "TrickyDefector", window=3, own=0, flag_when=lambda v: v.theirs[-1] == C)
_hist("Tricky Cooperator", lambda v: 0.0 if v.t >= 3 and D not in v.theirs[-10:] else 1.0, 10,
      "Cooperates, but defects once the opponent has not defected in its last ten turns (from turn 4) "
      "(Axelrod library).", "TrickyCooperator", window=10, own=0, t_cap=3)
_hist("Appeaser", lambda v: 1.0 if v.t == 0 else (_act(1 - v.mine[-1]) if v.theirs[-1] == D else _act(v.mine[-1])),
      INF, "Switches its move each time the opponent defects (Prison tournament).", "Appeaser")
_hist("Prober", lambda v: (0.0, 1.0, 1.0)[v.t] if v.t < 3 else (0.0 if v.first[1:3] == (C, C) else _last(v)), INF,
      "Plays D, C, C; defects for ever if the opponent cooperated on turns 2 and 3, else tit for tat "
      "(Mathieu and Delahaye 2015).", "Prober", opening=3, t_cap=3)
_hist("Prober 2", lambda v: (0.0, 1.0, 1.0)[v.t] if v.t < 3 else (1.0 if v.first[1:3] == (D, C) else _last(v)),
      INF, "Plays D, C, C; cooperates for ever if the opponent played D then C on turns 2 and 3, else tit for tat "
      "(Prison tournament).", "Prober2", opening=3, t_cap=3)
_hist("Prober 3", lambda v: (0.0, 1.0)[v.t] if v.t < 2 else (0.0 if v.first[1] == C else _last(v)), INF,
      "Plays D, C; defects for ever if the opponent cooperated on turn 2, else tit for tat (Prison tournament).",
      "Prober3", opening=2, t_cap=2)
_hist("Hard Prober", lambda v: (0.0, 0.0, 1.0, 1.0)[v.t] if v.t < 4 else (0.0 if v.first[1:3] == (C, C)
                                                                          else _last(v)), INF,
      "Plays D, D, C, C; defects for ever if the opponent cooperated on turns 2 and 3, else tit for tat "
      "(Prison tournament).", "HardProber", opening=3, t_cap=4)
_hist("Detective", lambda v: (1.0, 0.0, 1.0, 1.0)[v.t] if v.t < 4
      else (0.0 if D not in v.first else _last(v)), INF,
      "Plays C, D, C, C; defects for ever if the opponent never defected in those, else tit for tat (Case's "
      "Evolution of Trust, 2017).", "Detective", opening=4, t_cap=4)
_hist("Handshake", lambda v: (1.0, 0.0)[v.t] if v.t < 2 else (1.0 if v.first == (C, D) else 0.0), INF,
      "Plays C, D; cooperates for ever with an opponent that opened the same way, else defects (Robson 1990).",
      "Handshake", opening=2, t_cap=2)
_hist("Defector Hunter", lambda v: 0.0 if v.t >= 4 and v.cooperations == 0 else 1.0, INF,
      "Cooperates, but defects against an opponent that has only defected (from turn 5) (Axelrod library).",
      "DefectorHunter", window=0, t_cap=4, count=True)
_hist("Cooperator Hunter", lambda v: 0.0 if v.t >= 4 and v.defections == 0 else 1.0, INF,
      "Cooperates, but defects against an opponent that has only cooperated (from turn 5) (Axelrod library).",
      "CooperatorHunter", window=0, t_cap=4, count="D")
_hist("Alternator Hunter", lambda v: 1.0 if v.t < 6 else (0.0 if all(a != b for a, b in zip(v.first, v.first[1:]))
                                                         else 1.0), INF,
      "Cooperates, but defects for ever against an opponent whose first six moves alternate (Axelrod library).",
      "AlternatorHunter", window=0, opening=6, t_cap=6)
_hist("Soft Go By Majority", lambda v: 0.0 if v.defections > v.cooperations else 1.0, INF,
      "Cooperates unless the opponent has defected more often than cooperated (Axelrod 1984).", "GoByMajority",
      window=0, count=True, )
_hist("Hard Go By Majority", lambda v: 0.0 if v.defections >= v.cooperations else 1.0, INF,
      "Defects unless the opponent has cooperated more often than defected (Axelrod 1984).", "HardGoByMajority",
      window=0, count=True)
for _k in (5, 10):
    _hist(f"Soft Go By Majority: {_k}", lambda v: 0.0 if 2 * sum(v.theirs) > len(v.theirs) else 1.0, _k,
          f"Soft go by majority over the opponent's last {_k} moves (Axelrod library).", f"GoByMajority{_k}",
          window=_k, own=0)
    _hist(f"Hard Go By Majority: {_k}", lambda v: 0.0 if 2 * sum(v.theirs) >= len(v.theirs) else 1.0, _k,
          f"Hard go by majority over the opponent's last {_k} moves (Axelrod library).", f"HardGoByMajority{_k}",
          window=_k, own=0)
_hist("Forgiving Tit For Tat",
      lambda v: _last(v) if v.defections > (v.defections + v.cooperations) / 10 else 1.0, INF,
      "Cooperates while the opponent defected at most a tenth of the time, else tit for tat (Axelrod library).",
      "ForgivingTitForTat", count=True)
_hist("Average Copier", lambda v: 0.5 if v.t == 0 else v.cooperations / (v.cooperations + v.defections), INF,
      "Cooperates with the opponent's cooperation rate so far, 1/2 at first (Geraint Palmer, Axelrod library).",
      "AverageCopier", stochastic=True, window=0, count=True)
_hist("Nice Average Copier", lambda v: 1.0 if v.t == 0 else v.cooperations / (v.cooperations + v.defections), INF,
      "Cooperates first, then with the opponent's cooperation rate so far (Axelrod library).", "NiceAverageCopier",
      stochastic=True, window=0, count=True)
_hist("Dynamic Two Tits For Tat",
      lambda v: 1.0 if v.t == 0 else (v.cooperations / (v.cooperations + v.defections) if D in v.theirs[-2:]
                                      else 1.0), INF,
      "Two tits for tat that still cooperates with the opponent's cooperation rate after a defection "
      "(Axelrod library).", "DynamicTwoTitsForTat", stochastic=True, window=2, own=0, count=True)
_hist("Random Tit for Tat", lambda v: 1.0 if v.t == 0 else (_last(v) if v.t % 2 == 1 else 0.5), 1,
      "Alternates tit for tat and a random move (Axelrod library).", "RandomTitForTat", stochastic=True,
      t_cap=None)
_hist("Resurrection", lambda v: 1.0 if v.t == 0 else (0.0 if v.mine[-5:] == (D,) * 5 else _last(v)), 5,
      "Tit for tat, but keeps defecting after five own defections in a row (Eckhart Arnold 2016).",
      "Resurrection", own=5)
_hist("DoubleResurrection",
      lambda v: 1.0 if v.t == 0 else (0.0 if v.mine[-5:] == (C,) * 5 else
                                      (1.0 if v.mine[-5:] == (D,) * 5 else _last(v))), 5,
      "Tit for tat that defects after five own cooperations and cooperates after five own defections "
      "(Eckhart Arnold 2016).", "DoubleResurrection", own=5)


def _n_tits(v: HistoryView) -> tuple[int, object]:
    rc = 3 if v.theirs[-2:] == (D, D) else v.memo
    return (D, rc - 1) if rc else (C, rc)


def _soft_grudger(v: HistoryView) -> tuple[int, object]:
    grudged, k = v.memo
    if grudged:
        k += 1
        return ((D, D, D, C, C)[k - 1], (False, 0) if k == 5 else (True, k))
    if v.theirs[-1:] == (D,):
        return D, (True, 0)
    return C, (False, 0)


def _forgetful_grudger(v: HistoryView) -> tuple[int, object]:
    grudged, k = v.memo
    if k == 10:
        grudged, k = False, 0
    if v.theirs[-1:] == (D,):
        grudged = True
    if grudged:
        return D, (True, k + 1)
    return C, (False, k)


def _once_bitten(v: HistoryView) -> tuple[int, object]:
    grudged, k = v.memo
    if k >= 10:
        grudged, k = False, 0
    if v.t < 2:
        return C, (grudged, k)
    if grudged:
        return D, (True, k + 1)
    if C not in v.theirs[-2:]:
        return D, (True, k)
    return C, (grudged, k)


def _gradual(v: HistoryView) -> tuple[int, object]:
    punish, calm = v.memo
    if v.t == 0:
        return C, (punish, calm)
    if punish > 0:
        return D, (punish - 1, calm)
    if calm > 0:
        return C, (punish, calm - 1)
    if v.theirs[-1] == D:
        return D, (v.defections - 1, 2)
    return C, (punish, calm)


def _original_gradual(v: HistoryView) -> tuple[int, object]:
    calming, punishing, count, limit = v.memo
    if calming:
        return C, (False, punishing, count, limit)
    if punishing:
        if count < limit:
            return D, (calming, True, count + 1, limit)
        return C, (True, False, 0, limit)
    if v.theirs[-1:] == (D,):
        return D, (calming, True, count + 1, limit + 1)
    return C, (calming, punishing, count, limit)


def _adaptive(v: HistoryView) -> tuple[int, object]:
    diff = v.memo
    if v.t > 0:
        my, their = v.mine[-1], v.theirs[-1]
        diff += v.ctx.payoff(my, their) * (1 if my == C else -1)
    if v.t < 11:
        return (C if v.t < 6 else D), diff
    return (C if diff > 0 else D), diff


def _omega_tft(v: HistoryView) -> tuple[int, object]:
    rc, dc = v.memo
    if v.t == 0:
        return C, (rc, dc)
    if v.t == 1:
        return v.theirs[-1], (rc, dc)
    if dc >= 3:
        return C, (rc, 4 if dc == 3 else 0)
    if v.theirs[-2:] == (C, C):
        rc -= 1
    if v.theirs[-2] != v.theirs[-1]:
        rc += 1
    if v.mine[-1] != v.theirs[-1]:
        rc += 1
    if rc >= 8:
        return D, (rc, dc)
    dc = dc + 1 if v.theirs[-2] != v.theirs[-1] else 0
    return v.theirs[-1], (rc, dc)


_proc("N Tit(s) For M Tat(s)", _n_tits, 0, 3,
      "Defects three times after two defections in a row (Axelrod library; Tit For 2 Tats generalised).",
      "NTitsForMTats", window=2)
_proc("Soft Grudger", _soft_grudger, (False, 0), 6,
      "Punishes a defection with D, D, D, D, C, C (Li et al. 2011).", "SoftGrudger")
_proc("Forgetful Grudger", _forgetful_grudger, (False, 0), 10,
      "Grudger that forgets after ten turns of defecting (Axelrod library).", "ForgetfulGrudger")
_proc("Once Bitten", _once_bitten, (False, 0), 12,
      "Defects for ten turns after two defections in a row (Axelrod library).", "OnceBitten", window=2, t_cap=2)
_proc("Gradual", _gradual, (0, 0), INF,
      "Punishes the n-th defection with n defections, then two cooperations (Beaufils et al. 1996), as "
      "implemented in the Axelrod library.", "Gradual", own=0, count="D")
_proc("Original Gradual", _original_gradual, (False, False, 0, 0), INF,
      "Gradual as first described (Beaufils et al. 1996): the n-th punishment lasts n turns.", "OriginalGradual")
_proc("Adaptive", _adaptive, 0.0, INF,
      "Plays C six times and D five times, then the action that has scored more in total (Li et al. 2011).",
      "Adaptive", t_cap=11)
_proc("Omega TFT", _omega_tft, (0, 0), INF,
      "Tit for tat that breaks C/D deadlocks and defects against random-looking opponents (Slany and Kienreich "
      "2007).", "OmegaTFT", window=2, t_cap=2)


# -- more history rules and sequences (small machines) ------------------------------------------
_CAPRI_C = {"CC CC CC", "CC CC DC", "CC DC CD", "DC CD CC", "CD CC CC", "CC CD DC", "CD DC CC", "DC CC CC",
            "DD DD DC", "DD DC CC", "DD DD CD", "DD CD CC", "DD DD CC", "DD CC CC"}


def _capri(v: HistoryView) -> float:
    joint = [(C, C)] * 3 + list(zip(v.mine, v.theirs))
    return 1.0 if " ".join("CD"[a] + "CD"[b] for a, b in joint[-3:]) in _CAPRI_C else 0.0


_hist("CAPRI", _capri, 3, "Cooperates in the listed three-turn contexts (padded with mutual cooperation), "
      "else defects (Murase and Baek 2020).", "Capri", window=3, own=3)
_hist("CollectiveStrategy", lambda v: 1.0 if v.t == 0 else (0.0 if v.t == 1 or v.defections > 1 or v.first != (C, D)
                                                             else 1.0), INF,
      "Plays C, D; cooperates while the opponent opened C, D and defected at most once (Li and Kendall 2009).",
      "CollectiveStrategy", window=0, opening=2, t_cap=2, count="D")
_hist("EasyGo", lambda v: 1.0 if v.defections else 0.0, INF,
      "Defects until the opponent defects, then cooperates for ever (Li et al. 2011).", "EasyGo", window=0,
      count="D")
_hist("Gradual Killer", lambda v: (0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0)[v.t] if v.t < 7
      else (0.0 if v.first[5:7] == (D, D) else 1.0), INF,
      "Plays D five times and C twice, then defects for ever if the opponent defected on turns 6 and 7, else "
      "cooperates (Prison tournament).", "GradualKiller", window=0, opening=7, t_cap=7)
_NYDEGGER_D = {1, 6, 7, 17, 22, 23, 26, 29, 30, 31, 33, 38, 39, 45, 49, 54, 55, 58, 61}
_NYDEGGER_SCORE = {(C, C): 0, (C, D): 2, (D, C): 1, (D, D): 3}


def _nydegger(v: HistoryView) -> float:
    if v.t < 2 or (v.t == 2 and v.first[:2] != (D, C)):
        return _tft(v)
    if v.t == 2:
        return 0.0
    a = sum(w * _NYDEGGER_SCORE[(v.mine[k], v.theirs[k])] for k, w in ((-1, 16), (-2, 4), (-3, 1)))
    return 0.0 if a in _NYDEGGER_D else 1.0


_hist("First by Nydegger", _nydegger, 3, "Scores the last three joint moves and defects on 19 listed scores "
      "(Nydegger, Axelrod's first tournament, 1980).", "FirstByNydegger", window=3, own=3, opening=2, t_cap=3)
_hist("First by Tullock", lambda v: 1.0 if v.t < 11 else max(0.0, v.theirs.count(C) / 10 - 0.1), INF,
      "Cooperates 11 turns, then with the opponent's cooperation rate over its last ten turns less 10% "
      "(Tullock, Axelrod's first tournament, 1980).", "FirstByTullock", stochastic=True, window=10, own=0, t_cap=11)
_hist("First by Feld", lambda v: 1.0 if v.t == 0 else (0.0 if v.theirs[-1] == D else max(1.0 - 0.5 / 200 * v.t, 0.5)),
      200, "Tit for tat whose cooperation after a cooperation decays linearly from 1 to 1/2 over 200 turns (Feld, "
      "Axelrod's first tournament, 1980).", "FirstByFeld", stochastic=True, t_cap=None)
_hist("Second by Black", lambda v: 1.0 if v.t < 5 else (1.0, 1.0, 0.88, 0.68, 0.4, 0.04)[sum(v.theirs)], 5,
      "Cooperates with a probability that falls with the opponent's defections in its last five turns (Black, "
      "Axelrod's second tournament, 1980).", "SecondByBlack", stochastic=True, window=5, own=0, t_cap=5)
_LEYVRAZ = {(C, C, C): 1.0, (C, C, D): 0.5, (C, D, C): 0.0, (C, D, D): 0.25, (D, C, C): 1.0, (D, C, D): 1.0,
            (D, D, C): 1.0, (D, D, D): 0.25}
_hist("Second by Leyvraz", lambda v: _LEYVRAZ[((C, C, C) + v.theirs)[-3:]], 3,
      "Cooperates with a probability set by the opponent's last three moves (Leyvraz, Axelrod's second "
      "tournament, 1980).", "SecondByLeyvraz", stochastic=True, window=3, own=0)


def _grofman2(v: HistoryView) -> float:
    if v.t < 2:
        return 1.0
    if v.t <= 6:
        return _last(v)
    recent = v.theirs[-8:-1].count(D)
    return 1.0 if recent <= (2 if v.mine[-1] == C else 1) else 0.0


_hist("Second by Grofman", _grofman2, 8, "Tit for tat on turns 3 to 7, then cooperates while the opponent "
      "defected at most twice (once after its own defection) in turns t-8 to t-2 (Grofman, Axelrod's second "
      "tournament, 1980).", "SecondByGrofman", window=8, own=1, t_cap=7)


def _self_steem(v: HistoryView) -> float:
    s = math.sin(2 * math.pi * v.t / 10)
    if s > 0.95:
        return 0.0
    if 0.95 > abs(s) > 0.3:
        return _last(v)
    if 0.3 > s > -0.3:
        return 0.5
    return 1.0


_hist("SelfSteem", _self_steem, INF, "Defects, copies the opponent, randomises or cooperates by the phase of a "
      "sine of period 10 (Gaudesi et al. 2016).", "SelfSteem", stochastic=True, t_cap=None)
_hist("ShortMem", lambda v: 1.0 if v.t <= 10 else (1.0 if 2 * v.theirs.count(C) - 10 >= 3 else
                                                  (0.0 if 10 - 2 * v.theirs.count(C) >= 3 else _last(v))), INF,
      "After ten turns, follows a clear majority of the opponent's last ten moves, else tit for tat (Andre et al. "
      "2013).", "ShortMem", window=10, own=0, t_cap=11)
_hist("Worse and Worse 2", lambda v: 1.0 if v.t == 0 else (_last(v) if v.t < 20 else 20 / (v.t + 1)), INF,
      "Tit for tat for 20 turns, then cooperates with probability 20 / t (Prison tournament).", "WorseAndWorse2",
      stochastic=True, t_cap=None)
_add("Better and Better", Sequence(lambda t, ctx: (t + 1) / 1000.0), INF, True, "sequence",
     "Cooperates with probability t / 1000 on turn t (Prison tournament).", "BetterAndBetter")
_add("First by Anonymous", Sequence(lambda t, ctx: 0.5), 0, True, "sequence",
     "Cooperates with a probability drawn uniformly from [0.3, 0.7] each turn: marginally a fair coin each turn, "
     "which is how it is played here (Axelrod's first tournament, 1980).", "FirstByAnonymous")
_add("ThueMorseInverse", Sequence(lambda t, ctx: float(bin(t).count("1") % 2 == 0)), INF, False, "sequence",
     "Plays the Thue-Morse sequence, 0 as C and 1 as D (Axelrod library).", "ThueMorseInverse")
_ZDMEM2 = (11 / 12, 4 / 11, 7 / 9, 1 / 10, 5 / 6, 3 / 11, 7 / 9, 1 / 10, 2 / 3, 1 / 11, 7 / 9, 1 / 10, 3 / 4, 2 / 11,
           7 / 9, 1 / 10)
_add("ZD-Mem2", Lookup(2, 2, _ZDMEM2, "CC"), 2, True, "memory-n",
     "A memory-two zero-determinant strategy (Hilbe et al. 2017).", "ZDMem2")


def _opening_lookup(depth: int, pattern: tuple[float, ...], initial: str):
    """A lookup table keyed by (own last ``depth``, opponent's last ``depth``, opponent's first ``depth``),
    keys in the order of itertools.product over C < D (Harper et al. 2017's LookerUp/Gambler)."""
    def decide(v: HistoryView) -> float:
        if v.t < len(initial):
            return 1.0 if initial[v.t] == "C" else 0.0
        idx = 0
        for a in v.mine[-depth:] + v.theirs[-depth:] + v.first:
            idx = 2 * idx + a
        return float(pattern[idx])

    return History(decide, window=depth, own=depth, opening=depth, t_cap=depth)


for _name, _d, _pat, _cls, _st, _why in [
    ("EvolvedLookerUp1_1_1", 1, "CDDDDCDD", "EvolvedLookerUp1_1_1", False, "trained by an evolutionary algorithm"),
    ("EvolvedLookerUp2_2_2", 2, "CDDCDCDDCDDDCDDDDDCDCDCCCDDCCDCDDDCCCCCDDDCDDDDDDDDDCCDDCDDDCCCD",
     "EvolvedLookerUp2_2_2", False, "trained by an evolutionary algorithm"),
    ("PSO Gambler 1_1_1", 1, (1.0, 1.0, 0.12304797, 0.57740178, 0.0, 0.0, 0.13581423, 0.11886807), "PSOGambler1_1_1",
     True, "trained by particle swarm optimisation"),
    ("PSO Gambler 2_2_2", 2, (
        1.0, 1.0, 1.0, 0.0, 1.0, 0.95280465, 0.0, 0.0, 0.0, 0.80897541, 0.0, 0.0, 0.02126434, 0.0, 0.43278586, 0.0,
        0.0, 0.0, 1.0, 0.15140743, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.23563137, 0.0, 0.0, 0.65147565, 1.0, 0.0, 0.0,
        0.15412392, 1.0, 0.0, 0.0, 0.24922166, 1.0, 0.0, 0.0, 0.0, 0.00227615, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0,
        0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.77344942, 1.0, 0.24523149, 1.0, 0.0), "PSOGambler2_2_2", True,
     "trained by particle swarm optimisation"),
    ("PSO Gambler 2_2_2 Noise 05", 2, (
        1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.98603825, 1.0, 1.0, 0.0, 0.0, 0.16240799, 0.63548102, 0.0, 0.0, 0.0, 1.0, 0.0,
        1.0, 0.0, 1.0, 0.13863175, 0.06434619, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.7724137, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0,
        1.0, 1.0, 0.50999729, 1.0, 0.0, 0.0, 0.00524508, 0.87463905, 0.0, 0.07127653, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0,
        0.0, 1.0, 1.0, 1.0, 0.0, 0.28124022, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0), "PSOGambler2_2_2_Noise05", True,
     "trained by particle swarm optimisation under 5% noise"),
]:
    _table = tuple(1.0 if ch == "C" else 0.0 for ch in _pat) if isinstance(_pat, str) else _pat
    _add(_name, _opening_lookup(_d, _table, "C" * _d), INF, _st, "memory-n",
         f"Lookup table over the last {_d} moves of each player and the opponent's first {_d}, {_why} (Harper et al. "
         "2017).", _cls)

# The Axelrod library's str() of a parametrised player (as in its ranked_names) resolves too.
PARAMETRISED_NAMES = {
    "ZD-Extort-2": "ZD-Extort-2: 0.1111111111111111, 0.5",
    "ZD-Extort-2 v2": "ZD-Extort-2 v2: 0.125, 0.5, 1",
    "ZD-Extort3": "ZD-Extort3: 0.11538461538461539, 0.3333333333333333, 1",
    "ZD-Extort-4": "ZD-Extort-4: 0.23529411764705882, 0.25, 1",
    "ZD-Extortion": "ZD-Extortion: 0.2, 0.1, 1",
    "ZD-GTFT-2": "ZD-GTFT-2: 0.25, 0.5",
    "ZD-GEN-2": "ZD-GEN-2: 0.125, 0.5, 3",
    "ZD-Mischief": "ZD-Mischief: 0.1, 0.0, 1",
    "ZD-SET-2": "ZD-SET-2: 0.25, 0.0, 2",
    "First by Davis": "First by Davis: 10",
    "Random Tit for Tat": "Random Tit for Tat: 0.5",
    "N Tit(s) For M Tat(s)": "N Tit(s) For M Tat(s): 3, 2",
    "Omega TFT": "Omega TFT: 3, 8",
    "Gradual Killer": "Gradual Killer: (D, D, D, D, D, C, C)",
    "First by Feld": "First by Feld: 1.0, 0.5, 200",
}
