"""Training memory per GPU, by category.

Categories (bytes, per GPU, on the pipeline stage that needs the most): ``weights``, ``gradients``,
``optimizer_states``, ``master_weights``, ``activations``, ``temporaries`` (backward of the loss: the fp32
gradient of the log-softmax and of the logits, 8*T*V/TP, on the last stage), ``communication_buffers`` and
``framework_overhead`` (a stated, settable constant: CUDA context, NCCL and allocator slack; 0 reproduces what
PyTorch's MemTracker sees). ``total`` is their sum: every category at its own maximum, the conservative
"will it fit" convention. PyTorch's real peak is lower when gradients are freed by ``zero_grad(set_to_none=True)``
(they grow while activations shrink); docs/memory-validation.md compares both.

Conventions (each labelled in the JSON ``conventions``):
- precision policies (``PRECISIONS``): bytes per parameter of weights, gradients, fp32 master copy, optimizer
  state element, and the activation dtype. Pure ``bf16`` keeps optimizer states in bf16, as PyTorch optimizers
  do for bf16 parameters. ``fp8`` (Transformer Engine style): bf16 weights plus fp8 copies of linear weights and
  their transposes (2 bytes per linear parameter), fp32 master and gradients, linear inputs saved at 1 byte.
- optimizers (``OPTIMIZERS``): AdamW 2 states; 8-bit Adam 2 one-byte states plus one fp32 absmax per 256
  (bitsandbytes block-wise); SGD 0; SGD with momentum 1; Lion 1; Adafactor factored second moment (rows +
  columns per matrix, full size for vectors; no first moment, transformers' default beta1=None); Muon 1
  momentum for hidden matrices and AdamW (2) for embeddings, lm_head, norms and biases.
- layouts (cookbook.layout.ParallelLayout): TP splits layer linears and the vocabulary (norms replicated);
  PP stages hold L/PP layers (or ParallelLayout's first/last_stage_layers and the rest evenly), the first also the embedding, the last the final norm and lm_head (a tied
  embedding is duplicated on the last stage when PP > 1, as Megatron-LM does); EP splits experts; ZeRO-1 shards
  optimizer states and master weights over DP*CP, ZeRO-2 also gradients, ZeRO-3 also weights (FSDP
  full_shard = ZeRO-3, shard_grad_op = ZeRO-2 but unsharded weights are kept from forward to backward,
  hybrid_shard = ZeRO-3 within ``shard_group``).
- activations: cookbook.activations (``hf`` model or ``korthikanti``), times the micro-batches in flight on the
  stage (1F1B / interleaved), split by TP (everything with sequence parallelism), and by CP.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from cookbook.activations import ATTENTION_IMPLS, RECOMPUTE, hf_layer_terms, hf_model_terms, korthikanti_layer_bytes
from cookbook.errors import CookbookError
from cookbook.layout import ParallelLayout
from cookbook.model import ModelConfig
from cookbook.params import count_params
from cookbook.shapes import layer_matrices, outer_matrices

__all__ = ["Precision", "PRECISIONS", "OPTIMIZERS", "CATEGORIES", "ACTIVATION_MODELS", "matrix_shapes",
           "optimizer_state_elements", "state_bytes_per_param", "activation_bytes_per_gpu", "training_memory"]

CATEGORIES = ("weights", "gradients", "optimizer_states", "master_weights", "activations", "temporaries",
              "communication_buffers", "framework_overhead")
ACTIVATION_MODELS = ("hf", "korthikanti")
OPTIMIZERS = ("adamw", "adam8bit", "sgd", "sgd_momentum", "adafactor", "lion", "muon")
DEFAULT_OVERHEAD = 1 << 30  # 1 GiB: CUDA context + NCCL + allocator slack (stated; set 0 to compare with MemTracker)


@lru_cache(maxsize=64)
def _count(m: ModelConfig):
    """count_params, memoised: solvers and the planner call training_memory thousands of times per model."""
    return count_params(m)


@dataclass(frozen=True)
class Precision:
    """Bytes per parameter of weights, gradients and master copy; bytes per optimizer-state element; bytes per
    activation element."""

    weight: int
    grad: int
    master: int
    state: int
    act: int
    fp8_linear: bool = False


PRECISIONS = {
    "fp32": Precision(4, 4, 0, 4, 4),
    "bf16-mixed": Precision(2, 2, 4, 4, 2),
    "bf16-mixed-fp32-grads": Precision(2, 4, 4, 4, 2),
    "fp16-mixed": Precision(2, 2, 4, 4, 2),
    "fp16-mixed-fp32-grads": Precision(2, 4, 4, 4, 2),
    "amp-bf16": Precision(4, 4, 0, 4, 2),
    "bf16": Precision(2, 2, 0, 2, 2),
    "fp8": Precision(2, 4, 4, 4, 2, fp8_linear=True),
}


def _precision(name: str) -> Precision:
    if name not in PRECISIONS:
        raise CookbookError(f"precision must be one of {', '.join(PRECISIONS)}; got {name!r}")
    return PRECISIONS[name]


def matrix_shapes(m: ModelConfig) -> list[tuple[str, int, int, int]]:
    """(name, rows, cols, how many) of every 2-D weight: embedding, lm_head and each layer's linears (experts as
    one matrix each), from cookbook.shapes. Parameters not listed are vectors (norms, biases, sinks); a tied
    lm_head is the embedding, and Qwen2-MoE's 1 x D shared-expert gate counts as a vector."""
    mats = [x for x in outer_matrices(m) if not x.tied]
    for i in range(m.num_layers):
        mats += layer_matrices(m, i)
    return [(x.name, x.rows, x.cols, x.count) for x in mats if x.name != "shared_gate"]


def optimizer_state_elements(m: ModelConfig, optimizer: str) -> int:
    """Optimizer state elements for the whole model (8-bit Adam: bytes, see ``state_bytes_per_param``)."""
    total = _count(m).total
    if optimizer in ("adamw", "adam8bit"):
        return 2 * total
    if optimizer == "sgd":
        return 0
    if optimizer in ("sgd_momentum", "lion"):
        return total
    shapes = matrix_shapes(m)
    if optimizer == "adafactor":
        in_matrices = sum(r * c * n for _, r, c, n in shapes)
        return sum((r + c) * n for _, r, c, n in shapes) + (total - in_matrices)
    if optimizer == "muon":
        outer = {"embedding", "lm_head", "position_embedding"}
        hidden = sum(r * c * n for name, r, c, n in shapes if name not in outer)
        return hidden + 2 * (total - hidden)
    raise CookbookError(f"optimizer must be one of {', '.join(OPTIMIZERS)}; got {optimizer!r}")


def state_bytes_per_param(precision: str, optimizer: str, model: ModelConfig | None = None) -> float:
    """Bytes per parameter of weights + gradients + master + optimizer states (no sharding).

    AdamW in bf16-mixed-fp32-grads: 2 + 4 + 4 + 8 = 18 (Korthikanti et al. 2022, Megatron-LM).
    Adafactor and Muon depend on the shapes: pass ``model``.
    """
    p = _precision(precision)
    base = p.weight + p.grad + p.master
    if optimizer == "adam8bit":
        return base + 2 * (1 + 4 / 256)
    if optimizer in ("adamw", "sgd", "sgd_momentum", "lion"):
        return base + {"adamw": 2, "sgd": 0, "sgd_momentum": 1, "lion": 1}[optimizer] * p.state
    if model is None:
        raise CookbookError(f"optimizer {optimizer!r}: states depend on the matrix shapes; pass the model")
    return base + optimizer_state_elements(m=model, optimizer=optimizer) * p.state / _count(model).total


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


def _stage_layers(m: ModelConfig, lay: ParallelLayout, stage: int) -> range:
    """Layer indices of pipeline stage ``stage`` (counts from ParallelLayout.stage_layers, contiguous)."""
    counts = lay.stage_layers(m.num_layers)
    start = sum(counts[:stage])
    return range(start, start + counts[stage])


def _stage_params(m: ModelConfig, lay: ParallelLayout, stage: int) -> dict:
    """Parameters one GPU of pipeline stage ``stage`` holds before ZeRO sharding:
    {"dense", "experts", "outer" (embedding/lm_head/final norm part of dense), "largest_layer", "linear"}."""
    pc = _count(m)
    tp, dense, experts, largest, linear = lay.tp, 0, 0, 0, 0
    for i in _stage_layers(m, lay, stage):
        p = pc.per_layer[i]
        mats = p["attention"] + p["mlp"] + p["shared_experts"] + p["router"]
        d = _ceil(mats, tp) + p["layer_norms"]
        e = _ceil(p["experts"], tp * lay.ep)
        dense, experts = dense + d, experts + e
        largest = max(largest, d + e)
        linear += _ceil(mats, tp) + e
    b = pc.breakdown
    outer = 0
    if stage == 0:
        outer += _ceil(b["embedding"] + b["position_embedding"], tp) + b["embedding_norm"] + b["embedding_projection"]
    if stage == lay.pp - 1:
        lm = b["lm_head"] + (b["embedding"] if m.tie_embeddings and lay.pp > 1 else 0)
        outer += _ceil(lm, tp) + b["final_norm"]
    return {"dense": dense + outer, "experts": experts, "outer": outer, "largest_layer": largest, "linear": linear}


@lru_cache(maxsize=256)
def _state_elements_per_param(m: ModelConfig, optimizer: str) -> float:
    return optimizer_state_elements(m, optimizer) / _count(m).total


def activation_bytes_per_gpu(m: ModelConfig, lay: ParallelLayout, seq_len: int, precision: str = "bf16-mixed",
                             attention: str = "flash", recompute: str = "none", activation_model: str = "hf",
                             stage: int = 0) -> dict:
    """Activation bytes on one GPU of pipeline stage ``stage``: {"total", "layers", "recompute_working_set",
    "outside_layers", "in_flight"}; ``layers`` already multiplied by the micro-batches in flight."""
    if recompute not in RECOMPUTE:
        raise CookbookError(f"recompute must be one of {', '.join(RECOMPUTE)}; got {recompute!r}")
    if attention not in ATTENTION_IMPLS:
        raise CookbookError(f"attention must be one of {', '.join(ATTENTION_IMPLS)}; got {attention!r}")
    if activation_model not in ACTIVATION_MODELS:
        raise CookbookError(f"activation_model must be one of {', '.join(ACTIVATION_MODELS)}; "
                            f"got {activation_model!r}")
    pr = _precision(precision)
    b, s = lay.micro_batch, seq_len // lay.cp
    tp, sp = lay.tp, lay.sequence_parallel
    flight = lay.in_flight(stage)
    layers = list(_stage_layers(m, lay, stage))
    if activation_model == "korthikanti":
        one = korthikanti_layer_bytes(s, b, m.hidden_size, m.num_heads, tp, sp, recompute)
        return {"total": int(round(one * len(layers) * flight)), "layers": int(round(one * len(layers) * flight)),
                "recompute_working_set": 0, "outside_layers": 0, "in_flight": flight}

    def size(term) -> float:
        n = term.nbytes / pr.act if (pr.fp8_linear and term.linear_input) else term.nbytes
        if term.quadratic:  # eager scores: S/CP local queries against all S keys
            n *= lay.cp
        return n / (tp if (term.tp or sp) else 1)

    per_layer = []
    kinds: dict[bool, list] = {}  # a layer's terms depend only on whether it is a MoE layer
    for i in layers:
        kinds.setdefault(m.is_moe_layer(i), [i, 0])[1] += 1
    for i, n in kinds.values():
        terms = hf_layer_terms(m, i, b, s, pr.act, attention)
        full = sum(size(x) for x in terms)
        if recompute == "none":
            kept = full
        elif recompute == "selective":
            kept = sum(size(x) for x in terms if not x.quadratic)
        else:
            kept = pr.act * b * s * m.hidden_size / (tp if sp else 1)
        per_layer.append((kept * n, full))
    kept_total = sum(k for k, _ in per_layer) * flight
    working = max(f for _, f in per_layer) if recompute == "full" and per_layer else 0
    outside = 0.0
    for x in hf_model_terms(m, b, s, pr.act):
        first = x.name.startswith("token ids") or x.name.startswith("rotary")
        if first and stage == 0:
            outside += size(x) * flight
        elif not first and stage == lay.pp - 1:
            outside += size(x) * lay.in_flight(lay.pp - 1)
    total = int(round(kept_total + working + outside))
    return {"total": total, "layers": int(round(kept_total)), "recompute_working_set": int(round(working)),
            "outside_layers": total - int(round(kept_total)) - int(round(working)), "in_flight": flight}


def _comm_buffers(m: ModelConfig, lay: ParallelLayout, seq_len: int, pr: Precision, sp_: dict) -> dict:
    b, s = lay.micro_batch, seq_len // lay.cp
    out = {}
    z = lay.zero_stage
    if lay.fsdp == "shard_grad_op":
        out["unsharded_weights"] = (sp_["dense"] + sp_["experts"]) * pr.weight
    elif z == 3:
        out["all_gather"] = (sp_["largest_layer"] + sp_["outer"]) * pr.weight
    if z >= 2:
        out["reduce_scatter"] = sp_["largest_layer"] * pr.grad
    if lay.cp > 1:
        out["cp_kv_gather"] = 2 * b * seq_len * m.kv_heads * m.head_size * pr.act // lay.tp
    if lay.pp > 1:
        out["pp_send_recv"] = 2 * b * s * m.hidden_size * pr.act // (lay.tp if lay.sequence_parallel else 1)
    if m.moe is not None and lay.ep > 1:
        out["ep_all_to_all"] = 2 * b * s * m.moe.top_k * m.hidden_size * pr.act
    return out


def training_memory(m: ModelConfig, layout: ParallelLayout | None = None, seq_len: int = 2048,
                    precision: str = "bf16-mixed", optimizer: str = "adamw", recompute: str = "none",
                    attention: str = "flash", activation_model: str = "hf", overhead: int = DEFAULT_OVERHEAD,
                    world_size: int | None = None) -> dict:
    """Training memory per GPU by category on the pipeline stage that needs the most (see module docstring).

    Returns {"per_gpu": {category: bytes}, "total", "peak_if_grads_freed", "stage", "per_stage_total",
    "communication_detail", "activation_detail", "conventions"}; ``per_gpu`` parts sum to ``total``.
    """
    lay = layout or ParallelLayout()
    if not isinstance(seq_len, int) or isinstance(seq_len, bool) or seq_len < 1:
        raise CookbookError(f"seq_len must be a positive integer, got {seq_len!r}")
    if overhead < 0:
        raise CookbookError(f"overhead must be >= 0 bytes, got {overhead}")
    lay.check(m, seq_len, world_size)
    pr = _precision(precision)
    states = _state_elements_per_param(m, optimizer)
    state_bytes = 2 * (1 + 4 / 256) / 2 if optimizer == "adam8bit" else pr.state
    best = None
    per_stage = []
    for stage in range(lay.pp):
        r = _stage_memory(m, lay, seq_len, pr, precision, states, state_bytes, recompute, attention,
                          activation_model, overhead, stage)
        per_stage.append(r["total"])
        if best is None or r["total"] > best["total"]:
            best = r
    best["per_stage_total"] = per_stage
    best["conventions"] = _conventions(precision, optimizer, activation_model, attention, overhead)
    return best


def _stage_memory(m, lay, seq_len, pr, precision, states, state_bytes, recompute, attention, activation_model,
                  overhead, stage) -> dict:
    sp_ = _stage_params(m, lay, stage)
    z, n, ne = lay.zero_stage, lay.shard_size, lay.expert_shard_size

    def sharded(min_stage: int) -> float:
        return sp_["dense"] / n + sp_["experts"] / ne if z >= min_stage else sp_["dense"] + sp_["experts"]

    cat = dict.fromkeys(CATEGORIES, 0)
    # FSDP shard_grad_op stores sharded weights too; the unsharded copy is a communication buffer
    w_shard = 2 if lay.fsdp == "shard_grad_op" else 3
    cat["weights"] = int(round(sharded(w_shard) * pr.weight)) + (2 * sp_["linear"] if pr.fp8_linear else 0)
    cat["gradients"] = int(round(sharded(2) * pr.grad))
    cat["master_weights"] = int(round(sharded(1) * pr.master))
    cat["optimizer_states"] = int(round(sharded(1) * states * state_bytes))
    act = activation_bytes_per_gpu(m, lay, seq_len, precision, attention, recompute, activation_model, stage)
    cat["activations"] = act["total"]
    if stage == lay.pp - 1:
        t = lay.micro_batch * (seq_len // lay.cp)
        cat["temporaries"] = 8 * t * m.vocab_rows // lay.tp
    comm = _comm_buffers(m, lay, seq_len, pr, sp_)
    cat["communication_buffers"] = sum(comm.values())
    cat["framework_overhead"] = overhead
    rs = comm.get("reduce_scatter", 0)  # only alive while gradients are being reduced
    static = sum(cat.values()) - cat["gradients"] - cat["activations"] - cat["temporaries"] - rs
    # the loss temporaries die before the first layer's recompute; with full recompute the working set of one
    # layer and the loss-side activations are never alive together
    act_peak = act["layers"] + max(act["outside_layers"] + cat["temporaries"], act["recompute_working_set"])
    peak_freed = static + max(act_peak, cat["gradients"] + rs)
    return {"per_gpu": cat, "total": sum(cat.values()), "peak_if_grads_freed": peak_freed, "stage": stage,
            "communication_detail": comm,
            "activation_detail": act, "params_on_gpu": sp_}


def _conventions(precision, optimizer, activation_model, attention, overhead) -> dict:
    p = PRECISIONS[precision]
    return {
        "precision": f"{precision}: weights {p.weight} B, gradients {p.grad} B, master {p.master} B, "
                     f"optimizer state {p.state} B per element, activations {p.act} B",
        "optimizer": optimizer,
        "activations": ("Korthikanti et al. 2022 Table 2 (GPT, 16-bit, eager attention)" if activation_model ==
                        "korthikanti" else f"Hugging Face transformers saved tensors, {attention} attention"),
        "total": "sum of categories, each at its maximum (conservative; persistent gradient buffers as in DDP, "
                 "Megatron, DeepSpeed)",
        "peak_if_grads_freed": "weights + optimizer + master + buffers + overhead + max(kept activations + "
                               "max(loss-side activations + temporaries, recompute working set), gradients): "
                               "plain PyTorch with zero_grad(set_to_none=True)",
        "stage": "pipeline stage with the largest total (first: embedding + most micro-batches in flight; "
                 "last: lm_head + loss)",
        "framework_overhead": f"{overhead} bytes, settable (CUDA context, NCCL, allocator slack)",
        "units": "bytes",
    }
