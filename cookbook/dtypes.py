"""Bytes per element of every storage type we model, and bytes of group-wise quantized tensors.

Sizes are kept in bits so int4 (half a byte) stays exact integer arithmetic. Group-wise quantization (GPTQ/AWQ
int4, bitsandbytes NF4, MX/FP8 block scales) stores one scale (and optionally one zero point) per ``group_size``
consecutive weights; QLoRA's double quantization (Dettmers et al. 2023, section 3) quantizes those fp32 scales
again to 8 bits with one fp32 scale per 256 of them.
"""

from __future__ import annotations

from cookbook.errors import CookbookError

__all__ = ["DTYPE_BITS", "DTYPES", "bits", "nbytes", "quantized_bytes", "nf4_bytes"]

DTYPE_BITS = {
    "fp64": 64, "fp32": 32, "tf32": 32, "bf16": 16, "fp16": 16,
    "fp8": 8, "fp8_e4m3": 8, "fp8_e5m2": 8, "int8": 8,
    "int4": 4, "nf4": 4, "fp4": 4,
}
DTYPES = tuple(DTYPE_BITS)
_ALIASES = {"float64": "fp64", "double": "fp64", "float32": "fp32", "float": "fp32", "bfloat16": "bf16", "float16": "fp16", "half": "fp16"}


def bits(dtype: str) -> int:
    """Bits per element of ``dtype`` (aliases such as ``bfloat16`` accepted)."""
    d = _ALIASES.get(dtype, dtype)
    if d not in DTYPE_BITS:
        raise CookbookError(f"unknown dtype {dtype!r}; known: {', '.join(DTYPES)}")
    return DTYPE_BITS[d]


def nbytes(n: int, dtype: str) -> int:
    """Bytes of ``n`` elements of ``dtype``, rounded up to a whole byte (exact integer)."""
    return -(-n * bits(dtype) // 8)


def quantized_bytes(n: int, dtype: str, group_size: int = 0, scale_dtype: str = "bf16",
                    zero_point: bool = False) -> int:
    """Bytes of ``n`` weights stored as ``dtype`` with one scale (and zero point) per ``group_size`` weights.

    ``group_size`` 0 means per-tensor scaling (a few bytes, ignored). Zero points are stored at the weight's
    own width (GPTQ/AWQ int4 packs 4-bit zeros).
    """
    if group_size < 0:
        raise CookbookError(f"group_size must be >= 0, got {group_size}")
    total = nbytes(n, dtype)
    if group_size:
        groups = -(-n // group_size)
        total += nbytes(groups, scale_dtype)
        if zero_point:
            total += nbytes(groups, dtype)
    return total


def nf4_bytes(n: int, block: int = 64, double_quant: bool = True, block2: int = 256) -> int:
    """Bytes of ``n`` weights in bitsandbytes NF4 (QLoRA): 4-bit codes, one absmax per ``block`` weights.

    Without double quantization the absmax is fp32 (0.5 bit/weight at block 64); with it, the absmaxes are
    8-bit with one fp32 scale per ``block2`` of them (0.127 bit/weight).
    """
    blocks = -(-n // block)
    scales = blocks + 4 * -(-blocks // block2) if double_quant else 4 * blocks
    return nbytes(n, "nf4") + scales
