"""Activation memory: bytes saved for the backward pass.

Two models, both per micro-batch of B sequences of S tokens (T = B*S tokens), returning a breakdown per term:

1. ``korthikanti_layer_bytes``: Korthikanti et al. 2022, "Reducing Activation Recomputation in Large Transformer
   Models", section 4 and Table 2: GPT-3 blocks, 16-bit activations, 1-byte dropout masks, eager attention.
   Per layer: S*B*D*(34 + 5*H*S/D) bytes without parallelism; tensor parallel t: (10 + 24/t + 5HS/(Dt));
   with sequence parallel: (34 + 5HS/D)/t; selective recompute drops the 5HS/D attention term; full
   recompute keeps the layer input, 2SBD (/t with sequence parallel).

2. ``hf_activation_terms``: what the Hugging Face transformers (5.x) model classes actually save for backward,
   term by term, measured with ``torch.autograd.graph.saved_tensors_hooks`` on the real classes
   (tests/test_activations.py, docs/memory-validation.md). ``p`` is the activation dtype's bytes.
   Conventions:
   - Dropout is 0 (HF defaults for Llama/Qwen/Mistral/Mixtral): no masks.
   - RMSNorm (HF) upcasts to fp32: saves the fp32 input (4TD), the normalized tensor cast back (pTD), its
     output (pTD, saved by the next linear) and rstd (4T). LayerNorm saves input, output and mean/rstd.
   - ``eager`` attention: q after rotary (pT*H*d_h), k and v expanded to H heads by ``repeat_kv`` (GQA saves no
     activation memory in eager mode), fp32 softmax (4*B*H*S*S) plus its cast to p (p*B*H*S*S; none when
     p = 4), and the contiguous attention output fed to o_proj (pT*H*d_v). Sliding windows are masks: still S*S.
   - ``flash`` attention (SDPA's CPU flash kernel, FlashAttention-2 on GPUs): q (H heads), k and v (K heads,
     no expansion), the output (whose storage o_proj reuses) and fp32 log-sum-exp 4*B*H*S. No S*S term.
     The output's storage is o_proj's input when q is laid out token-major (Llama family); fused-qkv models
     with partial rotary (NeoX, GPT-J, Phi: ``parallel_block``) make q head-major, so o_proj gets a copy.
     Sliding-window layers with S > W: SDPA gets an explicit mask and transformers expands k and v to H heads
     first; the kernel saves the mask converted to an additive (B, 1, S, S) tensor in p, one per such layer
     (FlashAttention-2 would do neither).
     CPU convention: we measure ``attn_implementation="sdpa"`` on CPU, which dispatches to the flash kernel and
     saves exactly these tensors; CUDA FlashAttention-2 keeps the same set (plus an RNG state of a few bytes).
     PyTorch's CPU "math" SDPA backend would instead save the S*S probabilities like ``eager``.
   - Gemma RMSNorm (``norm_unit_offset``): normalized * (1 + w) in fp32, then cast: saves the fp32 input (4TD),
     the fp32 normalized tensor (4TD, not cast), the fp32 (1 + w) vector (4D), rstd (4T) and its output (pTD,
     saved by the next linear); Gemma-3's q/k norms the same with width d_h. Gemma-2/3 sandwich norms
     (``layer_norms == 4``): the post-attention and post-MLP norms' outputs feed no linear, so are not saved.
   - Logit soft-capping c*tanh(x/c) (Gemma-2): tanh saves its output, p*B*H*S*S per layer in eager attention
     (``attn_logit_softcapping``; transformers' SDPA path refuses soft-capping and FlashAttention-2 applies it
     inside the kernel, so none in ``flash``), and p*T*V for ``final_logit_softcapping``.
   - Gated MLP: gate output, its activation, up output and their product: 4pTF, the same for SwiGLU and GeGLU
     (Gemma's gelu_pytorch_tanh saves its input only). Plain MLP: 2pTF (exact GELU).
   - MLA (DeepSeek-V3): the q and kv latent RMSNorms, then the eager terms with H heads of d_qk (keys) and
     d_v (values); measured within 2.5 % in eager mode. CPU SDPA cannot use its flash kernel when d_qk != d_v
     and falls back to the math backend, so MLA's ``flash`` terms are not measured on CPU.
   - MoE (transformers 5 grouped experts): per routed token-slot (T*k of them) the gathered input, gate_up
     output (2F), activation, product and down output: p*T*k*(2D + 4F); router logits fp32 4TE; routing
     indices/weights ~40 bytes per token-slot.
   - Model-level: token ids and shifted labels (int64, 8T each), rotary cos/sin tables (shared by all layers),
     the final norm, and the loss's fp32 log-softmax over the vocabulary, 4*T*V (HF upcasts logits to fp32).
     Not counted (a few bytes or independent of B and L): Gemma's sqrt(D) embedding-scale scalar (p bytes) and
     Gemma-3's second cos/sin pair for its local rotary base when both layer types are present (2*S*d_h*p).
   CPU kernels can save different tensors than CUDA kernels; the terms above are the CPU measurement.
"""

from __future__ import annotations

from dataclasses import dataclass

from cookbook.errors import CookbookError
from cookbook.model import ModelConfig

__all__ = ["ATTENTION_IMPLS", "RECOMPUTE", "Term", "hf_layer_terms", "hf_model_terms", "hf_activation_bytes",
           "korthikanti_layer_bytes", "korthikanti_coefficient"]

ATTENTION_IMPLS = ("flash", "eager")
RECOMPUTE = ("none", "selective", "full")


@dataclass(frozen=True)
class Term:
    """One saved tensor (group). ``tp``: split by tensor parallelism (inside attention/MLP); otherwise split by
    TP only with sequence parallelism. ``quadratic``: an S*S attention term (what selective recompute drops).
    ``linear_input``: saved as the input of a linear layer (fp8 training saves these at 1 byte)."""

    name: str
    nbytes: int
    tp: bool = False
    quadratic: bool = False
    linear_input: bool = False


def korthikanti_coefficient(s: int, h: int, a: int, t: int = 1, sp: bool = False, recompute: str = "none") -> float:
    """The bracket in Korthikanti et al. Table 2: activation bytes per layer divided by S*B*D."""
    if recompute == "full":
        return 2 / t if sp else 2.0
    attn = 0.0 if recompute == "selective" else 5 * a * s / (h * t)
    return (34 / t if sp else 10 + 24 / t) + attn


def korthikanti_layer_bytes(s: int, b: int, h: int, a: int, t: int = 1, sp: bool = False,
                            recompute: str = "none") -> float:
    """Korthikanti et al. 2022 Table 2 activation bytes of one transformer layer on one GPU."""
    if recompute not in RECOMPUTE:
        raise CookbookError(f"recompute must be one of {', '.join(RECOMPUTE)}; got {recompute!r}")
    return s * b * h * korthikanti_coefficient(s, h, a, t, sp, recompute)


def _norm_terms(m: ModelConfig, prefix: str, t: int, width: int, p: int, output_saved: bool) -> list[Term]:
    if m.norm == "rmsnorm" and m.norm_unit_offset:  # Gemma: normalized * (1 + w) in fp32, then the cast
        out = [Term(f"{prefix} fp32 input", 4 * t * width), Term(f"{prefix} normalized fp32", 4 * t * width),
               Term(f"{prefix} (1 + w) fp32", 4 * width), Term(f"{prefix} rstd", 4 * t)]
    elif m.norm == "rmsnorm":
        out = [Term(f"{prefix} fp32 input", 4 * t * width), Term(f"{prefix} normalized", p * t * width),
               Term(f"{prefix} rstd", 4 * t)]
    else:
        out = [Term(f"{prefix} input", p * t * width), Term(f"{prefix} mean+rstd", 8 * t)]
    if output_saved:
        out.append(Term(f"{prefix} output", p * t * width, linear_input=True))
    return out


def _attention_terms(m: ModelConfig, b: int, s: int, p: int, impl: str, window: int | None = None) -> list[Term]:
    t, h, k = b * s, m.num_heads, m.kv_heads
    dq, dv = m.head_size, m.v_head_size
    out = []
    if m.qk_norm == "head":
        for nm, heads in (("q_norm", h), ("k_norm", k)):
            if m.norm_unit_offset:  # Gemma-3: fp32 normalized and the fp32 (1 + w) of width d_h
                out += [Term(f"{nm} fp32 input", 4 * t * heads * dq, tp=True),
                        Term(f"{nm} normalized fp32", 4 * t * heads * dq, tp=True),
                        Term(f"{nm} (1 + w) fp32", 4 * dq), Term(f"{nm} rstd", 4 * t * heads, tp=True)]
                continue
            out += [Term(f"{nm} fp32 input", 4 * t * heads * dq, tp=True),
                    Term(f"{nm} normalized", p * t * heads * dq, tp=True), Term(f"{nm} rstd", 4 * t * heads, tp=True)]
    if m.mla is not None:
        a = m.mla
        out += [Term(f"kv latent norm {x}", n, tp=False) for x, n in
                (("fp32 input", 4 * t * a.kv_lora_rank), ("normalized", p * t * a.kv_lora_rank),
                 ("output", p * t * a.kv_lora_rank), ("rstd", 4 * t))]
        if a.q_lora_rank:
            out += [Term(f"q latent norm {x}", n) for x, n in
                    (("fp32 input", 4 * t * a.q_lora_rank), ("normalized", p * t * a.q_lora_rank),
                     ("output", p * t * a.q_lora_rank), ("rstd", 4 * t))]
    if impl == "eager":
        kv = h  # repeat_kv expands K heads to H before the saved matmuls
        out += [Term("q (after rotary)", p * t * h * dq, tp=True),
                Term("k (repeated to H heads)", p * t * kv * dq, tp=True),
                Term("v (repeated to H heads)", p * t * kv * dv, tp=True),
                Term("softmax fp32", 4 * b * h * s * s, tp=True, quadratic=True)]
        if m.attn_logit_softcapping is not None:  # c*tanh(x/c): tanh saves its output
            out.append(Term("soft-capping tanh output", p * b * h * s * s, tp=True, quadratic=True))
        if p != 4:
            out.append(Term("attention probs", p * b * h * s * s, tp=True, quadratic=True))
        out.append(Term("attention output (o_proj input)", p * t * h * dv, tp=True, linear_input=True))
    elif impl == "flash":
        # SDPA needs an explicit mask once a sliding window cuts into the sequence, and transformers then
        # expands K/V to H heads (repeat_kv) before the kernel; FlashAttention-2 takes the window natively
        masked = window is not None and s > window
        kv = h if (m.mla is not None or masked) else k
        out += [Term("q (after rotary)", p * t * h * dq, tp=True), Term("k", p * t * kv * dq, tp=True),
                Term("v", p * t * kv * dv, tp=True), Term("attention output", p * t * h * dv, tp=True),
                Term("log-sum-exp fp32", 4 * t * h, tp=True)]
        if masked:  # SDPA turns the boolean (B, 1, S, S) window mask into an additive one in p and saves it
            out.append(Term("sliding-window mask (SDPA, additive)", p * b * s * s, quadratic=True))
        if m.parallel_block:  # fused-qkv + partial-rotary models (NeoX, GPT-J, Phi): q is head-major
            out.append(Term("o_proj input (transposed copy)", p * t * h * dv, tp=True, linear_input=True))
    else:
        raise CookbookError(f"attention must be one of {', '.join(ATTENTION_IMPLS)}; got {impl!r}")
    return out


def _mlp_terms(m: ModelConfig, i: int, t: int, p: int) -> list[Term]:
    d = m.hidden_size
    if m.is_moe_layer(i):
        e = m.moe
        tk = t * e.top_k
        f = e.expert_ffn_size
        out = [Term("router logits fp32", 4 * t * e.num_experts), Term("routing indices and weights", 40 * tk),
               Term("expert inputs (gathered)", p * tk * d, tp=True, linear_input=True),
               Term("expert gate_up output", p * tk * 2 * f, tp=True),
               Term("expert activation", p * tk * f, tp=True),
               Term("expert product (down input)", p * tk * f, tp=True, linear_input=True),
               Term("expert down output", p * tk * d, tp=True)]
        if m.mla is not None and p != 4:  # DeepSeek-V3's router runs in fp32: input and weight upcast copies
            out.append(Term("router fp32 input and weight copies", 4 * t * d + 4 * e.num_experts * d))
        if e.num_shared_experts:
            out += _dense_mlp_terms(m, t, p, e.num_shared_experts * e.shared_expert_ffn_size, "shared expert")
        return out
    return _dense_mlp_terms(m, t, p, m.ffn, "mlp")


def _dense_mlp_terms(m: ModelConfig, t: int, p: int, f: int, name: str) -> list[Term]:
    if m.gated_mlp:
        return [Term(f"{name} gate output", p * t * f, tp=True), Term(f"{name} activation", p * t * f, tp=True),
                Term(f"{name} up output", p * t * f, tp=True),
                Term(f"{name} product (down input)", p * t * f, tp=True, linear_input=True)]
    return [Term(f"{name} up output", p * t * f, tp=True),
            Term(f"{name} activation (down input)", p * t * f, tp=True, linear_input=True)]


def hf_layer_terms(m: ModelConfig, i: int, b: int, s: int, p: int = 2, attention: str = "flash") -> list[Term]:
    """Saved-for-backward terms of decoder layer ``i`` (HF transformers classes, see module docstring)."""
    t, d = b * s, m.hidden_size
    terms = []
    if m.parallel_block:
        terms += _norm_terms(m, "input norm", t, d, p, True)
        if m.layer_norms == 2:  # a second norm on the same input: its input storage is shared
            terms += [x for x in _norm_terms(m, "mlp norm", t, d, p, True) if x.name != "mlp norm input"]
    else:
        terms += _norm_terms(m, "input norm", t, d, p, True)
    terms += _attention_terms(m, b, s, p, attention, m.attention_window(i))
    if not m.parallel_block:
        if m.layer_norms == 4:
            terms += _norm_terms(m, "post-attention norm", t, d, p, False)
            terms += _norm_terms(m, "pre-mlp norm", t, d, p, True)
        else:
            terms += _norm_terms(m, "post-attention norm", t, d, p, True)
    terms += _mlp_terms(m, i, t, p)
    if m.layer_norms == 4:
        terms += _norm_terms(m, "post-mlp norm", t, d, p, False)
    return terms


def hf_model_terms(m: ModelConfig, b: int, s: int, p: int = 2) -> list[Term]:
    """Saved-for-backward terms outside the decoder layers (embedding, rotary tables, final norm, loss)."""
    t = b * s
    out = [Term("token ids (int64)", 8 * t), Term("labels (int64)", 8 * t)]
    if m.position == "rotary":
        out.append(Term("rotary cos+sin tables", 2 * s * m.head_size * p))
    if m.final_norm:
        out += _norm_terms(m, "final norm", t, m.hidden_size, p, True)
    if m.final_logit_softcapping is not None:  # c*tanh(logits/c): tanh saves its output
        out.append(Term("logit soft-capping tanh output", p * t * m.vocab_rows, tp=True))
    out += [Term("log-softmax fp32 (loss)", 4 * t * m.vocab_rows, tp=True), Term("loss scalar", 4)]
    return out


def hf_activation_bytes(m: ModelConfig, b: int, s: int, p: int = 2, attention: str = "flash") -> dict:
    """Whole-model saved bytes with per-term breakdown: {"total", "layers", "model", "per_term": {name: bytes}}."""
    per_term: dict[str, int] = {}
    layers = 0
    for i in range(m.num_layers):
        for x in hf_layer_terms(m, i, b, s, p, attention):
            per_term[x.name] = per_term.get(x.name, 0) + x.nbytes
            layers += x.nbytes
    model = 0
    for x in hf_model_terms(m, b, s, p):
        per_term[x.name] = per_term.get(x.name, 0) + x.nbytes
        model += x.nbytes
    return {"total": layers + model, "layers": layers, "model": model, "per_term": per_term}
