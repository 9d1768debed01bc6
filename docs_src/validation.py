"""Numbers of docs/validation.md: every published case with our prediction and error (cookbook.published), the
efficiency defaults with their sources (cookbook.efficiency), planner examples (cookbook.planner) and planner
speed records (scripts/bench_planner.py -> docs_src/validation_data/planner-speed.jsonl)."""

from __future__ import annotations

import json
from pathlib import Path

from cookbook.efficiency import FIELDS, efficiency_for
from cookbook.hardware import get_gpu
from cookbook.inference_time import batch_sweep, crossover_batch
from cookbook.planner import plan
from cookbook.presets import get_preset
from cookbook.published import GROUPS, evaluate
from cookbook.units import seconds

from docs_src._fmt import table

SPEED = Path(__file__).resolve().parent / "validation_data" / "planner-speed.jsonl"
_RESULTS: list = []


def _results() -> list:
    if not _RESULTS:
        _RESULTS.extend(evaluate())
    return _RESULTS


def _fmt(x: float, quantity: str) -> str:
    if "MFU" in quantity:
        return f"{100 * x:.1f} %"
    if "tokens/s" in quantity or "TFLOP/s" in quantity:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def cases_table(group: str) -> str:
    """One row per published case of ``group``: case, published, ours, error, and whether it is in the band."""
    if group not in GROUPS:
        raise ValueError(f"unknown group {group!r}; known: {', '.join(GROUPS)}")
    q = GROUPS[group]["quantity"]
    band = GROUPS[group]["band"]
    rows = [(r["label"], _fmt(r["published"], q), _fmt(r["predicted"], q), f"{100 * r['error']:+.1f} %",
             "not validated" if band is None else ("yes" if r["within"] else "**no**"))
            for r in _results() if r["group"] == group]
    last = "band" if band is None else f"within ±{100 * band:.0f} %"
    return table(("case", f"published {q}", "ours", "error", last), rows, "lrrrc")


def group_note(group: str) -> str:
    g = GROUPS[group]
    assumed = sorted({r["assumptions"] for r in _results() if r["group"] == group and r["assumptions"]})
    text = f"Source: {g['source']}. Why the error: {g['why']}."
    if assumed:
        text += " Assumed where the source is silent: " + "; ".join(assumed) + "."
    return text


def summary_table() -> str:
    rows = []
    for name, g in GROUPS.items():
        errs = [r["error"] for r in _results() if r["group"] == name]
        mean = sum(abs(e) for e in errs) / len(errs)
        band = "none (not validated)" if g["band"] is None else f"±{100 * g['band']:.0f} %"
        rows.append((name, g["quantity"], len(errs), f"{100 * min(errs):+.1f} % to {100 * max(errs):+.1f} %",
                     f"{100 * mean:.1f} %", band))
    return table(("group", "quantity", "cases", "error range", "mean absolute error", "test band"), rows,
                 "llrrrr")


def _optimistic(r: dict) -> bool:
    """True when we predict faster than measured (shorter time, or more throughput/TFLOP/s/MFU)."""
    timed = "time" in r["quantity"] or "latency" in r["quantity"]
    return r["error"] < 0 if timed else r["error"] > 0


def bias_sentence() -> str:
    rs = [r for r in _results() if r["band"] is not None]
    opt = [abs(r["error"]) for r in rs if _optimistic(r)]
    return (f"Of the {len(rs)} cases we hold to a band, we predict faster than measured on {len(opt)}, by "
            f"{100 * min(opt):.0f} % to {100 * max(opt):.0f} %")


def case_count() -> str:
    rs = _results()
    held = sum(1 for r in rs if r["band"] is not None)
    return f"{len(rs)} cases, {held} of them held to a band"


def efficiency_table(gpus=("A100-80GB-SXM", "H100-SXM", "H200-SXM", "B200", "MI300X", "L40S")) -> str:
    rows = []
    for name in gpus:
        e = efficiency_for(get_gpu(name)).as_dict()
        rows.append((name, *(f"{e[k]['value']:.3g}" for k in FIELDS),
                     f"{e['collective_latency']['value'] * 1e6:.0f} µs"))
    return table(("GPU", "matmul", "HBM", "intra-node link", "inter-node link", "latency per collective"), rows)


def efficiency_sources(gpu: str = "H100-SXM") -> str:
    e = efficiency_for(get_gpu(gpu)).as_dict()
    return "\n".join(f"- **{k}**: {v['source']}" for k, v in e.items())


def sweep_table(preset: str, gpu: str, prompt: int, output: int, batches=(1, 8, 32, 128, 256)) -> str:
    m, g = get_preset(preset), get_gpu(gpu)
    rows = [(s["batch"], seconds(s["ttft"]), seconds(s["tpot"]), f"{s['output_tokens_per_second']:,.0f}")
            for s in batch_sweep(m, g, prompt, output, batches)]
    x = crossover_batch(m, g)
    return (table(("batch", "time to first token", "time per output token", "output tokens/s"), rows) +
            f"\n\n{preset} on one {gpu}, bf16, {prompt} prompt and {output} output tokens per request, static "
            f"batch; the weight matmuls of a decode step turn compute-bound at batch {x:.0f}.")


def plan_example(preset: str, gpu: str, nodes: int, global_batch: int, seq: int, top: int = 3) -> str:
    r = plan(get_preset(preset), get_gpu(gpu), 8, nodes, global_batch, seq, top=top)
    c = r["counts"]
    head = (f"{preset} on {nodes} x 8 {gpu}, global batch {global_batch} x {seq} tokens: {c['candidates']:,} "
            f"layouts enumerated, {c['pruned_by_bound']:,} dropped by the memory lower bound, "
            f"{c['memory_checked']} checked with the exact memory model.\n\n")
    return head + "\n".join(f"{i}. {e['explanation']}" for i, e in enumerate(r["best"], 1))


def speed_table() -> str:
    """The latest planner-speed record per (runtime, case), from scripts/bench_planner.py."""
    if not SPEED.exists():
        return "*No planner speed records yet: run `python scripts/bench_planner.py` (and `--pyodide`).*"
    latest = {}
    for line in SPEED.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        c = r["case"]
        latest[(r["runtime"], c["preset"], c["nodes"])] = r
    rows = []
    for (runtime, preset, nodes), r in sorted(latest.items()):
        c = r["case"]
        rows.append((runtime, f"{preset}, {nodes} x {c['gpus_per_node']} {c['gpu']}", f"{r['candidates']:,}",
                     seconds(r["seconds_median"]), f"{r['layouts_per_second']:,.0f}",
                     f"{r['host']['cpu']} ({r['host']['cpu_count']} cores, load {r['host'].get('load', '?')}), "
                     f"{r['created_utc'][:10]}"))
    return table(("runtime", "case", "layouts", "median time", "layouts/s", "host, date"), rows, "llrrrl")
