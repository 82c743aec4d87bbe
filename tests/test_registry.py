"""The one registry helper (interplay.registry.Registry) and the registries built on it."""

import pytest

from interplay.errors import InterplayError, UnknownNameError
from interplay.registry import Registry


def test_names_aliases_and_case():
    r: Registry[int] = Registry("colour", listing="interplay colours", case_insensitive=True)
    r.add("Red", 1, aliases=("crimson",))
    r.add("Green", 2)
    assert r.get("Red") == 1 and r.get("crimson") == 1 and r.get("  red ") == 1 and r.get("GREEN") == 2
    assert r.names() == ["Red", "Green"] and r.known() == ["Green", "Red", "crimson"]
    assert "red" in r and "blue" not in r and len(r) == 2 and list(r) == ["Red", "Green"]
    with pytest.raises(UnknownNameError) as info:
        r.get("Gren")
    assert "Did you mean: 'Green'?" in str(info.value) and "interplay colours" in str(info.value)
    exact: Registry[int] = Registry("colour")
    exact.add("Red", 1)
    assert exact.find("red") is None


def test_a_taken_name_is_refused_unless_overwritten():
    r: Registry[int] = Registry("colour")
    r.add("red", 1, aliases=("crimson",))
    for name in ("red", "crimson"):
        with pytest.raises(InterplayError, match=f"colour '{name}' is already registered"):
            r.add(name, 2)
    r.add("red", 3, overwrite=True)
    assert r.get("red") == 3
    with pytest.raises(InterplayError, match="non-empty string"):
        r.add("", 4)


def test_check_names_every_unknown_name_at_once():
    r: Registry[int] = Registry("colour")
    r.add("red", 1)
    r.add("green", 2)
    with pytest.raises(InterplayError) as info:
        r.check(["red", "gren", "bleu", 7], where="palette")
    msg = str(info.value)
    assert msg.startswith("palette: 3 unknown colour(s)") and "item 1 'gren' (Did you mean 'green', 'red'?)" in msg
    assert "item 3 '7'" in msg
    r.check(["red", "green"], where="palette")  # all known: no error


def test_loader_runs_once_before_the_first_lookup_or_add():
    calls = []

    def load(reg):
        calls.append(1)
        reg.add("shipped", 0)

    r: Registry[int] = Registry("thing", loader=load)
    assert calls == []
    with pytest.raises(InterplayError, match="already registered"):
        r.add("shipped", 1)  # the shipped entries are there before the first user entry
    assert r.get("shipped") == 0 and r.names() == ["shipped"] and calls == [1]


def test_lazy_modules_are_imported_on_first_use_and_must_register():
    r: Registry[int] = Registry("kind", lazy={"json-kind": "json"})
    assert "json-kind" in r.known() and "json-kind" in r
    with pytest.raises(RuntimeError, match="json was imported but did not register it"):
        r.get("json-kind")


def test_every_registry_of_interplay_is_one():
    from interplay.agents.learners.exact import LEARNER_NAMES
    from interplay.agents.strategies import STRATEGIES
    from interplay.evaluate.reproduce import REPRODUCTIONS
    from interplay.games.registry import GAMES
    from interplay.run.experiments import KINDS
    from interplay.safety.redteam import SCENARIOS

    for reg in (LEARNER_NAMES, STRATEGIES, REPRODUCTIONS, GAMES, KINDS, SCENARIOS):
        assert isinstance(reg, Registry)
    assert GAMES.get("ipd-v1").id == "ipd-v1" and STRATEGIES.get("tit for tat").name == "Tit For Tat"
    assert LEARNER_NAMES.get("NL") is LEARNER_NAMES.get("naive") and SCENARIOS.names() == [
        "injection", "extraction", "collusion"]
    assert "lola-ipd" in REPRODUCTIONS.names() and KINDS.get("tournament").kind == "tournament"
    with pytest.raises(UnknownNameError, match="Did you mean: 'ipd-v1'"):
        GAMES.get("ipd-v2x")
