"""`cookbook flops`: exact matmul FLOPs for a training step, T training tokens and inference requests, with
MFU/HFU from a measured throughput and time-to-train on a GPU from the hardware table."""

from __future__ import annotations

from fractions import Fraction

from cookbook import flops as F
from cookbook.errors import CookbookError
from cookbook.hardware import DTYPES, get_gpu, gpu_names
from cookbook.inputs import Calculator, Field, model_from_inputs
from cookbook.units import LEGEND_SI, count, seconds, si

_T, _I, _U = "training", "inference", "utilization and time"
FIELDS = (
    Field("batch", "int", "B, sequences per step", default=1, minimum=1, group=_T),
    Field("seq", "int", "S, tokens per sequence", default=2048, minimum=1, group=_T),
    Field("attention", "choice", "attention convention: full = S^2 per head (FlopCounterMode, PaLM), causal = "
          "exact triangle and window band", default="full", choices=F.ATTENTION, group=_T),
    Field("recompute", "choice", "activation recomputation: none, selective (attention core), full (every layer)",
          default="none", choices=F.RECOMPUTE, group=_T),
    Field("tokens", "float", "T, training tokens (e.g. 1e12) for totals", minimum=1, group=_T),
    Field("prompt", "int", "prompt tokens per request (inference)", minimum=1, group=_I),
    Field("output", "int", "O, generated tokens per request (inference; needs --prompt)", minimum=1, group=_I),
    Field("context", "int", "S, cached tokens (context) for one decode step (inference)", minimum=0, group=_I),
    Field("prefill_logits", "choice", "lm_head in prefill: all positions (Hugging Face) or the last one (serving)",
          default="all", choices=("all", "last"), group=_I),
    Field("mla_decode", "choice", "MLA decode: expand (kv_up over the cached latents, Hugging Face) or absorb "
          "(vLLM, FlashMLA)", default="expand", choices=F.MLA_DECODE, group=_I),
    Field("gpu", "choice", "accelerator from the hardware table", choices=gpu_names(), group=_U),
    Field("dtype", "choice", "peak to use (dense)", default="bf16", choices=DTYPES, group=_U),
    Field("num_gpus", "int", "GPUs", default=1, minimum=1, group=_U),
    Field("tokens_per_second", "float", "measured training throughput, tokens/s over all GPUs (for MFU/HFU)",
          minimum=0, group=_U),
    Field("mfu", "float", "assumed model FLOPs utilization for time-to-train, a fraction (0.4 = 40%)",
          default=0.4, minimum=0, maximum=1, group=_U),
)


def _fwd_dict(f: F.ForwardFlops) -> dict:
    return {"total": f.total, "breakdown": dict(f.breakdown)}


def _exact(x: Fraction):
    return x.numerator if x.denominator == 1 else float(x)


def _rules(m, inputs: dict, step: F.TrainingFlops) -> dict:
    ours = step.per_token("model")
    out = {}
    for name, r in F.rule_of_thumb_flops(m, inputs["seq"]).items():
        out[name] = {**r, "ratio_to_ours": float(r["flops_per_token"] / ours)}
    out["ours"] = {"flops_per_token": _exact(ours), "counts": f"exact matmuls, forward + backward, attention="
                   f"{step.attention}, no recompute (model FLOPs)", "ratio_to_ours": 1.0}
    return out


def _training(m, inputs: dict) -> dict:
    step = F.training_flops(m, inputs["batch"], inputs["seq"], inputs["attention"], inputs["recompute"])
    out = {"forward": _fwd_dict(step.forward), "backward": step.backward, "recompute": step.recompute,
           "model_flops": step.model, "hardware_flops": step.hardware, "total": step.hardware,
           "breakdown": step.breakdown,
           "tokens_per_step": step.tokens, "model_flops_per_token": _exact(step.per_token("model")),
           "hardware_flops_per_token": _exact(step.per_token("hardware")), "rules": _rules(m, inputs, step)}
    if inputs.get("tokens") is not None:
        t = Fraction(inputs["tokens"])
        out["training_tokens"] = {"tokens": inputs["tokens"], "model_flops": _exact(t * step.per_token("model")),
                                  "hardware_flops": _exact(t * step.per_token("hardware"))}
    return out, step


def _inference(m, inputs: dict) -> dict | None:
    p, o, c = inputs.get("prompt"), inputs.get("output"), inputs.get("context")
    if o is not None and p is None:
        raise CookbookError("--output needs --prompt (the prompt tokens per request)")
    out = {}
    if p is not None:
        r = F.inference_flops(m, p, o or 1, inputs["batch"], inputs["attention"], inputs["prefill_logits"],
                              inputs["mla_decode"])
        out["request"] = {"prompt": p, "output": o or 1, "batch": inputs["batch"], "prefill": _fwd_dict(r.prefill),
                          "decode": _fwd_dict(r.decode), "decode_steps": r.output - 1, "total": r.total,
                          "decode_first_step": r.decode_first.total, "decode_last_step": r.decode_last.total}
    if c is not None:
        out["decode_step"] = {"context": c, "batch": inputs["batch"],
                              **_fwd_dict(F.decode_flops(m, c, inputs["batch"], inputs["attention"], 1,
                                                         inputs["mla_decode"]))}
    return out or None


def _utilization(inputs: dict, step: F.TrainingFlops, training: dict) -> dict | None:
    if inputs.get("gpu") is None:
        if inputs.get("tokens_per_second") is not None:
            raise CookbookError("--tokens-per-second needs --gpu (the peak to divide by); see --gpu choices")
        return None
    g = get_gpu(inputs["gpu"])
    peak, n = g.peak(inputs["dtype"]), inputs["num_gpus"]
    out = {"gpu": g.name, "dtype": inputs["dtype"], "peak_flops_per_gpu": peak, "num_gpus": n, "source": g.source}
    tps = inputs.get("tokens_per_second")
    if tps is not None:
        if tps <= 0:
            raise CookbookError(f"--tokens-per-second must be > 0, got {tps:g}")
        out["tokens_per_second"] = tps
        out["mfu"] = F.utilization(tps, step.per_token("model"), n, peak)
        out["hfu"] = F.utilization(tps, step.per_token("hardware"), n, peak)
    if "training_tokens" in training:
        if not inputs["mfu"] or inputs["mfu"] <= 0:
            raise CookbookError(f"--mfu must be in (0, 1], got {inputs['mfu']}")
        tf = training["training_tokens"]
        # MFU is model FLOPs over peak, so the time is the model FLOPs at MFU x peak (recompute is inside MFU)
        secs = F.training_time(tf["model_flops"], n, peak, inputs["mfu"])
        out.update(assumed_mfu=inputs["mfu"], training_seconds=secs, training_days=secs / 86400,
                   gpu_hours=secs * n / 3600)
    return out


def compute(**inputs) -> dict:
    m = model_from_inputs(inputs)
    training, step = _training(m, inputs)
    out = {"model": m.name, "batch": inputs["batch"], "seq": inputs["seq"], "attention": inputs["attention"],
           "recompute_policy": inputs["recompute"], **training, "conventions": F.CONVENTIONS}
    inf = _inference(m, inputs)
    if inf:
        out["inference"] = inf
    util = _utilization(inputs, step, training)
    if util:
        out["utilization"] = util
    return out


def _f(x) -> str:
    if float(x) >= 1e21:  # beyond the SI table's E: scientific notation
        return f"{int(x):,} ({float(x):.3e} FLOP)"
    return f"{int(x):,} ({si(x, 'FLOP')})" if float(x) >= 1000 else f"{x:g} FLOP"


def rows(r: dict) -> list:
    out = [("model", r["model"]), ("step", f"B={r['batch']} x S={r['seq']}, attention={r['attention']}, "
                                          f"recompute={r['recompute_policy']}"),
           ("forward", _f(r["forward"]["total"]))]
    out += [(f"  {k}", _f(v)) for k, v in r["forward"]["breakdown"].items() if v]
    out += [("backward (2 x forward)", _f(r["backward"])), ("recompute", _f(r["recompute"])),
            ("model FLOPs (MFU basis)", _f(r["model_flops"])), ("hardware FLOPs (HFU basis)", _f(r["hardware_flops"])),
            ("model FLOPs / token", _f(r["model_flops_per_token"]))]
    out += [(f"rule {k}", f"{_f(v['flops_per_token'])}/token, x{v['ratio_to_ours']:.4f} of ours: {v['counts']}")
            for k, v in r["rules"].items() if k != "ours"]
    if "training_tokens" in r:
        t = r["training_tokens"]
        out += [(f"T={count(int(t['tokens']))} tokens", f"model {_f(t['model_flops'])}, "
                                                        f"hardware {_f(t['hardware_flops'])}")]
    out += _inference_rows(r.get("inference"))
    out += _utilization_rows(r.get("utilization"))
    return out


def _inference_rows(inf) -> list:
    if not inf:
        return []
    out = []
    if "request" in inf:
        q = inf["request"]
        out += [(f"prefill P={q['prompt']}", _f(q["prefill"]["total"])),
                (f"decode {q['decode_steps']} steps", _f(q["decode"]["total"])),
                (f"request P={q['prompt']}, O={q['output']}", _f(q["total"]))]
    if "decode_step" in inf:
        out += [(f"decode step at C={inf['decode_step']['context']}", _f(inf["decode_step"]["total"]))]
    return out


def _utilization_rows(u) -> list:
    if not u:
        return []
    out = [("gpu", f"{u['num_gpus']} x {u['gpu']}, {si(u['peak_flops_per_gpu'], 'FLOP/s')} dense {u['dtype']}")]
    if "mfu" in u:
        out += [("MFU", f"{100 * u['mfu']:.1f}%"), ("HFU", f"{100 * u['hfu']:.1f}%")]
    if "training_seconds" in u:
        out += [(f"time at MFU {100 * u['assumed_mfu']:.0f}%", seconds(u["training_seconds"])),
                ("GPU-hours", f"{u['gpu_hours']:,.0f}")]
    return out


CALCULATOR = Calculator(
    name="flops", title="FLOPs", fields=FIELDS, compute=compute, rows=rows,
    legend="FLOPs (2 per multiply-add), exact integers; " + LEGEND_SI,
    help="Exact matmul FLOPs: forward by component, backward, recompute, per token, T tokens, inference; "
         "rules of thumb side by side; MFU/HFU and time to train.",
    extra={"example": {"preset": "llama-3-8b", "seq": 8192, "recompute": "selective", "tokens": "1e12",
                       "gpu": "H100-SXM", "num_gpus": 64, "prompt": 1024, "output": 256}})  # the site's default
