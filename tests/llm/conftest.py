"""A fresh loopback server per test."""

import pytest

from interplay.llm.testing import LoopbackServer


@pytest.fixture
def server():
    with LoopbackServer() as s:
        yield s
