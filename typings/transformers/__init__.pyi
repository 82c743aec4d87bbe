# A partial stub for pyright only (see [tool.pyright] in pyproject.toml): binding transformers'
# own package (its models/__init__ lists every architecture) costs pyright most of `make lint`'s
# time. interplay uses a handful of its names; each is Any here.
from typing import Any

def __getattr__(name: str) -> Any: ...
