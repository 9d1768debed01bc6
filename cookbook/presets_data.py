"""The preset table: named real models as Hugging Face-style config dicts, each with its source.

Written from the published hyperparameters (config.json on the Hugging Face Hub, or the paper's table where no
config.json exists). Only keys that shape the model are kept. ``tests/test_presets.py`` checks each family against
published parameter counts. The helpers below only fill the keys one family shares; every number is visible here.
"""

from __future__ import annotations

__all__ = ["PRESETS"]

_HF = "https://huggingface.co/"


def _p(source: str, **config) -> dict:
    return {"config": config, "source": source}


def _gpt2(v, d, l, h, pos, **kw):
    return dict(model_type="gpt2", vocab_size=v, n_embd=d, n_layer=l, n_head=h, n_positions=pos, **kw)


def _neox(v, d, l, h, f, **kw):
    return dict(model_type="gpt_neox", vocab_size=v, hidden_size=d, num_hidden_layers=l, num_attention_heads=h,
                intermediate_size=f, max_position_embeddings=2048, rotary_pct=0.25, use_parallel_residual=True,
                tie_word_embeddings=False, **kw)


def _opt(d, l, h, f, proj=None, pre_norm=True):
    return dict(model_type="opt", vocab_size=50272, hidden_size=d, num_hidden_layers=l, num_attention_heads=h,
                ffn_dim=f, max_position_embeddings=2048, do_layer_norm_before=pre_norm,
                word_embed_proj_dim=proj or d)


def _bloom(d, l, h):
    return dict(model_type="bloom", vocab_size=250880, hidden_size=d, n_layer=l, n_head=h)


def _llama(v, d, f, l, h, k, pos, tie=False, **kw):
    return dict(model_type="llama", vocab_size=v, hidden_size=d, intermediate_size=f, num_hidden_layers=l,
                num_attention_heads=h, num_key_value_heads=k, max_position_embeddings=pos,
                tie_word_embeddings=tie, **kw)


def _qwen(mt, v, d, f, l, h, k, tie, pos, **kw):
    return dict(model_type=mt, vocab_size=v, hidden_size=d, intermediate_size=f, num_hidden_layers=l,
                num_attention_heads=h, num_key_value_heads=k, tie_word_embeddings=tie, max_position_embeddings=pos,
                use_sliding_window=False, **kw)


def _gemma(mt, d, f, l, h, k, hd, v=256000, **kw):
    return dict(model_type=mt, vocab_size=v, hidden_size=d, intermediate_size=f, num_hidden_layers=l,
                num_attention_heads=h, num_key_value_heads=k, head_dim=hd, tie_word_embeddings=True, **kw)


def _falcon(d, l, h, **kw):
    return dict(model_type="falcon", vocab_size=65024, hidden_size=d, num_hidden_layers=l, num_attention_heads=h,
                parallel_attn=True, bias=False, alibi=False, **kw)


_PYTHIA = "EleutherAI/pythia-{} config.json; Biderman et al. 2023 (Pythia), Table 1"
_GPT2 = "openai-community/{} config.json; Radford et al. 2019, Table 2"
_GPT3 = ("Brown et al. 2020 (GPT-3), Table 2.1: GPT-2 architecture, n_ctx 2048, vocab 50257 (GPT-2 BPE), tied "
         "embeddings. GPT-3's alternating dense / locally banded sparse attention is not modelled (it has no "
         "parameters)")
_OPT = "facebook/opt-{} config.json; Zhang et al. 2022 (OPT), Table 1"
_BLOOM = "bigscience/{} config.json and model card"
_QWEN25 = "Qwen/Qwen2.5-{} config.json; Qwen2.5 technical report (2024), Table 1"
_QWEN3 = "Qwen/Qwen3-{} config.json; Qwen3 technical report (2025), Tables 1-2"

PRESETS: dict[str, dict] = {
    # ---- EleutherAI -------------------------------------------------------------------------------------------
    "pythia-70m": _p(_PYTHIA.format("70m"), **_neox(50304, 512, 6, 8, 2048)),
    "pythia-160m": _p(_PYTHIA.format("160m"), **_neox(50304, 768, 12, 12, 3072)),
    "pythia-410m": _p(_PYTHIA.format("410m"), **_neox(50304, 1024, 24, 16, 4096)),
    "pythia-1b": _p(_PYTHIA.format("1b"), **_neox(50304, 2048, 16, 8, 8192)),
    "pythia-1.4b": _p(_PYTHIA.format("1.4b"), **_neox(50304, 2048, 24, 16, 8192)),
    "pythia-2.8b": _p(_PYTHIA.format("2.8b"), **_neox(50304, 2560, 32, 32, 10240)),
    "pythia-6.9b": _p(_PYTHIA.format("6.9b"), **_neox(50432, 4096, 32, 32, 16384)),
    "pythia-12b": _p(_PYTHIA.format("12b"), **_neox(50688, 5120, 36, 40, 20480)),
    "gpt-neox-20b": _p("EleutherAI/gpt-neox-20b config.json; Black et al. 2022 (GPT-NeoX-20B), Table 1",
                       **_neox(50432, 6144, 44, 64, 24576)),
    # ---- OpenAI GPT-2 / GPT-3 ---------------------------------------------------------------------------------
    "gpt2": _p(_GPT2.format("gpt2"), **_gpt2(50257, 768, 12, 12, 1024)),
    "gpt2-medium": _p(_GPT2.format("gpt2-medium"), **_gpt2(50257, 1024, 24, 16, 1024)),
    "gpt2-large": _p(_GPT2.format("gpt2-large"), **_gpt2(50257, 1280, 36, 20, 1024)),
    "gpt2-xl": _p(_GPT2.format("gpt2-xl"), **_gpt2(50257, 1600, 48, 25, 1024)),
    "gpt3-small": _p(_GPT3 + "; 125M", **_gpt2(50257, 768, 12, 12, 2048)),
    "gpt3-medium": _p(_GPT3 + "; 350M", **_gpt2(50257, 1024, 24, 16, 2048)),
    "gpt3-large": _p(_GPT3 + "; 760M", **_gpt2(50257, 1536, 24, 16, 2048)),
    "gpt3-xl": _p(_GPT3 + "; 1.3B. Table 2.1 lists 24 heads of 128, which does not multiply to d_model 2048; "
                  "we keep d_model 2048 (which gives the listed 1.3B) with 16 heads of 128",
                  **_gpt2(50257, 2048, 24, 16, 2048)),
    "gpt3-2.7b": _p(_GPT3 + "; 2.7B", **_gpt2(50257, 2560, 32, 32, 2048)),
    "gpt3-6.7b": _p(_GPT3 + "; 6.7B", **_gpt2(50257, 4096, 32, 32, 2048)),
    "gpt3-13b": _p(_GPT3 + "; 13B. Table 2.1 lists d_model 5140, which 40 heads of 128 do not make; we use "
                   "40 x 128 = 5120 (both round to 13B)", **_gpt2(50257, 5120, 40, 40, 2048)),
    "gpt3-175b": _p(_GPT3 + "; 175B", **_gpt2(50257, 12288, 96, 96, 2048)),
    # ---- Meta OPT ---------------------------------------------------------------------------------------------
    "opt-125m": _p(_OPT.format("125m"), **_opt(768, 12, 12, 3072)),
    "opt-350m": _p(_OPT.format("350m") + "; factorised 512-wide embedding, post-LayerNorm",
                   **_opt(1024, 24, 16, 4096, proj=512, pre_norm=False)),
    "opt-1.3b": _p(_OPT.format("1.3b"), **_opt(2048, 24, 32, 8192)),
    "opt-2.7b": _p(_OPT.format("2.7b"), **_opt(2560, 32, 32, 10240)),
    "opt-6.7b": _p(_OPT.format("6.7b"), **_opt(4096, 32, 32, 16384)),
    "opt-13b": _p(_OPT.format("13b"), **_opt(5120, 40, 40, 20480)),
    "opt-30b": _p(_OPT.format("30b"), **_opt(7168, 48, 56, 28672)),
    "opt-66b": _p(_OPT.format("66b"), **_opt(9216, 64, 72, 36864)),
    "opt-175b": _p("Zhang et al. 2022 (OPT), Table 1 (weights by request; no public config.json); same "
                   "architecture as the smaller OPT configs", **_opt(12288, 96, 96, 49152)),
    # ---- BigScience BLOOM -------------------------------------------------------------------------------------
    "bloom-560m": _p(_BLOOM.format("bloom-560m"), **_bloom(1024, 24, 16)),
    "bloom-1b1": _p(_BLOOM.format("bloom-1b1"), **_bloom(1536, 24, 16)),
    "bloom-1b7": _p(_BLOOM.format("bloom-1b7"), **_bloom(2048, 24, 16)),
    "bloom-3b": _p(_BLOOM.format("bloom-3b"), **_bloom(2560, 30, 32)),
    "bloom-7b1": _p(_BLOOM.format("bloom-7b1"), **_bloom(4096, 30, 32)),
    "bloom-176b": _p(_BLOOM.format("bloom") + "; Le Scao et al. 2022, Table 3", **_bloom(14336, 70, 112)),
    # ---- Meta Llama -------------------------------------------------------------------------------------------
    "llama-2-7b": _p("meta-llama/Llama-2-7b-hf config.json; Touvron et al. 2023, Table 1",
                     **_llama(32000, 4096, 11008, 32, 32, 32, 4096)),
    "llama-2-13b": _p("meta-llama/Llama-2-13b-hf config.json; Touvron et al. 2023, Table 1",
                      **_llama(32000, 5120, 13824, 40, 40, 40, 4096)),
    "llama-2-70b": _p("meta-llama/Llama-2-70b-hf config.json; Touvron et al. 2023, Table 1 (GQA)",
                      **_llama(32000, 8192, 28672, 80, 64, 8, 4096)),
    "llama-3-8b": _p("meta-llama/Meta-Llama-3-8B config.json",
                     **_llama(128256, 4096, 14336, 32, 32, 8, 8192, rope_theta=500000.0)),
    "llama-3-70b": _p("meta-llama/Meta-Llama-3-70B config.json",
                      **_llama(128256, 8192, 28672, 80, 64, 8, 8192, rope_theta=500000.0)),
    "llama-3.1-8b": _p("meta-llama/Llama-3.1-8B config.json; Llama 3 Herd paper (Dubey et al. 2024), Table 3",
                       **_llama(128256, 4096, 14336, 32, 32, 8, 131072, rope_theta=500000.0)),
    "llama-3.1-70b": _p("meta-llama/Llama-3.1-70B config.json; Dubey et al. 2024, Table 3",
                        **_llama(128256, 8192, 28672, 80, 64, 8, 131072, rope_theta=500000.0)),
    "llama-3.1-405b": _p("meta-llama/Llama-3.1-405B config.json; Dubey et al. 2024, Table 3",
                         **_llama(128256, 16384, 53248, 126, 128, 8, 131072, rope_theta=500000.0)),
    "llama-3.2-1b": _p("meta-llama/Llama-3.2-1B config.json (tied embeddings)",
                       **_llama(128256, 2048, 8192, 16, 32, 8, 131072, tie=True, head_dim=64)),
    "llama-3.2-3b": _p("meta-llama/Llama-3.2-3B config.json (tied embeddings)",
                       **_llama(128256, 3072, 8192, 28, 24, 8, 131072, tie=True, head_dim=128)),
    # ---- Mistral AI -------------------------------------------------------------------------------------------
    "mistral-7b-v0.1": _p("mistralai/Mistral-7B-v0.1 config.json; Jiang et al. 2023, Table 1 (window 4096)",
                          model_type="mistral", vocab_size=32000, hidden_size=4096, intermediate_size=14336,
                          num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8,
                          max_position_embeddings=32768, sliding_window=4096),
    "mistral-7b-v0.3": _p("mistralai/Mistral-7B-v0.3 config.json (vocabulary 32768, no sliding window)",
                          model_type="mistral", vocab_size=32768, hidden_size=4096, intermediate_size=14336,
                          num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8,
                          max_position_embeddings=32768, sliding_window=None),
    "mixtral-8x7b": _p("mistralai/Mixtral-8x7B-v0.1 config.json; Jiang et al. 2024 (Mixtral), Table 1",
                       model_type="mixtral", vocab_size=32000, hidden_size=4096, intermediate_size=14336,
                       num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8,
                       max_position_embeddings=32768, num_local_experts=8, num_experts_per_tok=2,
                       sliding_window=None),
    "mixtral-8x22b": _p("mistralai/Mixtral-8x22B-v0.1 config.json; Mistral AI announcement (141B total, 39B "
                        "active)", model_type="mixtral", vocab_size=32768, hidden_size=6144,
                        intermediate_size=16384, num_hidden_layers=56, num_attention_heads=48, num_key_value_heads=8,
                        max_position_embeddings=65536, num_local_experts=8, num_experts_per_tok=2,
                        sliding_window=None),
    # ---- Qwen -------------------------------------------------------------------------------------------------
    "qwen2.5-0.5b": _p(_QWEN25.format("0.5B"), **_qwen("qwen2", 151936, 896, 4864, 24, 14, 2, True, 32768)),
    "qwen2.5-1.5b": _p(_QWEN25.format("1.5B"), **_qwen("qwen2", 151936, 1536, 8960, 28, 12, 2, True, 131072)),
    "qwen2.5-3b": _p(_QWEN25.format("3B"), **_qwen("qwen2", 151936, 2048, 11008, 36, 16, 2, True, 32768)),
    "qwen2.5-7b": _p(_QWEN25.format("7B"), **_qwen("qwen2", 152064, 3584, 18944, 28, 28, 4, False, 131072)),
    "qwen2.5-14b": _p(_QWEN25.format("14B"), **_qwen("qwen2", 152064, 5120, 13824, 48, 40, 8, False, 131072)),
    "qwen2.5-32b": _p(_QWEN25.format("32B"), **_qwen("qwen2", 152064, 5120, 27648, 64, 40, 8, False, 131072)),
    "qwen2.5-72b": _p(_QWEN25.format("72B"), **_qwen("qwen2", 152064, 8192, 29568, 80, 64, 8, False, 131072)),
    "qwen3-0.6b": _p(_QWEN3.format("0.6B"), **_qwen("qwen3", 151936, 1024, 3072, 28, 16, 8, True, 40960,
                                                     head_dim=128)),
    "qwen3-1.7b": _p(_QWEN3.format("1.7B"), **_qwen("qwen3", 151936, 2048, 6144, 28, 16, 8, True, 40960,
                                                     head_dim=128)),
    "qwen3-4b": _p(_QWEN3.format("4B"), **_qwen("qwen3", 151936, 2560, 9728, 36, 32, 8, True, 40960, head_dim=128)),
    "qwen3-8b": _p(_QWEN3.format("8B"), **_qwen("qwen3", 151936, 4096, 12288, 36, 32, 8, False, 40960,
                                                 head_dim=128)),
    "qwen3-14b": _p(_QWEN3.format("14B"), **_qwen("qwen3", 151936, 5120, 17408, 40, 40, 8, False, 40960,
                                                   head_dim=128)),
    "qwen3-32b": _p(_QWEN3.format("32B"), **_qwen("qwen3", 151936, 5120, 25600, 64, 64, 8, False, 40960,
                                                   head_dim=128)),
    "qwen3-30b-a3b": _p(_QWEN3.format("30B-A3B") + " (30.5B total, 3.3B active)",
                        **_qwen("qwen3_moe", 151936, 2048, 6144, 48, 32, 4, False, 40960, head_dim=128,
                                num_experts=128, num_experts_per_tok=8, moe_intermediate_size=768,
                                decoder_sparse_step=1, mlp_only_layers=[])),
    "qwen3-235b-a22b": _p(_QWEN3.format("235B-A22B") + " (235B total, 22B active)",
                          **_qwen("qwen3_moe", 151936, 4096, 12288, 94, 64, 4, False, 40960, head_dim=128,
                                  num_experts=128, num_experts_per_tok=8, moe_intermediate_size=1536,
                                  decoder_sparse_step=1, mlp_only_layers=[])),
    # ---- Google Gemma -----------------------------------------------------------------------------------------
    "gemma-2b": _p("google/gemma-2b config.json; Gemma Team 2024, Tables 1-2",
                   **_gemma("gemma", 2048, 16384, 18, 8, 1, 256, max_position_embeddings=8192)),
    "gemma-7b": _p("google/gemma-7b config.json; Gemma Team 2024, Tables 1-2",
                   **_gemma("gemma", 3072, 24576, 28, 16, 16, 256, max_position_embeddings=8192)),
    "gemma-2-2b": _p("google/gemma-2-2b config.json; Gemma 2 report (2024), Tables 1-2",
                     **_gemma("gemma2", 2304, 9216, 26, 8, 4, 256, sliding_window=4096,
                              max_position_embeddings=8192)),
    "gemma-2-9b": _p("google/gemma-2-9b config.json; Gemma 2 report (2024), Tables 1-2",
                     **_gemma("gemma2", 3584, 14336, 42, 16, 8, 256, sliding_window=4096,
                              max_position_embeddings=8192)),
    "gemma-2-27b": _p("google/gemma-2-27b config.json; Gemma 2 report (2024), Tables 1-2",
                      **_gemma("gemma2", 4608, 36864, 46, 32, 16, 128, sliding_window=4096,
                               max_position_embeddings=8192)),
    "gemma-3-1b": _p("google/gemma-3-1b-pt config.json; Gemma 3 report (2025), Table 1",
                     **_gemma("gemma3_text", 1152, 6912, 26, 4, 1, 256, v=262144, sliding_window=512,
                              max_position_embeddings=32768)),
    "gemma-3-4b": _p("google/gemma-3-4b-pt config.json text_config (language model only; the 417M SigLIP "
                     "vision encoder is not counted); Gemma 3 report (2025), Table 1",
                     **_gemma("gemma3_text", 2560, 10240, 34, 8, 4, 256, v=262208, sliding_window=1024,
                              max_position_embeddings=131072)),
    "gemma-3-12b": _p("google/gemma-3-12b-pt config.json text_config (language model only); Gemma 3 report "
                      "(2025), Table 1", **_gemma("gemma3_text", 3840, 15360, 48, 16, 8, 256, v=262208,
                                                  sliding_window=1024, max_position_embeddings=131072)),
    "gemma-3-27b": _p("google/gemma-3-27b-pt config.json text_config (language model only); Gemma 3 report "
                      "(2025), Table 1", **_gemma("gemma3_text", 5376, 21504, 62, 32, 16, 128, v=262208,
                                                  sliding_window=1024, max_position_embeddings=131072)),
    # ---- Microsoft Phi-3 --------------------------------------------------------------------------------------
    "phi-3-mini": _p("microsoft/Phi-3-mini-4k-instruct config.json; Abdin et al. 2024 (Phi-3), section 2",
                     model_type="phi3", vocab_size=32064, hidden_size=3072, intermediate_size=8192,
                     num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=32,
                     max_position_embeddings=4096, sliding_window=2047, tie_word_embeddings=False),
    "phi-3-medium": _p("microsoft/Phi-3-medium-4k-instruct config.json; Abdin et al. 2024 (Phi-3), section 2",
                       model_type="phi3", vocab_size=32064, hidden_size=5120, intermediate_size=17920,
                       num_hidden_layers=40, num_attention_heads=40, num_key_value_heads=10,
                       max_position_embeddings=4096, sliding_window=2047, tie_word_embeddings=False),
    # ---- TII Falcon -------------------------------------------------------------------------------------------
    "falcon-7b": _p("tiiuae/falcon-7b config.json (multi-query, one LayerNorm per block)",
                    **_falcon(4544, 32, 71, multi_query=True, new_decoder_architecture=False)),
    "falcon-40b": _p("tiiuae/falcon-40b config.json (new decoder architecture, 8 KV groups)",
                     **_falcon(8192, 60, 128, num_kv_heads=8, new_decoder_architecture=True)),
    "falcon-180b": _p("tiiuae/falcon-180B config.json; Almazrouei et al. 2023, Table 1",
                      **_falcon(14848, 80, 232, num_kv_heads=8, new_decoder_architecture=True)),
    # ---- DeepSeek ---------------------------------------------------------------------------------------------
    "deepseek-v3": _p("deepseek-ai/DeepSeek-V3 config.json; DeepSeek-AI 2024 (DeepSeek-V3), section 4.2 (671B "
                      "total, 37B active). The multi-token-prediction module (num_nextn_predict_layers, +14B in "
                      "the checkpoint) is not part of transformers' DeepseekV3ForCausalLM and is not counted",
                      model_type="deepseek_v3", vocab_size=129280, hidden_size=7168, intermediate_size=18432,
                      moe_intermediate_size=2048, num_hidden_layers=61, num_attention_heads=128,
                      num_key_value_heads=128, n_shared_experts=1, n_routed_experts=256, num_experts_per_tok=8,
                      first_k_dense_replace=3, kv_lora_rank=512, q_lora_rank=1536, qk_rope_head_dim=64,
                      v_head_dim=128, qk_nope_head_dim=128, max_position_embeddings=163840,
                      tie_word_embeddings=False),
    # ---- OpenAI gpt-oss ---------------------------------------------------------------------------------------
    "gpt-oss-20b": _p("openai/gpt-oss-20b config.json; OpenAI gpt-oss model card (2025), Table 1 (20.91B total, "
                      "3.61B active)", model_type="gpt_oss", vocab_size=201088, hidden_size=2880,
                      intermediate_size=2880, num_hidden_layers=24, num_attention_heads=64, num_key_value_heads=8,
                      head_dim=64, num_local_experts=32, num_experts_per_tok=4, sliding_window=128,
                      max_position_embeddings=131072, tie_word_embeddings=False),
    "gpt-oss-120b": _p("openai/gpt-oss-120b config.json; OpenAI gpt-oss model card (2025), Table 1 (116.83B "
                       "total, 5.13B active)", model_type="gpt_oss", vocab_size=201088, hidden_size=2880,
                       intermediate_size=2880, num_hidden_layers=36, num_attention_heads=64, num_key_value_heads=8,
                       head_dim=64, num_local_experts=128, num_experts_per_tok=4, sliding_window=128,
                       max_position_embeddings=131072, tie_word_embeddings=False),
    # ---- AI2 OLMo 2 -------------------------------------------------------------------------------------------
    "olmo-2-7b": _p("allenai/OLMo-2-1124-7B config.json; OLMo 2 report (2024), Table 1",
                    model_type="olmo2", vocab_size=100352, hidden_size=4096, intermediate_size=11008,
                    num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=32,
                    max_position_embeddings=4096, tie_word_embeddings=False),
    "olmo-2-13b": _p("allenai/OLMo-2-1124-13B config.json; OLMo 2 report (2024), Table 1",
                     model_type="olmo2", vocab_size=100352, hidden_size=5120, intermediate_size=13824,
                     num_hidden_layers=40, num_attention_heads=40, num_key_value_heads=40,
                     max_position_embeddings=4096, tie_word_embeddings=False),
}
