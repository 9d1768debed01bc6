"""Our predicted times against published measurements (cookbook.published: Megatron-LM 2021 Table 1, Korthikanti
et al. 2022 Table 5, Llama 3 Table 4, TensorRT-LLM's A100 tables). Each case must sit within its group's stated
band; docs/validation.md shows the same table. Transcriptions are checked against the sources' own arithmetic."""

from __future__ import annotations

import pytest

from cookbook.params import count_params
from cookbook.published import (CASES, GROUPS, KORTHIKANTI_TABLE5, LLAMA3_TABLE4, MEGATRON_TABLE1, evaluate,
                                megatron_gpt)

RESULTS = evaluate()


BANDED = [r for r in RESULTS if r["band"] is not None]


@pytest.mark.parametrize("row", BANDED, ids=[f"{r['group']}:{r['label']}" for r in BANDED])
def test_prediction_within_stated_band(row):
    assert abs(row["error"]) <= row["band"], (
        f"{row['label']}: predicted {row['predicted']:.4g}, published {row['published']:.4g}, "
        f"error {row['error']:+.1%} outside the stated +-{row['band']:.0%} ({GROUPS[row['group']]['why']})")


def test_every_group_has_cases_and_a_reason():
    groups = {c.group for c in CASES}
    assert groups == set(GROUPS)
    for g in GROUPS.values():
        assert g["source"] and g["why"]
        if g["band"] is None:  # a documented disagreement: the page must say it is not validated
            assert g["why"].startswith("NOT VALIDATED")
        else:
            assert 0 < g["band"] <= 0.5
    assert len(BANDED) >= 0.8 * len(RESULTS)


def test_bias_is_what_the_page_says():
    """The page states the sign of our error per group; hold it to that."""
    by = {}
    for r in RESULTS:
        by.setdefault(r["group"], []).append(r["error"])
    assert all(e > 0 for e in by["megatron-2021"])      # we predict more TFLOP/s than measured
    assert all(e < 0 for e in by["korthikanti-2022"])   # we predict shorter iterations
    assert all(e > 0 for e in by["trtllm-h100-fp8"])
    assert all(abs(e) < 0.08 for e in by["trtllm-throughput"])  # "within 8% either side"
    assert all(e > 0.25 for e in by["trtllm-h100-fp8-tp"])  # the unexplained disagreement the page reports
    # the hypothesis that explains it moves every one of those rows by more than its remaining error
    hyp = {r["label"]: r["error"] for r in RESULTS if r["group"] == "trtllm-gqa-per-head"}
    for r in RESULTS:
        if r["group"] == "trtllm-h100-fp8-tp":
            assert abs(hyp[r["label"]]) < r["error"] / 2
    assert all(e < 0 for e in by["trtllm-ttft"])


@pytest.mark.parametrize("row", MEGATRON_TABLE1, ids=[f"{r[0]}B" for r in MEGATRON_TABLE1])
def test_megatron_table1_shapes_give_the_published_size(row):
    """Our exact parameter count of each (heads, hidden, layers) row rounds to the paper's 'billions' column
    (printed with one decimal: 1.652 B prints as 1.7)."""
    billions, a, h, layers = row[:4]
    assert count_params(megatron_gpt(h, a, layers)).total / 1e9 == pytest.approx(billions, abs=0.05)


@pytest.mark.parametrize("row", KORTHIKANTI_TABLE5, ids=[r[0] for r in KORTHIKANTI_TABLE5])
def test_korthikanti_shapes_give_the_named_size(row):
    name, a, h, layers = row[:4]
    want = {"22B": 22e9, "175B": 175e9, "530B": 530e9, "1T": 1e12}[name]
    assert count_params(megatron_gpt(h, a, layers)).total == pytest.approx(want, rel=0.03)


@pytest.mark.parametrize("row", LLAMA3_TABLE4)
def test_llama3_rows_are_16m_tokens_and_consistent(row):
    gpus, tp, cp, pp, dp, seq, per_dp, tflops, mfu = row
    assert tp * cp * pp * dp == gpus
    assert dp * per_dp * seq == 16 * 2**20
    assert tflops / 989 == pytest.approx(mfu, abs=0.01)  # TFLOP/s per GPU over the H100 bf16 peak


def test_ttft_error_halves_with_a_long_prompt():
    """The page says the short-prompt error is more than twice the long-prompt one (fixed overheads)."""
    e = {r["label"]: abs(r["error"]) for r in RESULTS if r["group"] == "trtllm-ttft"}
    for short in [k for k in e if "128 prompt" in k]:
        assert e[short] > 2 * e[short.replace("128 prompt", "2048 prompt")]
