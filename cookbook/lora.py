"""LoRA and QLoRA fine-tuning memory per GPU.

LoRA (Hu et al. 2021): each targeted linear W (out x in) gains A (r x in) and B (out x r): r*(in + out)
trainable parameters. The base model is frozen: its weights stay, it has no gradients or optimizer states.
QLoRA (Dettmers et al. 2023): the base linears are NF4 with block-64 absmax, double-quantized (8-bit absmax,
one fp32 scale per 256 blocks): 4.127 bits per weight; embedding, lm_head and norms stay 16-bit.

Conventions: adapters are kept in fp32 (PEFT's default for a bf16 base under autocast is the base dtype; set
``adapter_bytes=2`` for bf16 adapters) with fp32 gradients and AdamW states (8 bytes per parameter).
Activations: those of the base model (cookbook.activations: backward still flows through every layer) plus,
per adapted linear, the r-wide intermediate x*A (p*T*r). Targets: q, k, v, o (attention) and gate, up, down
(dense MLP); experts are not adapted.
"""

from __future__ import annotations

from cookbook.dtypes import nbytes, nf4_bytes
from cookbook.errors import CookbookError
from cookbook.inference_memory import weight_bytes
from cookbook.layout import ParallelLayout
from cookbook.memory import CATEGORIES, DEFAULT_OVERHEAD, activation_bytes_per_gpu, matrix_shapes
from cookbook.model import ModelConfig
from cookbook.params import count_params
from cookbook.shapes import layer_matrices

__all__ = ["TARGETS", "lora_params", "finetune_memory"]

_ATTENTION = ("q", "k", "v", "o", "q_a", "q_b", "kv_a", "kv_b")  # the last four: MLA's projections
TARGETS = _ATTENTION + ("gate", "up", "down")
PRESET_TARGETS = {"all-linear": TARGETS, "attention": _ATTENTION, "qv": ("q", "v")}


def _targets(targets) -> tuple:
    if isinstance(targets, str):
        if targets in PRESET_TARGETS:
            return PRESET_TARGETS[targets]
        targets = tuple(t.strip() for t in targets.split(",") if t.strip())
    bad = [t for t in targets if t not in TARGETS]
    if bad or not targets:
        raise CookbookError(f"lora targets {bad or targets!r} unknown; use some of {', '.join(TARGETS)} or one "
                            f"of {', '.join(PRESET_TARGETS)}")
    return tuple(targets)


def _adapted(m: ModelConfig, targets) -> list[tuple[int, int, int]]:
    """(rows, cols, count) of the linears LoRA adapts: every target matrix of every layer (dense MLPs and shared
    experts included) except routed experts, which transformers stores as fused expert tensors rather than
    ``nn.Linear`` modules, and the router (PEFT's target names, e.g. ``gate_proj``, do not match it)."""
    t = _targets(targets)
    counts: dict = {}
    for i in range(m.num_layers):
        for x in layer_matrices(m, i):
            if x.name in t and not x.routed:
                counts[(x.rows, x.cols)] = counts.get((x.rows, x.cols), 0) + x.count
    if not counts:
        have = sorted({x.name for x in layer_matrices(m, 0) if x.name in TARGETS})
        raise CookbookError(f"lora targets {', '.join(t)} match no linear layer of this model; it has "
                            f"{', '.join(have)} (use one of {', '.join(PRESET_TARGETS)} or name some of those)")
    return [(r, c, n) for (r, c), n in counts.items()]


def lora_params(m: ModelConfig, rank: int, targets="all-linear") -> int:
    """Trainable LoRA parameters: sum over adapted linears of rank * (in + out)."""
    if not isinstance(rank, int) or rank < 1:
        raise CookbookError(f"lora rank must be a positive integer, got {rank!r}")
    return sum(rank * (r + c) * n for r, c, n in _adapted(m, targets))


def finetune_memory(m: ModelConfig, rank: int = 16, targets="all-linear", quantize_base: bool = False,
                    double_quant: bool = True, base_dtype: str = "bf16", adapter_bytes: int = 4,
                    layout: ParallelLayout | None = None, seq_len: int = 2048, recompute: str = "full",
                    attention: str = "flash", overhead: int = DEFAULT_OVERHEAD) -> dict:
    """LoRA (``quantize_base`` False) or QLoRA memory per GPU by category (same categories as training)."""
    lay = layout or ParallelLayout()
    lay.check(m, seq_len)
    n_lora = lora_params(m, rank, targets)
    pc = count_params(m)
    if quantize_base:
        q = sum(r * c * n for name, r, c, n in matrix_shapes(m) if name in TARGETS)
        base = nf4_bytes(q, double_quant=double_quant) + nbytes(pc.total - q, "bf16")
    else:
        base = weight_bytes(m, base_dtype)["total"]
    cat = dict.fromkeys(CATEGORIES, 0)
    cat["weights"] = base // lay.tp + n_lora * adapter_bytes
    cat["gradients"] = n_lora * 4
    cat["optimizer_states"] = n_lora * 8
    act = activation_bytes_per_gpu(m, lay, seq_len, "bf16", attention, recompute, "hf")
    t = lay.micro_batch * seq_len
    n_adapted = sum(n for _, _, n in _adapted(m, targets))
    extra = 2 * t * rank * n_adapted if recompute != "full" else 2 * t * rank * len(_targets(targets))
    cat["activations"] = act["total"] + extra
    cat["temporaries"] = 8 * t * m.vocab_rows // lay.tp
    if quantize_base:  # one dequantized 16-bit matrix at a time
        cat["communication_buffers"] = 0
        cat["temporaries"] += 2 * max(r * c for name, r, c, _ in matrix_shapes(m) if name in TARGETS)
    cat["framework_overhead"] = overhead
    return {"per_gpu": cat, "total": sum(cat.values()), "lora_params": n_lora, "base_weight_bytes": base,
            "conventions": {"method": "QLoRA (NF4" + (", double quantization)" if double_quant else ")")
                            if quantize_base else f"LoRA on a {base_dtype} base",
                            "adapters": f"{adapter_bytes} B weights, fp32 gradients, AdamW fp32 states",
                            "activations": f"HF saved tensors, {attention} attention, recompute={recompute}",
                            "units": "bytes, per GPU"}}
