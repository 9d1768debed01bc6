"""Communication of one training step, per parallelism strategy, as nccl-tests-sized collectives.

Each entry is a ``Collective``: an nccl-tests operation on ``ranks`` GPUs with message size ``size`` (S, exactly
as nccl-tests defines it, cookbook.comm), issued ``calls`` times per step. What one GPU sends is
``calls * bytes_sent_per_rank(op, ranks, S)`` (ring algorithms), and the time at a measured bus bandwidth is that
divided by busbw (the meaning of busbw in nccl-tests' PERFORMANCE.md).

Strategies and sources:
- data parallel (``dp_collectives``): plain DP and ZeRO-1/2 move 2 x the gradient bytes per GPU (all-reduce, or
  reduce-scatter of gradients then all-gather of updated weights); ZeRO-3/FSDP moves 3 x (weights all-gathered in
  the forward and again in the backward, gradients reduce-scattered): Rajbhandari et al. 2020, section 7.2.
  Sizes: ``params`` parameters held by one model replica's shard group, ``grad_bytes``/``weight_bytes`` each.
- tensor parallel (``tp_collectives``): per layer 2 all-reduces of the B x S x D activations in the forward and 2 in
  the backward (Shoeybi et al. 2019, section 3); with sequence parallelism each all-reduce becomes an all-gather
  plus a reduce-scatter of the same S (Korthikanti et al. 2022, section 4.2.2): the same bytes.
- pipeline parallel (``pp_collectives``): per micro-batch one activation send forward and one gradient send
  backward across each stage boundary (B x S x D, divided by t with sequence parallelism).
Not modelled: recomputation repeating the forward TP collectives, expert and context parallelism, overlap.
The pipeline bubble is cookbook.train_time.bubble_fraction; step times with overlap are cookbook.train_time.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from cookbook.comm import bytes_sent_per_rank
from cookbook.errors import CookbookError
from cookbook.model import ModelConfig

__all__ = ["Collective", "dp_collectives", "tp_collectives", "pp_collectives", "sent_per_gpu"]


def _pos(name: str, v) -> None:
    if not isinstance(v, int) or isinstance(v, bool) or v < 1:
        raise CookbookError(f"{name} must be a positive integer, got {v!r}")


@dataclass(frozen=True)
class Collective:
    """``calls`` nccl-tests ``op`` calls of size ``size`` bytes on ``ranks`` GPUs per step."""

    name: str
    op: str
    ranks: int
    size: int
    calls: int

    @property
    def sent_per_rank(self) -> Fraction:
        """Bytes one GPU sends per step for these calls (ring algorithms)."""
        return self.calls * bytes_sent_per_rank(self.op, self.ranks, self.size)

    def seconds(self, busbw: float) -> float:
        """Time of these calls at a bus bandwidth of ``busbw`` bytes/s (nccl-tests: t = S * factor / busbw)."""
        if not busbw > 0:
            raise CookbookError(f"busbw must be positive, got {busbw!r}")
        return float(self.sent_per_rank) / busbw


def sent_per_gpu(collectives) -> Fraction:
    return sum((c.sent_per_rank for c in collectives), Fraction(0))


def dp_collectives(params: int, dp: int, zero: int = 0, grad_bytes: int = 2, weight_bytes: int = 2) -> tuple:
    """Gradient and weight traffic of data parallelism over ``dp`` ranks for ``params`` parameters per replica."""
    _pos("params", params)
    _pos("dp", dp)
    if zero not in (0, 1, 2, 3):
        raise CookbookError(f"zero must be 0, 1, 2 or 3, got {zero!r}")
    g, w = params * grad_bytes, params * weight_bytes
    if zero == 0:
        return (Collective("gradient all-reduce", "all_reduce", dp, g, 1),)
    out = (Collective("gradient reduce-scatter", "reduce_scatter", dp, g, 1),)
    if zero in (1, 2):
        return out + (Collective("updated weight all-gather", "all_gather", dp, w, 1),)
    return (Collective("weight all-gather (forward)", "all_gather", dp, w, 1),
            Collective("weight all-gather (backward)", "all_gather", dp, w, 1)) + out


def tp_collectives(m: ModelConfig, micro_batch: int, seq: int, tp: int, micro_batches: int = 1,
                   act_bytes: int = 2, sequence_parallel: bool = False, layers: int | None = None) -> tuple:
    """Megatron tensor-parallel collectives of ``layers`` layers (default all) for one step."""
    for name, v in (("micro_batch", micro_batch), ("seq", seq), ("tp", tp), ("micro_batches", micro_batches),
                    ("act_bytes", act_bytes)):
        _pos(name, v)
    n_layers = m.num_layers if layers is None else layers
    _pos("layers", n_layers)
    size = micro_batch * seq * m.hidden_size * act_bytes
    calls = 2 * n_layers * micro_batches  # two per layer (attention, MLP) per pass
    if not sequence_parallel:
        return (Collective("activation all-reduce (forward)", "all_reduce", tp, size, calls),
                Collective("gradient all-reduce (backward)", "all_reduce", tp, size, calls))
    return (Collective("sequence all-gather (forward)", "all_gather", tp, size, calls),
            Collective("sequence reduce-scatter (forward)", "reduce_scatter", tp, size, calls),
            Collective("sequence all-gather (backward)", "all_gather", tp, size, calls),
            Collective("sequence reduce-scatter (backward)", "reduce_scatter", tp, size, calls))


def pp_collectives(m: ModelConfig, micro_batch: int, seq: int, micro_batches: int, act_bytes: int = 2,
                   tp: int = 1, sequence_parallel: bool = False) -> tuple:
    """What one inner pipeline stage sends per step: activations forward and gradients backward, per micro-batch."""
    for name, v in (("micro_batch", micro_batch), ("seq", seq), ("micro_batches", micro_batches),
                    ("act_bytes", act_bytes), ("tp", tp)):
        _pos(name, v)
    size = micro_batch * seq * m.hidden_size * act_bytes // (tp if sequence_parallel else 1)
    return (Collective("activation send (forward)", "sendrecv", 2, size, micro_batches),
            Collective("gradient send (backward)", "sendrecv", 2, size, micro_batches))

