"""KV-cache bytes against the tensors of the transformers cache after a prefill (exact, every attention type).

Truth: a real transformers model (tiny config, bf16, CPU) runs a prefill with ``use_cache=True``; we sum
``numel * element_size`` of every cache layer's keys and values. Ours: ``cookbook inference --hf-config FILE
--batch B --context S --json`` (the CLI path users run).
"""

import json

import pytest

from cookbook.cli import main
from cookbook.hf import from_hf_config
from cookbook.kv_cache import cached_tokens, kv_cache_bytes, kv_heads_per_gpu
from cookbook.presets import get_preset
from cookbook.errors import CookbookError

BASE = dict(vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=4, num_attention_heads=4,
            max_position_embeddings=512)
CASES = {  # attention type: (model_type, config keys)
    "MHA": ("llama", dict(num_key_value_heads=4)),
    "GQA": ("llama", dict(num_key_value_heads=2)),
    "MQA": ("llama", dict(num_key_value_heads=1)),
    "GQA head_dim!=D/H (qwen3)": ("qwen3", dict(num_key_value_heads=2, head_dim=32)),
    "MLA (deepseek_v3)": ("deepseek_v3", dict(num_key_value_heads=4, q_lora_rank=32, kv_lora_rank=24,
                                              qk_rope_head_dim=8, qk_nope_head_dim=16, v_head_dim=16,
                                              n_routed_experts=4, num_experts_per_tok=2, moe_intermediate_size=32,
                                              first_k_dense_replace=1, n_group=1, topk_group=1)),
    "sliding window (mistral)": ("mistral", dict(num_key_value_heads=2, sliding_window=16)),
    "local/global (gemma3)": ("gemma3_text", dict(num_key_value_heads=2, head_dim=16, sliding_window=16,
                                                  layer_types=["sliding_attention", "sliding_attention",
                                                               "full_attention", "sliding_attention"])),
    "local/global + sinks (gpt_oss)": ("gpt_oss", dict(num_key_value_heads=2, head_dim=16, sliding_window=16,
                                                       num_local_experts=4, num_experts_per_tok=2)),
}


def _transformers_cache_bytes(model_type, keys, batch, context):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    cfg = transformers.AutoConfig.for_model(model_type, **BASE, **keys)
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16)
    try:
        torch.manual_seed(0)
        model = transformers.AutoModelForCausalLM.from_config(cfg).eval()
    finally:
        torch.set_default_dtype(old)
    with torch.no_grad():
        out = model(torch.randint(0, BASE["vocab_size"], (batch, context)), use_cache=True)
    cache = out.past_key_values
    tensors = [t for layer in cache.layers for t in (layer.keys, layer.values)]
    return cfg.to_dict(), sum(t.numel() * t.element_size() for t in tensors)


def _cli_json(capsys, tmp_path, cfg: dict, batch: int, context: int) -> dict:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    rc = main(["inference", "--hf-config", str(path), "--batch", str(batch), "--context", str(context), "--json"])
    out = capsys.readouterr().out
    assert rc == 0
    return json.loads(out)


@pytest.mark.torch
@pytest.mark.parametrize("batch,context", [(1, 1024), (2, 40), (3, 9)])
@pytest.mark.parametrize("case", list(CASES))
def test_kv_bytes_equal_transformers_cache(case, batch, context, capsys, tmp_path):
    cfg, truth = _transformers_cache_bytes(*CASES[case], batch, context)
    r = _cli_json(capsys, tmp_path, cfg, batch, context)
    assert r["kv_cache"] == truth
    assert {"weights", "kv_cache", "total"} <= set(r)


@pytest.mark.torch
def test_sliding_layer_storage_after_long_prefill_is_a_view():
    """Documented caveat: after a prefill longer than the window, HF's sliding layer keeps a W-1 token *view*
    whose storage is the whole prefill until the next decode step."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    cfg = transformers.AutoConfig.for_model("mistral", **BASE, num_key_value_heads=2, sliding_window=16)
    model = transformers.AutoModelForCausalLM.from_config(cfg).eval()
    with torch.no_grad():
        out = model(torch.randint(0, 256, (1, 40)), use_cache=True)
    k = out.past_key_values.layers[0].keys
    assert k.shape[-2] == 15
    assert k.untyped_storage().nbytes() == 40 * k.numel() * k.element_size() // 15


def test_published_kv_sizes():
    """Notes §1.2: Llama-2-7B s=4096 bf16 = 2.00 GiB; Llama-3-8B (8 KV heads) s=8192 = 1.00 GiB (exact)."""
    assert kv_cache_bytes(get_preset("llama-2-7b"), 1, 4096)["total"] == 2 * 2**30
    assert kv_cache_bytes(get_preset("llama-3-8b"), 1, 8192)["total"] == 2**30


def test_kv_tp_sharding_and_replication():
    m = get_preset("llama-3-8b")  # K = 8
    full = kv_cache_bytes(m, 1, 4096)["total"]
    assert kv_cache_bytes(m, 1, 4096, tp=8)["total"] * 8 == full
    assert kv_heads_per_gpu(m, 16) == 1  # replicated beyond K
    with pytest.raises(CookbookError, match="num_kv_heads \\(8\\) and tp \\(3\\)"):
        kv_heads_per_gpu(m, 3)


def test_kv_quantized_and_linear_in_context():
    m = get_preset("llama-3-8b")
    bf = kv_cache_bytes(m, 2, 1000)["total"]
    assert kv_cache_bytes(m, 2, 1000, kv_dtype="fp8")["total"] * 2 == bf
    assert kv_cache_bytes(m, 2, 1000, kv_dtype="int4")["total"] * 4 == bf
    # int4 with one bf16 scale per 64 elements: 4 + 16/64 bits per element
    assert kv_cache_bytes(m, 2, 1000, kv_dtype="int4", group_size=64)["total"] == bf // 4 + (bf // 2 // 64) * 2
    for c in (1, 7, 1000, 4096):
        assert kv_cache_bytes(m, 3, c)["total"] == c * kv_cache_bytes(m, 3, 1)["total"]


def test_sliding_conventions():
    m = from_hf_config(dict(model_type="mistral", **BASE, num_key_value_heads=2, sliding_window=16))
    assert cached_tokens(m, 0, 100, "hf") == 15
    assert cached_tokens(m, 0, 100, "window") == 16
    assert cached_tokens(m, 0, 100, "full") == 100
    assert cached_tokens(m, 0, 10, "hf") == 10
    r = kv_cache_bytes(m, 1, 100)
    assert sum(r["per_layer_type"].values()) == r["total"]
