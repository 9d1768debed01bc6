"""The one harness: warm-up, timing, statistics, correctness check, records. Each benchmark supplies only Cases.

A ``Case`` is the independent variables of one measurement (``params``) and a ``build`` function that allocates
inputs and returns an ``Op``: the timed callable ``run``, an optional ``before`` (outside the timed window: cache
flush, output re-randomisation, buffer restore, barrier), a ``check(plant)`` that runs the op once outside the
timed loop and counts wrong elements, and ``work`` (FLOPs or bytes) that ``derive`` turns into rates.

Timing: CUDA events on the current stream of the GPU (one pair per sample, no synchronisation between samples,
one at the end: mamf-finder); on a CPU ``time.perf_counter_ns``. Warm-up: a time-based device warm-up once per
sweep (on the first case that builds), then ``warmup_iters`` per case; the sample count comes from a time budget
(``min_time_s``) within ``[min_iters, max_iters]``, estimated from the warm-up.

Failures: an out-of-memory error at one case is recorded (status ``oom``) and the sweep goes on; another exception
is recorded (status ``error``) and re-raised unless ``keep_going``. Records are flushed as they are written.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import torch

from bench.device import device_index, free_memory, is_oom, synchronize
from bench.provenance import telemetry
from bench.records import make_record
from bench.stats import summarize

__all__ = ["Op", "Case", "Benchmark", "Plan", "Group", "Context", "time_samples", "run_sweep", "PlantedFailure"]


class PlantedFailure(RuntimeError):
    """Raised by the ``--fail-at-case`` test hook."""


@dataclass
class Op:
    run: Callable[[], Any]
    check: Callable[[int], dict] | None = None
    before: Callable[[], None] | None = None
    work: dict = field(default_factory=dict)
    extra_params: dict = field(default_factory=dict)


@dataclass
class Case:
    params: dict
    build: Callable[[], Op]
    skip_reason: str | None = None


@dataclass
class Benchmark:
    """A benchmark's identity and its record-level conventions; ``derive`` turns work + time stats into rates."""

    name: str
    version: int
    suite: str
    method: dict
    derive: Callable[[dict, dict, dict], dict]
    summary: Callable[[dict], str]


@dataclass
class Plan:
    warmup_iters: int = 5
    min_iters: int = 20
    max_iters: int = 1000
    min_time_s: float = 0.2
    ops_per_sample: int = 1
    device_warmup_s: float = 0.0


class Group:
    """Cross-rank agreement; the single-process version. bench.collectives supplies the distributed one."""

    rank = 0
    world_size = 1
    is_writer = True
    rank_aggregation = "none (one process)"

    def any(self, flag: bool) -> bool:
        return flag

    def max_int(self, n: int) -> int:
        return n

    def aggregate(self, samples: list[float]) -> tuple[list[float], dict]:
        return samples, {}

    def barrier(self) -> None:
        pass


@dataclass
class Context:
    """What every sweep shares: device, plan, writer, provenance, hooks from the CLI."""

    device: torch.device
    plan: Plan
    writer: Any
    run_id: str
    provenance: dict
    group: Group = field(default_factory=Group)
    check: bool = True
    plant_wrong: int = 0
    fail_at_case: int | None = None
    fail_rank: int | None = None
    keep_going: bool = False
    progress: Callable[[str], None] = lambda s: None
    publishable: bool = False
    device_warmed_s: float | None = None


def _clock(dev: torch.device):
    if dev.type == "cuda":
        def pair():
            s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            return s, e
        return "cuda_event", pair
    return "host_perf_counter", None


def time_samples(op: Op, n: int, dev: torch.device, ops_per_sample: int = 1) -> list[float]:
    """``n`` samples (seconds per op) of ``op.run``; ``op.before`` runs outside each timed window."""
    k = ops_per_sample
    if dev.type == "cuda":
        pairs = []
        for _ in range(n):
            if op.before:
                op.before()
            s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            s.record()
            for _ in range(k):
                op.run()
            e.record()
            pairs.append((s, e))
        torch.cuda.synchronize(dev)
        return [s.elapsed_time(e) / 1e3 / k for s, e in pairs]
    out = []
    for _ in range(n):
        if op.before:
            op.before()
        t0 = time.perf_counter_ns()
        for _ in range(k):
            op.run()
        out.append((time.perf_counter_ns() - t0) / 1e9 / k)
    return out


def _warm(op: Op, dev: torch.device, iters: int) -> float:
    """Run ``iters`` warm-up iterations (with ``before``); return host seconds per iteration."""
    synchronize(dev)
    t0 = time.perf_counter()
    for _ in range(max(iters, 1)):
        if op.before:
            op.before()
        op.run()
    synchronize(dev)
    return (time.perf_counter() - t0) / max(iters, 1)


def device_warmup(op: Op, dev: torch.device, seconds: float, group: Group | None = None) -> float:
    """Keep the device busy with ``op`` for ``seconds`` (clocks and power reach steady state); return the time.

    With several ranks every batch of 10 ops ends with an agreement (go on while any rank is short of
    ``seconds``), so all ranks issue the same number of collectives."""
    group = group or Group()
    t0 = time.perf_counter()
    while group.any(time.perf_counter() - t0 < seconds):
        for _ in range(10):
            op.run()
        synchronize(dev)
    return time.perf_counter() - t0


def _measure(ctx: Context, op: Op) -> tuple[list[float], dict]:
    plan, dev = ctx.plan, ctx.device
    per_iter = _warm(op, dev, plan.warmup_iters)
    n = min(max(plan.min_iters, math.ceil(plan.min_time_s / max(per_iter, 1e-9) / plan.ops_per_sample)),
            plan.max_iters)
    n = ctx.group.max_int(n)
    ctx.group.barrier()
    samples = time_samples(op, n, dev, plan.ops_per_sample)
    samples, spread = ctx.group.aggregate(samples)
    timer = "cuda_event" if dev.type == "cuda" else "host_perf_counter"
    method = {"timer": timer, "warmup_iters": plan.warmup_iters, "iters": n, "ops_per_sample": plan.ops_per_sample,
              "min_time_s": plan.min_time_s, "device_warmup_s": ctx.device_warmed_s,
              "rank_aggregation": ctx.group.rank_aggregation, **spread}
    return samples, method


def _check(ctx: Context, op: Op) -> tuple[int | None, dict]:
    if not ctx.check or op.check is None:
        return None, {"method": "off"}
    res = dict(op.check(ctx.plant_wrong))
    wrong = int(res.pop("wrong"))
    if ctx.group.world_size > 1:
        wrong = ctx.group.max_int(wrong)
        res["wrong_aggregation"] = "max over ranks"
    return wrong, res


def _record(ctx: Context, bench: Benchmark, params: dict, status: str, method: dict | None = None, **kw) -> None:
    if not ctx.group.is_writer:
        return
    method = {"timer": "cuda_event" if ctx.device.type == "cuda" else "host_perf_counter", "check": "off",
              **bench.method, **(method or {})}
    rec = make_record(benchmark=bench.name, benchmark_version=bench.version, suite=bench.suite, run_id=ctx.run_id,
                      params=params, method=method, provenance=ctx.provenance, status=status,
                      telemetry=telemetry(device_index(ctx.device)), publishable=ctx.publishable, **kw)
    ctx.writer.write(rec)


def _build(ctx: Context, case: Case) -> Op:
    """Allocate a case's inputs; with several ranks, all ranks fail together (no rank left waiting)."""
    try:
        op, err, code = case.build(), None, 0
    except Exception as e:
        op, err, code = None, e, 1 if is_oom(e) else 2
    code = ctx.group.max_int(code)
    if code and err is None:
        err = (torch.OutOfMemoryError("out of memory on another rank") if code == 1
               else RuntimeError("setting up this case failed on another rank"))
    if err is not None:
        raise err
    return op


def _one(ctx: Context, bench: Benchmark, i: int, case: Case) -> dict:
    """Measure one case and write its record; returns the record's essentials for progress/summary."""
    if ctx.fail_at_case == i and ctx.fail_rank in (None, ctx.group.rank):
        raise PlantedFailure(f"planted failure at case {i} (test hook --fail-at-case)")
    op = _build(ctx, case)
    params = {**case.params, **op.extra_params}
    wrong, check = _check(ctx, op)
    if ctx.device_warmed_s is None:
        ctx.device_warmed_s = device_warmup(op, ctx.device, ctx.plan.device_warmup_s, ctx.group)
    samples, method = _measure(ctx, op)
    stats = summarize(samples)
    metrics = bench.derive(params, op.work, stats)
    method["check"] = check.get("method", "off")
    _record(ctx, bench, params, "ok", stats=stats, samples=samples, metrics=metrics, wrong=wrong, check=check,
            method=method)
    return {"params": params, "stats": stats, "metrics": metrics, "wrong": wrong, "samples": samples}


def run_sweep(ctx: Context, bench: Benchmark, cases: list[Case]) -> list[dict]:
    """Measure every case in order; see the module docstring for what happens on failure."""
    done, total, release = [], len(cases), False
    for i, case in enumerate(cases):
        if release:  # the failed case's tensors died with its exception; hand the memory back to the device
            free_memory(ctx.device)
            release = False
        label = " ".join(f"{k}={v}" for k, v in case.params.items())
        if case.skip_reason:
            _record(ctx, bench, case.params, "skipped", error={"type": "skipped", "message": case.skip_reason})
            ctx.progress(f"[{i + 1}/{total}] {bench.name} {label}: skipped ({case.skip_reason})")
            continue
        try:
            res = _one(ctx, bench, i, case)
        except Exception as e:
            oom = is_oom(e)
            status = "oom" if oom else "error"
            _record(ctx, bench, case.params, status,
                    error={"type": type(e).__name__, "message": str(e).splitlines()[0][:500] if str(e) else ""})
            release = True
            ctx.progress(f"[{i + 1}/{total}] {bench.name} {label}: {status.upper()} {type(e).__name__}: {e}")
            if not oom and not ctx.keep_going:
                raise
            continue
        done.append(res)
        ctx.progress(f"[{i + 1}/{total}] {bench.name} {label}: {bench.summary(res)}")
    return done
