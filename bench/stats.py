"""Summary statistics of raw time samples (seconds). Percentiles interpolate linearly (numpy's default)."""

from __future__ import annotations

import math
import statistics

__all__ = ["percentile", "summarize", "STAT_KEYS"]

STAT_KEYS = ("n", "min", "p10", "p25", "median", "mean", "p75", "p90", "p99", "max", "stdev", "cv", "iqr")


def percentile(sorted_xs: list[float], q: float) -> float:
    """The q-th percentile (0..100) of an already sorted, non-empty list."""
    pos = (len(sorted_xs) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_xs) - 1)
    return sorted_xs[lo] + (sorted_xs[hi] - sorted_xs[lo]) * (pos - lo)


def summarize(samples: list[float]) -> dict:
    """n, min, p10, p25, median, mean, p75, p90, p99, max, stdev (sample, 0 for n=1), cv, iqr of ``samples``."""
    if not samples:
        raise ValueError("no samples to summarize")
    xs = sorted(float(x) for x in samples)
    mean = statistics.fmean(xs)
    stdev = statistics.stdev(xs) if len(xs) > 1 else 0.0
    p = {q: percentile(xs, q) for q in (10, 25, 50, 75, 90, 99)}
    return {"n": len(xs), "min": xs[0], "p10": p[10], "p25": p[25], "median": p[50], "mean": mean,
            "p75": p[75], "p90": p[90], "p99": p[99], "max": xs[-1], "stdev": stdev,
            "cv": stdev / mean if mean > 0 else 0.0, "iqr": p[75] - p[25]}
