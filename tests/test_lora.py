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
