"""cookbook.roofline's inference steps against hand derivations from published model sizes and datasheets."""

import pytest

from cookbook.errors import CookbookError
from cookbook.hardware import get_gpu
from cookbook.model import ModelConfig, MoEConfig
from cookbook.presets import get_preset
from cookbook.roofline import decode_step, prefill_step, weight_read_bytes

A100_BW = 2.039e12  # A100 80GB SXM datasheet: 2,039 GB/s
LLAMA2_7B = 6_738_415_616  # parameters of meta-llama/Llama-2-7b-hf (PyTorch on the meta device)
LLAMA2_EMBED = 32000 * 4096  # its untied token embedding, only looked up in decode


def test_llama2_7b_batch1_decode_is_weight_bandwidth():
    # by hand: bf16 weights minus the embedding table, plus K and V of one token in 32 layers of 32 x 128
    weights = 2 * (LLAMA2_7B - LLAMA2_EMBED)
    kv = 2 * 32 * 32 * 128 * 2
    r = decode_step(get_preset("llama-2-7b"), get_gpu("A100-80GB-SXM"), batch=1, context=0)
    assert weight_read_bytes(get_preset("llama-2-7b")) == weights
    assert r["bytes"] == weights + kv
    assert r["bound"] == "memory"
    assert r["seconds"] == pytest.approx((weights + kv) / A100_BW)
    assert r["tokens_per_second"] == pytest.approx(A100_BW / (weights + kv))


def test_tied_embeddings_are_read_as_the_lm_head():
    m = get_preset("gpt2")
    assert weight_read_bytes(m) == 2 * 124_439_808


def test_decode_time_is_flat_in_batch_while_memory_bound():
    m, g = get_preset("llama-3-8b"), get_gpu("H100-SXM")
    t1 = decode_step(m, g, 1, 0)["seconds"]
    t16 = decode_step(m, g, 16, 0)["seconds"]
    assert t16 / t1 < 1.01  # 16x the tokens for < 1 % more time: the weights dominate the bytes
    assert decode_step(m, g, 4096, 0)["bound"] == "compute"


def test_prefill_becomes_compute_bound_with_long_prompts():
    # 16 tokens share each weight read: memory-bound; 4096 tokens: far above the H100 ridge point
    m, g = get_preset("gpt2"), get_gpu("H100-SXM")
    pre = prefill_step(m, g, 1, 16)
    assert pre["bound"] == "memory" and pre["flops"] > 0
    assert prefill_step(m, g, 1, 4096)["bound"] == "compute"


def test_tensor_parallel_divides_bytes():
    m, g = get_preset("llama-3-8b"), get_gpu("H100-SXM")
    assert decode_step(m, g, 1, 1024, tp=8)["bytes"] * 8 == pytest.approx(decode_step(m, g, 1, 1024)["bytes"], rel=1e-6)


def test_moe_is_refused_with_a_message():
    m = ModelConfig(vocab_size=100, hidden_size=64, num_layers=2, num_heads=4,
                    moe=MoEConfig(num_experts=4, top_k=2, expert_ffn_size=32))
    with pytest.raises(CookbookError, match="MoE"):
        decode_step(m, get_gpu("H100-SXM"), 1, 0)
