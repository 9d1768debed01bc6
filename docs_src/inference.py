"""Numbers of the inference chapter (docs/chapters/inference.md), from cookbook.inference_time, cookbook.efficiency,
cookbook.kv_cache, cookbook.inference_memory, cookbook.roofline and cookbook.hardware."""

from __future__ import annotations

from cookbook.efficiency import Efficiency, efficiency_for
from cookbook.hardware import get_gpu
from cookbook.inference_memory import weight_bytes
from cookbook.inference_time import crossover_batch, decode_step_time, prefill_time, request_time
from cookbook.kv_cache import kv_cache_bytes
from cookbook.presets import get_preset
from cookbook.roofline import ridge_point
from cookbook.units import seconds

from docs_src._fmt import gib, n, pct, si, table

# the pure roofline: datasheet peaks, no efficiency loss, no collective latency (a lower bound on time)
IDEAL = Efficiency(matmul=1.0, hbm=1.0, intra_link=1.0, inter_link=1.0, collective_latency=0.0,
                   sources=tuple((k, "ideal: datasheet peak") for k in ("matmul", "hbm", "intra_link", "inter_link")))


def _sums(r: dict) -> tuple:
    ops = r["ops"].values()
    return sum(o["flops"] for o in ops), sum(o["bytes"] for o in ops)


def _memory_share(r: dict) -> str:
    mem = sum(o["seconds"] for o in r["ops"].values() if o["bound"] == "memory")
    return pct(mem / r["seconds"], 0)


def phases_table(preset: str, gpu: str, prompt: int, batch: int = 1) -> str:
    m, g = get_preset(preset), get_gpu(gpu)
    rows = []
    for label, fn, arg in (("prefill", prefill_time, prompt), ("one decode step", decode_step_time, prompt)):
        ideal, real = fn(m, g, batch, arg, efficiency=IDEAL), fn(m, g, batch, arg)
        flops, nbytes = _sums(ideal)
        tokens = batch * prompt if fn is prefill_time else batch
        rows.append((label, si(flops, "FLOP"), gib(nbytes), f"{flops / nbytes:.1f}", seconds(ideal["seconds"]),
                     _memory_share(ideal), seconds(real["seconds"]), f"{tokens / ideal['seconds']:,.0f}"))
    return table(("phase", "FLOPs", "bytes", "FLOPs/byte", "roofline time", "of it memory-bound", "with published "
                  "efficiencies", "tokens/s (roofline)"), rows) + (
        f"\n\n{preset} on one {gpu}, bf16 weights and KV cache, batch {batch}, prompt {prompt} tokens.")


def ridge(gpu: str, dtype: str = "bf16") -> str:
    g = get_gpu(gpu)
    return f"{ridge_point(g.peak(dtype), g.hbm_bandwidth):.0f}"


def efficiency_table(gpu: str) -> str:
    e = efficiency_for(get_gpu(gpu))
    return table(("factor", "value", "source"), [(k, pct(v["value"], 1) if k != "collective_latency" else
                                                   seconds(v["value"]), v["source"]) for k, v in e.as_dict().items()],
                 "lrl")


def kv_table(names=("llama-2-7b", "llama-3-8b", "llama-3.1-70b", "falcon-7b", "mistral-7b-v0.1", "mixtral-8x7b",
                    "qwen2.5-7b", "gemma-2-9b", "gemma-3-27b", "gpt-oss-120b", "deepseek-v3"),
             contexts=(1, 8192, 131072)) -> str:
    rows = []
    for name in names:
        m = get_preset(name)
        per = [kv_cache_bytes(m, 1, c)["total"] for c in contexts]
        k, dh = ("-", "-") if m.mla is not None else (m.kv_heads, m.head_size)
        rows.append((f"`{name}`", _attention_kind(m), m.num_layers, k, dh, n(per[0]), *[gib(b) for b in per[1:]]))
    heads = ("preset", "attention", "$L$", "$K$", "$d_h$", "bytes, first token") + tuple(
        f"{c:,} tokens".replace(",", " ") for c in contexts[1:])
    return table(heads, rows, "llrrrrrr") + (
        "\n\nOne sequence, bf16. Sliding-window layers keep at most $W - 1$ tokens (the transformers cache "
        "convention of `cookbook.kv_cache`); an MLA layer caches its compressed latent and rotary key, not $K$ heads.")


def _attention_kind(m) -> str:
    if m.mla is not None:
        return "MLA latent"
    kind = "MHA" if m.kv_heads == m.num_heads else ("MQA" if m.kv_heads == 1 else "GQA")
    sliding = sum(1 for i in range(m.num_layers) if m.attention_window(i) is not None)
    return kind + (f", {sliding}/{m.num_layers} layers window {m.sliding_window}" if sliding else "")


def kv_bytes(preset: str, batch: int, context: int, dtype: str = "bf16") -> str:
    return gib(kv_cache_bytes(get_preset(preset), batch, context, dtype)["total"])


def kv_per_token(preset: str) -> str:
    return n(kv_cache_bytes(get_preset(preset), 1, 1)["total"])


def mha_kv_ratio(preset: str) -> str:
    m = get_preset(preset)
    mha = m.replace(num_kv_heads=m.num_heads)
    return f"{kv_cache_bytes(mha, 1, 1)['total'] / kv_cache_bytes(m, 1, 1)['total']:.0f}"


def batch_sweep(preset: str, gpu: str, context: int, batches=(1, 8, 32, 64, 128, 256, 512)) -> str:
    m, g = get_preset(preset), get_gpu(gpu)
    weights = weight_bytes(m)["total"]
    rows = []
    for b in batches:
        r = decode_step_time(m, g, b, context, efficiency=IDEAL)
        flops, nbytes = _sums(r)
        kv = kv_cache_bytes(m, b, context)["total"]
        rows.append((b, f"{flops / nbytes:.1f}", seconds(r["seconds"]), f"{b / r['seconds']:,.0f}",
                     f"{1 / r['seconds']:,.1f}", gib(kv), "yes" if weights + kv <= g.hbm_bytes else "no"))
    return table(("batch", "FLOPs/byte", "step time", "tokens/s (all)", "tokens/s per sequence", "KV cache",
                  "weights + KV fit"), rows, "rrrrrrl") + (
        f"\n\n{preset} on {gpu} (ridge point {ridge(gpu)} FLOPs/byte, {gib(g.hbm_bytes)} of HBM), one decode step at "
        f"{context} cached tokens, bf16, roofline (no efficiency loss).")


def critical_batch(preset: str, gpu: str) -> str:
    return f"{crossover_batch(get_preset(preset), get_gpu(gpu), efficiency=IDEAL):.0f}"


def decode_latency(preset: str, gpu: str, batch: int, context: int, tp: int = 1) -> str:
    r = decode_step_time(get_preset(preset), get_gpu(gpu), batch, context, tp=tp, efficiency=IDEAL)
    return f"{seconds(r['seconds'])} per token ({batch / r['seconds']:,.0f} tokens/s)"


def tp_comm_share(preset: str, gpu: str, batch: int, context: int, tp: int) -> str:
    r = decode_step_time(get_preset(preset), get_gpu(gpu), batch, context, tp=tp)
    return (f"{seconds(r['seconds'])} per token with published efficiencies, of which {seconds(r['tp_comm'])} "
            "is the all-reduces")


def weights_gib(preset: str, dtype: str = "bf16") -> str:
    return gib(weight_bytes(get_preset(preset), dtype)["total"])


def request_table(preset: str, gpu: str, prompt: int, output: int, batches=(1, 32)) -> str:
    m, g = get_preset(preset), get_gpu(gpu)
    rows = []
    for b in batches:
        for label, eff in (("roofline", IDEAL), ("published efficiencies", None)):
            r = request_time(m, g, b, prompt, output, efficiency=eff)
            rows.append((b, label, seconds(r["ttft"]), seconds(r["tpot"]), seconds(r["e2e"]),
                         f"{r['output_tokens_per_second']:,.0f}"))
    return table(("batch", "model", "time to first token", "time per output token", "request time",
                  "output tokens/s"), rows, "rlrrrr") + (
        f"\n\n{preset} on {gpu}, {prompt}-token prompts, {output} output tokens, bf16, static batching.")


def fit_sequences(preset: str, gpu: str, context: int) -> str:
    m, g = get_preset(preset), get_gpu(gpu)
    w = weight_bytes(m)["total"]
    per = kv_cache_bytes(m, 1, context)["total"]
    return (f"{gib(g.hbm_bytes - w)} left after {gib(w)} of bf16 weights, {gib(per)} of KV cache per sequence: at "
            f"most {(g.hbm_bytes - w) // per} sequences")


def ops_table(preset: str, gpu: str, batch: int, context: int) -> str:
    """One decode step, operation by operation (all layers summed), on the roofline."""
    r = decode_step_time(get_preset(preset), get_gpu(gpu), batch, context, efficiency=IDEAL)
    rows = [(f"`{k}`", si(o["flops"], "FLOP"), gib(o["bytes"]), f"{o['flops'] / o['bytes']:.1f}" if o["bytes"] else "",
             seconds(o["seconds"]), o["bound"], pct(o["seconds"] / r["seconds"])) for k, o in r["ops"].items()]
    rows.append(("**step**", "", "", "", f"**{seconds(r['seconds'])}**", "", pct(1.0)))
    return table(("operation", "FLOPs", "bytes", "FLOPs/byte", "time", "bound", "share"), rows, "lrrrrlr") + (
        f"\n\n{preset} on {gpu}, batch {batch}, {context} cached tokens, bf16; every layer's matrices summed.")
