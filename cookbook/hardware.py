"""Accelerator specifications as data: one frozen ``GPU`` row per part, each with its source.

Conventions:
- peak FLOP/s are **dense** (no 2:4 structured sparsity; datasheets that print the sparse figure are halved,
  and the row's ``note`` says so), per GPU (per OAM module for AMD: an MI250X is two GCDs in one package);
- ``fp32`` is the non-tensor (vector) FP32 rate on NVIDIA parts and the matrix FP32 rate on AMD Instinct parts
  (AMD's datasheets print both; the matrix rate is what a GEMM gets); ``None``: the format is not supported;
- memory capacity ``hbm_bytes`` in bytes, reading the datasheet's "80 GB" as 80 GiB (2^30 bytes): HBM/GDDR
  capacities are binary sizes (A100 80GB = 5 x 16 GiB stacks; nvidia-smi reports 81920 MiB), which matches what
  the driver reports to within ~1% on every row (less the ECC/firmware reserve);
- bandwidths in bytes/s: ``hbm_bandwidth``; ``intra_node_bandwidth`` per GPU, **one direction** (vendors print
  NVLink/Infinity Fabric as bidirectional totals, which are halved here); ``inter_node_bandwidth`` per GPU, one
  direction, for the vendor's reference node (NIC line rate, e.g. one 400 Gb/s NIC per GPU = 50e9 bytes/s);
  ``None`` where there is no reference multi-node design.
Lookup is by exact name (``get_gpu``); an unknown name lists the known ones. ``GPU(...)`` builds a custom part.
"""

from __future__ import annotations

from dataclasses import dataclass

from cookbook.errors import CookbookError

__all__ = ["GPU", "GPUS", "DTYPES", "get_gpu", "gpu_names"]

DTYPES = ("bf16", "fp16", "fp8", "tf32", "fp32")
T = 10**12  # TFLOP/s
GB = 10**9  # bytes/s (decimal, as vendors print bandwidths)
GIB = 2**30  # memory capacity unit (see module docstring)


@dataclass(frozen=True)
class GPU:
    """One accelerator. FLOP/s per dtype (dense), bytes, bytes/s; ``source`` is the datasheet URL."""

    name: str
    bf16: float
    hbm_bytes: int
    hbm_bandwidth: float
    source: str
    fp16: float | None = None
    fp8: float | None = None
    tf32: float | None = None
    fp32: float | None = None
    intra_node: str = ""
    intra_node_bandwidth: float | None = None
    inter_node_bandwidth: float | None = None
    inter_node_source: str = ""
    note: str = ""

    def __post_init__(self):
        for f in ("bf16", "hbm_bytes", "hbm_bandwidth"):
            _check_positive(f"{self.name}.{f}", getattr(self, f))
        for f in ("fp16", "fp8", "tf32", "fp32", "intra_node_bandwidth", "inter_node_bandwidth"):
            if getattr(self, f) is not None:
                _check_positive(f"{self.name}.{f}", getattr(self, f))

    def peak(self, dtype: str) -> float:
        """Dense peak FLOP/s for ``dtype`` (one of DTYPES)."""
        if dtype not in DTYPES:
            raise CookbookError(f"dtype must be one of {', '.join(DTYPES)}; got {dtype!r}")
        v = getattr(self, dtype)
        if v is None:
            have = [d for d in DTYPES if getattr(self, d) is not None]
            raise CookbookError(f"{self.name} has no {dtype} peak (not supported); use one of {', '.join(have)}")
        return v

    def as_dict(self) -> dict:
        return {f: getattr(self, f) for f in self.__dataclass_fields__}


def _check_positive(name: str, v) -> None:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0 or v == float("inf"):
        raise CookbookError(f"{name} must be a positive finite number, got {v!r}")


_A100 = ("https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a100/pdf/"
         "nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf")
_H100 = "https://resources.nvidia.com/en-us-tensor-core/nvidia-tensor-core-gpu-datasheet"
_H200 = "https://www.nvidia.com/en-us/data-center/h200/"
_HGX = "https://www.nvidia.com/en-us/data-center/hgx/"
_GB200 = "https://www.nvidia.com/en-us/data-center/gb200-nvl72/"
_MI250X = "https://www.amd.com/en/products/accelerators/instinct/mi200/mi250x.html"
_MI300X = ("https://www.amd.com/content/dam/amd/en/documents/instinct-tech-docs/data-sheets/"
           "amd-instinct-mi300x-data-sheet.pdf")
_MI325X = "https://www.amd.com/en/products/accelerators/instinct/mi300/mi325x.html"
_L40S = "https://resources.nvidia.com/en-us-l40s/l40s-datasheet-28413"
_ADA = "https://images.nvidia.com/aem-dam/Solutions/geforce/ada/nvidia-ada-gpu-architecture.pdf"
_TPU4 = "https://cloud.google.com/tpu/docs/v4"
_DGXA100 = "https://docs.nvidia.com/dgx/dgxa100-user-guide/introduction-to-dgxa100.html"
_DGXH100 = "https://docs.nvidia.com/dgx/dgxh100-user-guide/introduction-to-dgxh100.html"
_DGXB200 = "https://docs.nvidia.com/dgx/dgxb200-user-guide/introduction-to-dgxb200.html"
_FRONTIER = "https://docs.olcf.ornl.gov/systems/frontier_user_guide.html"
_MI300X_NODE = "https://www.amd.com/en/products/accelerators/instinct/mi300/platform.html"

_SPARSE = "datasheet tensor figures are with sparsity; dense = half"
_NVLINK3 = ("NVLink 3", 300 * GB)  # 600 GB/s bidirectional
_NVLINK4 = ("NVLink 4", 450 * GB)  # 900 GB/s bidirectional
_NVLINK5 = ("NVLink 5", 900 * GB)  # 1.8 TB/s bidirectional
_PCIE4 = ("PCIe Gen4 x16", 32 * GB)  # 64 GB/s bidirectional
_PCIE5 = ("PCIe Gen5 x16", 64 * GB)  # 128 GB/s bidirectional
_IB_HDR = (25 * GB, _DGXA100)  # one 200 Gb/s HDR InfiniBand NIC per GPU (DGX A100)
_IB_NDR = (50 * GB, _DGXH100)  # one 400 Gb/s NDR InfiniBand NIC per GPU (DGX H100/H200)


def _tf(x):
    """TFLOP/s as printed -> FLOP/s, an exact int (datasheets print at most 3 decimals)."""
    return None if x is None else round(x * 1000) * (T // 1000)


def _row(name, bf16, fp8, tf32, fp32, mem_gb, bw_gb, source, link, inter=(None, ""), fp16="bf16", note=""):
    return GPU(name=name, bf16=_tf(bf16), fp16=_tf(bf16 if fp16 == "bf16" else fp16), fp8=_tf(fp8), tf32=_tf(tf32),
               fp32=_tf(fp32),
               hbm_bytes=mem_gb * GIB, hbm_bandwidth=round(bw_gb * 10) * (GB // 10), source=source,
               intra_node=link[0], intra_node_bandwidth=link[1],
               inter_node_bandwidth=inter[0], inter_node_source=inter[1], note=note)


_ROWS = (
    _row("A100-40GB-SXM", 312, None, 156, 19.5, 40, 1555, _A100, _NVLINK3, _IB_HDR, note=_SPARSE),
    _row("A100-80GB-SXM", 312, None, 156, 19.5, 80, 2039, _A100, _NVLINK3, _IB_HDR, note=_SPARSE),
    _row("A100-80GB-PCIe", 312, None, 156, 19.5, 80, 1935, _A100, _PCIE4,
         note=_SPARSE + "; an NVLink bridge pairs two cards at 300 GB/s per direction"),
    _row("H100-SXM", 989.5, 1979, 494.5, 67, 80, 3350, _H100, _NVLINK4, _IB_NDR, note=_SPARSE),
    _row("H100-PCIe", 756.5, 1513, 378, 51, 80, 2000, _H100, _PCIE5,
         note=_SPARSE + "; an NVLink bridge pairs two cards at 300 GB/s per direction"),
    _row("H100-NVL", 835.5, 1670.5, 417.5, 60, 94, 3900, _H100, ("NVLink bridge (pairs)", 300 * GB),
         note=_SPARSE),
    _row("H200-SXM", 989.5, 1979, 494.5, 67, 141, 4800, _H200, _NVLINK4, (50 * GB, _DGXH100),
         note=_SPARSE + "; compute as H100 SXM"),
    _row("B200", 2250, 4500, 1125, 75, 180, 8000, _HGX, _NVLINK5, (50 * GB, _DGXB200),
         note="HGX B200 per-GPU share of the 8-GPU totals (36 PFLOPS BF16, 600 TFLOPS FP32); memory from DGX B200 "
              "(1,440 GB HBM3e, 64 TB/s); NVIDIA's Blackwell tech brief lists up to 7.7 TB/s per HGX B200 GPU; "
              + _SPARSE),
    _row("GB200", 2500, 5000, 1250, 80, 186, 8000, _GB200, _NVLINK5, (50 * GB, _GB200),
         note="GB200 NVL72 totals / 72 (13.4 TB HBM3e, 576 TB/s, 130 TB/s NVLink); " + _SPARSE),
    _row("MI250X", 383, None, None, 95.7, 128, 3276.8, _MI250X, ("Infinity Fabric (8 links)", 400 * GB),
         (25 * GB, _FRONTIER), note="one OAM = 2 GCDs; Frontier node: 4 MI250X, 4x200 Gb/s Slingshot; Infinity "
                                    "Fabric 8 links x 100 GB/s bidirectional (ml-engineering counts the 7 peer links "
                                    "of an 8-GPU node: 350 GB/s per direction)"),
    _row("MI300X", 1307.4, 2614.9, 653.7, 163.4, 192, 5300, _MI300X, ("Infinity Fabric (7 links)", 448 * GB),
         (50 * GB, _MI300X_NODE), note="dense (AMD prints sparsity separately); fp32 = matrix rate"),
    _row("MI325X", 1307.4, 2614.9, 653.7, 163.4, 256, 6000, _MI325X, ("Infinity Fabric (7 links)", 448 * GB),
         (50 * GB, _MI300X_NODE), note="compute as MI300X; fp32 = matrix rate"),
    _row("L40S", 362.05, 733, 183, 91.6, 48, 864, _L40S, _PCIE4, note=_SPARSE + "; GDDR6"),
    _row("RTX-4090", 165.2, 330.3, 82.6, 82.6, 24, 1008, _ADA, _PCIE4,
         note="Ada whitepaper Table 2, FP32-accumulate tensor rates (FP16-accumulate is 2x); GDDR6X"),
    _row("TPU-v4", 275, None, None, None, 32, 1200, _TPU4, ("ICI (3D torus)", None), fp16=None,
         note="one chip; bf16 matrix units, no published fp16/fp32 peak; used by PaLM (Chowdhery et al. 2022)"),
)
GPUS: dict[str, GPU] = {g.name: g for g in _ROWS}


def gpu_names() -> tuple:
    return tuple(GPUS)


def get_gpu(name: str) -> GPU:
    """The row named exactly ``name``; an unknown name lists the known ones."""
    if name not in GPUS:
        raise CookbookError(f"unknown gpu {name!r}; known: {', '.join(GPUS)}")
    return GPUS[name]
