"""The roofline model: the time of an operation bounded by compute and by memory traffic.

Williams, Waterman and Patterson 2009, "Roofline: an insightful visual performance model". An operation doing
``flops`` FLOPs and moving ``nbytes`` bytes on a device with peak ``peak`` FLOP/s and memory bandwidth ``bandwidth``
bytes/s takes at least max(flops / peak, nbytes / bandwidth) seconds. Its arithmetic intensity is flops / nbytes;
the device's ridge point (NVIDIA's "ops:byte ratio") is peak / bandwidth: below it the operation is memory-bound,
above it compute-bound. Lower bounds only: no overlap losses, launch latency or efficiency below peak.

Inference steps (``decode_step``, ``prefill_step``; Pope et al. 2022, section 2; kipply 2022): a step reads every
weight it multiplies from HBM once, shared by the whole batch, and reads the KV cache of every sequence. Counted:
all parameters except an untied token embedding (a lookup reads only B rows of it), at ``weight_dtype``; the KV
cache after the step (cookbook.kv_cache, causal attention, one new token per sequence for decode); FLOPs from
cookbook.flops with causal attention and, for prefill, logits of the last position only (what serving engines
compute). Not counted: activations (O(B*D) per layer in decode), kernel launch and communication time.
Dense models only: which experts a batch touches in an MoE layer depends on the routing.
"""

from __future__ import annotations

from cookbook.dtypes import nbytes
from cookbook.errors import CookbookError
from cookbook.flops import decode_flops, forward_flops
from cookbook.hardware import GPU
from cookbook.kv_cache import kv_cache_bytes
from cookbook.model import ModelConfig
from cookbook.params import count_params

__all__ = ["ridge_point", "attainable", "roofline_time", "bound", "weight_read_bytes", "decode_step",
           "prefill_step"]


def _pos(name: str, v) -> None:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0 or v == float("inf"):
        raise CookbookError(f"{name} must be a positive finite number, got {v!r}")


def ridge_point(peak: float, bandwidth: float) -> float:
    """FLOPs per byte at which compute time equals memory time: peak / bandwidth."""
    _pos("peak", peak)
    _pos("bandwidth", bandwidth)
    return peak / bandwidth


def attainable(intensity: float, peak: float, bandwidth: float) -> float:
    """Best FLOP/s at ``intensity`` FLOPs/byte: min(peak, intensity x bandwidth)."""
    _pos("intensity", intensity)
    ridge_point(peak, bandwidth)  # validates both
    return min(peak, intensity * bandwidth)


def roofline_time(flops: float, nbytes: float, peak: float, bandwidth: float) -> float:
    """Lower bound on seconds: max(flops / peak, nbytes / bandwidth)."""
    _pos("peak", peak)
    _pos("bandwidth", bandwidth)
    if flops < 0 or nbytes < 0:
        raise CookbookError(f"flops and nbytes must be >= 0, got {flops!r} and {nbytes!r}")
    return max(flops / peak, nbytes / bandwidth)


def bound(flops: float, nbytes: float, peak: float, bandwidth: float) -> str:
    """``"compute"`` or ``"memory"``: which term of the roofline is larger (ties count as compute)."""
    roofline_time(flops, nbytes, peak, bandwidth)  # validates the inputs
    return "compute" if flops / peak >= nbytes / bandwidth else "memory"


def weight_read_bytes(m: ModelConfig, weight_dtype: str = "bf16", tp: int = 1) -> int:
    """HBM bytes of weights one forward step reads on one GPU: all parameters but an untied embedding table."""
    if m.moe is not None:
        raise CookbookError("the inference roofline covers dense models; MoE weight traffic depends on routing")
    pc = count_params(m)
    skip = 0 if m.tie_embeddings else pc.breakdown["embedding"]
    return -(-nbytes(pc.total - skip, weight_dtype) // tp)


def _step(flops: int, nbytes_: int, gpu: GPU, dtype: str, tokens: int) -> dict:
    peak, bw = gpu.peak(dtype), gpu.hbm_bandwidth
    t = roofline_time(flops, nbytes_, peak, bw)
    return {"flops": flops, "bytes": nbytes_, "intensity": flops / nbytes_, "seconds": t,
            "compute_seconds": flops / peak, "memory_seconds": nbytes_ / bw, "bound": bound(flops, nbytes_, peak, bw),
            "tokens_per_second": tokens / t}


def decode_step(m: ModelConfig, gpu: GPU, batch: int, context: int, weight_dtype: str = "bf16",
                kv_dtype: str = "bf16", dtype: str = "bf16", tp: int = 1) -> dict:
    """Roofline of one decode step: ``batch`` sequences with ``context`` cached tokens each generate one token.

    Returns flops, bytes (weights + KV cache), intensity, seconds (lower bound), the compute and memory terms,
    bound ("compute" or "memory") and tokens_per_second (batch / seconds). ``tp``: per GPU of a TP group.
    """
    flops = -(-decode_flops(m, context, batch, "causal").total // tp)
    kv = kv_cache_bytes(m, batch, context + 1, kv_dtype, tp)["total"]
    return _step(flops, weight_read_bytes(m, weight_dtype, tp) + kv, gpu, dtype, batch)


def prefill_step(m: ModelConfig, gpu: GPU, batch: int, prompt: int, weight_dtype: str = "bf16",
                 kv_dtype: str = "bf16", dtype: str = "bf16", tp: int = 1) -> dict:
    """Roofline of the prefill of ``batch`` prompts of ``prompt`` tokens (writes their KV cache)."""
    flops = -(-forward_flops(m, batch, prompt, "causal", logits="last").total // tp)
    kv = kv_cache_bytes(m, batch, prompt, kv_dtype, tp)["total"]
    return _step(flops, weight_read_bytes(m, weight_dtype, tp) + kv, gpu, dtype, batch * prompt)
