"""Correctness checks run outside the timed loop: count elements outside a tolerance, with a planting hook.

``plant`` (the ``--plant-wrong`` test hook) corrupts that many elements of the result before it is compared, so a
test can prove the count reaches the record.
"""

from __future__ import annotations

import math

import torch

from bench.device import unit_roundoff

__all__ = ["count_wrong", "gemm_tolerance"]


def count_wrong(got: torch.Tensor, ref: torch.Tensor, tol: torch.Tensor | float, plant: int = 0) -> int:
    """Elements with ``|got - ref| > tol`` (NaN and inf count as wrong) after planting ``plant`` errors."""
    got = got.detach().to(torch.float64).flatten().clone()
    ref = ref.detach().to(torch.float64).flatten()
    tol = torch.as_tensor(tol, dtype=torch.float64, device=got.device)
    tol = tol.flatten() if tol.numel() == got.numel() else tol.expand(got.shape)
    if plant:
        k = min(plant, got.numel())
        got[:k] = ref[:k] + 10 * tol[:k] + 1.0
    ok = (got - ref).abs() <= tol
    return int((~ok).sum().item())


def gemm_tolerance(a64: torch.Tensor, b64: torch.Tensor, ref: torch.Tensor, dtype_name: str, out_dtype, on_cuda: bool):
    """Element-wise bound for C = A @ B computed in ``dtype_name`` and compared with the float64 product ``ref``.

    ``|A||B|`` times (input rounding of TF32 + fp32 accumulation growing like sqrt(K), 8x margin) plus the output
    rounding, plus split-K partials rounded to the output type where cuBLAS may reduce in half precision.
    """
    k = a64.shape[-1]
    bound = a64.abs() @ b64.abs().transpose(-1, -2)
    u_in = 2.0 ** -11 if dtype_name == "tf32" else 0.0
    u_acc = unit_roundoff(torch.float32)
    u_out = unit_roundoff(out_dtype)
    tol = (2 * u_in + 8 * math.sqrt(k) * u_acc) * bound + 2 * u_out * ref.abs()
    if on_cuda and out_dtype in (torch.float16, torch.bfloat16):
        tol = tol + 4 * u_out * bound / math.sqrt(k)
    return tol + 1e-30
