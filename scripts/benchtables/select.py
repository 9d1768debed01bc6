"""What is published: only measured, checked records; the device class of each record.

A record is published when its status is ``ok`` and its correctness check ran and found 0 wrong elements. A GPU
record must also carry ``publishable: true`` (the harness sets it only for GPU runs asked to publish). CPU records
carry ``publishable: false`` by design: they are published here as CPU measurements, labelled as such on every
table, plot and download, never as accelerator figures.
"""

from __future__ import annotations

__all__ = ["exclusion", "is_cpu", "hardware_label", "hardware_slug"]


def is_cpu(rec: dict) -> bool:
    return not str(rec["provenance"].get("device", "cpu")).startswith("cuda")


def exclusion(rec: dict) -> str | None:
    """Why ``rec`` is not published (None: it is)."""
    if rec["status"] != "ok":
        msg = (rec.get("error") or {}).get("message", "")
        return f"status {rec['status']}: {msg}".rstrip(": ")
    if rec.get("wrong") is None:
        return "correctness check was off"
    if rec["wrong"] != 0:
        return f"correctness check failed ({rec['wrong']} wrong elements)"
    if not is_cpu(rec) and not rec.get("publishable"):
        return "GPU record not marked publishable"
    return None


def _gpu(rec: dict) -> dict:
    prov = rec["provenance"]
    dev = str(prov.get("device", ""))
    idx = int(dev.split(":")[1]) if ":" in dev else 0
    devs = prov.get("devices") or []
    return devs[idx] if idx < len(devs) else {}


def hardware_label(rec: dict) -> str:
    """``CPU: AMD EPYC (2 logical CPUs), 1 torch thread`` or the GPU's name and count."""
    prov = rec["provenance"]
    host = prov.get("host", {})
    if is_cpu(rec):
        t = prov.get("software", {}).get("torch_num_threads")
        threads = f", {t} torch thread{'s' if t != 1 else ''}" if t else ""
        return f"CPU: {host.get('cpu', 'unknown')} ({host.get('cpu_count', '?')} logical CPUs){threads}"
    g = _gpu(rec)
    n = (prov.get("distributed") or {}).get("world_size", 1)
    return f"GPU: {n} x {g.get('name', 'unknown')}" if n > 1 else f"GPU: {g.get('name', 'unknown')}"


def hardware_slug(rec: dict) -> str:
    return "cpu" if is_cpu(rec) else "gpu"
