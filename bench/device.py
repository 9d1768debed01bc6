"""Device, dtype and cache helpers shared by the benchmarks (the only place that branches on CPU vs CUDA)."""

from __future__ import annotations

import os

import torch

__all__ = ["resolve_device", "DTYPES", "dtype_of", "synchronize", "is_oom", "Flusher", "unit_roundoff",
           "device_index", "fp8_available", "free_memory"]

# name -> (storage dtype, needs TF32 math). fp8 = e4m3 inputs through torch._scaled_mm, bf16 output.
DTYPES = {"fp64": torch.float64, "fp32": torch.float32, "tf32": torch.float32, "bf16": torch.bfloat16,
          "fp16": torch.float16, "fp8": getattr(torch, "float8_e4m3fn", None)}


def resolve_device(name: str = "auto") -> torch.device:
    """``auto``: the GPU of this process (``LOCAL_RANK``) when CUDA is available, else the CPU."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    dev = torch.device(name)
    if dev.type == "cuda":
        if dev.index is None:
            dev = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(dev)
    return dev


def device_index(dev: torch.device) -> int | None:
    return dev.index if dev.type == "cuda" else None


def dtype_of(name: str) -> torch.dtype:
    if name not in DTYPES or DTYPES[name] is None:
        raise ValueError(f"dtype {name!r} is not available; choose from {', '.join(k for k, v in DTYPES.items() if v)}")
    return DTYPES[name]


def unit_roundoff(dtype: torch.dtype) -> float:
    """u = eps / 2 of a floating dtype (2^-8 bf16, 2^-11 fp16, 2^-24 fp32)."""
    return torch.finfo(dtype).eps / 2


def synchronize(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def is_oom(exc: BaseException) -> bool:
    """CUDA's OutOfMemoryError, or the CPU allocator's "can't allocate memory" RuntimeError."""
    msg = str(exc).lower()
    return isinstance(exc, torch.OutOfMemoryError) or "out of memory" in msg or "can't allocate memory" in msg


def free_memory(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.empty_cache()


def fp8_available(dev: torch.device) -> tuple[bool, str]:
    """Whether ``torch._scaled_mm`` runs e4m3 inputs on this device (tried on a 16x16 GEMM)."""
    if DTYPES["fp8"] is None or not hasattr(torch, "_scaled_mm"):
        return False, "this torch has no float8_e4m3fn/_scaled_mm"
    if dev.type == "cuda" and torch.cuda.get_device_capability(dev) < (8, 9):
        return False, f"compute capability {torch.cuda.get_device_capability(dev)} < 8.9 has no FP8 tensor cores"
    try:
        a = torch.randn(16, 16, device=dev).to(DTYPES["fp8"])
        one = torch.ones((), device=dev)
        torch._scaled_mm(a, a.t(), one, one, out_dtype=torch.bfloat16)
    except Exception as e:  # RuntimeError/NotImplementedError from the kernel dispatcher
        return False, f"torch._scaled_mm failed: {type(e).__name__}: {str(e).splitlines()[0][:200]}"
    return True, ""


class Flusher:
    """Writes ``nbytes`` (a buffer larger than the last-level cache) to evict A, B and C between iterations."""

    def __init__(self, dev: torch.device, nbytes: int):
        self.nbytes = int(nbytes)
        self.buf = torch.empty(self.nbytes, dtype=torch.uint8, device=dev) if self.nbytes else None

    def __call__(self) -> None:
        if self.buf is not None:
            self.buf.zero_()


def default_flush_bytes(dev: torch.device) -> int:
    """256 MiB on GPUs (above every current L2, as mamf-finder and triton.do_bench), 64 MiB on CPUs."""
    return 256 * 2**20 if dev.type == "cuda" else 64 * 2**20
