"""Device memory bandwidth: STREAM kernels on torch tensors (copy, scale, add, triad, dot).

Bytes per kernel from ``cookbook.ops.stream_bytes`` (BabelStream convention: copy 2Nw, scale 2Nw, add 3Nw,
triad 3Nw, dot 2Nw; no write-allocate traffic); rates in decimal bytes/s as vendors quote HBM. ``--sizes`` are
bytes per array: use arrays far above the last-level cache (GPU: >= 1 GiB) for a memory figure. Check: the
output against a float64 recomputation (exact for copy).
"""

from __future__ import annotations

import itertools

import torch

from bench.checks import count_wrong
from bench.device import Flusher, default_flush_bytes, dtype_of, unit_roundoff
from bench.harness import Benchmark, Case, Op
from cookbook.ops import STREAM_KERNELS, stream_bytes

__all__ = ["MEMBW", "add_arguments", "sweeps", "plan_overrides", "finish", "parse_bytes"]

SCALAR = 0.4


def parse_bytes(spec: str) -> list[int]:
    """``"1G,256M,4096"`` -> bytes; K/M/G/T suffixes are binary (as nccl-tests' -b/-e)."""
    mult = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
    out = []
    for part in str(spec).split(","):
        part = part.strip().upper().removesuffix("B").removesuffix("I")
        if not part:
            continue
        out.append(int(float(part[:-1]) * mult[part[-1]]) if part[-1] in mult else int(part))
    if not out or any(x < 1 for x in out):
        raise ValueError(f"size list {spec!r} must give positive byte counts")
    return out


def _derive(params, work, stats):
    b = work["bytes"]
    return {"bytes": b, "bytes_per_s_median": b / stats["median"], "bytes_per_s_best": b / stats["min"],
            "bytes_per_s_mean_time": b / stats["mean"], "bytes_convention": "BabelStream (cookbook.ops.stream_bytes)"}


def _summary(res):
    return f"median {res['stats']['median'] * 1e6:.4g} us, {res['metrics']['bytes_per_s_median'] / 1e9:.4g} GB/s, " \
           f"wrong {res['wrong']}"


MEMBW = Benchmark("membw", 1, "compute", {"mode": "latency: one kernel per timing pair",
                                          "input_init": "randn, fixed seed"}, _derive, _summary)


def make_op(p: dict, dev, seed: int, flush_bytes: int) -> Op:
    dt = dtype_of(p["dtype"])
    w = torch.tensor([], dtype=dt).element_size()
    n = p["array_bytes"] // w
    g = torch.Generator(device="cpu").manual_seed(seed)
    a, b, c = (torch.randn(n, generator=g).to(dev, dt) for _ in range(3))
    kernel, res = p["kernel"], {}
    runs = {"copy": lambda: c.copy_(a), "scale": lambda: torch.mul(c, SCALAR, out=b),
            "add": lambda: torch.add(a, b, out=c), "triad": lambda: torch.add(b, c, alpha=SCALAR, out=a),
            "dot": lambda: res.__setitem__("dot", torch.dot(a, b))}
    inputs = {"copy": (a,), "scale": (c,), "add": (a, b), "triad": (b, c), "dot": (a, b)}[kernel]
    flush = Flusher(dev, flush_bytes) if p["cache"] == "cold" else None

    def check(plant: int) -> dict:
        xs = [x.to(torch.float64) for x in inputs]
        runs[kernel]()
        got = {"copy": c, "scale": b, "add": c, "triad": a, "dot": res.get("dot")}[kernel]
        ref = {"copy": lambda: xs[0], "scale": lambda: xs[0] * SCALAR, "add": lambda: xs[0] + xs[1],
               "triad": lambda: xs[0] + SCALAR * xs[1], "dot": lambda: (xs[0] * xs[1]).sum()}[kernel]()
        u = unit_roundoff(dt)
        mag = {"copy": lambda: 0.0, "scale": lambda: SCALAR * xs[0].abs(),
               "add": lambda: xs[0].abs() + xs[1].abs(), "triad": lambda: xs[0].abs() + SCALAR * xs[1].abs(),
               "dot": lambda: (xs[0] * xs[1]).abs().sum() * n ** 0.5 * 4}[kernel]()
        tol = 2 * u * mag
        return {"wrong": count_wrong(got, ref, tol, plant), "checked": ref.numel(),
                "method": "output vs float64 recomputation: copy exact; scale/add/triad |err| <= 2u sum|terms|; dot 8u sqrt(N) sum|a b|"}

    return Op(run=runs[kernel], check=check, before=flush, work={"bytes": stream_bytes(kernel, n, w)},
              extra_params={"numel": n})


def add_arguments(p, name):
    p.add_argument("--kernels", default="copy,triad", help=f"comma list of {', '.join(STREAM_KERNELS)}")
    p.add_argument("--sizes", default="1G", help="bytes per array, e.g. 256M,1G,4G (binary suffixes)")
    p.add_argument("--dtypes", default="fp32", help="comma list of fp32, bf16, fp16, fp64")
    p.add_argument("--cache", choices=("cold", "warm"), default="warm",
                   help="cold: write a flush buffer before each sample (for arrays near cache size)")
    p.add_argument("--flush-bytes", type=int, default=None)


def plan_overrides(name, dev):
    return {}


def sweeps(name, args, ctx):
    dev = ctx.device
    flush = args.flush_bytes if args.flush_bytes is not None else default_flush_bytes(dev)
    cases = []
    for dt, kern, size in itertools.product(args.dtypes.split(","), args.kernels.split(","), parse_bytes(args.sizes)):
        params = {"kernel": kern, "dtype": dt, "array_bytes": size, "cache": args.cache,
                  "flush_bytes": flush if args.cache == "cold" else 0}
        skip = None if kern in STREAM_KERNELS else f"unknown kernel {kern!r}; known: {', '.join(STREAM_KERNELS)}"
        cases.append(Case(params, lambda p=params: make_op(p, dev, args.seed, flush), skip))
    yield MEMBW, cases


def finish(name, ctx, results):
    pass
