"""Exact parameter counts.

Conventions (labelled in every output):
- tied weights are counted once (lm_head shares the token embedding when ``tie_embeddings``);
- ``active``: parameters one token touches: everything except the routed experts it is not sent to
  (per MoE layer: top_k of num_experts experts); equal to ``total`` for dense models. The input embedding is
  included (Mixtral's published 12.9B active); DeepSeek-V3 (37B) and gpt-oss (3.61B, 5.13B) publish active
  parameters without it, i.e. ``active - breakdown["embedding"]``;
- ``non_embedding``: ``total`` minus the token embedding, the position embedding and an untied lm_head weight
  (Kaplan et al. 2020, section 2.1); norms and biases stay in.
Buffers (rotary ``inv_freq``, DeepSeek's ``e_score_correction_bias``) are not parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

from cookbook.model import ModelConfig

__all__ = ["ParamCount", "count_params", "norm_params", "mlp_params", "attention_params", "BREAKDOWN_KEYS"]

BREAKDOWN_KEYS = (
    "embedding", "position_embedding", "embedding_norm", "embedding_projection",
    "attention", "mlp", "experts", "shared_experts", "router", "layer_norms",
    "final_norm", "lm_head",
)
LAYER_KEYS = ("attention", "mlp", "experts", "shared_experts", "router", "layer_norms")


def norm_params(m: ModelConfig, size: int) -> int:
    """Parameters of one norm over ``size`` features: weight (and bias for LayerNorm with bias)."""
    if m.norm == "nonparametric":
        return 0
    return size * (2 if m.norm_bias else 1)


def mlp_params(d: int, f: int, gated: bool, bias: bool) -> int:
    """One MLP D -> F -> D: two matrices, or three when gated (gate, up, down)."""
    if gated:
        return 3 * d * f + (2 * f + d if bias else 0)
    return 2 * d * f + (f + d if bias else 0)


def _qk_norm_params(m: ModelConfig) -> int:
    if m.qk_norm == "none":
        return 0
    per = 2 if m.qk_norm_bias else 1
    if m.qk_norm == "head":
        return 2 * m.head_size * per
    return (m.num_heads + m.kv_heads) * m.head_size * per


def attention_params(m: ModelConfig) -> int:
    """One attention block: projections, their biases, QK-norms, MLA norms and attention sinks."""
    d, h = m.hidden_size, m.num_heads
    if m.mla is not None:
        a = m.mla
        qk = a.qk_head_dim
        if a.q_lora_rank:
            q = d * a.q_lora_rank + (a.q_lora_rank if m.qkv_bias else 0) + a.q_lora_rank + a.q_lora_rank * h * qk
        else:
            q = d * h * qk
        kv = d * (a.kv_lora_rank + a.qk_rope_head_dim) + (a.kv_lora_rank + a.qk_rope_head_dim if m.qkv_bias else 0)
        kv += a.kv_lora_rank + a.kv_lora_rank * h * (a.qk_nope_head_dim + a.v_head_dim)
        o = h * a.v_head_dim * d + (d if m.out_bias else 0)
        return q + kv + o + (h if m.attention_sinks else 0)
    k, dh = m.kv_heads, m.head_size
    qkv = d * (h + 2 * k) * dh + ((h + 2 * k) * dh if m.qkv_bias else 0)
    o = h * dh * d + (d if m.out_bias else 0)
    return qkv + o + _qk_norm_params(m) + (h if m.attention_sinks else 0)


def _layer_params(m: ModelConfig, i: int) -> dict[str, int]:
    d = m.hidden_size
    out = dict.fromkeys(LAYER_KEYS, 0)
    out["attention"] = attention_params(m)
    out["layer_norms"] = m.layer_norms * norm_params(m, d)
    if m.is_moe_layer(i):
        e = m.moe
        out["experts"] = e.num_experts * mlp_params(d, e.expert_ffn_size, m.gated_mlp, e.expert_bias)
        out["router"] = d * e.num_experts + (e.num_experts if e.router_bias else 0)
        if e.num_shared_experts:
            out["shared_experts"] = e.num_shared_experts * mlp_params(d, e.shared_expert_ffn_size, m.gated_mlp,
                                                                      m.mlp_bias)
            out["shared_experts"] += d if e.shared_expert_gate else 0
    else:
        out["mlp"] = mlp_params(d, m.ffn, m.gated_mlp, m.mlp_bias)
    return out


@dataclass(frozen=True)
class ParamCount:
    """Exact parameter counts (Python ints). ``breakdown`` parts sum to ``total``."""

    total: int
    active: int
    non_embedding: int
    breakdown: dict
    per_layer: tuple

    def as_dict(self) -> dict:
        return {
            "total": self.total, "active": self.active, "non_embedding": self.non_embedding,
            "breakdown": dict(self.breakdown), "layer_groups": layer_groups(self.per_layer),
            "conventions": {
                "tied": "tied weights counted once",
                "active": "parameters one token touches (top-k routed experts of each MoE layer); includes the "
                          "input embedding (DeepSeek and gpt-oss publish active without it: active - "
                          "breakdown.embedding)",
                "non_embedding": "total minus token embedding, position embedding and untied lm_head weight "
                                 "(Kaplan et al. 2020)",
            },
        }


def layer_groups(per_layer) -> list[dict]:
    """Runs of identical consecutive layers: [{"first": i, "last": j, "count": n, <part>: params of one}]."""
    groups: list[dict] = []
    for i, p in enumerate(per_layer):
        if groups and all(groups[-1][k] == p[k] for k in LAYER_KEYS):
            groups[-1]["last"] = i
            groups[-1]["count"] += 1
        else:
            groups.append({"first": i, "last": i, "count": 1, **p})
    return groups


def count_params(m: ModelConfig) -> ParamCount:
    """Exact parameter count of ``m`` with a breakdown whose parts sum to the total."""
    d, e = m.hidden_size, m.embed_dim
    b = dict.fromkeys(BREAKDOWN_KEYS, 0)
    b["embedding"] = m.vocab_rows * e
    if m.position == "learned":
        b["position_embedding"] = (m.max_position_embeddings + m.position_offset) * d
    b["embedding_norm"] = norm_params(m, d) if m.embedding_norm else 0
    b["embedding_projection"] = 2 * d * e if e != d else 0
    per_layer = tuple(_layer_params(m, i) for i in range(m.num_layers))
    for p in per_layer:
        for k in LAYER_KEYS:
            b[k] += p[k]
    b["final_norm"] = norm_params(m, d) if m.final_norm else 0
    lm_weight = 0 if m.tie_embeddings else m.vocab_rows * e
    b["lm_head"] = lm_weight + (m.vocab_rows if m.lm_head_bias else 0)
    total = sum(b.values())
    inactive = 0
    if m.moe is not None:
        per_expert = mlp_params(d, m.moe.expert_ffn_size, m.gated_mlp, m.moe.expert_bias)
        n_moe = sum(1 for i in range(m.num_layers) if m.is_moe_layer(i))
        inactive = n_moe * (m.moe.num_experts - m.moe.top_k) * per_expert
    non_embedding = total - b["embedding"] - b["position_embedding"] - lm_weight
    return ParamCount(total=total, active=total - inactive, non_embedding=non_embedding, breakdown=b,
                      per_layer=per_layer)
