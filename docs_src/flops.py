"""Numbers of the FLOPs chapter (docs/chapters/flops.md), from cookbook.flops and cookbook.hardware."""

from __future__ import annotations

from fractions import Fraction

from cookbook import flops as F
from cookbook.hardware import get_gpu
from cookbook.model import ModelConfig
from cookbook.presets import get_preset
from cookbook.units import seconds

from docs_src._fmt import n, pct, sci, si, table


FORMULAS = {
    "qkv": "$2T \\cdot D(H + 2K) d_h$", "attention_scores": "$2 B H \\cdot \\text{pairs} \\cdot d_h$",
    "attention_values": "$2 B H \\cdot \\text{pairs} \\cdot d_h$", "attention_output": "$2T \\cdot H d_h D$",
    "mlp": "$2T \\cdot 3DF$ (gated)", "lm_head": "$2T \\cdot DV$",
}


def _model(preset: str) -> ModelConfig:
    return get_preset(preset)


def _frac(x) -> str:
    x = Fraction(x)
    return n(x.numerator) if x.denominator == 1 else f"{float(x):,.1f}"


def breakdown_table(preset: str, batch: int, seq: int) -> str:
    m = _model(preset)
    full = F.forward_flops(m, batch, seq, "full")
    causal = F.forward_flops(m, batch, seq, "causal")
    rows = []
    for k in F.BREAKDOWN_KEYS:
        if full.breakdown[k]:
            rows.append((f"`{k}`", FORMULAS.get(k, ""), si(full.breakdown[k], "FLOP"), si(causal.breakdown[k], "FLOP"),
                         pct(full.breakdown[k] / full.total)))
    rows.append(("**forward**", "", f"**{si(full.total, 'FLOP')}**", f"**{si(causal.total, 'FLOP')}**", pct(1.0)))
    rows.append(("**training step** (x 3)", "", si(3 * full.total, "FLOP"), si(3 * causal.total, "FLOP"), ""))
    return table(("part", "formula", "full attention", "causal attention", "share (full)"), rows, "llrrr")


def forward_total(preset: str, batch: int, seq: int, attention: str = "full") -> str:
    return n(F.forward_flops(_model(preset), batch, seq, attention).total)


def rules_table(preset: str, seq: int) -> str:
    m = _model(preset)
    ours = {a: F.training_flops(m, 1, seq, a).per_token() for a in F.ATTENTION}
    rows = []
    for name, r in F.rule_of_thumb_flops(m, seq).items():
        rows.append((f"`{name}`", n(r["flops_per_token"]), f"{float(r['flops_per_token'] / ours['full']):.3f}",
                     r["counts"]))
    for a in F.ATTENTION:
        rows.append((f"**exact, {a} attention**", _frac(ours[a]), f"{float(ours[a] / ours['full']):.3f}",
                     "every matmul, forward + backward (cookbook.flops)"))
    return table(("rule", "training FLOPs per token", "/ exact (full)", "what it counts"), rows, "lrrl")


def recompute_table(preset: str, batch: int, seq: int, attention: str = "causal") -> str:
    m = _model(preset)
    rows = []
    for policy in F.RECOMPUTE:
        s = F.training_flops(m, batch, seq, attention, policy)
        rows.append((policy, si(s.model, "FLOP"), si(s.recompute, "FLOP"), si(s.hardware, "FLOP"),
                     f"{s.hardware / s.model:.3f}"))
    return table(("recompute", "model FLOPs (MFU)", "recompute", "hardware FLOPs (HFU)", "HFU / MFU"), rows)


def narayanan_check(batch: int = 1, seq: int = 2048) -> str:
    """Ours (full attention, full recompute) next to Narayanan et al. 2021, eq. in section 5.1, for GPT-3 175B."""
    m = get_preset("gpt3-175b")
    ours = F.training_flops(m, batch, seq, "full", "full").hardware
    b, s, l, d, v = batch, seq, m.num_layers, m.hidden_size, m.vocab_size
    paper = Fraction(96 * b * s * l * d * d) * (1 + Fraction(s, 6 * d) + Fraction(v, 16 * l * d))
    return table(("quantity", "FLOPs per step"), [
        ("`training_flops(gpt3, B=1, S=2048, 'full', 'full').hardware`", n(ours)),
        ("$96 B S L D^2 (1 + S/6D + V/16LD)$", _frac(paper)),
        ("difference", n(int(paper - ours)) if paper.denominator == 1 else f"{float(paper - ours):.1f}"),
    ])


def training_total(preset: str, seq: int, tokens: float, attention: str = "causal") -> float:
    return float(F.training_flops(_model(preset), 1, seq, attention).per_token() * Fraction(tokens))


def total_flops(preset: str, seq: int, tokens: float, attention: str = "causal") -> str:
    return sci(training_total(preset, seq, tokens, attention))


def six_nt(preset: str, tokens: float) -> str:
    r = F.rule_of_thumb_flops(_model(preset), 1)["6N_total"]
    return sci(r["flops_per_token"] * tokens)


def mfu(preset: str, seq: int, tokens_per_second: float, gpus: int, gpu: str, dtype: str = "bf16",
        attention: str = "causal") -> str:
    per_token = F.training_flops(_model(preset), 1, seq, attention).per_token()
    return pct(F.utilization(tokens_per_second, per_token, gpus, get_gpu(gpu).peak(dtype)))


def time_to_train(preset: str, seq: int, tokens: float, gpus: int, gpu: str, mfu_: float, dtype: str = "bf16",
                  attention: str = "causal") -> str:
    total = training_total(preset, seq, tokens, attention)
    return seconds(F.training_time(total, gpus, get_gpu(gpu).peak(dtype), mfu_))


def chinchilla(compute: float) -> str:
    rule, fit = F.chinchilla_rule(compute), F.chinchilla_fit(compute)
    return table(("method", "parameters N", "tokens T", "tokens per parameter"), [
        ("$C = 6NT$, $T = 20N$", si(rule["params"]), si(rule["tokens"]), f"{rule['tokens'] / rule['params']:.0f}"),
        ("fitted loss (Hoffmann et al. 2022, approach 3)", si(fit["params"]), si(fit["tokens"]),
         f"{fit['tokens'] / fit['params']:.0f}"),
    ])


def peak(gpu: str, dtype: str = "bf16") -> str:
    return si(get_gpu(gpu).peak(dtype), "FLOP/s")


def hfu_ratio(preset: str, batch: int, seq: int, policy: str, attention: str = "causal") -> str:
    s = F.training_flops(_model(preset), batch, seq, attention, policy)
    return f"{s.hardware / s.model:.3f}"


def inference_table(preset: str, prompts=(128, 2048, 32768), output: int = 256) -> str:
    """FLOPs of one request: prefill, decode (output - 1 steps) and per generated token, next to 2N per token."""
    m = _model(preset)
    two_n = 2 * count_params_active(m)
    rows = []
    for p in prompts:
        r = F.inference_flops(m, p, output, 1, "causal", prefill_logits="last")
        per_decode = r.decode.total / (output - 1)
        rows.append((p, si(r.prefill.total, "FLOP"), si(r.prefill.total / p, "FLOP"), si(r.decode.total, "FLOP"),
                     si(per_decode, "FLOP"), f"{per_decode / two_n:.3f}"))
    return table(("prompt tokens", "prefill", "prefill per token", f"decode ({output - 1} steps)",
                  "decode per token", "decode per token / 2N"), rows) + (
        f"\n\n{preset}, one request, causal attention, prefill logits for the last position only; "
        f"$2N$ = {si(two_n, 'FLOP')} with $N$ all (active) parameters.")


def count_params_active(m) -> int:
    from cookbook.params import count_params
    return count_params(m).active


def decode_sum_identity(preset: str, seq: int) -> str:
    """Decoding S tokens one at a time (contexts 0..S-1) does exactly the matmuls of a causal prefill of S tokens."""
    m = _model(preset)
    pre = F.forward_flops(m, 1, seq, "causal").total
    dec = F.decode_flops(m, 0, 1, "causal", steps=seq).total
    return f"{n(dec)} FLOPs decoding {seq} tokens one by one, {n(pre)} for the prefill of {seq} tokens" + (
        ": identical" if dec == pre else f": they differ by {n(dec - pre)}")
