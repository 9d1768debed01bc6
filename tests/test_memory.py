"""Training memory: Korthikanti et al. 2022 reproductions, published anchors, properties, layouts, CLI."""

import json

import pytest
from hypothesis import given, settings, strategies as st

from cookbook.activations import korthikanti_layer_bytes
from cookbook.cli import main
from cookbook.errors import CookbookError
from cookbook.layout import ParallelLayout
from cookbook.memory import (CATEGORIES, OPTIMIZERS, PRECISIONS, activation_bytes_per_gpu, matrix_shapes,
                             optimizer_state_elements, state_bytes_per_param, training_memory)
from cookbook.model import ModelConfig, MoEConfig
from cookbook.params import count_params
from cookbook.presets import get_preset

GIB = 2**30


def gpt(h, a, layers):
    return ModelConfig(vocab_size=51200, hidden_size=h, num_layers=layers, num_heads=a, position="learned",
                       norm="layernorm", norm_bias=True, qkv_bias=True, out_bias=True, mlp_bias=True)


# Korthikanti et al. 2022, Table 3 configurations and Figure 1 values (GiB per GPU; transcribed in
# calculon-ai/calculon llm/validation.py). Activations: none = no parallel-aware savings beyond TP;
# seqsel = sequence parallel + selective recompute. Interleaved schedules (v=3) for 175B and 530B.
FIG1 = [  # name, h, a, L, t, p, v, micro-batch, par_opt, act none, act seqsel
    ("22B", 6144, 64, 48, 8, 1, 1, 4, 45.5625, 59.25, 9.5625),
    ("175B", 12288, 96, 96, 8, 8, 3, 1, 45.5625, 66.84375, 12.3515625),
    ("530B", 20480, 128, 105, 8, 35, 3, 1, 31.640625, 114.0234375, 23.076171875),
    ("1T", 25600, 160, 128, 8, 64, 1, 1, 32.958984375, 131.25, 26.5625),
]


@pytest.mark.parametrize("name,h,a,L,t,p,v,b,par_opt,act_none,act_seqsel", FIG1)
def test_korthikanti_figure1(name, h, a, L, t, p, v, b, par_opt, act_none, act_seqsel):
    # parameters + gradients + optimizer: 12*L*h^2 weights per model at 18 bytes (bf16 weights, fp32 grads,
    # fp32 master, Adam) split over t*p GPUs
    assert 12 * L * h * h * state_bytes_per_param("bf16-mixed-fp32-grads", "adamw") / (t * p) / GIB == par_opt
    lay = dict(tp=t, pp=p, micro_batch=b, num_microbatches=64,
               **({"schedule": "interleaved", "virtual_stages": v} if v > 1 else {}))
    m = gpt(h, a, L)
    none = activation_bytes_per_gpu(m, ParallelLayout(**lay), 2048, activation_model="korthikanti")
    seqsel = activation_bytes_per_gpu(m, ParallelLayout(sequence_parallel=True, **lay), 2048,
                                      recompute="selective", activation_model="korthikanti")
    assert none["total"] / GIB == pytest.approx(act_none, rel=1e-6)
    assert seqsel["total"] / GIB == pytest.approx(act_seqsel, rel=1e-6)


def test_korthikanti_per_layer_gpt3():
    """Table 2 first row for GPT-3 175B (s=2048, b=1): sbh(34 + 5as/h) bytes."""
    assert korthikanti_layer_bytes(2048, 1, 12288, 96) == 2048 * 12288 * (34 + 5 * 96 * 2048 / 12288)


def test_notes_bug_anchors_llama2_7b():
    """calculators.md §1.2 bugs 5 and 6: grads/optimizer divide by TP; ZeRO-3 divides weights once."""
    m = get_preset("llama-2-7b")
    r = training_memory(m, ParallelLayout(tp=2), 4096, "bf16-mixed-fp32-grads", overhead=0)["per_gpu"]
    assert r["gradients"] / GIB == pytest.approx(12.55, abs=0.06)  # 4 B x 6.74 G / 2
    assert r["optimizer_states"] / GIB == pytest.approx(25.1, abs=0.1)  # Adam m+v, fp32
    r = training_memory(m, ParallelLayout(tp=2, dp=4, zero=3), 4096, overhead=0)["per_gpu"]
    assert r["weights"] / GIB == pytest.approx(1.57, abs=0.01)


def _small_model(draw_moe=False):
    return ModelConfig(vocab_size=1000, hidden_size=256, num_layers=4, num_heads=8, num_kv_heads=2, ffn_size=512,
                       gated_mlp=True, moe=MoEConfig(8, 2, 128) if draw_moe else None)


@settings(max_examples=40, deadline=None)
@given(dp=st.sampled_from([2, 4, 8]), tp=st.sampled_from([1, 2]), opt=st.sampled_from(OPTIMIZERS),
       prec=st.sampled_from(sorted(PRECISIONS)), moe=st.booleans())
def test_zero_stages_are_monotone_and_parts_sum(dp, tp, opt, prec, moe):
    m = _small_model(moe)
    totals = []
    for z in (0, 1, 2, 3):
        r = training_memory(m, ParallelLayout(tp=tp, dp=dp, zero=z, ep=2 if moe else 1), 256, prec, opt)
        assert sum(r["per_gpu"].values()) == r["total"]
        assert set(r["per_gpu"]) == set(CATEGORIES)
        # communication buffers (one gathered layer, one reduce-scatter bucket) are transient and can exceed
        # what sharding saves at dp = 2; the model states and activations must not grow with the stage
        totals.append(r["total"] - r["per_gpu"]["communication_buffers"])
    assert totals[3] <= totals[2] <= totals[1] <= totals[0]


@settings(max_examples=25, deadline=None)
@given(b=st.integers(1, 16), attention=st.sampled_from(["flash", "eager"]),
       recompute=st.sampled_from(["none", "selective", "full"]))
def test_activations_linear_in_micro_batch(b, attention, recompute):
    """Affine: the rotary tables and the loss scalar do not grow with the batch (HF shares cos/sin)."""
    m = get_preset("llama-3-8b")
    act = [activation_bytes_per_gpu(m, ParallelLayout(micro_batch=x), 1024, "bf16-mixed", attention,
                                    recompute)["total"] for x in (b, 2 * b, 3 * b)]
    assert act[2] - act[1] == pytest.approx(act[1] - act[0], abs=2)
    assert act[1] < 2 * act[0] + 2**20


def test_pipeline_stages_first_and_last():
    m = get_preset("llama-3-8b")
    r = training_memory(m, ParallelLayout(pp=4, num_microbatches=8), 4096)
    first, last = r["per_stage_total"][0], r["per_stage_total"][-1]
    assert r["stage"] == 0 and first > last  # 4 micro-batches in flight on the first stage
    inter = training_memory(m, ParallelLayout(pp=4, num_microbatches=8, schedule="interleaved", virtual_stages=2),
                            4096)
    assert inter["activation_detail"]["in_flight"] == 4 + 3 / 2


def test_optimizers_state_counts():
    m = get_preset("llama-2-7b")
    n = count_params(m).total
    assert optimizer_state_elements(m, "adamw") == 2 * n
    assert optimizer_state_elements(m, "sgd") == 0
    assert optimizer_state_elements(m, "lion") == optimizer_state_elements(m, "sgd_momentum") == n
    # Adafactor: rows + columns per matrix; Llama-2-7B's vectors are its norms (65 x 4096)
    assert optimizer_state_elements(m, "adafactor") == sum((r + c) * k for _, r, c, k in matrix_shapes(m)) + 65 * 4096
    # Muon: one state per hidden matrix element, AdamW's two for embedding, lm_head and norms
    outer = 2 * 32000 * 4096 + 65 * 4096
    assert optimizer_state_elements(m, "muon") == (n - outer) + 2 * outer
    assert state_bytes_per_param("bf16-mixed", "adam8bit") == pytest.approx(2 + 2 + 4 + 2 * (1 + 4 / 256))


@pytest.mark.parametrize("kw,msg", [
    (dict(tp=3), r"num_heads \(32\) is not divisible by tp \(3\)"),
    (dict(pp=3), r"num_layers \(32\) is not divisible by pp\*virtual_stages \(3\*1 = 3\)"),
    (dict(ep=2, dp=2), r"ep = 2 but the model has no experts"),
    (dict(tp=16), r"num_kv_heads \(8\) is not divisible by tp \(16\)"),
])
def test_layout_errors_show_numbers(kw, msg):
    with pytest.raises(CookbookError, match=msg):
        training_memory(get_preset("llama-3-8b"), ParallelLayout(**kw), 4096)


def test_world_size_check():
    with pytest.raises(CookbookError, match=r"tp\*pp\*dp\*cp = 2\*1\*2\*1 = 4 but the world size is 8"):
        ParallelLayout(tp=2, dp=2).check(get_preset("llama-3-8b"), world_size=8)


def test_cli_memory_json_and_table(capsys):
    assert main(["memory", "--preset", "llama-3-8b", "--seq", "4096", "--tp", "2", "--dp", "4", "--zero", "1",
                 "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert set(r["per_gpu"]) == set(CATEGORIES) and sum(r["per_gpu"].values()) == r["total"]
    assert main(["memory", "--preset", "llama-3-8b", "--gpu", "H100-SXM"]) == 0
    out = capsys.readouterr().out
    assert "GiB" in out and "total per GPU" in out and "units: memory in" in out


def test_cli_bad_layout_is_one_line(capsys):
    assert main(["memory", "--preset", "llama-3-8b", "--tp", "3"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "tp (3)" in err
    assert main(["memory", "--preset", "llama-3-8b", "--tp", "2", "--dp", "2", "--world-size", "8"]) == 2
    assert "tp*pp*dp*cp = 2*1*2*1 = 4 but the world size is 8" in capsys.readouterr().err


def test_parallel_splits():
    """TP splits layer linears and the vocabulary; EP splits experts; PP puts the embedding on the first stage
    and lm_head on the last; ZeRO-1 divides optimizer states by dp*cp."""
    m = ModelConfig(vocab_size=1000, hidden_size=256, num_layers=4, num_heads=8, num_kv_heads=2, ffn_size=512,
                    gated_mlp=True, moe=MoEConfig(8, 2, 128))
    pc = count_params(m)
    base = training_memory(m, ParallelLayout(), 256, "bf16", overhead=0)
    ep = training_memory(m, ParallelLayout(dp=4, ep=4), 256, "bf16", overhead=0)
    assert base["per_gpu"]["weights"] - ep["per_gpu"]["weights"] == 2 * pc.breakdown["experts"] * 3 // 4
    tp = training_memory(m, ParallelLayout(tp=2), 256, "bf16", overhead=0)
    norms = pc.breakdown["layer_norms"] + pc.breakdown["final_norm"]
    assert tp["per_gpu"]["weights"] == 2 * ((pc.total - norms) // 2 + norms)
    pp = training_memory(m, ParallelLayout(pp=2, num_microbatches=4), 256, "bf16", overhead=0)
    assert pp["params_on_gpu"]["outer"] in (pc.breakdown["embedding"], pc.breakdown["lm_head"] + pc.breakdown[
        "final_norm"])
    z1 = training_memory(m, ParallelLayout(dp=4, cp=2, zero=1), 256, "bf16-mixed", overhead=0)
    z0 = training_memory(m, ParallelLayout(dp=4, cp=2), 256, "bf16-mixed", overhead=0)
    assert z1["per_gpu"]["optimizer_states"] == pytest.approx(z0["per_gpu"]["optimizer_states"] / 8, abs=1)


def test_fp8_policy_adds_fp8_weight_copies_and_shrinks_linear_inputs():
    m = get_preset("llama-3-8b")
    bf = training_memory(m, ParallelLayout(), 4096, "bf16-mixed-fp32-grads", overhead=0)["per_gpu"]
    f8 = training_memory(m, ParallelLayout(), 4096, "fp8", overhead=0)["per_gpu"]
    linear = count_params(m).total - 2 * 128256 * 4096 - 65 * 4096
    assert f8["weights"] - bf["weights"] == 2 * linear
    assert f8["activations"] < bf["activations"]


# ---- uneven pipeline splits: a stage's parameters are the count_params per-layer sums of the layers it holds


def _layer_sum(pc, lo, hi):
    return sum(sum(pc.per_layer[i].values()) for i in range(lo, hi))


@pytest.mark.parametrize("pp,first,last,stage_range", [
    (16, 7, 7, None),  # Llama 3 405B's split; the busiest stage is a middle one (8 layers)
    (4, 36, None, (0, 36)),  # a heavy first stage: it is the busiest and holds the embedding
])
def test_uneven_stage_params_from_count_params(pp, first, last, stage_range):
    m = get_preset("llama-3.1-405b")
    pc = count_params(m)
    lay = ParallelLayout(pp=pp, num_microbatches=pp, first_stage_layers=first, last_stage_layers=last)
    r = training_memory(m, lay, 4096, recompute="full")
    s = r["stage"]
    if stage_range is None:  # middle stage s holds layers 7 + 8 (s - 1) ... 7 + 8 s - 1
        assert 0 < s < pp - 1
        stage_range = (7 + 8 * (s - 1), 7 + 8 * s)
    want = _layer_sum(pc, *stage_range) + (pc.breakdown["embedding"] if s == 0 else 0)
    assert r["params_on_gpu"]["dense"] == want
    assert r["per_gpu"]["weights"] == 2 * want  # bf16-mixed: 2 bytes per weight
    assert len(r["per_stage_total"]) == pp and r["total"] == max(r["per_stage_total"])
    assert sum(r["per_gpu"].values()) == r["total"]


def test_llama_405b_pp16_uneven_fits_h100():
    """Llama 3 405B's 16384-H100 layout (Llama 3 paper, Table 4: TP 8, CP 1, PP 16, DP 128, seq 8192, 16M-token
    batch), 7 layers on the first and last stages."""
    m = get_preset("llama-3.1-405b")
    lay = ParallelLayout(tp=8, pp=16, dp=128, zero=1, sequence_parallel=True, micro_batch=1, num_microbatches=16,
                         first_stage_layers=7, last_stage_layers=7)
    r = training_memory(m, lay, 8192, recompute="full", world_size=16384)
    assert r["total"] < 80e9 and r["stage"] not in (0, 15)
    even = ParallelLayout(tp=8, pp=16, dp=128)
    with pytest.raises(CookbookError, match=r"num_layers \(126\) is not divisible by pp"):
        training_memory(m, even, 8192)


def test_cli_uneven_split(capsys):
    args = ["memory", "--preset", "llama-3.1-405b", "--tp", "8", "--pp", "16", "--num-microbatches", "16",
            "--seq", "8192", "--recompute", "full"]
    assert main(args + ["--first-stage-layers", "7", "--last-stage-layers", "7"]) == 0
    assert "first stage 7 layers, last stage 7 layers, the others evenly" in capsys.readouterr().out
    assert main(args + ["--first-stage-layers", "7", "--last-stage-layers", "6"]) == 2
    assert "113 cannot be split evenly over the other 14" in capsys.readouterr().err
    assert main(args) == 2
    assert "give first_stage_layers / last_stage_layers" in capsys.readouterr().err
