"""Layout planner (cookbook.planner): its answer equals a brute-force search, every layout it returns fits by
the memory model, candidates are valid, the calculator and CLI. Speed is benchmarked in
scripts/bench_planner.py, not asserted here."""

from __future__ import annotations

import json

import pytest

from cookbook.calculators import run
from cookbook.cli import main
from cookbook.hardware import get_gpu
from cookbook.memory import training_memory
from cookbook.planner import candidates, plan
from cookbook.presets import get_preset
from cookbook.train_time import TrainingProblem, step_time

H100 = get_gpu("H100-SXM")
GIB = 1 << 30


def brute_force(m, gpus, batch, seq, cap, top):
    pr = TrainingProblem.build(m, seq)
    rows = []
    for lay, rec in candidates(m, gpus, gpus, batch, seq):  # one node of ``gpus`` GPUs
        mem = training_memory(m, lay, seq, recompute=rec)["total"]
        if mem <= cap:
            rows.append((step_time(pr, H100, lay, rec, gpus_per_node=gpus)["step_time"], lay, rec))
    rows.sort(key=lambda r: r[0])
    return rows[:top], len(rows)


@pytest.mark.parametrize("cap_gib", [12, 40])
def test_plan_equals_brute_force(cap_gib):
    m = get_preset("llama-3.2-1b")
    cap = cap_gib * GIB
    want, n_fit = brute_force(m, 4, 8, 2048, cap, 6)
    got = plan(m, H100, 4, 1, 8, 2048, capacity=cap, top=6)
    assert n_fit >= 6
    assert [e["step_time"] for e in got["best"]] == pytest.approx([t for t, _, _ in want], rel=1e-12)
    assert got["counts"]["candidates"] == sum(1 for _ in candidates(m, 4, 4, 8, 2048))
    full = plan(m, H100, 4, 1, 8, 2048, capacity=cap, top=6, exhaustive=True)
    assert full["counts"]["fit_among_checked"] == n_fit
    assert [e["layout"] for e in full["best"]] == [e["layout"] for e in got["best"]]


def test_returned_layouts_fit_and_are_sorted():
    m = get_preset("llama-3-8b")
    r = plan(m, H100, 8, 2, 64, 4096, top=8)
    times = [e["step_time"] for e in r["best"]]
    assert times == sorted(times) and len(times) == 8
    for e in r["best"]:
        L = dict(e["layout"])
        from cookbook.layout import ParallelLayout
        mem = training_memory(m, ParallelLayout(**L), 4096, recompute=e["recompute"])["total"]
        assert mem == e["memory_per_gpu"] <= r["capacity"]
        assert L["tp"] * L["pp"] * L["dp"] * L["cp"] == 16
        assert L["micro_batch"] * L["num_microbatches"] * L["dp"] == 64
        assert e["explanation"].startswith(f"tp={L['tp']} pp={L['pp']}")
    assert "slower than the best" in r["best"][1]["explanation"]


def test_candidates_are_valid_layouts():
    m = get_preset("mixtral-8x7b")
    seen = 0
    for lay, rec in candidates(m, 32, 8, 64, 4096):
        lay.check(m, 4096, world_size=32)
        assert lay.tp <= 8 and rec in ("none", "selective", "full")
        assert 64 % lay.dp == 0
        seen += 1
    eps = {lay.ep for lay, _ in candidates(m, 32, 8, 64, 4096)}
    assert seen > 1000 and eps == {1, 2, 4, 8}


def test_nothing_fits():
    m = get_preset("llama-3-70b")
    r = plan(m, H100, 8, 1, 8, 4096, capacity=4 * GIB)
    assert r["best"] == []


def test_calculator_and_cli(capsys):
    r = run("plan", {"preset": "llama-3.2-1b", "nodes": 1, "global_batch": 16, "seq": 2048, "top": 3})
    assert len(r["best"]) == 3 and r["counts"]["candidates"] > 100
    assert main(["plan", "--preset", "llama-3.2-1b", "--global-batch", "16", "--seq", "2048", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["best"][0]["step_time"] == pytest.approx(r["best"][0]["step_time"], rel=0.5)
    assert main(["plan", "--preset", "llama-3-70b", "--capacity-gib", "4", "--global-batch", "8"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no layout" in err[0]


def test_equal_time_prefers_less_memory():
    """Layouts the model times equally (e.g. ZeRO-1 and ZeRO-2 when gradient traffic is the same) come
    less-memory first."""
    r = plan(get_preset("llama-3-8b"), H100, 8, 1, 256, 4096, top=10)
    ties = [(a, b) for a, b in zip(r["best"], r["best"][1:]) if a["step_time"] == b["step_time"]]
    assert ties, "expected at least one tie among the best layouts of this case"
    assert all(a["memory_per_gpu"] <= b["memory_per_gpu"] for a, b in ties)


def test_plan_equals_brute_force_uneven_pipeline():
    """18 layers on 4 GPUs: pp = 4 does not divide them and is split 4 + 5 + 5 + 4 (cookbook.layout.balanced_split)."""
    import dataclasses
    m = dataclasses.replace(get_preset("llama-3.2-1b"), num_layers=18)
    cap = 40 * GIB
    splits = {(lay.pp, lay.first_stage_layers, lay.last_stage_layers) for lay, _ in candidates(m, 4, 4, 8, 2048)}
    assert splits == {(1, None, None), (2, None, None), (4, 4, 4)}
    want, n_fit = brute_force(m, 4, 8, 2048, cap, 6)
    got = plan(m, H100, 4, 1, 8, 2048, capacity=cap, top=6)
    assert [e["step_time"] for e in got["best"]] == pytest.approx([t for t, _, _ in want], rel=1e-12)
    full = plan(m, H100, 4, 1, 8, 2048, capacity=cap, top=1000, exhaustive=True)
    assert full["counts"]["fit_among_checked"] == n_fit == len(full["best"])
    assert {e["layout"]["first_stage_layers"] for e in full["best"] if e["layout"]["pp"] == 4} == {4}


def test_llama_405b_on_16384_h100_gets_pp16():
    """Llama 3 405B (126 layers) on 2048 x 8 H100, seq 8192, 2048 sequences per step (16M tokens; Llama 3 paper
    Table 4 uses TP 8, PP 16): pp = 16 layouts are candidates with 7 layers on the first and last stages, and
    some fit and rank among the best 40 (the fastest predicted here use pp = 64)."""
    m = get_preset("llama-3.1-405b")
    pp16 = {(lay.first_stage_layers, lay.last_stage_layers)
            for lay, _ in candidates(m, 16384, 8, 2048, 8192) if lay.pp == 16}
    assert pp16 == {(7, 7)}
    r = plan(m, H100, 8, 2048, 2048, 8192, top=40)
    hits = [e for e in r["best"] if e["layout"]["pp"] == 16]
    assert hits
    for e in hits:
        L = e["layout"]
        assert (L["first_stage_layers"], L["last_stage_layers"]) == (7, 7)
        assert "(first 7, last 7 layers)" in e["explanation"]
        from cookbook.layout import ParallelLayout
        mem = training_memory(m, ParallelLayout(**L), 8192, recompute=e["recompute"])["total"]
        assert mem == e["memory_per_gpu"] <= r["capacity"]
