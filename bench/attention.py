"""Attention: ``torch.nn.functional.scaled_dot_product_attention`` per SDPA backend, and flash-attn when installed.

Layout (B, H, S, d) for SDPA, (B, S, H, d) for flash-attn; GQA through ``enable_gqa`` (SDPA) or natively
(flash-attn). Passes: ``fwd`` and ``fwd_bwd`` (forward then ``torch.autograd.grad`` of a random output gradient).
FLOPs from ``cookbook.ops.attention_flops`` under the declared convention (default ``fa2``, what flash-attention's
benchmark and most published TFLOP/s use). A backend that cannot run the case is recorded as ``skipped``
with the reason. Check: the forward output of batch element 0 against a float64 softmax(QK^T/sqrt(d))V.
"""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F

from bench.checks import count_wrong
from bench.device import dtype_of, unit_roundoff
from bench.gemm import parse_dims
from bench.harness import Benchmark, Case, Op
from cookbook.ops import ATTENTION_CONVENTIONS, attention_flops

__all__ = ["ATTENTION", "add_arguments", "sweeps", "plan_overrides", "finish", "BACKENDS"]

BACKENDS = ("math", "flash", "efficient", "cudnn", "flash_attn")
_SDPA = {"math": "MATH", "flash": "FLASH_ATTENTION", "efficient": "EFFICIENT_ATTENTION", "cudnn": "CUDNN_ATTENTION"}


def _derive(params, work, stats):
    f = work["flop"]
    return {"flop": f, "flop_per_s_median": f / stats["median"], "flop_per_s_best": f / stats["min"],
            "flop_per_s_mean_time": f / stats["mean"], "flop_convention": params["flop_convention"]}


def _summary(res):
    m = res["metrics"]
    return f"median {res['stats']['median'] * 1e3:.4g} ms, {m['flop_per_s_median'] / 1e12:.4g} TFLOP/s, " \
           f"wrong {res['wrong']}"


ATTENTION = Benchmark("attention", 1, "compute",
                      {"mode": "latency: one call per CUDA-event pair", "input_init": "randn, fixed seed",
                       "cache": "warm (inputs reused)", "flop_scope": "QK^T and PV only (cookbook.ops)"},
                      _derive, _summary)


def _call(backend: str, gqa: bool, causal: bool):
    """f(q, k, v) in (B, H, S, d) layout for ``backend``."""
    if backend == "flash_attn":
        from flash_attn import flash_attn_func

        def fa(q, k, v):
            return flash_attn_func(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2),
                                   causal=causal).transpose(1, 2)
        return fa
    from torch.nn.attention import SDPBackend, sdpa_kernel
    b = getattr(SDPBackend, _SDPA[backend])

    def sdpa(q, k, v):
        with sdpa_kernel([b]):
            return F.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=gqa)
    return sdpa


def backend_skip(backend, dev, dtype, heads, kv_heads, head_dim, causal) -> str | None:
    """Why ``backend`` cannot run this configuration here (tried on a tiny case), or None."""
    if backend == "flash_attn":
        try:
            import flash_attn  # noqa: F401
        except ImportError:
            return "flash-attn is not installed"
        if dev.type != "cuda":
            return "flash-attn runs on CUDA only"
    try:
        f = _call(backend, kv_heads != heads, causal)
        q = torch.randn(1, heads, 16, head_dim, device=dev, dtype=dtype)
        k = torch.randn(1, kv_heads, 16, head_dim, device=dev, dtype=dtype)
        f(q, k, k)
    except Exception as e:  # the dispatcher's "no viable backend" RuntimeError, unsupported dtype, ...
        return f"{backend} cannot run this case: {type(e).__name__}: {str(e).splitlines()[0][:200]}"
    return None


def _reference(q, k, v, causal):
    """float64 attention of batch element 0 (K/V heads repeated for GQA)."""
    q, k, v = (t[0].to(torch.float64) for t in (q, k, v))
    rep = q.shape[0] // k.shape[0]
    k, v = k.repeat_interleave(rep, 0), v.repeat_interleave(rep, 0)
    s = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    if causal:
        n = s.shape[-1]
        s = s.masked_fill(torch.ones(n, n, dtype=torch.bool, device=s.device).triu(1), float("-inf"))
    p = torch.softmax(s, -1)
    return p @ v, p @ v.abs(), s.masked_fill(torch.isinf(s), 0).abs().max()


def make_op(p: dict, dev, seed: int) -> Op:
    dt = dtype_of(p["dtype"])
    g = torch.Generator(device="cpu").manual_seed(seed)
    b, h, kh, s, d = p["batch"], p["heads"], p["kv_heads"], p["seq"], p["head_dim"]
    q, k, v = (torch.randn(b, n, s, d, generator=g).to(dev, dt) for n in (h, kh, kh))
    f = _call(p["backend"], kh != h, p["causal"])
    if p["pass"] == "fwd_bwd":
        q, k, v = (t.requires_grad_() for t in (q, k, v))
        dout = torch.randn(b, h, s, d, generator=g).to(dev, dt)

        def run():
            out = f(q, k, v)
            torch.autograd.grad(out, (q, k, v), dout)
    else:
        def run():
            with torch.no_grad():
                f(q, k, v)

    def check(plant: int) -> dict:
        with torch.no_grad():
            out = f(q, k, v)[0]
            ref, ref_abs, smax = _reference(q.detach(), k.detach(), v.detach(), p["causal"])
        u = unit_roundoff(dt)
        tol = 4 * u * (1 + float(smax)) * ref_abs + 1e-6
        return {"wrong": count_wrong(out, ref, tol, plant), "checked": ref.numel(),
                "method": "forward output of batch 0 vs float64 softmax(QK^T/sqrt(d))V; "
                          "|err| <= 4u(1+max|s|)(P|V|) + 1e-6"}

    flop = attention_flops(b, h, s, d, d, p["causal"], p["flop_convention"], p["pass"])
    return Op(run=run, check=check, work={"flop": flop})


def add_arguments(p, name: str) -> None:
    p.add_argument("--backends", default="math,flash,efficient,cudnn,flash_attn",
                   help=f"comma list of {', '.join(BACKENDS)}")
    p.add_argument("--batch", default="4", help="batch sizes")
    p.add_argument("--seq", default="512,1024,2048,4096", help="sequence lengths")
    p.add_argument("--heads", type=int, default=32, help="query heads H")
    p.add_argument("--kv-heads", type=int, default=None, help="key/value heads K (GQA; default H)")
    p.add_argument("--head-dim", type=int, default=128, help="head dimension d")
    p.add_argument("--dtypes", default="bf16", help="comma list of bf16, fp16, fp32")
    p.add_argument("--causal", choices=("true", "false", "both"), default="true")
    p.add_argument("--passes", default="fwd,fwd_bwd", help="fwd, fwd_bwd")
    p.add_argument("--flop-convention", choices=ATTENTION_CONVENTIONS, default="fa2")


def plan_overrides(name, dev):
    return {}


def sweeps(name, args, ctx):
    dev = ctx.device
    kh = args.kv_heads or args.heads
    causals = {"true": (True,), "false": (False,), "both": (False, True)}[args.causal]
    cases, probe = [], {}
    for dt, be, c, ps, b, s in itertools.product(args.dtypes.split(","), args.backends.split(","), causals,
                                                 args.passes.split(","), parse_dims(args.batch),
                                                 parse_dims(args.seq)):
        params = {"backend": be, "dtype": dt, "pass": ps, "causal": c, "batch": b, "seq": s, "heads": args.heads,
                  "kv_heads": kh, "head_dim": args.head_dim, "flop_convention": args.flop_convention,
                  "layout": "(B, H, S, d)"}
        key = (be, dt, c)
        if key not in probe:
            probe[key] = (f"unknown backend {be!r}" if be not in BACKENDS else
                          backend_skip(be, dev, dtype_of(dt), args.heads, kh, args.head_dim, c))
        cases.append(Case(params, lambda p=params: make_op(p, dev, args.seed), probe[key]))
    yield ATTENTION, cases


def finish(name, ctx, results):
    pass
