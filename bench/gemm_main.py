"""CLI wiring of gemm, bmm and mamf (bench.gemm has the op, bench.mamf the search summary)."""

from __future__ import annotations

from bench import gemm, mamf

__all__ = ["add_arguments", "sweeps", "plan_overrides", "finish"]


def add_arguments(p, name: str) -> None:
    gemm.add_gemm_arguments(p, mamf_defaults=name == "mamf")
    if name == "bmm":
        p.add_argument("--batch", default="8", help="batch list or start:stop:step")


def plan_overrides(name: str, dev) -> dict:
    if name == "mamf":
        return dict(mamf.MAMF_PLAN) if dev.type == "cuda" else {**mamf.MAMF_PLAN, "device_warmup_s": 1.0}
    return {"warmup_iters": 50} if dev.type == "cuda" else {}


def sweeps(name: str, args, ctx):
    if name == "bmm":
        yield gemm.BMM, gemm.bmm_cases(args, ctx)
    elif name == "mamf":
        yield mamf.MAMF, mamf.mamf_cases(args, ctx)
    else:
        yield gemm.GEMM, gemm.gemm_cases(args, ctx)


def finish(name: str, ctx, results: list[dict]) -> None:
    if name == "mamf":
        s = mamf.write_summary(ctx, results)
        if s:
            m = s["metrics"]
            ctx.progress(f"MAMF {m['flop_per_s_median'] / 1e12:.4g} TFLOP/s (median) at "
                         f"{m['best_shape_by_median']}; max by min time {m['max_flop_per_s_by_min'] / 1e12:.4g}")
