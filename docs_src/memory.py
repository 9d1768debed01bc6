"""Numbers of the memory chapter (docs/chapters/memory.md), from cookbook.memory, cookbook.activations,
cookbook.inference_memory, cookbook.kv_cache and cookbook.layout."""

from __future__ import annotations

from cookbook.activations import hf_activation_bytes, korthikanti_layer_bytes
from cookbook.inference_memory import inference_memory
from cookbook.layout import ParallelLayout
from cookbook.memory import CATEGORIES, PRECISIONS, state_bytes_per_param, training_memory
from cookbook.params import count_params
from cookbook.presets import get_preset

from docs_src._fmt import gib, pct, table


def bytes_per_param_table(optimizers=("adamw", "adam8bit", "sgd_momentum", "sgd")) -> str:
    rows = []
    for name, p in PRECISIONS.items():
        if name == "fp8":
            continue
        rows.append((f"`{name}`", p.weight, p.grad, p.master,
                     *[f"{state_bytes_per_param(name, o):g}" for o in optimizers]))
    return table(("precision", "weights", "gradients", "fp32 master") + tuple(f"total, {o}" for o in optimizers),
                 rows)


def state_gib(preset: str, precision: str = "bf16-mixed", optimizer: str = "adamw") -> str:
    m = get_preset(preset)
    return gib(count_params(m).total * state_bytes_per_param(precision, optimizer))


def bpp(precision: str, optimizer: str) -> str:
    return f"{state_bytes_per_param(precision, optimizer):g}"


LAYOUTS = {
    "1 GPU": ParallelLayout(),
    "DP 8": ParallelLayout(dp=8),
    "DP 8, ZeRO-1": ParallelLayout(dp=8, zero=1),
    "DP 8, ZeRO-2": ParallelLayout(dp=8, zero=2),
    "DP 8, ZeRO-3 (FSDP)": ParallelLayout(dp=8, fsdp="full_shard"),
    "TP 8": ParallelLayout(tp=8),
    "TP 8 + SP": ParallelLayout(tp=8, sequence_parallel=True),
    "TP 2, PP 4, 8 micro-batches": ParallelLayout(tp=2, pp=4, num_microbatches=8),
}


def layouts_table(preset: str, seq: int, recompute: str = "none", names=tuple(LAYOUTS)) -> str:
    m = get_preset(preset)
    cats = [c for c in CATEGORIES if c != "framework_overhead"]
    rows = []
    for name in names:
        r = training_memory(m, LAYOUTS[name], seq_len=seq, recompute=recompute, overhead=0)
        rows.append((name, *[gib(r["per_gpu"][c]) for c in cats], f"**{gib(r['total'])}**"))
    heads = ("layout",) + tuple(c.replace("_", " ") for c in cats) + ("total per GPU",)
    return table(heads, rows) + (f"\n\n{preset}, bf16 mixed precision with AdamW, micro-batch 1 of {seq} tokens, "
                                 f"flash attention, recompute {recompute}, no framework overhead; the pipeline "
                                 "row shows its fullest stage.")


def total(preset: str, seq: int, layout: str, recompute: str = "none") -> str:
    r = training_memory(get_preset(preset), LAYOUTS[layout], seq_len=seq, recompute=recompute, overhead=0)
    return gib(r["total"])


def activation_table(preset: str, seqs=(2048, 8192, 32768)) -> str:
    m = get_preset(preset)
    d, h = m.hidden_size, m.num_heads
    rows = []
    for s in seqs:
        eager = hf_activation_bytes(m, 1, s, 2, "eager")["layers"] / m.num_layers
        flash = hf_activation_bytes(m, 1, s, 2, "flash")["layers"] / m.num_layers
        kor = korthikanti_layer_bytes(s, 1, d, h)
        sel = korthikanti_layer_bytes(s, 1, d, h, recompute="selective")
        rows.append((s, gib(kor), gib(sel), gib(eager), gib(flash)))
    return table(("S", "Korthikanti $SBD(34 + 5HS/D)$", "Korthikanti, selective", "HF eager (measured model)",
                  "HF flash (measured model)"), rows) + f"\n\nPer layer, {preset} shapes, B = 1, 16-bit activations."


def activation_total(preset: str, seq: int, attention: str = "flash") -> str:
    return gib(hf_activation_bytes(get_preset(preset), 1, seq, 2, attention)["total"])


def loss_share(preset: str, seq: int) -> str:
    r = hf_activation_bytes(get_preset(preset), 1, seq, 2, "flash")
    return gib(r["model"])


def inference_table(preset: str, batch: int, context: int, dtypes=("bf16", "fp8", "int4")) -> str:
    m = get_preset(preset)
    rows = []
    for dt in dtypes:
        r = inference_memory(m, batch, context, weight_dtype=dt, group_size=128 if dt == "int4" else 0)
        rows.append((dt + (" (group 128)" if dt == "int4" else ""), gib(r["weights"]), gib(r["kv_cache"]),
                     gib(r["activations"]), gib(r["framework_overhead"]), f"**{gib(r['total'])}**"))
    return table(("weight format", "weights", "KV cache (bf16)", "activations (estimate)", "overhead", "total"), rows) + (
        f"\n\n{preset}, batch {batch}, context {context} tokens, one GPU.")


def inference_total(preset: str, batch: int, context: int, dtype: str = "bf16", tp: int = 1) -> str:
    r = inference_memory(get_preset(preset), batch, context, weight_dtype=dtype,
                         group_size=128 if dtype == "int4" else 0, tp=tp)
    return gib(r["total"])


# Rajbhandari et al. 2020, Figure 1: a 7.5B-parameter model, N_d = 64, mixed-precision Adam (K = 12):
# per-GPU model-state memory 120, 31.4, 16.6 and 1.9 GB for the baseline and ZeRO stages 1, 2 and 3.
ZERO_PAPER_GB = (120, 31.4, 16.6, 1.9)
_STATES = ("weights", "gradients", "optimizer_states", "master_weights")


def state_bytes_per_param_sharded(preset: str, dp: int, zero: int) -> float:
    """Model-state bytes per parameter on one GPU (weights, gradients, master, optimizer) from training_memory."""
    m = get_preset(preset)
    r = training_memory(m, ParallelLayout(dp=dp, zero=zero), seq_len=1, overhead=0)
    return sum(r["per_gpu"][c] for c in _STATES) / count_params(m).total


def zero_table(preset: str = "llama-3-8b", dp: int = 64) -> str:
    m = get_preset(preset)
    total = count_params(m).total
    rows = []
    for z, paper in enumerate(ZERO_PAPER_GB):
        per = state_bytes_per_param_sharded(preset, dp, z)
        rows.append((f"ZeRO-{z}" if z else "no sharding", f"{per:.4f}", f"{per * 7.5:.1f}", paper,
                     gib(per * total)))
    return table(("stage", f"bytes/param per GPU ($N_d = {dp}$)", "7.5B model, GB (ours)",
                  "7.5B model, GB (Rajbhandari et al., Fig. 1)", f"{preset} per GPU"), rows)


def fits(preset: str, seq: int, layout: str, gpu: str, recompute: str = "none") -> str:
    """Whether the training total plus the default framework overhead fits the GPU's memory."""
    from cookbook.hardware import get_gpu
    from cookbook.memory import DEFAULT_OVERHEAD
    r = training_memory(get_preset(preset), LAYOUTS[layout], seq_len=seq, recompute=recompute)
    cap = get_gpu(gpu).hbm_bytes
    verdict = "yes" if r["total"] <= cap else "no"
    return (f"{verdict}: {gib(r['total'])} per GPU including {gib(DEFAULT_OVERHEAD)} of framework overhead, "
            f"against {gib(cap)} on an {gpu}")


def capacity(gpu: str) -> str:
    from cookbook.hardware import get_gpu
    return gib(get_gpu(gpu).hbm_bytes)


def layer_terms_table(preset: str, seq: int, attention: str = "flash", batch: int = 1) -> str:
    """What one layer saves for the backward pass, tensor by tensor (cookbook.activations, HF model)."""
    from cookbook.activations import hf_layer_terms
    terms = hf_layer_terms(get_preset(preset), 0, batch, seq, 2, attention)
    total = sum(t.nbytes for t in terms)
    rows = [(t.name, gib(t.nbytes), pct(t.nbytes / total), "yes" if t.tp else "no") for t in terms]
    rows.append(("**one layer**", f"**{gib(total)}**", pct(1.0), ""))
    return table(("saved tensor", "bytes", "share", "split by TP"), rows, "lrrl") + (
        f"\n\n{preset}, layer 0, $B = {batch}$, $S = {seq}$, bf16 activations, {attention} attention.")
