"""Validator for bench records (schema version 1), plain Python: ``validate(record) -> list of problems``.

Used by the tests and by the table scripts; ``python -m bench validate FILE...`` runs it over JSON-lines files.
Rules: every record carries identity, params, method and provenance; an ``ok`` record carries a non-empty
``samples`` list of positive seconds, ``stats`` computed from them, ``metrics`` and a ``wrong`` count (an integer,
or null only when ``method.check`` is ``"off"``); any other status carries ``error.message``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from bench import SCHEMA_VERSION
from bench.records import STATUSES
from bench.stats import STAT_KEYS, summarize

__all__ = ["validate", "validate_file", "REQUIRED", "PROVENANCE_KEYS"]

REQUIRED = {"schema_version": int, "record_id": str, "run_id": str, "created_utc": str, "benchmark": str,
            "benchmark_version": int, "suite": str, "status": str, "params": dict, "method": dict,
            "samples": list, "metrics": dict, "publishable": bool, "provenance": dict}
PROVENANCE_KEYS = ("argv", "git", "host", "device", "devices", "device_count", "software", "env")
METHOD_KEYS = ("timer", "check")
SUITES = ("compute", "comm")


def _num(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _ok_record(r: dict) -> list[str]:
    bad = []
    s = r.get("samples") or []
    if not s or not all(_num(x) and x > 0 for x in s):
        bad.append("ok record needs a non-empty samples list of positive seconds")
    st = r.get("stats")
    if not isinstance(st, dict) or any(k not in st for k in STAT_KEYS):
        bad.append(f"stats must have keys {', '.join(STAT_KEYS)}")
    elif s and not bad:
        ref = summarize(s)
        for k in STAT_KEYS:
            if not _num(st[k]) or not math.isclose(st[k], ref[k], rel_tol=1e-9, abs_tol=1e-15):
                bad.append(f"stats.{k} ({st[k]}) does not match the samples ({ref[k]})")
    w = r.get("wrong")
    check_off = r.get("method", {}).get("check") == "off"
    if not (isinstance(w, int) and not isinstance(w, bool) and w >= 0) and not (w is None and check_off):
        bad.append(f"wrong must be a count >= 0 (null only with method.check 'off'), got {w!r}")
    if r.get("error") is not None:
        bad.append("ok record has an error")
    return bad


def validate(r) -> list[str]:
    """Problems with one record (empty list: valid)."""
    if not isinstance(r, dict):
        return ["record is not a JSON object"]
    bad = [f"{k} missing or not {t.__name__}" for k, t in REQUIRED.items()
           if not isinstance(r.get(k), t) or (t is int and isinstance(r.get(k), bool))]
    if bad:
        return bad
    if r["schema_version"] != SCHEMA_VERSION:
        bad.append(f"schema_version {r['schema_version']} is not {SCHEMA_VERSION}")
    if r["status"] not in STATUSES:
        bad.append(f"status {r['status']!r} not in {STATUSES}")
    if r["suite"] not in SUITES:
        bad.append(f"suite {r['suite']!r} not in {SUITES}")
    bad += [f"provenance.{k} missing" for k in PROVENANCE_KEYS if k not in r["provenance"]]
    bad += [f"method.{k} missing" for k in METHOD_KEYS if k not in r["method"]]
    if "wrong" not in r or "error" not in r or "stats" not in r:
        bad.append("wrong, error and stats keys must be present (null allowed where stated)")
    elif r["status"] == "ok":
        bad += _ok_record(r)
    elif not (isinstance(r["error"], dict) and isinstance(r["error"].get("message"), str)):
        bad.append(f"status {r['status']!r} needs error.message")
    return bad


def validate_file(path) -> list[str]:
    """Problems in a JSON-lines file, each prefixed with its line number."""
    out = []
    if not Path(path).is_file():
        return [f"{path}: no such file"]
    for i, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            out.append(f"{path}:{i}: not JSON ({e})")
            continue
        out += [f"{path}:{i}: {p}" for p in validate(rec)]
    return out
