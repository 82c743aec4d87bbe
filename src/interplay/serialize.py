"""Plain-JSON conversion shared by every stage (results, transcripts, audit entries)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np


def to_jsonable(x: Any) -> Any:
    """Convert numpy/jax scalars and arrays, tuples and dataclass-like objects to JSON types."""
    if isinstance(x, dict):
        return {str(k): to_jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [to_jsonable(v) for v in x]
    if hasattr(x, "tolist") and not isinstance(x, str):
        return to_jsonable(x.tolist())
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return None
    if isinstance(x, np.generic):
        return x.item()
    if hasattr(x, "model_dump"):
        return to_jsonable(x.model_dump())
    if hasattr(x, "to_dict"):
        return to_jsonable(x.to_dict())
    if isinstance(x, Path):
        return str(x)
    return x
