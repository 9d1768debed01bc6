"""Table kinds: which records form one table, its rows, columns, anchor prefix, page and compare metric.

Records of one set are grouped by (kind, variant, benchmark_version): results of different method versions never
share a table. Each kind also recomputes the work (FLOPs or bytes) of every record with the cookbook package and
refuses a record whose stored work differs, so every rate on the site is the package's count over a measured time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from benchtables.errors import TableError
from benchtables.fmt import integer, metric, param, rate, secs, size, stat, text
from cookbook import comm
from cookbook.dtypes import bits
from cookbook.flops import forward_flops
from cookbook.gemm import gemm_flops
from cookbook.ops import attention_flops, stream_bytes
from cookbook.presets import get_preset

__all__ = ["Column", "Kind", "KINDS", "kind_of", "check_work", "PAGES", "ELEMENT_BYTES"]

# bytes per element of the dtypes bench records use, from the package's one dtype table
ELEMENT_BYTES = {d: bits(d) // 8 for d in ("fp64", "fp32", "tf32", "bf16", "fp16", "fp8")}
COMM_OPS = ("all_reduce", "all_gather", "reduce_scatter", "all_to_all", "broadcast", "sendrecv")


@dataclass(frozen=True)
class Column:
    title: str
    csv: str
    get: Callable[[dict], object]
    fmt: Callable[[object], str]


@dataclass(frozen=True)
class Kind:
    name: str
    page: str
    prefix: Callable[[dict], str]      # anchor prefix from one record's params
    title: Callable[[dict], str]
    key_fields: tuple                  # params that identify a row (compare page)
    columns: tuple
    metric: str                        # metrics key the compare page sets side by side
    metric_unit: str
    sort: Callable[[dict], tuple]
    plot: str | None = None            # plots.PLOTTERS key


def _time_cols(unit: str, work: str) -> tuple:
    best = "flop_per_s_best" if unit == "FLOP/s" else "bytes_per_s_best"
    med = "flop_per_s_median" if unit == "FLOP/s" else "bytes_per_s_median"
    return (Column(work, work.lower().replace(" ", "_"), metric("flop" if unit == "FLOP/s" else "bytes"), integer),
            Column("Median time", "median_s", stat("median"), secs),
            Column(f"{unit} (median)", med, metric(med), rate(unit)),
            Column(f"{unit} (best)", best, metric(best), rate(unit)),
            Column("CV", "cv", stat("cv"), lambda v: f"{v:.2f}"),
            Column("n", "samples", stat("n"), integer),
            Column("#wrong", "wrong", lambda r: r["wrong"], integer))


def _cols(*spec) -> tuple:
    return tuple(Column(t, k, param(k), f) for t, k, f in spec)


_GEMM_KEYS = ("op", "dtype", "batch", "m", "n", "k")
_MODEL_KEYS = ("preset", "batch_size", "seq", "tp", "gemm", "dtype")
_ATT_KEYS = ("backend", "pass", "causal", "batch", "heads", "kv_heads", "head_dim", "seq", "dtype", "flop_convention")
_LAYER_KEYS = ("preset", "pass", "batch_size", "seq", "hidden_size", "num_heads", "num_kv_heads", "ffn_size", "dtype")
_COMM_KEYS = ("op", "placement", "dtype", "size_bytes", "world_size", "backend")


def _comm_kind(op: str) -> Kind:
    cols = (Column("Size", "size_bytes", param("size_bytes"), size),
            Column("Bytes", "size_bytes_exact", param("size_bytes"), integer),
            Column("Count/rank", "count", param("count"), integer),
            Column("Placement", "placement", param("placement"), text),
            Column("Median time", "median_s", stat("median"), secs),
            Column("algbw (median)", "algbw_bytes_per_s_median", metric("algbw_bytes_per_s_median"), rate("B/s")),
            Column("busbw (median)", "busbw_bytes_per_s_median", metric("busbw_bytes_per_s_median"), rate("B/s")),
            Column("busbw (best)", "busbw_bytes_per_s_best", metric("busbw_bytes_per_s_best"), rate("B/s")),
            Column("n", "samples", stat("n"), integer), Column("#wrong", "wrong", lambda r: r["wrong"], integer))
    slug = op.replace("_", "-")
    return Kind(op, "comm", lambda p: f"{slug}-{p['backend']}-{p['world_size']}r-{p['dtype']}",
                lambda p: f"{op}, {p['backend']}, {p['world_size']} ranks, {p['dtype']}", _COMM_KEYS, cols,
                "busbw_bytes_per_s_median", "B/s", lambda p: (p["placement"], p["size_bytes"]), "comm")


KINDS = {
    "gemm": Kind("gemm", "gemm", lambda p: f"gemm-{p['dtype']}", lambda p: f"GEMM sweep, {p['dtype']}", _GEMM_KEYS,
                 _cols(("M", "m", integer), ("N", "n", integer), ("K", "k", integer)) + _time_cols("FLOP/s", "FLOPs"),
                 "flop_per_s_median", "FLOP/s", lambda p: (p["n"], p["k"], p["m"]), "gemm"),
    "gemm_model": Kind(
        "gemm_model", "gemm", lambda p: f"gemm-{p['preset']}-b{p['batch_size']}-s{p['seq']}-tp{p['tp']}-{p['dtype']}",
        lambda p: f"GEMMs of one {p['preset']} layer and its logits, B={p['batch_size']}, S={p['seq']}, "
                  f"TP={p['tp']}, {p['dtype']}", _MODEL_KEYS,
        _cols(("GEMM", "gemm", text), ("Batch", "batch", integer), ("M", "m", integer), ("N", "n", integer),
              ("K", "k", integer)) + _time_cols("FLOP/s", "FLOPs"),
        "flop_per_s_median", "FLOP/s", lambda p: (), None),
    "bmm": Kind("bmm", "gemm", lambda p: f"bmm-{p['dtype']}", lambda p: f"Batched GEMM sweep, {p['dtype']}",
                _GEMM_KEYS, _cols(("Batch", "batch", integer), ("M", "m", integer), ("N", "n", integer),
                                  ("K", "k", integer)) + _time_cols("FLOP/s", "FLOPs"),
                "flop_per_s_median", "FLOP/s", lambda p: (p["batch"], p["n"], p["k"], p["m"]), "gemm"),
    "mamf": Kind("mamf", "gemm", lambda p: f"mamf-{p['dtype']}", lambda p: f"MAMF search, {p['dtype']}", _GEMM_KEYS,
                 _cols(("M", "m", integer), ("N", "n", integer), ("K", "k", integer)) + _time_cols("FLOP/s", "FLOPs"),
                 "flop_per_s_median", "FLOP/s", lambda p: (p.get("kind") == "summary", p["n"], p["k"], p["m"]),
                 "gemm"),
    "attention": Kind(
        "attention", "attention", lambda p: f"attention-{p['dtype']}-{p['flop_convention']}",
        lambda p: f"Attention (SDPA), {p['dtype']}, FLOP convention {p['flop_convention']}", _ATT_KEYS,
        _cols(("Backend", "backend", text), ("Pass", "pass", text), ("Causal", "causal", text),
              ("B", "batch", integer), ("H", "heads", integer), ("K", "kv_heads", integer),
              ("d", "head_dim", integer), ("S", "seq", integer)) + _time_cols("FLOP/s", "FLOPs"),
        "flop_per_s_median", "FLOP/s", lambda p: (p["backend"], p["pass"], p["causal"], p["batch"], p["seq"]),
        "attention"),
    "membw": Kind("membw", "memory", lambda p: f"membw-{p['dtype']}-{p['cache']}",
                  lambda p: f"Memory bandwidth (STREAM kernels), {p['dtype']}, {p['cache']} cache", 
                  ("kernel", "dtype", "array_bytes", "cache"),
                  _cols(("Kernel", "kernel", text), ("Array", "array_bytes", size)) + _time_cols("B/s", "Bytes"),
                  "bytes_per_s_median", "B/s", lambda p: (p["kernel"], p["array_bytes"]), "membw"),
    "layer": Kind(
        "layer", "layer", lambda p: f"layer-{p['preset']}-{p['dtype']}",
        lambda p: f"One {p['preset']} layer (D={p['hidden_size']}, H={p['num_heads']}, K={p['num_kv_heads']}, "
                  f"F={p['ffn_size']}), {p['dtype']}", _LAYER_KEYS,
        _cols(("Pass", "pass", text), ("B", "batch_size", integer), ("S", "seq", integer))
        + _time_cols("FLOP/s", "Model FLOPs"),
        "flop_per_s_median", "FLOP/s", lambda p: (p["pass"], p["batch_size"], p["seq"]), None),
    **{op: _comm_kind(op) for op in COMM_OPS},
}

PAGES = {"gemm": "GEMM", "attention": "Attention", "memory": "Memory bandwidth", "layer": "Transformer layer",
         "comm": "Collectives"}


def kind_of(rec: dict) -> Kind:
    b = rec["benchmark"]
    if b == "gemm" and "preset" in rec["params"]:
        return KINDS["gemm_model"]
    if b not in KINDS:
        raise TableError(f"record {rec.get('record_id')}: no table kind for benchmark {b!r}")
    return KINDS[b]


def _layer_model(p: dict):
    m = get_preset(p["preset"])
    ch = {k: p[k] for k in ("hidden_size", "num_heads") if p[k] != getattr(m, k)}
    if p["num_kv_heads"] != m.kv_heads:
        ch["num_kv_heads"] = p["num_kv_heads"]
    if m.head_dim is not None and p["head_dim"] != m.head_dim:
        ch["head_dim"] = p["head_dim"]
    if p["ffn_size"] != m.ffn:
        ch["ffn_size"] = p["ffn_size"]
    return m.replace(**ch) if ch else m


def _work(rec: dict):
    """(metrics key, the package's count) for a record, or None where the kind has no work to check."""
    p, b = rec["params"], rec["benchmark"]
    if b in ("gemm", "bmm", "mamf"):
        return "flop", gemm_flops(p["m"], p["n"], p["k"], p.get("batch", 1))
    if b == "attention":
        return "flop", attention_flops(p["batch"], p["heads"], p["seq"], p["head_dim"], p["head_dim"], p["causal"],
                                       p["flop_convention"], p["pass"])
    if b == "membw":
        return "bytes", stream_bytes(p["kernel"], p["numel"], ELEMENT_BYTES[p["dtype"]])
    if b == "layer":
        fwd = forward_flops(_layer_model(p), p["batch_size"], p["seq"], attention="causal").layers[0]
        return "flop", fwd if p["pass"] == "fwd" else 3 * fwd
    if b in COMM_OPS:
        return "size_bytes", comm.size_bytes(b, p["world_size"], p["count"], ELEMENT_BYTES[p["dtype"]])
    return None


def check_work(rec: dict) -> None:
    """Raise TableError when a record's FLOPs/bytes differ from what the cookbook package counts."""
    w = _work(rec)
    if w is None:
        return
    key, expected = w
    got = rec["metrics"].get(key)
    if got != expected:
        raise TableError(f"record {rec['record_id']} ({rec['benchmark']}): metrics.{key} = {got}, but the cookbook "
                         f"package counts {expected}; re-run the benchmark with the current package")
