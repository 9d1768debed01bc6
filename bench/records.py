"""Records: one JSON object per measurement, appended to a JSON-lines file and flushed to disk at once.

A crash, an out-of-memory error or a killed rank therefore loses nothing already measured. See bench/README.md
for the fields; ``bench.schema.validate`` checks them.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import uuid
from pathlib import Path

from bench import SCHEMA_VERSION

__all__ = ["RecordWriter", "make_record", "new_run_id", "STATUSES"]

STATUSES = ("ok", "oom", "error", "skipped")


def new_run_id() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


def _finite(x):
    """JSON has no NaN/inf: replace them with None (and say so nowhere else: the validator rejects None stats)."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    return x


def make_record(*, benchmark: str, benchmark_version: int, suite: str, run_id: str, params: dict, method: dict,
                provenance: dict, status: str = "ok", stats: dict | None = None, samples: list | None = None,
                metrics: dict | None = None, wrong: int | None = None, check: dict | None = None,
                error: dict | None = None, telemetry: dict | None = None, publishable: bool = False) -> dict:
    """A record dict in schema ``SCHEMA_VERSION`` (see bench/README.md)."""
    return _finite({
        "schema_version": SCHEMA_VERSION, "record_id": uuid.uuid4().hex, "run_id": run_id,
        "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds"),
        "benchmark": benchmark, "benchmark_version": benchmark_version, "suite": suite, "status": status,
        "params": params, "method": method, "stats": stats, "samples": list(samples or []),
        "metrics": metrics or {}, "wrong": wrong, "check": check, "error": error,
        "telemetry": telemetry, "publishable": publishable, "provenance": provenance,
    })


class RecordWriter:
    """Appends records to ``DIR/<name>.jsonl``; each line is written, flushed and fsync'ed before returning."""

    def __init__(self, out_dir: str | os.PathLike, name: str):
        self.path = Path(out_dir) / f"{name}.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def write(self, record: dict) -> None:
        line = json.dumps(record, allow_nan=False, sort_keys=False)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.count += 1
