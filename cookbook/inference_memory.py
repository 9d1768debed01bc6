"""Serving memory per GPU: weights (16-bit or quantized), KV cache, a prefill activation workspace, overhead.

Weights: the linear layers of every decoder layer (attention, MLP, experts) are stored at ``weight_dtype``
with one ``scale_dtype`` scale per ``group_size`` weights (``group_size`` 0: per-tensor/per-channel scales,
counted as zero); the token embedding, lm_head, router, norms and biases stay 16-bit, as real quantized
checkpoints keep them (GPTQ/AWQ int4, FP8 "W8A8" checkpoints: Llama-3.3-70B-FP8 measured 67.72 GiB in vLLM =
68.45 G linear weights at 1 byte + 2.10 G embedding/lm_head at 2 bytes). Tensor parallelism splits linears and
the vocabulary; norms are replicated.

KV cache: cookbook.kv_cache (exact; the transformers cache convention for sliding layers by default).

Activations (an estimate, labelled): the largest transient of one layer in a prefill of ``prefill_tokens``
tokens (flash attention): the residual stream and norm output (2 x T*D), q/k/v and attention output, the MLP
intermediates (3 x T*F gated, 2 x T*F plain), plus the last-token logits in fp32 (batch x V x 4). Serving
engines size this by their profile run (vLLM: max_num_batched_tokens), not by the user's batch.
"""

from __future__ import annotations

from cookbook.dtypes import bits, nbytes, quantized_bytes
from cookbook.errors import CookbookError
from cookbook.kv_cache import kv_cache_bytes
from cookbook.memory import matrix_shapes
from cookbook.model import ModelConfig
from cookbook.params import count_params

__all__ = ["WEIGHT_DTYPES", "weight_bytes", "prefill_workspace_bytes", "inference_memory"]

WEIGHT_DTYPES = ("fp32", "bf16", "fp16", "fp8", "int8", "int4", "nf4")
_OUTER = ("embedding", "lm_head", "position_embedding", "embedding_projection", "router")
DEFAULT_OVERHEAD = 1 << 30


def weight_bytes(m: ModelConfig, weight_dtype: str = "bf16", group_size: int = 0, scale_dtype: str = "bf16",
                 zero_point: bool = False, tp: int = 1, keep_dtype: str = "bf16") -> dict:
    """Weight bytes on one GPU: {"total", "quantized", "kept_16bit", "quantized_params", "kept_params"}."""
    if weight_dtype not in WEIGHT_DTYPES:
        raise CookbookError(f"weight_dtype must be one of {', '.join(WEIGHT_DTYPES)}; got {weight_dtype!r}")
    total = count_params(m).total
    if bits(weight_dtype) >= 16:
        b = -(-nbytes(total, weight_dtype) // tp)
        return {"total": b, "quantized": 0, "kept_16bit": b, "quantized_params": 0, "kept_params": total}
    q = sum(r * c * n for name, r, c, n in matrix_shapes(m) if name not in _OUTER)
    kept = total - q
    qb = -(-quantized_bytes(q, weight_dtype, group_size, scale_dtype, zero_point) // tp)
    kb = -(-nbytes(kept, keep_dtype) // tp)
    return {"total": qb + kb, "quantized": qb, "kept_16bit": kb, "quantized_params": q, "kept_params": kept}


def prefill_workspace_bytes(m: ModelConfig, batch: int, prefill_tokens: int, act_bytes: int = 2,
                            tp: int = 1) -> int:
    """Peak transient activations of one layer during a prefill (estimate; see module docstring)."""
    t = batch * prefill_tokens
    d, h, k = m.hidden_size, m.num_heads, m.kv_heads
    attn = t * (2 * h * m.head_size + k * (m.head_size + m.v_head_size)) // tp
    f = max([m.ffn] + ([m.moe.expert_ffn_size * m.moe.top_k] if m.moe else []))
    mlp = t * f * (3 if m.gated_mlp else 2) // tp
    return act_bytes * (2 * t * d + max(attn, mlp)) + 4 * batch * m.vocab_rows // tp


def inference_memory(m: ModelConfig, batch: int = 1, context: int = 2048, weight_dtype: str = "bf16",
                     group_size: int = 0, scale_dtype: str = "bf16", zero_point: bool = False,
                     kv_dtype: str = "bf16", kv_group_size: int = 0, tp: int = 1, sliding: str = "hf",
                     prefill_tokens: int | None = None, overhead: int = DEFAULT_OVERHEAD, page_size: int = 0) -> dict:
    """Serving memory per GPU: {"weights", "kv_cache", "activations", "framework_overhead", "total", details}."""
    if m.num_heads % tp:
        raise CookbookError(f"num_heads ({m.num_heads}) is not divisible by tp ({tp}); use a tp that divides it")
    if overhead < 0:
        raise CookbookError(f"overhead must be >= 0 bytes, got {overhead}")
    w = weight_bytes(m, weight_dtype, group_size, scale_dtype, zero_point, tp)
    kv = kv_cache_bytes(m, batch, context, kv_dtype, tp, sliding, kv_group_size, page_size=page_size)
    act = prefill_workspace_bytes(m, batch, prefill_tokens or context, 2, tp)
    total = w["total"] + kv["total"] + act + overhead
    return {"weights": w["total"], "kv_cache": kv["total"], "activations": act, "framework_overhead": overhead,
            "total": total, "weights_detail": w,
            "kv_cache_detail": {k: v for k, v in kv.items() if k not in ("per_layer",)},
            "conventions": {
                "units": "bytes, per GPU",
                "weights": f"{weight_dtype} linear layers"
                           + (f", one {scale_dtype} scale per {group_size} weights" if group_size else "")
                           + "; embedding, lm_head, router, norms, biases 16-bit" if bits(weight_dtype) < 16
                           else f"all parameters {weight_dtype}",
                "kv_cache": f"{kv_dtype}, sliding layers: {sliding} convention (cookbook.kv_cache)",
                "activations": "estimate: one layer's prefill transient + last-token fp32 logits",
                "framework_overhead": f"{overhead} bytes, settable (CUDA context, allocator, CUDA graphs)"}}
