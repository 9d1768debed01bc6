"""Collective communication arithmetic: nccl-tests' size, algbw and busbw definitions, and ring traffic per rank.

Source: NVIDIA/nccl-tests ``doc/PERFORMANCE.md`` and the ``*GetBw`` functions of ``src/<collective>.cu``.
Conventions (exactly nccl-tests'):

* ``size`` S is the byte size nccl-tests prints in its ``size`` column: the bytes of the larger of the send and
  receive buffers of one rank. AllReduce, Broadcast, Reduce, SendRecv: ``count * elem``. AllGather: the whole
  output, ``sendcount * elem * n``. ReduceScatter: the whole input, ``recvcount * elem * n``. AlltoAll: what
  one rank sends in total, ``count * elem * n`` where ``count`` is the per-peer count.
* ``algbw = S / t`` in bytes/s (nccl-tests prints it in GB/s = 1e9 bytes/s). Never ``2 S / t``.
* ``busbw = algbw * factor`` with the factor below (``n`` ranks). It is the bandwidth each rank's busiest link
  would need on a flat point-to-point fabric (ring algorithm); under NVLS, CollNet/SHARP or hierarchical
  multi-node algorithms it is a normalisation, not a wire speed (nccl-tests issues #153, #274).
* ``bytes_sent_per_rank = S * factor``: what each rank sends with the ring algorithm (AllReduce = reduce-scatter
  then all-gather: 2(n-1)/n of S; AllGather/ReduceScatter/AlltoAll: the (n-1) chunks of S/n that are not its own;
  Broadcast/Reduce: the pipelined chain forwards the whole S; SendRecv: S). busbw = bytes_sent_per_rank / t.

Factors are exact ``Fraction`` values; ``n = 1`` gives factor 0 for the (n-1)/n collectives, as nccl-tests prints.
"""

from __future__ import annotations

from fractions import Fraction

from cookbook.errors import CookbookError

__all__ = ["COLLECTIVES", "busbw_factor", "algbw", "busbw", "per_rank_count", "size_bytes",
           "bytes_sent_per_rank", "SIZE_MEANING"]

COLLECTIVES = ("all_reduce", "all_gather", "reduce_scatter", "all_to_all", "broadcast", "reduce", "sendrecv")

# What nccl-tests' ``size`` column means per collective (used in docs, records and tables).
SIZE_MEANING = {
    "all_reduce": "bytes of the buffer each rank reduces (count * elem)",
    "all_gather": "bytes of the whole gathered output (per-rank count * elem * n)",
    "reduce_scatter": "bytes of the whole input each rank contributes (per-rank output count * elem * n)",
    "all_to_all": "bytes each rank sends in total (per-peer count * elem * n)",
    "broadcast": "bytes of the broadcast buffer (count * elem)",
    "reduce": "bytes of the buffer each rank reduces (count * elem)",
    "sendrecv": "bytes each rank sends to rank+1 (count * elem)",
}

# Collectives whose S is n times the per-rank count (the per-rank count is S / (n * elem)).
_TIMES_N = ("all_gather", "reduce_scatter", "all_to_all")


def _check(op: str, n: int) -> None:
    if op not in COLLECTIVES:
        raise CookbookError(f"unknown collective {op!r}; known: {', '.join(COLLECTIVES)}")
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise CookbookError(f"number of ranks must be a positive integer, got {n!r}")


def busbw_factor(op: str, n: int, nccl_algo: str | None = None) -> Fraction:
    """busbw / algbw for collective ``op`` on ``n`` ranks (nccl-tests ``*GetBw``).

    ``nccl_algo``: the ``NCCL_ALGO`` environment value. Current nccl-tests ``all_reduce.cu`` uses (n-1)/(n+1)
    for AllReduce when it is ``NVLS`` or ``NVLSTREE``; 2(n-1)/n otherwise (and for every other value).
    """
    _check(op, n)
    if op == "all_reduce":
        if nccl_algo in ("NVLS", "NVLSTREE"):
            return Fraction(n - 1, n + 1)
        return Fraction(2 * (n - 1), n)
    if op in ("all_gather", "reduce_scatter", "all_to_all"):
        return Fraction(n - 1, n)
    return Fraction(1)  # broadcast, reduce, sendrecv


def algbw(size: int | float, seconds: float) -> float:
    """nccl-tests algbw in bytes/s: S / t."""
    if seconds <= 0:
        raise CookbookError(f"time must be positive, got {seconds!r} s")
    return size / seconds


def busbw(op: str, n: int, size: int | float, seconds: float, nccl_algo: str | None = None) -> float:
    """nccl-tests busbw in bytes/s: algbw * busbw_factor(op, n, nccl_algo)."""
    return algbw(size, seconds) * float(busbw_factor(op, n, nccl_algo))


def per_rank_count(op: str, n: int, size: int, elem_size: int) -> int:
    """The per-rank element count nccl-tests uses for a ``size`` of S bytes.

    AllGather/ReduceScatter/AlltoAll: S / (n * elem), else S / elem, rounded down (nccl-tests
    ``*GetCollByteCount``: ``count / nranks``), so the S actually measured (``size_bytes``) can be below the one
    asked for; records carry the measured S.
    """
    _check(op, n)
    if not isinstance(elem_size, int) or elem_size < 1 or not isinstance(size, int) or size < 0:
        raise CookbookError(f"size ({size!r}) must be an integer >= 0 and elem_size ({elem_size!r}) an integer >= 1")
    return size // elem_size // (n if op in _TIMES_N else 1)


def size_bytes(op: str, n: int, count: int, elem_size: int) -> int:
    """S in bytes for a per-rank ``count`` (the inverse of ``per_rank_count`` on aligned counts)."""
    _check(op, n)
    return count * elem_size * (n if op in _TIMES_N else 1)


def bytes_sent_per_rank(op: str, n: int, size: int) -> Fraction:
    """Bytes each rank sends (the busiest rank for broadcast/reduce) with ring algorithms: S * factor."""
    return size * busbw_factor(op, n)
