"""The roofline model: the time of an operation bounded by compute and by memory traffic.

Williams, Waterman and Patterson 2009, "Roofline: an insightful visual performance model". An operation doing
``flops`` FLOPs and moving ``nbytes`` bytes on a device with peak ``peak`` FLOP/s and memory bandwidth ``bandwidth``
bytes/s takes at least max(flops / peak, nbytes / bandwidth) seconds. Its arithmetic intensity is flops / nbytes;
the device's ridge point (NVIDIA's "ops:byte ratio") is peak / bandwidth: below it the operation is memory-bound,
above it compute-bound. Lower bounds only: no overlap losses, launch latency or efficiency below peak.

The time of whole inference steps, operation by operation, is cookbook.inference_time.
"""

from __future__ import annotations

from cookbook.errors import CookbookError

__all__ = ["ridge_point", "attainable", "roofline_time", "bound"]


def _pos(name: str, v) -> None:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0 or v == float("inf"):
        raise CookbookError(f"{name} must be a positive finite number, got {v!r}")


def ridge_point(peak: float, bandwidth: float) -> float:
    """FLOPs per byte at which compute time equals memory time: peak / bandwidth."""
    _pos("peak", peak)
    _pos("bandwidth", bandwidth)
    return peak / bandwidth


def attainable(intensity: float, peak: float, bandwidth: float) -> float:
    """Best FLOP/s at ``intensity`` FLOPs/byte: min(peak, intensity x bandwidth)."""
    _pos("intensity", intensity)
    ridge_point(peak, bandwidth)  # validates both
    return min(peak, intensity * bandwidth)


def roofline_time(flops: float, nbytes: float, peak: float, bandwidth: float) -> float:
    """Lower bound on seconds: max(flops / peak, nbytes / bandwidth)."""
    _pos("peak", peak)
    _pos("bandwidth", bandwidth)
    if flops < 0 or nbytes < 0:
        raise CookbookError(f"flops and nbytes must be >= 0, got {flops!r} and {nbytes!r}")
    return max(flops / peak, nbytes / bandwidth)


def bound(flops: float, nbytes: float, peak: float, bandwidth: float) -> str:
    """``"compute"`` or ``"memory"``: which term of the roofline is larger (ties count as compute)."""
    roofline_time(flops, nbytes, peak, bandwidth)  # validates the inputs
    return "compute" if flops / peak >= nbytes / bandwidth else "memory"

