"""Tiny base configs and the config.json keys to vary, per model_type (used by tests/test_hf_random.py).

Each model_type gets a small shape (so the real transformers class builds in milliseconds on the meta device)
and a table of the keys that change parameter counts or attention windows, with values to draw from.
"""

OMIT = "<omit>"  # a knob value: leave the key out (the type's default applies); None: an explicit JSON null

_TINY = dict(vocab_size=211, hidden_size=64, num_hidden_layers=4, num_attention_heads=4, intermediate_size=88)
_GPT = dict(vocab_size=211, n_embd=64, n_layer=4, n_head=4)
_KV = [OMIT, 1, 2, 4]
_BOOL = [True, False]
_HEAD_DIM = [OMIT, 8, 24]

_LLAMA_KNOBS = dict(num_key_value_heads=_KV, head_dim=_HEAD_DIM, attention_bias=_BOOL, mlp_bias=_BOOL,
                    tie_word_embeddings=_BOOL, intermediate_size=[88, 100])
_QWEN_WINDOW = dict(use_sliding_window=_BOOL, sliding_window=[OMIT, None, 16, 32], max_window_layers=[0, 2, 28])
_MOE_QWEN = dict(num_experts=[2, 4], num_experts_per_tok=[OMIT, 1, 2], moe_intermediate_size=[24, 40],
                 decoder_sparse_step=[1, 2, 3], mlp_only_layers=[None, [], [0], [1, 3]])

BASE = {
    "gpt2": _GPT, "gpt_bigcode": _GPT, "gptj": _GPT,
    "bloom": dict(vocab_size=211, hidden_size=64, n_layer=4, n_head=4),
    "opt": dict(_TINY, ffn_dim=88),
    "falcon": dict(_TINY),
    "phi3": dict(_TINY, pad_token_id=None, eos_token_id=None),
}
_KV_BASE = 2  # every type with a num_key_value_heads knob starts from K = 2
KNOBS = {
    "gpt2": dict(n_inner=[OMIT, None, 100], n_positions=[64, 100], tie_word_embeddings=_BOOL),
    "gpt_bigcode": dict(multi_query=_BOOL, n_inner=[None, 100], n_positions=[64, 100], tie_word_embeddings=_BOOL),
    "gptj": dict(n_inner=[None, 100], rotary_dim=[8, 16], tie_word_embeddings=_BOOL),
    "gpt_neox": dict(use_parallel_residual=_BOOL, attention_bias=_BOOL, tie_word_embeddings=_BOOL,
                     rotary_pct=[0.25, 1.0]),
    "opt": dict(do_layer_norm_before=_BOOL, _remove_final_layer_norm=_BOOL, word_embed_proj_dim=[OMIT, None, 32, 64],
                enable_bias=_BOOL, layer_norm_elementwise_affine=_BOOL, tie_word_embeddings=_BOOL,
                max_position_embeddings=[64, 100]),
    "bloom": dict(tie_word_embeddings=_BOOL),
    "falcon": dict(num_ln_in_parallel_attn=[OMIT, None, 1, 2], num_kv_heads=[OMIT, None, 1, 2, 4], alibi=_BOOL,
                   new_decoder_architecture=_BOOL, multi_query=_BOOL, parallel_attn=_BOOL, bias=_BOOL,
                   ffn_hidden_size=[OMIT, None, 100], tie_word_embeddings=_BOOL),
    "llama": _LLAMA_KNOBS, "granite": _LLAMA_KNOBS,
    "mistral": dict(num_key_value_heads=_KV, head_dim=_HEAD_DIM, tie_word_embeddings=_BOOL,
                    sliding_window=[OMIT, None, 16]),
    "mixtral": dict(num_key_value_heads=_KV, head_dim=_HEAD_DIM, tie_word_embeddings=_BOOL,
                    sliding_window=[OMIT, None, 16], num_local_experts=[1, 2, 4], num_experts_per_tok=[OMIT, 1, 2]),
    "qwen2": dict(num_key_value_heads=_KV, head_dim=_HEAD_DIM, tie_word_embeddings=_BOOL, **_QWEN_WINDOW),
    "qwen2_moe": dict(num_key_value_heads=_KV, head_dim=_HEAD_DIM, tie_word_embeddings=_BOOL, qkv_bias=_BOOL,
                      shared_expert_intermediate_size=[OMIT, 40], **_MOE_QWEN, **_QWEN_WINDOW),
    "qwen3": dict(num_key_value_heads=_KV, head_dim=_HEAD_DIM, attention_bias=_BOOL, tie_word_embeddings=_BOOL,
                  **_QWEN_WINDOW),
    "qwen3_moe": dict(num_key_value_heads=_KV, head_dim=_HEAD_DIM, attention_bias=_BOOL, tie_word_embeddings=_BOOL,
                      **_MOE_QWEN, **_QWEN_WINDOW),
    "gemma": dict(num_key_value_heads=_KV, head_dim=_HEAD_DIM, attention_bias=_BOOL, tie_word_embeddings=_BOOL),
    "gemma2": dict(num_key_value_heads=_KV, head_dim=_HEAD_DIM, attention_bias=_BOOL, tie_word_embeddings=_BOOL,
                   sliding_window=[16, 32]),
    "gemma3_text": dict(num_key_value_heads=_KV, head_dim=_HEAD_DIM, attention_bias=_BOOL,
                        tie_word_embeddings=_BOOL, sliding_window=[16, 32], sliding_window_pattern=[2, 3, 6]),
    "phi": dict(num_key_value_heads=_KV, qk_layernorm=_BOOL, tie_word_embeddings=_BOOL,
                partial_rotary_factor=[0.5, 1.0]),
    "phi3": dict(num_key_value_heads=_KV, head_dim=_HEAD_DIM, tie_word_embeddings=_BOOL,
                 sliding_window=[OMIT, None, 16]),
    "olmo": dict(num_key_value_heads=_KV, head_dim=_HEAD_DIM, attention_bias=_BOOL, tie_word_embeddings=_BOOL),
    "olmo2": dict(num_key_value_heads=_KV, head_dim=_HEAD_DIM, attention_bias=_BOOL, tie_word_embeddings=_BOOL),
    "stablelm": dict(num_key_value_heads=_KV, use_qkv_bias=_BOOL, qk_layernorm=_BOOL, use_parallel_residual=_BOOL,
                     tie_word_embeddings=_BOOL, head_dim=_HEAD_DIM),
    "starcoder2": dict(num_key_value_heads=_KV, use_bias=_BOOL, tie_word_embeddings=_BOOL,
                       sliding_window=[OMIT, None, 16], head_dim=_HEAD_DIM),
    "cohere": dict(num_key_value_heads=_KV, use_qk_norm=_BOOL, attention_bias=_BOOL, tie_word_embeddings=_BOOL,
                   head_dim=_HEAD_DIM),
    "deepseek_v3": dict(q_lora_rank=[OMIT, None, 24], kv_lora_rank=[16, 32], qk_rope_head_dim=[8, 16],
                        qk_nope_head_dim=[8, 16], v_head_dim=[8, 24], n_shared_experts=[OMIT, 0, 1, 2],
                        n_routed_experts=[2, 4], num_experts_per_tok=[OMIT, 1, 2], first_k_dense_replace=[0, 1, 2],
                        moe_intermediate_size=[24, 40], attention_bias=_BOOL, tie_word_embeddings=_BOOL,
                        n_group=[1], topk_group=[1]),
    "gpt_oss": dict(num_key_value_heads=[1, 2, 4], head_dim=[8, 24], attention_bias=_BOOL, tie_word_embeddings=_BOOL,
                    num_local_experts=[2, 4], num_experts_per_tok=[OMIT, 1, 2], sliding_window=[OMIT, 16, 32],
                    layer_types=[OMIT, ["full_attention"] * 4, ["sliding_attention", "full_attention"] * 2]),
}


def base_config(mt: str) -> dict:
    base = dict(BASE.get(mt, _TINY), model_type=mt)
    if "num_key_value_heads" in KNOBS[mt]:
        base["num_key_value_heads"] = _KV_BASE
    return base


def random_config(mt: str, rng) -> dict:
    """The base config of ``mt`` with each knob set (or omitted) with probability 0.6."""
    d = base_config(mt)
    for key, values in KNOBS[mt].items():
        if rng.random() < 0.6:
            v = rng.choice(values)
            if v == OMIT:
                d.pop(key, None)
            else:
                d[key] = v
    return d
