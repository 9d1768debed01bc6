#!/usr/bin/env bash
# Single-GPU suite: GEMM + MAMF, attention, memory bandwidth, transformer layer, with publishable records.
#
#   bash bench/run_gpu_suite.sh [OUT_DIR]        # default results/<host>-<UTC time>
#
# Sized to finish in about 8 minutes on an H100/H200 (30 s MAMF warm-up + 10 s per other benchmark included).
# Status: written and syntax-checked on a CPU-only machine; NOT YET RUN on a GPU (see bench/README.md).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-results/$(hostname)-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
export CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES:-0}
python -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'no CUDA device: this suite is for a GPU')" || exit 2
{ nvidia-smi; nvidia-smi topo -m; nvidia-smi -q -d CLOCK,POWER,PERFORMANCE; } > "$OUT/nvidia-smi.txt" 2>&1 || true

failed=0
# --keep-going: a case that fails (e.g. a backend that rejects one shape) is recorded and the sweep goes on.
step() { echo "== $*" >&2; python -m bench "$@" --device cuda --publishable --keep-going --out "$OUT" || failed=$((failed + 1)); }

# 1. MAMF, mamf-finder's quick recipe (M 256..20480 step 256, N = K = 4096, bf16; 30 s warm-up, 50/100 iters),
#    then the published best shapes (ml-engineering: H100 bf16 794.5 TFLOP/s @2048x2048x13312; H200 fp8 1453.4
#    @1280x4096x12032) and a short fp8 search.
step mamf --M 0:20480:256 --N 4096 --K 4096 --dtypes bf16
step gemm --M 2048 --N 2048 --K 13312 --dtypes bf16,fp16,tf32,fp32 --device-warmup-s 10
step gemm --M 1280 --N 4096 --K 12032 --dtypes fp8 --device-warmup-s 5
step mamf --M 0:16384:2048 --N 4096,8192 --K 8192,12032 --dtypes fp8 --device-warmup-s 10
# 2. The GEMMs of one Llama-3-8B layer (and its logits) at 1 x 4096 tokens, every dtype, plus a BMM sweep.
step gemm --preset llama-3-8b --batch-size 1 --seq 4096 --dtypes bf16,fp16,tf32,fp32,fp8 --device-warmup-s 5
step bmm --batch 32,128 --M 4096 --N 4096 --K 128 --dtypes bf16 --device-warmup-s 5
# 3. Attention: every SDPA backend (+ flash-attn if installed), causal, GQA 32/8 heads of 128, fwd and fwd+bwd.
step attention --batch 2 --seq 1024,2048,4096,8192 --heads 32 --kv-heads 8 --head-dim 128 --dtypes bf16 \
     --causal true --passes fwd,fwd_bwd --device-warmup-s 5
# 4. HBM bandwidth: BabelStream kernels on 256 MiB .. 4 GiB arrays (spec H200 4.8 TB/s, H100 SXM 3.35 TB/s).
step membw --sizes 256M,1G,4G --kernels copy,scale,add,triad,dot --dtypes fp32 --device-warmup-s 5
# 5. One Llama-3-8B layer, bf16, forward and forward+backward, against cookbook.flops' per-layer FLOPs.
step layer --preset llama-3-8b --batch-size 1,2 --seq 2048,4096 --dtypes bf16 --passes fwd,fwd_bwd --device-warmup-s 5

python -m bench validate "$OUT"/*.jsonl || failed=$((failed + 1))
echo "records in $OUT; $failed step(s) failed" >&2
exit $(( failed > 0 ))
