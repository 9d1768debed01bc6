"""LoRA / QLoRA: trainable parameters against PEFT's published counts; memory categories."""

import pytest

from cookbook.errors import CookbookError
from cookbook.lora import finetune_memory, lora_params
from cookbook.presets import get_preset


# PEFT print_trainable_parameters() for meta-llama/Llama-2-7b-hf:
#  r=8, target_modules=["q_proj","v_proj"]: "trainable params: 4,194,304" (PEFT README / LoRA guides);
#  r=16, all linear layers: "trainable params: 39,976,960" (QLoRA-style all-linear fine-tuning tutorials).
@pytest.mark.parametrize("rank,targets,expected", [(8, "qv", 4_194_304), (16, "all-linear", 39_976_960)])
def test_lora_params_match_peft(rank, targets, expected):
    assert lora_params(get_preset("llama-2-7b"), rank, targets) == expected


def test_qlora_smaller_than_lora_and_parts_sum():
    m = get_preset("llama-2-7b")
    lo = finetune_memory(m, 16, overhead=0)
    q = finetune_memory(m, 16, quantize_base=True, overhead=0)
    for r in (lo, q):
        assert sum(r["per_gpu"].values()) == r["total"]
    assert q["base_weight_bytes"] < lo["base_weight_bytes"] / 3
    assert lo["per_gpu"]["optimizer_states"] == 8 * 39_976_960


def test_lora_bad_targets():
    with pytest.raises(CookbookError, match="lora targets"):
        lora_params(get_preset("llama-2-7b"), 8, "q,z")


def test_cli_qlora(capsys):
    import json
    from cookbook.cli import main
    assert main(["memory", "--preset", "llama-2-7b", "--lora-rank", "8", "--lora-targets", "qv", "--qlora",
                 "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["lora_params"] == 4_194_304 and sum(r["per_gpu"].values()) == r["total"]
    assert main(["memory", "--preset", "llama-2-7b", "--qlora"]) == 2
    assert "--qlora needs --lora-rank" in capsys.readouterr().err


# PEFT matches target_modules by the module's last name and wraps nn.Linear modules only; these are the
# transformers names of our targets for Llama-style and DeepSeek (MLA) modules.
HF_NAMES = {"q": "q_proj", "k": "k_proj", "v": "v_proj", "o": "o_proj", "gate": "gate_proj", "up": "up_proj",
            "down": "down_proj", "q_a": "q_a_proj", "q_b": "q_b_proj", "kv_a": "kv_a_proj_with_mqa",
            "kv_b": "kv_b_proj"}


@pytest.mark.torch
@pytest.mark.parametrize("config", ["llama-3-8b", "mixtral-8x7b", "qwen1.5-moe-a2.7b", "qwen3-30b-a3b",
                                    "deepseek-v3"])
@pytest.mark.parametrize("targets", ["all-linear", "attention", "qv"])
def test_lora_params_match_the_linears_peft_would_wrap(config, targets):
    """rank * (in + out) summed over the real model's nn.Linear modules whose names PEFT's target list matches
    (routed experts are fused tensors in transformers, not nn.Linear; shared experts and dense MLPs are)."""
    import torch

    from conftest import load_config
    from cookbook.hf import from_hf_config
    from cookbook.lora import PRESET_TARGETS
    from hf_truth import causal_lm

    raw = load_config(config)
    _, model = causal_lm(raw)
    names = {HF_NAMES[t] for t in PRESET_TARGETS[targets]}
    rank = 8
    want = sum(rank * (mod.in_features + mod.out_features) for name, mod in model.named_modules()
               if isinstance(mod, torch.nn.Linear) and name.rsplit(".", 1)[-1] in names)
    if want == 0:  # e.g. q_proj/v_proj on an MLA model: PEFT refuses, and so do we
        with pytest.raises(CookbookError, match="lora targets q, v match no linear layer of this model; it has down, gate, kv_a, kv_b, o, q_a, q_b"):
            lora_params(from_hf_config(raw), rank, targets)
        return
    assert lora_params(from_hf_config(raw), rank, targets) == want
