"""The model description: one frozen dataclass that expresses every decoder-only model we support.

Notation (see docs/notation.md): V vocabulary, D hidden size, L layers, H attention heads, K key/value heads,
d_h head dimension, F MLP intermediate size, E routed experts, k experts per token.

Values a user passes are never overwritten; derived values (``kv_heads``, ``head_size``...) are properties.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

from cookbook.errors import CookbookError

__all__ = ["ModelConfig", "MoEConfig", "MLAConfig", "NORMS", "POSITIONS", "QK_NORMS", "LAYER_TYPES"]

NORMS = ("layernorm", "rmsnorm", "nonparametric")
POSITIONS = ("learned", "rotary", "alibi", "none")
QK_NORMS = ("none", "head", "full")
LAYER_TYPES = ("full_attention", "sliding_attention")


def _positive(name: str, value, allow_zero: bool = False) -> None:
    ok = isinstance(value, int) and not isinstance(value, bool) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        need = "a non-negative integer" if allow_zero else "a positive integer"
        raise CookbookError(f"{name} must be {need}, got {value!r}")


def _flag(name: str, value) -> None:
    if not isinstance(value, bool):
        raise CookbookError(f"{name} must be True or False, got {value!r}")


def _softcap(name: str, value) -> None:
    ok = value is None or (isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < float("inf"))
    if not ok:
        raise CookbookError(f"{name} must be a positive number (the tanh cap) or None for no capping, got {value!r}")


def _choice(name: str, value, choices) -> None:
    if value not in choices:
        raise CookbookError(f"{name} must be one of {', '.join(choices)}; got {value!r}")


@dataclass(frozen=True)
class MoEConfig:
    """Mixture of experts in the MLP.

    ``num_experts`` routed experts of intermediate size ``expert_ffn_size``, ``top_k`` of them per token;
    ``num_shared_experts`` always-on experts of size ``shared_expert_ffn_size`` each (DeepSeek, Qwen2-MoE);
    ``shared_expert_gate``: a D->1 sigmoid gate on the shared expert (Qwen2-MoE). Which layers are MoE:
    layer i is dense when ``i < first_dense_layers``, when ``i`` is in ``dense_layers``, or when
    ``(i + 1) % layer_interval != 0`` (Qwen2-MoE ``decoder_sparse_step``); dense layers use the model's F.
    ``router_bias``: the router Linear has a bias (gpt-oss). ``expert_bias``: expert linears have biases.
    """

    num_experts: int
    top_k: int
    expert_ffn_size: int
    num_shared_experts: int = 0
    shared_expert_ffn_size: int = 0
    shared_expert_gate: bool = False
    first_dense_layers: int = 0
    layer_interval: int = 1
    dense_layers: tuple[int, ...] = ()
    router_bias: bool = False
    expert_bias: bool = False

    def __post_init__(self):
        _positive("moe.num_experts", self.num_experts)
        _positive("moe.top_k", self.top_k)
        _positive("moe.expert_ffn_size", self.expert_ffn_size)
        _positive("moe.num_shared_experts", self.num_shared_experts, allow_zero=True)
        _positive("moe.first_dense_layers", self.first_dense_layers, allow_zero=True)
        _positive("moe.layer_interval", self.layer_interval)
        for f in ("shared_expert_gate", "router_bias", "expert_bias"):
            _flag(f"moe.{f}", getattr(self, f))
        if not isinstance(self.dense_layers, (list, tuple)):
            raise CookbookError(f"moe.dense_layers must be a list of layer indices, got {self.dense_layers!r}")
        for i in self.dense_layers:
            _positive("moe.dense_layers entry", i, allow_zero=True)
        if self.top_k > self.num_experts:
            raise CookbookError(
                f"moe.top_k ({self.top_k}) exceeds moe.num_experts ({self.num_experts}); "
                f"set top_k <= {self.num_experts}")
        if self.num_shared_experts:
            _positive("moe.shared_expert_ffn_size", self.shared_expert_ffn_size)
        elif self.shared_expert_ffn_size or self.shared_expert_gate:
            raise CookbookError(
                "moe.shared_expert_ffn_size/shared_expert_gate given but moe.num_shared_experts is 0; "
                "set num_shared_experts >= 1 or drop them")
        object.__setattr__(self, "dense_layers", tuple(self.dense_layers))

    def is_moe_layer(self, i: int) -> bool:
        return i >= self.first_dense_layers and i not in self.dense_layers and (i + 1) % self.layer_interval == 0


@dataclass(frozen=True)
class MLAConfig:
    """Multi-head latent attention (DeepSeek-V2/V3).

    Queries: D -> q_lora_rank (RMSNorm) -> H*(nope+rope), or D -> H*(nope+rope) directly when q_lora_rank is 0.
    Keys/values: D -> kv_lora_rank + rope (the cached latent plus the shared rope key), RMSNorm on the latent,
    kv_lora_rank -> H*(nope + v). Output: H*v -> D.
    """

    kv_lora_rank: int
    qk_rope_head_dim: int
    qk_nope_head_dim: int
    v_head_dim: int
    q_lora_rank: int = 0

    def __post_init__(self):
        _positive("mla.kv_lora_rank", self.kv_lora_rank)
        _positive("mla.qk_rope_head_dim", self.qk_rope_head_dim)
        _positive("mla.qk_nope_head_dim", self.qk_nope_head_dim, allow_zero=True)
        _positive("mla.v_head_dim", self.v_head_dim)
        _positive("mla.q_lora_rank", self.q_lora_rank, allow_zero=True)

    @property
    def qk_head_dim(self) -> int:
        return self.qk_nope_head_dim + self.qk_rope_head_dim


_FLAGS = ("gated_mlp", "tie_embeddings", "norm_bias", "parallel_block", "qk_norm_bias", "embedding_norm",
          "final_norm", "qkv_bias", "out_bias", "mlp_bias", "lm_head_bias", "attention_sinks",
          "norm_unit_offset")


@dataclass(frozen=True)
class ModelConfig:
    """A decoder-only transformer.

    Shapes: ``vocab_size`` V (``padded_vocab_size`` rows in the embedding when set, e.g. Megatron padding),
    ``hidden_size`` D, ``num_layers`` L, ``num_heads`` H, ``num_kv_heads`` K (None: K = H, MHA; 1: MQA),
    ``head_dim`` d_h (None: D // H), ``ffn_size`` F (None: 4*D), ``gated_mlp`` (SwiGLU/GeGLU: three matrices).

    Structure: ``norm`` (layernorm / rmsnorm / nonparametric) with ``norm_bias``; ``layer_norms`` D-sized norms per
    layer (2 pre-norm; 4 for Gemma-2/3 sandwich norms; 1 or 2 for parallel blocks); ``parallel_block``: attention
    and MLP read the same input (GPT-J, NeoX, Falcon, PaLM); ``qk_norm``: none, ``head`` (one d_h-sized norm for
    q and one for k, Qwen3/Gemma3) or ``full`` (H*d_h and K*d_h, OLMo2/Cohere/StableLM per-head);
    ``embedding_norm`` (BLOOM); ``final_norm``; ``embedding_dim`` (OPT-350m's factorised embedding: project_in/out).
    ``norm_unit_offset``: Gemma's RMSNorm, which scales by (1 + w) and applies the scale in fp32 before casting
    back (False: Llama's RMSNorm, w times the normalized tensor cast back); same parameters, it only changes
    what is saved for backward (cookbook.activations).

    Positions: ``position`` learned / rotary / alibi / none; learned tables have ``max_position_embeddings +
    position_offset`` rows (OPT offsets by 2). Biases: ``qkv_bias``, ``out_bias`` (attention output projection),
    ``mlp_bias``, ``lm_head_bias``. ``tie_embeddings``: lm_head shares the token embedding.

    Attention variants: ``sliding_window`` W with ``layer_types`` (one of LAYER_TYPES per layer; None: every layer
    sliding when W is set, else full); ``attention_sinks``: one learned logit per head (gpt-oss); ``mla``; ``moe``.
    Logit soft-capping (Gemma-2): ``attn_logit_softcapping`` c, attention scores become c*tanh(scores/c);
    ``final_logit_softcapping``, the same on the lm_head logits (None: no capping). No parameters, no matmul
    FLOPs; they change what is saved for backward.
    """

    vocab_size: int
    hidden_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int | None = None
    head_dim: int | None = None
    ffn_size: int | None = None
    gated_mlp: bool = False
    activation: str = "gelu"
    padded_vocab_size: int | None = None
    tie_embeddings: bool = False
    position: str = "rotary"
    max_position_embeddings: int = 2048
    position_offset: int = 0
    norm: str = "rmsnorm"
    norm_bias: bool = False
    layer_norms: int = 2
    parallel_block: bool = False
    qk_norm: str = "none"
    qk_norm_bias: bool = False
    embedding_norm: bool = False
    final_norm: bool = True
    embedding_dim: int | None = None
    qkv_bias: bool = False
    out_bias: bool = False
    mlp_bias: bool = False
    lm_head_bias: bool = False
    sliding_window: int | None = None
    layer_types: tuple[str, ...] | None = None
    attention_sinks: bool = False
    norm_unit_offset: bool = False
    attn_logit_softcapping: float | None = None
    final_logit_softcapping: float | None = None
    moe: MoEConfig | None = None
    mla: MLAConfig | None = None
    name: str = field(default="custom", compare=False)

    def __post_init__(self):
        for f in ("vocab_size", "hidden_size", "num_layers", "num_heads", "max_position_embeddings"):
            _positive(f, getattr(self, f))
        for f in ("num_kv_heads", "head_dim", "ffn_size", "padded_vocab_size", "embedding_dim", "sliding_window"):
            if getattr(self, f) is not None:
                _positive(f, getattr(self, f))
        _positive("position_offset", self.position_offset, allow_zero=True)
        for f in ("attn_logit_softcapping", "final_logit_softcapping"):
            _softcap(f, getattr(self, f))
        for f in _FLAGS:
            _flag(f, getattr(self, f))
        _choice("norm", self.norm, NORMS)
        _choice("position", self.position, POSITIONS)
        _choice("qk_norm", self.qk_norm, QK_NORMS)
        if self.moe is not None and not isinstance(self.moe, MoEConfig):
            raise CookbookError(f"moe must be a MoEConfig or None, got {type(self.moe).__name__}")
        if self.mla is not None and not isinstance(self.mla, MLAConfig):
            raise CookbookError(f"mla must be a MLAConfig or None, got {type(self.mla).__name__}")
        self._check_heads()
        self._check_layers()
        if self.padded_vocab_size is not None and self.padded_vocab_size < self.vocab_size:
            raise CookbookError(
                f"padded_vocab_size ({self.padded_vocab_size}) is smaller than vocab_size ({self.vocab_size}); "
                f"set it to at least {self.vocab_size} or leave it unset")
        if self.norm != "layernorm" and self.norm_bias:
            raise CookbookError(f"norm_bias=True needs norm='layernorm' (got norm={self.norm!r}); drop norm_bias")

    def _check_heads(self):
        h, k = self.num_heads, self.kv_heads
        if h % k:
            raise CookbookError(
                f"num_heads ({h}) is not divisible by num_kv_heads ({k}); use a divisor of {h} "
                f"such as {max(d for d in range(1, k + 1) if h % d == 0)}")
        if self.head_dim is None and self.mla is None and self.hidden_size % h:
            raise CookbookError(
                f"hidden_size ({self.hidden_size}) is not divisible by num_heads ({h}); "
                "set head_dim explicitly or change the number of heads")
        if self.mla is not None and self.num_kv_heads not in (None, h):
            raise CookbookError(
                f"MLA models use num_kv_heads == num_heads ({h}), got {self.num_kv_heads}; leave num_kv_heads unset")

    def _check_layers(self):
        if self.parallel_block and self.layer_norms not in (1, 2):
            raise CookbookError(f"a parallel block has 1 or 2 layer norms, got layer_norms={self.layer_norms}")
        if not self.parallel_block and self.layer_norms not in (2, 4):
            raise CookbookError(
                f"a sequential block has 2 (pre-norm) or 4 (sandwich) layer norms, got layer_norms={self.layer_norms}")
        if self.layer_types is not None:
            object.__setattr__(self, "layer_types", tuple(self.layer_types))
            if len(self.layer_types) != self.num_layers:
                raise CookbookError(
                    f"layer_types has {len(self.layer_types)} entries but num_layers is {self.num_layers}; "
                    "give one entry per layer")
            for t in self.layer_types:
                _choice("layer_types entry", t, LAYER_TYPES)
            if "sliding_attention" in self.layer_types and self.sliding_window is None:
                raise CookbookError("layer_types has sliding_attention layers but sliding_window is unset; "
                                    "set sliding_window to the window length in tokens")
        if self.moe is not None:
            if not any(self.moe.is_moe_layer(i) for i in range(self.num_layers)):
                raise CookbookError(
                    f"moe is set but no layer is MoE (first_dense_layers={self.moe.first_dense_layers}, "
                    f"layer_interval={self.moe.layer_interval}, num_layers={self.num_layers}); drop moe or fix them")

    # ---- derived values -------------------------------------------------------------------------------------
    @property
    def kv_heads(self) -> int:
        """K: key/value heads (H for MHA and MLA, 1 for MQA)."""
        return self.num_heads if self.num_kv_heads is None else self.num_kv_heads

    @property
    def head_size(self) -> int:
        """d_h: the query/key head dimension (MLA: nope + rope)."""
        if self.mla is not None:
            return self.mla.qk_head_dim
        return self.hidden_size // self.num_heads if self.head_dim is None else self.head_dim

    @property
    def v_head_size(self) -> int:
        """The value head dimension (MLA's v_head_dim; otherwise d_h)."""
        return self.mla.v_head_dim if self.mla is not None else self.head_size

    @property
    def ffn(self) -> int:
        """F: the dense MLP intermediate size (4*D when unset)."""
        return 4 * self.hidden_size if self.ffn_size is None else self.ffn_size

    @property
    def vocab_rows(self) -> int:
        """Rows of the embedding and lm_head (the padded vocabulary when set)."""
        return self.vocab_size if self.padded_vocab_size is None else self.padded_vocab_size

    @property
    def embed_dim(self) -> int:
        return self.hidden_size if self.embedding_dim is None else self.embedding_dim

    def layer_type(self, i: int) -> str:
        """``full_attention`` or ``sliding_attention`` for layer i."""
        if self.layer_types is not None:
            return self.layer_types[i]
        return "sliding_attention" if self.sliding_window is not None else "full_attention"

    def attention_window(self, i: int) -> int | None:
        """Keys a query of layer i can see at most (None: unbounded)."""
        return self.sliding_window if self.layer_type(i) == "sliding_attention" else None

    def is_moe_layer(self, i: int) -> bool:
        return self.moe is not None and self.moe.is_moe_layer(i)

    def replace(self, **changes) -> "ModelConfig":
        """A copy with some fields changed (validated again)."""
        known = {f.name for f in fields(self)}
        bad = sorted(set(changes) - known)
        if bad:
            raise CookbookError(f"unknown model field(s) {', '.join(bad)}; known: {', '.join(sorted(known))}")
        return replace(self, **changes)
