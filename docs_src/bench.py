"""Numbers of the benchmarks chapter (docs/chapters/benchmarks.md): the conversions the bench/ harness applies,
from cookbook.gemm, cookbook.ops, cookbook.comm, cookbook.flops and cookbook.hardware."""

from __future__ import annotations

from cookbook.comm import busbw_factor
from cookbook.flops import forward_flops
from cookbook.gemm import gemm_flops, layer_gemms
from cookbook.hardware import get_gpu
from cookbook.ops import ATTENTION_CONVENTIONS, STREAM_KERNELS, attention_flops, stream_bytes
from cookbook.presets import get_preset

from docs_src._fmt import pct, si, table

# Figures PUBLISHED ELSEWHERE (comparison targets, not our measurements): (what, value, unit, gpu, dtype, source)
PUBLISHED = [
    ("BF16 MAMF, best shape 2048 x 2048 x 13312", 794.5e12, "FLOP/s", "H100-SXM", "bf16",
     "ml-engineering compute/accelerator/README.md (mamf-finder v2, torch 2.7.0)"),
    ("FP8 MAMF, best shape 1280 x 4096 x 12032", 1453.4e12, "FLOP/s", "H200-SXM", "fp8",
     "ml-engineering compute/accelerator/README.md (torch 2.7.1)"),
    ("HBM copy (BabelStream)", 2.90e12, "B/s", "H100-SXM", None, "Azure AI-benchmarking-guide, ND H100 v5"),
    ("HBM copy (BabelStream)", 4.01e12, "B/s", "H200-SXM", None, "Azure AI-benchmarking-guide, ND H200 v5"),
    ("8-GPU all-reduce busbw, NVLS, 8 GiB", 479.98e9, "B/s", "H200-SXM", "nvlink",
     "Azure AI-benchmarking-guide, ND H200 v5, nccl-tests"),
    ("8-GPU all-gather busbw, ring, 16 GiB", 361.4e9, "B/s", "H200-SXM", "nvlink", "ml-engineering network/README.md"),
]


def published_table() -> str:
    rows = []
    for what, value, unit, gpu, kind, source in PUBLISHED:
        g = get_gpu(gpu)
        spec = g.hbm_bandwidth if kind is None else (g.intra_node_bandwidth if kind == "nvlink" else g.peak(kind))
        rows.append((what, gpu, si(value, unit), si(spec, unit), pct(value / spec), source))
    return table(("measurement", "GPU", "published value", "datasheet (cookbook.hardware)", "ratio", "source"),
                 rows, "llrrrl")


def attention_table(batch: int = 1, heads: int = 32, seq: int = 4096, d: int = 128) -> str:
    rows = []
    for conv in ATTENTION_CONVENTIONS:
        for causal in (False, True):
            rows.append((f"`{conv}`", "causal" if causal else "full",
                         *[si(attention_flops(batch, heads, seq, d, causal=causal, convention=conv, pass_=p), "FLOP")
                           for p in ("fwd", "bwd", "fwd_bwd")]))
    return table(("convention", "mask", "forward", "backward", "forward + backward"), rows, "llrrr") + (
        f"\n\nOne attention call, $B = {batch}$, $H = {heads}$, $S = {seq}$, $d_h = {d}$.")


def stream_table(numel: int = 1 << 28, elem: int = 4) -> str:
    rows = [(f"`{k}`", v, si(stream_bytes(k, numel, elem), "B")) for k, v in STREAM_KERNELS.items()]
    return table(("kernel", "arrays touched", f"bytes for {numel:,} fp32 elements".replace(",", " ")), rows)


def gemm_time(m: int, n: int, k: int, flops_per_s: float) -> str:
    from cookbook.units import seconds
    return f"{si(gemm_flops(m, n, k), 'FLOP')} in {seconds(gemm_flops(m, n, k) / flops_per_s)}"


def layer_shapes(preset: str, batch: int, seq: int) -> str:
    gs = layer_gemms(get_preset(preset), batch, seq)
    return ", ".join(f"`{g.name}` {g.m} x {g.n} x {g.k}" + (f" (x {g.batch})" if g.batch > 1 else "") for g in gs)


def layer_flops(preset: str, batch: int, seq: int) -> str:
    f = forward_flops(get_preset(preset), batch, seq, attention="causal").layers[0]
    return f"{si(f, 'FLOP')} forward, {si(3 * f, 'FLOP')} forward + backward"


def busbw_example(n: int, size: int, seconds_: float) -> str:
    alg = size / seconds_
    return (f"algbw $= S/t =$ {si(alg, 'B/s')}, busbw $=$ algbw $\\times {busbw_factor('all_reduce', n)}$ $=$ "
            f"{si(alg * float(busbw_factor('all_reduce', n)), 'B/s')}")


def gemm_rate(m: int, n: int, k: int, t: float, gpu: str, dtype: str = "bf16") -> str:
    rate = gemm_flops(m, n, k) / t
    return f"{si(gemm_flops(m, n, k), 'FLOP')} / {t * 1e3:g} ms = {si(rate, 'FLOP/s')}, {pct(rate / get_gpu(gpu).peak(dtype))} of the {gpu} dense {dtype} peak"


def attention_model_rate(rate_fa2: float, batch: int = 1, heads: int = 32, seq: int = 4096, d: int = 128) -> str:
    fa2 = attention_flops(batch, heads, seq, d, causal=True, convention="fa2", pass_="fwd_bwd")
    model = attention_flops(batch, heads, seq, d, causal=True, convention="model", pass_="fwd_bwd")
    return f"{si(rate_fa2 * model / fa2, 'FLOP/s')} (the same time, {model / fa2:.3f} times the FLOPs)"


def stream_rate(kernel: str, numel: int, elem: int, t: float, gpu: str) -> str:
    b = stream_bytes(kernel, numel, elem)
    return f"{si(b, 'B')} / {t * 1e3:g} ms = {si(b / t, 'B/s')}, {pct(b / t / get_gpu(gpu).hbm_bandwidth)} of the datasheet"
