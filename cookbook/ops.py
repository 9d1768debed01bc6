"""FLOPs and bytes of single operations as the benchmarks in ``bench/`` count them (GEMMs: ``cookbook.gemm``).

FLOPs, not MACs: one multiply-add is 2 FLOPs. Exact Python integers.

* Attention core (QK^T and PV only; softmax, scaling and masking are not counted), self-attention of S tokens,
  H query heads (GQA shares K/V, it does not reduce the matmuls), per convention:

  - ``fa2``: flash-attention ``benchmarks/benchmark_flash_attention.py``: forward ``4 B S^2 H d`` (generalised
    to ``2 B H S^2 (d_qk + d_v)``), causal halves it (integer division), backward = 2.5 x forward (rounded
    down), forward+backward = 3.5 x forward. The numbers most published attention TFLOP/s use.
  - ``model``: ``cookbook.flops``' convention: causal counts the exact lower triangle S(S+1)/2 pairs per head
    (``cookbook.flops.attention_pairs``), backward = 2 x forward (model FLOPs, as in MFU).
  - ``hardware``: the same pairs; backward counts the five matmuls a flash backward runs, including the
    recompute of QK^T: ``2 B H pairs (3 d_qk + 2 d_v)`` (2.5 x forward when d_qk = d_v).

* Memory bandwidth kernels (BabelStream convention, no write-allocate traffic): copy ``2 N w``, scale ``2 N w``,
  add ``3 N w``, triad ``3 N w``, dot ``2 N w`` bytes for N elements of w bytes.
"""

from __future__ import annotations

from cookbook.errors import CookbookError
from cookbook.flops import attention_core_flops, attention_pairs

__all__ = ["attention_flops", "ATTENTION_CONVENTIONS", "ATTENTION_PASSES", "stream_bytes", "STREAM_KERNELS"]

ATTENTION_CONVENTIONS = ("fa2", "model", "hardware")
ATTENTION_PASSES = ("fwd", "bwd", "fwd_bwd")
STREAM_KERNELS = {"copy": 2, "scale": 2, "add": 3, "triad": 3, "dot": 2}


def _pos(name: str, v) -> None:
    if not isinstance(v, int) or isinstance(v, bool) or v < 1:
        raise CookbookError(f"{name} must be a positive integer, got {v!r}")


def attention_flops(batch: int, heads: int, seq: int, d_qk: int, d_v: int | None = None, causal: bool = False,
                    convention: str = "fa2", pass_: str = "fwd") -> int:
    """Attention-core FLOPs of one self-attention call for ``pass_`` in fwd / bwd / fwd_bwd; see module doc."""
    d_v = d_qk if d_v is None else d_v
    for name, v in (("batch", batch), ("heads", heads), ("seq", seq), ("d_qk", d_qk), ("d_v", d_v)):
        _pos(name, v)
    if convention not in ATTENTION_CONVENTIONS:
        raise CookbookError(f"attention FLOP convention must be one of {', '.join(ATTENTION_CONVENTIONS)}; "
                            f"got {convention!r}")
    if pass_ not in ATTENTION_PASSES:
        raise CookbookError(f"pass must be one of {', '.join(ATTENTION_PASSES)}; got {pass_!r}")
    if convention == "fa2":
        fwd = 2 * batch * heads * seq * seq * (d_qk + d_v) // (2 if causal else 1)
        bwd = fwd * 5 // 2
    else:
        pairs = batch * heads * attention_pairs(seq, None, "causal" if causal else "full")
        fwd = sum(attention_core_flops(pairs, d_qk, d_v))
        bwd = 2 * fwd if convention == "model" else 2 * pairs * (3 * d_qk + 2 * d_v)
    return {"fwd": fwd, "bwd": bwd, "fwd_bwd": fwd + bwd}[pass_]


def stream_bytes(kernel: str, numel: int, elem_size: int) -> int:
    """Bytes a STREAM kernel moves over ``numel`` elements of ``elem_size`` bytes (BabelStream convention)."""
    if kernel not in STREAM_KERNELS:
        raise CookbookError(f"unknown memory kernel {kernel!r}; known: {', '.join(STREAM_KERNELS)}")
    _pos("numel", numel)
    _pos("elem_size", elem_size)
    return STREAM_KERNELS[kernel] * numel * elem_size
