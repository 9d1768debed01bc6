"""Exact matmul FLOP counts for training and inference.

Conventions (each result carries them in ``CONVENTIONS``):
- **FLOPs, not MACs**: a matmul of (m x k) by (k x n) is ``2*m*n*k`` FLOPs. Only matmuls are counted (linears,
  attention scores Q.K^T, attention over values P.V); norms, softmax, activations, rotary, biases and the
  embedding lookup are not (they are O(T*D), and PyTorch's FlopCounterMode does not count them either).
- **Attention** (``attention=``): ``full`` counts every query against every key, S*S pairs per head, ignoring the
  causal and the sliding-window masks (what FlopCounterMode, PaLM and nanoGPT count: the eager/math kernel does
  compute the masked entries). ``causal`` counts only the pairs a causal kernel needs: S*(S+1)/2 per head
  (the diagonal included), and on a sliding-window layer of window W a query at position i sees min(i+1, W) keys
  (Hugging Face's window: key j is visible when i - W < j <= i).
- **Decode at context C**: one new token per sequence with C tokens already in the KV cache; it attends to C+1
  keys (the cache and itself; min(C+1, W) on a window layer under ``causal``, which is what Hugging Face's
  sliding-window caches compute). Summing decode over C = 0..S-1 gives exactly the causal prefill of S tokens.
  MLA decode: ``expand`` (kv_up over the whole latent cache each step, as Hugging Face does) or ``absorb``.
- **lm_head** over every position in training and prefill (Hugging Face computes logits for all positions);
  ``prefill_logits="last"`` counts only the last one (what serving engines do).
- **Backward = 2 x forward** for every matmul (weight gradient + input gradient).
- **Recompute** (activation checkpointing) is counted apart: ``none``; ``selective`` re-runs the attention core
  (scores and values, Korthikanti et al. 2022); ``full`` re-runs the forward of every transformer layer (not the
  lm_head, as in Megatron-LM). Model FLOPs (MFU) = forward + backward; hardware FLOPs (HFU) add the recompute.
- **MoE**: a token goes through the ``top_k`` routed experts it is sent to (no capacity dropping), the shared
  experts and the router; routed-expert FLOPs do not depend on which experts are picked.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from cookbook.errors import CookbookError
from cookbook.model import ModelConfig
from cookbook.shapes import kind_matrices, layer_matrices, outer_matrices

__all__ = ["ForwardFlops", "TrainingFlops", "InferenceFlops", "forward_flops", "attention_core_flops", "decode_flops", "training_flops",
           "inference_flops", "recompute_flops", "rule_of_thumb_flops", "utilization", "training_time",
           "chinchilla_rule", "chinchilla_fit", "chinchilla_loss", "CHINCHILLA_FIT", "attention_pairs",
           "decode_keys", "matmul_params_per_token", "ATTENTION", "RECOMPUTE", "MLA_DECODE", "BREAKDOWN_KEYS",
           "CONVENTIONS"]

ATTENTION = ("full", "causal")
RECOMPUTE = ("none", "selective", "full")
LAYER_KEYS = ("qkv", "mla_down", "mla_up", "attention_scores", "attention_values", "attention_output", "mlp",
              "experts", "shared_experts", "router")
BREAKDOWN_KEYS = ("embedding_projection",) + LAYER_KEYS + ("lm_head",)
ATTENTION_CORE = ("attention_scores", "attention_values")
CONVENTIONS = {
    "unit": "FLOPs (2*m*n*k per matmul, not MACs); only matmuls are counted",
    "attention": {"full": "every query against every key (S^2 per head), masks ignored: FlopCounterMode, PaLM, "
                          "nanoGPT", "causal": "exact lower triangle S(S+1)/2 per head; sliding window W: "
                                               "min(i+1, W) keys for the query at position i"},
    "decode": "context C = tokens already cached; the new token attends to C+1 keys",
    "lm_head": "logits for every position in training and prefill unless prefill_logits='last'",
    "backward": "2 x forward for every matmul",
    "recompute": "counted apart; model FLOPs (MFU) exclude it, hardware FLOPs (HFU) include it",
    "moe": "top_k routed experts per token, plus shared experts and router",
    "mla_decode": {"expand": "kv_up re-applied to every cached latent each step (Hugging Face transformers)",
                   "absorb": "kv_up folded into query/output; attention over the latent (vLLM, FlashMLA)"},
}


def _check(name: str, v, minimum: int = 1) -> None:
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        raise CookbookError(f"{name} must be an integer >= {minimum}, got {v!r}")


def _choice(name: str, v, choices) -> None:
    if v not in choices:
        raise CookbookError(f"{name} must be one of {', '.join(choices)}; got {v!r}")


# ---- attention pair counts --------------------------------------------------------------------------------
def _band(n: int, w: int | None) -> int:
    """sum_{j=1}^{n} min(j, w): keys seen by queries 0..n-1 of a causal (windowed) layer."""
    if w is None or n <= w:
        return n * (n + 1) // 2
    return w * (w + 1) // 2 + (n - w) * w


def attention_pairs(s: int, window: int | None, attention: str) -> int:
    """(query, key) pairs one head computes for one sequence of ``s`` tokens."""
    _choice("attention", attention, ATTENTION)
    return s * s if attention == "full" else _band(s, window)


def decode_keys(c_first: int, c_last: int, window: int | None, attention: str) -> int:
    """Keys attended, summed over decode steps at contexts c_first..c_last (one query each)."""
    _choice("attention", attention, ATTENTION)
    if c_last < c_first:
        return 0
    w = window if attention == "causal" else None
    return _band(c_last + 1, w) - _band(c_first, w)


# ---- per-token matmul weights -----------------------------------------------------------------------------
@lru_cache(maxsize=256)
def _per_token(m: ModelConfig, moe: bool) -> tuple[tuple[str, int], ...]:
    """(part, weight elements a token multiplies) of a dense or an MoE layer, from cookbook.shapes."""
    out = dict.fromkeys(LAYER_KEYS, 0)
    for x in kind_matrices(m, moe):
        out[x.flops_part] += (m.moe.top_k if x.routed else x.count) * x.weights
    return tuple(out.items())


def matmul_params_per_token(m: ModelConfig, i: int) -> dict[str, int]:
    """Weight elements each token multiplies in layer ``i``, by part (2x this is its forward FLOPs)."""
    return dict(_per_token(m, m.is_moe_layer(i)))


def _outer_weights(m: ModelConfig, part: str) -> int:
    """Weight elements a token multiplies in ``part`` outside the layers (a tied lm_head is still multiplied)."""
    return sum(x.weights * x.count for x in outer_matrices(m) if x.flops_part == part)


def _lm_head_params(m: ModelConfig) -> int:
    return _outer_weights(m, "lm_head")


def _embedding_projection_params(m: ModelConfig) -> int:
    """OPT-350m's project_in (E -> D) and project_out (D -> E), both applied to every token."""
    return _outer_weights(m, "embedding_projection")


# ---- forward ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ForwardFlops:
    """One forward pass: ``total`` = sum of ``breakdown`` (BREAKDOWN_KEYS); ``layers`` = per-layer totals."""

    total: int
    breakdown: dict
    layers: tuple

    def layer_part(self, keys) -> int:
        return sum(self.breakdown[k] for k in keys)


def _layer_forward(m: ModelConfig, i: int, tokens: int, keys_per_head: int, batch: int,
                   mla_decode: str | None = None) -> dict[str, int]:
    """Forward FLOPs of layer i: ``tokens`` new tokens in all, ``keys_per_head`` (query, key) pairs per
    sequence and head, ``batch`` sequences. ``mla_decode`` (decode only): how MLA attends to its latent cache."""
    part = {k: 2 * tokens * v for k, v in matmul_params_per_token(m, i).items()}
    d_qk, d_v = m.head_size, m.v_head_size
    if m.mla is not None and mla_decode == "expand":
        # the cache holds latents; kv_up (kv_b) re-expands every cached key (not only the new ones) at each step
        kv_b = next(x for x in layer_matrices(m, i) if x.name == "kv_b")
        part["mla_up"] += 2 * (batch * keys_per_head - tokens) * kv_b.weights
    elif m.mla is not None and mla_decode == "absorb":
        # W_UK folded into the query, W_UV applied after: same per-token matmuls, attention in latent space
        d_qk, d_v = m.mla.kv_lora_rank + m.mla.qk_rope_head_dim, m.mla.kv_lora_rank
    part["attention_scores"], part["attention_values"] = attention_core_flops(
        batch * m.num_heads * keys_per_head, d_qk, d_v)
    return part


def attention_core_flops(pairs: int, d_qk: int, d_v: int) -> tuple[int, int]:
    """Forward FLOPs of the attention core for ``pairs`` (query, key) pairs summed over sequences and heads:
    scores QK^T (2 * pairs * d_qk) and probabilities times V (2 * pairs * d_v). FLOPs, not MACs."""
    return 2 * pairs * d_qk, 2 * pairs * d_v


def _assemble(m: ModelConfig, layer_parts, tokens: int, logit_tokens: int) -> ForwardFlops:
    b = dict.fromkeys(BREAKDOWN_KEYS, 0)
    for p in layer_parts:
        for k, v in p.items():
            b[k] += v
    b["embedding_projection"] = 2 * tokens * _embedding_projection_params(m)
    b["lm_head"] = 2 * logit_tokens * _lm_head_params(m)
    return ForwardFlops(total=sum(b.values()), breakdown=b, layers=tuple(sum(p.values()) for p in layer_parts))


def forward_flops(m: ModelConfig, batch: int, seq: int, attention: str = "full",
                  logits: str = "all") -> ForwardFlops:
    """Forward FLOPs of ``batch`` sequences of ``seq`` tokens (training step or prefill)."""
    _check("batch", batch)
    _check("seq", seq)
    _choice("attention", attention, ATTENTION)
    _choice("logits", logits, ("all", "last"))
    t = batch * seq
    parts = [_layer_forward(m, i, t, attention_pairs(seq, m.attention_window(i), attention), batch)
             for i in range(m.num_layers)]
    return _assemble(m, parts, t, t if logits == "all" else batch)


MLA_DECODE = ("expand", "absorb")


def decode_flops(m: ModelConfig, context: int, batch: int = 1, attention: str = "causal", steps: int = 1,
                 mla_decode: str = "expand") -> ForwardFlops:
    """Forward FLOPs of ``steps`` decode steps of ``batch`` sequences, the first at ``context`` cached tokens
    (the next at context+1, ...); each step runs one token per sequence and its logits.

    MLA models cache the latent; ``mla_decode="expand"`` re-applies kv_up to every cached latent at each step
    (Hugging Face transformers), ``"absorb"`` folds kv_up into the query and output (DeepSeek-V2 paper, section
    2.1.2; vLLM, FlashMLA): scores over kv_lora_rank + rope dims, values over kv_lora_rank dims."""
    _check("context", context, 0)
    _check("batch", batch)
    _check("steps", steps, 0)
    _choice("mla_decode", mla_decode, MLA_DECODE)
    t = batch * steps
    parts = [_layer_forward(m, i, t, decode_keys(context, context + steps - 1, m.attention_window(i), attention),
                            batch, mla_decode) for i in range(m.num_layers)]
    return _assemble(m, parts, t, t)


# ---- training ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TrainingFlops:
    """One training step of ``batch`` x ``seq`` tokens. model = forward + backward; hardware = model + recompute."""

    forward: ForwardFlops
    backward: int
    recompute: int
    recompute_policy: str
    attention: str
    tokens: int

    @property
    def model(self) -> int:
        return self.forward.total + self.backward

    @property
    def hardware(self) -> int:
        return self.model + self.recompute

    @property
    def breakdown(self) -> dict:
        """Hardware FLOPs of the step by component: 3 x forward, plus the forward again where recomputed."""
        again = RECOMPUTE_KEYS[self.recompute_policy]
        return {k: (4 if k in again else 3) * v for k, v in self.forward.breakdown.items()}

    def per_token(self, which: str = "model") -> Fraction:
        return Fraction(self.model if which == "model" else self.hardware, self.tokens)


RECOMPUTE_KEYS = {"none": (), "selective": ATTENTION_CORE, "full": LAYER_KEYS}


def recompute_flops(fwd: ForwardFlops, policy: str) -> int:
    """Forward FLOPs re-run by activation recomputation under ``policy`` (see RECOMPUTE)."""
    _choice("recompute", policy, RECOMPUTE)
    return fwd.layer_part(RECOMPUTE_KEYS[policy])


def training_flops(m: ModelConfig, batch: int, seq: int, attention: str = "full",
                   recompute: str = "none") -> TrainingFlops:
    """FLOPs of one training step (forward, backward = 2 x forward, and recompute counted apart)."""
    fwd = forward_flops(m, batch, seq, attention)
    return TrainingFlops(forward=fwd, backward=2 * fwd.total, recompute=recompute_flops(fwd, recompute),
                         recompute_policy=recompute, attention=attention, tokens=batch * seq)


# ---- inference --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class InferenceFlops:
    """One request batch: prefill of ``prompt`` tokens, then ``output - 1`` decode steps (the first output token
    comes from the prefill's last logits). ``decode_first`` / ``decode_last``: one step at the first/last context."""

    prefill: ForwardFlops
    decode: ForwardFlops
    decode_first: ForwardFlops
    decode_last: ForwardFlops
    batch: int
    prompt: int
    output: int

    @property
    def total(self) -> int:
        return self.prefill.total + self.decode.total


def inference_flops(m: ModelConfig, prompt: int, output: int, batch: int = 1, attention: str = "causal",
                    prefill_logits: str = "all", mla_decode: str = "expand") -> InferenceFlops:
    """FLOPs to serve ``batch`` requests of ``prompt`` prompt tokens and ``output`` generated tokens."""
    _check("prompt", prompt)
    _check("output", output)
    pre = forward_flops(m, batch, prompt, attention, prefill_logits)
    steps = output - 1
    dec = decode_flops(m, prompt, batch, attention, steps, mla_decode)
    last = prompt + max(steps, 1) - 1
    return InferenceFlops(prefill=pre, decode=dec,
                          decode_first=decode_flops(m, prompt, batch, attention, 1, mla_decode),
                          decode_last=decode_flops(m, last, batch, attention, 1, mla_decode), batch=batch,
                          prompt=prompt, output=output)


# ---- rules of thumb, side by side -------------------------------------------------------------------------
def rule_of_thumb_flops(m: ModelConfig, seq: int) -> dict[str, dict]:
    """Training FLOPs per token (forward + backward) by the published rules, each with what it counts.

    ``6N``: Kaplan et al. 2020 / Hoffmann et al. 2022, C = 6*N*D with N all (MoE: active) parameters or the
    non-embedding ones; ``palm``: Chowdhery et al. 2022, Appendix B, 6N + 12*L*H*Q*T with T the sequence length
    (for MLA, Q averages the q/k and v head sizes, i.e. 6*L*H*(d_qk + d_v)*T).
    """
    from cookbook.params import count_params

    _check("seq", seq)
    pc = count_params(m)
    inactive = pc.total - pc.active
    n_non_embedding = pc.non_embedding - inactive
    attn = 6 * m.num_layers * m.num_heads * (m.head_size + m.v_head_size) * seq
    out = {
        "6N_total": {"flops_per_token": 6 * pc.active, "N": pc.active,
                     "counts": "6 x all parameters (MoE: active); includes the embedding lookup, norms and biases "
                               "(not matmuls); omits attention scores and values"},
        "6N_non_embedding": {"flops_per_token": 6 * n_non_embedding, "N": n_non_embedding,
                             "counts": "6 x non-embedding parameters (Kaplan et al. 2020); omits the lm_head "
                                       "matmul (unless tied) and attention scores and values"},
        "palm_6N_12LHQT": {"flops_per_token": 6 * pc.active + attn, "N": pc.active,
                           "counts": "PaLM (Chowdhery et al. 2022, App. B): 6N plus 12*L*H*Q*T attention, the full "
                                     "(non-causal) convention; N still includes the embedding lookup"},
    }
    if inactive:
        out["6N_total_all_experts"] = {
            "flops_per_token": 6 * pc.total, "N": pc.total,
            "counts": "6 x all parameters including experts a token is not routed to (overcounts MoE)"}
    return out


# ---- utilisation and time ---------------------------------------------------------------------------------
def _pos(name: str, v) -> None:
    if isinstance(v, bool) or not isinstance(v, (int, float, Fraction)) or not v > 0 or v == float("inf"):
        raise CookbookError(f"{name} must be a positive number, got {v!r}")


def utilization(tokens_per_second: float, flops_per_token, num_gpus: int, peak_flops: float) -> float:
    """Achieved FLOP/s over peak: MFU with model FLOPs per token, HFU with hardware FLOPs per token."""
    _pos("tokens_per_second", tokens_per_second)
    _pos("num_gpus", num_gpus)
    _pos("peak_flops", peak_flops)
    return float(tokens_per_second * Fraction(flops_per_token) / (num_gpus * Fraction(peak_flops)))


def training_time(total_flops, num_gpus: int, peak_flops: float, mfu: float) -> float:
    """Seconds to execute ``total_flops`` on ``num_gpus`` GPUs running at ``mfu`` of ``peak_flops`` each."""
    _pos("num_gpus", num_gpus)
    _pos("peak_flops", peak_flops)
    _pos("mfu", mfu)
    if mfu > 1:
        raise CookbookError(f"mfu is a fraction of peak in (0, 1], got {mfu}; e.g. 0.4 for 40%")
    return float(Fraction(total_flops) / (num_gpus * Fraction(peak_flops) * Fraction(mfu)))


# ---- compute-optimal sizing (Hoffmann et al. 2022, "Chinchilla") ------------------------------------------
CHINCHILLA_FIT = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28,
                  "source": "Hoffmann et al. 2022, section 3.3 (approach 3), eq. 10"}


def chinchilla_rule(compute: float, tokens_per_param: float = 20.0) -> dict:
    """N and D with C = 6*N*D and D = r*N (Chinchilla's ~20 tokens per parameter)."""
    _pos("compute", compute)
    _pos("tokens_per_param", tokens_per_param)
    n = (compute / (6 * tokens_per_param)) ** 0.5
    return {"params": n, "tokens": tokens_per_param * n, "compute": compute}


def chinchilla_loss(params: float, tokens: float, fit: dict = CHINCHILLA_FIT) -> float:
    """L(N, D) = E + A / N^alpha + B / D^beta."""
    _pos("params", params)
    _pos("tokens", tokens)
    return fit["E"] + fit["A"] / params ** fit["alpha"] + fit["B"] / tokens ** fit["beta"]


def chinchilla_fit(compute: float, fit: dict = CHINCHILLA_FIT) -> dict:
    """The loss-minimising N and D for C = 6*N*D under the fitted law (Hoffmann et al. 2022, eq. 4):
    N_opt = G (C/6)^a, D_opt = (C/6)^b / G, G = (alpha A / (beta B))^(1/(alpha+beta)), a = beta/(alpha+beta)."""
    _pos("compute", compute)
    al, be = fit["alpha"], fit["beta"]
    g = (al * fit["A"] / (be * fit["B"])) ** (1 / (al + be))
    n = g * (compute / 6) ** (be / (al + be))
    d = (compute / 6) ** (al / (al + be)) / g
    return {"params": n, "tokens": d, "compute": compute, "loss": chinchilla_loss(n, d, fit),
            "a": be / (al + be), "b": al / (al + be)}
