"""bench/ building blocks against independent truths: statistics vs numpy, attention FLOP conventions vs PyTorch's
FlopCounterMode and flash-attention's formula, the record validator on broken records, launcher detection."""

import copy
import json

import pytest

torch = pytest.importorskip("torch")
np = pytest.importorskip("numpy")

from bench.launch import detect_launch, first_slurm_host  # noqa: E402
from bench.schema import validate  # noqa: E402
from bench.stats import summarize  # noqa: E402
from cookbook.ops import attention_flops, stream_bytes  # noqa: E402

pytestmark = pytest.mark.torch


@pytest.mark.parametrize("xs", [[3.0], [1.0, 2.0], [5.0, 1.0, 4.0, 2.0, 3.0], list(np.random.default_rng(0).random(101))])
def test_summarize_matches_numpy(xs):
    s = summarize(xs)
    a = np.asarray(xs)
    for k, q in (("p10", 10), ("p25", 25), ("median", 50), ("p75", 75), ("p90", 90), ("p99", 99)):
        assert s[k] == pytest.approx(np.percentile(a, q), rel=1e-12)
    assert s["mean"] == pytest.approx(a.mean()) and s["min"] == a.min() and s["max"] == a.max()
    assert s["stdev"] == pytest.approx(a.std(ddof=1) if len(a) > 1 else 0.0)
    assert s["n"] == len(a)


def _sdpa_flops(b, h, s, d, backward):
    from torch.utils.flop_counter import FlopCounterMode
    q, k, v = (torch.randn(b, h, s, d, requires_grad=backward) for _ in range(3))
    with FlopCounterMode(display=False) as fc:
        with torch.nn.attention.sdpa_kernel([torch.nn.attention.SDPBackend.MATH]):
            out = torch.nn.functional.scaled_dot_product_attention(q, k, v)
        if backward:
            out.sum().backward()
    return fc.get_total_flops()


@pytest.mark.parametrize("b,h,s,d", [(1, 2, 16, 8), (2, 3, 24, 16)])
def test_attention_flops_match_flopcountermode(b, h, s, d):
    """The math backend (no masking, no recompute): fwd = 4 B H S^2 d (fa2 and model agree); fwd+bwd = 3 x fwd
    (model: backward = 2 x forward)."""
    assert attention_flops(b, h, s, d, convention="fa2") == _sdpa_flops(b, h, s, d, False)
    assert attention_flops(b, h, s, d, convention="model") == _sdpa_flops(b, h, s, d, False)
    assert attention_flops(b, h, s, d, convention="model", pass_="fwd_bwd") == _sdpa_flops(b, h, s, d, True)


def test_attention_conventions_by_hand():
    # flash-attention benchmark_flash_attention.py: flops = 4 * b * s**2 * h * d // (2 if causal else 1); bwd 2.5x
    assert attention_flops(2, 16, 1024, 64, causal=True) == 4 * 2 * 1024**2 * 16 * 64 // 2
    assert attention_flops(2, 16, 1024, 64, pass_="fwd_bwd") == 3.5 * 4 * 2 * 1024**2 * 16 * 64
    # exact causal pairs S(S+1)/2: S=4 -> 10 pairs; fwd 2*pairs*(d_qk+d_v); hardware bwd 2*pairs*(3d+2d)
    assert attention_flops(1, 1, 4, 2, causal=True, convention="model") == 2 * 10 * 4
    assert attention_flops(1, 1, 4, 2, causal=True, convention="hardware", pass_="bwd") == 2 * 10 * 10


def test_stream_bytes_babelstream():
    assert [stream_bytes(k, 10, 4) for k in ("copy", "scale", "add", "triad", "dot")] == [80, 80, 120, 120, 80]


def _good_record():
    from bench.records import make_record
    samples = [1e-3, 2e-3, 3e-3]
    return json.loads(json.dumps(make_record(
        benchmark="gemm", benchmark_version=1, suite="compute", run_id="r", params={"m": 1}, provenance={
            k: None for k in ("argv", "git", "host", "device", "devices", "device_count", "software", "env")},
        method={"timer": "host_perf_counter", "check": "x"}, stats=summarize(samples), samples=samples,
        metrics={"flop": 2}, wrong=0, check={"method": "x"})))


@pytest.mark.parametrize("breakage,expect", [
    (lambda r: r.pop("wrong"), "wrong"),
    (lambda r: r.update(wrong=None), "wrong"),
    (lambda r: r["stats"].update(median=5.0), "stats.median"),
    (lambda r: r.update(samples=[]), "samples"),
    (lambda r: r["provenance"].pop("software"), "provenance.software"),
    (lambda r: r.update(status="error"), "error.message"),
    (lambda r: r.update(schema_version=0), "schema_version"),
])
def test_validator_rejects_broken_records(breakage, expect):
    r = _good_record()
    assert validate(r) == []
    bad = copy.deepcopy(r)
    breakage(bad)
    problems = validate(bad)
    assert problems and any(expect in p for p in problems), problems


@pytest.mark.parametrize("env,expect", [
    ({"RANK": "3", "WORLD_SIZE": "8", "LOCAL_RANK": "3", "TORCHELASTIC_RUN_ID": "x", "MASTER_ADDR": "h0"},
     ("torchrun", 3, 8, 3, "h0")),
    ({"SLURM_PROCID": "9", "SLURM_NTASKS": "16", "SLURM_LOCALID": "1", "SLURM_JOB_NODELIST": "gpu[07-08]"},
     ("srun", 9, 16, 1, "gpu07")),
    ({"OMPI_COMM_WORLD_RANK": "5", "OMPI_COMM_WORLD_SIZE": "64", "OMPI_COMM_WORLD_LOCAL_RANK": "5",
      "MASTER_ADDR": "n1"}, ("mpirun (Open MPI)", 5, 64, 5, "n1")),
    ({"PMI_RANK": "2", "PMI_SIZE": "4", "MPI_LOCALRANKID": "2", "MASTER_ADDR": "n2"}, ("mpirun (PMI)", 2, 4, 2, "n2")),
])
def test_detect_launch(env, expect):
    d = detect_launch(env)
    assert (d["launcher"], d["rank"], d["world_size"], d["local_rank"], d["master_addr"]) == expect
    assert detect_launch({}) is None


@pytest.mark.parametrize("nodelist,first", [("node01", "node01"), ("a[3-5,9],b2", "a3"), ("gpu-[010-012]x", "gpu-010x")])
def test_first_slurm_host(nodelist, first):
    assert first_slurm_host(nodelist) == first


def test_gpu_suite_commands_parse():
    """Every ``step`` of bench/run_gpu_suite.sh is a valid ``python -m bench`` command line (the suite itself needs
    a GPU; this keeps it from rotting on CPU-only CI)."""
    import pathlib
    import shlex
    from bench.cli import _parser
    text = (pathlib.Path(__file__).resolve().parent.parent / "bench" / "run_gpu_suite.sh").read_text()
    text = text.replace("\\\n", " ")
    steps = [shlex.split(line)[1:] for line in text.splitlines() if line.startswith("step ")]
    assert len(steps) >= 8
    for argv in steps:
        args = _parser().parse_args([*argv, "--device", "cuda", "--publishable", "--keep-going", "--out", "x"])
        assert args.benchmark in ("gemm", "mamf", "bmm", "attention", "membw", "layer")


@pytest.mark.parametrize("preset,changes", [
    ("llama-3-8b", dict(hidden_size=128, num_heads=8, num_kv_heads=2, ffn_size=320)),  # GQA, gated SiLU, RMSNorm
    ("gpt2", dict(hidden_size=96, num_heads=4, ffn_size=None)),                         # MHA, GELU, LayerNorm, biases
])
def test_layer_module_flops_match_cookbook_flops(preset, changes):
    """The torch layer bench/layer.py builds has exactly the matmuls cookbook.flops counts for one layer:
    FlopCounterMode on the math SDPA backend (which computes the masked half) equals forward_flops(attention="full");
    forward+backward = 3 x forward. The benchmark itself reports the causal count."""
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode
    from bench.layer import Layer, layer_flops, unsupported
    from cookbook.flops import forward_flops
    from cookbook.presets import get_preset
    m = get_preset(preset).replace(**changes)
    assert unsupported(m) is None
    layer, b, s = Layer(m), 2, 24
    x = torch.randn(b, s, m.hidden_size, requires_grad=True)
    with sdpa_kernel([SDPBackend.MATH]):
        with FlopCounterMode(display=False) as fwd:
            y = layer(x)
        with FlopCounterMode(display=False) as both:
            layer(x).sum().backward()
    full = forward_flops(m, b, s, attention="full").layers[0]
    assert fwd.get_total_flops() == full
    assert both.get_total_flops() == 3 * full
    assert layer_flops(m, b, s, "fwd") == forward_flops(m, b, s, attention="causal").layers[0] < full
    assert y.shape == x.shape
