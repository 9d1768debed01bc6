"""Every validation path raises CookbookError with a message naming the field and the value."""

from __future__ import annotations

import re

import pytest

from cookbook.errors import CookbookError
from cookbook.hf import from_hf_config, load_hf_config
from cookbook.inputs import model_from_inputs
from cookbook.model import MLAConfig, ModelConfig, MoEConfig

BASE = dict(vocab_size=100, hidden_size=64, num_layers=2, num_heads=4)
MOE = dict(num_experts=4, top_k=2, expert_ffn_size=32)
MLA = dict(kv_lora_rank=16, qk_rope_head_dim=8, qk_nope_head_dim=8, v_head_dim=8)
LLAMA = dict(model_type="llama", vocab_size=100, hidden_size=64, num_hidden_layers=2, num_attention_heads=4)


def model(**kw):
    return ModelConfig(**{**BASE, **kw})


# (id, callable, expected message: a regex that names the field and the value)
CASES = [
    ("vocab_size zero", lambda: model(vocab_size=0), r"vocab_size must be a positive integer, got 0"),
    ("hidden_size float", lambda: model(hidden_size=64.0), r"hidden_size must be a positive integer, got 64\.0"),
    ("num_layers bool", lambda: model(num_layers=True), r"num_layers must be a positive integer, got True"),
    ("num_heads negative", lambda: model(num_heads=-4), r"num_heads must be a positive integer, got -4"),
    ("max_position_embeddings", lambda: model(max_position_embeddings=0), r"max_position_embeddings .* got 0"),
    ("num_kv_heads zero", lambda: model(num_kv_heads=0), r"num_kv_heads must be a positive integer, got 0"),
    ("head_dim str", lambda: model(head_dim="64"), r"head_dim must be a positive integer, got '64'"),
    ("ffn_size", lambda: model(ffn_size=-1), r"ffn_size must be a positive integer, got -1"),
    ("padded_vocab_size type", lambda: model(padded_vocab_size=1.5), r"padded_vocab_size .* got 1\.5"),
    ("embedding_dim", lambda: model(embedding_dim=0), r"embedding_dim must be a positive integer, got 0"),
    ("sliding_window", lambda: model(sliding_window=0), r"sliding_window must be a positive integer, got 0"),
    ("position_offset", lambda: model(position_offset=-2), r"position_offset must be a non-negative .* got -2"),
    ("norm", lambda: model(norm="batchnorm"), r"norm must be one of .*; got 'batchnorm'"),
    ("position", lambda: model(position="sinusoidal"), r"position must be one of .*; got 'sinusoidal'"),
    ("qk_norm", lambda: model(qk_norm="yes"), r"qk_norm must be one of .*; got 'yes'"),
    ("flag not bool", lambda: model(tie_embeddings="false"), r"tie_embeddings must be True or False, got 'false'"),
    ("moe type", lambda: model(moe={"num_experts": 4}), r"moe must be a MoEConfig or None, got dict"),
    ("mla type", lambda: model(mla=3), r"mla must be a MLAConfig or None, got int"),
    ("heads not divisible", lambda: model(num_kv_heads=3), r"num_heads \(4\) is not divisible by num_kv_heads \(3\)"),
    ("hidden not divisible", lambda: model(num_heads=5), r"hidden_size \(64\) is not divisible by num_heads \(5\)"),
    ("mla with kv heads", lambda: model(num_kv_heads=2, mla=MLAConfig(**MLA)),
     r"num_kv_heads == num_heads \(4\), got 2"),
    ("padded < vocab", lambda: model(padded_vocab_size=50),
     r"padded_vocab_size \(50\) is smaller than vocab_size \(100\)"),
    ("norm_bias rmsnorm", lambda: model(norm_bias=True),
     r"norm_bias=True needs norm='layernorm' \(got norm='rmsnorm'\)"),
    ("parallel norms", lambda: model(parallel_block=True, layer_norms=4), r"parallel block .* got layer_norms=4"),
    ("sequential norms", lambda: model(layer_norms=3), r"sequential block .* got layer_norms=3"),
    ("layer_types length", lambda: model(layer_types=["full_attention"]),
     r"layer_types has 1 entries but num_layers is 2"),
    ("layer_types entry", lambda: model(layer_types=["full_attention", "linear"]),
     r"layer_types entry must be .*; got 'linear'"),
    ("sliding without window", lambda: model(layer_types=["sliding_attention"] * 2),
     r"sliding_attention .* sliding_window is unset"),
    ("moe on no layer", lambda: model(moe=MoEConfig(**MOE, first_dense_layers=2)),
     r"no layer is MoE \(first_dense_layers=2"),
    ("replace unknown", lambda: model().replace(hidden=3), r"unknown model field\(s\) hidden"),
    ("moe.num_experts", lambda: MoEConfig(**{**MOE, "num_experts": 0}),
     r"moe.num_experts must be a positive integer, got 0"),
    ("moe.top_k", lambda: MoEConfig(**{**MOE, "top_k": 0}), r"moe.top_k must be a positive integer, got 0"),
    ("moe.expert_ffn_size", lambda: MoEConfig(**{**MOE, "expert_ffn_size": None}), r"moe.expert_ffn_size .* got None"),
    ("moe.num_shared_experts", lambda: MoEConfig(**MOE, num_shared_experts=-1), r"moe.num_shared_experts .* got -1"),
    ("moe.first_dense_layers", lambda: MoEConfig(**MOE, first_dense_layers=-1), r"moe.first_dense_layers .* got -1"),
    ("moe.layer_interval", lambda: MoEConfig(**MOE, layer_interval=0),
     r"moe.layer_interval must be a positive integer, got 0"),
    ("moe top_k > experts", lambda: MoEConfig(num_experts=2, top_k=3, expert_ffn_size=8),
     r"moe.top_k \(3\) exceeds moe.num_experts \(2\)"),
    ("moe shared size", lambda: MoEConfig(**MOE, num_shared_experts=1),
     r"moe.shared_expert_ffn_size must be a positive integer, got 0"),
    ("moe gate without shared", lambda: MoEConfig(**MOE, shared_expert_gate=True), r"num_shared_experts is 0"),
    ("moe flag", lambda: MoEConfig(**MOE, router_bias=1), r"moe.router_bias must be True or False, got 1"),
    ("moe dense_layers type", lambda: MoEConfig(**MOE, dense_layers=3), r"moe.dense_layers must be a list .* got 3"),
    ("moe dense_layers entry", lambda: MoEConfig(**MOE, dense_layers=[-1]), r"moe.dense_layers entry .* got -1"),
    ("mla.kv_lora_rank", lambda: MLAConfig(**{**MLA, "kv_lora_rank": 0}), r"mla.kv_lora_rank .* got 0"),
    ("mla.qk_rope_head_dim", lambda: MLAConfig(**{**MLA, "qk_rope_head_dim": 0}), r"mla.qk_rope_head_dim .* got 0"),
    ("mla.qk_nope_head_dim", lambda: MLAConfig(**{**MLA, "qk_nope_head_dim": -1}), r"mla.qk_nope_head_dim .* got -1"),
    ("mla.v_head_dim", lambda: MLAConfig(**{**MLA, "v_head_dim": 0}), r"mla.v_head_dim .* got 0"),
    ("mla.q_lora_rank", lambda: MLAConfig(**MLA, q_lora_rank=-1), r"mla.q_lora_rank .* got -1"),
    ("hf not a dict", lambda: from_hf_config([1, 2]), r"must be a JSON object, got list"),
    ("hf no model_type", lambda: from_hf_config({"hidden_size": 64}), r"no 'model_type'; add it \(one of: bloom"),
    ("hf model_type type", lambda: from_hf_config({"model_type": ["llama"]}),
     r"'model_type' must be a string, got \['llama'\]"),
    ("hf unsupported type", lambda: from_hf_config({"model_type": "t5"}),
     r"unsupported model_type 't5'; supported: bloom"),
    ("hf missing shape", lambda: from_hf_config({"model_type": "llama", "hidden_size": 64}),
     r"no 'vocab_size' \(needed for model_type 'llama'\)"),
    ("hf missing alias", lambda: from_hf_config({"model_type": "gpt2", "vocab_size": 9}),
     r"no 'n_embd' or 'hidden_size'"),
    ("hf int type", lambda: from_hf_config({**LLAMA, "intermediate_size": "big"}),
     r"'intermediate_size' must be an integer, got 'big'"),
    ("hf int fraction", lambda: from_hf_config({**LLAMA, "hidden_size": 64.5}),
     r"'hidden_size' must be an integer, got 64\.5"),
    ("hf bool type", lambda: from_hf_config({**LLAMA, "tie_word_embeddings": "yes"}),
     r"'tie_word_embeddings' must be true or false, got 'yes'"),
    ("hf layer_types type", lambda: from_hf_config({**LLAMA, "model_type": "qwen2", "layer_types": "all"}),
     r"'layer_types' must be a list, got 'all'"),
    ("hf layer_types entry",
     lambda: from_hf_config({**LLAMA, "model_type": "qwen2", "layer_types": ["linear_attention"] * 2}),
     r"unsupported entries \['linear_attention'\]"),
    ("hf cross attention",
     lambda: from_hf_config({"model_type": "gpt2", "vocab_size": 9, "n_embd": 8, "n_layer": 1, "n_head": 2,
                             "add_cross_attention": True}),
     r"'add_cross_attention' is true"),
    ("hf empty shared expert",
     lambda: from_hf_config({**LLAMA, "model_type": "qwen2_moe", "num_key_value_heads": 4,
                             "shared_expert_intermediate_size": 0}),
     r"'shared_expert_intermediate_size' is 0"),
    ("hf mlp_only_layers",
     lambda: from_hf_config({**LLAMA, "model_type": "qwen3_moe", "num_key_value_heads": 4, "mlp_only_layers": 3}),
     r"'mlp_only_layers' must be a list .* got 3"),
    ("hf phi head_dim qk", lambda: from_hf_config({**LLAMA, "model_type": "phi", "head_dim": 8, "qk_layernorm": True}),
     r"'head_dim' \(8\) differs .* \(16\)"),
    ("hf kv heads", lambda: from_hf_config({**LLAMA, "num_key_value_heads": 3}),
     r"num_heads \(4\) is not divisible by num_kv_heads \(3\)"),
    ("hf negative", lambda: from_hf_config({**LLAMA, "num_hidden_layers": -1}),
     r"num_layers must be a positive integer, got -1"),
    ("hf top_k > experts",
     lambda: from_hf_config({**LLAMA, "model_type": "mixtral", "num_key_value_heads": 4, "num_local_experts": 2,
                             "num_experts_per_tok": 4}),
     r"moe.top_k \(4\) exceeds moe.num_experts \(2\)"),
    ("load missing file", lambda: load_hf_config("/nonexistent/config.json"),
     r"no such file '/nonexistent/config.json'"),
    ("inputs both", lambda: model_from_inputs({"preset": "gpt2", "hf_config": LLAMA}),
     r"either --preset or --hf-config"),
    ("inputs nothing", lambda: model_from_inputs({"hidden_size": 64}),
     r"no model given: .* --num-layers, --num-heads, --vocab-size"),
    ("inputs unknown preset", lambda: model_from_inputs({"preset": "gpt5"}),
     r"unknown preset 'gpt5'; known: pythia-70m"),
    ("inputs moe no experts", lambda: model_from_inputs({**BASE, "top_k": 2}), r"without --num-experts"),
    ("inputs moe no top_k", lambda: model_from_inputs({**BASE, "num_experts": 4}),
     r"--num-experts given without --top-k"),
    ("inputs override", lambda: model_from_inputs({"preset": "llama-3-8b", "num_kv_heads": 5}),
     r"num_heads \(32\) is not divisible by num_kv_heads \(5\)"),
]


@pytest.mark.parametrize("call,message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_raises_cookbook_error_naming_field_and_value(call, message):
    with pytest.raises(CookbookError) as e:
        call()
    assert re.search(message, str(e.value)), str(e.value)
    assert "\n" not in str(e.value)


def test_load_invalid_json(tmp_path):
    p = tmp_path / "config.json"
    p.write_text("{not json")
    with pytest.raises(CookbookError, match=r"is not valid JSON \(line 1"):
        load_hf_config(str(p))
