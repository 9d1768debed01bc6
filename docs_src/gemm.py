"""Numbers of the GEMM sizing chapter (docs/chapters/gemm.md), from cookbook.gemm, cookbook.roofline, cookbook.hardware."""

from __future__ import annotations

from cookbook.gemm import SM_COUNTS, alignment_multiple, arithmetic_intensity, layer_gemms, logits_gemm, \
    pad_to_multiple, quantization
from cookbook.hardware import get_gpu
from cookbook.params import count_params
from cookbook.presets import get_preset
from cookbook.roofline import ridge_point

from docs_src._fmt import n, pct, si, table

DTYPE_BYTES = {"fp8/int8": 1, "fp16/bf16": 2, "tf32": 4, "fp64": 8}


def ridge(gpu: str, dtype: str = "bf16") -> str:
    g = get_gpu(gpu)
    return f"{ridge_point(g.peak(dtype), g.hbm_bandwidth):.0f}"


def ridge_table(gpus=("A100-80GB-SXM", "H100-SXM", "H200-SXM", "B200", "MI300X")) -> str:
    rows = []
    for name in gpus:
        g = get_gpu(name)
        rows.append((name, si(g.peak("bf16"), "FLOP/s"), si(g.hbm_bandwidth, "B/s"),
                     f"{ridge_point(g.peak('bf16'), g.hbm_bandwidth):.0f}"))
    return table(("GPU", "bf16 dense peak", "HBM bandwidth", "ridge point (FLOPs/byte)"), rows)


def intensity(m: int, n_: int, k: int, element_bytes: int = 2) -> str:
    return f"{arithmetic_intensity(m, n_, k, element_bytes):.1f}"


def intensity_table(gpu: str = "H100-SXM") -> str:
    g = get_gpu(gpu)
    r = ridge_point(g.peak("bf16"), g.hbm_bandwidth)
    shapes = [("NVIDIA guide example", 8192, 128, 8192), ("square", 8192, 8192, 8192),
              ("linear layer, batch 512", 512, 4096, 1024), ("linear layer, batch 1 (decode)", 1, 4096, 1024),
              ("Llama-3-8B MLP up, 8 tokens", 8, 28672, 4096), ("Llama-3-8B MLP up, 4096 tokens", 4096, 28672, 4096)]
    rows = []
    for label, m, n_, k in shapes:
        ai = arithmetic_intensity(m, n_, k, 2)
        rows.append((label, f"{m} x {n_} x {k}", f"{ai:.1f}", "compute" if ai >= r else "memory"))
    return table(("GEMM", "M x N x K", "FLOPs/byte (2-byte elements)", f"bound on {gpu} (ridge {r:.0f})"), rows,
                 "lrrl")


def alignment_table() -> str:
    rows = [(dt, b, alignment_multiple(b, "v100"), alignment_multiple(b, "a100")) for dt, b in DTYPE_BYTES.items()]
    return table(("data type", "bytes", "multiple of (16 bytes)", "multiple of (128 bytes, A100 and later)"), rows)


def sm_table() -> str:
    return table(("GPU", "SMs", "source"), [(k, v[0], v[1]) for k, v in SM_COUNTS.items()], "lrl")


def wave_sweep(gpu: str = "A100-80GB-SXM", m: int = 2304, tile_m: int = 256, tile_n: int = 128,
               ns=(1280, 1408, 1536, 1537, 1664, 1792, 3072, 3073)) -> str:
    sms = SM_COUNTS[gpu][0]
    rows = []
    for n_ in ns:
        q = quantization(m, n_, tile_m, tile_n, sms)
        rows.append((n_, q.tiles, q.waves, pct(q.tile_efficiency), pct(q.wave_efficiency), pct(q.efficiency)))
    return table(("N", "tiles", "waves", "tile efficiency", "wave efficiency", "overall"), rows)


def tile_sweep(m: int = 4096, tile: int = 128, ns=(4096, 4097, 4160, 4224, 4352)) -> str:
    rows = []
    for n_ in ns:
        q = quantization(m, n_, tile, tile, 10**6)
        rows.append((n_, q.tiles, pct(q.tile_efficiency)))
    return table(("N", f"{tile}x{tile} tiles (M = {m})", "tile efficiency"), rows)


def layer_table(preset: str, batch: int, seq: int, tp: int = 1, gpu: str = "H100-SXM", tile_m: int = 128,
                tile_n: int = 256) -> str:
    m = get_preset(preset)
    sms = SM_COUNTS[gpu][0]
    g = get_gpu(gpu)
    r = ridge_point(g.peak("bf16"), g.hbm_bandwidth)
    rows = []
    gemms = layer_gemms(m, batch, seq, tp) + (logits_gemm(m, batch, seq, tp),)
    for gm in gemms:
        q = quantization(gm.m, gm.n, tile_m, tile_n, sms, batch=gm.batch)
        ai = gm.intensity(2)
        aligned = all(x % alignment_multiple(2) == 0 for x in (gm.m, gm.n, gm.k))
        rows.append((f"`{gm.name}`", f"{gm.batch} x" if gm.batch > 1 else "", gm.m, gm.n, gm.k, si(gm.flops, "FLOP"),
                     f"{ai:.0f}", "yes" if aligned else "**no**", q.waves, pct(q.efficiency)))
    return table(("GEMM", "batch", "M", "N", "K", "FLOPs", "FLOPs/byte", "64-aligned", "waves", "tile x wave eff."),
                 rows, "llrrrrrlrr") + (f"\n\nWaves on {gpu} ({sms} SMs) with {tile_m}x{tile_n} tiles, one per SM; "
                                        f"bf16 ridge point {r:.0f} FLOPs/byte.")


def layer_flops_total(preset: str, batch: int, seq: int) -> str:
    m = get_preset(preset)
    return n(m.num_layers * sum(g.flops for g in layer_gemms(m, batch, seq)) + logits_gemm(m, batch, seq).flops)


def vocab_padding(preset: str, multiple: int = 64) -> str:
    m = get_preset(preset)
    padded = pad_to_multiple(m.vocab_rows, multiple)
    extra = count_params(m.replace(padded_vocab_size=padded)).total - count_params(m).total
    return (f"$V = {m.vocab_rows}$ pads to {n(padded)} (a multiple of {multiple}), {padded - m.vocab_rows} extra rows, "
            f"{n(extra)} extra parameters")


def aligned(dim: int, element_bytes: int = 2, rule: str = "a100") -> str:
    mult = alignment_multiple(element_bytes, rule)
    return f"{dim} = {dim // mult} x {mult} + {dim % mult}" + (" (aligned)" if dim % mult == 0 else " (not aligned)")


def wave_answer(preset: str, name: str, batch: int, seq: int, gpu: str, tile_m: int, tile_n: int) -> str:
    m = get_preset(preset)
    gm = {g.name: g for g in layer_gemms(m, batch, seq) + (logits_gemm(m, batch, seq),)}[name]
    q = quantization(gm.m, gm.n, tile_m, tile_n, SM_COUNTS[gpu][0], batch=gm.batch)
    return (f"$M \\times N = {gm.m} \\times {gm.n}$ gives {q.tiles} tiles of {tile_m}x{tile_n}; with "
            f"{SM_COUNTS[gpu][0]} SMs that is {q.waves} waves; wave efficiency {pct(q.wave_efficiency)}, "
            f"tile efficiency {pct(q.tile_efficiency)}")


def tp_slice(preset: str, tp: int, element_bytes: int = 2) -> str:
    """Whether the lm_head's per-GPU slice V/t is aligned, and the padding multiple that makes every slice aligned."""
    m = get_preset(preset)
    mult = alignment_multiple(element_bytes)
    n_ = logits_gemm(m, 1, 1, tp).n
    verdict = "Yes" if n_ % mult == 0 else "No"
    return (f"{verdict}: each GPU gets $N = {m.vocab_rows} / {tp} = {n_}$, and {aligned(n_, element_bytes)}. "
            f"Padding the vocabulary to a multiple of ${mult} \\cdot {tp} = {mult * tp}$ "
            f"(here {n(pad_to_multiple(m.vocab_rows, mult * tp))}) makes every slice aligned.")


AUDIT = ("gpt2", "gpt3-175b", "pythia-6.9b", "opt-6.7b", "bloom-7b1", "llama-2-7b", "llama-3-8b", "mistral-7b-v0.1",
         "qwen2.5-7b", "gemma-2-9b", "falcon-7b", "phi-3-mini")


def _mark(dim: int, mult: int) -> str:
    return str(dim) if dim % mult == 0 else f"**{dim}**"


def alignment_audit(names=AUDIT, tp: int = 8, element_bytes: int = 2) -> str:
    """Model dimensions that are not multiples of the A100+ Tensor Core unit (64 for 2-byte types) in bold."""
    mult = alignment_multiple(element_bytes)
    rows = []
    for name in names:
        m = get_preset(name)
        rows.append((f"`{name}`", _mark(m.hidden_size, mult), _mark(m.ffn, mult), _mark(m.head_size, mult),
                     _mark(m.vocab_rows, mult), _mark(m.ffn // tp, mult) if m.ffn % tp == 0 else "n/a",
                     _mark(m.vocab_rows // tp, mult) if m.vocab_rows % tp == 0 else f"**{m.vocab_rows}/{tp}**"))
    return table(("preset", "$D$", "$F$", "$d_h$", "$V$ (rows)", f"$F/{tp}$", f"$V/{tp}$"), rows) + (
        f"\n\nBold: not a multiple of {mult} elements ({mult * element_bytes} bytes, the A100-and-later rule); "
        f"the last two columns are one GPU's slice with tensor parallelism over {tp}.")
