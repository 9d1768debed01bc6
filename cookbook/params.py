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
from functools import lru_cache

from cookbook.model import ModelConfig
from cookbook.shapes import attention_matrices, kind_matrices, mlp_matrices, outer_matrices

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
    return sum(x.params for x in mlp_matrices(d, f, gated, bias))


def _qk_norm_params(m: ModelConfig) -> int:
    if m.qk_norm == "none":
        return 0
    per = 2 if m.qk_norm_bias else 1
    if m.qk_norm == "head":
        return 2 * m.head_size * per
    return (m.num_heads + m.kv_heads) * m.head_size * per


def _attention_vectors(m: ModelConfig) -> int:
    """Attention parameters that are not projections: QK-norms, MLA's q_a/kv_a norms, attention sinks."""
    sinks = m.num_heads if m.attention_sinks else 0
    if m.mla is not None:
        return m.mla.q_lora_rank + m.mla.kv_lora_rank + sinks
    return _qk_norm_params(m) + sinks


def attention_params(m: ModelConfig) -> int:
    """One attention block: projections, their biases, QK-norms, MLA norms and attention sinks."""
    return sum(x.params for x in attention_matrices(m)) + _attention_vectors(m)


@lru_cache(maxsize=512)
def _kind_params(m: ModelConfig, moe: bool) -> tuple[tuple[str, int], ...]:
    """(part, parameters) of a dense or an MoE layer; memoised per model."""
    out = dict.fromkeys(LAYER_KEYS, 0)
    for x in kind_matrices(m, moe):
        out[x.part] += x.params
    out["attention"] += _attention_vectors(m)
    out["layer_norms"] = m.layer_norms * norm_params(m, m.hidden_size)
    return tuple(out.items())


def _layer_params(m: ModelConfig, i: int) -> dict[str, int]:
    return dict(_kind_params(m, m.is_moe_layer(i)))


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
    b = dict.fromkeys(BREAKDOWN_KEYS, 0)
    for x in outer_matrices(m):
        b[x.part] += x.params
    b["embedding_norm"] = norm_params(m, m.hidden_size) if m.embedding_norm else 0
    per_layer = tuple(_layer_params(m, i) for i in range(m.num_layers))
    for p in per_layer:
        for k in LAYER_KEYS:
            b[k] += p[k]
    b["final_norm"] = norm_params(m, m.hidden_size) if m.final_norm else 0
    total = sum(b.values())
    n_moe = sum(1 for i in range(m.num_layers) if m.is_moe_layer(i))
    inactive = n_moe and n_moe * sum((x.count - m.moe.top_k) * (x.weights + x.bias)
                                     for x in kind_matrices(m, True) if x.routed)
    lm_weight = sum(x.weights * x.count for x in outer_matrices(m) if x.part == "lm_head" and not x.tied)
    non_embedding = total - b["embedding"] - b["position_embedding"] - lm_weight
    return ParamCount(total=total, active=total - inactive, non_embedding=non_embedding, breakdown=b,
                      per_layer=per_layer)
