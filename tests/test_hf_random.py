"""Randomised configs of every model_type against the real transformers classes (meta device).

For each model_type, small configs with the keys that change parameter counts or attention windows drawn from
tests/hf_knobs.py (values, omitted keys and explicit nulls). Truth: ``AutoModelForCausalLM.from_config`` parameter
count and the per-layer windows the transformers config applies. A config transformers accepts but that cannot run
(H not divisible by K, top_k > E) must be rejected by us with a CookbookError instead.
"""

from __future__ import annotations

import json
import random

import pytest

pytest.importorskip("torch", reason="torch is a test dependency (requirements/test.txt)")

from hf_knobs import KNOBS, random_config  # noqa: E402
from hf_truth import causal_lm, numel, windows  # noqa: E402

from cookbook.errors import CookbookError  # noqa: E402
from cookbook.hf import SUPPORTED_MODEL_TYPES, from_hf_config  # noqa: E402
from cookbook.params import count_params  # noqa: E402

SEEDS = range(10)
pytestmark = pytest.mark.torch


def test_knob_table_covers_every_model_type():
    assert sorted(KNOBS) == sorted(SUPPORTED_MODEL_TYPES)


def _invalid(cfg) -> str | None:
    """Why transformers' config cannot run (it builds such models anyway), or None."""
    h, k = cfg.num_attention_heads, getattr(cfg, "num_key_value_heads", None)
    if k and h % k and cfg.model_type != "deepseek_v3":  # MLA has no separate key/value heads
        return "heads"
    top_k = getattr(cfg, "num_experts_per_tok", None)
    experts = next((getattr(cfg, a) for a in ("num_local_experts", "num_experts", "n_routed_experts")
                    if getattr(cfg, a, None)), None)
    if top_k and experts and top_k > experts:
        return "top_k"
    return None


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("model_type", SUPPORTED_MODEL_TYPES)
def test_random_config_matches_transformers(model_type, seed):
    config = random_config(model_type, random.Random(f"{model_type}-{seed}"))
    try:
        cfg, model = causal_lm(dict(config))
    except Exception as e:  # transformers itself refuses this combination: nothing to compare
        pytest.skip(f"transformers cannot build {config}: {type(e).__name__}")
    raw = json.loads(json.dumps(config))  # what a config.json file holds
    why = _invalid(cfg)
    if why:
        with pytest.raises(CookbookError):
            from_hf_config(raw)
        return
    m = from_hf_config(raw)
    assert count_params(m).total == numel(model), config
    assert [m.attention_window(i) for i in range(m.num_layers)] == windows(cfg, m.num_layers), config


_TINY = dict(vocab_size=211, hidden_size=64, num_hidden_layers=4, num_attention_heads=4, intermediate_size=88,
             num_key_value_heads=2)
# configs that once disagreed with transformers (found by the random test above), kept as fixed regressions
REGRESSIONS = {
    "qwen2_moe every layer dense": dict(_TINY, model_type="qwen2_moe", decoder_sparse_step=2, mlp_only_layers=[1, 3]),
    "deepseek_v3 every layer dense": dict(_TINY, model_type="deepseek_v3", first_k_dense_replace=4,
                                          n_routed_experts=4, num_experts_per_tok=2, n_group=1, topk_group=1),
    "deepseek_v3 q_lora_rank null": dict(_TINY, model_type="deepseek_v3", q_lora_rank=None, n_routed_experts=4,
                                         num_experts_per_tok=2, n_group=1, topk_group=1),
    "mistral sliding_window null": dict(_TINY, model_type="mistral", sliding_window=None),
    "mistral K default 8": {k: v for k, v in dict(_TINY, model_type="mistral", num_attention_heads=8).items()
                            if k != "num_key_value_heads"},
    "qwen2 head_dim": dict(_TINY, model_type="qwen2", head_dim=24),
    "olmo2 head_dim": dict(_TINY, model_type="olmo2", head_dim=24),
    "cohere head_dim": dict(_TINY, model_type="cohere", head_dim=8),
    "phi3 head_dim": dict(_TINY, model_type="phi3", head_dim=24, pad_token_id=None, eos_token_id=None),
    "starcoder2 head_dim": dict(_TINY, model_type="starcoder2", head_dim=24),
    "qwen2_moe windows": dict(_TINY, model_type="qwen2_moe", use_sliding_window=True, sliding_window=32,
                              max_window_layers=3),
    "qwen3_moe windows": dict(_TINY, model_type="qwen3_moe", use_sliding_window=True, sliding_window=32,
                              num_experts=4, num_experts_per_tok=2),
    "gemma2 ignores sliding_window_pattern": dict(_TINY, model_type="gemma2", sliding_window_pattern=3,
                                                  sliding_window=16),
}


@pytest.mark.parametrize("config", REGRESSIONS.values(), ids=REGRESSIONS.keys())
def test_regression_configs(config):
    cfg, model = causal_lm(dict(config))
    m = from_hf_config(json.loads(json.dumps(config)))
    assert count_params(m).total == numel(model)
    assert [m.attention_window(i) for i in range(m.num_layers)] == windows(cfg, m.num_layers)
