"""Load, validate and run an experiment; write its run directory.

The run directory is written as the work goes: config.yaml first, then every finished unit
of work appended to the journal units.jsonl as it finishes, and results.json (status
``running``) rewritten atomically after units, throttled by :class:`Checkpoints` so the
rewrites stay a small share of the run however many units it has; an interrupt, a crash or
a kill keeps what was finished, and ``resume=True`` continues an unfinished run from its
finished units. A directory that already holds files is refused unless the
run resumes it or ``overwrite=True`` clears it (only the files a run writes).

A run's ``meta.status`` is one of:

* ``completed`` - the run finished and at most :data:`DEGRADED_SHARE` of its model calls failed;
* ``degraded`` - it finished, but more than :data:`DEGRADED_SHARE` of its model calls failed
  (after retries): the numbers rest on fallbacks and incomplete matches;
* ``failed`` - every model call failed, or an error stopped the run (``meta.error`` says which);
* ``interrupted`` - stopped by the user (Ctrl-C); ``running`` - still going, or killed.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import platform
import shutil
import threading
import time
import traceback
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from interplay.errors import InterplayError
from interplay.run.config import ExperimentConfig, apply_overrides, format_validation_error, read_yaml
from interplay.run.context import UNITS_JOURNAL, RunContext, load_units, to_jsonable, write_atomic
from interplay.run.experiments import get_kind
from interplay.run.report import write_report
from interplay.run.resources import RunResources
from interplay.serialize import _short

#: A finished run is "degraded" when more than this share of its model calls failed.
DEGRADED_SHARE = 0.10

#: The packages whose versions every results.json records (distribution names).
VERSIONED = ("interplay", "jax", "jaxlib", "numpy", "scipy", "pydantic", "optax", "open_spiel", "openskill",
             "pref_voting", "numba", "nashpy", "matplotlib", "PyYAML", "typer", "httpx", "openai", "torch",
             "transformers", "pettingzoo", "ray")

#: What a run writes at the top of its directory (``overwrite`` removes only these).
RUN_FILES = ("config.yaml", "results.json", UNITS_JOURNAL, "metrics.jsonl", "llm-calls.jsonl", "transcripts.jsonl",
             "audit.jsonl", "audit.head.json", "report.html", "error.txt")

#: results.json is rewritten after a unit only when at least this many times the last rewrite's
#: duration has passed since it ended: the rewrites take at most about 1/CHECKPOINT_FACTOR of a run.
CHECKPOINT_FACTOR = 20.0


class Checkpoints:
    """Throttled, atomic rewrites of results.json after finished units.

    Every finished unit is already in units.jsonl (one appended line, the cost of a unit does
    not grow with the run); results.json, which holds every unit, costs more to rewrite as the
    run grows, so after a unit it is rewritten only when the time since the last rewrite is at
    least ``factor`` times what that rewrite took. Runs whose units take longer than ``factor``
    rewrites (every LLM match or question) get results.json after every unit; a run of 10,000
    tiny units spends at most about ``1/factor`` of its time rewriting (linear in the units,
    not quadratic: ``benchmarks/run_units.py``). ``force`` writes at once.
    """

    def __init__(self, write: Any, factor: float | None = None, clock: Any = time.perf_counter) -> None:
        self._write, self._clock = write, clock
        self.factor = float(CHECKPOINT_FACTOR if factor is None else factor)
        self._last_end = float("-inf")
        self._last_cost = 0.0
        self.writes = 0
        self.skipped = 0

    def __call__(self, *_: Any) -> None:
        if self._clock() - self._last_end >= self.factor * self._last_cost:
            self.force()
        else:
            self.skipped += 1

    def force(self) -> None:
        t0 = self._clock()
        self._write()
        self._last_end = self._clock()
        self._last_cost = self._last_end - t0
        self.writes += 1


def load_config(path: str | Path | None = None, overrides: list[str] | None = None,
                data: dict[str, Any] | None = None, *, people: bool = False) -> ExperimentConfig:
    """Read a YAML file (or a dict), apply ``--set`` overrides, validate with the kind's model.

    A ``people:`` section (``interplay serve``) is refused unless ``people`` (``--check``): then it
    is validated too, and left out of the returned config.

    A config (or a model file it names) holding an API key is refused here, before any
    file is written, with a message that does not show the key.
    """
    from interplay.safety.secrets import check_config_secrets

    source = str(path) if path is not None else "config"
    raw = read_yaml(path) if path is not None else dict(data or {})
    apply_overrides(raw, list(overrides or []))
    check_config_secrets(raw, source, base=Path(path).parent if path is not None else None)
    if "people" in raw:
        if not people:
            raise InterplayError(f"{source}: people: a config with people is run with `interplay serve {source}` "
                                 "(it serves their web pages).")
        from interplay.run.people import split_people

        raw, _ = split_people(raw, source)
    kind = raw.get("kind", "population")
    if not isinstance(kind, str):
        raise InterplayError(f"{source}: kind must be a name, got {_short(kind)}.")
    try:
        entry = get_kind(kind)
    except InterplayError as exc:
        raise InterplayError(f"{source}: kind: {exc}") from None
    try:
        cfg = entry.config.model_validate(raw)
    except ValidationError as exc:
        raise InterplayError(format_validation_error(exc, source, raw, entry.config)) from None
    check = getattr(cfg, "check", None)
    if callable(check):
        try:
            check()  # kind-specific cross-field validation (e.g. building the game)
        except InterplayError as exc:
            raise InterplayError(f"{source}: {exc}") from None
    return cfg


def default_run_dir(cfg: ExperimentConfig, root: str | Path = "runs") -> Path:
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path(root) / f"{cfg.name}-{stamp}"
    if Path(root).resolve() not in base.resolve().parents:  # names are checked; this is the last guard
        raise InterplayError(f"name: {cfg.name!r} would put the run folder outside {root}/.")
    path, k = base, 1
    while path.exists():
        k += 1
        path = Path(f"{base}-{k}")
    return path


def versions() -> dict[str, str | None]:
    """Python's and the main packages' versions (None: not installed)."""
    from importlib import metadata

    out: dict[str, str | None] = {"python": platform.python_version()}
    for dist in VERSIONED:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def server_versions(resources: Any) -> dict[str, str]:
    """The versions of the servers a run's models were served by, where a server says (see
    :meth:`OpenAIModel.server_version <interplay.llm.openai_backend.OpenAIModel.server_version>`),
    e.g. ``{"llama-cpp-python": "0.3.36"}``. Only models that made a call are asked."""
    out: dict[str, str] = {}
    for m in getattr(resources, "models", {}).values():
        ask = getattr(m, "server_version", None)
        if ask is None or not getattr(getattr(m, "totals", None), "calls", 0):
            continue
        found = ask()
        if found is not None:
            out[found[0]] = found[1]
    return out


def _is_run_file(p: Path) -> bool:
    return (p.name in RUN_FILES or p.suffix == ".png" or (p.name == "transcripts" and p.is_dir())
            or (p.name.startswith(".") and p.name.endswith(".tmp")))


def _prepare(run_dir: Path, *, resume: bool, overwrite: bool) -> dict[str, Any] | None:
    """Check (and for ``overwrite`` clear) the run directory; the earlier results when resuming."""
    if resume and overwrite:
        raise InterplayError("give --resume or --overwrite, not both.")
    if run_dir.exists() and not run_dir.is_dir():
        raise InterplayError(f"run directory {run_dir} is a file.")
    present = sorted(run_dir.iterdir()) if run_dir.is_dir() else []
    if resume:
        if not (run_dir / "config.yaml").is_file():
            raise InterplayError(f"--resume: {run_dir} holds no run (no config.yaml); start it without --resume.")
        path = run_dir / "results.json"
        try:
            previous = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        except json.JSONDecodeError as exc:
            raise InterplayError(f"--resume: {path} is not valid JSON ({exc.msg}, line {exc.lineno}).") from None
        if not isinstance(previous, dict):
            raise InterplayError(f"--resume: {path} is not a results object.")
        return previous
    if present and not overwrite:
        raise InterplayError(f"run directory {run_dir} is not empty ({len(present)} entries, e.g. "
                             f"{present[0].name}); continue it with --resume, replace it with --overwrite, or "
                             "choose another -o.")
    if present:
        foreign = [p.name for p in present if not _is_run_file(p)]
        if foreign:
            raise InterplayError(f"--overwrite: {run_dir} holds files a run does not write ({', '.join(foreign[:5])}"
                                 "); refusing to delete them. Choose another -o.")
        for p in present:
            shutil.rmtree(p) if p.is_dir() else p.unlink()
    return None


def _same_config(cfg: ExperimentConfig, run_dir: Path) -> None:
    """--resume continues the run of config.yaml; a different config is refused, naming the fields."""
    try:
        stored = yaml.safe_load((run_dir / "config.yaml").read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InterplayError(f"--resume: {run_dir / 'config.yaml'} is not valid YAML: {exc}") from None
    now = to_jsonable(cfg.model_dump())
    if stored != now:
        fields = sorted(k for k in set(now) | set(stored or {}) if (stored or {}).get(k) != now.get(k))
        raise InterplayError(f"--resume: the config differs from the run's config.yaml in {', '.join(fields)}; "
                             f"resume with the same config (interplay resume {run_dir}) or start a new run.")


class _CallCount:
    """Model calls that answered (cached ones included) and calls that failed, over the run."""

    def __init__(self, previous: dict[str, Any] | None = None) -> None:
        p = previous or {}
        self.ok = int(p.get("answered", 0))
        self.failed = int(p.get("failed", 0))
        self.first_error: str | None = p.get("first_error")
        self._lock = threading.Lock()

    def on_call(self, *_: Any) -> None:
        with self._lock:
            self.ok += 1

    def on_failure(self, model: Any, exc: BaseException) -> None:
        with self._lock:
            self.failed += 1
            if self.first_error is None:
                self.first_error = f"{type(exc).__name__}: {exc}"

    def as_dict(self) -> dict[str, Any]:
        total = self.ok + self.failed
        return {"answered": self.ok, "failed": self.failed,
                "failed_share": round(self.failed / total, 4) if total else 0.0, "first_error": self.first_error}

    def status(self) -> tuple[str, str | None]:
        total = self.ok + self.failed
        if self.failed and not self.ok:
            return "failed", f"every model call failed ({self.failed} calls); the first: {self.first_error}"
        if total and self.failed / total > DEGRADED_SHARE:
            return "degraded", (f"{self.failed} of {total} model calls failed (more than {DEGRADED_SHARE:.0%}); "
                                f"the first: {self.first_error}")
        return "completed", None


def run_experiment(cfg: ExperimentConfig, out: str | Path | None = None, *, quiet: bool = False,
                   resume: bool = False, overwrite: bool = False) -> Path:
    """Run ``cfg``, writing config.yaml, results.json, metrics.jsonl, PNGs and report.html.

    results.json is rewritten after every finished unit of work; on an error or interrupt
    what was finished is still written (status in results.json) and the error is re-raised.
    ``resume`` continues the unfinished run in ``out`` (its finished units are not redone; a
    completed run is left as it is); ``overwrite`` replaces the run in ``out``.
    """
    from interplay.agents.people import active_hub
    from interplay.llm.base import observe_calls
    from interplay.safety.secrets import Redactor, check_config_secrets

    if resume and out is None:
        raise InterplayError("--resume needs the run directory (-o DIR).")
    if cfg.audit_key_env is not None and not os.environ.get(cfg.audit_key_env):
        raise InterplayError(f"audit.key_env: the environment variable {cfg.audit_key_env!r} (the audit log's HMAC "
                             "key) is not set; export a secret there, or use audit: true for an unkeyed log.")
    run_dir = Path(out) if out is not None else default_run_dir(cfg)
    previous = _prepare(run_dir, resume=resume, overwrite=overwrite)
    if previous is not None:
        _same_config(cfg, run_dir)
        if (previous.get("meta") or {}).get("status") in ("completed", "degraded"):
            return run_dir  # nothing left to do
    redact = Redactor.from_env([*check_config_secrets(cfg.model_dump(), "config"), cfg.audit_key_env])
    prev_meta = (previous or {}).get("meta") or {}
    journal = load_units(run_dir) if previous is not None else None  # the journal has every finished unit
    units = (journal if journal is not None else (previous or {}).get("units") or {}) if cfg.resumes_units() else {}
    ctx = RunContext(run_dir, quiet=quiet, redact=redact, units=units if isinstance(units, dict) else {})
    if previous is not None:
        ctx.keep_finished_rows(("metrics.jsonl", "transcripts.jsonl"))
    else:
        write_atomic(run_dir / "config.yaml", yaml.safe_dump(redact(to_jsonable(cfg.model_dump())),
                                                              sort_keys=False))
    entry = get_kind(cfg.kind)
    calls = _CallCount(prev_meta.get("model_calls"))
    meta: dict[str, Any] = {
        "kind": cfg.kind, "status": "running", "seed": cfg.seed,
        "started": prev_meta.get("started") or _dt.datetime.now().isoformat(timespec="seconds"),
        "python": platform.python_version(), "versions": versions(),
    }
    if previous is not None:
        meta["resumed"] = [*prev_meta.get("resumed", []), {"at": _dt.datetime.now().isoformat(timespec="seconds"),
                                                           "status_before": prev_meta.get("status"),
                                                           "units_kept": len(ctx.resumed_units)}]
    status, error = "running", None
    write_lock = threading.Lock()

    def results_now() -> dict[str, Any]:
        m = {**meta, "status": status, "seconds": round(float(prev_meta.get("seconds", 0)) + ctx.elapsed, 2),
             "model_calls": calls.as_dict(), "units": ctx.units_summary(), "error": error}
        out_ = {"meta": m, "config": cfg.model_dump(), **ctx.results, "units": ctx.finished_units()}
        if (hub := active_hub()) is not None:  # `interplay serve`: each seat's answers, fallbacks, rejoins
            out_["people"] = hub.record()
        if ctx.audit is not None:
            out_["audit"] = {**ctx.audit.anchor(), "sealed": False}
        return out_

    def write_results() -> None:
        with write_lock:
            write_atomic(run_dir / "results.json", json.dumps(redact(to_jsonable(results_now())), indent=1))

    checkpoint = Checkpoints(write_results)
    ctx.on_checkpoint = checkpoint
    observers: list[Any] = [observe_calls(calls.on_call, on_failure=calls.on_failure)]
    if cfg.audit_on:
        observers.append(_start_audit(cfg, ctx, resumed=previous is not None))
    ctx.resources = RunResources.from_config(cfg, run_dir, audit=ctx.audit)  # the kinds' models, cache, budget
    checkpoint.force()
    try:
        with contextlib.ExitStack() as stack:
            for o in observers:
                stack.enter_context(o)
            entry.run(cfg, ctx)
        status, error = calls.status()
    except KeyboardInterrupt:
        status, error = "interrupted", "interrupted by the user"
        raise
    except InterplayError as exc:
        status, error = "failed", str(exc)
        raise
    except Exception as exc:  # unexpected: keep the traceback in the run dir
        status, error = "failed", f"{type(exc).__name__}: {exc}"
        write_atomic(run_dir / "error.txt", redact(traceback.format_exc()))
        raise
    finally:
        ctx.resources.close()  # the run's cache; the audit log is sealed below, by the runner only
        error = redact(error)
        meta["versions"] = {**meta["versions"], **server_versions(ctx.resources)}
        final = redact(to_jsonable(results_now()))  # frozen: the seal commits to exactly this content
        with write_lock:
            ctx.on_checkpoint = None
            write_atomic(run_dir / "results.json", json.dumps(final, indent=1))
        if ctx.audit is not None:
            report = _close_audit(ctx, status)
            final["audit"] = {**ctx.audit.anchor(), "sealed": True, **report}
            write_atomic(run_dir / "results.json", json.dumps(final, indent=1))
        title = f"{cfg.name}" + (f" ({status})" if status != "completed" else "")
        if cfg.description:
            ctx.sections.insert(0, _intro(cfg.description))
        write_report(run_dir, title, redact_sections(ctx.sections, redact), {**meta, "status": status})
    return run_dir


def read_status(run_dir: str | Path) -> dict[str, Any]:
    """``results.json["meta"]`` of a run directory ({} when there is none)."""
    p = Path(run_dir) / "results.json"
    try:
        return dict(json.loads(p.read_text(encoding="utf-8")).get("meta") or {})
    except (OSError, json.JSONDecodeError, AttributeError):
        return {}


def redact_sections(sections: list[Any], redact: Any) -> list[Any]:
    from interplay.run.context import Section

    return [Section(s.kind, redact(s.title), redact(s.payload)) for s in sections]


def _start_audit(cfg: ExperimentConfig, ctx: RunContext, *, resumed: bool) -> Any:
    """Open (or, resuming, continue) the run's audit log; kinds without a log of their own get
    every model call appended through the call observer."""
    from interplay.llm.base import observe_calls
    from interplay.safety.audit import AuditLog

    ctx.audit = AuditLog(ctx.dir, key_env=cfg.audit_key_env, redact=ctx.redact)
    ctx.audit_transcripts = not cfg.own_audit
    info = {"kind": cfg.kind, "name": cfg.name, "seed": cfg.seed}
    if resumed and ctx.audit.count > 0:
        ctx.audit.append("resume", {**info, "units_kept": sorted(ctx.resumed_units),
                                    "recovered": ctx.audit.recovered})
    else:
        ctx.audit.append("run", info)
    if cfg.own_audit:
        return contextlib.nullcontext()

    def on_call(model: Any, request: Any, response: Any, completion: Any) -> None:
        ctx.audit.append("model_call", {"model": model, "request": request, "response": response,
                                        "cached": bool(getattr(completion, "cached", False))})

    return observe_calls(on_call)


def _close_audit(ctx: RunContext, status: str) -> dict[str, Any]:
    """Seal the log (the status and the hashes of results.json, metrics.jsonl, transcripts...) and verify it."""
    from interplay.safety.audit import seal_entry, verify

    seal_entry(ctx.audit, ctx.dir, status)
    report = verify(ctx.audit.path, key_env=ctx.audit.key_env, chain_only=True)
    hint = f" --key-env {ctx.audit.key_env}" if ctx.audit.key_env else ""
    ctx.add_text("Audit log", f"{report.message} ({ctx.audit.path.name}; check it with `interplay audit verify "
                              f"{ctx.dir}{hint}`). {report.limits}.")
    return {"ok": report.ok, "message": report.message, "limits": report.limits}


def _intro(text: str) -> Any:
    from interplay.run.context import Section

    return Section("text", "About this experiment", {"text": text, "html": False})
