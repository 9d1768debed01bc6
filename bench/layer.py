"""One transformer layer built in plain torch from a cookbook ``ModelConfig``, timed forward and forward+backward.

The layer: pre-norm (RMSNorm or LayerNorm), Q/K/V/O projections with GQA (K key/value heads), rotary positions
when the model uses them, causal SDPA, then a gated (SiLU/GELU) or plain MLP, residuals around both. Covers the
dense sequential presets (Llama, Mistral, Qwen2 dense, GPT-2 shape); MoE, MLA, parallel blocks, sliding windows,
QK norms and sandwich norms are refused with a reason (status ``skipped``).

FLOPs to compare with: ``cookbook.flops.forward_flops(model, B, S, attention="causal").layers[0]`` (exact causal
pairs, matmuls only) for the forward; forward+backward = 3 x that (cookbook.flops: backward = 2 x forward). The
kernels run more (SDPA's math backend computes the masked half; norms, softmax and rotary are not counted), so
the achieved rate is "model FLOPs per second", as MFU uses. Check: the output of batch 0 against a float64 copy.
"""

from __future__ import annotations

import copy
import itertools
import math

import torch
import torch.nn.functional as F
from torch import nn

from bench.checks import count_wrong
from bench.device import dtype_of, unit_roundoff
from bench.gemm import parse_dims
from bench.harness import Benchmark, Case, Op
from cookbook.flops import forward_flops
from cookbook.model import ModelConfig
from cookbook.presets import get_preset

__all__ = ["LAYER", "Layer", "unsupported", "layer_flops", "add_arguments", "sweeps", "plan_overrides", "finish"]

CHECK_TOKENS = 128
_ACT = {"silu": F.silu, "swish": F.silu, "gelu": F.gelu, "relu": F.relu,
        "gelu_new": lambda x: F.gelu(x, approximate="tanh"), "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh")}


def unsupported(m: ModelConfig) -> str | None:
    """Why this benchmark cannot build ``m``'s layer, or None."""
    why = [name for name, bad in (("MoE", m.moe is not None), ("MLA", m.mla is not None),
                                  ("parallel block", m.parallel_block), ("sliding window", m.sliding_window),
                                  ("QK norm", m.qk_norm != "none"), ("sandwich norms", m.layer_norms != 2),
                                  ("attention sinks", m.attention_sinks), ("non-parametric norm",
                                                                           m.norm == "nonparametric"))
           if bad]
    if (m.activation or "gelu") not in _ACT:
        why.append(f"activation {m.activation!r}")
    return f"layer benchmark does not build: {', '.join(why)}" if why else None


def layer_flops(m: ModelConfig, batch: int, seq: int, pass_: str) -> int:
    """Model FLOPs of layer 0 from cookbook.flops (causal); fwd_bwd = 3 x forward (backward = 2 x forward)."""
    fwd = forward_flops(m, batch, seq, attention="causal").layers[0]
    return fwd if pass_ == "fwd" else 3 * fwd


class _RMSNorm(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return F.rms_norm(x, (x.shape[-1],), self.weight, 1e-6)


def _rope(x, theta=10000.0):
    """Rotary embedding (rotate-half form) on (B, H, S, d)."""
    s, d = x.shape[-2], x.shape[-1]
    inv = 1.0 / theta ** (torch.arange(0, d, 2, device=x.device, dtype=torch.float32) / d)
    ang = torch.outer(torch.arange(s, device=x.device, dtype=torch.float32), inv)
    cos, sin = torch.cat((ang, ang), -1).cos().to(x.dtype), torch.cat((ang, ang), -1).sin().to(x.dtype)
    x1, x2 = x[..., : d // 2], x[..., d // 2:]
    return x * cos + torch.cat((-x2, x1), -1) * sin


class Layer(nn.Module):
    """A dense pre-norm decoder layer of ``m``."""

    def __init__(self, m: ModelConfig):
        super().__init__()
        d, h, kh, dh, f = m.hidden_size, m.num_heads, m.kv_heads, m.head_size, m.ffn
        norm = (lambda: _RMSNorm(d)) if m.norm == "rmsnorm" else (lambda: nn.LayerNorm(d, bias=m.norm_bias))
        self.n1, self.n2 = norm(), norm()
        self.q = nn.Linear(d, h * dh, bias=m.qkv_bias)
        self.k = nn.Linear(d, kh * dh, bias=m.qkv_bias)
        self.v = nn.Linear(d, kh * dh, bias=m.qkv_bias)
        self.o = nn.Linear(h * dh, d, bias=m.out_bias)
        self.up = nn.Linear(d, (2 if m.gated_mlp else 1) * f, bias=m.mlp_bias)
        self.down = nn.Linear(f, d, bias=m.mlp_bias)
        self.act, self.gated, self.rotary = _ACT[m.activation or "gelu"], m.gated_mlp, m.position == "rotary"
        self.h, self.kh, self.dh = h, kh, dh

    def _attn(self, x):
        b, s, _ = x.shape
        q = self.q(x).view(b, s, self.h, self.dh).transpose(1, 2)
        k = self.k(x).view(b, s, self.kh, self.dh).transpose(1, 2)
        v = self.v(x).view(b, s, self.kh, self.dh).transpose(1, 2)
        if self.rotary:
            q, k = _rope(q), _rope(k)
        o = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=self.kh != self.h)
        return self.o(o.transpose(1, 2).reshape(b, s, self.h * self.dh))

    def _mlp(self, x):
        u = self.up(x)
        if self.gated:
            g, u = u.chunk(2, dim=-1)
            return self.down(self.act(g) * u)
        return self.down(self.act(u))

    def forward(self, x):
        x = x + self._attn(self.n1(x))
        return x + self._mlp(self.n2(x))


def _init(layer: Layer, seed: int) -> None:
    g = torch.Generator(device="cpu").manual_seed(seed)
    with torch.no_grad():
        for p in layer.parameters():
            if p.dim() > 1:
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(p.shape[1]))


def make_op(p: dict, model: ModelConfig, dev, seed: int) -> Op:
    dt = dtype_of(p["dtype"])
    layer = Layer(model)
    _init(layer, seed)
    ref_layer = copy.deepcopy(layer).to(dev, torch.float64)
    layer = layer.to(dev, dt)
    g = torch.Generator(device="cpu").manual_seed(seed + 1)
    x = torch.randn(p["batch_size"], p["seq"], model.hidden_size, generator=g)
    xd = x.to(dev, dt)
    if p["pass"] == "fwd_bwd":
        xd.requires_grad_()
        dy = torch.randn(x.shape, generator=g).to(dev, dt)
        params = [xd, *layer.parameters()]

        def run():
            torch.autograd.grad(layer(xd), params, dy)
    else:
        def run():
            with torch.no_grad():
                layer(xd)

    def check(plant: int) -> dict:
        t = min(p["seq"], CHECK_TOKENS)  # causal: the first t outputs depend on the first t inputs only
        with torch.no_grad():
            out = layer(xd)[0, :t]
            ref = ref_layer(x[:1, :t].to(dev, torch.float64))[0]
        tol = 64 * unit_roundoff(dt) * (ref.abs() + ref.abs().mean()) + 1e-6
        return {"wrong": count_wrong(out, ref, tol, plant), "checked": ref.numel(),
                "method": f"first {t} tokens of batch 0 vs the same layer in float64 on the device; "
                          "|err| <= 64u(|ref| + mean|ref|)"}

    return Op(run=run, check=check, work={"flop": layer_flops(model, p["batch_size"], p["seq"], p["pass"])})


def _derive(params, work, stats):
    f = work["flop"]
    return {"flop": f, "flop_per_s_median": f / stats["median"], "flop_per_s_best": f / stats["min"],
            "flop_per_s_mean_time": f / stats["mean"],
            "flop_source": "cookbook.flops.forward_flops(attention='causal').layers[0]; fwd_bwd = 3 x fwd"}


def _summary(res):
    m = res["metrics"]
    return f"median {res['stats']['median'] * 1e3:.4g} ms, {m['flop_per_s_median'] / 1e12:.4g} TFLOP/s " \
           f"(model FLOPs), wrong {res['wrong']}"


LAYER = Benchmark("layer", 1, "compute", {"mode": "latency: one layer call per timing pair",
                                          "input_init": "randn, fixed seed; weights randn/sqrt(fan_in)",
                                          "attention": "SDPA default backend, causal"}, _derive, _summary)


def add_arguments(p, name):
    p.add_argument("--preset", default="llama-3-8b", help="cookbook preset whose layer is built")
    p.add_argument("--hidden-size", type=int, default=None, help="override D (small CPU runs)")
    p.add_argument("--ffn-size", type=int, default=None, help="override F")
    p.add_argument("--heads", type=int, default=None, help="override H (and K = H / (H0 / K0))")
    p.add_argument("--batch-size", default="1", help="batch sizes")
    p.add_argument("--seq", default="2048,4096", help="sequence lengths")
    p.add_argument("--dtypes", default="bf16", help="comma list of bf16, fp16, fp32")
    p.add_argument("--passes", default="fwd,fwd_bwd")


def _model(args) -> ModelConfig:
    m = get_preset(args.preset)
    ch = {}
    if args.heads:
        ratio = m.num_heads // m.kv_heads
        ch.update(num_heads=args.heads, num_kv_heads=max(args.heads // ratio, 1))
    if args.hidden_size:
        ch["hidden_size"] = args.hidden_size
        if m.head_dim is not None:
            ch["head_dim"] = args.hidden_size // ch.get("num_heads", m.num_heads)
    if args.ffn_size:
        ch["ffn_size"] = args.ffn_size
    return m.replace(**ch) if ch else m


def plan_overrides(name, dev):
    return {}


def sweeps(name, args, ctx):
    m = _model(args)
    skip = unsupported(m)
    cases = []
    for dt, ps, b, s in itertools.product(args.dtypes.split(","), args.passes.split(","),
                                          parse_dims(args.batch_size), parse_dims(args.seq)):
        params = {"preset": args.preset, "dtype": dt, "pass": ps, "batch_size": b, "seq": s,
                  "hidden_size": m.hidden_size, "num_heads": m.num_heads, "num_kv_heads": m.kv_heads,
                  "head_dim": m.head_size, "ffn_size": m.ffn, "gated_mlp": m.gated_mlp, "norm": m.norm}
        cases.append(Case(params, lambda p=params: make_op(p, m, ctx.device, args.seed), skip))
    yield LAYER, cases


def finish(name, ctx, results):
    pass
