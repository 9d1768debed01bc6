"""cookbook.gemm against NVIDIA's published GEMM guidance, hand derivations, and PyTorch's FLOP counter."""

import pytest

from cookbook.errors import CookbookError
from cookbook.gemm import (Gemm, alignment_multiple, arithmetic_intensity, gemm_bytes, gemm_flops, layer_gemms,
                           logits_gemm, pad_to_multiple, quantization)
from cookbook.model import ModelConfig, MoEConfig
from cookbook.presets import get_preset

GUIDE = "NVIDIA Matrix Multiplication Background User's Guide (DU-09799-001)"
PERF = "NVIDIA GPU Performance Background User's Guide, Table 1"


# (M, N, K, element bytes, published FLOPs/byte, source, absolute tolerance of the published rounding)
INTENSITY = [
    (8192, 128, 8192, 2, 124.1, GUIDE + ", section 2.1 (fp16)", 0.05),
    (512, 4096, 1024, 2, 315, PERF + ": linear layer, 1024 in, 4096 out, batch 512", 0.5),
    (1, 4096, 1024, 2, 1, PERF + ": same layer, batch 1", 0.05),
]


@pytest.mark.parametrize("m,n,k,b,published,source,tol", INTENSITY)
def test_arithmetic_intensity_matches_nvidia(m, n, k, b, published, source, tol):
    assert arithmetic_intensity(m, n, k, b) == pytest.approx(published, abs=tol), source


# Tensor Core alignment in elements, guide section 2.2 table: (element bytes, v100 rule, a100 rule, type)
ALIGN = [(1, 16, 128, "int8"), (2, 8, 64, "fp16/bf16"), (4, 4, 32, "tf32"), (8, 2, 16, "fp64")]


@pytest.mark.parametrize("b,v100,a100,dtype", ALIGN)
def test_alignment_multiples_match_guide(b, v100, a100, dtype):
    assert alignment_multiple(b, "v100") == v100, dtype
    assert alignment_multiple(b, "a100") == a100, dtype


def test_one_full_wave_on_a100_then_one_tile_more():
    # guide section 3.2: A100 has 108 SMs and runs one 256x128 tile per SM, so a wave is 108 tiles.
    # Hand derivation: M = 2304 = 9 tiles of 256, N = 1536 = 12 tiles of 128 -> 108 tiles, one full wave.
    q = quantization(2304, 1536, 256, 128, sms=108)
    assert (q.tiles, q.waves, q.tile_efficiency, q.wave_efficiency) == (108, 1, 1.0, 1.0)
    # One more column: N = 1537 needs 13 tile columns -> 117 tiles -> 2 waves, the second 9/108 full.
    q = quantization(2304, 1537, 256, 128, sms=108)
    assert (q.tiles, q.waves) == (117, 2)
    assert q.wave_efficiency == pytest.approx(117 / 216)
    assert q.tile_efficiency == pytest.approx(2304 * 1537 / (117 * 256 * 128))


def test_tile_quantization_by_hand():
    # 257 x 257 outputs in 128 x 128 tiles: 3 x 3 = 9 tiles for 257^2 useful outputs
    q = quantization(257, 257, 128, 128, sms=132)
    assert q.tiles == 9 and q.waves == 1
    assert q.tile_efficiency == pytest.approx(257 ** 2 / (9 * 128 ** 2))
    assert q.efficiency == pytest.approx(q.tile_efficiency * 9 / 132)


def test_gemm_flops_and_bytes_by_hand():
    assert gemm_flops(2, 3, 4) == 48
    assert gemm_bytes(2, 3, 4, 2) == (8 + 12 + 6) * 2
    assert Gemm("x", 2, 3, 4, batch=5).flops == 240
    assert pad_to_multiple(50257, 64) == 50304  # GPT-2's vocabulary padded as in nanoGPT
    assert pad_to_multiple(128, 64) == 128


@pytest.mark.parametrize("call", [
    lambda: gemm_flops(0, 1, 1), lambda: quantization(1, 1, 0, 1, 1), lambda: alignment_multiple(3),
    lambda: alignment_multiple(2, "h100x"), lambda: pad_to_multiple(10, -1), lambda: gemm_flops(1.5, 1, 1),
    lambda: layer_gemms(get_preset("llama-3-8b"), 1, 128, tp=3),
    lambda: layer_gemms(get_preset("llama-3-8b"), 0, 128),
])
def test_bad_input_raises_cookbook_error(call):
    with pytest.raises(CookbookError):
        call()


def test_moe_layers_are_refused():
    m = ModelConfig(vocab_size=100, hidden_size=64, num_layers=2, num_heads=4,
                    moe=MoEConfig(num_experts=4, top_k=2, expert_ffn_size=32))
    with pytest.raises(CookbookError, match="MoE"):
        layer_gemms(m, 1, 8)


def test_tensor_parallel_splits_flops_evenly():
    m = get_preset("llama-3-8b")
    one = sum(g.flops for g in layer_gemms(m, 2, 512))
    for tp in (2, 4, 8):
        assert sum(g.flops for g in layer_gemms(m, 2, 512, tp)) * tp == one
    assert logits_gemm(m, 2, 512, tp=8).flops * 8 == logits_gemm(m, 2, 512).flops


@pytest.mark.torch
@pytest.mark.parametrize("kv", [2, 8])
def test_layer_gemms_match_pytorch_flop_counter(kv):
    """Independent truth: torch's FlopCounterMode on the real Hugging Face Llama forward (eager attention)."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from torch.utils.flop_counter import FlopCounterMode

    cfg = transformers.LlamaConfig(vocab_size=1000, hidden_size=256, intermediate_size=688, num_hidden_layers=2,
                                   num_attention_heads=8, num_key_value_heads=kv, max_position_embeddings=256,
                                   tie_word_embeddings=False)
    cfg._attn_implementation = "eager"
    b, s = 2, 64
    with torch.device("meta"):
        model = transformers.LlamaForCausalLM(cfg)
    m = ModelConfig(vocab_size=1000, hidden_size=256, num_layers=2, num_heads=8, num_kv_heads=kv, ffn_size=688,
                    gated_mlp=True)
    ids = torch.zeros((b, s), dtype=torch.long, device="meta")
    with FlopCounterMode(display=False) as fc:
        model(ids)
    ours = m.num_layers * sum(g.flops for g in layer_gemms(m, b, s)) + logits_gemm(m, b, s).flops
    assert fc.get_total_flops() == ours


# ---- roofline ------------------------------------------------------------------------------------------------
def test_ridge_point_matches_nvidia_v100_ops_per_byte():
    # guide, section 2.1: V100 at 125 fp16 Tensor Core TFLOP/s and 900 GB/s has an ops:byte ratio of 138.9
    from cookbook.roofline import ridge_point
    assert ridge_point(125e12, 900e9) == pytest.approx(138.9, abs=0.05)


def test_guide_example_is_memory_bound_on_v100():
    # guide, section 2.1: the 8192 x 128 x 8192 fp16 GEMM (124.1 FLOPs/byte) is memory-limited on V100
    from cookbook.roofline import bound, roofline_time
    g = Gemm("guide", 8192, 128, 8192)
    assert bound(g.flops, g.bytes(2), 125e12, 900e9) == "memory"
    assert roofline_time(g.flops, g.bytes(2), 125e12, 900e9) == pytest.approx(g.bytes(2) / 900e9)
    sq = Gemm("square", 8192, 8192, 8192)
    assert bound(sq.flops, sq.bytes(2), 125e12, 900e9) == "compute"


def test_attainable_is_the_lower_of_the_two_roofs():
    from cookbook.roofline import attainable
    assert attainable(1.0, 1e15, 3e12) == 3e12
    assert attainable(1e6, 1e15, 3e12) == 1e15


@pytest.mark.parametrize("call", [
    lambda: __import__("cookbook.roofline").roofline.ridge_point(0, 1),
    lambda: __import__("cookbook.roofline").roofline.roofline_time(-1, 1, 1, 1),
    lambda: __import__("cookbook.roofline").roofline.attainable(float("nan"), 1, 1),
])
def test_roofline_bad_input_raises(call):
    with pytest.raises(CookbookError):
        call()


@pytest.mark.parametrize("preset", ["llama-3-8b", "llama-2-7b", "gpt2"])
def test_layer_gemms_agree_with_flops_module(preset):
    from cookbook.flops import forward_flops
    m = get_preset(preset)
    ours = m.num_layers * sum(g.flops for g in layer_gemms(m, 2, 256)) + logits_gemm(m, 2, 256).flops
    assert ours == forward_flops(m, 2, 256, attention="full").total
