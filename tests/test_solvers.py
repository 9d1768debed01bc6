"""Solvers: limits are exact (the limit fits, one more step does not) and layouts all fit and are valid."""

import pytest

from cookbook.inference_memory import inference_memory
from cookbook.layout import ParallelLayout
from cookbook.memory import training_memory
from cookbook.presets import get_preset
from cookbook.solvers import (fewest_gpus_serving, fewest_gpus_training, largest_fitting, layouts_that_fit,
                              max_micro_batch, max_serving_batch, max_serving_context, max_train_context)

GIB = 2**30


def test_largest_fitting_is_exact():
    for limit in (0, 1, 5, 64, 1000, 12345):
        assert largest_fitting(lambda n: n <= limit) == limit
    assert largest_fitting(lambda n: n <= 1000, step=8) == 1000
    assert largest_fitting(lambda n: n <= 1003, step=8) == 1000


def test_max_micro_batch_and_context_are_tight():
    m = get_preset("llama-2-7b")
    lay = ParallelLayout(dp=8, zero=3)
    cap = 80 * GIB
    b = max_micro_batch(m, cap, lay, 4096, recompute="full")
    assert b >= 1
    assert training_memory(m, ParallelLayout(dp=8, zero=3, micro_batch=b), 4096, recompute="full")["total"] <= cap
    assert training_memory(m, ParallelLayout(dp=8, zero=3, micro_batch=b + 1), 4096, recompute="full")["total"] > cap
    s = max_train_context(m, cap, lay, recompute="full")
    assert training_memory(m, lay, s, recompute="full")["total"] <= cap < training_memory(m, lay, s + 1,
                                                                                          recompute="full")["total"]


def test_serving_limits_are_tight():
    m = get_preset("llama-3-8b")
    cap = 24 * GIB
    c = max_serving_context(m, cap, 1)
    assert inference_memory(m, 1, c)["total"] <= cap < inference_memory(m, 1, c + 1)["total"]
    b = max_serving_batch(m, cap, 4096)
    assert inference_memory(m, b, 4096)["total"] <= cap < inference_memory(m, b + 1, 4096)["total"]


def test_fewest_gpus():
    m = get_preset("llama-3-8b")
    r = fewest_gpus_serving(m, 16 * GIB, 1, 1024)
    assert r["gpus"] == 2  # 14.96 GiB of bf16 weights + KV + overhead does not fit one 16 GiB GPU
    t = fewest_gpus_training(m, 80 * GIB, 4096, recompute="full")
    assert t["gpus"] >= 2 and t["total"] <= 80 * GIB


def test_layouts_that_fit_are_valid_and_fit():
    m = get_preset("llama-3-8b")
    fits = layouts_that_fit(m, 16, 80 * GIB, 4096, recompute="selective")
    assert fits
    for f in fits:
        lay = ParallelLayout(**f["layout"])
        assert lay.world_size == 16
        assert f["total"] == training_memory(m, lay, 4096, recompute="selective")["total"] <= 80 * GIB
    assert [f["total"] for f in fits] == sorted(f["total"] for f in fits)


@pytest.mark.parametrize("mode", ["micro_batch", "train_context", "serving_batch", "serving_context",
                                  "fewest_gpus_training", "fewest_gpus_serving", "layouts"])
def test_fit_calculator_matches_the_solvers(mode):
    from cookbook import calculators
    inputs = {"preset": "llama-3-8b", "mode": mode, "capacity_gib": 80, "dp": 8, "zero": 3, "seq": 4096,
              "context": 8192, "recompute": "full", "world_size": 8, "overhead_gib": 1}
    r = calculators.run("fit", inputs)
    m, lay = get_preset("llama-3-8b"), ParallelLayout(dp=8, zero=3)
    kw = dict(recompute="full")
    expected = {
        "micro_batch": lambda: max_micro_batch(m, 80 * GIB, lay, 4096, **kw),
        "train_context": lambda: max_train_context(m, 80 * GIB, lay, **kw),
        "serving_batch": lambda: max_serving_batch(m, 80 * GIB, 8192),
        "serving_context": lambda: max_serving_context(m, 80 * GIB, 1),
        "fewest_gpus_training": lambda: fewest_gpus_training(m, 80 * GIB, 4096, **kw),
        "fewest_gpus_serving": lambda: fewest_gpus_serving(m, 80 * GIB, 1, 8192),
        "layouts": lambda: layouts_that_fit(m, 8, 80 * GIB, 4096, **kw),
    }[mode]()
    assert r["answer"] == expected
    assert calculators.rows("fit", r)
