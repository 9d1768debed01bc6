"""Grouping one record set into tables (see spec.py for the kinds); published rows only."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from benchtables.errors import TableError
from benchtables.load import RecordSet, digest, record_id
from benchtables.select import exclusion, is_cpu
from benchtables.spec import Kind, check_work, kind_of

__all__ = ["Table", "build_tables", "slug"]


@dataclass(frozen=True)
class Table:
    id: str              # stable anchor: <kind prefix>-<set>-v<benchmark_version>
    kind: Kind
    set_name: str
    title: str
    version: int         # the benchmark_version (method version) of every record in it
    rows: tuple          # published records, sorted
    extra: tuple         # published records behind the table that are not rows (the MAMF summary)
    excluded: tuple      # (reason, count) of the set's records of this table that are not published
    cpu: bool
    note: str = ""       # the set's MANIFEST.json note (machine load, caveats), printed with the conditions

    @property
    def records(self) -> tuple:
        return self.rows + self.extra

    @property
    def record_ids(self) -> tuple:
        return tuple(sorted(record_id(r) for r in self.records))

    @property
    def digest(self) -> str:
        return digest(self.records)


def slug(s: str) -> str:
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", s.lower())).strip("-")


def _table(tid: str, kind: Kind, set_name: str, recs: list, note: str, rank: str) -> Table:
    pub = [r for r in recs if exclusion(r) is None]
    reasons = Counter(exclusion(r) for r in recs if exclusion(r) is not None)
    if not pub:
        return None
    if len({is_cpu(r) for r in pub}) > 1:
        raise TableError(f"table {tid} mixes CPU and GPU records; keep one machine per results folder")
    for r in pub:
        check_work(r)
    rows = [r for r in pub if r["params"].get("kind") != "summary"]
    extra = [r for r in pub if r["params"].get("kind") == "summary"]
    rows.sort(key=lambda r: (kind.sort(r["params"]), record_id(r)))
    title = kind.title(pub[0]["params"]) + (f", {rank.strip('-').replace('rank', 'rank ')}" if rank else "")
    return Table(tid, kind, set_name, title, pub[0]["benchmark_version"], tuple(rows),
                 tuple(extra), tuple(sorted(reasons.items())), is_cpu(pub[0]), note)


def _rank(rec: dict) -> str:
    """``-rank<r>`` for a compute record measured by rank r of a launcher (every GPU of a node measured: one file,
    and one table, per rank; bench.launch gives such runs the run ID suffix ``-r<rank>``)."""
    m = re.search(r"-r([0-9]+)$", rec["run_id"]) if rec["suite"] == "compute" else None
    return f"-rank{m.group(1)}" if m else ""


def build_tables(rset: RecordSet) -> list[Table]:
    """The tables of one set, in page order then anchor order; sets without published rows give none."""
    groups: dict = {}
    for rec in rset.records:
        kind = kind_of(rec)
        tid = slug(f"{kind.prefix(rec['params'])}{_rank(rec)}-{rset.name}-v{rec['benchmark_version']}")
        groups.setdefault((tid, kind.name), (kind, _rank(rec), []))[2].append(rec)
    note = (rset.manifest or {}).get("note", "")
    tables = [_table(tid, kind, rset.name, recs, note, rank) for (tid, _), (kind, rank, recs) in sorted(groups.items())]
    ids = Counter(t.id for t in tables if t)
    dup = [i for i, n in ids.items() if n > 1]
    if dup:
        raise TableError(f"two tables would share the anchor {dup[0]}")
    return [t for t in tables if t is not None]
