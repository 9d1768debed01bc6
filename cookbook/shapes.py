"""The weight matrices of a model: the one place that says which matrices a transformer has.

``cookbook.params`` (parameter counts), ``cookbook.flops`` (matmul FLOPs), ``cookbook.memory`` (optimizer states
of factored optimizers), ``cookbook.gemm`` (GEMM shapes) and ``cookbook.inference_time`` (per-op rooflines) all
derive from these lists; none of them re-lists the matrices.

Each ``Matrix`` is one weight as PyTorch stores it: ``rows`` x ``cols`` (an ``nn.Linear`` maps ``cols`` input
features to ``rows`` output features; an ``nn.Embedding`` has one row per entry), ``count`` identical copies
(routed or shared experts, OPT's two embedding projections), ``bias`` elements per copy, the
``cookbook.params`` breakdown key (``part``) and the ``cookbook.flops`` breakdown key (``flops_part``; empty for
lookups, which are not matmuls) it belongs to, whether it is a routed expert (a token uses ``top_k`` of
``count``) and whether it is tied to the token embedding (stored once, still multiplied by every token).

Attention (notation as in docs: D hidden, H heads, K KV heads, d_h head size):
  q (D -> H d_h), k (D -> K d_h), v (D -> K d_v), o (H d_v -> D); biases on q/k/v with ``qkv_bias``, on o with
  ``out_bias``. MLA (DeepSeek-V2 section 2.1): q_a (D -> q_lora_rank) and q_b (-> H qk_head_dim), or q
  (D -> H qk_head_dim); kv_a (D -> kv_lora_rank + rope), kv_b (kv_lora_rank -> H (nope + v)); o (H v -> D).
MLP: up (D -> F), down (F -> D), and gate (D -> F) when gated. MoE layers: router (D -> E), E routed experts,
the shared experts and the shared-expert gate (D -> 1, Qwen2-MoE). Norms, QK-norms, MLA norms and attention
sinks are vectors, not listed here (cookbook.params counts them).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from cookbook.model import ModelConfig

__all__ = ["Matrix", "mlp_matrices", "attention_matrices", "kind_matrices", "layer_matrices", "outer_matrices"]


@dataclass(frozen=True)
class Matrix:
    """One weight matrix (``count`` copies of it) of a model; see the module docstring."""

    name: str
    rows: int
    cols: int
    part: str
    flops_part: str
    count: int = 1
    bias: int = 0
    routed: bool = False
    tied: bool = False

    @property
    def weights(self) -> int:
        """Weight elements of one copy (rows x cols)."""
        return self.rows * self.cols

    @property
    def params(self) -> int:
        """Parameters of all copies: weights (0 when tied to the embedding) and biases."""
        return ((0 if self.tied else self.weights) + self.bias) * self.count


def mlp_matrices(d: int, f: int, gated: bool, bias: bool, count: int = 1, part: str = "mlp",
                 routed: bool = False) -> tuple[Matrix, ...]:
    """One MLP D -> F -> D (``count`` copies): up, down, and gate when gated; biases F, D, F."""
    def one(name, rows, cols):
        return Matrix(name, rows, cols, part, part, count, rows if bias else 0, routed)

    return (one("up", f, d), one("down", d, f)) + ((one("gate", f, d),) if gated else ())


def attention_matrices(m: ModelConfig) -> tuple[Matrix, ...]:
    """The projections of one attention block (the same in every layer)."""
    d, h = m.hidden_size, m.num_heads
    out_bias = d if m.out_bias else 0

    def lin(name, rows, cols, flops_part, bias=0):
        return Matrix(name, rows, cols, "attention", flops_part, bias=bias)

    if m.mla is None:
        k, dh, dv = m.kv_heads, m.head_size, m.v_head_size
        b = m.qkv_bias
        return (lin("q", h * dh, d, "qkv", h * dh if b else 0), lin("k", k * dh, d, "qkv", k * dh if b else 0),
                lin("v", k * dv, d, "qkv", k * dv if b else 0), lin("o", d, h * dv, "attention_output", out_bias))
    a = m.mla
    if a.q_lora_rank:
        q = (lin("q_a", a.q_lora_rank, d, "mla_down", a.q_lora_rank if m.qkv_bias else 0),
             lin("q_b", h * a.qk_head_dim, a.q_lora_rank, "mla_up"))
    else:
        q = (lin("q", h * a.qk_head_dim, d, "mla_up"),)
    kv_a = a.kv_lora_rank + a.qk_rope_head_dim
    return q + (lin("kv_a", kv_a, d, "mla_down", kv_a if m.qkv_bias else 0),
                lin("kv_b", h * (a.qk_nope_head_dim + a.v_head_dim), a.kv_lora_rank, "mla_up"),
                lin("o", d, h * a.v_head_dim, "attention_output", out_bias))


def _moe_matrices(m: ModelConfig) -> tuple[Matrix, ...]:
    d, e = m.hidden_size, m.moe
    out = (Matrix("router", e.num_experts, d, "router", "router", bias=e.num_experts if e.router_bias else 0),)
    out += mlp_matrices(d, e.expert_ffn_size, m.gated_mlp, e.expert_bias, e.num_experts, "experts", routed=True)
    if e.num_shared_experts:
        out += mlp_matrices(d, e.shared_expert_ffn_size, m.gated_mlp, m.mlp_bias, e.num_shared_experts,
                            "shared_experts")
        if e.shared_expert_gate:
            out += (Matrix("shared_gate", 1, d, "shared_experts", "shared_experts"),)
    return out


@lru_cache(maxsize=512)
def kind_matrices(m: ModelConfig, moe: bool) -> tuple[Matrix, ...]:
    """The weight matrices of a dense (``moe`` False) or an MoE layer of ``m``: attention, then the MLP, or the
    router, routed experts, shared experts and their gate. Memoised per model (the planner loops call this)."""
    attn = attention_matrices(m)
    if moe:
        return attn + _moe_matrices(m)
    return attn + mlp_matrices(m.hidden_size, m.ffn, m.gated_mlp, m.mlp_bias)


def layer_matrices(m: ModelConfig, i: int) -> tuple[Matrix, ...]:
    """The weight matrices of layer ``i`` (layers differ only in being dense or MoE: ``kind_matrices``)."""
    return kind_matrices(m, m.is_moe_layer(i))


@lru_cache(maxsize=256)
def outer_matrices(m: ModelConfig) -> tuple[Matrix, ...]:
    """The matrices outside the layers: token embedding, lm_head (``tied`` when it shares the embedding; its bias
    with ``lm_head_bias``), OPT's embedding projections (project_in E -> D and project_out D -> E, one entry of
    count 2) and a learned position embedding."""
    v, e, d = m.vocab_rows, m.embed_dim, m.hidden_size
    out = (Matrix("embedding", v, e, "embedding", ""),
           Matrix("lm_head", v, e, "lm_head", "lm_head", bias=v if m.lm_head_bias else 0, tied=m.tie_embeddings))
    if e != d:
        out += (Matrix("embedding_projection", d, e, "embedding_projection", "embedding_projection", count=2),)
    if m.position == "learned":
        out += (Matrix("position_embedding", m.max_position_embeddings + m.position_offset, d,
                       "position_embedding", ""),)
    return out
