"""Numbers of the inference chapter (docs/chapters/inference.md), from cookbook.roofline, cookbook.kv_cache,
cookbook.flops, cookbook.dtypes and cookbook.hardware."""

from __future__ import annotations

from cookbook.dtypes import nbytes
from cookbook.hardware import get_gpu
from cookbook.kv_cache import kv_cache_bytes
from cookbook.params import count_params
from cookbook.presets import get_preset
from cookbook.roofline import decode_step, prefill_step, ridge_point, weight_read_bytes
from cookbook.units import seconds

from docs_src._fmt import gib, n, si, table


def phases_table(preset: str, gpu: str, prompt: int, batch: int = 1) -> str:
    m, g = get_preset(preset), get_gpu(gpu)
    rows = []
    for label, r in (("prefill", prefill_step(m, g, batch, prompt)), ("one decode step", decode_step(m, g, batch, prompt))):
        rows.append((label, si(r["flops"], "FLOP"), gib(r["bytes"]), f"{r['intensity']:.1f}", seconds(r["seconds"]),
                     r["bound"], f"{r['tokens_per_second']:,.0f}"))
    return table(("phase", "FLOPs", "bytes read/written", "FLOPs/byte", "time (lower bound)", "bound", "tokens/s"),
                 rows, "lrrrrlr") + f"\n\n{gpu}, bf16 weights and KV cache, batch {batch}, prompt {prompt} tokens."


KV_SHOWCASE = ("llama-2-7b", "llama-3-8b", "llama-3.1-70b", "falcon-7b", "mistral-7b-v0.1", "mixtral-8x7b",
               "qwen2.5-7b", "gemma-2-9b", "gemma-3-27b", "gpt-oss-120b", "deepseek-v3")


def _attention_kind(m) -> str:
    if m.mla is not None:
        return "MLA latent"
    kind = "MHA" if m.kv_heads == m.num_heads else ("MQA" if m.kv_heads == 1 else "GQA")
    sliding = sum(1 for i in range(m.num_layers) if m.attention_window(i) is not None)
    if sliding:
        kind += f", {sliding}/{m.num_layers} layers window {m.sliding_window}"
    return kind


def kv_table(names=KV_SHOWCASE, contexts=(1, 8192, 131072)) -> str:
    rows = []
    for name in names:
        m = get_preset(name)
        per = [kv_cache_bytes(m, 1, c)["total"] for c in contexts]
        k, dh = ("-", "-") if m.mla is not None else (m.kv_heads, m.head_size)
        rows.append((f"`{name}`", _attention_kind(m), m.num_layers, k, dh, n(per[0]),
                     *[gib(b) for b in per[1:]]))
    heads = ("preset", "attention", "$L$", "$K$", "$d_h$", "bytes, first token") + tuple(
        f"{c:,} tokens".replace(",", " ") for c in contexts[1:])
    return table(heads, rows, "llrrrrrr") + (
        "\n\nOne sequence, bf16. Sliding-window layers keep at most $W - 1$ tokens (the transformers cache "
        "convention of `cookbook.kv_cache`); an MLA layer caches its compressed latent and rotary key, not $K$ heads.")


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
    weights = nbytes(count_params(m).total, "bf16")
    rows = []
    for b in batches:
        r = decode_step(m, g, b, context)
        kv = kv_cache_bytes(m, b, context)["total"]
        fits = "yes" if weights + kv <= g.hbm_bytes else "no"
        rows.append((b, f"{r['intensity']:.1f}", seconds(r["seconds"]), f"{r['tokens_per_second']:,.0f}",
                     f"{r['tokens_per_second'] / b:,.1f}", r["bound"], gib(kv), fits))
    return table(("batch", "FLOPs/byte", "step time", "tokens/s (all)", "tokens/s per sequence", "bound",
                  "KV cache", "weights + KV fit"), rows, "rrrrrlrl") + (
        f"\n\n{preset} on {gpu} (ridge point {ridge(gpu)} FLOPs/byte, {gib(g.hbm_bytes)} of HBM), decode at "
        f"{context} cached tokens, bf16.")


def ridge(gpu: str, dtype: str = "bf16") -> str:
    g = get_gpu(gpu)
    return f"{ridge_point(g.peak(dtype), g.hbm_bandwidth):.0f}"


def critical_batch(preset: str, gpu: str, context: int = 0, limit: int = 1 << 16) -> str:
    """The smallest batch whose decode step is compute-bound (by doubling, then bisection)."""
    m, g = get_preset(preset), get_gpu(gpu)
    lo, hi = 1, 1
    while decode_step(m, g, hi, context)["bound"] == "memory":
        lo, hi = hi, hi * 2
        if hi > limit:
            return f"none up to {limit}"
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if decode_step(m, g, mid, context)["bound"] == "memory" else (lo, mid)
    return n(hi)


def decode_latency(preset: str, gpu: str, batch: int, context: int, tp: int = 1) -> str:
    r = decode_step(get_preset(preset), get_gpu(gpu), batch, context, tp=tp)
    return f"{seconds(r['seconds'])} per token ({r['tokens_per_second']:,.0f} tokens/s)"


def weights_gib(preset: str, dtype: str = "bf16") -> str:
    return gib(weight_read_bytes(get_preset(preset), dtype))


def request_table(preset: str, gpu: str, prompt: int, output: int, batches=(1, 32)) -> str:
    """Time to first token (prefill) and the whole request, summing the roofline of every decode step."""
    m, g = get_preset(preset), get_gpu(gpu)
    rows = []
    for b in batches:
        ttft = prefill_step(m, g, b, prompt)["seconds"]
        steps = [decode_step(m, g, b, c)["seconds"] for c in range(prompt, prompt + output - 1)]
        total = ttft + sum(steps)
        rows.append((b, seconds(ttft), seconds(sum(steps) / len(steps)), seconds(total),
                     f"{b * output / total:,.0f}"))
    return table(("batch", "time to first token", "time per output token", "request time", "output tokens/s"),
                 rows) + f"\n\n{preset} on {gpu}, {prompt}-token prompts, {output} output tokens, bf16, lower bounds."


def fit_sequences(preset: str, gpu: str, context: int) -> str:
    m, g = get_preset(preset), get_gpu(gpu)
    free = g.hbm_bytes - nbytes(count_params(m).total, "bf16")
    per = kv_cache_bytes(m, 1, context)["total"]
    return (f"{gib(free)} left after {gib(nbytes(count_params(m).total, 'bf16'))} of bf16 weights, "
            f"{gib(per)} of KV cache per sequence: at most {free // per} sequences")
