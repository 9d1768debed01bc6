"""Efficiency factors (cookbook.efficiency): published defaults with sources, overrides, and our bench records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cookbook.efficiency import Efficiency, efficiency_for, from_bench_records
from cookbook.errors import CookbookError
from cookbook.hardware import GPU, get_gpu

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "results" / "cpu-epyc-2026-12-04"

# (gpu, matmul, hbm): mamf-finder (ml-engineering) over the datasheet peak; BabelStream Copy (Azure) over spec
PUBLISHED = [("H100-SXM", 794.5 / 989.5, 2.90 / 3.35), ("H200-SXM", 794.5 / 989.5, 4.01 / 4.8),
             ("A100-80GB-SXM", 271.2 / 312, 1.61 / 2.039), ("A100-40GB-SXM", 271.2 / 312, None),
             ("B200", 1745 / 2250, None)]


@pytest.mark.parametrize("gpu,matmul,hbm", PUBLISHED)
def test_published_defaults(gpu, matmul, hbm):
    e = efficiency_for(get_gpu(gpu))
    assert e.matmul == pytest.approx(matmul, abs=1e-4)
    if hbm is not None:
        assert e.hbm == pytest.approx(hbm, abs=1e-4)
    else:
        assert e.as_dict()["hbm"]["source"].startswith("assumed")
    assert all(v["source"] for v in e.as_dict().values())


def test_collective_latency_fit():
    """Alpha of the alpha-beta line through the two Azure AllReduce rows (busbw -> algbw by 2(n-1)/n, n = 8)."""
    s1, s2 = 2**20, 16 * 2**20
    t1, t2 = s1 / (43.70e9 / 1.75), s2 / (234.45e9 / 1.75)
    alpha = t1 - s1 * (t2 - t1) / (s2 - s1)
    assert efficiency_for(get_gpu("H100-SXM")).collective_latency == pytest.approx(alpha, rel=0.02)


def test_unknown_part_is_labelled_assumed():
    e = efficiency_for(get_gpu("RTX-4090")).as_dict()
    assert e["matmul"]["source"].startswith("assumed") and e["intra_link"]["source"].startswith("assumed")


def test_overrides_are_labelled():
    e = efficiency_for(get_gpu("H100-SXM")).with_overrides(hbm=0.7, matmul=None)
    assert e.hbm == 0.7 and e.as_dict()["hbm"]["source"] == "user-supplied"
    assert e.as_dict()["matmul"]["source"].startswith("stas00")


@pytest.mark.parametrize("kw", [dict(matmul=0), dict(hbm=1.2), dict(intra_link=-1), dict(collective_latency=-1e-6)])
def test_bad_factors(kw):
    base = dict(matmul=0.8, hbm=0.8, intra_link=0.8, inter_link=0.8)
    with pytest.raises(CookbookError):
        Efficiency(**{**base, **kw})


def _records(name):
    return [json.loads(line) for line in (RECORDS / f"{name}.jsonl").read_text().splitlines()]


def test_bench_records_replace_matmul_and_hbm():
    """Our CPU sample records (results/cpu-epyc-2026-12-04): a part whose peak is twice the best measured median
    gets factors of one half, labelled as ours; fp32 records do not count for bf16."""
    recs = _records("mamf") + _records("gemm") + _records("membw")
    flops = max(r["metrics"]["flop_per_s_median"] for r in recs
                if r["status"] == "ok" and r["benchmark"] in ("mamf", "gemm") and r["params"]["dtype"] == "bf16")
    bw = max(r["metrics"]["bytes_per_s_median"] for r in recs if r["status"] == "ok" and r["benchmark"] == "membw")
    host = GPU(name="epyc-sample", bf16=2 * flops, fp16=2 * flops, hbm_bytes=1 << 30, hbm_bandwidth=2 * bw,
               source="test")
    e = from_bench_records(efficiency_for(host), host, recs)
    assert e.matmul == pytest.approx(0.5, abs=1e-4) and e.hbm == pytest.approx(0.5, abs=1e-4)
    assert e.as_dict()["matmul"]["source"] == "our bench records (epyc-sample)"
    none = from_bench_records(efficiency_for(host), host, _records("membw"))
    assert none.matmul == efficiency_for(host).matmul


def test_fp8_uses_the_fp8_measurement():
    e = efficiency_for(get_gpu("H100-SXM"), "fp8")
    assert e.matmul == pytest.approx(1402.6 / 1979, abs=1e-4) and "FP8" in e.as_dict()["matmul"]["source"]
