"""``python -m bench <benchmark> [options] --out DIR``: run one benchmark, append its records to DIR/<name>.jsonl.

Progress goes to stderr, one line per measured case. ``python -m bench validate FILE...`` checks records.
Exit codes: 0 done; 1 a case failed (its record is written; earlier records are kept); 2 bad usage.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Callable

__all__ = ["main", "BENCHMARKS"]


@dataclass(frozen=True)
class Entry:
    module: str           # bench.<module> providing add_arguments(p), cases(args, ctx), BENCH(args)
    help: str
    comm: bool = False


BENCHMARKS = {
    "gemm": Entry("gemm_main", "GEMM sweep over M, N, K and dtypes, or the GEMMs of a preset's layer"),
    "mamf": Entry("gemm_main", "maximum achievable matmul FLOP/s search (mamf-finder's method)"),
    "bmm": Entry("gemm_main", "batched GEMM sweep"),
    "attention": Entry("attention", "scaled dot-product attention per backend, forward or forward+backward"),
    "membw": Entry("membw", "device memory bandwidth (copy, scale, add, triad, dot)"),
    "layer": Entry("layer", "one transformer layer built from a cookbook preset, forward and forward+backward"),
    **{op: Entry("collectives", f"{op} over a size sweep (nccl-tests algbw/busbw)", comm=True)
       for op in ("all_reduce", "all_gather", "reduce_scatter", "all_to_all", "broadcast", "sendrecv")},
    "comm": Entry("collectives", "all six collectives, one after another", comm=True),
}


def _common(p: argparse.ArgumentParser, comm: bool) -> None:
    g = p.add_argument_group("harness")
    g.add_argument("--out", required=True, help="directory for the JSON-lines records (appended)")
    g.add_argument("--device", default="auto", help="auto (GPU of LOCAL_RANK if CUDA, else CPU), cpu, cuda, cuda:N")
    g.add_argument("--threads", type=int, default=None, help="CPU runs: torch intra-op threads (recorded)")
    g.add_argument("--seed", type=int, default=1234, help="seed of the random inputs")
    g.add_argument("--device-warmup-s", type=float, default=None,
                   help="time-based device warm-up before the sweep (default: 30 mamf, 10 GPU, 5 comm, 1 CPU)")
    g.add_argument("--warmup-iters", type=int, default=None, help="warm-up iterations per case")
    g.add_argument("--min-iters", type=int, default=None, help="at least this many samples per case")
    g.add_argument("--max-iters", type=int, default=None, help="at most this many samples per case")
    g.add_argument("--min-time-s", type=float, default=None, help="time budget per case (sets the sample count)")
    g.add_argument("--no-check", action="store_true", help="skip the correctness check (wrong = null)")
    g.add_argument("--keep-going", action="store_true", help="record a failed case and go on (OOM always goes on)")
    g.add_argument("--publishable", action="store_true", help="mark records as meant for publication (GPU runs)")
    g.add_argument("--quiet", action="store_true", help="no progress lines")
    t = p.add_argument_group("test hooks (for the test suite; never in published runs)")
    t.add_argument("--plant-wrong", type=int, default=0, help="corrupt N result elements before the check")
    t.add_argument("--fail-at-case", type=int, default=None, help="raise before measuring case index N (0-based)")
    t.add_argument("--fail-rank", type=int, default=None, help="with --fail-at-case: only this rank raises")


def _parser() -> argparse.ArgumentParser:
    import importlib
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="benchmark", required=True, metavar="benchmark")
    for name, e in BENCHMARKS.items():
        p = sub.add_parser(name, help=e.help, description=e.help)
        importlib.import_module(f"bench.{e.module}").add_arguments(p, name)
        _common(p, e.comm)
    v = sub.add_parser("validate", help="validate JSON-lines record files")
    v.add_argument("files", nargs="+")
    return ap


def _validate(files) -> int:
    from bench.schema import validate_file
    problems = [p for f in files for p in validate_file(f)]
    for p in problems:
        print(p)
    print(f"{len(problems)} problem(s) in {len(files)} file(s)", file=sys.stderr)
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _parser().parse_args(argv)
    if args.benchmark == "validate":
        return _validate(args.files)
    import importlib
    from bench.run import run_benchmark
    entry = BENCHMARKS[args.benchmark]
    mod = importlib.import_module(f"bench.{entry.module}")
    progress: Callable[[str], None] = (lambda s: None) if args.quiet else (lambda s: print(s, file=sys.stderr,
                                                                                        flush=True))
    return run_benchmark(args.benchmark, mod, args, ["-m", "bench", *argv], progress, entry.comm)
