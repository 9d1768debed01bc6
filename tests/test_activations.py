"""Activation bytes against the bytes PyTorch saves for backward on the real transformers classes.

Truth: ``torch.autograd.graph.saved_tensors_hooks`` around a forward with labels (loss included), deduplicated by
storage, parameter storages excluded (docs/memory-validation.md). Tiny configs, CPU, bf16 and fp32.
"""

import pytest

from cookbook.activations import hf_activation_bytes, korthikanti_coefficient, korthikanti_layer_bytes
from cookbook.errors import CookbookError
from cookbook.flops import training_flops
from cookbook.hf import from_hf_config
from cookbook.params import count_params
from cookbook.presets import PRESETS, get_preset

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

B, S = 2, 64
BASE = dict(vocab_size=512, hidden_size=128, intermediate_size=320, num_hidden_layers=2, num_attention_heads=8,
            max_position_embeddings=1024)
CASES = {  # name: (model_type, extra config keys)
    "llama-gqa": ("llama", dict(num_key_value_heads=2)),
    "llama-mha": ("llama", dict(num_key_value_heads=8)),
    "llama-mqa": ("llama", dict(num_key_value_heads=1)),
    "qwen3": ("qwen3", dict(num_key_value_heads=4, head_dim=32)),
    "gpt_neox": ("gpt_neox", dict(hidden_dropout=0.0, attention_dropout=0.0)),
    "mixtral": ("mixtral", dict(num_key_value_heads=4, num_local_experts=4, num_experts_per_tok=2)),
    "mistral-sliding": ("mistral", dict(num_key_value_heads=2, sliding_window=32)),  # S = 64 > W
    "qwen2": ("qwen2", dict(num_key_value_heads=2)),
    # Gemma: (1 + w) fp32 RMSNorm, GeGLU (gelu_pytorch_tanh); Gemma-2/3: sandwich norms and S = 64 > W = 32
    # sliding layers; Gemma-2: attention and final logit soft-capping (50, 30); Gemma-3: (1 + w) QK-norm
    "gemma-mqa": ("gemma", dict(num_key_value_heads=1, head_dim=16)),
    "gemma2-sliding": ("gemma2", dict(num_key_value_heads=4, head_dim=16, sliding_window=32)),
    "gemma3-sliding": ("gemma3_text", dict(num_key_value_heads=2, head_dim=16, sliding_window=32,
                                           sliding_window_pattern=2)),
}
EAGER_ONLY = {"gemma2-sliding"}  # transformers' Gemma-2 has no SDPA path (soft-capping); FA2 needs CUDA
PAIRS = [(c, a) for c in CASES for a in ("eager", "sdpa") if not (a == "sdpa" and c in EAGER_ONLY)]


def saved_bytes(model, ids) -> int:
    """Bytes of distinct non-parameter storages saved for backward in one forward (with loss)."""
    params = {p.untyped_storage().data_ptr() for p in model.parameters()}
    seen = {}

    def pack(t):
        st = t.untyped_storage()
        ptr = st.data_ptr()
        if ptr not in params and ptr not in seen:
            seen[ptr] = st.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model(ids, labels=ids)
    return sum(seen.values())


def build(model_type, extra, dtype, attention):
    cfg = transformers.AutoConfig.for_model(model_type, **BASE, **extra)
    cfg._attn_implementation = attention
    old = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        torch.manual_seed(0)
        model = transformers.AutoModelForCausalLM.from_config(cfg)
    finally:
        torch.set_default_dtype(old)
    model.train()
    return model, from_hf_config(cfg.to_dict())


MEASURED = {}


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["bf16", "fp32"])
@pytest.mark.parametrize("case,attention", PAIRS)
def test_hf_activation_model_matches_saved_tensors(case, dtype, attention):
    model_type, extra = CASES[case]
    tdt = {"bf16": torch.bfloat16, "fp32": torch.float32}[dtype]
    model, m = build(model_type, extra, tdt, attention)
    ids = torch.randint(0, BASE["vocab_size"], (B, S))
    truth = saved_bytes(model, ids)
    ours = hf_activation_bytes(m, B, S, p=tdt.itemsize, attention="eager" if attention == "eager" else "flash")
    MEASURED[(case, dtype, attention)] = (ours["total"], truth)
    assert ours["total"] == pytest.approx(truth, rel=0.05), (ours["per_term"], truth)


MLA = dict(num_key_value_heads=8, q_lora_rank=32, kv_lora_rank=24, qk_rope_head_dim=8, qk_nope_head_dim=16,
           v_head_dim=16, n_routed_experts=4, num_experts_per_tok=2, moe_intermediate_size=32,
           first_k_dense_replace=1, n_group=1, topk_group=1)


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["bf16", "fp32"])
def test_mla_eager(dtype):
    """DeepSeek-V3 MLA + MoE, eager only: CPU SDPA falls back to its math backend when d_qk != d_v."""
    tdt = {"bf16": torch.bfloat16, "fp32": torch.float32}[dtype]
    model, m = build("deepseek_v3", MLA, tdt, "eager")
    truth = saved_bytes(model, torch.randint(0, BASE["vocab_size"], (B, S)))
    ours = hf_activation_bytes(m, B, S, p=tdt.itemsize, attention="eager")
    MEASURED[("deepseek_v3 (MLA)", dtype, "eager")] = (ours["total"], truth)
    assert ours["total"] == pytest.approx(truth, rel=0.05)


@pytest.mark.parametrize("preset", ["gemma-7b", "gemma-2-9b", "gemma-3-1b"])
def test_gemma_activation_fields_change_no_count(preset):
    """norm_unit_offset and soft-capping only change saved tensors: parameters and FLOPs are those without them."""
    m = get_preset(preset)
    plain = m.replace(norm_unit_offset=False, attn_logit_softcapping=None, final_logit_softcapping=None)
    assert m.norm_unit_offset and count_params(m) == count_params(plain)
    assert training_flops(m, 2, 2048, "causal") == training_flops(plain, 2, 2048, "causal")


def get_preset_config(name):
    return PRESETS[name]["config"]


def test_gemma_softcapping_from_hf_config():
    """transformers' defaults: Gemma-2 caps attention at 50 and logits at 30; Gemma-3's attention ignores the key."""
    g2 = get_preset("gemma-2-9b")
    assert (g2.attn_logit_softcapping, g2.final_logit_softcapping) == (50.0, 30.0)
    raw = dict(get_preset_config("gemma-3-1b"), attn_logit_softcapping=20.0, final_logit_softcapping=30.0)
    g3 = from_hf_config(raw)
    assert (g3.attn_logit_softcapping, g3.final_logit_softcapping) == (None, 30.0)
    uncapped = from_hf_config(dict(get_preset_config("gemma-2-2b"), attn_logit_softcapping=None))
    assert uncapped.attn_logit_softcapping is None
    with pytest.raises(CookbookError, match="final_logit_softcapping"):
        from_hf_config(dict(get_preset_config("gemma-2-2b"), final_logit_softcapping="30"))
    for bad in (0, -1.0, float("nan"), float("inf"), True):
        with pytest.raises(CookbookError, match="attn_logit_softcapping"):
            g2.replace(attn_logit_softcapping=bad)


def test_korthikanti_table2_coefficients():
    """Korthikanti et al. 2022, Table 2 (bytes per layer / (s*b*h))."""
    s, h, a, t = 2048, 12288, 96, 8
    x = 5 * a * s / h
    assert korthikanti_coefficient(s, h, a) == pytest.approx(34 + x)
    assert korthikanti_coefficient(s, h, a, t) == pytest.approx(10 + 24 / t + x / t)
    assert korthikanti_coefficient(s, h, a, t, sp=True) == pytest.approx(34 / t + x / t)
    assert korthikanti_coefficient(s, h, a, t, recompute="selective") == pytest.approx(10 + 24 / t)
    assert korthikanti_coefficient(s, h, a, t, sp=True, recompute="selective") == pytest.approx(34 / t)
    assert korthikanti_coefficient(s, h, a, t, recompute="full") == 2
    assert korthikanti_layer_bytes(s, 1, h, a) == pytest.approx(s * h * (34 + x))


def test_zz_print_measured():  # prints the comparison table for docs (pytest -s)
    for k, (ours, truth) in sorted(MEASURED.items()):
        print(k, ours, truth, f"{ours / truth - 1:+.2%}")
