"""Where work runs: in this process (the default), a local process pool, or Ray tasks.

An executor has one method, ``map(fn, items, shared=None) -> list``, returning
``[fn(shared, item) for item in items]`` in order. ``shared`` is sent to each worker once
(Ray: one object in the object store). ``fn`` must be a module-level function so it can be
pickled. The code that produces the work (tournament blocks, seeds, sweeps) only calls
``map``; which executor runs it is chosen here from the experiment's ``executor`` setting.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Protocol

from interplay.errors import InterplayError


class Executor(Protocol):
    def map(self, fn: Callable[[Any, Any], Any], items: Sequence[Any], shared: Any = None) -> list[Any]: ...


class LocalExecutor:
    """In-process (``workers=1``, the default: batched array programs already use every core) or a
    pool of ``workers`` spawned processes (for work that is not one array program)."""

    def __init__(self, workers: int | None = 1) -> None:
        self.workers = int(workers or os.cpu_count() or 1)

    def map(self, fn: Callable[[Any, Any], Any], items: Sequence[Any], shared: Any = None) -> list[Any]:
        items = list(items)
        if self.workers <= 1 or len(items) <= 1:
            return [fn(shared, it) for it in items]
        import multiprocessing as mp

        with ProcessPoolExecutor(max_workers=min(self.workers, len(items)), mp_context=mp.get_context("spawn"),
                                 initializer=_set_shared, initargs=(shared,)) as pool:
            return list(pool.map(_call_with_shared, [fn] * len(items), items))


_SHARED: Any = None


def _set_shared(shared: Any) -> None:
    global _SHARED
    _SHARED = shared


def _call_with_shared(fn: Callable[[Any, Any], Any], item: Any) -> Any:
    return fn(_SHARED, item)


class RayExecutor:
    """Ray tasks: joins the cluster at ``address`` (None starts or reuses a local instance)."""

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise InterplayError("executor.kind=ray needs Ray: pip install 'interplay[ray]'.") from None
        self._ray = ray
        if not ray.is_initialized():
            kw: dict[str, Any] = {"include_dashboard": False, "ignore_reinit_error": True, "log_to_driver": False}
            if address:
                kw["address"] = address
            elif workers:
                kw["num_cpus"] = int(workers)
            try:
                ray.init(**kw)
            except Exception as exc:  # noqa: BLE001 - connection errors have many types
                raise InterplayError(f"executor: could not start or join Ray at {address or 'local'}: {exc}") \
                    from None

    def map(self, fn: Callable[[Any, Any], Any], items: Sequence[Any], shared: Any = None) -> list[Any]:
        ray = self._ray
        ref = ray.put(shared)
        task = ray.remote(_call_with_shared_ref)
        return ray.get([task.remote(fn, ref, it) for it in items])


def _call_with_shared_ref(fn: Callable[[Any, Any], Any], shared: Any, item: Any) -> Any:
    return fn(shared, item)


def get_executor(config: Any = None) -> Executor:
    """An executor from an ``ExecutorConfig`` (or a dict with ``kind``, ``address``, ``workers``); None is local."""
    if config is None:
        return LocalExecutor()
    data = config if isinstance(config, dict) else config.model_dump()
    kind = data.get("kind", "local")
    if kind == "local":
        return LocalExecutor(data.get("workers") or 1)
    if kind == "ray":
        return RayExecutor(address=data.get("address"), workers=data.get("workers"))
    raise InterplayError(f"executor.kind: expected 'local' or 'ray', got {kind!r}.")
