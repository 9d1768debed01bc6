"""Numbers of the parallelism and communication chapter (docs/chapters/parallelism.md), from cookbook.comm,
cookbook.parallelism, cookbook.params, cookbook.flops and cookbook.hardware."""

from __future__ import annotations

from cookbook.comm import COLLECTIVES, SIZE_MEANING, busbw_factor
from cookbook.flops import training_flops
from cookbook.hardware import get_gpu
from cookbook.params import count_params
from cookbook.parallelism import dp_collectives, pp_collectives, sent_per_gpu, tp_collectives
from cookbook.train_time import bubble_fraction
from cookbook.presets import get_preset
from cookbook.units import seconds

from docs_src._fmt import gib, pct, si, table


def _frac(f) -> str:
    return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"


def collectives_table(n: int = 8) -> str:
    rows = [(f"`{op}`", SIZE_MEANING[op], _frac(busbw_factor(op, n))) for op in COLLECTIVES]
    return table(("collective", "size $S$ (nccl-tests)", f"busbw / algbw, $n = {n}$"), rows, "llr")


def factor_table(ns=(2, 4, 8, 16, 64, 1024)) -> str:
    rows = [(f"`{op}`", *[f"{float(busbw_factor(op, n)):.4f}" for n in ns])
            for op in ("all_reduce", "all_gather", "broadcast")]
    return table(("collective",) + tuple(f"$n = {n}$" for n in ns), rows)


def _fmt_rows(colls, busbw: float):
    return [(c.name, f"`{c.op}`", c.ranks, gib(c.size), c.calls, gib(float(c.sent_per_rank)), seconds(c.seconds(busbw)))
            for c in colls]


def dp_table(preset: str, dp: int, busbw: float, bw_label: str) -> str:
    params = count_params(get_preset(preset)).total
    rows = []
    for z in range(4):
        colls = dp_collectives(params, dp, z)
        sent = sent_per_gpu(colls)
        rows.append(("no ZeRO" if z == 0 else f"ZeRO-{z}", ", ".join(f"`{c.op}`" for c in colls), gib(float(sent)),
                     f"{float(sent) / (2 * params):.3f}", seconds(float(sent) / busbw)))
    return table(("stage", "collectives", "sent per GPU per step", "x gradient bytes", f"time at {bw_label}"),
                 rows, "lllrr") + f"\n\n{preset}, bf16 gradients and weights, {dp} data-parallel ranks."


def tp_table(preset: str, micro_batch: int, seq: int, tp: int, busbw: float, bw_label: str) -> str:
    m = get_preset(preset)
    rows = []
    for sp in (False, True):
        colls = tp_collectives(m, micro_batch, seq, tp, sequence_parallel=sp)
        rows += _fmt_rows(colls, busbw)
    return table(("collective", "op", "ranks", "size $S$", "calls per step", "sent per GPU", f"time at {bw_label}"),
                 rows, "llrrrrr") + (f"\n\n{preset}, one micro-batch of {micro_batch} x {seq} tokens, TP = {tp}, "
                                     "bf16 activations; the last four rows are the same step with sequence parallelism.")


def pp_table(preset: str, micro_batch: int, seq: int, micro_batches: int, busbw: float, bw_label: str) -> str:
    m = get_preset(preset)
    return table(("transfer", "op", "ranks", "size $S$", "calls per step", "sent per GPU", f"time at {bw_label}"),
                 _fmt_rows(pp_collectives(m, micro_batch, seq, micro_batches), busbw), "llrrrrr")


def bubble_table(pp: int = 8, ms=(8, 16, 32, 64, 128), vs=(1, 2, 4)) -> str:
    rows = [(m, *[pct(float(bubble_fraction(pp, m, v))) for v in vs]) for m in ms]
    return table(("micro-batches $m$",) + tuple(f"$v = {v}$" for v in vs), rows) + (
        f"\n\nIdle time over the ideal compute time, $(p-1)/(vm)$ (`cookbook.train_time.bubble_fraction`), "
        f"$p = {pp}$ stages, $v$ model chunks per GPU (interleaved schedule).")


def bandwidth(gpu: str, which: str = "intra") -> str:
    g = get_gpu(gpu)
    return si(g.intra_node_bandwidth if which == "intra" else g.inter_node_bandwidth, "B/s")


def dp_vs_compute(preset: str, seq: int, tokens_per_gpu: int, dp: int, gpu: str, mfu: float, zero: int = 0) -> str:
    """Gradient communication at the inter-node NIC rate vs the compute of one step, per GPU."""
    m, g = get_preset(preset), get_gpu(gpu)
    step = training_flops(m, tokens_per_gpu // seq, seq, "causal")
    compute = step.model / (g.peak("bf16") * mfu)
    sent = float(sent_per_gpu(dp_collectives(count_params(m).total, dp, zero)))
    comm = sent / g.inter_node_bandwidth
    return (f"compute {seconds(compute)} per step ({tokens_per_gpu} tokens per GPU at {pct(mfu, 0)} MFU); "
            f"gradient traffic {gib(sent)} per GPU, {seconds(comm)} at {bandwidth(gpu, 'inter')} per GPU")


def tp_step_time(preset: str, micro_batch: int, seq: int, tp: int, gpu: str) -> str:
    m, g = get_preset(preset), get_gpu(gpu)
    colls = tp_collectives(m, micro_batch, seq, tp)
    return f"{gib(float(sent_per_gpu(colls)))} per GPU, {seconds(float(sent_per_gpu(colls)) / g.intra_node_bandwidth)}"


def bubble(pp: int, m: int, v: int = 1) -> str:
    return pct(float(bubble_fraction(pp, m, v)))


def factor(n: int, op: str = "all_reduce") -> str:
    f = busbw_factor(op, n)
    return f"$2(n-1)/n = {_frac(f)}$" if op == "all_reduce" else _frac(f)


def collective_time(op: str, n: int, size: int, busbw: float) -> str:
    return seconds(size * float(busbw_factor(op, n)) / busbw)


def zero_ratio(preset: str, dp: int) -> str:
    params = count_params(get_preset(preset)).total
    z3, z0 = sent_per_gpu(dp_collectives(params, dp, 3)), sent_per_gpu(dp_collectives(params, dp, 0))
    return f"{gib(float(z3))} against {gib(float(z0))}, a ratio of {float(z3 / z0):g}"
