"""Training step time: compute + memory-bound work + exposed communication + pipeline bubble; MFU; time to train.

Per step, on the busiest pipeline stage, for one micro-batch (``t_mb``):

- **compute** = hardware matmul FLOPs of the stage's layers (forward, backward = 2 x forward, recompute; the
  lm_head on the last stage) per GPU (split by TP and CP) / (dense peak x ``Efficiency.matmul``). FLOPs come from
  cookbook.flops (``attention``: ``causal`` for kernels that skip masked blocks, ``full`` for eager/unfused ones).
- **memory_bound** (``non_matmul="activations"``): norms, activations, softmax, dropout, residuals are bounded
  by HBM traffic. Convention: every activation byte a layer saves for backward (cookbook.memory, no recompute)
  is written once in the forward, read once and its gradient written once in the backward (3x), plus once more
  for what recomputation re-creates; time = bytes / (HBM bandwidth x ``Efficiency.hbm``). ``none`` drops it.
- **communication**, each collective timed as nccl-tests busbw traffic (cookbook.comm ``bytes_sent_per_rank``) /
  (link bandwidth x link efficiency) + ``Efficiency.collective_latency``, then multiplied by (1 - overlap):
  TP: 2 all-reduces per layer in the forward and 2 in the backward (+2 per recomputed forward) of the layer
  activations B*S*D, or with sequence parallelism the same traffic as all-gather + reduce-scatter pairs;
  CP: all-gather of K and V in the forward, reduce-scatter of their gradients in the backward;
  EP: 2 all-to-alls (dispatch, combine) per MoE layer forward and 2 backward of top_k*B*S*D;
  PP: one send of the stage's output activation forward and one gradient back per micro-batch and model chunk,
  1/TP of B*S*D per GPU (Megatron's scatter-gather, Narayanan et al. 2021 section 4.1, or sequence parallelism);
  DP (once per step): ZeRO-0 all-reduce of the stage's gradients, ZeRO-1/2 reduce-scatter of gradients plus
  all-gather of updated weights, ZeRO-3 per micro-batch an all-gather of weights for forward and for backward
  and a reduce-scatter of gradients.
- **links**: ranks are ordered TP fastest, then CP, EP (inside DP), DP, PP slowest (Megatron-LM); a group
  whose ranks span more than ``gpus_per_node`` GPUs uses the inter-node bandwidth per GPU, else NVLink.
- **pipeline** (Narayanan et al. 2021, sections 2.2.1-2.2.2): step = t_mb x (m + (p - 1)/v) for m micro-batches,
  p stages and v model chunks per GPU (1F1B: v = 1). The bubble is (p - 1)/(v m) of the ideal time,
  (p - 1)/(v m + p - 1) of the step.
- **MFU** = model FLOPs (forward + backward, no recompute, the ``attention`` convention) per step / (step time x
  GPUs x peak); HFU adds the recompute. Not modelled: optimizer step, data loading, stragglers, failures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from fractions import Fraction

from cookbook.comm import busbw_factor
from cookbook.efficiency import Efficiency, efficiency_for
from cookbook.errors import CookbookError
from cookbook.flops import ATTENTION, forward_flops, recompute_flops
from cookbook.hardware import GPU
from cookbook.layout import ParallelLayout, split_layers
from cookbook.memory import PRECISIONS, activation_bytes_per_gpu
from cookbook.model import ModelConfig
from cookbook.parallelism import Collective, dp_collectives, pp_collectives, tp_collectives
from cookbook.params import count_params

__all__ = ["TrainingProblem", "step_time", "time_to_train", "bubble_fraction", "COMM_KINDS", "PARTS",
           "NON_MATMUL", "DTYPE_OF_PRECISION", "layer_activation_bytes"]

COMM_KINDS = ("tp", "cp", "ep", "pp", "dp")
PARTS = ("compute", "memory_bound", "tp_comm", "cp_comm", "ep_comm", "pp_comm", "bubble", "dp_comm")
NON_MATMUL = ("activations", "none")
DTYPE_OF_PRECISION = {"fp32": "tf32", "fp8": "fp8"}  # else bf16/fp16 tensor peak


def _pos_int(name, v, minimum=1):
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        raise CookbookError(f"{name} must be an integer >= {minimum}, got {v!r}")


def bubble_fraction(pp: int, num_microbatches: int, virtual_stages: int = 1) -> Fraction:
    """Pipeline bubble as a fraction of the ideal (bubble-free) time: (p - 1) / (v m), Narayanan et al. 2021."""
    _pos_int("pp", pp)
    _pos_int("num_microbatches", num_microbatches)
    _pos_int("virtual_stages", virtual_stages)
    return Fraction(pp - 1, virtual_stages * num_microbatches)


@dataclass(frozen=True)
class TrainingProblem:
    """Per-model quantities computed once (FLOPs per sequence, per-layer params) for many layouts."""

    model: ModelConfig
    seq: int
    attention: str
    layer_fwd: tuple          # forward FLOPs of each layer for one sequence of ``seq`` tokens
    lm_head_fwd: int          # lm_head (+ embedding projection) forward FLOPs for one sequence
    recompute_per_seq: dict   # policy -> recompute FLOPs for one sequence (all layers)
    model_flops_per_seq: int  # forward + backward, one sequence
    layer_params: tuple       # dense (non-expert) params, expert params per layer
    outer_params: tuple       # (first-stage params: embedding..., last-stage params: lm_head, final norm)
    cache: dict = field(default_factory=dict, compare=False, repr=False)  # memory-bound traffic per layout

    @classmethod
    def build(cls, m: ModelConfig, seq: int, attention: str = "causal") -> "TrainingProblem":
        _pos_int("seq", seq)
        if attention not in ATTENTION:
            raise CookbookError(f"attention must be one of {', '.join(ATTENTION)}; got {attention!r}")
        fwd = forward_flops(m, 1, seq, attention)
        pc = count_params(m)
        b = pc.breakdown
        lp = tuple((p["attention"] + p["mlp"] + p["shared_experts"] + p["router"] + p["layer_norms"], p["experts"])
                   for p in pc.per_layer)
        first = b["embedding"] + b["position_embedding"] + b["embedding_norm"] + b["embedding_projection"]
        last = b["lm_head"] + b["final_norm"] + (b["embedding"] if m.tie_embeddings else 0)
        return cls(model=m, seq=seq, attention=attention, layer_fwd=fwd.layers,
                   lm_head_fwd=fwd.breakdown["lm_head"] + fwd.breakdown["embedding_projection"],
                   recompute_per_seq={r: recompute_flops(fwd, r) for r in ("none", "selective", "full")},
                   model_flops_per_seq=3 * fwd.total, layer_params=lp, outer_params=(first, last))


def _group_link(stride: int, size: int, gpus_per_node: int, gpu: GPU, eff: Efficiency) -> float:
    """Bytes/s one rank of a group of ``size`` ranks spaced ``stride`` apart gets (after efficiency)."""
    if stride * size <= gpus_per_node and gpu.intra_node_bandwidth:
        return gpu.intra_node_bandwidth * eff.intra_link
    if not gpu.inter_node_bandwidth:
        raise CookbookError(f"{gpu.name} has no inter-node bandwidth in the hardware table; a group of {size} "
                            f"ranks at stride {stride} spans nodes of {gpus_per_node} GPUs. Use a custom GPU "
                            "with inter_node_bandwidth or keep the layout inside one node")
    return gpu.inter_node_bandwidth * eff.inter_link


@lru_cache(maxsize=None)
def _factor(op: str, n: int) -> float:
    return float(busbw_factor(op, n))


def _time(colls, bw: float, eff: Efficiency) -> float:
    """Seconds of cookbook.parallelism Collectives at ``bw`` bytes/s per rank plus the latency of each call:
    each call sends S x busbw_factor bytes per rank (cookbook.comm, ring algorithms)."""
    return sum(c.calls * (c.size * _factor(c.op, c.ranks) / bw + eff.collective_latency)
               for c in colls if c.ranks > 1)


def _microbatch_comm(m, lay, seq, act, recompute, idx, gpu, eff, gpus_per_node) -> dict:
    """Unoverlapped seconds of TP, CP, EP and PP communication of one micro-batch on the busiest stage.
    TP and PP collectives are cookbook.parallelism's (TP's forward ones repeated when the forward is recomputed);
    CP and EP are described in the module docstring."""
    b, tp, cp, v = lay.micro_batch, lay.tp, lay.cp, lay.virtual_stages
    s_loc, n_layers = seq // cp, len(idx)
    again = 1 if recompute == "full" else 0
    comm = dict.fromkeys(COMM_KINDS, 0.0)
    if tp > 1:
        colls = tp_collectives(m, b, s_loc, tp, 1, act, lay.sequence_parallel, n_layers)
        fwd = colls[:2] if lay.sequence_parallel else colls[:1]
        comm["tp"] = _time(colls + fwd * again, _group_link(1, tp, gpus_per_node, gpu, eff), eff)
    if cp > 1:
        kv = b * seq * 2 * m.kv_heads * m.head_size * act // tp
        colls = (Collective("K,V all-gather (forward)", "all_gather", cp, kv, (1 + again) * n_layers),
                 Collective("dK,dV reduce-scatter (backward)", "reduce_scatter", cp, kv, n_layers))
        comm["cp"] = _time(colls, _group_link(tp, cp, gpus_per_node, gpu, eff), eff)
    if m.moe is not None and lay.ep > 1:
        moe_layers = sum(1 for i in idx if m.is_moe_layer(i))
        size = b * s_loc * m.moe.top_k * m.hidden_size * act // (tp if lay.sequence_parallel else 1)
        colls = (Collective("token dispatch + combine", "all_to_all", lay.ep, size, 2 * (2 + again) * moe_layers),)
        comm["ep"] = _time(colls, _group_link(tp * cp, lay.ep, gpus_per_node, gpu, eff), eff)
    if lay.pp > 1:
        # 1/t of B*S*D per GPU: sequence parallelism, or Megatron's scatter-gather (Narayanan et al. 2021, 4.1)
        colls = pp_collectives(m, b, s_loc, v, act, tp, sequence_parallel=True)
        comm["pp"] = _time(colls, _group_link(tp * cp * lay.dp, 2, gpus_per_node, gpu, eff), eff)
    return comm


def _busiest_stage(problem: TrainingProblem, pp: int, v: int, first: int | None = None,
                   last: int | None = None) -> tuple:
    """(forward FLOPs per sequence, layer indices) of the stage with the most FLOPs. Stage s holds model chunks
    s, s + pp, s + 2 pp, ... (layers per chunk: cookbook.layout.split_layers); the last stage also runs the
    lm_head. Cached on the problem."""
    key = ("stage", pp, v, first, last)
    if key not in problem.cache:
        chunks = split_layers(problem.model.num_layers, pp * v, first, last)
        start = [sum(chunks[:i]) for i in range(len(chunks))]
        best = None
        for s in range(pp):
            idx = tuple(i for c in range(s, pp * v, pp) for i in range(start[c], start[c] + chunks[c]))
            f = sum(problem.layer_fwd[i] for i in idx) + (problem.lm_head_fwd if s == pp - 1 else 0)
            if best is None or f > best[0]:
                best = (f, idx)
        problem.cache[key] = best
    return problem.cache[key]


def _check_layout(m: ModelConfig, lay: ParallelLayout, seq: int) -> None:
    try:
        lay.check(m, seq)
    except CookbookError as e:  # uneven pipeline splits are allowed here (Llama 3: 126 layers over 16 stages)
        if not str(e).startswith("num_layers"):
            raise
    if lay.pp * lay.virtual_stages > m.num_layers:
        raise CookbookError(f"pp*virtual_stages ({lay.pp}*{lay.virtual_stages}) exceeds num_layers "
                            f"({m.num_layers})")


def step_time(problem: TrainingProblem, gpu: GPU, layout: ParallelLayout, recompute: str = "none",
              precision: str = "bf16-mixed", efficiency: Efficiency | None = None, overlap: dict | None = None,
              gpus_per_node: int = 8, non_matmul: str = "activations", activation_attention: str = "flash",
              activation_model: str = "hf", dtype: str | None = None) -> dict:
    """Predicted time of one training step of ``layout`` (global batch = micro_batch x num_microbatches x dp).

    Returns {"step_time", "breakdown" (PARTS, summing to step_time), "comm_unoverlapped", "per_microbatch",
    "bubble_fraction", "mfu", "hfu", "tokens_per_second", "tokens_per_step", "flops", "efficiency", "overlap",
    "conventions"}. ``overlap``: fraction in [0, 1] of each COMM_KINDS' time hidden behind compute (default 0).
    """
    m, lay = problem.model, layout
    _validate(problem, lay, recompute, precision, non_matmul, gpus_per_node)
    ov = _overlap(overlap)
    compute_dtype = dtype or DTYPE_OF_PRECISION.get(precision, "bf16")
    eff = efficiency or efficiency_for(gpu, compute_dtype)
    pr = PRECISIONS[precision]
    f_stage, idx = _busiest_stage(problem, lay.pp, lay.virtual_stages, lay.first_stage_layers,
                                  lay.last_stage_layers)
    rec = problem.recompute_per_seq[recompute] * len(idx) / m.num_layers
    t_compute = lay.micro_batch * (3 * f_stage + rec) / (lay.tp * lay.cp) / (gpu.peak(compute_dtype) * eff.matmul)
    t_mem = 0.0
    if non_matmul == "activations":
        t_mem = len(idx) * _layer_traffic(problem, lay, recompute, precision, activation_attention,
                                          activation_model) / (gpu.hbm_bandwidth * eff.hbm)
    ckey = ("comm", lay.tp, lay.cp, lay.ep, lay.pp, lay.virtual_stages, lay.dp, lay.sequence_parallel,
            lay.micro_batch, recompute, pr.act, gpu, eff, gpus_per_node)
    if ckey not in problem.cache:
        problem.cache[ckey] = _microbatch_comm(m, lay, problem.seq, pr.act, recompute, idx, gpu, eff, gpus_per_node)
    comm = problem.cache[ckey]
    t_mb = t_compute + t_mem + sum(comm[k] * (1 - ov[k]) for k in ("tp", "cp", "ep", "pp"))
    t_dp = _dp_time(problem, lay, pr, gpu, eff, gpus_per_node, idx)
    mb = lay.num_microbatches
    parts = {"compute": t_compute * mb, "memory_bound": t_mem * mb,
             **{f"{k}_comm": comm[k] * (1 - ov[k]) * mb for k in ("tp", "cp", "ep", "pp")},
             "bubble": t_mb * (lay.pp - 1) / lay.virtual_stages, "dp_comm": t_dp * (1 - ov["dp"])}
    out = _result(problem, lay, recompute, gpu.peak(compute_dtype), parts)
    out.update({"comm_unoverlapped": {**{k: comm[k] * mb for k in ("tp", "cp", "ep", "pp")}, "dp": t_dp},
                "per_microbatch": t_mb, "busiest_stage_layers": len(idx), "efficiency": _eff_dict(problem, eff),
                "overlap": ov, "conventions": CONVENTIONS})
    return out


CONVENTIONS = {
    "flops": "cookbook.flops matmul FLOPs; TrainingProblem.attention says causal or full attention pairs",
    "mfu": "model FLOPs (forward + backward, no recompute) / (step time x GPUs x dense peak); hfu adds recompute",
    "memory_bound": "saved activation bytes x 3 (+ recomputed) per layer over HBM bandwidth x efficiency",
    "communication": "nccl-tests bytes per rank (ring) / (link bandwidth x efficiency) + latency per call, "
                     "x (1 - overlap); groups spanning more than gpus_per_node GPUs use the inter-node bandwidth",
    "pipeline": "step = t_microbatch x (m + (p - 1)/v) + data-parallel time (Narayanan et al. 2021)",
    "not_modelled": "optimizer step, data loading, kernel launch gaps, stragglers, failures",
}


def _validate(problem, lay, recompute, precision, non_matmul, gpus_per_node) -> None:
    _check_layout(problem.model, lay, problem.seq)
    if recompute not in problem.recompute_per_seq:
        raise CookbookError(f"recompute must be one of none, selective, full; got {recompute!r}")
    if precision not in PRECISIONS:
        raise CookbookError(f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}")
    if non_matmul not in NON_MATMUL:
        raise CookbookError(f"non_matmul must be one of {', '.join(NON_MATMUL)}; got {non_matmul!r}")
    _pos_int("gpus_per_node", gpus_per_node)


def _result(problem, lay, recompute, peak_raw, parts) -> dict:
    total = sum(parts.values())
    model_flops = problem.model_flops_per_seq * lay.global_batch
    hw_flops = model_flops + problem.recompute_per_seq[recompute] * lay.global_batch
    tokens = lay.global_batch * problem.seq
    return {"step_time": total, "breakdown": parts,
            "bubble_fraction": float(bubble_fraction(lay.pp, lay.num_microbatches, lay.virtual_stages)),
            "mfu": model_flops / (total * lay.world_size * peak_raw),
            "hfu": hw_flops / (total * lay.world_size * peak_raw),
            "tokens_per_second": tokens / total, "tokens_per_step": tokens,
            "flops": {"model": model_flops, "hardware": hw_flops}}


def _eff_dict(problem: TrainingProblem, eff: Efficiency) -> dict:
    key = ("eff", eff)
    if key not in problem.cache:
        problem.cache[key] = eff.as_dict()
    return problem.cache[key]


def _overlap(overlap: dict | None) -> dict:
    ov = dict.fromkeys(COMM_KINDS, 0.0)
    for k, v in (overlap or {}).items():
        if k not in ov:
            raise CookbookError(f"overlap key {k!r} unknown; use {', '.join(COMM_KINDS)}")
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1:
            raise CookbookError(f"overlap[{k!r}] must be a fraction in [0, 1], got {v!r}")
        ov[k] = float(v)
    return ov


def layer_activation_bytes(problem: TrainingProblem, tp: int, cp: int, sp: bool, recompute: str,
                           precision: str = "bf16-mixed", impl: str = "flash", act_model: str = "hf") -> float:
    """Activation bytes one GPU keeps per layer for one sequence (cookbook.memory.activation_bytes_per_gpu, the
    layers' part, averaged over layers). Models whose layers are all alike are computed on one layer (a layout
    with one layer per stage); cached on the problem."""
    key = ("act", tp, cp, sp, recompute, precision, impl, act_model)
    if key not in problem.cache:
        m = problem.model
        alike = all(m.layer_type(i) == m.layer_type(0) and m.is_moe_layer(i) == m.is_moe_layer(0)
                    for i in range(m.num_layers))
        n = 1 if alike else m.num_layers
        one = ParallelLayout(tp=tp, cp=cp, sequence_parallel=sp, pp=m.num_layers if alike else 1)
        a = activation_bytes_per_gpu(m, one, problem.seq, precision, impl, recompute, act_model)["layers"]
        problem.cache[key] = a / n
    return problem.cache[key]


def _layer_traffic(problem, lay, recompute, precision, impl, act_model) -> float:
    """HBM bytes of memory-bound work per layer per micro-batch on one GPU (see module docstring); activation
    bytes are linear in the micro-batch."""
    args = (problem, lay.tp, lay.cp, lay.sequence_parallel)
    none = layer_activation_bytes(*args, "none", precision, impl, act_model)
    again = {"none": 0.0, "full": none}.get(recompute)
    if again is None:
        again = none - layer_activation_bytes(*args, "selective", precision, impl, act_model)
    return lay.micro_batch * (3 * none + again)


def _dp_time(problem, lay, pr, gpu, eff, gpus_per_node, idx) -> float:
    """Unoverlapped seconds of the data-parallel collectives of one step (cookbook.parallelism.dp_collectives on
    the busiest stage's parameters; ZeRO-3's gathers and reduce-scatter happen for every micro-batch)."""
    n = lay.dp_group
    if n <= 1:
        return 0.0
    key = ("dp_params", idx)
    if key not in problem.cache:
        first, last = problem.outer_params
        lp = problem.layer_params
        problem.cache[key] = (sum(lp[i][0] for i in idx), sum(lp[i][1] for i in idx),
                              max(first if 0 in idx else 0, last if (problem.model.num_layers - 1) in idx else 0))
    dense, experts, outer = problem.cache[key]
    params = max(1, round((dense + outer) / lay.tp + experts / (lay.tp * lay.ep)))
    colls = dp_collectives(params, n, lay.zero_stage, pr.grad, pr.weight)
    per = lay.num_microbatches if lay.zero_stage == 3 else 1
    return per * _time(colls, _group_link(lay.tp, n, gpus_per_node, gpu, eff), eff)


def time_to_train(tokens: float, step: dict) -> dict:
    """Seconds and steps to train on ``tokens`` tokens at the predicted ``step`` (a step_time result)."""
    if isinstance(tokens, bool) or not isinstance(tokens, (int, float)) or not tokens > 0:
        raise CookbookError(f"tokens must be a positive number, got {tokens!r}")
    steps = tokens / step["tokens_per_step"]
    return {"steps": steps, "seconds": steps * step["step_time"]}
