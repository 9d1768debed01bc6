"""Named real models as data: each preset is a Hugging Face-style config dict plus its source.

Presets go through the same import path as a pasted config.json (cookbook.hf), so there is one path to a model.
Lookup is by exact name; an unknown name fails with the list of known ones.
"""

from __future__ import annotations

from cookbook.errors import CookbookError
from cookbook.hf import from_hf_config
from cookbook.model import ModelConfig

__all__ = ["PRESETS", "get_preset", "preset_names"]


def _llama(v, d, f, l, h, k, pos, tie=False, **kw):
    return dict(model_type="llama", vocab_size=v, hidden_size=d, intermediate_size=f, num_hidden_layers=l,
                num_attention_heads=h, num_key_value_heads=k, max_position_embeddings=pos,
                tie_word_embeddings=tie, **kw)


PRESETS: dict[str, dict] = {
    "gpt2": {"config": dict(model_type="gpt2", vocab_size=50257, n_embd=768, n_layer=12, n_head=12, n_positions=1024),
             "source": "openai-community/gpt2 config.json"},
    "llama-2-7b": {"config": _llama(32000, 4096, 11008, 32, 32, 32, 4096),
                   "source": "meta-llama/Llama-2-7b-hf config.json; Touvron et al. 2023, Table 1"},
    "llama-3-8b": {"config": _llama(128256, 4096, 14336, 32, 32, 8, 8192),
                   "source": "meta-llama/Meta-Llama-3-8B config.json"},
}


def preset_names() -> tuple:
    return tuple(PRESETS)


def get_preset(name: str) -> ModelConfig:
    if name not in PRESETS:
        raise CookbookError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
    return from_hf_config(dict(PRESETS[name]["config"]), name=name)
