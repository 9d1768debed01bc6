"""Downloads of one table: CSV (raw SI numbers), JSON (cells, raw values, conditions), the records (JSONL) and a
BibTeX entry. Floats are written with ``repr`` (shortest round-trip form), so the files are byte-stable."""

from __future__ import annotations

import csv
import io
import json

from benchtables.conditions import conditions
from benchtables.load import record_id
from benchtables.select import hardware_label
from benchtables.table import Table
from bench.stats import STAT_KEYS

__all__ = ["csv_text", "table_json", "records_jsonl", "bibtex", "page_path", "cite_key", "dumps", "bib_entry"]

AUTHOR = "Deep Learning Cookbook contributors"
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def page_path(t: Table) -> str:
    return f"benchmarks/{t.kind.page}/"


def cite_key(t: Table) -> str:
    return f"cookbook-{t.id}"


def _raw(v):
    return repr(v) if isinstance(v, float) else ("" if v is None else str(v))


def _param_keys(t: Table) -> list:
    keys = list(t.kind.key_fields)
    for r in t.records:
        keys += [k for k in r["params"] if k not in keys]
    return keys


def _metric_keys(t: Table) -> list:
    return sorted({k for r in t.records for k, v in r["metrics"].items()
                   if isinstance(v, (int, float)) and not isinstance(v, bool)})


def csv_text(t: Table) -> str:
    """One row per record (rows, then the extra records), every parameter, statistic and numeric metric."""
    pk, mk = _param_keys(t), _metric_keys(t)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    stat_names = [{"n": "samples", "cv": "time_cv"}.get(k, f"time_{k}_s") for k in STAT_KEYS]
    w.writerow(["table_id", "record_id", "device_class"] + pk + stat_names + mk + ["wrong"])
    for r in t.records:
        w.writerow([t.id, record_id(r), "cpu" if t.cpu else "gpu"] + [_raw(r["params"].get(k)) for k in pk]
                   + [_raw(r["stats"][k]) for k in STAT_KEYS] + [_raw(r["metrics"].get(k)) for k in mk]
                   + [_raw(r["wrong"])])
    return buf.getvalue()


def table_json(t: Table) -> dict:
    """Everything the page shows about the table, plus raw values: the compare page reads these."""
    return {"id": t.id, "kind": t.kind.name, "version": t.version, "title": t.title, "set": t.set_name, "page": page_path(t),
            "device_class": "cpu" if t.cpu else "gpu", "hardware": hardware_label(t.rows[0]),
            "conditions": [list(c) for c in conditions(t.records, t.note)], "digest": t.digest,
            "record_ids": list(t.record_ids), "key_fields": list(t.kind.key_fields), "metric": t.kind.metric,
            "metric_unit": t.kind.metric_unit, "columns": [c.title for c in t.kind.columns],
            "rows": [{"record_id": record_id(r), "key": {k: r["params"].get(k) for k in t.kind.key_fields},
                      "metric": r["metrics"][t.kind.metric], "cells": [c.fmt(c.get(r)) for c in t.kind.columns]}
                     for r in t.rows],
            "excluded": [{"reason": why, "records": n} for why, n in t.excluded], "cite_key": cite_key(t)}


def records_jsonl(t: Table, lines: dict) -> str:
    """The exact lines of results/<set>/*.jsonl behind the table, by record ID."""
    return "".join(lines[i] + "\n" for i in t.record_ids)


def _tex(s: str) -> str:
    for a, b in (("\\", "\\textbackslash{}"), ("{", "\\{"), ("}", "\\}"), ("_", "\\_"), ("#", "\\#"), ("%", "\\%"),
                 ("&", "\\&"), ("$", "\\$"), ("^", "\\^{}"), ("~", "\\~{}")):
        s = s.replace(a, b) if a != "\\" else s.replace(a, "\x00")
    return s.replace("\x00", "\\textbackslash{}")


def bib_entry(key: str, title: str, anchor_path: str, note: str, last_utc: str) -> str:
    """A @misc entry; ``last_utc`` (ISO date of the newest record) gives year and month."""
    fields = [("title", "{" + _tex(title) + "}"), ("author", "{" + AUTHOR + "}"), ("year", last_utc[:4]),
              ("month", _MONTHS[int(last_utc[5:7]) - 1]),
              ("howpublished", _tex(f"The Deep Learning Cookbook, {anchor_path}")), ("note", _tex(note))]
    body = ",\n".join(f"  {k:<12} = {v if k == 'month' else '{' + v + '}'}" for k, v in fields)
    return f"@misc{{{key},\n{body}\n}}\n"


def bibtex(t: Table) -> str:
    device = "CPU measurement, not an accelerator figure" if t.cpu else "GPU measurement"
    return bib_entry(cite_key(t), f"{t.title}: {hardware_label(t.rows[0])}", f"{page_path(t)}#{t.id}",
                     f"Table {t.id}, version {t.version}; record set {t.set_name}; {len(t.records)} records, "
                     f"data digest {t.digest}; {device}", max(r["created_utc"] for r in t.records))


def dumps(obj) -> str:
    return json.dumps(obj, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
