"""Real published configs of every supported model_type against the real transformers classes.

Truth: ``sum(p.numel() for p in AutoModelForCausalLM.from_config(cfg).parameters())`` on the meta device
(tied weights once, buffers excluded). Each config in tests/configs/ carries the architecture keys of the named
model's published config.json. Checked: ``total`` (library and CLI), ``non_embedding`` (from parameter names) and,
for MoE models, ``active`` from the module tree (see hf_truth.active_from_modules).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytest.importorskip("torch", reason="torch is a test dependency (requirements/test.txt)")

from conftest import CONFIGS, ROOT, load_config  # noqa: E402
from hf_truth import active_from_modules, causal_lm, moe_layer_count, numel  # noqa: E402

from cookbook.cli import main  # noqa: E402
from cookbook.hf import SUPPORTED_MODEL_TYPES, from_hf_config  # noqa: E402
from cookbook.params import count_params  # noqa: E402

pytestmark = pytest.mark.torch

# config file -> what it covers (the model_type's real model, or the variant it exercises)
REAL = {
    "gpt2": "gpt2, tied embeddings, learned positions",
    "gpt2-xl": "gpt2 1.5B",
    "starcoder": "gpt_bigcode, multi-query attention",
    "gpt-neox-20b": "gpt_neox, parallel residual, untied",
    "pythia-70m": "gpt_neox small",
    "gpt-j-6b": "gptj, lm_head bias",
    "opt-125m": "opt, offset learned positions",
    "opt-350m": "opt, word_embed_proj_dim 512 (project_in/out), do_layer_norm_before false",
    "bloom-560m": "bloom, ALiBi, embedding LayerNorm",
    "bloom-176b": "bloom 176B (n_embed alias)",
    "falcon-7b": "falcon old decoder: multi-query, one LayerNorm",
    "falcon-40b": "falcon new decoder architecture: GQA 8, two LayerNorms",
    "llama-3-8b": "llama, GQA, untied",
    "llama-3.2-1b": "llama, tied, explicit head_dim",
    "granite-3.0-8b": "granite, tied",
    "mistral-7b-v0.1": "mistral, sliding window 4096",
    "mixtral-8x7b": "mixtral, 8 experts top-2",
    "qwen2.5-7b": "qwen2, qkv bias, untied",
    "qwen2-0.5b-sliding": "qwen2 with use_sliding_window, tied",
    "qwen1.5-moe-a2.7b": "qwen2_moe, shared expert with gate",
    "qwen2-57b-a14b-sparse-step": "qwen2_moe, decoder_sparse_step 2 and mlp_only_layers",
    "qwen3-8b": "qwen3, head QK-norm",
    "qwen3-30b-a3b": "qwen3_moe, 128 experts top-8",
    "gemma-7b": "gemma, head_dim 256, tied",
    "gemma-2-9b": "gemma2, sandwich norms, alternating windows",
    "gemma-3-1b": "gemma3_text, QK-norm, 5:1 sliding pattern",
    "phi-2": "phi, parallel block, biases",
    "phi-2-qk-layernorm": "phi with qk_layernorm",
    "phi-3-mini-4k": "phi3, fused qkv, window 2047",
    "olmo-7b": "olmo, non-parametric LayerNorm",
    "olmo-2-7b": "olmo2, full QK-norm",
    "stablelm-2-1.6b": "stablelm, qkv bias",
    "stablelm-2-12b": "stablelm with qk_layernorm (per head) and parallel residual",
    "starcoder2-3b": "starcoder2, biases, non-gated MLP",
    "command-r-v01": "cohere, parallel block",
    "command-r-plus": "cohere with use_qk_norm, GQA",
    "deepseek-v3": "deepseek_v3 full size: MLA, 256 experts + shared, 3 dense layers",
    "gpt-oss-20b": "gpt_oss, attention sinks, expert biases",
}
MOE = ("mixtral-8x7b", "qwen1.5-moe-a2.7b", "qwen2-57b-a14b-sparse-step", "qwen3-30b-a3b", "deepseek-v3",
       "gpt-oss-20b")
_EMBEDDING_WEIGHTS = ("embed_tokens.weight", "wte.weight", "wpe.weight", "word_embeddings.weight",
                      "embed_positions.weight", "embed_in.weight", "lm_head.weight", "embed_out.weight")


def test_every_supported_model_type_has_a_real_config():
    types = {load_config(name)["model_type"] for name in REAL}
    assert sorted(types) == sorted(SUPPORTED_MODEL_TYPES)
    assert sorted(p.stem for p in CONFIGS.glob("*.json")) == sorted([*REAL, "gemma-3-27b-wrapper"])


@pytest.fixture(scope="module")
def truths():
    """config name -> (transformers config, meta model); built once per module."""
    return {}


def _truth(truths, name):
    if name not in truths:
        truths[name] = causal_lm(load_config(name))
    return truths[name]


@pytest.mark.parametrize("name", sorted(REAL))
def test_total_and_non_embedding_match_transformers(name, truths):
    cfg, model = _truth(truths, name)
    counted = count_params(from_hf_config(load_config(name)))
    assert counted.total == numel(model)
    embedding = sum(p.numel() for n, p in model.named_parameters() if n.endswith(_EMBEDDING_WEIGHTS))
    assert counted.non_embedding == numel(model) - embedding


@pytest.mark.parametrize("name", MOE)
def test_moe_active_matches_module_tree(name, truths):
    cfg, model = _truth(truths, name)
    m = from_hf_config(load_config(name))
    assert moe_layer_count(model) == sum(m.is_moe_layer(i) for i in range(m.num_layers))
    assert count_params(m).active == active_from_modules(model, cfg.num_experts_per_tok)


@pytest.mark.parametrize("name", sorted(REAL))
def test_cli_subprocess_total(name, truths):
    _, model = _truth(truths, name)
    out = subprocess.run([sys.executable, "-m", "cookbook", "params", "--hf-config", str(CONFIGS / f"{name}.json"),
                          "--json"], capture_output=True, text=True, cwd=ROOT, check=True)
    result = json.loads(out.stdout)
    assert result["total"] == numel(model)
    assert sum(result["breakdown"].values()) == result["total"]


def test_cli_main_total_and_active(capsys, truths):
    cfg, model = _truth(truths, "mixtral-8x7b")
    assert main(["params", "--hf-config", str(CONFIGS / "mixtral-8x7b.json"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["total"], result["active"]) == (numel(model), active_from_modules(model, 2))


def test_gemma3_multimodal_wrapper_counts_the_language_model():
    """Gemma3ForConditionalGeneration: our count is its language model + lm_head (vision tower excluded)."""
    raw = load_config("gemma-3-27b-wrapper")
    _, model = causal_lm(raw)
    text = sum(p.numel() for n, p in model.named_parameters() if n.startswith(("model.language_model.", "lm_head.")))
    assert 0 < text < numel(model)
    assert count_params(from_hf_config(raw)).total == text
    assert count_params(from_hf_config(raw["text_config"])).total == text
