"""Build a ModelConfig from a Hugging Face ``config.json`` dict, without torch or transformers.

Absent keys take the defaults the transformers configuration classes apply (transcribed per ``model_type``
below; ``tests/test_hf_defaults.py`` checks them against transformers). The core shape keys (vocabulary, hidden
size, layers, heads) must be present: a pasted config without them is an error, not a silent default model.
"""

from __future__ import annotations

import json

from cookbook.errors import CookbookError
from cookbook.model import MLAConfig, ModelConfig, MoEConfig

__all__ = ["from_hf_config", "load_hf_config", "read_hf_config", "SUPPORTED_MODEL_TYPES"]


class _Cfg:
    """Reads keys of one config dict with the model type's defaults and aliases, and typed errors."""

    def __init__(self, raw: dict, model_type: str, defaults: dict, aliases: dict):
        self.raw, self.mt, self.defaults, self.aliases = raw, model_type, defaults, aliases

    def has(self, key: str) -> bool:
        return any(k in self.raw and self.raw[k] is not None for k in (key, *self.aliases.get(key, ())))

    def get(self, key: str, default=None):
        """The value of ``key`` (or an alias); an explicit null stays None (transformers then derives the value,
        e.g. ``sliding_window: null`` is no window, ``q_lora_rank: null`` no query LoRA); absent: the default."""
        names = (key, *self.aliases.get(key, ()))
        for k in names:
            if k in self.raw and self.raw[k] is not None:
                return self.raw[k]
        if any(k in self.raw for k in names):
            return None
        return self.defaults.get(key, default)

    def need(self, key: str):
        if not self.has(key):
            names = " or ".join(repr(k) for k in (key, *self.aliases.get(key, ())))
            raise CookbookError(f"config.json has no {names} (needed for model_type {self.mt!r}); add it")
        return self.get(key)

    def int(self, key: str, required: bool = False, default=None):
        v = self.need(key) if required else self.get(key, default)
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, int):
            if isinstance(v, float) and v.is_integer():
                return int(v)
            raise CookbookError(f"config.json {key!r} must be an integer, got {v!r}")
        return v

    def bool(self, key: str, default=False) -> bool:
        v = self.get(key, default)
        if v is None:
            v = self.defaults.get(key, default)
        if not isinstance(v, bool):
            raise CookbookError(f"config.json {key!r} must be true or false, got {v!r}")
        return v


def _shape(c: _Cfg, hidden="hidden_size", layers="num_hidden_layers", heads="num_attention_heads") -> dict:
    return dict(vocab_size=c.int("vocab_size", required=True), hidden_size=c.int(hidden, required=True),
                num_layers=c.int(layers, required=True), num_heads=c.int(heads, required=True))


def _layer_types(c: _Cfg, n_layers: int):
    lt = c.get("layer_types")
    if lt is None:
        return None
    if not isinstance(lt, list):
        raise CookbookError(f"config.json 'layer_types' must be a list, got {lt!r}")
    # other layer kinds (e.g. linear attention) are not modelled: name them
    bad = sorted({t for t in lt if t not in ("full_attention", "sliding_attention")}, key=str)
    if bad:
        raise CookbookError(f"config.json 'layer_types' has unsupported entries {bad}; "
                            "supported: full_attention, sliding_attention")
    return tuple(lt)


def _llama_like(c: _Cfg, **extra) -> dict:
    """Llama family: RMSNorm, gated SiLU MLP, rotary, GQA, optional explicit head_dim."""
    kw = _shape(c)
    bias = c.bool("attention_bias")
    kw.update(num_kv_heads=c.int("num_key_value_heads"), head_dim=c.int("head_dim"),
              ffn_size=c.int("intermediate_size"), gated_mlp=True, activation=c.get("hidden_act", "silu"),
              tie_embeddings=c.bool("tie_word_embeddings"), position="rotary",
              max_position_embeddings=c.int("max_position_embeddings"), norm="rmsnorm",
              qkv_bias=bias, out_bias=bias, mlp_bias=c.bool("mlp_bias"))
    kw.update(extra)
    return kw


def _no_cross_attention(c: _Cfg) -> None:
    if c.bool("add_cross_attention"):
        raise CookbookError(f"config.json 'add_cross_attention' is true: cross-attention layers (an encoder-decoder "
                            f"{c.mt}) are not modelled; set it to false for the decoder-only model")


def _gpt2(c):
    _no_cross_attention(c)
    kw = _shape(c, "n_embd", "n_layer", "n_head")
    return dict(kw, ffn_size=c.int("n_inner"), activation=c.get("activation_function"), position="learned",
                max_position_embeddings=c.int("n_positions"), norm="layernorm", norm_bias=True,
                qkv_bias=True, out_bias=True, mlp_bias=True, tie_embeddings=c.bool("tie_word_embeddings"))


def _gpt_bigcode(c):
    kw = _gpt2(c)
    kw["num_kv_heads"] = 1 if c.bool("multi_query") else None
    return kw


def _gpt_neox(c):
    bias = c.bool("attention_bias")
    return dict(_shape(c), ffn_size=c.int("intermediate_size"), activation=c.get("hidden_act"),
                position="rotary", max_position_embeddings=c.int("max_position_embeddings"),
                norm="layernorm", norm_bias=True, layer_norms=2, parallel_block=c.bool("use_parallel_residual"),
                qkv_bias=bias, out_bias=bias, mlp_bias=True, tie_embeddings=c.bool("tie_word_embeddings"))


def _gptj(c):
    return dict(_shape(c, "n_embd", "n_layer", "n_head"), ffn_size=c.int("n_inner"),
                activation=c.get("activation_function"), position="rotary",
                max_position_embeddings=c.int("n_positions"), norm="layernorm", norm_bias=True, layer_norms=1,
                parallel_block=True, mlp_bias=True, lm_head_bias=True,
                tie_embeddings=c.bool("tie_word_embeddings"))


def _opt(c):
    bias = c.bool("enable_bias")
    affine = c.bool("layer_norm_elementwise_affine")
    final = c.bool("do_layer_norm_before") and not c.bool("_remove_final_layer_norm")
    proj = c.int("word_embed_proj_dim")
    return dict(_shape(c), ffn_size=c.int("ffn_dim"), activation=c.get("activation_function"),
                position="learned", max_position_embeddings=c.int("max_position_embeddings"), position_offset=2,
                norm="layernorm" if affine else "nonparametric", norm_bias=affine, final_norm=final,
                embedding_dim=proj, qkv_bias=bias, out_bias=bias, mlp_bias=bias,
                tie_embeddings=c.bool("tie_word_embeddings"))


def _bloom(c):
    return dict(_shape(c, "hidden_size", "n_layer", "n_head"), activation="gelu", position="alibi",
                norm="layernorm", norm_bias=True, embedding_norm=True, qkv_bias=True, out_bias=True,
                mlp_bias=True, tie_embeddings=c.bool("tie_word_embeddings"))


def _falcon(c):
    kw = _shape(c)
    new = c.bool("new_decoder_architecture")
    if new:
        kv = c.int("num_kv_heads")
    else:
        kv = 1 if c.bool("multi_query") else kw["num_heads"]
    parallel = c.bool("parallel_attn")
    if not parallel:
        norms = 2
    else:
        n_ln = c.int("num_ln_in_parallel_attn")
        norms = 2 if (n_ln if n_ln is not None else (2 if new else 1)) == 2 else 1
    bias = c.bool("bias")
    return dict(kw, num_kv_heads=kv, ffn_size=c.int("ffn_hidden_size"), activation=c.get("activation"),
                position="alibi" if c.bool("alibi") else "rotary",
                max_position_embeddings=c.int("max_position_embeddings"), norm="layernorm", norm_bias=True,
                parallel_block=parallel, layer_norms=norms, qkv_bias=bias, out_bias=bias, mlp_bias=bias,
                tie_embeddings=c.bool("tie_word_embeddings"))


def _sliding_all_layers(c: _Cfg) -> dict:
    """Mistral / Starcoder2 / Phi-3: one window for every layer when ``sliding_window`` is set."""
    return dict(sliding_window=c.int("sliding_window"))


def _mistral(c):
    return _llama_like(c, qkv_bias=False, out_bias=False, mlp_bias=False, **_sliding_all_layers(c))


def _mixtral(c):
    kw = _mistral(c)
    kw["moe"] = MoEConfig(num_experts=c.int("num_local_experts"), top_k=c.int("num_experts_per_tok"),
                          expert_ffn_size=kw["ffn_size"])
    return kw


def _qwen_sliding(c: _Cfg, n_layers: int) -> dict:
    """Qwen2/Qwen3: with ``use_sliding_window``, layers from ``max_window_layers`` on slide (unless layer_types);
    Qwen2-MoE: odd-numbered layers (i = 0, 2, ...) below ``max_window_layers`` slide; Qwen3-MoE: every layer."""
    lt = _layer_types(c, n_layers)
    use = c.bool("use_sliding_window")
    window = (c.int("sliding_window") if use else None) or None  # Qwen2-MoE stores 0 for "no window"
    start = c.int("max_window_layers")
    if c.mt == "qwen3_moe":  # no layer_types in its config: the window applies to every layer
        lt = None
    elif lt is None and c.mt == "qwen2_moe":
        lt = tuple("sliding_attention" if (i + 1) % 2 and i < start and use else "full_attention"
                   for i in range(n_layers))
    elif lt is None:
        lt = tuple("sliding_attention" if window is not None and i >= start else "full_attention"
                   for i in range(n_layers))
    if window is None and lt is not None:
        lt = tuple("full_attention" for _ in lt)
    return dict(sliding_window=window, layer_types=lt)


def _qwen2(c):
    kw = _llama_like(c, qkv_bias=True, out_bias=False, mlp_bias=False)
    return dict(kw, **_qwen_sliding(c, kw["num_layers"]))


def _qwen_moe(c, shared: bool):
    n = c.int("num_experts")
    every = c.int("decoder_sparse_step")
    only = c.get("mlp_only_layers") or []
    if not isinstance(only, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in only):
        raise CookbookError(f"config.json 'mlp_only_layers' must be a list of layer indices, got {only!r}")
    kw = dict(num_experts=n, top_k=c.int("num_experts_per_tok"), expert_ffn_size=c.int("moe_intermediate_size"),
              layer_interval=every, dense_layers=tuple(only))
    s = c.int("shared_expert_intermediate_size") if shared else 0
    if shared and not s:
        raise CookbookError(f"config.json 'shared_expert_intermediate_size' is {s!r}: transformers' Qwen2-MoE then "
                            "builds an empty shared expert with a gate, which is not modelled; set it > 0")
    if s:
        kw.update(num_shared_experts=1, shared_expert_ffn_size=s, shared_expert_gate=True)
    return MoEConfig(**kw)


def _qwen2_moe(c):
    kw = _llama_like(c, qkv_bias=c.bool("qkv_bias"), out_bias=False, mlp_bias=False)
    return dict(kw, moe=_qwen_moe(c, shared=True), **_qwen_sliding(c, kw["num_layers"]))


def _qwen3(c):
    kw = _llama_like(c, qk_norm="head", mlp_bias=False)
    return dict(kw, **_qwen_sliding(c, kw["num_layers"]))


def _qwen3_moe(c):
    return dict(_qwen3(c), moe=_qwen_moe(c, shared=False))


def _softcap(c: _Cfg, key: str):
    """A soft-capping value (a positive number) or None (null or absent: no capping)."""
    v = c.get(key)
    if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
        raise CookbookError(f"config.json {key!r} must be a number or null, got {v!r}")
    return None if v is None else float(v)


def _gemma(c):
    """Gemma RMSNorm: (1 + w) applied in fp32 (``norm_unit_offset``). Gemma-1 has no logit soft-capping."""
    return _llama_like(c, tie_embeddings=c.bool("tie_word_embeddings"), mlp_bias=False,
                       activation=c.get("hidden_activation") or c.get("hidden_act"), norm_unit_offset=True)


def _gemma_windowed(c, pattern_default: int, qk_norm: str):
    """Gemma-2: every other layer slides; Gemma-3: all but every ``sliding_window_pattern``-th (default 6).
    Logit soft-capping from the config (transformers' defaults: Gemma-2 50 and 30, Gemma-3 none; Gemma-3's
    attention does not apply attn_logit_softcapping in transformers, so it is read for Gemma-2 only)."""
    kw = _gemma(c)
    lt = _layer_types(c, kw["num_layers"])
    if lt is None:
        p = c.int("sliding_window_pattern", default=pattern_default) if c.mt == "gemma3_text" else pattern_default
        lt = tuple("sliding_attention" if (i + 1) % p else "full_attention" for i in range(kw["num_layers"]))
    # transformers' Gemma-3 attention ignores attn_logit_softcapping (never passed to the kernel; null in the
    # released configs); Gemma-2 applies it
    attn_cap = _softcap(c, "attn_logit_softcapping") if c.mt == "gemma2" else None
    return dict(kw, layer_norms=4, qk_norm=qk_norm, sliding_window=c.int("sliding_window"), layer_types=lt,
                attn_logit_softcapping=attn_cap, final_logit_softcapping=_softcap(c, "final_logit_softcapping"))


def _gemma2(c):
    return _gemma_windowed(c, 2, "none")


def _gemma3_text(c):
    return _gemma_windowed(c, 6, "head")


def _phi(c):
    qk = c.bool("qk_layernorm")
    kw = _shape(c)
    head_dim = c.int("head_dim")
    if qk and head_dim not in (None, kw["hidden_size"] // kw["num_heads"]):
        raise CookbookError(f"config.json 'head_dim' ({head_dim}) differs from hidden_size/num_attention_heads "
                            f"({kw['hidden_size'] // kw['num_heads']}) with qk_layernorm: transformers' Phi sizes its "
                            "q/k norms by the latter and cannot run it; drop head_dim or qk_layernorm")
    return dict(kw, num_kv_heads=c.int("num_key_value_heads"), head_dim=head_dim, ffn_size=c.int("intermediate_size"),
                activation=c.get("hidden_act"), position="rotary",
                max_position_embeddings=c.int("max_position_embeddings"), norm="layernorm", norm_bias=True,
                parallel_block=True, layer_norms=1, qk_norm="head" if qk else "none", qk_norm_bias=qk,
                qkv_bias=True, out_bias=True, mlp_bias=True, lm_head_bias=True,
                tie_embeddings=c.bool("tie_word_embeddings"))


def _phi3(c):
    return _llama_like(c, qkv_bias=False, out_bias=False, mlp_bias=False, **_sliding_all_layers(c))


def _olmo(c):
    return _llama_like(c, norm="nonparametric", mlp_bias=False)


def _olmo2(c):
    return _llama_like(c, qk_norm="full", mlp_bias=False)


def _stablelm(c):
    parallel = c.bool("use_parallel_residual")
    qkv = c.bool("use_qkv_bias")
    return _llama_like(c, head_dim=None, norm="layernorm", norm_bias=True, qkv_bias=qkv, out_bias=False,
                       mlp_bias=False, parallel_block=parallel, layer_norms=1 if parallel else 2,
                       qk_norm="full" if c.bool("qk_layernorm") else "none")


def _starcoder2(c):
    bias = c.bool("use_bias")
    return _llama_like(c, gated_mlp=False, norm="layernorm", norm_bias=True, qkv_bias=bias,
                       out_bias=bias, mlp_bias=bias, **_sliding_all_layers(c))


def _cohere(c):
    return _llama_like(c, norm="layernorm", norm_bias=False, parallel_block=True, layer_norms=1,
                       qk_norm="full" if c.bool("use_qk_norm") else "none", mlp_bias=False)


def _deepseek_v3(c):
    kw = _llama_like(c, head_dim=None, num_kv_heads=None)
    q_lora = c.int("q_lora_rank")
    kw["mla"] = MLAConfig(kv_lora_rank=c.int("kv_lora_rank"), qk_rope_head_dim=c.int("qk_rope_head_dim"),
                          qk_nope_head_dim=c.int("qk_nope_head_dim"), v_head_dim=c.int("v_head_dim"),
                          q_lora_rank=q_lora or 0)
    ne = c.int("n_routed_experts")
    if ne:
        shared = c.int("n_shared_experts") or 0  # transformers cannot build null; 0: no shared expert
        fe = c.int("moe_intermediate_size")
        kw["moe"] = MoEConfig(num_experts=ne, top_k=c.int("num_experts_per_tok"), expert_ffn_size=fe,
                              num_shared_experts=1 if shared else 0, shared_expert_ffn_size=fe * shared,
                              first_dense_layers=c.int("first_k_dense_replace"))
    return kw


def _gpt_oss(c):
    kw = _llama_like(c)
    kw.update(attention_sinks=True, sliding_window=c.int("sliding_window"),
              layer_types=_layer_types(c, kw["num_layers"]))
    if kw["layer_types"] is None:
        kw["layer_types"] = tuple("sliding_attention" if i % 2 == 0 else "full_attention"
                                  for i in range(kw["num_layers"]))
    kw["moe"] = MoEConfig(num_experts=c.int("num_local_experts"), top_k=c.int("num_experts_per_tok"),
                          expert_ffn_size=kw["ffn_size"], router_bias=True, expert_bias=True)
    return kw


# model_type -> (converter, transformers' defaults for the keys it reads, key aliases). The defaults are those of
# the transformers configuration classes (transformers 5.25; tests/test_hf_defaults.py checks them). Shape keys
# (vocab_size, hidden_size, layers, heads) are required, so their defaults are not listed.
_LLAMA_DEFAULTS = dict(intermediate_size=11008, hidden_act="silu", max_position_embeddings=2048,
                       tie_word_embeddings=False, attention_bias=False, mlp_bias=False)
_QWEN_DEFAULTS = dict(tie_word_embeddings=False, attention_bias=False, use_sliding_window=False, sliding_window=4096,
                      max_window_layers=28, max_position_embeddings=32768, hidden_act="silu")
_GEMMA_DEFAULTS = dict(_LLAMA_DEFAULTS, tie_word_embeddings=True, head_dim=256, hidden_act="gelu_pytorch_tanh")
_GPT_ALIASES = {"n_embd": ("hidden_size",), "n_layer": ("num_hidden_layers",), "n_head": ("num_attention_heads",)}
_FAMILIES = {
    "gpt2": (_gpt2, dict(n_positions=1024, n_inner=None, activation_function="gelu_new",
                         tie_word_embeddings=True, add_cross_attention=False), _GPT_ALIASES),
    "gpt_bigcode": (_gpt_bigcode, dict(n_positions=1024, n_inner=None, activation_function="gelu_pytorch_tanh",
                                       multi_query=True, tie_word_embeddings=True, add_cross_attention=False),
                    _GPT_ALIASES),
    "gpt_neox": (_gpt_neox, dict(intermediate_size=24576, hidden_act="gelu", max_position_embeddings=2048,
                                 use_parallel_residual=True, attention_bias=True, tie_word_embeddings=False), {}),
    "gptj": (_gptj, dict(n_positions=2048, n_inner=None, activation_function="gelu_new",
                         tie_word_embeddings=False), _GPT_ALIASES),
    "opt": (_opt, dict(ffn_dim=3072, max_position_embeddings=2048, do_layer_norm_before=True,
                       _remove_final_layer_norm=False, word_embed_proj_dim=None, activation_function="relu",
                       enable_bias=True, layer_norm_elementwise_affine=True, tie_word_embeddings=True), {}),
    "bloom": (_bloom, dict(tie_word_embeddings=True),
              {"hidden_size": ("n_embed",), "n_layer": ("num_hidden_layers",), "n_head": ("num_attention_heads",)}),
    "falcon": (_falcon, dict(num_ln_in_parallel_attn=None, num_kv_heads=None, alibi=False,
                             new_decoder_architecture=False, multi_query=True, parallel_attn=True, bias=False,
                             max_position_embeddings=2048, ffn_hidden_size=None, activation="gelu",
                             tie_word_embeddings=True), {"num_hidden_layers": ("n_layer",),
                                                         "num_attention_heads": ("n_head",)}),
    "llama": (_llama_like, _LLAMA_DEFAULTS, {}),
    "granite": (_llama_like, _LLAMA_DEFAULTS, {}),
    "mistral": (_mistral, dict(_LLAMA_DEFAULTS, intermediate_size=14336, num_key_value_heads=8,
                               max_position_embeddings=131072, sliding_window=4096), {}),
    "mixtral": (_mixtral, dict(_LLAMA_DEFAULTS, intermediate_size=14336, num_key_value_heads=8,
                               max_position_embeddings=131072, num_local_experts=8, num_experts_per_tok=2), {}),
    "qwen2": (_qwen2, dict(_QWEN_DEFAULTS, intermediate_size=22016, num_key_value_heads=32), {}),
    "qwen2_moe": (_qwen2_moe, dict(_QWEN_DEFAULTS, intermediate_size=5632, num_key_value_heads=16,
                                   decoder_sparse_step=1, moe_intermediate_size=1408,
                                   shared_expert_intermediate_size=5632, num_experts_per_tok=4, num_experts=60,
                                   mlp_only_layers=[], qkv_bias=True), {}),
    "qwen3": (_qwen3, dict(_QWEN_DEFAULTS, intermediate_size=22016, num_key_value_heads=32, head_dim=128), {}),
    "qwen3_moe": (_qwen3_moe, dict(_QWEN_DEFAULTS, intermediate_size=6144, num_key_value_heads=4,
                                   decoder_sparse_step=1, moe_intermediate_size=768, num_experts_per_tok=8,
                                   num_experts=128, mlp_only_layers=[]), {"num_experts": ("num_local_experts",)}),
    "gemma": (_gemma, dict(_GEMMA_DEFAULTS, intermediate_size=24576, num_key_value_heads=16,
                           max_position_embeddings=8192), {}),
    "gemma2": (_gemma2, dict(_GEMMA_DEFAULTS, intermediate_size=9216, num_key_value_heads=4,
                             max_position_embeddings=8192, sliding_window=4096, attn_logit_softcapping=50.0,
                             final_logit_softcapping=30.0), {}),
    "gemma3_text": (_gemma3_text, dict(_GEMMA_DEFAULTS, intermediate_size=9216, num_key_value_heads=4,
                                       max_position_embeddings=131072, sliding_window=4096),
                    {"sliding_window_pattern": ("_sliding_window_pattern",)}),
    "phi": (_phi, dict(intermediate_size=8192, hidden_act="gelu_new", max_position_embeddings=2048,
                       tie_word_embeddings=False, qk_layernorm=False), {}),
    "phi3": (_phi3, dict(_LLAMA_DEFAULTS, intermediate_size=8192, max_position_embeddings=4096), {}),
    "olmo": (_olmo, _LLAMA_DEFAULTS, {}),
    "olmo2": (_olmo2, _LLAMA_DEFAULTS, {}),
    "stablelm": (_stablelm, dict(_LLAMA_DEFAULTS, intermediate_size=6912, num_key_value_heads=32,
                                 max_position_embeddings=4096, use_qkv_bias=False, qk_layernorm=False,
                                 use_parallel_residual=False), {}),
    "starcoder2": (_starcoder2, dict(_LLAMA_DEFAULTS, intermediate_size=12288, num_key_value_heads=2,
                                     hidden_act="gelu_pytorch_tanh", max_position_embeddings=4096, use_bias=True,
                                     tie_word_embeddings=True), {}),
    "cohere": (_cohere, dict(_LLAMA_DEFAULTS, intermediate_size=22528, max_position_embeddings=8192,
                             tie_word_embeddings=True, use_qk_norm=False), {}),
    "deepseek_v3": (_deepseek_v3, dict(_LLAMA_DEFAULTS, intermediate_size=18432, moe_intermediate_size=2048,
                                       n_shared_experts=1, n_routed_experts=256, kv_lora_rank=512,
                                       q_lora_rank=1536, qk_rope_head_dim=64, v_head_dim=128, qk_nope_head_dim=128,
                                       num_experts_per_tok=8, first_k_dense_replace=3,
                                       max_position_embeddings=4096), {}),
    "gpt_oss": (_gpt_oss, dict(_LLAMA_DEFAULTS, intermediate_size=2880, head_dim=64, num_key_value_heads=8,
                               sliding_window=128, max_position_embeddings=131072, num_local_experts=128,
                               num_experts_per_tok=4, attention_bias=True), {}),
}
SUPPORTED_MODEL_TYPES = tuple(sorted(_FAMILIES))


def from_hf_config(config: dict, name: str | None = None) -> ModelConfig:
    """A ModelConfig from a parsed Hugging Face ``config.json``."""
    if not isinstance(config, dict):
        raise CookbookError(f"a Hugging Face config must be a JSON object, got {type(config).__name__}")
    if "text_config" in config and isinstance(config["text_config"], dict) and "model_type" in config["text_config"]:
        config = config["text_config"]  # multimodal wrappers (e.g. gemma3): the language model
    mt = config.get("model_type")
    if mt is not None and not isinstance(mt, str):
        raise CookbookError(f"config.json 'model_type' must be a string, got {mt!r}")
    if mt is None:
        raise CookbookError("config.json has no 'model_type'; add it (one of: "
                            + ", ".join(SUPPORTED_MODEL_TYPES) + ")")
    if mt not in _FAMILIES:
        raise CookbookError(f"unsupported model_type {mt!r}; supported: " + ", ".join(SUPPORTED_MODEL_TYPES))
    fn, defaults, aliases = _FAMILIES[mt]
    kw = fn(_Cfg(config, mt, defaults, aliases))
    kw = {k: v for k, v in kw.items() if v is not None}
    moe = kw.get("moe")
    if moe is not None and not any(moe.is_moe_layer(i) for i in range(kw["num_layers"])):
        del kw["moe"]  # e.g. every layer in mlp_only_layers: transformers builds a dense model
    return ModelConfig(name=name or config.get("_name_or_path") or mt, **kw)


def read_hf_config(path: str) -> dict:
    """Parse a ``config.json`` file; a missing or malformed file is a CookbookError naming it."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise CookbookError(f"--hf-config: no such file {path!r}; give the path of a config.json") from None
    except json.JSONDecodeError as e:
        raise CookbookError(f"--hf-config: {path!r} is not valid JSON (line {e.lineno}: {e.msg})") from None
    except (OSError, UnicodeDecodeError) as e:
        raise CookbookError(f"--hf-config: cannot read {path!r} ({getattr(e, 'strerror', None) or e})") from None


def load_hf_config(path: str) -> ModelConfig:
    """Read a ``config.json`` file and build its ModelConfig."""
    return from_hf_config(read_hf_config(path))
