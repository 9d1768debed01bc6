"""Reading record sets: one folder of results/ = one set; every ``*.jsonl`` line is one record.

Record IDs: the ``record_id`` the harness writes (a UUID4 hex). A record without one (another producer) gets
``sha256:`` + the first 32 hex digits of the SHA-256 of its canonical JSON (keys sorted, no spaces, ASCII), which
is stable as long as the record is not edited. A set's data digest is the SHA-256 of the canonical JSON of its
records sorted by ID: any change to any number behind a table changes the digest printed under it.

Sealing: a folder is published only once sealed, i.e. it holds ``MANIFEST.json`` with the SHA-256 of each of its
``*.jsonl`` files (``python scripts/render_tables.py --seal results/<set>``). Loading a sealed set checks every
hash, so a record edited by hand, or a file added or removed after sealing, stops the rendering. Unsealed
folders (sample data, runs in progress) are listed as not published.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from bench.schema import validate
from benchtables.errors import TableError

__all__ = ["RecordSet", "canonical", "record_id", "digest", "load_set", "load_sets", "parse_lines", "seal",
           "unsealed", "file_hashes"]


@dataclass(frozen=True)
class RecordSet:
    """One folder of results/: its name (the set's stable name), records (file order) and their raw lines."""

    name: str
    records: tuple
    lines: dict  # record ID -> the exact JSONL line (no newline)
    manifest: dict | None = None


def canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def record_id(rec: dict) -> str:
    rid = rec.get("record_id")
    if isinstance(rid, str) and rid:
        return rid
    return "sha256:" + hashlib.sha256(canonical(rec).encode()).hexdigest()[:32]


def digest(records) -> str:
    """``sha256:<16 hex>`` of the records (order-independent)."""
    body = canonical(sorted((record_id(r), r) for r in records))
    return "sha256:" + hashlib.sha256(body.encode()).hexdigest()[:16]


def parse_lines(text: str, where: str) -> list[tuple[dict, str]]:
    """(record, line) for each non-empty line; invalid JSON or schema problems raise TableError."""
    out = []
    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            raise TableError(f"{where}:{i}: not JSON ({e})") from None
        problems = validate(rec)
        if problems:
            raise TableError(f"{where}:{i}: invalid record: {problems[0]}")
        out.append((rec, line))
    return out


def file_hashes(folder: Path) -> dict:
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in sorted(folder.glob("*.jsonl"))}


def seal(folder: Path, note: str = "") -> dict:
    """The MANIFEST.json content that seals ``folder`` (validated first); the caller writes it."""
    load_set(folder, check_manifest=False)
    return {"set": folder.name, "sha256": file_hashes(folder), "note": note,
            "rule": "records are never edited by hand; a new run goes into a new folder"}


def _check_manifest(folder: Path, man: dict) -> None:
    now, sealed = file_hashes(folder), man.get("sha256", {})
    changed = sorted(set(now) ^ set(sealed)) + sorted(k for k in now.keys() & sealed.keys() if now[k] != sealed[k])
    if changed:
        raise TableError(f"results/{folder.name}: {', '.join(changed)} changed after the set was sealed "
                         "(MANIFEST.json); records are never edited by hand: put a new run in a new folder")


def load_set(folder: Path, check_manifest: bool = True) -> RecordSet:
    man_path = folder / "MANIFEST.json"
    man = json.loads(man_path.read_text(encoding="utf-8")) if man_path.exists() else None
    if man is not None and check_manifest:
        _check_manifest(folder, man)
    records, lines = [], {}
    for f in sorted(folder.glob("*.jsonl")):
        for rec, line in parse_lines(f.read_text(encoding="utf-8"), f"{folder.name}/{f.name}"):
            rid = record_id(rec)
            if rid in lines:
                raise TableError(f"{folder.name}/{f.name}: record ID {rid} appears twice in the set")
            records.append(rec)
            lines[rid] = line
    return RecordSet(folder.name, tuple(records), lines, man)


def _folders(results: Path) -> list:
    if not results.is_dir():
        raise TableError(f"results folder {results} does not exist; run a benchmark with --out {results}/<set>")
    return [p for p in sorted(results.iterdir()) if p.is_dir() and any(p.glob("*.jsonl"))]


def load_sets(results: Path) -> list[RecordSet]:
    """Every sealed set under ``results``, by folder name."""
    return [load_set(p) for p in _folders(results) if (p / "MANIFEST.json").exists()]


def unsealed(results: Path) -> list[str]:
    """Folders with records but no MANIFEST.json: not published."""
    return [p.name for p in _folders(results) if not (p / "MANIFEST.json").exists()]
