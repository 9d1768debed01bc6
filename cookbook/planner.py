"""Layout planner: enumerate tp/pp/dp/cp/ep, ZeRO stage, recompute and micro-batch for a model on a cluster,
keep the layouts that fit in memory, rank them by predicted step time, explain the best few.

Search space (``plan``): TP divides the heads, KV heads and FFN and stays inside a node; PP stages (and
``virtual_stages`` 2 or 4 with the interleaved schedule) divide the layers, or, for a pp
that does not divide them, the stages are split by cookbook.layout.balanced_split (middle stages ceil(L/pp)
layers, first and last the rest: Llama 3 405B, 7 + 14*8 + 7 on 16 stages; 1F1B only); CP divides the sequence (up to
``max_cp``); DP = GPUs / (TP PP CP) divides the global batch; EP divides DP*CP and the experts (MoE only); ZeRO
0-3 (only with DP*CP > 1); recompute none/selective/full; micro-batch 1, 2, 4, 8 dividing the batch per DP
rank. Sequence parallelism is on whenever TP > 1 (it only removes memory and costs no extra traffic).

Order of work, so thousands of layouts take well under a second: per-model quantities are computed once
(cookbook.train_time.TrainingProblem); every candidate is timed (cheap arithmetic); a lower bound of its memory
(weights, gradients, master weights and optimizer states of the first stage's layers, plus their activations
times the micro-batches in flight, both from cookbook.memory's own per-layer terms) drops the infeasible ones;
then the exact per-GPU memory model (cookbook.memory.training_memory) is evaluated in order of predicted time
until ``top`` layouts fit (``exhaustive=True``: for every candidate).
"""

from __future__ import annotations


from cookbook.efficiency import Efficiency, efficiency_for
from cookbook.errors import CookbookError
from cookbook.hardware import GPU
from cookbook.layout import ParallelLayout, balanced_split
from cookbook.memory import PRECISIONS, state_bytes_per_param, training_memory
from cookbook.model import ModelConfig
from cookbook.train_time import TrainingProblem, layer_activation_bytes, step_time

__all__ = ["candidates", "plan", "explain", "MICRO_BATCHES", "RECOMPUTES"]

MICRO_BATCHES = (1, 2, 4, 8)
RECOMPUTES = ("none", "selective", "full")


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def candidates(m: ModelConfig, gpus: int, gpus_per_node: int, global_batch: int, seq: int, max_cp: int = 8,
               micro_batches=MICRO_BATCHES, recomputes=RECOMPUTES, zero_stages=(0, 1, 2, 3)):
    """Yield (ParallelLayout, recompute) for every layout in the search space (see module docstring)."""
    for tp in _divisors(min(gpus, gpus_per_node)):
        if gpus % tp or m.num_heads % tp or m.kv_heads % tp or m.ffn % tp:
            continue
        for pp in _divisors(gpus // tp):
            split = (None, None) if m.num_layers % pp == 0 else balanced_split(m.num_layers, pp)
            if split is None:
                continue
            for cp in _divisors(gpus // (tp * pp)):
                if cp > max_cp or seq % cp or (tp > 1 and (seq // cp) % tp):
                    continue
                dp = gpus // (tp * pp * cp)
                if global_batch % dp:
                    continue
                yield from _inner(m, tp, pp, cp, dp, global_batch // dp, micro_batches, recomputes, zero_stages,
                                  split)


def _inner(m, tp, pp, cp, dp, per_rank, micro_batches, recomputes, zero_stages, split=(None, None)):
    eps = [e for e in _divisors(dp * cp) if m.moe is not None and m.moe.num_experts % e == 0] or [1]
    vs = [1] + [v for v in (2, 4) if pp > 1 and m.num_layers % (pp * v) == 0]
    for mb in micro_batches:
        if per_rank % mb:
            continue
        n_mb = per_rank // mb
        for v in vs:
            if v > 1 and n_mb % pp:  # Megatron-LM: interleaving needs m divisible by p
                continue
            for ep in eps:
                for z in zero_stages if dp * cp > 1 else (0,):
                    lay = ParallelLayout(tp=tp, pp=pp, dp=dp, cp=cp, ep=ep, zero=z, sequence_parallel=tp > 1,
                                         micro_batch=mb, num_microbatches=n_mb, virtual_stages=v,
                                         schedule="interleaved" if v > 1 else "1f1b",
                                         first_stage_layers=split[0], last_stage_layers=split[1])
                    for r in recomputes:
                        yield lay, r


def _state_lower_bound(problem: TrainingProblem, lay: ParallelLayout, per_param: float, pr) -> float:
    """Bytes per GPU of weights, gradients, master weights and optimizer states of the busiest stage's layers
    only (no embedding, activations or buffers): a lower bound of cookbook.memory's total."""
    key = ("state_bound", lay.pp, lay.first_stage_layers, lay.last_stage_layers)
    if key not in problem.cache:
        first = problem.layer_params[:_first_stage_layers(problem, lay)]
        problem.cache[key] = (sum(p[0] for p in first), sum(p[1] for p in first))
    dense, experts = problem.cache[key]
    dense, experts = dense / lay.tp, experts / (lay.tp * lay.ep)
    z, n = lay.zero_stage, lay.dp_group
    params = dense + experts
    opt = per_param - pr.weight - pr.grad
    return params * (pr.weight / (n if z >= 3 else 1) + pr.grad / (n if z >= 2 else 1) + opt / (n if z >= 1 else 1))


def _activation_lower_bound(problem: TrainingProblem, lay: ParallelLayout, recompute: str, precision: str) -> float:
    """Activation bytes of the first stage's layers (cookbook.memory's per-layer terms, via
    train_time.layer_activation_bytes, times micro-batch, layers and micro-batches in flight); with the state
    bound, a lower bound of the first stage's total, hence of the busiest stage's."""
    per = layer_activation_bytes(problem, lay.tp, lay.cp, lay.sequence_parallel, recompute, precision)
    return per * lay.micro_batch * _first_stage_layers(problem, lay) * lay.in_flight(0)


def _first_stage_layers(problem: TrainingProblem, lay: ParallelLayout) -> int:
    """Layers on the first pipeline stage (ParallelLayout.stage_layers), cached on the problem."""
    key = ("first_stage", lay.pp, lay.first_stage_layers, lay.last_stage_layers)
    if key not in problem.cache:
        problem.cache[key] = lay.stage_layers(problem.model.num_layers)[0]
    return problem.cache[key]


def plan(m: ModelConfig, gpu: GPU, gpus_per_node: int, nodes: int, global_batch: int, seq: int,
         precision: str = "bf16-mixed", optimizer: str = "adamw", capacity: int | None = None, top: int = 5,
         efficiency: Efficiency | None = None, overlap: dict | None = None, attention: str = "causal",
         max_cp: int = 8, exhaustive: bool = False, overhead: int = 1 << 30) -> dict:
    """Rank memory-feasible layouts by predicted step time. Returns {"best": [...], "counts", "capacity",
    "conventions"} (deterministic: speed is measured by scripts/bench_planner.py, not returned); each entry has layout, recompute, step time breakdown,
    memory per GPU and an explanation."""
    for name, v in (("gpus_per_node", gpus_per_node), ("nodes", nodes), ("global_batch", global_batch),
                    ("seq", seq), ("top", top)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise CookbookError(f"{name} must be an integer >= 1, got {v!r}")
    if precision not in PRECISIONS:
        raise CookbookError(f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}")
    cap = capacity if capacity is not None else gpu.hbm_bytes
    eff = efficiency or efficiency_for(gpu)
    problem = TrainingProblem.build(m, seq, attention)
    pr = PRECISIONS[precision]
    per_param = state_bytes_per_param(precision, optimizer, m)
    timed = []
    n_cand = n_pruned = 0
    for lay, rec in candidates(m, gpus_per_node * nodes, gpus_per_node, global_batch, seq, max_cp):
        n_cand += 1
        bound = _state_lower_bound(problem, lay, per_param, pr) + overhead
        if bound > cap or bound + _activation_lower_bound(problem, lay, rec, precision) > cap:
            n_pruned += 1
            continue
        r = step_time(problem, gpu, lay, rec, precision, eff, overlap, gpus_per_node)
        timed.append((r["step_time"], bound, n_cand, lay, rec, r))
    timed.sort(key=lambda x: x[:3])  # fastest first; on equal time, less state memory per GPU first
    best, n_mem = [], 0
    for t, _, _, lay, rec, r in timed:
        if len(best) >= top and not exhaustive:
            break
        n_mem += 1
        mem = training_memory(m, lay, seq, precision, optimizer, rec, overhead=overhead)
        if mem["total"] <= cap:
            best.append(_entry(lay, rec, r, mem, cap))
    n_fit = len(best)
    best = best[:top]
    for i, e in enumerate(best):
        e["explanation"] = explain(e, best[0] if i else None)
    return {"best": best, "capacity": cap, "gpus": gpus_per_node * nodes,
            "counts": {"candidates": n_cand, "pruned_by_bound": n_pruned, "timed": len(timed),
                       "memory_checked": n_mem, "fit_among_checked": n_fit},
            "efficiency": eff.as_dict(),
            "conventions": {"ranking": "predicted step time (cookbook.train_time), fastest first",
                            "memory": "cookbook.memory.training_memory total per GPU (busiest stage) <= capacity",
                            "sequence_parallel": "on whenever tp > 1"}}


_LAYOUT_KEYS = ("tp", "pp", "dp", "cp", "ep", "zero", "sequence_parallel", "micro_batch", "num_microbatches",
                "virtual_stages", "schedule", "first_stage_layers", "last_stage_layers")


def _entry(lay, rec, r, mem, cap) -> dict:
    return {"layout": {k: getattr(lay, k) for k in _LAYOUT_KEYS}, "recompute": rec,
            "step_time": r["step_time"], "breakdown": r["breakdown"], "mfu": r["mfu"],
            "tokens_per_second": r["tokens_per_second"], "memory_per_gpu": mem["total"],
            "memory_headroom": cap - mem["total"], "memory_breakdown": mem["per_gpu"]}


def explain(e: dict, best: dict | None = None) -> str:
    """One sentence: the layout, where its time goes, its memory, and (if not first) what it loses to the best."""
    L = e["layout"]
    split = L.get("first_stage_layers") is not None or L.get("last_stage_layers") is not None
    name = (f"tp={L['tp']} pp={L['pp']}" + (f"x{L['virtual_stages']}" if L["virtual_stages"] > 1 else "") +
            (f" (first {L['first_stage_layers']}, last {L['last_stage_layers']} layers)" if split else "") +
            f" dp={L['dp']} cp={L['cp']}" + (f" ep={L['ep']}" if L["ep"] > 1 else "") +
            f" zero={L['zero']} recompute={e['recompute']} micro_batch={L['micro_batch']} "
            f"x{L['num_microbatches']}")
    t = e["step_time"]
    parts = sorted(((v / t, k) for k, v in e["breakdown"].items() if v > 0), reverse=True)[:3]
    where = ", ".join(f"{k.replace('_', ' ')} {100 * f:.0f}%" for f, k in parts)
    s = (f"{name}: step {t:.3g} s ({where}), MFU {100 * e['mfu']:.1f}%, "
         f"{e['memory_per_gpu'] / 2**30:.1f} GiB per GPU ({e['memory_headroom'] / 2**30:.1f} GiB free)")
    if best is not None:
        worse = max(((e["breakdown"][k] - best["breakdown"][k], k) for k in e["breakdown"]))
        s += f"; {100 * (t / best['step_time'] - 1):.1f}% slower than the best"
        if worse[0] > 0:
            s += f", mostly more {worse[1].replace('_', ' ')}"
        if e["memory_per_gpu"] < best["memory_per_gpu"]:
            s += f", {(best['memory_per_gpu'] - e['memory_per_gpu']) / 2**30:.1f} GiB less memory"
    return s
