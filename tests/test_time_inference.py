"""Inference time (cookbook.inference_time): the exact decode integral against a step-by-step sum, roofline
regimes against hand arithmetic, identities, errors. Published TensorRT-LLM numbers are in
test_published_time.py."""

from __future__ import annotations

import pytest

from cookbook.errors import CookbookError
from cookbook.hardware import get_gpu
from cookbook.inference_time import (batch_sweep, crossover_batch, decode_step_time, decode_time, prefill_time,
                                     request_time, touched_experts)
from cookbook.presets import get_preset

H100, A100 = get_gpu("H100-SXM"), get_gpu("A100-80GB-SXM")


@pytest.mark.parametrize("preset,batch,prompt,output", [
    ("llama-3-8b", 1, 1000, 200), ("llama-3-8b", 256, 100, 64),
    ("mistral-7b-v0.1", 1, 4000, 120),     # crosses the 4096-token sliding window
    ("mistral-7b-v0.1", 512, 4090, 20),    # crosses it where attention is compute-heavy
    ("gpt2", 64, 1, 300),
])
def test_decode_integral_equals_sum_of_steps(preset, batch, prompt, output):
    m = get_preset(preset)
    whole = decode_time(m, H100, batch, prompt, output)
    steps = sum(decode_step_time(m, H100, batch, c)["seconds"] for c in range(prompt, prompt + output - 1))
    assert whole["steps"] == output - 1
    assert whole["seconds"] == pytest.approx(steps, rel=1e-9)
    assert sum(whole["parts"].values()) == pytest.approx(whole["seconds"], rel=1e-12)


def test_decode_at_batch_1_reads_the_weights():
    """Llama-2-7B on an A100 at batch 1 and a short context: a step is the weight bytes over the achievable HBM
    bandwidth, by hand: 6,738,415,616 parameters minus the untouched embedding rows, 2 bytes each."""
    m = get_preset("llama-2-7b")
    r = decode_step_time(m, A100, 1, 1, dtype="fp16", weight_dtype="fp16", kv_dtype="fp16")
    weights = (6_738_415_616 - 32000 * 4096) * 2
    by_hand = weights / (A100.hbm_bandwidth * r_eff_hbm(A100))
    assert r["seconds"] == pytest.approx(by_hand, rel=0.02)
    assert all(o["bound"] == "memory" for o in r["ops"].values())


def r_eff_hbm(gpu):
    from cookbook.efficiency import efficiency_for
    return efficiency_for(gpu).hbm


def test_prefill_is_compute_bound_and_linear_in_prompt():
    m = get_preset("llama-3-8b")
    a = prefill_time(m, H100, 1, 4096)
    b = prefill_time(m, H100, 1, 8192)
    for name in ("q", "o", "up", "down", "gate"):
        assert a["ops"][name]["bound"] == "compute"
    assert sum(o["seconds"] for o in a["ops"].values()) + a["tp_comm"] == pytest.approx(a["seconds"])
    # the matmuls double, attention grows 4x (causal S^2): between 2x and 2.3x at these lengths
    assert 2.0 < b["seconds"] / a["seconds"] < 2.3


def test_crossover_batch_separates_the_regimes():
    m = get_preset("llama-3-8b")
    x = crossover_batch(m, H100)
    below = decode_step_time(m, H100, int(x / 2), 128)
    above = decode_step_time(m, H100, int(2 * x), 128)
    for name in ("q", "up", "down"):
        assert below["ops"][name]["bound"] == "memory"
        assert above["ops"][name]["bound"] == "compute"
    # ridge point of the H100 at the published efficiencies, 2 bytes per weight: B = ridge * 2 / 2
    assert x == pytest.approx(989.5e12 * 0.8029 / (3.35e12 * 0.8657), rel=1e-3)


def test_tpot_grows_with_context_and_throughput_with_batch():
    m = get_preset("llama-3-8b")
    short = request_time(m, H100, 8, 128, 64)
    long = request_time(m, H100, 8, 16384, 64)
    assert long["tpot"] > short["tpot"]
    sweep = batch_sweep(m, H100, 512, 128, (1, 4, 16, 64))
    tps = [s["output_tokens_per_second"] for s in sweep]
    assert tps == sorted(tps)
    assert sweep[0]["tpot"] < sweep[-1]["tpot"]


def test_tensor_parallel_splits_work_and_adds_communication():
    m = get_preset("llama-3-70b")
    one = decode_step_time(m, H100, 1, 1024, tp=8)
    assert one["tp_comm"] == pytest.approx(2 * 80 * (2 * 7 / 8 * 8192 * 2 / (450e9 * 0.8044) + 36e-6), rel=1e-3)
    four = decode_step_time(m, H100, 1, 1024, tp=4)
    assert four["ops"]["up"]["seconds"] == pytest.approx(2 * one["ops"]["up"]["seconds"], rel=1e-3)


def test_request_identities():
    m = get_preset("llama-3-8b")
    r = request_time(m, H100, 4, 256, 33)
    assert r["e2e"] == pytest.approx(r["ttft"] + r["decode_seconds"])
    assert r["tpot"] == pytest.approx(r["decode_seconds"] / 32)
    assert r["output_tokens_per_second"] == pytest.approx(4 * 33 / r["e2e"])
    one = request_time(m, H100, 4, 256, 1)
    assert one["tpot"] is None and one["decode_seconds"] == 0


@pytest.mark.parametrize("call,match", [
    (lambda: decode_step_time(get_preset("llama-3-8b"), H100, 1, 10, tp=3), "tp"),
    (lambda: request_time(get_preset("llama-3-8b"), H100, 0, 10, 10), "batch"),
    (lambda: request_time(get_preset("llama-3-8b"), H100, 1, 10, 10, dtype="int3"), "dtype"),
    (lambda: decode_step_time(get_preset("llama-3-70b"), get_gpu("RTX-4090"), 1, 10, tp=8, gpus_per_node=4),
     "inter-node"),
])
def test_bad_input_raises(call, match):
    with pytest.raises(CookbookError, match=match):
        call()


def test_time_calculator_and_cli(capsys):
    import json

    from cookbook.calculators import rows, run
    from cookbook.cli import main

    r = run("time", {"preset": "llama-3-8b", "batch": "8", "prompt": "512", "output": "64"})
    direct = request_time(get_preset("llama-3-8b"), H100, 8, 512, 64)
    assert r["ttft"] == pytest.approx(direct["ttft"]) and r["tpot"] == pytest.approx(direct["tpot"])
    assert [s["batch"] for s in r["sweep"]] == [1, 2, 4, 8]
    assert dict(rows("time", r))["time to first token (prefill)"].endswith("ms")
    assert main(["time", "--preset", "llama-3-8b", "--workload", "training", "--seq", "2048", "--dp", "8",
                 "--num-microbatches", "4", "--tokens", "1e12", "--json"]) == 0
    t = json.loads(capsys.readouterr().out)
    assert t["global_batch"] == 32 and t["time_to_train"]["steps"] == pytest.approx(1e12 / (32 * 2048))
    # a custom GPU: twice the bandwidth halves a memory-bound decode step's matmul time
    fast = run("time", {"preset": "llama-3-8b", "batch": "1", "prompt": "16", "output": "2", "hbm_gbps": "6700"})
    base = run("time", {"preset": "llama-3-8b", "batch": "1", "prompt": "16", "output": "2"})
    assert fast["decode"]["parts"]["matmuls"] == pytest.approx(base["decode"]["parts"]["matmuls"] / 2, rel=1e-3)
    assert fast["gpu"]["name"].startswith("custom")
    assert fast["efficiency"]["matmul"]["source"].startswith("stas00")
    mine = run("time", {"preset": "llama-3-8b", "eff_hbm": "0.5"})
    assert mine["efficiency"]["hbm"] == {"value": 0.5, "source": "user-supplied"}
    assert main(["time", "--preset", "llama-3-8b", "--eff-hbm", "1.5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--eff-hbm" in err[0]


def test_touched_experts_matches_sampling():
    """E (1 - (1 - k/E)^T) against drawing k distinct experts uniformly per token (fixed seed, 4000 trials)."""
    import random

    rng = random.Random(0)
    for e, k, t in ((8, 2, 1), (8, 2, 4), (128, 8, 16), (64, 6, 100)):
        mean = sum(len({x for _ in range(t) for x in rng.sample(range(e), k)}) for _ in range(4000)) / 4000
        assert touched_experts(e, k, t) == pytest.approx(mean, rel=0.02)
    assert touched_experts(8, 2, 1) == 2


def test_moe_decode_reads_the_touched_experts():
    """Mixtral-8x7B at batch 1: the routed-expert ops read top_k = 2 of the 8 experts per layer, by hand."""
    m = get_preset("mixtral-8x7b")
    e = m.moe
    one = decode_step_time(m, H100, 1, 100)
    per_expert = 3 * m.hidden_size * e.expert_ffn_size * 2  # up, gate, down in bf16
    read = sum(one["ops"][f"experts.{n}"]["bytes"] for n in ("up", "gate", "down"))
    acts = sum(1 * (m.hidden_size + e.expert_ffn_size) * 2 * 2 * m.num_layers for _ in range(3))
    assert read == pytest.approx(2 * per_expert * m.num_layers + acts, rel=1e-9)
    big = decode_step_time(m, H100, 256, 100)
    read_big = sum(big["ops"][f"experts.{n}"]["bytes"] for n in ("up", "gate", "down"))
    assert read_big > 3.9 * read  # nearly all 8 experts: 4x the weights of 2


def test_kv_reads_per_query_head_multiplies_only_the_cache_traffic():
    m = get_preset("llama-3-8b")  # 32 query heads, 8 KV heads
    a = decode_step_time(m, H100, 64, 4096)
    b = decode_step_time(m, H100, 64, 4096, kv_reads="per_query_head")
    kv = a["ops"]["attention"]["bytes"] - 64 * 32 * 256 * 2 * 32  # minus Q and output (B H (dq + dv) 2 bytes L)
    assert b["ops"]["attention"]["bytes"] - a["ops"]["attention"]["bytes"] == pytest.approx(3 * kv, rel=1e-9)
    assert b["ops"]["up"] == a["ops"]["up"]
    mha = get_preset("llama-2-7b")
    assert (decode_step_time(mha, H100, 8, 100, kv_reads="per_query_head")["seconds"] ==
            decode_step_time(mha, H100, 8, 100)["seconds"])
    with pytest.raises(CookbookError, match="kv_reads"):
        decode_step_time(m, H100, 1, 1, kv_reads="twice")
