"""Training step time (cookbook.train_time): pipeline bubble against a simulation of Megatron-LM's schedules,
identities of the breakdown, MFU, overlap, errors. Published step times and MFU are in test_published_time.py."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pytest

from cookbook.efficiency import efficiency_for
from cookbook.errors import CookbookError
from cookbook.flops import training_flops
from cookbook.hardware import get_gpu
from cookbook.layout import ParallelLayout
from cookbook.presets import get_preset
from cookbook.train_time import PARTS, TrainingProblem, bubble_fraction, step_time, time_to_train

H100 = get_gpu("H100-SXM")


def simulate_pipeline(p: int, m: int, v: int, tf: float = 1.0, tb: float = 2.0) -> float:
    """Makespan of Megatron-LM's 1F1B (v = 1) or interleaved (v > 1) schedule with per-chunk forward tf/v and
    backward tb/v: each stage runs its ops in Megatron's order (warm-up forwards, then one forward one backward,
    then cool-down backwards; chunk and micro-batch ids as in forward_backward_pipelining_with_interleaving),
    each op starting when its stage is free and its input (previous stage or chunk) is done."""
    order = []
    for s in range(p):
        total = m * v
        w = min(total, (p - s - 1) * 2 + (v - 1) * p) if v > 1 else min(total, p - s - 1)

        def op(kind, k):
            chunk = (k // p) % v if v > 1 else 0
            mb = (k // (p * v)) * p + k % p if v > 1 else k
            return kind, (v - 1 - chunk if kind == "B" else chunk), mb
        ops = [op("F", k) for k in range(w)]
        for i in range(total - w):
            ops += [op("F", w + i), op("B", i)]
        order.append(ops + [op("B", k) for k in range(total - w, total)])
    done, free, pos = {}, [0.0] * p, [0] * p
    left = sum(len(o) for o in order)
    while left:
        moved = False
        for s in range(p):
            if pos[s] == len(order[s]):
                continue
            kind, c, mb = order[s][pos[s]]
            if kind == "F":
                dep = ("F", c, s - 1, mb) if s > 0 else (("F", c - 1, p - 1, mb) if c > 0 else None)
            else:
                dep = ("B", c, s + 1, mb) if s < p - 1 else (("B", c + 1, 0, mb) if c < v - 1 else ("F", c, s, mb))
            if dep is not None and dep not in done:
                continue
            done[(kind, c, s, mb)] = free[s] = max(free[s], done[dep] if dep else 0.0) + (tf if kind == "F" else tb) / v
            pos[s] += 1
            left -= 1
            moved = True
        assert moved, "schedule deadlocked"
    return max(free)


@pytest.mark.parametrize("p,m,v", [(2, 4, 1), (4, 8, 1), (8, 32, 1), (4, 8, 2), (4, 16, 4), (8, 16, 2), (8, 8, 3),
                                   (2, 4, 2)])
def test_bubble_matches_simulated_schedule(p, m, v):
    ideal = m * 3.0
    simulated = simulate_pipeline(p, m, v) / ideal - 1
    assert simulated == pytest.approx(float(bubble_fraction(p, m, v)), rel=1e-12)


def test_bubble_fraction_exact():
    assert bubble_fraction(8, 32, 1) == Fraction(7, 32)
    assert bubble_fraction(8, 32, 4) == Fraction(7, 128)
    with pytest.raises(CookbookError):
        bubble_fraction(0, 4)


LAYOUTS = [
    dict(tp=1, pp=1, dp=8, zero=0, micro_batch=2, num_microbatches=4),
    dict(tp=2, pp=2, dp=2, zero=1, micro_batch=1, num_microbatches=8, sequence_parallel=True),
    dict(tp=2, pp=4, dp=1, micro_batch=1, num_microbatches=8, schedule="interleaved", virtual_stages=2),
    dict(tp=1, pp=1, dp=4, cp=2, zero=3, micro_batch=1, num_microbatches=2),
    dict(tp=8, pp=2, dp=4, zero=2, micro_batch=1, num_microbatches=16, sequence_parallel=True),
]


@pytest.mark.parametrize("recompute", ["none", "selective", "full"])
@pytest.mark.parametrize("kw", LAYOUTS)
def test_breakdown_sums_and_mfu_identity(kw, recompute):
    m = get_preset("llama-3-8b")
    lay = ParallelLayout(**kw)
    r = step_time(TrainingProblem.build(m, 4096), H100, lay, recompute)
    assert set(r["breakdown"]) == set(PARTS)
    assert sum(r["breakdown"].values()) == pytest.approx(r["step_time"], rel=1e-12)
    assert all(v >= 0 for v in r["breakdown"].values())
    model = training_flops(m, lay.global_batch, 4096, "causal").model
    assert r["flops"]["model"] == model
    assert r["mfu"] == pytest.approx(model / (r["step_time"] * lay.world_size * H100.peak("bf16")))
    assert r["hfu"] >= r["mfu"]
    assert r["breakdown"]["bubble"] == pytest.approx(r["per_microbatch"] * (lay.pp - 1) / lay.virtual_stages)


def test_compute_term_is_flops_over_peak_times_efficiency():
    """One GPU, no communication: compute = 3 x forward FLOPs / (peak x mamf fraction), by hand."""
    m = get_preset("llama-3-8b")
    lay = ParallelLayout(micro_batch=2, num_microbatches=3)
    r = step_time(TrainingProblem.build(m, 2048), H100, lay, non_matmul="none")
    flops = training_flops(m, 6, 2048, "causal").model
    assert r["step_time"] == pytest.approx(flops / (989.5e12 * 794.5 / 989.5), rel=1e-3)
    assert r["mfu"] == pytest.approx(794.5 / 989.5, rel=1e-3)


def test_recompute_costs_time_and_overlap_hides_communication():
    m = get_preset("llama-3-8b")
    pr = TrainingProblem.build(m, 4096)
    lay = ParallelLayout(tp=8, dp=4, zero=1, sequence_parallel=True, num_microbatches=4)
    t = {r: step_time(pr, H100, lay, r, gpus_per_node=8)["step_time"] for r in ("none", "selective", "full")}
    assert t["none"] < t["selective"] < t["full"]
    exposed = step_time(pr, H100, lay)
    hidden = step_time(pr, H100, lay, overlap={"tp": 1.0, "dp": 1.0})
    assert hidden["breakdown"]["tp_comm"] == 0 and hidden["breakdown"]["dp_comm"] == 0
    assert exposed["breakdown"]["tp_comm"] > 0
    assert hidden["step_time"] < exposed["step_time"]
    half = step_time(pr, H100, lay, overlap={"tp": 0.5})
    assert half["breakdown"]["tp_comm"] == pytest.approx(exposed["breakdown"]["tp_comm"] / 2)


def test_tp_across_nodes_uses_the_network():
    m = get_preset("llama-3-8b")
    pr = TrainingProblem.build(m, 4096)
    lay = ParallelLayout(tp=8, sequence_parallel=True)
    inside = step_time(pr, H100, lay, gpus_per_node=8)["breakdown"]["tp_comm"]
    across = step_time(pr, H100, lay, gpus_per_node=4)["breakdown"]["tp_comm"]
    assert across > 5 * inside  # 50 GB/s NIC vs 450 GB/s NVLink per direction


def test_zero3_moves_more_than_zero1():
    m = get_preset("llama-3-8b")
    pr = TrainingProblem.build(m, 2048)
    t = {z: step_time(pr, H100, ParallelLayout(dp=16, zero=z, num_microbatches=2))["breakdown"]["dp_comm"]
         for z in (0, 1, 3)}
    assert t[0] == pytest.approx(t[1], rel=0.05)  # all-reduce = reduce-scatter + all-gather in bytes
    assert t[3] > 2.5 * t[1]  # two gathers and a reduce-scatter per micro-batch


def test_efficiency_scales_compute():
    m = get_preset("llama-3-8b")
    pr = TrainingProblem.build(m, 2048)
    e = efficiency_for(H100)
    a = step_time(pr, H100, ParallelLayout(), efficiency=e)["breakdown"]["compute"]
    b = step_time(pr, H100, ParallelLayout(), efficiency=replace(e, matmul=e.matmul / 2))["breakdown"]["compute"]
    assert b == pytest.approx(2 * a)


def test_time_to_train():
    m = get_preset("llama-3-8b")
    r = step_time(TrainingProblem.build(m, 8192), H100, ParallelLayout(dp=8, num_microbatches=4))
    t = time_to_train(15e12, r)
    assert t["steps"] == pytest.approx(15e12 / (32 * 8192))
    assert t["seconds"] == pytest.approx(t["steps"] * r["step_time"])
    with pytest.raises(CookbookError, match="tokens"):
        time_to_train(0, r)


@pytest.mark.parametrize("kw,match", [
    (dict(recompute="some"), "recompute"),
    (dict(overlap={"xx": 0.5}), "overlap key"),
    (dict(overlap={"tp": 1.5}), "overlap"),
    (dict(precision="int3"), "precision"),
    (dict(non_matmul="maybe"), "non_matmul"),
])
def test_bad_input_raises(kw, match):
    pr = TrainingProblem.build(get_preset("llama-3-8b"), 2048)
    with pytest.raises(CookbookError, match=match):
        step_time(pr, H100, ParallelLayout(), **kw)


def test_layout_must_fit_model():
    pr = TrainingProblem.build(get_preset("llama-3-8b"), 2048)
    with pytest.raises(CookbookError, match="num_heads"):
        step_time(pr, H100, ParallelLayout(tp=3))
    with pytest.raises(CookbookError, match="inter-node"):
        step_time(pr, get_gpu("RTX-4090"), ParallelLayout(tp=2), gpus_per_node=1)


def test_uneven_pipeline_split_uses_the_busiest_stage():
    """126 layers over 16 stages (Llama 3 405B): the busiest stage has 8 layers."""
    m = get_preset("llama-3.1-405b")
    r = step_time(TrainingProblem.build(m, 8192), H100, ParallelLayout(tp=8, pp=16, sequence_parallel=True,
                                                                          num_microbatches=16))
    assert r["busiest_stage_layers"] == 8


def test_explicit_first_last_split_moves_the_busiest_stage():
    """An explicit split (cookbook.layout.split_layers) reaches step_time: 126 = 30 + 32 + 32 + 32 on 4 stages, or
    with 48 on the first stage 48 + 26 * 3."""
    m = get_preset("llama-3.1-405b")
    pr = TrainingProblem.build(m, 8192)
    lay = dict(tp=8, pp=4, sequence_parallel=True, num_microbatches=4)
    assert step_time(pr, H100, ParallelLayout(**lay, first_stage_layers=30))["busiest_stage_layers"] == 32
    heavy = step_time(pr, H100, ParallelLayout(**lay, first_stage_layers=48))
    assert heavy["busiest_stage_layers"] == 48
    assert heavy["step_time"] > step_time(pr, H100, ParallelLayout(**lay, first_stage_layers=30))["step_time"]
