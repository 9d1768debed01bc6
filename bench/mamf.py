"""Maximum Achievable Matmul FLOPs, as ml-engineering's mamf-finder.py (benchmark_version 2) measures it.

Same GEMM op, layout and cold-cache/C-reset method as ``bench.gemm``; mamf-finder's defaults: a 30 s device
warm-up on the first shape, 50 warm-up and 100 timed iterations per shape, the quick sweep M in 256..20480 step
256 with N = K = 4096. After the sweep one ``summary`` record names the best shape (by median time) and carries
that shape's samples; its metrics add the best-by-min and the arithmetic and geometric means over shapes.
"""

from __future__ import annotations

import math

from bench.gemm import GEMM, gemm_cases
from bench.harness import Benchmark, _record
from bench.stats import summarize

__all__ = ["MAMF", "mamf_cases", "write_summary", "MAMF_PLAN"]

MAMF = Benchmark("mamf", 1, "compute", {**GEMM.method, "search": "mamf-finder v2 method"}, GEMM.derive,
                 GEMM.summary)
MAMF_PLAN = {"warmup_iters": 50, "min_iters": 100, "max_iters": 100, "device_warmup_s": 30.0}


def mamf_cases(args, ctx):
    return gemm_cases(args, ctx)


def write_summary(ctx, results: list[dict]) -> dict | None:
    """Write the summary record of a MAMF search; returns it (None when nothing was measured)."""
    if not results:
        return None
    by_median = max(results, key=lambda r: r["metrics"]["flop_per_s_median"])
    by_min = max(results, key=lambda r: r["metrics"]["flop_per_s_best"])
    medians = [r["metrics"]["flop_per_s_median"] for r in results]
    metrics = {**by_median["metrics"],
               "best_shape_by_median": {k: by_median["params"][k] for k in ("m", "n", "k", "dtype")},
               "best_shape_by_min": {k: by_min["params"][k] for k in ("m", "n", "k", "dtype")},
               "max_flop_per_s_by_min": by_min["metrics"]["flop_per_s_best"],
               "arithmetic_mean_flop_per_s_median": sum(medians) / len(medians),
               "geometric_mean_flop_per_s_median": math.exp(sum(math.log(x) for x in medians) / len(medians)),
               "shapes_measured": len(results)}
    samples = by_median["samples"]
    params = {**by_median["params"], "kind": "summary"}
    _record(ctx, MAMF, params, "ok", stats=summarize(samples), samples=samples, metrics=metrics,
            wrong=sum(r["wrong"] or 0 for r in results), check={"method": "sum of the shapes' wrong counts"},
            method={"check": "sum over shapes"})
    return {"params": params, "metrics": metrics}
