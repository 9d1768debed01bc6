"""`cookbook memory` (training memory per GPU), `cookbook inference` (serving memory per GPU) and `cookbook fit`
(what fits in a GPU's memory)."""

from __future__ import annotations

from cookbook import memory as M
from cookbook.activations import ATTENTION_IMPLS, RECOMPUTE
from cookbook.errors import CookbookError
from cookbook.hardware import get_gpu, gpu_names
from cookbook.inference_memory import WEIGHT_DTYPES, inference_memory
from cookbook.inputs import Calculator, Field, model_from_inputs
from cookbook.kv_cache import SLIDING_CONVENTIONS
from cookbook.layout import FSDP_MODES, SCHEDULES, ParallelLayout
from cookbook.lora import PRESET_TARGETS, finetune_memory
from cookbook.units import LEGEND_BYTES, binary_bytes
from cookbook import solvers as S

GIB = 1 << 30
_P, _T, _S, _G = "parallel layout", "training", "serving", "hardware"
LAYOUT_FIELDS = (
    Field("tp", "int", "tensor parallel degree", default=1, minimum=1, group=_P),
    Field("pp", "int", "pipeline parallel stages", default=1, minimum=1, group=_P),
    Field("dp", "int", "data parallel degree", default=1, minimum=1, group=_P),
    Field("cp", "int", "context parallel degree (splits the sequence)", default=1, minimum=1, group=_P),
    Field("ep", "int", "expert parallel degree (taken from dp*cp)", default=1, minimum=1, group=_P),
    Field("zero", "int", "ZeRO stage 0-3 (1: optimizer states, 2: +gradients, 3: +weights sharded over dp*cp)",
          default=0, minimum=0, maximum=3, group=_P),
    Field("fsdp", "choice", "FSDP sharding mode (instead of --zero)", default="none", choices=FSDP_MODES, group=_P),
    Field("shard_group", "int", "hybrid_shard: ranks per shard group (default min(8, dp*cp))", minimum=1, group=_P),
    Field("sequence_parallel", "bool", "Megatron sequence parallelism (splits norm/dropout activations by tp)",
          default=False, group=_P),
    Field("micro_batch", "int", "sequences per micro-batch per GPU", default=1, minimum=1, group=_P),
    Field("num_microbatches", "int", "micro-batches per step (pipeline)", default=1, minimum=1, group=_P),
    Field("schedule", "choice", "pipeline schedule", default="1f1b", choices=SCHEDULES, group=_P),
    Field("virtual_stages", "int", "model chunks per GPU (interleaved schedule)", default=1, minimum=1, group=_P),
    Field("first_stage_layers", "int", "layers on the first pipeline stage (uneven split; the other stages share "
          "the rest evenly; Megatron --decoder-first-pipeline-num-layers)", minimum=1, group=_P),
    Field("last_stage_layers", "int", "layers on the last pipeline stage (uneven split; Llama 3 405B: 7 of 126 "
          "on 16 stages; Megatron --decoder-last-pipeline-num-layers)", minimum=1, group=_P),
)
TRAIN_FIELDS = (
    Field("seq", "int", "S, tokens per sequence", default=2048, minimum=1, group=_T),
    Field("precision", "choice", "precision policy (weights/grads/master/optimizer states)", default="bf16-mixed",
          choices=tuple(M.PRECISIONS), group=_T),
    Field("optimizer", "choice", "optimizer", default="adamw", choices=M.OPTIMIZERS, group=_T),
    Field("recompute", "choice", "activation checkpointing", default="none", choices=RECOMPUTE, group=_T),
    Field("attention", "choice", "attention kernel: flash (no S^2 saved) or eager", default="flash",
          choices=ATTENTION_IMPLS, group=_T),
    Field("activation_model", "choice", "hf: what transformers saves; korthikanti: the 2022 GPT formula",
          default="hf", choices=M.ACTIVATION_MODELS, group=_T),
    Field("lora_rank", "int", "fine-tune with LoRA adapters of this rank (frozen base)", minimum=1, group=_T),
    Field("lora_targets", "choice", "linears LoRA adapts", default="all-linear", choices=tuple(PRESET_TARGETS),
          group=_T),
    Field("qlora", "bool", "QLoRA: NF4 base weights with double quantization (needs --lora-rank)", default=False,
          group=_T),
)
HW_FIELDS = (
    Field("gpu", "choice", "GPU from the hardware table (its memory is the budget)", choices=gpu_names(), group=_G),
    Field("capacity_gib", "float", "memory budget per GPU in GiB (instead of --gpu)", minimum=0, group=_G),
    Field("overhead_gib", "float", "framework overhead per GPU in GiB (CUDA context, NCCL, allocator)",
          default=1.0, minimum=0, group=_G),
)
SERVE_FIELDS = (
    Field("batch", "int", "concurrent sequences", default=1, minimum=1, group=_S),
    Field("context", "int", "tokens per sequence held in the KV cache", default=2048, minimum=1, group=_S),
    Field("weight_dtype", "choice", "weight storage", default="bf16", choices=WEIGHT_DTYPES, group=_S),
    Field("group_size", "int", "quantization group size (0: per-tensor/per-channel scales)", default=0,
          minimum=0, group=_S),
    Field("kv_dtype", "choice", "KV-cache storage", default="bf16",
          choices=("fp32", "bf16", "fp16", "fp8", "int8", "int4"), group=_S),
    Field("kv_group_size", "int", "KV quantization group size (0: per-tensor scale)", default=0, minimum=0,
          group=_S),
    Field("sliding", "choice", "sliding-window layers: hf (transformers keeps W-1 tokens), window (W), full",
          default="hf", choices=SLIDING_CONVENTIONS, group=_S),
    Field("prefill_tokens", "int", "tokens per prefill step for the activation workspace (default: context)",
          minimum=1, group=_S),
)


def _layout(inputs: dict) -> ParallelLayout:
    return ParallelLayout(**{f.name: inputs[f.name] for f in LAYOUT_FIELDS if inputs.get(f.name) is not None})


def _overhead(inputs: dict) -> int:
    return int(round(inputs["overhead_gib"] * GIB))


def _capacity(inputs: dict) -> dict | None:
    if inputs.get("gpu") and inputs.get("capacity_gib") is not None:
        raise CookbookError("give either --gpu or --capacity-gib, not both")
    if inputs.get("gpu"):
        g = get_gpu(inputs["gpu"])
        return {"gpu": g.name, "bytes": g.hbm_bytes, "source": g.source}
    if inputs.get("capacity_gib") is not None:
        return {"gpu": None, "bytes": int(inputs["capacity_gib"] * GIB), "source": "--capacity-gib"}
    return None


def _fits(out: dict, inputs: dict) -> dict:
    cap = _capacity(inputs)
    if cap:
        out["capacity"] = cap
        out["fits"] = out["total"] <= cap["bytes"]
    return out


def _finetune(m, lay, inputs) -> dict:
    r = finetune_memory(m, inputs["lora_rank"], inputs["lora_targets"], quantize_base=inputs["qlora"], layout=lay,
                        seq_len=inputs["seq"], recompute=inputs["recompute"], attention=inputs["attention"],
                        overhead=_overhead(inputs))
    r.update(stage=0, per_stage_total=[r["total"]], communication_detail={}, activation_detail={},
             peak_if_grads_freed=r["total"])
    return r


def compute_memory(**inputs) -> dict:
    m = model_from_inputs(inputs)
    lay = _layout(inputs)
    if inputs.get("qlora") and not inputs.get("lora_rank"):
        raise CookbookError("--qlora needs --lora-rank (the adapter rank, e.g. 16)")
    if inputs.get("world_size") is not None:
        lay.check(m, inputs["seq"], inputs["world_size"])
    if inputs.get("lora_rank"):
        r = _finetune(m, lay, inputs)
    else:
        r = M.training_memory(m, lay, inputs["seq"], inputs["precision"], inputs["optimizer"], inputs["recompute"],
                              inputs["attention"], inputs["activation_model"], _overhead(inputs),
                              world_size=inputs.get("world_size"))
    out = {"model": m.name, "layout": lay.as_dict(), "world_size": lay.world_size, "seq": inputs["seq"],
           "per_gpu": r["per_gpu"], "total": r["total"],
           "peak_if_grads_freed": r["peak_if_grads_freed"], "stage": r["stage"],
           "per_stage_total": r["per_stage_total"],
           "communication_detail": r["communication_detail"], "activation_detail": r["activation_detail"],
           "conventions": r["conventions"]}
    if "lora_params" in r:
        out["lora_params"] = r["lora_params"]
    return _fits(out, inputs)


def _gib_rows(d: dict, indent: str = "  ") -> list:
    return [(f"{indent}{k.replace('_', ' ')}", binary_bytes(v)) for k, v in d.items()]


def _fit_rows(r: dict) -> list:
    if "capacity" not in r:
        return []
    c = r["capacity"]
    return [("capacity", f"{binary_bytes(c['bytes'])} ({c['gpu'] or 'given'})"),
            ("fits", "yes" if r["fits"] else "NO")]


def rows_memory(r: dict) -> list:
    lay = r["layout"]
    out = [("model", r["model"]),
           ("layout", f"tp={lay['tp']} pp={lay['pp']} dp={lay['dp']} cp={lay['cp']} ep={lay['ep']} "
                      f"zero={lay['zero']} micro_batch={lay['micro_batch']} (world {r['world_size']})"),
           ("per GPU (stage %d)" % r["stage"], "")]
    split = {k: lay.get(f"{k}_stage_layers") for k in ("first", "last")}
    if any(v is not None for v in split.values()):
        out.insert(2, ("uneven pipeline split", ", ".join(f"{k} stage {v} layers" for k, v in split.items()
                                                            if v is not None) + ", the others evenly"))
    out += _gib_rows(r["per_gpu"])
    out += [("total per GPU", binary_bytes(r["total"])),
            ("peak if gradients are freed", binary_bytes(r["peak_if_grads_freed"]))] + _fit_rows(r)
    if "lora_params" in r:
        out.insert(2, ("LoRA trainable parameters", f"{r['lora_params']:,}"))
    out += [(f"note {k}", v) for k, v in r["conventions"].items()
            if k in ("precision", "activations", "total", "method", "adapters")]
    return out


def compute_inference(**inputs) -> dict:
    m = model_from_inputs(inputs)
    r = inference_memory(m, inputs["batch"], inputs["context"], inputs["weight_dtype"], inputs["group_size"],
                         kv_dtype=inputs["kv_dtype"], kv_group_size=inputs["kv_group_size"], tp=inputs["tp"],
                         sliding=inputs["sliding"], prefill_tokens=inputs.get("prefill_tokens"),
                         overhead=_overhead(inputs))
    return _fits({"model": m.name, "batch": inputs["batch"], "context": inputs["context"], "tp": inputs["tp"], **r},
                 inputs)


def rows_inference(r: dict) -> list:
    out = [("model", r["model"]), ("request", f"batch={r['batch']} context={r['context']} tp={r['tp']}"),
           ("weights per GPU", binary_bytes(r["weights"])), ("KV cache per GPU", binary_bytes(r["kv_cache"]))]
    out += [(f"  {k.replace('_', ' ')}", binary_bytes(v)) for k, v in r["kv_cache_detail"]["per_layer_type"].items()]
    out += [("activations (estimate)", binary_bytes(r["activations"])),
            ("framework overhead", binary_bytes(r["framework_overhead"])), ("total per GPU", binary_bytes(r["total"]))]
    out += _fit_rows(r)
    out += [(f"note {k}", v) for k, v in r["conventions"].items() if k != "units"]
    return out


FIT_MODES = ("micro_batch", "train_context", "serving_batch", "serving_context", "fewest_gpus_training",
             "fewest_gpus_serving", "layouts")


def compute_fit(**inputs) -> dict:
    m = model_from_inputs(inputs)
    cap = _capacity(inputs)
    if cap is None:
        raise CookbookError("fit needs a memory budget: give --gpu NAME or --capacity-gib N")
    c, mode = cap["bytes"], inputs["mode"]
    train_kw = dict(precision=inputs["precision"], optimizer=inputs["optimizer"], recompute=inputs["recompute"],
                    attention=inputs["attention"], activation_model=inputs["activation_model"],
                    overhead=_overhead(inputs))
    serve_kw = dict(weight_dtype=inputs["weight_dtype"], group_size=inputs["group_size"],
                    kv_dtype=inputs["kv_dtype"], kv_group_size=inputs["kv_group_size"], sliding=inputs["sliding"],
                    overhead=_overhead(inputs))
    out = {"model": m.name, "mode": mode, "capacity": cap}
    if mode == "micro_batch":
        out["answer"] = S.max_micro_batch(m, c, _layout(inputs), inputs["seq"], **train_kw)
    elif mode == "train_context":
        out["answer"] = S.max_train_context(m, c, _layout(inputs), **train_kw)
    elif mode == "serving_batch":
        out["answer"] = S.max_serving_batch(m, c, inputs["context"], tp=inputs["tp"], **serve_kw)
    elif mode == "serving_context":
        out["answer"] = S.max_serving_context(m, c, inputs["batch"], tp=inputs["tp"], **serve_kw)
    elif mode == "fewest_gpus_training":
        out["answer"] = S.fewest_gpus_training(m, c, inputs["seq"], **train_kw)
    elif mode == "fewest_gpus_serving":
        out["answer"] = S.fewest_gpus_serving(m, c, inputs["batch"], inputs["context"], **serve_kw)
    else:
        lay = _layout(inputs)
        out["answer"] = S.layouts_that_fit(m, inputs["world_size"] or lay.world_size, c, inputs["seq"],
                                           lay.micro_batch, **train_kw)
    return out


def rows_fit(r: dict) -> list:
    a = r["answer"]
    out = [("model", r["model"]), ("budget per GPU", f"{binary_bytes(r['capacity']['bytes'])}"),
           ("question", r["mode"].replace("_", " "))]
    if a is None or a == 0 or a == []:
        return out + [("answer", "nothing fits")]
    if isinstance(a, int):
        return out + [("answer", f"{a:,}")]
    if isinstance(a, dict):
        lay = a.get("layout")
        return out + [("GPUs", str(a["gpus"])), ("total per GPU", binary_bytes(a["total"]))] + (
            [("layout", " ".join(f"{k}={v}" for k, v in lay.items()))] if lay else [])
    out.append(("layouts that fit", str(len(a))))
    for x in a[:20]:
        lay = x["layout"]
        out.append((f"  tp={lay['tp']} pp={lay['pp']} dp={lay['dp']} cp={lay['cp']} ep={lay['ep']} "
                    f"zero={lay['zero']}", binary_bytes(x["total"])))
    return out


CALCULATORS = (
    Calculator(name="memory", title="Training memory per GPU",
               fields=TRAIN_FIELDS + LAYOUT_FIELDS + (Field("world_size", "int", "GPUs in the job: checked against "
                                                            "tp*pp*dp*cp", minimum=1, group=_P),) + HW_FIELDS,
               compute=compute_memory, rows=rows_memory, legend="memory in " + LEGEND_BYTES,
               extra={"example": {"preset": "llama-3-8b", "seq": 4096, "tp": 2, "dp": 4, "zero": 1,
                                  "gpu": "H100-SXM"}},
               help="Training memory per GPU by category (weights, gradients, optimizer, master, activations, "
                    "buffers, overhead) for a precision, optimizer and parallel layout."),
    Calculator(name="inference", title="Serving memory per GPU",
               fields=SERVE_FIELDS + (LAYOUT_FIELDS[0],) + HW_FIELDS, compute=compute_inference,
               rows=rows_inference, legend="memory in " + LEGEND_BYTES,
               extra={"example": {"preset": "llama-3-8b", "batch": 8, "context": 8192, "gpu": "H100-SXM"},
                      "chart": ("weights", "kv_cache", "activations", "framework_overhead")},  # parts of total
               help="Serving memory per GPU: weights (16-bit or quantized), exact KV cache, activations."),
    Calculator(name="fit", title="What fits", compute=compute_fit, rows=rows_fit, legend="memory in " + LEGEND_BYTES,
               extra={"example": {"preset": "llama-3-8b", "gpu": "H100-SXM", "dp": "8", "zero": "3"}},  # site default
               fields=(Field("mode", "choice", "the question", default="micro_batch", choices=FIT_MODES,
                             group="question"),
                       Field("world_size", "int", "GPUs in the cluster (mode layouts)", minimum=1,
                             group="question"))
               + TRAIN_FIELDS + LAYOUT_FIELDS + SERVE_FIELDS + HW_FIELDS,
               help="Solvers: largest micro-batch or context, fewest GPUs, every layout that fits a GPU."),
)
