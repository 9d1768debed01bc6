"""GEMM sizing: FLOPs and bytes of a matrix multiply, tile and wave quantization, Tensor Core alignment, and the
GEMMs of one transformer layer as (M, N, K) shapes.

BLAS naming, as in NVIDIA's "Matrix Multiplication Background User's Guide" (DU-09799-001, 2023):
C (M x N) = A (M x K) @ B (K x N); K is the reduction dimension. FLOPs = 2MNK (a multiply-add is 2 FLOPs; a bias or
an epilogue is not counted). Bytes = A + B + C, each read or written once (the guide's arithmetic-intensity model).

A GPU computes C in tiles of tile_m x tile_n outputs, one thread block per tile (guide, section 2.1). Tile
quantization: edge tiles are computed in full even when M or N is not a multiple of the tile. Wave quantization: the
GPU runs ``sms * tiles_per_sm`` tiles at a time (one wave), and a partial last wave takes as long as a full one
(guide, section 3). Both effects are ratios of useful to launched work, exact for a given tile shape; which tile
cuBLAS picks is up to its heuristics, so treat them as what a given tiling costs, not a prediction.
"""

from __future__ import annotations

from dataclasses import dataclass

from cookbook.errors import CookbookError
from cookbook.model import ModelConfig
from cookbook.shapes import layer_matrices, outer_matrices

__all__ = ["SM_COUNTS", "Gemm", "Quantization", "gemm_flops", "gemm_bytes", "arithmetic_intensity", "quantization",
           "ALIGNMENT_BYTES", "alignment_multiple", "pad_to_multiple", "layer_gemms", "logits_gemm"]

# Tensor Cores are used most efficiently when M, N and K are multiples of this many bytes (guide, section 2.2,
# table "Tensor Core requirements by cuBLAS or cuDNN version"): 16 bytes was the requirement before cuBLAS 11.0
# (e.g. 8 fp16 elements on V100); on A100 and later, multiples of 128 bytes (64 fp16 elements) are best.
ALIGNMENT_BYTES = {"v100": 16, "a100": 128}

# Streaming multiprocessors per GPU (the wave size with one tile per SM), keyed like cookbook.hardware's names.
SM_COUNTS = {
    "A100-40GB-SXM": (108, "NVIDIA A100 Tensor Core GPU Architecture whitepaper (2020): 108 SMs"),
    "A100-80GB-SXM": (108, "NVIDIA A100 Tensor Core GPU Architecture whitepaper (2020): 108 SMs"),
    "H100-SXM": (132, "NVIDIA H100 Tensor Core GPU Architecture whitepaper (2022): 132 SMs (SXM5)"),
    "H100-PCIe": (114, "NVIDIA H100 Tensor Core GPU Architecture whitepaper (2022): 114 SMs (PCIe)"),
    "H200-SXM": (132, "NVIDIA H200: the same GH100 configuration as H100 SXM5, 132 SMs"),
}


def _pos(name: str, v) -> None:
    if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
        raise CookbookError(f"{name} must be a positive integer, got {v!r}")


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


def gemm_flops(m: int, n: int, k: int, batch: int = 1) -> int:
    """2MNK FLOPs for each of ``batch`` independent GEMMs."""
    for name, v in (("m", m), ("n", n), ("k", k), ("batch", batch)):
        _pos(name, v)
    return 2 * m * n * k * batch


def gemm_bytes(m: int, n: int, k: int, element_bytes: int, batch: int = 1) -> int:
    """Bytes of A, B and C read or written once: (MK + KN + MN) x element bytes, for each of ``batch`` GEMMs."""
    for name, v in (("m", m), ("n", n), ("k", k), ("element_bytes", element_bytes), ("batch", batch)):
        _pos(name, v)
    return (m * k + k * n + m * n) * element_bytes * batch


def arithmetic_intensity(m: int, n: int, k: int, element_bytes: int) -> float:
    """FLOPs per byte of a GEMM: 2MNK / ((MK + KN + MN) x element bytes)."""
    return gemm_flops(m, n, k) / gemm_bytes(m, n, k, element_bytes)


@dataclass(frozen=True)
class Gemm:
    """One GEMM shape of a model: ``batch`` independent products C (m x n) = A (m x k) @ B (k x n)."""

    name: str
    m: int
    n: int
    k: int
    batch: int = 1

    def __post_init__(self):
        for f in ("m", "n", "k", "batch"):
            _pos(f"{self.name}.{f}", getattr(self, f))

    @property
    def flops(self) -> int:
        return gemm_flops(self.m, self.n, self.k, self.batch)

    def bytes(self, element_bytes: int) -> int:
        return gemm_bytes(self.m, self.n, self.k, element_bytes, self.batch)

    def intensity(self, element_bytes: int) -> float:
        return arithmetic_intensity(self.m, self.n, self.k, element_bytes)


@dataclass(frozen=True)
class Quantization:
    """Tiles and waves of one GEMM on one GPU; ``efficiency`` = useful / launched tile area-time."""

    tiles: int
    waves: int
    tile_efficiency: float
    wave_efficiency: float

    @property
    def efficiency(self) -> float:
        return self.tile_efficiency * self.wave_efficiency


def quantization(m: int, n: int, tile_m: int, tile_n: int, sms: int, tiles_per_sm: int = 1,
                 batch: int = 1) -> Quantization:
    """Tile and wave quantization of ``batch`` GEMMs with M x N outputs on a GPU with ``sms`` SMs.

    tiles = ceil(M / tile_m) * ceil(N / tile_n) * batch; tile efficiency = M N batch / (tiles tile_m tile_n);
    waves = ceil(tiles / (sms * tiles_per_sm)); wave efficiency = tiles / (waves * sms * tiles_per_sm).
    """
    for name, v in (("m", m), ("n", n), ("tile_m", tile_m), ("tile_n", tile_n), ("sms", sms),
                    ("tiles_per_sm", tiles_per_sm), ("batch", batch)):
        _pos(name, v)
    tiles = _ceil(m, tile_m) * _ceil(n, tile_n) * batch
    per_wave = sms * tiles_per_sm
    waves = _ceil(tiles, per_wave)
    return Quantization(tiles=tiles, waves=waves, tile_efficiency=m * n * batch / (tiles * tile_m * tile_n),
                        wave_efficiency=tiles / (waves * per_wave))


def alignment_multiple(element_bytes: int, rule: str = "a100") -> int:
    """Elements per Tensor Core alignment unit: 8 (v100) or 64 (a100) for 2-byte types."""
    _pos("element_bytes", element_bytes)
    if rule not in ALIGNMENT_BYTES:
        raise CookbookError(f"alignment rule must be one of {', '.join(ALIGNMENT_BYTES)}; got {rule!r}")
    if ALIGNMENT_BYTES[rule] % element_bytes:
        raise CookbookError(f"element_bytes ({element_bytes}) must divide {ALIGNMENT_BYTES[rule]}; use 1, 2, 4 or 8")
    return ALIGNMENT_BYTES[rule] // element_bytes


def pad_to_multiple(dim: int, multiple: int) -> int:
    """The smallest multiple of ``multiple`` that is >= ``dim`` (e.g. a padded vocabulary)."""
    _pos("dim", dim)
    _pos("multiple", multiple)
    return _ceil(dim, multiple) * multiple


def _split(name: str, value: int, tp: int) -> int:
    if value % tp:
        raise CookbookError(f"{name} ({value}) is not divisible by the tensor-parallel size ({tp}); "
                            f"pick a tensor-parallel size that divides {value}")
    return value // tp


def layer_gemms(m: ModelConfig, batch: int, seq: int, tp: int = 1) -> tuple[Gemm, ...]:
    """The forward GEMMs of one dense decoder layer on one tensor-parallel rank, for ``batch`` sequences of ``seq``.

    Layout as in Megatron-LM (Shoeybi et al. 2019): fused QKV and fused gate+up projections split by columns across
    ``tp`` ranks, attention output and MLP down split by rows; attention runs as batched GEMMs over B*H/tp heads
    with the full S x S scores (no causal skipping, no sliding window). Biases, norms, softmax, activations and
    RoPE are not GEMMs and are not listed. The backward pass runs two GEMMs of the same size per forward GEMM.
    """
    _pos("batch", batch)
    _pos("seq", seq)
    _pos("tp", tp)
    if m.mla is not None or m.moe is not None:
        raise CookbookError("layer_gemms covers dense attention layers; MLA and MoE layers are not supported yet")
    w = {x.name: x for x in layer_matrices(m, 0)}  # cookbook.shapes: rows = output, cols = input features
    t, fused_up = batch * seq, [w[n] for n in ("gate", "up") if n in w]
    heads = _split("num_heads", m.num_heads, tp)
    qkv = _split("(H + 2K) d_h", sum(w[n].rows for n in ("q", "k", "v")), tp)
    up = _split("MLP width", sum(x.rows for x in fused_up), tp)
    return (
        Gemm("qkv", t, qkv, w["q"].cols),
        Gemm("scores", seq, seq, m.head_size, batch * heads),
        Gemm("context", seq, m.v_head_size, seq, batch * heads),
        Gemm("attn_out", t, w["o"].rows, w["o"].cols // tp),
        Gemm("mlp_up", t, up, w["up"].cols),
        Gemm("mlp_down", t, w["down"].rows, _split("ffn_size", w["down"].cols, tp)),
    )


def logits_gemm(m: ModelConfig, batch: int, seq: int, tp: int = 1) -> Gemm:
    """The lm_head GEMM: B*S tokens x D -> the (padded) vocabulary, split by columns across ``tp`` ranks."""
    _pos("batch", batch)
    _pos("seq", seq)
    head = next(x for x in outer_matrices(m) if x.name == "lm_head")  # tied or not: V x E
    return Gemm("logits", batch * seq, _split("vocab rows", head.rows, tp), head.cols)
