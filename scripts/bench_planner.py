"""Planner speed: layouts evaluated per second by cookbook.planner.plan, in CPython and in Pyodide under Node.

    python scripts/bench_planner.py                # CPython: append records to docs_src/validation_data/
    python scripts/bench_planner.py --pyodide      # the same cases inside Pyodide (web/node_modules/pyodide)
    python scripts/bench_planner.py --print        # print, write nothing

Each record: runtime, host, case, candidates (layouts enumerated), the median of ``--repeats`` wall-clock times
of one full plan() call (enumeration, timing, pruning, exact memory checks, explanations), layouts per second
= candidates / median. ``measure`` uses only the standard library and cookbook, so the Pyodide harness
(scripts/bench_planner_pyodide.mjs) imports this file and runs it unchanged.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs_src" / "validation_data" / "planner-speed.jsonl"
CASES = (
    {"preset": "llama-3-8b", "gpu": "H100-SXM", "gpus_per_node": 8, "nodes": 1, "global_batch": 64, "seq": 4096},
    {"preset": "llama-3-70b", "gpu": "H100-SXM", "gpus_per_node": 8, "nodes": 8, "global_batch": 512, "seq": 4096},
    {"preset": "mixtral-8x7b", "gpu": "H100-SXM", "gpus_per_node": 8, "nodes": 4, "global_batch": 256,
     "seq": 4096},
    {"preset": "llama-3.1-405b", "gpu": "H100-SXM", "gpus_per_node": 8, "nodes": 64, "global_batch": 1024,
     "seq": 8192},
)
VERSION = 1  # bump when the measurement changes


def measure(cases=CASES, repeats: int = 5) -> list[dict]:
    """Time plan() on each case ``repeats`` times; returns one record per case (no runtime/host fields)."""
    from cookbook.hardware import get_gpu
    from cookbook.planner import plan
    from cookbook.presets import get_preset

    out = []
    for c in cases:
        m, g = get_preset(c["preset"]), get_gpu(c["gpu"])
        times, r = [], None
        for _ in range(repeats):
            t0 = time.perf_counter()
            r = plan(m, g, c["gpus_per_node"], c["nodes"], c["global_batch"], c["seq"])
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        out.append({"case": c, "candidates": r["counts"]["candidates"], "counts": r["counts"], "repeats": repeats,
                    "seconds": times, "seconds_median": med, "layouts_per_second": r["counts"]["candidates"] / med,
                    "best": r["best"][0]["explanation"] if r["best"] else None})
    return out


def _host() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = round(os.getloadavg()[0], 2)  # 1-minute load average: other work on the machine while timing
    except (AttributeError, OSError):
        load = None
    return {"cpu": cpu, "cpu_count": os.cpu_count(), "platform": platform.platform(), "load": load}


def _stamp(records: list[dict], runtime: str) -> list[dict]:
    now = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    return [{"benchmark": "planner", "benchmark_version": VERSION, "created_utc": now, "runtime": runtime,
             "host": _host(), **r} for r in records]


def _pyodide(repeats: int) -> list[dict]:
    cmd = ["node", str(ROOT / "scripts" / "bench_planner_pyodide.mjs"), str(repeats)]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if p.returncode:
        sys.stderr.write(p.stderr)
        raise SystemExit(f"error: {' '.join(cmd)} exited {p.returncode}")
    doc = json.loads(p.stdout)
    return _stamp(doc["records"], f"Pyodide {doc['pyodide']} (CPython {doc['python']}, WebAssembly) on Node "
                                  f"{doc['node']}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pyodide", action="store_true", help="run inside Pyodide under Node")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--print", action="store_true", help="print the records, write nothing")
    a = ap.parse_args(argv)
    if a.pyodide:
        recs = _pyodide(a.repeats)
    else:
        sys.path.insert(0, str(ROOT))
        recs = _stamp(measure(repeats=a.repeats), f"CPython {platform.python_version()}")
    for r in recs:
        print(f"{r['runtime']}: {r['case']['preset']} on {r['case']['nodes']} x {r['case']['gpus_per_node']}: "
              f"{r['candidates']} layouts in {r['seconds_median']:.3f} s = {r['layouts_per_second']:,.0f}/s",
              file=sys.stderr)
    if not a.print:
        OUT.parent.mkdir(parents=True, exist_ok=True)
        with OUT.open("a", encoding="utf-8") as f:
            for r in recs:
                f.write(json.dumps(r) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
