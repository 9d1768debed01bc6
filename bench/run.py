"""Glue between the CLI and the harness: device, process group, plan defaults, provenance, writer."""

from __future__ import annotations

import sys

import torch

from bench.device import resolve_device
from bench.harness import Context, Plan, run_sweep
from bench.launch import init_distributed, rank_map
from bench.provenance import static_provenance
from bench.records import RecordWriter, new_run_id

__all__ = ["run_benchmark", "make_plan"]

_GPU = {"warmup_iters": 10, "min_iters": 50, "max_iters": 1000, "min_time_s": 0.5, "device_warmup_s": 10.0}
_CPU = {"warmup_iters": 3, "min_iters": 10, "max_iters": 200, "min_time_s": 0.2, "device_warmup_s": 1.0}


def make_plan(args, dev: torch.device, overrides: dict | None = None) -> Plan:
    """Defaults for the device, then the benchmark's own (mamf: 50/100/30 s), then what the user passed."""
    cfg = {**(_GPU if dev.type == "cuda" else _CPU), **(overrides or {})}
    for k in ("warmup_iters", "min_iters", "max_iters", "min_time_s", "device_warmup_s"):
        v = getattr(args, k, None)
        if v is not None:
            cfg[k] = v
    cfg["max_iters"] = max(cfg["max_iters"], cfg["min_iters"])
    return Plan(**cfg)


def run_benchmark(name: str, mod, args, argv: list[str], progress, comm: bool) -> int:
    if args.threads:
        torch.set_num_threads(args.threads)
    dist_info = init_distributed(args, comm)
    dev = dist_info.device if dist_info else resolve_device(args.device)
    group = dist_info.group if dist_info else None
    prov = static_provenance(argv, str(dev))
    if dist_info:
        prov["distributed"] = {"launcher": dist_info.launcher, "backend": dist_info.backend,
                               "world_size": dist_info.world_size, "ranks": rank_map(dist_info, dev)}
        prov["distributed"]["nodes"] = len({r["host"] for r in prov["distributed"]["ranks"]})
    rank = dist_info.rank if dist_info else 0
    file_name = name if (comm or not dist_info or dist_info.world_size == 1) else f"{name}.rank{rank}"
    run_id = dist_info.run_id if dist_info else new_run_id()
    ctx = Context(device=dev, plan=make_plan(args, dev, mod.plan_overrides(name, dev)),
                  writer=RecordWriter(args.out, file_name), run_id=run_id, provenance=prov, check=not args.no_check,
                  plant_wrong=args.plant_wrong, fail_at_case=args.fail_at_case, fail_rank=args.fail_rank,
                  keep_going=args.keep_going, progress=progress if rank == 0 else (lambda s: None),
                  publishable=args.publishable and dev.type == "cuda")
    if group is not None:
        ctx.group = group if comm else ctx.group
    code = 0
    try:
        for bench, cases in mod.sweeps(name, args, ctx):
            results = run_sweep(ctx, bench, cases)
            mod.finish(name, ctx, results)
    except Exception as e:  # the failed case's record is written; earlier ones are on disk already
        print(f"bench {name}: {type(e).__name__}: {e}", file=sys.stderr)
        code = 1
    finally:
        if dist_info:
            dist_info.close(ok=code == 0)
    if rank == 0:
        print(f"{ctx.writer.count} record(s) appended to {ctx.writer.path}", file=sys.stderr)
    return code
