"""RunResources: what a run's LLM calls share, built once by the runner from the config.

Every experiment kind that calls language models gets them from ``ctx.resources``
instead of building its own:

* ``cache`` - the run's answer cache (the config's ``cache:``; opened at the first model,
  so a run that calls no model creates no file); None: each model file's own cache, if any;
* ``budget`` - one :class:`~interplay.llm.budget.Budget` over every model of the run (the
  config's ``budget:``; unlimited when it has none);
* ``record`` - ``llm-calls.jsonl`` in the run directory: every call, replayable with
  ``provider: replay``;
* ``audit`` - the run's audit log (``audit: true``), opened and sealed by the runner only;
* :meth:`RunResources.model` - a model from a spec (a model mapping or a model YAML path)
  with the above, built once per distinct spec and options, so agents on one model share
  its concurrency bound and its totals.

::

    judge = ctx.resources.model(cfg.judge_model, options={"choice_max_tokens": 20})
    ctx.results["llm"] = ctx.resources.totals()
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from interplay.llm.base import ChatModel
    from interplay.llm.budget import Budget
    from interplay.llm.cache import LLMCache
    from interplay.run.config import BudgetConfig

__all__ = ["RECORD_FILE", "RunResources", "model_mapping"]

#: The run directory's record of every model call.
RECORD_FILE = "llm-calls.jsonl"


class RunResources:
    """The cache, budget, call record and audit log of one run, and the models built on them."""

    def __init__(self, run_dir: str | Path, *, cache: str | Path | None = None, budget: BudgetConfig | None = None,
                 audit: Any = None) -> None:
        from interplay.llm.budget import Budget

        self.record: Path = Path(run_dir) / RECORD_FILE
        self.cache_path = Path(cache).expanduser() if cache else None  # "" or None: no cache
        self._cache: LLMCache | None = None
        limits = {} if budget is None else budget.model_dump()
        self.budget: Budget = Budget(**limits)
        self.audit = audit
        #: models by spec key (see :meth:`model`), in the order they were built
        self.models: dict[str, Any] = {}

    @classmethod
    def from_config(cls, cfg: Any, run_dir: str | Path, *, audit: Any = None) -> RunResources:
        """The resources a config asks for: its ``llm_cache()`` and ``llm_budget()`` (the kind's ``cache`` and
        ``budget`` fields, or those of the part that configures its models)."""
        cache = cfg.llm_cache() if hasattr(cfg, "llm_cache") else getattr(cfg, "cache", None)
        budget = cfg.llm_budget() if hasattr(cfg, "llm_budget") else getattr(cfg, "budget", None)
        return cls(run_dir, cache=cache, budget=budget, audit=audit)

    @property
    def cache(self) -> LLMCache | None:
        """The run's answer cache (opened on first use), or None when the config names none."""
        if self._cache is None and self.cache_path is not None:
            from interplay.llm.cache import LLMCache

            self._cache = LLMCache(self.cache_path)
        return self._cache

    def model(self, spec: Any, *, options: Mapping[str, Any] | None = None, key: str | None = None,
              base_dir: str | Path | None = None) -> ChatModel:
        """The model of ``spec`` (a model mapping or YAML path), ``options`` over its settings.

        It uses the run's cache, budget and record. The same spec and options (and ``key``,
        to keep two users of one spec apart) give the same model object.
        """
        from interplay.llm.config import load_model

        options = dict(options or {})
        k = json.dumps([spec, options, key], sort_keys=True, default=str)
        if k not in self.models:
            target = {**model_mapping(spec), **options} if options else spec
            self.models[k] = load_model(target, cache=self.cache, budget=self.budget, record=self.record,
                                        base_dir=base_dir)
        return self.models[k]

    def adopt(self, model: Any, key: str | None = None) -> Any:
        """Count a model built elsewhere (a loopback server's) among the run's models; returns it."""
        self.models[key or f"adopted-{len(self.models)}"] = model
        return model

    def totals(self) -> dict[str, Any]:
        """Each model's call totals by display name (what results.json's ``llm`` holds)."""
        return {getattr(m, "name", "?"): m.totals.as_dict() for m in self.models.values() if hasattr(m, "totals")}

    def cache_summary(self) -> dict[str, Any] | None:
        """Hits, misses and problems of the run's cache (None when the config names none)."""
        c = self.cache
        if c is None:
            return None
        return {"path": str(c.path), "hits": c.hits, "misses": c.misses, "problems": c.problems,
                "set_aside": str(c.set_aside) if c.set_aside else None}

    def close(self) -> None:
        """Close the cache (the runner calls this when the run ends)."""
        if self._cache is not None:
            self._cache.close()


def model_mapping(spec: Any) -> dict[str, Any]:
    """A model spec (mapping or YAML path) as a mapping, so options can be added to it."""
    if isinstance(spec, dict):
        return dict(spec)
    from interplay.serialize import read_yaml_mapping

    p = Path(spec).expanduser()
    data = dict(read_yaml_mapping(p, "model file"))
    for k in ("path", "cache", "record"):  # relative to the model file, as when it is loaded by name
        if isinstance(data.get(k), str) and not Path(data[k]).expanduser().is_absolute():
            data[k] = str(p.parent / data[k])
    return data
