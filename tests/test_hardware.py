"""The hardware table: every row sourced and sane, lookup and custom parts, and the dense bf16 peaks against two
independent peer tables (they are transcribed from the same datasheets, rounded to 3-4 significant figures)."""

from __future__ import annotations

import dataclasses

import pytest

from cookbook.errors import CookbookError
from cookbook.hardware import DTYPES, GPU, GPUS, get_gpu, gpu_names

REQUIRED = ("A100-40GB-SXM", "A100-80GB-SXM", "A100-80GB-PCIe", "H100-SXM", "H100-PCIe", "H100-NVL", "H200-SXM",
            "B200", "GB200", "MI250X", "MI300X", "MI325X", "L40S")

TORCHTITAN = "pytorch/torchtitan torchtitan/tools/utils.py get_peak_flops"
NANOCHAT = "karpathy/nanochat nanochat/common.py get_peak_flops (PR #147)"
# (our row, peer's dense bf16 FLOP/s, peer, relative tolerance = the peer's rounding)
PEER_BF16 = [
    ("A100-80GB-SXM", 312e12, TORCHTITAN, 0), ("A100-40GB-SXM", 312e12, TORCHTITAN, 0),
    ("H100-SXM", 989e12, TORCHTITAN, 6e-4), ("H100-PCIe", 756e12, TORCHTITAN, 7e-4),
    ("H100-NVL", 835e12, TORCHTITAN, 6e-4), ("H200-SXM", 989e12, TORCHTITAN, 6e-4),
    ("B200", 2.25e15, TORCHTITAN, 0), ("MI300X", 1300e12, TORCHTITAN, 6e-3), ("MI325X", 1300e12, TORCHTITAN, 6e-3),
    ("MI250X", 2 * 191.5e12, TORCHTITAN + " (per GCD; 2 GCDs per MI250X)", 0),
    ("GB200", 2.5e15, NANOCHAT, 0), ("L40S", 362e12, NANOCHAT, 2e-4), ("MI300X", 1.3074e15, NANOCHAT, 0),
    ("MI325X", 1.3074e15, NANOCHAT, 0), ("MI250X", 383e12, NANOCHAT, 0), ("RTX-4090", 165.2e12, NANOCHAT, 0),
]


@pytest.mark.parametrize("name,peer,source,tol", PEER_BF16, ids=[f"{r[0]}-{r[2].split('/')[1][:9]}" for r in PEER_BF16])
def test_bf16_peak_matches_peer_tables(name, peer, source, tol):
    assert get_gpu(name).peak("bf16") == pytest.approx(peer, rel=tol, abs=0)


def test_required_rows_present():
    assert set(REQUIRED) <= set(gpu_names())


@pytest.mark.parametrize("g", list(GPUS.values()), ids=list(GPUS))
def test_row_is_sourced_and_consistent(g):
    assert g.source.startswith("https://")
    assert g.inter_node_bandwidth is None or g.inter_node_source.startswith("https://")
    assert g.fp16 in (g.bf16, None)  # dense tensor-core rates are equal for the two 16-bit formats on every listed part
    if g.fp8 is not None:
        assert g.fp8 >= 1.9 * g.bf16  # fp8 doubles the 16-bit rate
    if g.tf32 is not None:
        assert 0.4 * g.bf16 <= g.tf32 <= 0.51 * g.bf16
    assert 10 * 2**30 < g.hbm_bytes < 300 * 2**30 and 500e9 < g.hbm_bandwidth < 10e12
    for d in DTYPES:
        v = getattr(g, d)
        assert v is None or isinstance(v, int)


def test_lookup_is_exact_and_unknown_lists_known():
    assert get_gpu("H100-SXM").hbm_bytes == 80 * 2**30
    with pytest.raises(CookbookError, match="known: .*H100-SXM"):
        get_gpu("h100")


def test_unsupported_dtype_names_the_alternatives():
    with pytest.raises(CookbookError, match="A100-80GB-SXM has no fp8 .*bf16"):
        get_gpu("A100-80GB-SXM").peak("fp8")
    with pytest.raises(CookbookError, match="dtype must be one of"):
        get_gpu("H100-SXM").peak("int4")


def test_custom_gpu_and_frozen():
    g = GPU(name="my-accel", bf16=100e12, fp16=100e12, hbm_bytes=64 * 10**9, hbm_bandwidth=2e12, source="lab")
    assert g.peak("bf16") == 100e12 and g.as_dict()["name"] == "my-accel"
    with pytest.raises(dataclasses.FrozenInstanceError):
        g.bf16 = 1
    for bad in (0, -1, float("nan"), float("inf"), True, "1e12"):
        with pytest.raises(CookbookError, match="my-accel.bf16"):
            GPU(name="my-accel", bf16=bad, hbm_bytes=1, hbm_bandwidth=1, source="lab")
