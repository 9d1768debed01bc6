"""Named real models as data: each preset is a Hugging Face-style config dict plus its source.

The table lives in ``cookbook.presets_data``. Presets go through the same import path as a pasted config.json
(cookbook.hf), so there is one path to a model. Lookup is by exact name; an unknown name fails with the list of
known ones.
"""

from __future__ import annotations

from cookbook.errors import CookbookError
from cookbook.hf import from_hf_config
from cookbook.model import ModelConfig
from cookbook.presets_data import PRESETS

__all__ = ["PRESETS", "get_preset", "preset_names", "preset_source"]


def preset_names() -> tuple:
    return tuple(PRESETS)


def _entry(name: str) -> dict:
    if name not in PRESETS:
        raise CookbookError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
    return PRESETS[name]


def preset_source(name: str) -> str:
    """Where the preset's hyperparameters come from (config.json, paper table)."""
    return _entry(name)["source"]


def get_preset(name: str) -> ModelConfig:
    return from_hf_config(dict(_entry(name)["config"]), name=name)
