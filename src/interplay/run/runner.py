"""Load, validate and run an experiment; write its run directory."""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import platform
import traceback
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from interplay.errors import InterplayError
from interplay.run.config import ExperimentConfig, apply_overrides, format_validation_error, read_yaml
from interplay.run.context import RunContext, to_jsonable
from interplay.run.experiments import get_kind
from interplay.run.report import write_report
from interplay.serialize import _short


def load_config(path: str | Path | None = None, overrides: list[str] | None = None,
                data: dict[str, Any] | None = None) -> ExperimentConfig:
    """Read a YAML file (or a dict), apply ``--set`` overrides, validate with the kind's model."""
    source = str(path) if path is not None else "config"
    raw = read_yaml(path) if path is not None else dict(data or {})
    apply_overrides(raw, list(overrides or []))
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
    path, k = base, 1
    while path.exists():
        k += 1
        path = Path(f"{base}-{k}")
    return path


def run_experiment(cfg: ExperimentConfig, out: str | Path | None = None, *, quiet: bool = False) -> Path:
    """Run ``cfg``, writing config.yaml, results.json, metrics.jsonl, PNGs and report.html.

    On an error or interrupt, what was finished is still written (status in results.json)
    and the error is re-raised.
    """
    run_dir = Path(out) if out is not None else default_run_dir(cfg)
    ctx = RunContext(run_dir, quiet=quiet)
    (run_dir / "config.yaml").write_text(yaml.safe_dump(to_jsonable(cfg.model_dump()), sort_keys=False))
    entry = get_kind(cfg.kind)
    status, error = "completed", None
    observer = contextlib.nullcontext()
    if cfg.audit and not cfg.own_audit:
        observer = _start_audit(cfg, ctx)
    try:
        with observer:
            entry.run(cfg, ctx)
    except KeyboardInterrupt:
        status, error = "interrupted", "interrupted by the user"
        raise
    except InterplayError as exc:
        status, error = "failed", str(exc)
        raise
    except Exception as exc:  # unexpected: keep the traceback in the run dir
        status, error = "failed", f"{type(exc).__name__}: {exc}"
        (run_dir / "error.txt").write_text(traceback.format_exc())
        raise
    finally:
        meta = {
            "kind": cfg.kind,
            "status": status,
            "seed": cfg.seed,
            "seconds": round(ctx.elapsed, 2),
            "finished": _dt.datetime.now().isoformat(timespec="seconds"),
            "python": platform.python_version(),
        }
        if ctx.audit is not None:
            _close_audit(ctx, status)
        results = {"meta": {**meta, "error": error}, "config": cfg.model_dump(), **ctx.results}
        (run_dir / "results.json").write_text(json.dumps(to_jsonable(results), indent=1))
        title = f"{cfg.name}" + (f" ({status})" if status != "completed" else "")
        if cfg.description:
            ctx.sections.insert(0, _intro(cfg.description))
        write_report(run_dir, title, ctx.sections, meta)
    return run_dir


def _start_audit(cfg: ExperimentConfig, ctx: RunContext) -> Any:
    """Open the run's audit log; every model call made during the run is appended to it."""
    from interplay.llm.base import observe_calls
    from interplay.safety.audit import AuditLog

    ctx.audit = AuditLog(ctx.dir)
    ctx.audit.append("run", {"kind": cfg.kind, "name": cfg.name, "seed": cfg.seed})

    def on_call(model: Any, request: Any, response: Any, completion: Any) -> None:
        ctx.audit.append("model_call", {"model": model, "request": request, "response": response,
                                        "cached": bool(getattr(completion, "cached", False))})

    return observe_calls(on_call)


def _close_audit(ctx: RunContext, status: str) -> None:
    from interplay.safety.audit import verify

    ctx.audit.append("results", {"status": status, "results": ctx.results})
    report = verify(ctx.audit.path)
    ctx.results["audit"] = report.to_dict()
    ctx.add_text("Audit log", f"{report.message} ({ctx.audit.path.name}; check it with `interplay audit verify "
                              f"{ctx.dir}`).")


def _intro(text: str) -> Any:
    from interplay.run.context import Section

    return Section("text", "About this experiment", {"text": text, "html": False})
