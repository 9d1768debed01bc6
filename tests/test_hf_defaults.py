"""The defaults cookbook.hf applies to absent keys equal the ones transformers' configuration classes apply.

For each model_type: a config.json with only model_type and the required shape keys (vocabulary, hidden size,
layers, heads). Our ModelConfig from it must agree with ``AutoConfig.for_model`` + the real CausalLM class built
from the same dict: parameter count, K, tied embeddings, position-table length and per-layer windows.
"""

from __future__ import annotations

import pytest

pytest.importorskip("torch", reason="torch is a test dependency (requirements/test.txt)")

from hf_truth import causal_lm, numel, windows  # noqa: E402

from cookbook.hf import SUPPORTED_MODEL_TYPES, from_hf_config  # noqa: E402
from cookbook.params import count_params  # noqa: E402

pytestmark = pytest.mark.torch

# vocabulary above every default special-token id (Phi-3 pads with 32000); 32 heads divide every default K
_SHAPE = dict(vocab_size=32768, hidden_size=256, num_hidden_layers=6, num_attention_heads=32)
_GPT = dict(vocab_size=32768, n_embd=256, n_layer=6, n_head=32)
SHAPES = {"gpt2": _GPT, "gpt_bigcode": _GPT, "gptj": _GPT,
          "bloom": dict(vocab_size=32768, hidden_size=256, n_layer=6, n_head=32)}


def minimal(mt: str) -> dict:
    return dict(SHAPES.get(mt, _SHAPE), model_type=mt)


@pytest.mark.parametrize("model_type", SUPPORTED_MODEL_TYPES)
def test_defaults_match_transformers(model_type):
    raw = minimal(model_type)
    cfg, model = causal_lm(dict(raw))
    m = from_hf_config(dict(raw))
    assert count_params(m).total == numel(model)
    assert m.tie_embeddings == cfg.tie_word_embeddings
    positions = getattr(cfg, "max_position_embeddings", None) or getattr(cfg, "n_positions", None)
    if positions is not None:  # BLOOM (ALiBi) has no position-table length
        assert m.max_position_embeddings == positions
    if m.mla is None and getattr(cfg, "num_key_value_heads", None) is not None:
        assert m.kv_heads == cfg.num_key_value_heads
    assert [m.attention_window(i) for i in range(m.num_layers)] == windows(cfg, m.num_layers)


@pytest.mark.parametrize("model_type", SUPPORTED_MODEL_TYPES)
def test_default_use_sliding_window_on_keeps_the_type_s_window_default(model_type):
    """Switching windows on without giving a size uses the type's default size (Qwen: 4096)."""
    raw = dict(minimal(model_type), use_sliding_window=True, max_window_layers=2)
    cfg, _ = causal_lm(dict(raw))
    m = from_hf_config(dict(raw))
    assert [m.attention_window(i) for i in range(m.num_layers)] == windows(cfg, m.num_layers)
