"""GEMM and BMM: C = A @ B with A (M x K), B given as (N x K) and transposed (the NT layout mamf-finder uses).

FLOPs from ``cookbook.gemm.gemm_flops`` (2 M N K, FLOPs not MACs). Inputs ``randn`` from a fixed seed; C is
re-randomised and a cache-sized buffer is written before every sample, outside the timed window (``--cache cold``,
mamf-finder v2 / triton ``do_bench``). fp8 = e4m3 A and B, unit scales, bf16 C through ``torch._scaled_mm``;
tf32 = fp32 storage with TF32 tensor-core math (CUDA only). Check: the first rows of C against a float64 product.
"""

from __future__ import annotations

import itertools

import torch

from bench.checks import count_wrong, gemm_tolerance
from bench.device import DTYPES, Flusher, default_flush_bytes, dtype_of, fp8_available
from bench.harness import Benchmark, Case, Op
from cookbook.gemm import gemm_flops, layer_gemms, logits_gemm
from cookbook.presets import get_preset

__all__ = ["GEMM", "BMM", "parse_dims", "gemm_cases", "bmm_cases", "add_gemm_arguments", "make_gemm_op"]

CHECK_ROWS = 64


def parse_dims(spec: str) -> list[int]:
    """``"4096"``, ``"1024,2048"`` or a range ``"start:stop:step"`` (stop inclusive; start 0 means step)."""
    out = []
    for part in str(spec).split(","):
        if ":" in part:
            start, stop, step = (int(x) for x in part.split(":"))
            out += list(range(start or step, stop + 1, step))
        elif part.strip():
            out.append(int(part))
    if not out or any(d < 1 for d in out):
        raise ValueError(f"dimension list {spec!r} must give positive integers")
    return out


def _derive(params: dict, work: dict, stats: dict) -> dict:
    f = work["flop"]
    return {"flop": f, "flop_per_s_median": f / stats["median"], "flop_per_s_best": f / stats["min"],
            "flop_per_s_mean_time": f / stats["mean"], "throughput_basis": "FLOPs / time statistic"}


def _summary(res: dict) -> str:
    m = res["metrics"]
    return (f"median {res['stats']['median'] * 1e3:.4g} ms, {m['flop_per_s_median'] / 1e12:.4g} TFLOP/s "
            f"(best {m['flop_per_s_best'] / 1e12:.4g}), wrong {res['wrong']}")


_METHOD = {"mode": "latency: one op per CUDA-event pair, no sync between samples",
           "input_init": "randn, fixed seed", "flop_convention": "2*M*N*K per matrix (cookbook.gemm.gemm_flops)",
           "layout": "A (M,K) row-major @ B (N,K) row-major transposed (NT)"}
GEMM = Benchmark("gemm", 1, "compute", _METHOD, _derive, _summary)
BMM = Benchmark("bmm", 1, "compute", _METHOD, _derive, _summary)


def _inputs(shape_a, shape_b, dtype_name, dev, seed):
    g = torch.Generator(device="cpu").manual_seed(seed)
    a = torch.randn(*shape_a, generator=g).to(dev)
    b = torch.randn(*shape_b, generator=g).to(dev)
    if dtype_name == "fp8":
        return a.to(DTYPES["fp8"]), b.to(DTYPES["fp8"]), torch.bfloat16
    dt = dtype_of(dtype_name)
    return a.to(dt), b.to(dt), dt


def make_gemm_op(m, n, k, dtype_name, dev, seed, cache, flush_bytes, batch=None) -> Op:
    """The timed op, its before-hook and check for one (batched) GEMM."""
    sa = (m, k) if batch is None else (batch, m, k)
    sb = (n, k) if batch is None else (batch, n, k)
    a, b, out_dtype = _inputs(sa, sb, dtype_name, dev, seed)
    c_shape = (m, n) if batch is None else (batch, m, n)
    c = torch.empty(c_shape, dtype=out_dtype, device=dev)
    c_rand = torch.randn(c_shape, device=dev).to(out_dtype)
    bt = b.transpose(-1, -2)
    torch.backends.cuda.matmul.allow_tf32 = dtype_name == "tf32"
    if dtype_name == "fp8":
        one = torch.ones((), device=dev)
        run = lambda: torch._scaled_mm(a, bt, one, one, out_dtype=out_dtype, out=c)  # noqa: E731
    elif batch is None:
        run = lambda: torch.mm(a, bt, out=c)  # noqa: E731
    else:
        run = lambda: torch.bmm(a, bt, out=c)  # noqa: E731
    flush = Flusher(dev, flush_bytes) if cache == "cold" else None

    def before():
        if flush:
            flush()
        c.copy_(c_rand)

    def check(plant: int) -> dict:
        run()
        r = min(m, CHECK_ROWS)
        a64 = (a[:r] if batch is None else a[0, :r]).to(torch.float64)
        b64 = (b if batch is None else b[0]).to(torch.float64)
        ref = a64 @ b64.t()
        got = c[:r] if batch is None else c[0, :r]
        tol = gemm_tolerance(a64, b64, ref, dtype_name, out_dtype, dev.type == "cuda")
        return {"wrong": count_wrong(got, ref, tol, plant), "checked": ref.numel(),
                "method": f"C[{'0,' if batch else ''}:{r}] vs float64 product; |err| <= bound from |A||B|, "
                          "sqrt(K) fp32 accumulation, output rounding"}

    flop = gemm_flops(m, n, k, batch=batch or 1)
    return Op(run=run, before=before, check=check, work={"flop": flop},
              extra_params={"out_dtype": str(out_dtype).replace("torch.", "")})


def add_gemm_arguments(p, mamf_defaults: bool = False) -> None:
    # Upper case first: under torchrun, --m/--n are ambiguous abbreviations of torchrun's own options.
    p.add_argument("--M", "--m", dest="m", default="0:20480:256" if mamf_defaults else "4096",
                   help="M list or start:stop:step (stop inclusive; start 0 means step)")
    p.add_argument("--N", "--n", dest="n", default="4096", help="N list or start:stop:step")
    p.add_argument("--K", "--k", dest="k", default="4096", help="K (reduction) list or start:stop:step")
    p.add_argument("--dtypes", default="bf16", help="comma list of bf16,fp16,tf32,fp32,fp8 (fp8/tf32 where supported)")
    p.add_argument("--cache", choices=("cold", "warm"), default="cold",
                   help="cold: write a flush buffer before each sample (outside the timed window)")
    p.add_argument("--preset", default=None, help="measure the GEMMs of one layer (and the logits) of this "
                   "cookbook preset instead of the M/N/K product (cookbook.gemm.layer_gemms)")
    p.add_argument("--batch-size", type=int, default=1, help="sequences per step for --preset")
    p.add_argument("--seq", type=int, default=4096, help="sequence length for --preset")
    p.add_argument("--tp", type=int, default=1, help="tensor-parallel size for --preset (per-rank GEMMs)")
    p.add_argument("--flush-bytes", type=int, default=None, help="flush buffer bytes (default 256 MiB GPU, 64 MiB CPU)")


def dtype_skip(name: str, dev) -> str | None:
    """Why ``name`` cannot run on ``dev`` (None: it can)."""
    if name not in DTYPES or DTYPES[name] is None:
        return f"unknown or unavailable dtype {name!r}"
    if name == "tf32" and dev.type != "cuda":
        return "TF32 is a CUDA tensor-core math mode; not measured on CPU"
    if name == "fp8":
        ok, why = fp8_available(dev)
        return None if ok else why
    return None


def model_shapes(preset: str, batch: int, seq: int, tp: int) -> list[tuple]:
    """(M, N, K, batch, tags) of one layer's forward GEMMs and the logits GEMM (cookbook.gemm)."""
    model = get_preset(preset)
    gemms = (*layer_gemms(model, batch, seq, tp), logits_gemm(model, batch, seq, tp))
    tag = {"preset": preset, "batch_size": batch, "seq": seq, "tp": tp}
    return [(g.m, g.n, g.k, g.batch, {**tag, "gemm": g.name}) for g in gemms]


def gemm_cases(args, ctx) -> list[Case]:
    """One case per (dtype, M, N, K), or per (dtype, GEMM of a preset's layer) with ``--preset``."""
    dev = ctx.device
    flush = args.flush_bytes if args.flush_bytes is not None else default_flush_bytes(dev)
    if args.preset:
        shapes = model_shapes(args.preset, args.batch_size, args.seq, args.tp)
    else:
        shapes = [(m, n, k, 1, {}) for m, n, k in itertools.product(parse_dims(args.m), parse_dims(args.n),
                                                                     parse_dims(args.k))]
    out = []
    for dt in args.dtypes.split(","):
        for m, n, k, b, tag in shapes:
            params = {"op": "mm" if b == 1 else "bmm", "dtype": dt, **({"batch": b} if b > 1 else {}),
                      "m": m, "n": n, "k": k, "cache": args.cache,
                      "flush_bytes": flush if args.cache == "cold" else 0, **tag}
            build = (lambda m=m, n=n, k=k, b=b, dt=dt:
                     make_gemm_op(m, n, k, dt, dev, args.seed, args.cache, flush, batch=b if b > 1 else None))
            skip = dtype_skip(dt, dev) or ("fp8 BMM is not offered by torch._scaled_mm" if dt == "fp8" and b > 1
                                           else None)
            out.append(Case(params, build, skip))
    return out


def bmm_cases(args, ctx) -> list[Case]:
    dev = ctx.device
    flush = args.flush_bytes if args.flush_bytes is not None else default_flush_bytes(dev)
    out = []
    for dt in args.dtypes.split(","):
        for bsz, m, n, k in itertools.product(parse_dims(args.batch), parse_dims(args.m), parse_dims(args.n),
                                              parse_dims(args.k)):
            params = {"op": "bmm", "dtype": dt, "batch": bsz, "m": m, "n": n, "k": k, "cache": args.cache,
                      "flush_bytes": flush if args.cache == "cold" else 0}
            build = (lambda b=bsz, m=m, n=n, k=k, dt=dt:
                     make_gemm_op(m, n, k, dt, dev, args.seed, args.cache, flush, batch=b))
            skip = dtype_skip(dt, dev) or ("fp8 BMM is not offered by torch._scaled_mm" if dt == "fp8" else None)
            out.append(Case(params, build, skip))
    return out
