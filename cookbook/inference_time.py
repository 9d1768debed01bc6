"""Inference time: a roofline per operation, time to first token, time per output token, tokens/s against batch.

Static batching (all ``batch`` requests start together, as TensorRT-LLM's gptSessionBenchmark measures): a prefill
of ``prompt`` tokens per request, then ``output - 1`` decode steps (the first output token comes from the
prefill's logits). Per GPU of a tensor-parallel group of ``tp`` GPUs:

- **operations**: every weight matrix of cookbook.shapes (q, k, v, o, up, gate, down per layer;
  the lm_head) is one op: FLOPs 2*T*rows*cols/tp (T tokens in the step), bytes = its weights (read once per
  step, shared by the batch) + its input and output activations. ``attention`` (scores and values, all
  layers): FLOPs from cookbook.flops (causal), bytes = the KV cache read (cookbook.kv_cache) + Q and the output;
  in prefill, the KV cache written instead. ``elementwise`` (norms, activation function, residuals, rotary):
  bytes only, the activations a layer would save for backward (cookbook.memory, flash attention) written once.
- **op time** = max(FLOPs / (peak x Efficiency.matmul), bytes / (HBM bandwidth x Efficiency.hbm)) (roofline,
  Williams et al. 2009); the step is the sum over ops (no overlap between ops) plus TP communication: 2
  all-reduces per layer of T*D activations (cookbook.comm traffic / (link x efficiency) + latency).
- **decode, integrated**: the KV cache grows by one token per step, so the attention op's FLOPs and bytes are
  linear in the context between sliding-window breakpoints; the sum over all decode steps of max(compute,
  memory) is computed exactly piecewise (crossover points included), not at one context.
- ``kv_reads``: ``shared`` (default: a GQA kernel reads each K/V head once for its group of query heads) or
  ``per_query_head`` (a kernel that reads K/V once per query head, H/K times the cache traffic, as an MHA kernel
  run on a GQA cache does); a labelled property of the attention kernel, not a fudge factor.
- ``crossover_batch``: the decode batch at which the weight matmuls turn compute-bound (their FLOPs per weight
  byte reach the ridge point peak x eff_matmul / (bandwidth x eff_hbm)).
- **MoE**: routed experts run ``top_k`` per token; a step reads the weights of the experts its tokens touch,
  E (1 - (1 - k/E)^T) of them in expectation for T tokens under uniform routing (``touched_experts``), split by
  TP (no expert parallelism in serving here). Shared experts and the router are dense ops.
Not counted: kernel launch gaps, scheduling, sampling, de-tokenisation.
"""

from __future__ import annotations

from cookbook.comm import bytes_sent_per_rank
from cookbook.dtypes import bits
from cookbook.efficiency import Efficiency, efficiency_for
from cookbook.errors import CookbookError
from cookbook.flops import decode_flops, forward_flops
from cookbook.hardware import GPU
from cookbook.kv_cache import kv_cache_bytes, kv_heads_per_gpu
from cookbook.layout import ParallelLayout
from cookbook.memory import activation_bytes_per_gpu
from cookbook.model import ModelConfig
from cookbook.roofline import bound, roofline_time
from cookbook.shapes import Matrix, layer_matrices, outer_matrices

__all__ = ["KV_READS", "touched_experts", "prefill_time", "decode_step_time", "decode_time", "request_time",
           "batch_sweep", "crossover_batch", "COLUMN_PARALLEL"]

KV_READS = ("shared", "per_query_head")
COLUMN_PARALLEL = ("q", "k", "v", "up", "gate", "q_a", "q_b", "kv_a", "kv_b", "lm_head", "embedding")


def _int(name, v, minimum=1):
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        raise CookbookError(f"{name} must be an integer >= {minimum}, got {v!r}")


def _kind(x: Matrix) -> str:
    return "experts" if x.routed else "shared" if x.part == "shared_experts" else "dense"


def _layers(m: ModelConfig) -> list[list[tuple]]:
    """Each layer's weight matrices from cookbook.shapes as [(name, rows, cols, count, kind)], kind "dense",
    "experts" (the routed experts of an MoE layer, ``count`` = their number) or "shared"; the 1 x D
    shared-expert gate is not costed (as in cookbook.memory.matrix_shapes)."""
    return [[(x.name, x.rows, x.cols, x.count, _kind(x)) for x in layer_matrices(m, i) if x.name != "shared_gate"]
            for i in range(m.num_layers)]


class _Setup:
    """Validated inputs and derived rates shared by every op of a run."""

    def __init__(self, m, gpu, tp, weight_dtype, kv_dtype, dtype, efficiency, gpus_per_node, kv_reads="shared"):
        if kv_reads not in KV_READS:
            raise CookbookError(f"kv_reads must be one of {', '.join(KV_READS)}; got {kv_reads!r}")
        self.kv_factor = m.num_heads / m.kv_heads if kv_reads == "per_query_head" and m.mla is None else 1
        _int("tp", tp)
        _int("gpus_per_node", gpus_per_node)
        kv_heads_per_gpu(m, tp)  # validates tp against the KV heads
        if m.num_heads % tp:
            raise CookbookError(f"num_heads ({m.num_heads}) is not divisible by tp ({tp})")
        self.m, self.gpu, self.tp = m, gpu, tp
        self.eff = efficiency or efficiency_for(gpu, dtype)
        self.peak = gpu.peak(dtype) * self.eff.matmul
        self.bw = gpu.hbm_bandwidth * self.eff.hbm
        self.w = bits(weight_dtype) / 8
        self.a = bits(dtype if dtype in ("bf16", "fp16", "fp32") else "bf16") / 8
        self.kv_dtype, self.gpus_per_node = kv_dtype, gpus_per_node
        groups = {}  # identical layers are costed once and counted
        for mats in _layers(m):
            key = tuple(mats)
            groups[key] = groups.get(key, 0) + 1
        self.layer_groups = list(groups.items())
        head = next(x for x in outer_matrices(m) if x.name == "lm_head")  # tied or not: V x E
        self.lm_head = (head.rows, head.cols)


def touched_experts(num_experts: int, top_k: int, tokens: int) -> float:
    """Expected number of distinct routed experts ``tokens`` tokens use when each picks ``top_k`` of
    ``num_experts`` uniformly at random: E * (1 - (1 - k/E)^T). A model of routing, not a measurement: real
    routers are skewed, which touches fewer experts."""
    return num_experts * (1 - (1 - top_k / num_experts) ** tokens)


def _op(flops: float, nbytes: float, s: _Setup) -> dict:
    return {"flops": flops, "bytes": nbytes, "seconds": roofline_time(flops, nbytes, s.peak, s.bw),
            "compute_seconds": flops / s.peak, "memory_seconds": nbytes / s.bw,
            "bound": bound(flops, nbytes, s.peak, s.bw)}


def _matmul_ops(s: _Setup, tokens: int, logit_tokens: int) -> dict:
    """Per-op rooflines of the weight matmuls of all layers and the lm_head, for ``tokens`` tokens. Routed experts:
    each token runs ``top_k`` of them; the step reads the weights of the experts its tokens touch
    (``touched_experts``, uniform routing)."""
    tp, ops = s.tp, {}
    moe = s.m.moe
    for mats, count in s.layer_groups:
        for name, r, c, n, kind in mats:
            out_, in_ = (r / tp, c) if name in COLUMN_PARALLEL else (r, c / tp)
            if kind == "experts":
                used, read = tokens * moe.top_k, touched_experts(n, moe.top_k, tokens)
                label = f"experts.{name}"
            else:
                used, read = tokens * n, n
                label = f"shared_experts.{name}" if kind == "shared" else name
            one = _op(2 * used * r * c / tp, read * r * c * s.w / tp + used * (in_ + out_) * s.a, s)
            prev = ops.get(label)
            ops[label] = {**one, **{k: one[k] * count + (prev[k] if prev else 0.0)
                                    for k in ("flops", "bytes", "seconds", "compute_seconds", "memory_seconds")}}
            if prev and prev["bound"] != one["bound"]:
                ops[label]["bound"] = "mixed"
    v_rows, e = s.lm_head
    ops["lm_head"] = _op(2 * logit_tokens * v_rows * e / tp,
                         v_rows * e * s.w / tp + logit_tokens * (e + v_rows / tp) * s.a, s)
    return ops


def _elementwise(s: _Setup, batch: int, seq: int) -> dict:
    lay = ParallelLayout(tp=s.tp, sequence_parallel=False, micro_batch=batch)
    prec = "bf16-mixed" if s.a == 2 else "fp32"
    nb = activation_bytes_per_gpu(s.m, lay, seq, prec, "flash", "none", "hf")["layers"]
    return _op(0.0, float(nb), s)


def _tp_comm(s: _Setup, tokens: int) -> float:
    if s.tp == 1:
        return 0.0
    if s.tp <= s.gpus_per_node:
        link = s.gpu.intra_node_bandwidth * s.eff.intra_link
    elif s.gpu.inter_node_bandwidth:
        link = s.gpu.inter_node_bandwidth * s.eff.inter_link
    else:
        raise CookbookError(f"tp ({s.tp}) spans nodes of {s.gpus_per_node} GPUs and {s.gpu.name} has no "
                            "inter-node bandwidth; keep tp <= gpus_per_node")
    size = tokens * s.m.hidden_size * s.a
    one = float(bytes_sent_per_rank("all_reduce", s.tp, int(size))) / link + s.eff.collective_latency
    return 2 * s.m.num_layers * one


def _attention_prefill(s: _Setup, batch: int, prompt: int) -> dict:
    fw = forward_flops(s.m, batch, prompt, "causal", logits="last").breakdown
    f = (fw["attention_scores"] + fw["attention_values"]) / s.tp
    kv = kv_cache_bytes(s.m, batch, prompt, s.kv_dtype, s.tp)["total"] * s.kv_factor
    qo = batch * prompt * s.m.num_heads * (s.m.head_size + s.m.v_head_size) * s.a * s.m.num_layers / s.tp
    return _op(f, kv + qo, s)


def _attention_decode_terms(s: _Setup, batch: int, context: int) -> tuple:
    """(FLOPs, bytes) of the attention op of one decode step at ``context`` cached tokens."""
    fw = decode_flops(s.m, context, batch, "causal").breakdown
    f = (fw["attention_scores"] + fw["attention_values"]) / s.tp
    kv = kv_cache_bytes(s.m, batch, context + 1, s.kv_dtype, s.tp)["total"] * s.kv_factor
    qo = batch * s.m.num_heads * (s.m.head_size + s.m.v_head_size) * s.a * s.m.num_layers / s.tp
    return f, kv + qo


def _total(ops: dict, comm: float) -> float:
    return sum(o["seconds"] for o in ops.values()) + comm


def prefill_time(m: ModelConfig, gpu: GPU, batch: int, prompt: int, tp: int = 1, weight_dtype: str = "bf16",
                 kv_dtype: str = "bf16", dtype: str = "bf16", efficiency: Efficiency | None = None,
                 gpus_per_node: int = 8, kv_reads: str = "shared") -> dict:
    """The prefill of ``batch`` prompts of ``prompt`` tokens (= time to first token under static batching).
    Returns {"seconds", "ops": {name: roofline}, "tp_comm", "bound_share"}; ops' seconds + tp_comm = seconds."""
    _int("batch", batch)
    _int("prompt", prompt)
    s = _Setup(m, gpu, tp, weight_dtype, kv_dtype, dtype, efficiency, gpus_per_node, kv_reads)
    ops = _matmul_ops(s, batch * prompt, batch)
    ops["attention"] = _attention_prefill(s, batch, prompt)
    ops["elementwise"] = _elementwise(s, batch, prompt)
    comm = _tp_comm(s, batch * prompt)
    return {"seconds": _total(ops, comm), "ops": ops, "tp_comm": comm}


def decode_step_time(m: ModelConfig, gpu: GPU, batch: int, context: int, tp: int = 1, weight_dtype: str = "bf16",
                     kv_dtype: str = "bf16", dtype: str = "bf16", efficiency: Efficiency | None = None,
                     gpus_per_node: int = 8, kv_reads: str = "shared") -> dict:
    """One decode step: ``batch`` sequences with ``context`` cached tokens each produce one token."""
    _int("batch", batch)
    _int("context", context, 0)
    s = _Setup(m, gpu, tp, weight_dtype, kv_dtype, dtype, efficiency, gpus_per_node, kv_reads)
    ops = _matmul_ops(s, batch, batch)
    ops["attention"] = _op(*_attention_decode_terms(s, batch, context), s)
    ops["elementwise"] = _elementwise(s, batch, 1)
    comm = _tp_comm(s, batch)
    return {"seconds": _total(ops, comm), "ops": ops, "tp_comm": comm}


def _breakpoints(m: ModelConfig, a: int, b: int) -> list[int]:
    """Contexts after which the attention op's FLOPs or KV bytes may change slope (sliding windows)."""
    pts = set()
    for i in range(m.num_layers):
        w = m.attention_window(i)
        if w is not None:
            pts.update(x for x in (w - 2, w - 1, w) if a <= x < b)
    return sorted(pts)


def _sum_linear_max(fa, fb, ya, yb, a, b, p, bw) -> float:
    """sum over integer c in [a, b] of max(f(c)/p, y(c)/bw), f and y linear from (a: fa, ya) to (b: fb, yb);
    exact: the crossover of the two lines splits the range."""
    def line(va, vb, c):
        return va if b == a else va + (vb - va) * (c - a) / (b - a)

    def seg(lo, hi, compute):
        if hi < lo:
            return 0.0
        va, vb, d = (fa, fb, p) if compute else (ya, yb, bw)
        return (hi - lo + 1) * (line(va, vb, lo) + line(va, vb, hi)) / (2 * d)
    ga, gb = fa / p - ya / bw, fb / p - yb / bw  # compute minus memory time, linear in c
    if (ga >= 0) == (gb >= 0) or b == a:
        return seg(a, b, ga >= 0)
    k = int(a + (b - a) * ga / (ga - gb))  # last integer on ga's side of the crossover
    return seg(a, k, ga >= 0) + seg(k + 1, b, gb >= 0)


def decode_time(m: ModelConfig, gpu: GPU, batch: int, prompt: int, output: int, tp: int = 1,
                weight_dtype: str = "bf16", kv_dtype: str = "bf16", dtype: str = "bf16",
                efficiency: Efficiency | None = None, gpus_per_node: int = 8, kv_reads: str = "shared") -> dict:
    """All ``output - 1`` decode steps (contexts prompt .. prompt + output - 2), summed exactly.
    Returns {"seconds", "steps", "per_step_first", "per_step_last", "parts": {matmuls, attention, elementwise,
    tp_comm}} with parts summing to seconds."""
    _int("batch", batch)
    _int("prompt", prompt)
    _int("output", output)
    s = _Setup(m, gpu, tp, weight_dtype, kv_dtype, dtype, efficiency, gpus_per_node, kv_reads)
    steps = output - 1
    const = _matmul_ops(s, batch, batch)
    mat = sum(o["seconds"] for o in const.values())
    elem = _elementwise(s, batch, 1)["seconds"]
    comm = _tp_comm(s, batch)
    attn = 0.0
    if steps:
        a, b = prompt, prompt + steps - 1
        edges = [a] + [x + 1 for x in _breakpoints(m, a, b)] + [b + 1]
        for lo, hi in zip(edges, edges[1:]):
            hi -= 1
            if hi < lo:
                continue
            fa, ya = _attention_decode_terms(s, batch, lo)
            fb, yb = _attention_decode_terms(s, batch, hi)
            attn += _sum_linear_max(fa, fb, ya, yb, lo, hi, s.peak, s.bw)
    parts = {"matmuls": mat * steps, "attention": attn, "elementwise": elem * steps, "tp_comm": comm * steps}
    first = decode_step_time(m, gpu, batch, prompt, tp, weight_dtype, kv_dtype, dtype, s.eff, gpus_per_node,
                             kv_reads)
    last = decode_step_time(m, gpu, batch, prompt + max(steps, 1) - 1, tp, weight_dtype, kv_dtype, dtype, s.eff,
                            gpus_per_node, kv_reads)
    return {"seconds": sum(parts.values()), "steps": steps, "parts": parts,
            "per_step_first": first["seconds"], "per_step_last": last["seconds"]}


def request_time(m: ModelConfig, gpu: GPU, batch: int, prompt: int, output: int, tp: int = 1,
                 weight_dtype: str = "bf16", kv_dtype: str = "bf16", dtype: str = "bf16",
                 efficiency: Efficiency | None = None, gpus_per_node: int = 8, kv_reads: str = "shared") -> dict:
    """TTFT, TPOT (mean over the decode steps), end-to-end latency and throughput of one static batch."""
    args = (tp, weight_dtype, kv_dtype, dtype, efficiency, gpus_per_node, kv_reads)
    pre = prefill_time(m, gpu, batch, prompt, *args)
    dec = decode_time(m, gpu, batch, prompt, output, *args)
    e2e = pre["seconds"] + dec["seconds"]
    tpot = dec["seconds"] / dec["steps"] if dec["steps"] else None
    return {"ttft": pre["seconds"], "tpot": tpot, "e2e": e2e, "decode_seconds": dec["seconds"],
            "output_tokens_per_second": batch * output / e2e,
            "output_tokens_per_second_per_gpu": batch * output / e2e / tp,
            "decode_tokens_per_second": batch * dec["steps"] / dec["seconds"] if dec["steps"] else None,
            "prefill": pre, "decode": dec, "batch": batch, "prompt": prompt, "output": output, "tp": tp,
            "efficiency": (efficiency or efficiency_for(gpu, dtype)).as_dict()}


def batch_sweep(m: ModelConfig, gpu: GPU, prompt: int, output: int, batches=(1, 2, 4, 8, 16, 32, 64, 128, 256),
                **kw) -> list[dict]:
    """request_time for each batch: [{"batch", "ttft", "tpot", "output_tokens_per_second"}]."""
    out = []
    for b in batches:
        r = request_time(m, gpu, b, prompt, output, **kw)
        out.append({k: r[k] for k in ("batch", "ttft", "tpot", "e2e", "output_tokens_per_second")})
    return out


def crossover_batch(m: ModelConfig, gpu: GPU, weight_dtype: str = "bf16", dtype: str = "bf16",
                    efficiency: Efficiency | None = None) -> float:
    """Decode batch at which the weight matmuls turn compute-bound: 2*B FLOPs per weight element read at
    w bytes each reach the ridge point, B = ridge * w / 2 (activation traffic neglected)."""
    s = _Setup(m, gpu, 1, weight_dtype, "bf16", dtype, efficiency, 8)
    return s.peak / s.bw * s.w / 2
