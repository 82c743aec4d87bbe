"""The experiment kinds interplay ships: each @experiment of interplay.run is listed in KIND_MODULES
(imported on first use) under the module that registers it."""

import ast
from pathlib import Path

import interplay.run
from interplay.run.experiments import KIND_MODULES, get_kind, known_kinds


def _registered_kinds() -> dict[str, str]:
    """kind -> module, from the ``@experiment("kind", ...)`` decorators in src/interplay/run/*.py."""
    out = {}
    for path in Path(interplay.run.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "experiment" and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    out[first.value] = f"interplay.run.{path.stem}"
    return out


def test_every_shipped_kind_is_listed_under_its_module():
    found = _registered_kinds()
    assert len(found) >= 10  # tournament, llm-tournament, population, showcase, debate, ...
    assert found == {k: m for k, m in KIND_MODULES.items() if k in found}
    assert set(found) == set(KIND_MODULES)
    assert set(KIND_MODULES) <= set(known_kinds())


def test_each_listed_module_registers_its_kind():
    for kind in KIND_MODULES:
        assert get_kind(kind).kind == kind
