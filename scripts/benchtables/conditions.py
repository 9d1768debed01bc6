"""The run conditions printed above each table: hardware, software, date, method, harness commit, units."""

from __future__ import annotations

from benchtables.select import hardware_label, is_cpu
from cookbook.units import LEGEND_BYTES, LEGEND_SI

__all__ = ["conditions", "UNITS"]

UNITS = (f"decimal prefixes for FLOP/s and bytes/s ({LEGEND_SI}); binary prefixes for sizes ({LEGEND_BYTES}); "
         "times in seconds (ms = 10^-3 s); 'median' and 'best' are FLOPs or bytes divided by the median and the "
         "minimum sample time")


def _one(values) -> str:
    vals = sorted({str(v) for v in values})
    return vals[0] if len(vals) == 1 else " / ".join(vals)


def _software(recs) -> str:
    sw = [r["provenance"].get("software", {}) for r in recs]
    py = _one(r["provenance"].get("host", {}).get("python") for r in recs)
    parts = [f"Python {py}", f"torch {_one(s.get('torch') for s in sw)}"]
    for key, label in (("cuda_runtime", "CUDA"), ("cudnn", "cuDNN"), ("nccl", "NCCL"), ("driver", "driver")):
        v = _one(s.get(key) for s in sw)
        if v != "None":
            parts.append(f"{label} {v}")
    backend = _one((r["provenance"].get("distributed") or {}).get("backend") for r in recs)
    if backend != "None":
        parts.append(f"torch.distributed backend {backend}")
    parts.append(f"OS {_one(r['provenance'].get('host', {}).get('platform') for r in recs)}")
    return ", ".join(parts)


def _method(recs) -> str:
    m = [r["method"] for r in recs]
    warm = _one(x.get("warmup_iters") for x in m)
    iters = sorted(x.get("iters", 0) for x in m)
    parts = [f"timer {_one(x.get('timer') for x in m)}", _one(x.get("mode") for x in m),
             f"{warm} warm-up iterations per case", f"{iters[0]}-{iters[-1]} timed samples per case"
             if iters[0] != iters[-1] else f"{iters[0]} timed samples per case"]
    for key in ("flop_convention", "cache", "rank_aggregation"):
        v = _one(x.get(key) for x in m)
        if v != "None":
            parts.append(f"{key.replace('_', ' ')}: {v}")
    parts.append(f"check: {_one(x.get('check') for x in m)}")
    return "; ".join(parts)


def _harness(recs) -> str:
    gits = {(g.get("commit") or "unknown")[:12] + (" (uncommitted changes in bench/ or cookbook/)"
                                                   if g.get("dirty") else "")
            for g in (r["provenance"].get("git") or {} for r in recs)}
    return "git " + " / ".join(sorted(gits))


def conditions(recs, note: str = "") -> list[tuple[str, str]]:
    """(label, text) rows describing the records of one table (``note``: the record set's run notes)."""
    dates = sorted(r["created_utc"] for r in recs)
    dev = "CPU (not an accelerator measurement)" if is_cpu(recs[0]) else "GPU"
    return [("Hardware", _one(hardware_label(r) for r in recs)), ("Device class", dev),
            ("Software", _software(recs)), ("Date (UTC)", f"{dates[0][:16]} to {dates[-1][:16]}".replace("T", " ")),
            ("Method", _method(recs)), ("Harness", _harness(recs)),
            ("Benchmark", f"{_one(r['benchmark'] for r in recs)} version {_one(r['benchmark_version'] for r in recs)}"
                          f", record schema {_one(r['schema_version'] for r in recs)}"),
            ("Units", UNITS)] + ([("Run notes", note)] if note else [])
