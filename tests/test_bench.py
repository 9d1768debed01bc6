"""bench/ end to end on the CPU: every benchmark at tiny sizes writes records the schema validator accepts; a planted
wrong result reaches ``wrong``; a failure mid-sweep keeps the earlier records; an OOM is recorded and the sweep goes
on. Collectives run as real processes under ``torchrun --nproc-per-node 2`` with gloo."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from bench.cli import main  # noqa: E402
from bench.schema import validate, validate_file  # noqa: E402
from cookbook import comm  # noqa: E402

pytestmark = pytest.mark.torch
ROOT = Path(__file__).resolve().parent.parent
FAST = ["--device", "cpu", "--device-warmup-s", "0.01", "--warmup-iters", "1", "--min-iters", "3", "--max-iters", "5",
        "--min-time-s", "0", "--quiet"]
TINY = {
    "gemm": ["--m", "16,32", "--n", "24", "--k", "40", "--dtypes", "fp32,bf16,tf32", "--flush-bytes", "4096"],
    "mamf": ["--m", "0:32:16", "--n", "16", "--k", "16", "--flush-bytes", "4096"],
    "bmm": ["--batch", "2", "--m", "8", "--n", "16", "--k", "8", "--dtypes", "fp32"],
    "attention": ["--backends", "math,flash,cudnn,flash_attn", "--batch", "1", "--seq", "32", "--heads", "4",
                  "--kv-heads", "2", "--head-dim", "16", "--dtypes", "fp32", "--causal", "both"],
    "membw": ["--sizes", "64K", "--kernels", "copy,scale,add,triad,dot"],
    "layer": ["--preset", "llama-3-8b", "--hidden-size", "64", "--heads", "4", "--ffn-size", "128", "--seq", "16",
              "--dtypes", "fp32"],
}


def _records(path):
    return [json.loads(line) for line in Path(path).read_text().splitlines()]


def _run(name, tmp_path, *extra):
    code = main([name, *TINY[name], *FAST, "--out", str(tmp_path), *extra])
    return code, _records(tmp_path / f"{name}.jsonl")


@pytest.mark.parametrize("name", list(TINY))
def test_benchmark_runs_end_to_end_on_cpu(name, tmp_path):
    code, recs = _run(name, tmp_path)
    assert code == 0
    assert validate_file(tmp_path / f"{name}.jsonl") == []
    ok = [r for r in recs if r["status"] == "ok"]
    assert ok, "no case was measured"
    for r in ok:
        assert r["wrong"] == 0, (r["params"], r["check"])
        assert r["provenance"]["software"]["torch"] == torch.__version__
        assert r["method"]["timer"] == "host_perf_counter"
        assert r["stats"]["n"] == len(r["samples"]) >= 3
        assert not r["publishable"]
    if name == "gemm":  # tf32 is CUDA-only: recorded as skipped with the reason
        assert {r["status"] for r in recs if r["params"]["dtype"] == "tf32"} == {"skipped"}
    if name == "attention":
        skipped = {r["params"]["backend"] for r in recs if r["status"] == "skipped"}
        assert {"cudnn", "flash_attn"} <= skipped and "math" not in skipped
    if name == "mamf":
        assert recs[-1]["params"]["kind"] == "summary" and len(ok) == 3


def test_gemm_flops_match_flopcountermode(tmp_path):
    """The record's FLOPs (cookbook.gemm) equal what PyTorch's FlopCounterMode counts for the same torch.mm."""
    from torch.utils.flop_counter import FlopCounterMode
    _, recs = _run("gemm", tmp_path)
    r = next(r for r in recs if r["status"] == "ok")
    p = r["params"]
    with FlopCounterMode(display=False) as fc:
        torch.mm(torch.randn(p["m"], p["k"]), torch.randn(p["k"], p["n"]))
    assert r["metrics"]["flop"] == fc.get_total_flops()
    assert r["metrics"]["flop_per_s_median"] == pytest.approx(r["metrics"]["flop"] / r["stats"]["median"])


def test_planted_wrong_results_are_counted(tmp_path):
    code, recs = _run("gemm", tmp_path, "--plant-wrong", "3")
    assert code == 0
    assert [r["wrong"] for r in recs if r["status"] == "ok"] == [3, 3, 3, 3]


def test_no_check_gives_null_wrong(tmp_path):
    _, recs = _run("bmm", tmp_path, "--no-check")
    assert recs[0]["wrong"] is None and recs[0]["method"]["check"] == "off"
    assert validate(recs[0]) == []


def test_exception_mid_sweep_keeps_earlier_records(tmp_path):
    code, recs = _run("gemm", tmp_path, "--fail-at-case", "2")
    assert code == 1
    assert [r["status"] for r in recs] == ["ok", "ok", "error"]
    assert "planted failure" in recs[-1]["error"]["message"]
    assert validate_file(tmp_path / "gemm.jsonl") == []


def test_oom_is_recorded_and_the_sweep_goes_on(tmp_path):
    """A (8 x 4e12) fp32 is 128 TB: the CPU allocator refuses it, as CUDA's would on a GPU."""
    code = main(["gemm", "--m", "8", "--n", "8", "--k", "16,4000000000000,32", "--dtypes", "fp32", *FAST,
                 "--flush-bytes", "0", "--out", str(tmp_path)])
    recs = _records(tmp_path / "gemm.jsonl")
    assert code == 0
    assert [(r["params"]["k"], r["status"]) for r in recs] == [(16, "ok"), (4000000000000, "oom"), (32, "ok")]
    assert validate_file(tmp_path / "gemm.jsonl") == []


def _torchrun(tmp_path, *args, timeout=120):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
           "-m", "bench", *args, *FAST[2:], "--timeout-s", "60", "--out", str(tmp_path)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # torchrun and the workers it started (its own session)
        proc.communicate()
        raise
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def test_collectives_under_torchrun_gloo(tmp_path):
    res = _torchrun(tmp_path, "comm", "--min-bytes", "64", "--max-bytes", "4K", "--step-factor", "8",
                    "--plant-wrong", "2")
    assert res.returncode == 0, res.stderr[-3000:]
    path = tmp_path / "comm.jsonl"
    assert validate_file(path) == []
    recs = _records(path)
    ok = [r for r in recs if r["status"] == "ok"]
    seen = {(r["benchmark"], r["params"]["placement"]) for r in ok}
    assert seen == {("all_reduce", "in_place"), ("all_gather", "out_of_place"), ("all_gather", "in_place"),
                    ("reduce_scatter", "out_of_place"), ("reduce_scatter", "in_place"),
                    ("all_to_all", "out_of_place"), ("broadcast", "in_place"), ("sendrecv", "out_of_place")}
    for r in ok:
        n, s, m = r["params"]["world_size"], r["params"]["size_bytes"], r["metrics"]
        assert n == 2 and r["provenance"]["distributed"]["world_size"] == 2
        assert r["wrong"] == 2  # planted on rank 0, max over ranks
        assert m["algbw_bytes_per_s_median"] == pytest.approx(s / r["stats"]["median"])
        assert m["busbw_bytes_per_s_median"] == pytest.approx(
            m["algbw_bytes_per_s_median"] * float(comm.busbw_factor(r["benchmark"], n)))
        assert len(r["method"]["per_rank_median_s"]) == 2
        assert r["method"]["rank_aggregation"].startswith("max over ranks")
    sizes = sorted({r["params"]["size_bytes"] for r in ok if r["benchmark"] == "all_gather"})
    assert sizes == [64, 512, 4096]  # all_gather S is the whole output


def test_killed_rank_keeps_earlier_records(tmp_path):
    """Rank 1 dies before the third size; torchrun tears the job down; the first two records survive."""
    res = _torchrun(tmp_path, "all_reduce", "--sizes", "64,128,256,512", "--fail-at-case", "2", "--fail-rank", "1")
    assert res.returncode != 0
    recs = _records(tmp_path / "all_reduce.jsonl")
    assert [r["params"]["size_bytes"] for r in recs if r["status"] == "ok"] == [64, 128]
    assert validate_file(tmp_path / "all_reduce.jsonl") == []


def test_validate_command(tmp_path, capsys):
    _run("bmm", tmp_path)
    assert main(["validate", str(tmp_path / "bmm.jsonl")]) == 0
    assert main(["validate", str(tmp_path / "missing.jsonl")]) == 1
    (tmp_path / "bad.jsonl").write_text('{"schema_version": 1}\nnot json\n')
    assert main(["validate", str(tmp_path / "bad.jsonl")]) == 1
    out = capsys.readouterr().out
    assert "bad.jsonl:1:" in out and "bad.jsonl:2: not JSON" in out


def test_throughput_mode_under_torchrun(tmp_path):
    res = _torchrun(tmp_path, "all_reduce", "--sizes", "1K,64K", "--mode", "throughput", "--agg", "4")
    assert res.returncode == 0, res.stderr[-3000:]
    recs = _records(tmp_path / "all_reduce.jsonl")
    assert [r["params"]["size_bytes"] for r in recs] == [1024, 65536]
    for r in recs:
        assert r["method"]["ops_per_sample"] == 4 and r["method"]["mode"].startswith("throughput")
        assert validate(r) == [] and r["wrong"] == 0
