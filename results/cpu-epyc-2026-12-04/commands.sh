#!/usr/bin/env bash
# The exact commands that produced the records in this folder (CPU reference set, 2026-12-04).
# Machine: shared 2-vCPU AMD EPYC KVM guest, no GPU; every compute benchmark runs with ONE torch thread so that
# a neighbour process on the other vCPU disturbs it less (recorded as provenance.software.torch_num_threads).
# Run from the repository root: bash results/cpu-epyc-2026-12-04/commands.sh
set -euo pipefail
OUT=results/cpu-epyc-2026-12-04
T="--threads 1 --device cpu --quiet"
uptime > "$OUT/load.txt"
# GEMM sweep over M (N = K = 512): CPU library blocking shows as steps in FLOP/s against M
python -m bench gemm --m 64:1024:32 --n 512 --k 512 --dtypes fp32,bf16 $T --out "$OUT"
# MAMF search (mamf-finder method: 50 warm-up, 100 timed iterations per shape): the "peak" of the predictions page
python -m bench mamf --m 128:1024:128 --n 512 --k 512 --dtypes fp32,bf16 $T --out "$OUT"
# the GEMMs of one GPT-2 (124M) layer and its logits, batch 1 x 512 tokens
python -m bench gemm --preset gpt2 --batch-size 1 --seq 512 --dtypes fp32,bf16 $T --out "$OUT"
# one GPT-2 layer, forward and forward+backward, the same tokens
python -m bench layer --preset gpt2 --batch-size 1 --seq 256,512 --dtypes fp32,bf16 --passes fwd,fwd_bwd $T --out "$OUT"
# SDPA attention against sequence length (B=1, H=8, d=64, causal), math and CPU flash kernels
python -m bench attention --backends math,flash --batch 1 --heads 8 --head-dim 64 --seq 128,256,512,1024,2048 \
  --dtypes fp32 --causal true --passes fwd,fwd_bwd $T --out "$OUT"
# STREAM kernels against array size (in cache to DRAM)
python -m bench membw --kernels copy,scale,add,triad,dot --sizes 16K,256K,4M,64M,256M --dtypes fp32 $T --out "$OUT"
# the six collectives over gloo (the first launch, with --quiet, hung in its first case with both ranks waiting
# and wrote no record; it was killed and this command re-run without --quiet, which completed in 61 s), 2 processes on this host (nccl-tests sizes 8 B .. 16 MiB, factor 4)
torchrun --nproc-per-node 2 --standalone -m bench comm --backend gloo --max-bytes 16M --step-factor 4 --threads 1 --device cpu --out "$OUT"
uptime >> "$OUT/load.txt"
