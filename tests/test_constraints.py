"""The Makefile installs known versions: every install target passes constraints.txt, which pins
every dependency (core and extras) of pyproject.toml at a version its lower bound allows."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def _pins() -> dict[str, Version]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[canonicalize_name(name)] = Version(version)
    return pins


def test_every_install_target_uses_the_constraints():
    text = (ROOT / "Makefile").read_text()
    assert re.search(r"^CONSTRAINTS := -c constraints.txt$", text, re.M)
    installs = [ln for ln in text.splitlines() if "$(PIP) install" in ln and "--upgrade pip" not in ln]
    assert len(installs) >= 3 and all("$(CONSTRAINTS)" in ln for ln in installs)


def test_constraints_pin_every_dependency_within_its_bounds():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        reqs += [Requirement(r) for r in extra if not r.startswith("interplay")]
    pins = _pins()
    for req in reqs:
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not pinned in constraints.txt"
        assert req.specifier.contains(pins[name], prereleases=True), f"{req.name}=={pins[name]} violates {req}"
