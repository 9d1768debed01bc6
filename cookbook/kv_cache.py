"""Exact KV-cache bytes, per layer type.

One layer caches, per sequence and cached token, K*d_h key and K*d_v value elements (GQA: K key/value heads;
MHA: K = H; MQA: K = 1). MLA (DeepSeek-V2/V3) caches the compressed latent and the shared rotary key instead:
kv_lora_rank + qk_rope_head_dim elements, independent of H; transformers >= 5 caches exactly that.

Sliding-window layers (convention ``sliding``):
- ``hf`` (default): what transformers' ``DynamicSlidingWindowLayer`` keeps after ``update``: the last
  ``W - 1`` tokens (``full[:, :, -W + 1:]``), so min(context, W - 1) tokens. Matches the transformers cache
  tensors exactly (tests/test_kv_cache.py). Note: right after a prefill longer than the window, the slice is a
  view whose storage still holds the whole prefill until the next decode step; we count the tensor, not the
  transient storage.
- ``window``: min(context, W) tokens, what serving engines size a sliding layer to (vLLM also rounds up to
  whole pages; ``page_size`` does that for every layer).
- ``full``: no eviction (an engine that ignores the window).

Tensor parallel: each GPU holds K/TP heads; when TP > K the K heads are replicated (TP must be a multiple of K),
so a GPU holds one head. The MLA latent is not split by heads: every TP rank holds all of it.
Quantized KV (``kv_dtype`` fp8/int8/int4): elements at that width plus one ``scale_dtype`` scale per
``group_size`` elements (and a zero point when ``zero_point``).
"""

from __future__ import annotations

from cookbook.dtypes import quantized_bytes
from cookbook.errors import CookbookError
from cookbook.model import ModelConfig

__all__ = ["SLIDING_CONVENTIONS", "cached_tokens", "kv_heads_per_gpu", "kv_elements_per_token", "kv_cache_bytes"]

SLIDING_CONVENTIONS = ("hf", "window", "full")


def cached_tokens(m: ModelConfig, i: int, context: int, sliding: str = "hf", page_size: int = 0) -> int:
    """Tokens layer ``i`` holds per sequence after ``context`` tokens went through it."""
    if sliding not in SLIDING_CONVENTIONS:
        raise CookbookError(f"sliding must be one of {', '.join(SLIDING_CONVENTIONS)}; got {sliding!r}")
    w = m.attention_window(i)
    n = context
    if w is not None and sliding != "full":
        n = min(context, w - 1 if sliding == "hf" else w)
    if page_size:
        n = -(-n // page_size) * page_size
    return n


def kv_heads_per_gpu(m: ModelConfig, tp: int = 1) -> int:
    """KV heads one GPU stores under tensor parallelism (replicated when tp > K)."""
    k = m.kv_heads
    if tp < 1:
        raise CookbookError(f"tp must be >= 1, got {tp}")
    if k % tp == 0:
        return k // tp
    if tp % k == 0:
        return 1
    raise CookbookError(f"num_kv_heads ({k}) and tp ({tp}) do not divide each other; use a tp that divides "
                        f"{k} or a multiple of it")


def kv_elements_per_token(m: ModelConfig, tp: int = 1) -> int:
    """Cached elements per token per layer on one GPU (keys plus values; the MLA latent plus rope key)."""
    if m.mla is not None:
        return m.mla.kv_lora_rank + m.mla.qk_rope_head_dim
    return kv_heads_per_gpu(m, tp) * (m.head_size + m.v_head_size)


def kv_cache_bytes(m: ModelConfig, batch: int, context: int, kv_dtype: str = "bf16", tp: int = 1,
                   sliding: str = "hf", group_size: int = 0, scale_dtype: str = "bf16", zero_point: bool = False,
                   page_size: int = 0) -> dict:
    """KV-cache bytes on one GPU for ``batch`` sequences of ``context`` tokens.

    Returns {"total", "per_layer_type": {full_attention|sliding_attention|mla: bytes}, "per_layer": [...],
    "tokens_per_layer": [...], "elements_per_token": int}; the per-type parts sum to total.
    """
    for name, v in (("batch", batch), ("context", context)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise CookbookError(f"{name} must be a positive integer, got {v!r}")
    per_tok = kv_elements_per_token(m, tp)
    per_layer, tokens, by_type = [], [], {}
    for i in range(m.num_layers):
        n = cached_tokens(m, i, context, sliding, page_size)
        b = quantized_bytes(batch * n * per_tok, kv_dtype, group_size, scale_dtype, zero_point)
        kind = "mla" if m.mla is not None else m.layer_type(i)
        by_type[kind] = by_type.get(kind, 0) + b
        per_layer.append(b)
        tokens.append(n)
    return {"total": sum(per_layer), "per_layer_type": by_type, "per_layer": per_layer,
            "tokens_per_layer": tokens, "elements_per_token": per_tok}
