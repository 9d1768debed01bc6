"""Collectives over a size sweep, measured and reported exactly as nccl-tests defines them.

``size`` S is nccl-tests' size column (``cookbook.comm.SIZE_MEANING``); per-rank counts, algbw = S / t and busbw =
algbw * factor come from ``cookbook.comm``. Placements where the torch API has them: all_reduce and broadcast are
in-place only in torch.distributed; all_gather and reduce_scatter run out-of-place and in-place (the input is
the rank's slice of the output, resp. the output the rank's slice of the input, as nccl-tests); all_to_all
(``all_to_all_single``) and the send/recv ring (every rank sends to rank+1 and receives from rank-1, nccl-tests
SendRecv) out-of-place.

Timing (mode ``latency``, default): restore the input and barrier before every sample (outside the timed
window), one op per CUDA-event pair (host clock with gloo), the sample = the max over ranks of that iteration.
Mode ``throughput``: ``--agg`` back-to-back ops per sample (nccl-tests' default pipelined time), barrier per
sample. Check: each rank's inputs are ``randn`` from seed + rank, so every rank recomputes the expected output and
counts wrong elements (max over ranks). An op the backend lacks is recorded as ``skipped``.
"""

from __future__ import annotations

import os

import torch
import torch.distributed as dist

from bench.checks import count_wrong
from bench.device import dtype_of, unit_roundoff
from bench.harness import Benchmark, Case, Op
from bench.membw import parse_bytes
from cookbook import comm

__all__ = ["OPS", "PLACEMENTS", "add_arguments", "sweeps", "plan_overrides", "finish", "size_sweep"]

OPS = ("all_reduce", "all_gather", "reduce_scatter", "all_to_all", "broadcast", "sendrecv")
PLACEMENTS = {"all_reduce": ("in_place",), "all_gather": ("out_of_place", "in_place"),
              "reduce_scatter": ("out_of_place", "in_place"), "all_to_all": ("out_of_place",),
              "broadcast": ("in_place",), "sendrecv": ("out_of_place",)}


def size_sweep(lo: int, hi: int, factor: int) -> list[int]:
    """nccl-tests -b lo -e hi -f factor: lo, lo*f, ... <= hi."""
    if lo < 1 or hi < lo or factor < 2:
        raise ValueError(f"need 1 <= min ({lo}) <= max ({hi}) and step factor ({factor}) >= 2")
    out = [lo]
    while out[-1] * factor <= hi:
        out.append(out[-1] * factor)
    return out


def _data(rank: int, numel: int, dt, dev, seed: int) -> torch.Tensor:
    g = torch.Generator(device=dev).manual_seed(seed * 1000003 + rank)
    return torch.randn(numel, generator=g, device=dev).to(dt)


def _expected(op: str, r: int, n: int, c: int, dt, dev, seed: int):
    """Expected output of rank r and its tolerance (exact unless the op reduces)."""
    acc = torch.float64 if dt == torch.float64 else torch.float32
    if op in ("all_reduce", "reduce_scatter"):
        numel = c if op == "all_reduce" else c * n
        lo = 0 if op == "all_reduce" else r * c
        tot = torch.zeros(c, dtype=acc, device=dev)
        mag = torch.zeros(c, dtype=acc, device=dev)
        for j in range(n):
            x = _data(j, numel, dt, dev, seed)[lo:lo + c].to(acc)
            tot += x
            mag += x.abs()
        return tot, 2 * n * unit_roundoff(dt) * mag
    if op == "all_gather":
        return torch.cat([_data(j, c, dt, dev, seed) for j in range(n)]), 0.0
    if op == "all_to_all":
        return torch.cat([_data(j, c * n, dt, dev, seed)[r * c:(r + 1) * c] for j in range(n)]), 0.0
    if op == "broadcast":
        return _data(0, c, dt, dev, seed), 0.0
    return _data((r - 1) % n, c, dt, dev, seed), 0.0  # sendrecv


def _buffers(op: str, placement: str, r: int, n: int, c: int, dt, dev, seed: int):
    """(input, output, pristine input) per nccl-tests' placement rules."""
    in_numel = c * n if op in ("reduce_scatter", "all_to_all") else c
    x = _data(r, in_numel, dt, dev, seed)
    if op in ("all_reduce", "broadcast"):
        return x.clone(), None, x
    if op == "all_gather":
        out = torch.zeros(c * n, dtype=dt, device=dev)
        if placement == "in_place":
            inp = out[r * c:(r + 1) * c]
            inp.copy_(x)
            return inp, out, x
        return x.clone(), out, x
    if op == "reduce_scatter":
        inp = x.clone()
        out = inp[r * c:(r + 1) * c] if placement == "in_place" else torch.zeros(c, dtype=dt, device=dev)
        return inp, out, x
    return x.clone(), torch.zeros(c * n if op == "all_to_all" else c, dtype=dt, device=dev), x


# newer torch names them *_single (the *_tensor names warn as deprecated); older torch has only *_tensor.
_ALL_GATHER = getattr(dist, "all_gather_single", None) or dist.all_gather_into_tensor
_REDUCE_SCATTER = getattr(dist, "reduce_scatter_single", None) or dist.reduce_scatter_tensor


def _runner(op: str, inp, out, r: int, n: int):
    if op == "all_reduce":
        return lambda: dist.all_reduce(inp)
    if op == "broadcast":
        return lambda: dist.broadcast(inp, src=0)
    if op == "all_gather":
        return lambda: _ALL_GATHER(out, inp)
    if op == "reduce_scatter":
        return lambda: _REDUCE_SCATTER(out, inp)
    if op == "all_to_all":
        return lambda: dist.all_to_all_single(out, inp)

    def ring():
        ops = [dist.P2POp(dist.isend, inp, (r + 1) % n), dist.P2POp(dist.irecv, out, (r - 1) % n)]
        for w in dist.batch_isend_irecv(ops):
            w.wait()
    return ring


def make_op(p: dict, group, dev, seed: int) -> Op:
    op, placement, dt = p["op"], p["placement"], dtype_of(p["dtype"])
    r, n, c = group.rank, group.world_size, p["count"]
    inp, out, pristine = _buffers(op, placement, r, n, c, dt, dev, seed)
    run = _runner(op, inp, out, r, n)
    result = inp if out is None else out
    restore = op == "all_reduce" or (op == "reduce_scatter" and placement == "in_place")

    def before():
        if restore:
            inp.copy_(pristine)
        group.barrier()

    def check(plant: int) -> dict:
        before()
        run()
        ref, tol = _expected(op, r, n, c, dt, dev, seed)
        got = result if op != "broadcast" or r != 0 else inp
        return {"wrong": count_wrong(got, ref, tol, plant if r == 0 else 0), "checked": ref.numel(),
                "method": "every rank recomputes the expected output from seed + rank; exact except reductions "
                          "(|err| <= 2 n u sum|x|)"}

    return Op(run=run, before=before, check=check, work={"size_bytes": p["size_bytes"]})


def _bench(op: str, mode: str) -> Benchmark:
    def derive(params, work, stats):
        s, n = work["size_bytes"], params["world_size"]
        f = comm.busbw_factor(op, n, os.environ.get("NCCL_ALGO"))
        return {"size_bytes": s, "busbw_factor": f"{f.numerator}/{f.denominator}", "busbw_factor_float": float(f),
                "algbw_bytes_per_s_median": comm.algbw(s, stats["median"]),
                "busbw_bytes_per_s_median": comm.busbw(op, n, s, stats["median"], os.environ.get("NCCL_ALGO")),
                "algbw_bytes_per_s_best": comm.algbw(s, stats["min"]),
                "busbw_bytes_per_s_best": comm.busbw(op, n, s, stats["min"], os.environ.get("NCCL_ALGO")),
                "bytes_sent_per_rank": float(comm.bytes_sent_per_rank(op, n, s)),
                "size_meaning": comm.SIZE_MEANING[op]}

    def summary(res):
        m = res["metrics"]
        return (f"S={m['size_bytes']} B: median {res['stats']['median'] * 1e6:.4g} us, algbw "
                f"{m['algbw_bytes_per_s_median'] / 1e9:.4g} GB/s, busbw {m['busbw_bytes_per_s_median'] / 1e9:.4g} "
                f"GB/s, wrong {res['wrong']}")
    return Benchmark(op, 1, "comm", {"mode": mode, "input_init": "randn, seed + rank",
                                     "formulas": "nccl-tests (cookbook.comm)", "cache": "buffers reused"},
                     derive, summary)


def probe(op: str, placement: str, group, dev, dt) -> str | None:
    """Run the op once on a tiny buffer; the reason it cannot run on this backend, or None."""
    if op == "sendrecv" and group.world_size < 2:
        return "the send/recv ring needs at least 2 ranks"
    try:
        p = {"op": op, "placement": placement, "dtype": dt, "count": 4, "size_bytes": 0}
        make_op(p, group, dev, 0).run()
    except (RuntimeError, NotImplementedError, ValueError) as e:
        return f"{dist.get_backend()} lacks {op} ({placement}): {type(e).__name__}: {str(e).splitlines()[0][:200]}"
    return None


def add_arguments(p, name):
    p.add_argument("--timeout-s", type=float, default=600.0,
                   help="process-group timeout: a collective waiting this long on a dead rank fails")
    p.add_argument("--backend", choices=("auto", "nccl", "gloo"), default="auto", help="auto: NCCL on GPUs, else gloo")
    p.add_argument("--min-bytes", default="8", help="smallest size (nccl-tests -b; K/M/G binary)")
    p.add_argument("--max-bytes", default=None, help="largest size (nccl-tests -e; default 8G NCCL, 64M gloo)")
    p.add_argument("--step-factor", type=int, default=2, help="size multiplier (nccl-tests -f)")
    p.add_argument("--sizes", default=None, help="explicit size list instead of the sweep (e.g. 1K,1M,256M)")
    p.add_argument("--dtype", default="fp32", help="fp32, bf16, fp16 (nccl-tests default: float)")
    p.add_argument("--mode", choices=("latency", "throughput"), default="latency")
    p.add_argument("--agg", type=int, default=20, help="ops per sample in throughput mode")
    p.add_argument("--placements", default="out_of_place,in_place", help="which placements to run")
    if name == "comm":
        p.add_argument("--ops", default=",".join(OPS), help="collectives to run")


def plan_overrides(name, dev):
    return {"device_warmup_s": 5.0} if dev.type == "cuda" else {}


def sweeps(name, args, ctx):
    group, dev = ctx.group, ctx.device
    if args.mode == "throughput":
        ctx.plan.ops_per_sample = args.agg
    mode = ("latency: barrier + one op per sample" if args.mode == "latency" else
            f"throughput: {args.agg} back-to-back ops per sample, barrier per sample")
    hi = args.max_bytes or ("8G" if dev.type == "cuda" else "64M")
    sizes = parse_bytes(args.sizes) if args.sizes else size_sweep(parse_bytes(args.min_bytes)[0],
                                                                  parse_bytes(hi)[0], args.step_factor)
    elem = torch.tensor([], dtype=dtype_of(args.dtype)).element_size()
    n = group.world_size
    for op in (args.ops.split(",") if name == "comm" else (name,)):
        cases = []
        for pl in PLACEMENTS[op]:
            if pl not in args.placements.split(","):
                continue
            why = probe(op, pl, group, dev, args.dtype)
            for size in sizes:
                c = comm.per_rank_count(op, n, size, elem)
                s = comm.size_bytes(op, n, c, elem)
                params = {"op": op, "placement": pl, "dtype": args.dtype, "requested_bytes": size, "size_bytes": s,
                          "count": c, "world_size": n, "backend": dist.get_backend(), "redop": "sum",
                          "root": 0 if op == "broadcast" else None}
                skip = why or (f"size {size} B gives 0 elements per rank for {n} ranks" if c == 0 else None)
                cases.append(Case(params, lambda p=params: make_op(p, group, dev, args.seed), skip))
        yield _bench(op, mode), cases


def finish(name, ctx, results):
    pass
