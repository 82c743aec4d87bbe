"""Cost of writing a run's finished units as they finish: linear in the number of units.

A run appends every finished unit to units.jsonl (one line) and rewrites results.json,
which holds all units, only as often as :class:`interplay.run.runner.Checkpoints` allows
(at most about 1/20 of the run's time). The peer is what the runner did before: rewrite
results.json after every unit, whose cost per unit grows with the units already done
(quadratic in all). A benchmark-only experiment kind does N units of no work with a
record of about 200 bytes each, through ``run_experiment`` (journal, metrics row,
checkpoints, final results.json and report).

    .venv/bin/python benchmarks/run_units.py [--units 1000 10000] [--peer-units 200 800]

Prints, per N, the wall time and microseconds per unit; linear means the per-unit time of
the largest N stays within a small factor of the smallest one's.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Literal

from pydantic import Field

from interplay.run import runner
from interplay.run.config import ExperimentConfig
from interplay.run.experiments import experiment


class UnitsBenchConfig(ExperimentConfig):
    """N units of no work (benchmark only)."""

    kind: Literal["bench-units"] = "bench-units"
    units: int = Field(1000, ge=1)
    resumable = True


@experiment("bench-units", UnitsBenchConfig)
def _run(cfg: UnitsBenchConfig, ctx) -> None:
    done = ctx.finished_units()
    ctx.plan_units(f"u{k}" for k in range(cfg.units))
    for k in range(cfg.units):
        key = f"u{k}"
        if key in done:
            continue
        ctx.unit_done(key, {"k": k, "payoffs": [k * 0.5, 1.0 / (k + 1), 3.0], "names": ["Tit For Tat", "Defector"],
                            "note": "x" * 100})
    ctx.results["count"] = len(ctx.finished_units())


def measure(n: int, factor: float) -> tuple[float, int]:
    old = runner.CHECKPOINT_FACTOR
    runner.CHECKPOINT_FACTOR = factor  # 0: rewrite after every unit (the peer)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cfg = UnitsBenchConfig(name="bench", units=n)
            t0 = time.perf_counter()
            out = runner.run_experiment(cfg, Path(tmp) / "run", quiet=True)
            dt = time.perf_counter() - t0
            res = json.loads((out / "results.json").read_text())
            lines = (out / "units.jsonl").read_text().count("\n")
            if res["count"] != n or len(res["units"]) != n or lines != n:
                raise SystemExit(f"lost units: {res['count']}, {len(res['units'])}, {lines} of {n}")
            return dt, n
    finally:
        runner.CHECKPOINT_FACTOR = old


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--peer-units", type=int, nargs="+", default=[200, 800])
    args = ap.parse_args()
    measure(50, runner.CHECKPOINT_FACTOR)  # warm-up (imports, report template)
    print(f"{'writer':<38} {'units':>7} {'seconds':>9} {'us/unit':>9}")
    rows = []
    for n in args.units:
        dt, _ = measure(n, runner.CHECKPOINT_FACTOR)
        rows.append(dt / n)
        print(f"{'journal + throttled results.json':<38} {n:>7} {dt:>9.2f} {1e6 * dt / n:>9.1f}")
    peer = []
    for n in args.peer_units:
        dt, _ = measure(n, 0.0)
        peer.append(dt / n)
        print(f"{'peer: results.json after every unit':<38} {n:>7} {dt:>9.2f} {1e6 * dt / n:>9.1f}")
    print(f"per-unit time, largest N / smallest N: interplay {rows[-1] / rows[0]:.2f} "
          f"({args.units[-1] // args.units[0]}x the units); peer {peer[-1] / peer[0]:.2f} "
          f"({args.peer_units[-1] // args.peer_units[0]}x the units)")


if __name__ == "__main__":
    main()
