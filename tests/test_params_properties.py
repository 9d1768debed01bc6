"""Identities that must hold for every model (Hypothesis draws random ModelConfigs)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cookbook.model import MLAConfig, ModelConfig, MoEConfig
from cookbook.params import count_params, mlp_params


@st.composite
def models(draw, moe=None, mla=None):
    h = draw(st.sampled_from([1, 2, 4, 8, 12]))
    k = draw(st.sampled_from([d for d in range(1, h + 1) if h % d == 0]))
    d = h * draw(st.integers(1, 24))
    layers = draw(st.integers(1, 6))
    parallel = draw(st.booleans())
    norm = draw(st.sampled_from(["layernorm", "rmsnorm", "nonparametric"]))
    kw = dict(vocab_size=draw(st.integers(1, 5000)), hidden_size=d, num_layers=layers, num_heads=h,
              num_kv_heads=draw(st.sampled_from([None, k])), head_dim=draw(st.sampled_from([None, 8, 16])),
              ffn_size=draw(st.sampled_from([None, 3 * d, 100])), gated_mlp=draw(st.booleans()),
              tie_embeddings=draw(st.booleans()), position=draw(st.sampled_from(["learned", "rotary", "alibi"])),
              max_position_embeddings=draw(st.integers(1, 4096)), position_offset=draw(st.sampled_from([0, 2])),
              norm=norm, norm_bias=norm == "layernorm" and draw(st.booleans()), parallel_block=parallel,
              layer_norms=draw(st.sampled_from([1, 2] if parallel else [2, 4])),
              qk_norm=draw(st.sampled_from(["none", "head", "full"])), embedding_norm=draw(st.booleans()),
              final_norm=draw(st.booleans()), embedding_dim=draw(st.sampled_from([None, d, 32])),
              qkv_bias=draw(st.booleans()), out_bias=draw(st.booleans()), mlp_bias=draw(st.booleans()),
              lm_head_bias=draw(st.booleans()), attention_sinks=draw(st.booleans()),
              padded_vocab_size=None)
    if moe if moe is not None else draw(st.booleans()):
        e = draw(st.integers(1, 16))
        shared = draw(st.integers(0, 2))
        kw["moe"] = MoEConfig(num_experts=e, top_k=draw(st.integers(1, e)), expert_ffn_size=draw(st.integers(1, 64)),
                              num_shared_experts=shared, shared_expert_ffn_size=draw(st.integers(1, 64)) if shared
                              else 0, shared_expert_gate=bool(shared) and draw(st.booleans()),
                              router_bias=draw(st.booleans()), expert_bias=draw(st.booleans()))
    if mla if mla is not None else draw(st.booleans()):
        kw.update(num_kv_heads=None, mla=MLAConfig(kv_lora_rank=draw(st.integers(1, 64)),
                                                   qk_rope_head_dim=draw(st.integers(1, 32)),
                                                   qk_nope_head_dim=draw(st.integers(0, 32)),
                                                   v_head_dim=draw(st.integers(1, 32)),
                                                   q_lora_rank=draw(st.sampled_from([0, 24]))))
    return ModelConfig(**kw)


@settings(max_examples=200, deadline=None)
@given(models())
def test_breakdown_parts_sum_to_total(m):
    c = count_params(m)
    assert sum(c.breakdown.values()) == c.total
    per_layer = sum(sum(p.values()) for p in c.per_layer)
    outside = ("embedding", "position_embedding", "embedding_norm", "embedding_projection", "final_norm", "lm_head")
    assert per_layer + sum(c.breakdown[k] for k in outside) == c.total
    assert 0 < c.active <= c.total and 0 < c.non_embedding <= c.total


@settings(max_examples=100, deadline=None)
@given(models())
def test_untying_embeddings_adds_exactly_v_times_d(m):
    tied, untied = count_params(m.replace(tie_embeddings=True)), count_params(m.replace(tie_embeddings=False))
    assert untied.total - tied.total == m.vocab_rows * m.embed_dim
    assert untied.non_embedding == tied.non_embedding  # the lm_head weight is embedding either way


@settings(max_examples=100, deadline=None)
@given(models())
def test_gqa_with_k_equal_h_is_mha(m):
    assert count_params(m.replace(num_kv_heads=m.num_heads)) == count_params(m.replace(num_kv_heads=None))


@settings(max_examples=100, deadline=None)
@given(models(moe=False))
def test_one_expert_top1_is_the_dense_mlp_plus_its_router(m):
    one = m.replace(moe=MoEConfig(num_experts=1, top_k=1, expert_ffn_size=m.ffn, expert_bias=m.mlp_bias))
    dense, moe = count_params(m), count_params(one)
    assert moe.total == dense.total + m.num_layers * m.hidden_size  # router: D -> 1 per layer
    assert moe.active == moe.total
    assert moe.breakdown["experts"] == dense.breakdown["mlp"]


@settings(max_examples=100, deadline=None)
@given(models(moe=False))
def test_active_equals_total_for_dense(m):
    c = count_params(m)
    assert c.active == c.total


@settings(max_examples=100, deadline=None)
@given(models(moe=True))
def test_active_drops_exactly_the_unrouted_experts(m):
    c, e = count_params(m), m.moe
    n_moe = sum(m.is_moe_layer(i) for i in range(m.num_layers))
    per_expert = c.breakdown["experts"] // (n_moe * e.num_experts)
    assert c.breakdown["experts"] == n_moe * e.num_experts * per_expert
    assert c.total - c.active == n_moe * (e.num_experts - e.top_k) * per_expert


def test_mlp_params_small_cases():
    assert mlp_params(2, 3, gated=False, bias=False) == 12
    assert mlp_params(2, 3, gated=True, bias=True) == 18 + 2 * 3 + 2
