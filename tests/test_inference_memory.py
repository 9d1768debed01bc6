"""Serving memory: weight bytes against vLLM's measured weight memory; quantization; CLI JSON."""

import json

import pytest

from cookbook.cli import main
from cookbook.dtypes import nbytes, nf4_bytes, quantized_bytes
from cookbook.hf import from_hf_config
from cookbook.inference_memory import inference_memory, weight_bytes
from cookbook.errors import CookbookError

GIB = 2**30
LLAMA_70B = dict(model_type="llama", vocab_size=128256, hidden_size=8192, intermediate_size=28672,
                 num_hidden_layers=80, num_attention_heads=64, num_key_value_heads=8)
QWEN3_32B = dict(model_type="qwen3", vocab_size=151936, hidden_size=5120, intermediate_size=25600,
                 num_hidden_layers=64, num_attention_heads=64, num_key_value_heads=8, head_dim=128,
                 tie_word_embeddings=False)
QWEN3_06B = dict(model_type="qwen3", vocab_size=151936, hidden_size=1024, intermediate_size=3072,
                 num_hidden_layers=28, num_attention_heads=16, num_key_value_heads=8, head_dim=128,
                 tie_word_embeddings=True)
LLAMA_8B = dict(model_type="llama", vocab_size=128256, hidden_size=4096, intermediate_size=14336,
                num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8)

# vLLM on H100, weight memory per GPU in GiB: llm-d-benchmark config_explorer/empirical-vllm-memory-results.md
# (notes/calculators.md §9.2). Tolerance 1 %: vLLM also counts a few small buffers.
VLLM = [
    ("Llama-3.1-8B bf16", LLAMA_8B, "bf16", 1, 14.99),
    ("Qwen3-0.6B bf16", QWEN3_06B, "bf16", 1, 1.12),
    ("Qwen3-32B bf16", QWEN3_32B, "bf16", 1, 61.03),
    ("Llama-3.3-70B-FP8 TP=1", LLAMA_70B, "fp8", 1, 67.72),
    ("Llama-3.3-70B-FP8 TP=2", LLAMA_70B, "fp8", 2, 33.88),
]


@pytest.mark.parametrize("name,cfg,dtype,tp,measured", VLLM)
def test_weights_against_vllm_measurements(name, cfg, dtype, tp, measured):
    ours = weight_bytes(from_hf_config(cfg), dtype, tp=tp)["total"] / GIB
    assert ours == pytest.approx(measured, rel=0.01)


def test_quantized_checkpoints_keep_embeddings_16bit():
    m = from_hf_config(LLAMA_70B)
    w = weight_bytes(m, "int4", group_size=128)
    assert w["kept_params"] == 2 * 128256 * 8192 + (2 * 80 + 1) * 8192
    assert w["quantized"] == w["quantized_params"] // 2 + w["quantized_params"] // 128 * 2
    assert w["total"] == w["quantized"] + w["kept_16bit"]


def test_group_wise_and_nf4_overheads():
    """Scale overhead: int4 g128 bf16 scales = 0.125 bit/weight; NF4 block 64: 0.5 bit, double-quantized
    0.127 bit (Dettmers et al. 2023, section 3)."""
    n = 64 * 256 * 1000
    assert quantized_bytes(n, "int4", 128) * 8 / n == 4.125
    assert nf4_bytes(n, double_quant=False) * 8 / n == 4.5
    assert nf4_bytes(n) * 8 / n - 4 == pytest.approx(0.127, abs=0.0005)
    assert nbytes(3, "int4") == 2


def test_inference_parts_sum_and_errors():
    m = from_hf_config(LLAMA_8B)
    r = inference_memory(m, 4, 8192, kv_dtype="fp8", tp=2)
    assert r["total"] == r["weights"] + r["kv_cache"] + r["activations"] + r["framework_overhead"]
    with pytest.raises(CookbookError, match=r"num_heads \(32\) is not divisible by tp \(3\)"):
        inference_memory(m, tp=3)


def test_cli_inference_json_and_labelled_table(capsys, tmp_path):
    p = tmp_path / "c.json"
    p.write_text(json.dumps(LLAMA_8B))
    assert main(["inference", "--hf-config", str(p), "--batch", "1", "--context", "1024", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["kv_cache"] == 32 * 2 * 8 * 128 * 1024 * 2 and r["weights"] == 8030261248 * 2
    assert main(["inference", "--hf-config", str(p), "--weight-dtype", "int4", "--group-size", "128",
                 "--kv-dtype", "fp8", "--tp", "2", "--gpu", "RTX-4090"]) == 0
    out = capsys.readouterr().out
    assert "GiB" in out and "KV cache per GPU" in out and "fits" in out
