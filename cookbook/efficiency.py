"""Efficiency factors: the fraction of a datasheet peak that real kernels reach, explicit and sourced.

Every time estimate in cookbook.inference_time and cookbook.train_time divides by ``peak x efficiency``; nothing
else scales a time. Each factor carries its ``source`` so a page or a JSON result can say where it came from:

- ``matmul``: achievable fraction of the dense tensor peak for large matmuls: mamf-finder's Maximum Achievable
  Matmul FLOP/s (best shape, mean of 100 iterations) over the datasheet peak, from ml-engineering's published table
  (stas00/ml-engineering ``compute/accelerator/README.md``). It is an upper bound for a model's matmuls.
- ``hbm``: achievable fraction of HBM bandwidth: BabelStream Copy over the datasheet bandwidth (Azure
  AI-benchmarking-guide, ND H100 v5 and ND H200 v5 results).
- ``intra_link`` / ``inter_link``: nccl-tests busbw at large sizes over the link's one-direction bandwidth
  (ring AllGather/ReduceScatter on 8 x H200: 361-363 of 450 GB/s; 4-node AllReduce on B200 over EFA: 74 % of
  the NIC line rate), both from ml-engineering ``network/README.md``.
- ``collective_latency``: seconds added to every collective call (the alpha of an alpha-beta model), fitted to
  the Azure ND H100 v5 nccl-tests AllReduce rows at 1 MiB (43.70 GB/s busbw) and 16 MiB (234.45 GB/s): 36 us
  with nccl-tests' 2(n-1)/n busbw factor (16 us if the run used the NVLS factor).

Parts without a measurement of their own get ``ASSUMED`` and say so (``source`` starts with "assumed").
``from_bench_records`` replaces the published values by our own ``bench/`` records when there are some.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from cookbook.errors import CookbookError
from cookbook.hardware import GPU

__all__ = ["Efficiency", "efficiency_for", "from_bench_records", "ASSUMED", "FIELDS"]

FIELDS = ("matmul", "hbm", "intra_link", "inter_link")
_MLENG = "stas00/ml-engineering compute/accelerator/README.md (mamf-finder, BF16 unless noted)"
_AZURE = "Azure/AI-benchmarking-guide ND A100 v4 / ND H100 v5 / ND H200 v5 results (BabelStream Copy)"
_NET = "stas00/ml-engineering network/README.md (nccl-tests busbw at 16 GiB over one-direction link bandwidth)"
_LAT = ("alpha of an alpha-beta fit to Azure ND H100 v5 nccl-tests AllReduce (8 GPUs, NVLS) at 1 MiB (43.70 GB/s "
        "busbw) and 16 MiB (234.45 GB/s), busbw = algbw x 2(n-1)/n: 36 us (16 us if that run used the NVLS "
        "factor (n-1)/(n+1))")


@dataclass(frozen=True)
class Efficiency:
    """Fractions of peak in (0, 1] and a per-collective latency in seconds, each with its source."""

    matmul: float
    hbm: float
    intra_link: float
    inter_link: float
    collective_latency: float = 36e-6
    sources: tuple = ()

    def __post_init__(self):
        for f in FIELDS:
            v = getattr(self, f)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v <= 1:
                raise CookbookError(f"efficiency {f} must be a fraction in (0, 1], got {v!r}; e.g. 0.8 for 80 %")
        lat = self.collective_latency
        if isinstance(lat, bool) or not isinstance(lat, (int, float)) or not 0 <= lat < 1:
            raise CookbookError(f"collective_latency must be seconds in [0, 1), got {lat!r}; e.g. 36e-6")

    def source(self, name: str) -> str:
        return dict(self.sources).get(name, "user-supplied")

    def with_overrides(self, **values) -> "Efficiency":
        """A copy with some factors replaced (None: keep); replaced ones are labelled user-supplied."""
        given = {k: v for k, v in values.items() if v is not None}
        src = tuple((k, s) for k, s in self.sources if k not in given)
        return replace(self, sources=src + tuple((k, "user-supplied") for k in given), **given)

    def as_dict(self) -> dict:
        src = dict(self.sources)
        return {k: {"value": getattr(self, k), "source": src.get(k, "user-supplied")}
                for k in FIELDS + ("collective_latency",)}


ASSUMED = "assumed (no published measurement for this part): "

# (MAMF TFLOP/s, peak TFLOP/s, note) from ml-engineering's table, keyed by our hardware row names
_MAMF = {
    "A100-40GB-SXM": (271.2, 312, "A100 SXM"), "A100-80GB-SXM": (271.2, 312, "A100 SXM"),
    "H100-SXM": (794.5, 989.5, "H100 SXM"), "H200-SXM": (794.5, 989.5, "H100 SXM; 'H200 is the same'"),
    "B200": (1745, 2250, "B200"), "GB200": (1822, 2500, "GB200"), "MI300X": (668.4, 1307.4, "MI300X, TunableOp"),
    "MI325X": (784.9, 1307.4, "MI325X"),
}
# FP8 (e4m3) MAMF: (TFLOP/s, peak, note)
_MAMF_FP8 = {
    "H100-SXM": (1402.6, 1979, "H100 SXM FP8 e4m3, torch 2.7.0"),
    "H200-SXM": (1453.4, 1979, "H200 SXM FP8 e4m3, torch 2.7.1"),
    "B200": (3432.5, 4500, "B200 FP8 e4m3"),
}
# BabelStream Copy TB/s over spec TB/s
_HBM = {"A100-80GB-SXM": (1.61, 2.039), "H100-SXM": (2.90, 3.35), "H200-SXM": (4.01, 4.8)}
_NVLINK = (362.0 / 450, f"{_NET}: 8 x H200 AllGather/ReduceScatter ring 361-363 of 450 GB/s")
_NIC = (0.74, f"{_NET}: 4 x 8 B200 AllReduce over EFA, NIC share 36.95 of 50 GB/s")
_DEFAULT_MATMUL = 0.80
_DEFAULT_HBM = 0.85


def efficiency_for(gpu: GPU, dtype: str = "bf16") -> Efficiency:
    """The default factors for ``gpu`` computing in ``dtype``: published measurements of that part where there
    are some (the FP8 mamf-finder result for ``fp8``, the BF16 one otherwise), else the ASSUMED values."""
    src = []
    table = _MAMF_FP8 if dtype == "fp8" else _MAMF
    if gpu.name in table:
        mamf, peak, note = table[gpu.name]
        matmul = round(mamf / peak, 4)
        src.append(("matmul", f"{_MLENG}: {note} {mamf} of {peak} TFLOP/s"))
    else:
        matmul = _DEFAULT_MATMUL
        src.append(("matmul", ASSUMED + "0.80, the H100 SXM BF16 mamf-finder fraction (794.5 / 989.5)"))
    if gpu.name in _HBM:
        got, spec = _HBM[gpu.name]
        hbm = round(got / spec, 4)
        src.append(("hbm", f"{_AZURE}: {got} of {spec} TB/s"))
    else:
        hbm = _DEFAULT_HBM
        src.append(("hbm", ASSUMED + "0.85, between the A100 80GB (0.790), H100 (0.866) and H200 (0.835) BabelStream Copy fractions"))
    nv = gpu.intra_node.startswith("NVLink")
    src.append(("intra_link", _NVLINK[1] if nv else ASSUMED + "the NVLink ring fraction 0.80"))
    src.append(("inter_link", _NIC[1]))
    src.append(("collective_latency", _LAT))
    return Efficiency(matmul=matmul, hbm=hbm, intra_link=round(_NVLINK[0], 4), inter_link=_NIC[0],
                      sources=tuple(src))


def from_bench_records(base: Efficiency, gpu: GPU, records, dtype: str = "bf16") -> Efficiency:
    """``base`` with ``matmul`` and ``hbm`` replaced by the best median of our bench records measured on ``gpu``
    (JSON dicts from bench/ JSON-lines files of that GPU: ``mamf``/``gemm`` give ``flop_per_s_median`` at
    ``params.dtype`` == ``dtype``, over ``gpu.peak(dtype)``; ``membw`` gives ``bytes_per_s_median``).

    Records not ``ok`` or without the metric are ignored; a factor with no usable record keeps its published
    value and source."""
    best = {"matmul": 0.0, "hbm": 0.0}
    for r in records:
        if r.get("status") != "ok":
            continue
        met = r.get("metrics") or {}
        if r.get("benchmark") in ("mamf", "gemm") and met.get("flop_per_s_median"):
            if (r.get("params") or {}).get("dtype") == dtype:
                best["matmul"] = max(best["matmul"], met["flop_per_s_median"] / gpu.peak(dtype))
        if r.get("benchmark") == "membw" and met.get("bytes_per_s_median"):
            best["hbm"] = max(best["hbm"], met["bytes_per_s_median"] / gpu.hbm_bandwidth)
    out = base
    for k, v in best.items():
        if 0 < v <= 1:
            src = tuple((n, s) for n, s in out.sources if n != k) + ((k, f"our bench records ({gpu.name})"),)
            out = replace(out, sources=src, **{k: round(v, 4)})
    return out
