"""Numbers of the parameters chapter (docs/chapters/params.md), from cookbook.params."""

from __future__ import annotations

from cookbook.params import attention_params, count_params, mlp_params, norm_params
from cookbook.presets import get_preset
from cookbook.shapes import attention_matrices

from docs_src._fmt import n, pct, si, table

# the symbolic size of each breakdown part, for the pages (the numbers come from count_params)
SYMBOLS = {
    "embedding": "$V D$", "position_embedding": "$S_{max} D$", "embedding_norm": "$D$ or $2D$",
    "embedding_projection": "$2 D D_e$", "attention": "$L\\,[D(H+2K)d_h + H d_h D]$",
    "mlp": "$L \\cdot 3DF$ (gated) or $L \\cdot 2DF$", "experts": "$L_{moe} E \\cdot 3 D F_e$",
    "shared_experts": "$L_{moe} E_s \\cdot 3 D F_s$", "router": "$L_{moe} D E$", "layer_norms": "$2LD$ (RMSNorm)",
    "final_norm": "$D$ (RMSNorm)", "lm_head": "$V D$ (0 if tied)",
}


def total(preset: str) -> str:
    return n(count_params(get_preset(preset)).total)


def total_si(preset: str) -> str:
    return si(count_params(get_preset(preset)).total)


SHOWCASE = ("gpt2", "gpt3-175b", "pythia-6.9b", "llama-2-7b", "llama-3-8b", "llama-3.1-70b", "llama-3.1-405b",
            "mistral-7b-v0.1", "mixtral-8x7b", "qwen2.5-7b", "qwen3-30b-a3b", "gemma-2-9b", "gemma-3-27b",
            "deepseek-v3", "gpt-oss-120b")


def presets_table(names=SHOWCASE) -> str:
    rows = []
    for name in names:
        m = get_preset(name)
        c = count_params(m)
        emb = c.total - c.non_embedding
        rows.append((f"`{name}`", n(c.total), n(c.active), n(c.non_embedding), pct(emb / c.total),
                     "yes" if m.tie_embeddings else "no"))
    return table(("preset", "total", "active", "non-embedding", "embedding share", "tied"), rows, "lrrrrl")


def breakdown_table(preset: str) -> str:
    c = count_params(get_preset(preset))
    rows = [(k, SYMBOLS.get(k, ""), n(v), pct(v / c.total)) for k, v in c.breakdown.items() if v]
    rows.append(("**total**", "", f"**{n(c.total)}**", pct(1.0)))
    return table(("part", "size", "parameters", "share"), rows, "llrr")


_QKVO = (("q", "query $W_Q$", "$D \\times H d_h$"), ("k", "key $W_K$", "$D \\times K d_h$"),
         ("v", "value $W_V$", "$D \\times K d_h$"), ("o", "output $W_O$", "$H d_h \\times D$"))


def layer_table(preset: str) -> str:
    """One layer of a dense model, matrix by matrix (the split of attention into Q, K, V, O is by shape)."""
    m = get_preset(preset)
    d, f = m.hidden_size, m.ffn
    attn = attention_params(m)
    mlp = mlp_params(d, f, m.gated_mlp, m.mlp_bias)
    norms = m.layer_norms * norm_params(m, d)
    w = {x.name: x for x in attention_matrices(m)}  # cookbook.shapes: cols (input) x rows (output)
    rows = [(label, shape, f"{w[k].cols} x {w[k].rows}", n(w[k].weights)) for k, label, shape in _QKVO]
    rows += [
        ("**attention** (`attention_params`)", "", "", f"**{n(attn)}**"),
        ("**MLP** (`mlp_params`)", "$3DF$" if m.gated_mlp else "$2DF$", f"{d}, {f}", f"**{n(mlp)}**"),
        ("**norms** (`norm_params` x 2)", "$2D$", "", f"**{n(norms)}**"),
        ("**one layer**", "", "", f"**{n(attn + mlp + norms)}**"),
        (f"x L = {m.num_layers} layers", "", "", n(m.num_layers * (attn + mlp + norms))),
    ]
    return table(("matrix", "shape", "sizes", "parameters"), rows, "lllr")


def tie_saving(preset: str) -> str:
    """Parameters saved by tying the lm_head to the embedding, next to V x D."""
    m = get_preset(preset)
    untied, tied = count_params(m.replace(tie_embeddings=False)), count_params(m.replace(tie_embeddings=True))
    return f"$V D = {m.vocab_rows} \\times {m.hidden_size} =$ {n(untied.total - tied.total)}"


def mha_extra(preset: str) -> str:
    """Parameters added if the model used full multi-head attention (K = H) instead of its GQA."""
    m = get_preset(preset)
    extra = count_params(m.replace(num_kv_heads=m.num_heads)).total - count_params(m).total
    shape = (f"L \\cdot 2 D (H - K) d_h = {m.num_layers} \\cdot 2 \\cdot {m.hidden_size} \\cdot "
             f"{m.num_heads - m.kv_heads} \\cdot {m.head_size}")
    return f"{n(extra)} $= {shape}$"


def kaplan_check(preset: str) -> str:
    """The exact non-embedding count next to Kaplan et al.'s 12 L D^2 approximation."""
    m = get_preset(preset)
    c = count_params(m)
    approx = 12 * m.num_layers * m.hidden_size ** 2  # Kaplan et al. 2020, Table 1 (MHA, F = 4D, no biases)
    return table(("quantity", "value"), [
        ("exact non-embedding (`count_params`)", n(c.non_embedding)),
        ("$12 L D^2$", n(approx)),
        ("ratio exact / approximation", f"{c.non_embedding / approx:.4f}"),
    ])


def embedding_shapes(preset: str) -> str:
    """The embedding matrices of a preset as text, e.g. token (50257 x 768) and position (1024 x 768)."""
    m = get_preset(preset)
    parts = [f"the token embedding (${m.vocab_rows} \\times {m.embed_dim}$)"]
    if m.position == "learned":
        parts.append(f"the position embedding (${m.max_position_embeddings + m.position_offset} \\times "
                     f"{m.hidden_size}$)")
    if not m.tie_embeddings:
        parts.append(f"the lm_head (${m.vocab_rows} \\times {m.embed_dim}$)")
    return " and ".join(parts)


def embedding_share(preset: str) -> str:
    c = count_params(get_preset(preset))
    return pct((c.total - c.non_embedding) / c.total)


def field(preset: str, name: str) -> str:
    """A field or property of a preset's ModelConfig, e.g. ``kv_heads``."""
    return n(getattr(get_preset(preset), name))
