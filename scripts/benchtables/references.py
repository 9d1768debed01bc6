"""Figures published by others: shown only as labelled references with their source, never as our measurements.
Values as recorded in /work/shared/notes/benchmarks.md section (d), each with the source named there."""

from __future__ import annotations

__all__ = ["REFERENCES"]

# (metric, value, system / software, method, source)
REFERENCES = (
    ("BF16 dense matmul, MAMF (best-shape mean)", "794.5 TFLOP/s (80.3% of 989)", "H100 SXM, torch 2.7.0+cu126",
     "mamf-finder v2, L2 flush, 50 warm-up / 100 iterations",
     "stas00/ml-engineering, compute/accelerator/README.md (commit 744d01e)"),
    ("FP8 e4m3 matmul, MAMF", "1453.4 TFLOP/s (of 1979)", "H200 SXM, torch 2.7.1+cu128", "mamf-finder v2",
     "stas00/ml-engineering, compute/accelerator/README.md (commit 744d01e)"),
    ("all_reduce busbw, 8 GPUs, NVLS, 8 GiB", "478.87 GB/s", "Azure ND H100 v5, NCCL 2.18.5",
     "nccl-tests in-place, NCCL_ALGO=NVLS, -n 40", "Azure/AI-benchmarking-guide, Azure_Results (commit 8fd0c6e)"),
    ("all_reduce busbw, 8 GPUs, NVLS vs ring, 8 GiB", "473.1 vs 365.6 GB/s", "8 x H200, NCCL 2.27.7",
     "nccl-tests", "stas00/ml-engineering, network/README.md"),
    ("HBM bandwidth, BabelStream Copy", "2.90 TB/s (H100, spec 3.35); 4.01 TB/s (H200, spec 4.8)", "Azure ND v5",
     "BabelStream (CUDA)", "Azure/AI-benchmarking-guide, Azure_Results (commit 8fd0c6e)"),
    ("Attention forward, FlashAttention-3, BF16", "up to 840 TFLOP/s (85% of peak)", "H100 SXM",
     "flash-attention convention (4 B S^2 H d)",
     "Shah et al., FlashAttention-3, NeurIPS 2024, arXiv:2407.08608 (v1: FP16 up to 740 TFLOP/s, 75%)"),
)
