"""Inverse questions: what fits in a memory budget.

- ``max_micro_batch`` / ``max_train_context``: the largest micro-batch or sequence length whose training memory
  per GPU (cookbook.memory) fits ``capacity`` bytes;
- ``max_serving_batch`` / ``max_serving_context``: the same for serving (cookbook.inference_memory);
- ``fewest_gpus_serving`` / ``fewest_gpus_training``: the smallest GPU count with a layout that fits;
- ``layouts_that_fit``: every (tp, pp, dp, cp, ep, ZeRO, sequence parallel) layout of a given world size that
  fits, with its memory, smallest first.
Memory grows monotonically in batch and context, so a doubling-then-bisection search finds the exact limit.
"""

from __future__ import annotations

from dataclasses import replace

from cookbook.errors import CookbookError
from cookbook.inference_memory import inference_memory
from cookbook.layout import ParallelLayout
from cookbook.memory import training_memory
from cookbook.model import ModelConfig

__all__ = ["largest_fitting", "candidate_layouts", "max_micro_batch", "max_train_context", "max_serving_batch", "max_serving_context",
           "layouts_that_fit", "fewest_gpus_training", "fewest_gpus_serving"]

_LIMIT = 1 << 24


def largest_fitting(fits, step: int = 1, limit: int = _LIMIT) -> int:
    """Largest multiple n of ``step`` (n <= limit) with ``fits(n)`` true, for a monotone ``fits``; 0 if none."""
    if not fits(step):
        return 0
    lo = 1
    while lo * 2 * step <= limit and fits(lo * 2 * step):
        lo *= 2
    hi = min(lo * 2, limit // step + 1)  # fits(lo*step), not fits(hi*step) (or hi beyond the limit)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if fits(mid * step):
            lo = mid
        else:
            hi = mid
    return lo * step


def _capacity(capacity: int) -> int:
    if not isinstance(capacity, int) or capacity <= 0:
        raise CookbookError(f"capacity must be a positive number of bytes, got {capacity!r}")
    return capacity


def max_micro_batch(m: ModelConfig, capacity: int, layout: ParallelLayout | None = None, seq_len: int = 2048,
                    **kw) -> int:
    """Largest micro-batch whose training memory per GPU fits ``capacity`` bytes (0: not even 1)."""
    lay, cap = layout or ParallelLayout(), _capacity(capacity)
    return largest_fitting(lambda b: training_memory(m, replace(lay, micro_batch=b), seq_len, **kw)["total"] <= cap,
                           limit=1 << 16)


def max_train_context(m: ModelConfig, capacity: int, layout: ParallelLayout | None = None, **kw) -> int:
    """Largest sequence length (a multiple of cp, and of tp with sequence parallelism) that fits."""
    lay, cap = layout or ParallelLayout(), _capacity(capacity)
    step = lay.cp * (lay.tp if lay.sequence_parallel else 1)
    return largest_fitting(lambda s: training_memory(m, lay, s, **kw)["total"] <= cap, step=step)


def max_serving_batch(m: ModelConfig, capacity: int, context: int, **kw) -> int:
    cap = _capacity(capacity)
    return largest_fitting(lambda b: inference_memory(m, b, context, **kw)["total"] <= cap, limit=1 << 20)


def max_serving_context(m: ModelConfig, capacity: int, batch: int = 1, **kw) -> int:
    cap = _capacity(capacity)
    return largest_fitting(lambda c: inference_memory(m, batch, c, **kw)["total"] <= cap)


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def candidate_layouts(m: ModelConfig, world_size: int, micro_batch: int = 1, num_microbatches: int = 0,
                      max_tp: int = 8, max_cp: int = 8, zero_stages=(0, 1, 2, 3)):
    """Every valid layout of ``world_size`` GPUs (tp <= max_tp, cp <= max_cp; sequence parallel when tp > 1)."""
    for tp in _divisors(world_size):
        if tp > max_tp or m.num_heads % tp or m.kv_heads % tp or m.ffn % tp:
            continue
        for pp in _divisors(world_size // tp):
            if m.num_layers % pp:
                continue
            for cp in _divisors(world_size // (tp * pp)):
                if cp > max_cp:
                    continue
                dp = world_size // (tp * pp * cp)
                eps = [e for e in _divisors(dp * cp) if m.moe and m.moe.num_experts % e == 0] or [1]
                for ep in eps:
                    for z in zero_stages if dp * cp > 1 else (0,):
                        yield ParallelLayout(tp=tp, pp=pp, dp=dp, cp=cp, ep=ep, zero=z, sequence_parallel=tp > 1,
                                             micro_batch=micro_batch,
                                             num_microbatches=num_microbatches or max(pp, 1))


def layouts_that_fit(m: ModelConfig, world_size: int, capacity: int, seq_len: int = 2048, micro_batch: int = 1,
                     limit: int = 0, **kw) -> list[dict]:
    """Every layout of ``world_size`` GPUs whose memory per GPU fits, smallest total first:
    [{"layout": {...}, "total": bytes, "per_gpu": {...}}]."""
    cap = _capacity(capacity)
    out = []
    for lay in candidate_layouts(m, world_size, micro_batch):
        if seq_len % lay.cp or (lay.sequence_parallel and seq_len % lay.tp):
            continue
        r = training_memory(m, lay, seq_len, **kw)
        if r["total"] <= cap:
            out.append({"layout": lay.as_dict(), "total": r["total"], "per_gpu": r["per_gpu"]})
    out.sort(key=lambda x: (x["total"], x["layout"]["tp"], x["layout"]["pp"]))
    return out[:limit] if limit else out


def fewest_gpus_training(m: ModelConfig, capacity: int, seq_len: int = 2048, max_gpus: int = 4096,
                         **kw) -> dict | None:
    """The smallest power-of-two GPU count with a fitting layout, and that layout (None: none up to max_gpus)."""
    n = 1
    while n <= max_gpus:
        fit = layouts_that_fit(m, n, capacity, seq_len, limit=1, **kw)
        if fit:
            return {"gpus": n, **fit[0]}
        n *= 2
    return None


def fewest_gpus_serving(m: ModelConfig, capacity: int, batch: int = 1, context: int = 2048, max_tp: int = 64,
                        **kw) -> dict | None:
    """The smallest tensor-parallel degree (dividing the heads) whose per-GPU serving memory fits."""
    cap = _capacity(capacity)
    for tp in _divisors(m.num_heads):
        if tp > max_tp or (m.kv_heads % tp and tp % m.kv_heads):
            continue
        r = inference_memory(m, batch, context, tp=tp, **kw)
        if r["total"] <= cap:
            return {"gpus": tp, "tp": tp, "total": r["total"], "weights": r["weights"], "kv_cache": r["kv_cache"]}
    return None
