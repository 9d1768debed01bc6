"""The independent truth for parameter counts: the real transformers model classes on the meta device.

Test-only (imports torch + transformers). ``causal_lm(config_dict)`` builds ``AutoModelForCausalLM`` (not
AutoModel: that drops lm_head) on the meta device, so no memory is allocated even for 671B-parameter models.
"""

from __future__ import annotations

import warnings

import torch
import transformers
from transformers import AutoConfig, AutoModelForCausalLM

transformers.logging.set_verbosity_error()

_META_KEYS = ("_name_or_path", "architectures")


def hf_config(config: dict):
    d = {k: v for k, v in config.items() if k not in _META_KEYS}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return AutoConfig.for_model(**d)


def causal_lm(config: dict):
    """(transformers config object, model on the meta device) for a config.json dict."""
    cfg = hf_config(config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.device("meta"):
            model = AutoModelForCausalLM.from_config(cfg)
    return cfg, model


def numel(model) -> int:
    """Parameters, tied weights counted once (named_parameters de-duplicates); buffers excluded."""
    return sum(p.numel() for p in model.parameters())


def windows(cfg, num_layers: int) -> list:
    """Per-layer sliding window the transformers config applies (None: full attention)."""
    window = getattr(cfg, "sliding_window", None) or None
    types = getattr(cfg, "layer_types", None)
    if types:
        return [window if t == "sliding_attention" else None for t in types]
    return [window] * num_layers


# module-name markers of routed experts in the real model trees (fused 3-D expert tensors in transformers 5)
_EXPERT_MARKERS = (".mlp.experts.", ".block_sparse_moe.experts.")


def active_from_modules(model, top_k: int) -> int:
    """Parameters one token runs through, from the module tree: every parameter, minus in each MoE layer the
    routed experts it is not sent to ((E - k) / E of that layer's expert tensors; E = leading dimension)."""
    total = numel(model)
    per_layer: dict[str, list] = {}
    for name, p in model.named_parameters():
        for marker in _EXPERT_MARKERS:
            if marker in name:
                per_layer.setdefault(name.split(marker)[0], []).append(p)
    inactive = 0
    for params in per_layer.values():
        experts = {p.shape[0] for p in params}
        if len(experts) != 1:
            raise AssertionError(f"expert tensors disagree on the expert count: {experts}")
        (e,) = experts
        size = sum(p.numel() for p in params)
        if size * (e - top_k) % e:
            raise AssertionError("expert tensors not divisible by the expert count")
        inactive += size * (e - top_k) // e
    return total - inactive


def moe_layer_count(model) -> int:
    names = {n.split(m)[0] for n, _ in model.named_parameters() for m in _EXPERT_MARKERS if m in n}
    return len(names)
