"""`cookbook time` (inference or training time on a GPU type) and `cookbook plan` (rank parallel layouts)."""

from __future__ import annotations

from dataclasses import replace

from cookbook.calculators.memory import LAYOUT_FIELDS, TRAIN_FIELDS
from cookbook.efficiency import efficiency_for
from cookbook.errors import CookbookError
from cookbook.hardware import DTYPES, get_gpu, gpu_names
from cookbook.inference_memory import WEIGHT_DTYPES, inference_memory
from cookbook.inference_time import KV_READS, batch_sweep, crossover_batch, request_time
from cookbook.inputs import Calculator, Field, model_from_inputs
from cookbook.layout import ParallelLayout
from cookbook.memory import training_memory
from cookbook.planner import plan
from cookbook.train_time import COMM_KINDS, TrainingProblem, step_time, time_to_train
from cookbook.units import LEGEND_SI, binary_bytes, seconds, si

_H, _E, _I, _T = "hardware", "efficiency (default: published measurements, see --json)", "inference", "training"
GB, GIB = 10**9, 1 << 30
HW_FIELDS = (
    Field("gpu", "choice", "GPU from the hardware table", default="H100-SXM", choices=gpu_names(), group=_H),
    Field("gpus_per_node", "int", "GPUs per node (NVLink domain)", default=8, minimum=1, group=_H),
    Field("peak_tflops", "float", "custom GPU: dense peak TFLOP/s for the compute dtype (replaces the table's)",
          minimum=0, group=_H),
    Field("hbm_gbps", "float", "custom GPU: HBM bandwidth in GB/s", minimum=0, group=_H),
    Field("hbm_gb", "float", "custom GPU: HBM capacity in GB (1e9 bytes)", minimum=0, group=_H),
    Field("intra_gbps", "float", "custom GPU: intra-node link GB/s per GPU, one direction", minimum=0, group=_H),
    Field("inter_gbps", "float", "custom GPU: inter-node network GB/s per GPU, one direction", minimum=0, group=_H),
)
EFF_FIELDS = (
    Field("eff_matmul", "float", "achievable fraction of peak matmul FLOP/s", minimum=0, maximum=1, group=_E),
    Field("eff_hbm", "float", "achievable fraction of HBM bandwidth", minimum=0, maximum=1, group=_E),
    Field("eff_intra", "float", "achievable fraction of intra-node link bandwidth", minimum=0, maximum=1, group=_E),
    Field("eff_inter", "float", "achievable fraction of inter-node bandwidth", minimum=0, maximum=1, group=_E),
    Field("latency_us", "float", "latency added to every collective, microseconds", minimum=0, group=_E),
)
INFER_FIELDS = (
    Field("workload", "choice", "what to time", default="inference", choices=("inference", "training"), group=_I),
    Field("batch", "int", "inference: concurrent requests (static batch)", default=1, minimum=1, group=_I),
    Field("prompt", "int", "inference: prompt tokens per request", default=1024, minimum=1, group=_I),
    Field("output", "int", "inference: generated tokens per request", default=256, minimum=1, group=_I),
    Field("weight_dtype", "choice", "inference: weight storage", default="bf16", choices=WEIGHT_DTYPES, group=_I),
    Field("kv_dtype", "choice", "inference: KV-cache storage", default="bf16",
          choices=("fp32", "bf16", "fp16", "fp8", "int8", "int4"), group=_I),
    Field("dtype", "choice", "compute dtype (its peak is used)", default="bf16", choices=DTYPES, group=_I),
    Field("kv_reads", "choice", "inference: the attention kernel reads each K/V head once per group (shared) or "
          "once per query head", default="shared", choices=KV_READS, group=_I),
)
TRAIN_TIME_FIELDS = (
    Field("tokens", "float", "training: tokens to train on (e.g. 15e12) for the time to train", minimum=0, group=_T),
    Field("flops_attention", "choice", "attention FLOPs the kernel executes: causal (flash) or full (eager)",
          default="causal", choices=("causal", "full"), group=_T),
    *(Field(f"overlap_{k}", "float", f"fraction of {k.upper()} communication hidden behind compute", default=0.0,
            minimum=0, maximum=1, group=_T) for k in COMM_KINDS),
)
_TRAIN_KEEP = tuple(f for f in TRAIN_FIELDS if f.name != "activation_model")


def gpu_from_inputs(inputs: dict):
    """The table's GPU, with any custom fields replacing its values (a custom entry)."""
    g = get_gpu(inputs["gpu"])
    ch = {}
    if inputs.get("peak_tflops") is not None:
        v = inputs["peak_tflops"] * 1e12
        d = inputs.get("dtype") or "bf16"
        ch.update({d: v} if d in ("fp8", "tf32", "fp32") else {"bf16": v, "fp16": v})
    for key, attr, scale in (("hbm_gbps", "hbm_bandwidth", GB), ("hbm_gb", "hbm_bytes", GB),
                             ("intra_gbps", "intra_node_bandwidth", GB), ("inter_gbps", "inter_node_bandwidth", GB)):
        if inputs.get(key) is not None:
            ch[attr] = int(inputs[key] * scale) if attr == "hbm_bytes" else inputs[key] * scale
    if not ch:
        return g
    return replace(g, name=f"custom ({g.name} with {', '.join(sorted(ch))} replaced)", source="user-supplied", **ch)


def efficiency_from_inputs(inputs: dict):
    """The table GPU's published efficiencies (kept for a custom variant of it), with the user's overrides."""
    lat = inputs.get("latency_us")
    return efficiency_for(get_gpu(inputs["gpu"]), inputs.get("dtype") or "bf16").with_overrides(
        matmul=inputs.get("eff_matmul"), hbm=inputs.get("eff_hbm"), intra_link=inputs.get("eff_intra"),
        inter_link=inputs.get("eff_inter"), collective_latency=None if lat is None else lat * 1e-6)


def _overlap(inputs: dict) -> dict:
    return {k: inputs.get(f"overlap_{k}") or 0.0 for k in COMM_KINDS}


def compute_time(**inputs) -> dict:
    m = model_from_inputs(inputs)
    g = gpu_from_inputs(inputs)
    eff = efficiency_from_inputs(inputs)
    base = {"model": m.name, "gpu": g.as_dict(), "workload": inputs["workload"]}
    if inputs["workload"] == "inference":
        kw = dict(tp=inputs["tp"], weight_dtype=inputs["weight_dtype"], kv_dtype=inputs["kv_dtype"],
                  dtype=inputs["dtype"], efficiency=eff, gpus_per_node=inputs["gpus_per_node"])
        r = request_time(m, g, inputs["batch"], inputs["prompt"], inputs["output"], **kw, kv_reads=inputs["kv_reads"])
        sweep = [b for b in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512) if b < inputs["batch"]] + [inputs["batch"]]
        mem = inference_memory(m, inputs["batch"], inputs["prompt"] + inputs["output"], inputs["weight_dtype"],
                               kv_dtype=inputs["kv_dtype"], tp=inputs["tp"])["total"]
        kw["kv_reads"] = inputs["kv_reads"]
        return {**base, **r, "sweep": batch_sweep(m, g, inputs["prompt"], inputs["output"], sweep, **kw),
                "crossover_batch": crossover_batch(m, g, inputs["weight_dtype"], inputs["dtype"], eff),
                "memory_per_gpu": mem, "fits": mem <= g.hbm_bytes}
    lay = ParallelLayout(**{f.name: inputs[f.name] for f in LAYOUT_FIELDS if inputs.get(f.name) is not None})
    problem = TrainingProblem.build(m, inputs["seq"], inputs["flops_attention"])
    r = step_time(problem, g, lay, inputs["recompute"], inputs["precision"], eff, _overlap(inputs),
                  inputs["gpus_per_node"], activation_attention=inputs["attention"])
    mem = training_memory(m, lay, inputs["seq"], inputs["precision"], inputs["optimizer"], inputs["recompute"],
                          inputs["attention"])["total"]
    out = {**base, **r, "layout": {f.name: getattr(lay, f.name) for f in LAYOUT_FIELDS}, "gpus": lay.world_size,
           "seq": inputs["seq"], "global_batch": lay.global_batch, "memory_per_gpu": mem,
           "fits": mem <= g.hbm_bytes}
    if inputs.get("tokens"):
        out["time_to_train"] = time_to_train(inputs["tokens"], r)
    return out


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def rows_time(r: dict) -> list:
    out = [("model", r["model"]), ("GPU", r["gpu"]["name"])]
    if r["workload"] == "inference":
        out += [("request", f"batch {r['batch']}, prompt {r['prompt']}, output {r['output']}, tp {r['tp']}"),
                ("time to first token (prefill)", seconds(r["ttft"])),
                ("time per output token (mean)", seconds(r["tpot"]) if r["tpot"] else "-"),
                ("end to end", seconds(r["e2e"])),
                ("output tokens/s", f"{r['output_tokens_per_second']:,.0f} "
                                    f"({r['output_tokens_per_second_per_gpu']:,.0f} per GPU)"),
                ("decode turns compute-bound at batch", f"{r['crossover_batch']:.0f}")]
        out += [(f"  {k.replace('_', ' ')} (prefill)", f"{seconds(o['seconds'])} {o['bound']}-bound")
                for k, o in r["prefill"]["ops"].items()]
        out += [("batch sweep: batch", "TTFT, TPOT, output tokens/s")]
        out += [(f"  {s['batch']}", f"{seconds(s['ttft'])}, {seconds(s['tpot']) if s['tpot'] else '-'}, "
                                   f"{s['output_tokens_per_second']:,.0f}") for s in r["sweep"]]
    else:
        L = r["layout"]
        out += [("layout", f"tp={L['tp']} pp={L['pp']} dp={L['dp']} cp={L['cp']} ep={L['ep']} zero={L['zero']} "
                           f"micro_batch={L['micro_batch']} x{L['num_microbatches']} ({r['gpus']} GPUs)"),
                ("step time", seconds(r["step_time"]))]
        out += [(f"  {k.replace('_', ' ')}", f"{seconds(v)} ({_pct(v / r['step_time'])})")
                for k, v in r["breakdown"].items()]
        out += [("MFU / HFU", f"{_pct(r['mfu'])} / {_pct(r['hfu'])}"),
                ("tokens/s", f"{si(r['tokens_per_second'])}")]
        if "time_to_train" in r:
            t = r["time_to_train"]
            out.append(("time to train", f"{seconds(t['seconds'])} ({t['steps']:,.0f} steps)"))
    out.append(("memory per GPU (cookbook.memory)", f"{binary_bytes(r['memory_per_gpu'])} of "
                f"{binary_bytes(r['gpu']['hbm_bytes'])}: {'fits' if r['fits'] else 'DOES NOT FIT'}"))
    out += [(f"efficiency {k}", f"{v['value']:g} ({v['source']})") for k, v in r["efficiency"].items()]
    return out


PLAN_FIELDS = (
    Field("nodes", "int", "number of nodes", default=1, minimum=1, group=_H),
    Field("global_batch", "int", "sequences per optimizer step", default=256, minimum=1, group=_T),
    Field("seq", "int", "S, tokens per sequence", default=4096, minimum=1, group=_T),
    Field("precision", "choice", "precision policy", default="bf16-mixed", choices=TRAIN_FIELDS[1].choices, group=_T),
    Field("optimizer", "choice", "optimizer", default="adamw", choices=TRAIN_FIELDS[2].choices, group=_T),
    Field("top", "int", "how many layouts to show", default=5, minimum=1, maximum=50, group=_T),
    Field("max_cp", "int", "largest context-parallel degree to try", default=8, minimum=1, group=_T),
    Field("capacity_gib", "float", "memory budget per GPU in GiB (default: the GPU's HBM)", minimum=0, group=_H),
    *TRAIN_TIME_FIELDS[1:],
)


def compute_plan(**inputs) -> dict:
    m = model_from_inputs(inputs)
    g = gpu_from_inputs(inputs)
    eff = efficiency_from_inputs(inputs)
    cap = None if inputs.get("capacity_gib") is None else int(inputs["capacity_gib"] * GIB)
    r = plan(m, g, inputs["gpus_per_node"], inputs["nodes"], inputs["global_batch"], inputs["seq"],
             inputs["precision"], inputs["optimizer"], cap, inputs["top"], eff, _overlap(inputs),
             inputs["flops_attention"], inputs["max_cp"])
    if not r["best"]:
        c = r["counts"]
        raise CookbookError(f"no layout of {r['gpus']} GPUs fits {binary_bytes(r['capacity'])} per GPU "
                            f"({c['candidates']} candidates); add nodes, shorten --seq or lower --global-batch")
    return {"model": m.name, "gpu": g.name, **r}


def rows_plan(r: dict) -> list:
    c = r["counts"]
    out = [("model", r["model"]), ("cluster", f"{r['gpus']} x {r['gpu']}, {binary_bytes(r['capacity'])} per GPU"),
           ("searched", f"{c['candidates']:,} layouts "
                        f"({c['pruned_by_bound']:,} pruned by a memory lower bound, "
                        f"{c['memory_checked']} checked exactly)")]
    for i, e in enumerate(r["best"], 1):
        out.append((f"#{i}", e["explanation"]))
    return out


CALCULATORS = (
    Calculator(name="time", title="Inference or training time", compute=compute_time, rows=rows_time,
               fields=INFER_FIELDS + HW_FIELDS + EFF_FIELDS + LAYOUT_FIELDS + _TRAIN_KEEP + TRAIN_TIME_FIELDS,
               legend="times in ms/s/h; " + LEGEND_SI,
               extra={"example": {"preset": "llama-3-8b", "batch": 16, "prompt": 1024, "output": 256,
                                  "gpu": "H100-SXM"}},
               help="Inference: per-op roofline, time to first token, time per output token, tokens/s against "
                    "batch. Training: step time by part, MFU, time to train. Efficiencies are explicit."),
    Calculator(name="plan", title="Parallel layout planner", compute=compute_plan, rows=rows_plan,
               fields=PLAN_FIELDS + HW_FIELDS + EFF_FIELDS, legend="times in ms/s/h; memory in GiB",
               extra={"example": {"preset": "llama-3-8b", "nodes": 1, "global_batch": 64, "seq": 4096,
                                  "gpu": "H100-SXM"}},
               help="Every tp/pp/dp/cp/ep, ZeRO stage, recompute and micro-batch for a model on a cluster: "
                    "the memory-feasible ones ranked by predicted step time, the best explained."),
)
