"""A parallel layout: how a training (or serving) job splits a model over GPUs.

World size = TP x PP x DP x CP (Megatron-LM's ordering). Expert parallelism EP is carved out of the DP x CP ranks
(Megatron-Core: expert-data-parallel = DP*CP/EP) and expert weights are also split by TP. ZeRO stage 1/2/3
(Rajbhandari et al. 2020) or an FSDP mode shards state over the DP x CP group (``hybrid_shard``: over groups of
``shard_group`` ranks, replicated across groups). Pipeline schedules: ``1f1b`` (PipeDream-Flush) and
``interleaved`` with ``virtual_stages`` model chunks per GPU (Narayanan et al. 2021).

Pipeline layer split (``split_layers``, the one formula used by cookbook.memory, cookbook.train_time and
cookbook.planner): by default every stage holds num_layers / pp layers and ``check`` raises when pp*virtual_stages
does not divide num_layers (as Megatron-LM does). ``first_stage_layers`` / ``last_stage_layers`` (Megatron-LM's
--decoder-first-pipeline-num-layers / --decoder-last-pipeline-num-layers) fix the first / last stage's layers and
split the rest evenly over the other stages, which must then divide evenly; Llama 3 405B: 126 layers on 16 stages,
7 on the first and the last, 8 on each of the 14 others (Llama 3 paper, section 3.3.2). Uneven splits need
virtual_stages = 1 (the 1F1B schedule).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from cookbook.errors import CookbookError

__all__ = ["ParallelLayout", "FSDP_MODES", "SCHEDULES", "ZERO_OF_FSDP", "split_layers", "balanced_split"]

FSDP_MODES = ("none", "full_shard", "hybrid_shard", "shard_grad_op")
SCHEDULES = ("1f1b", "interleaved")
ZERO_OF_FSDP = {"full_shard": 3, "hybrid_shard": 3, "shard_grad_op": 2}


def _pos(name, v):
    if not isinstance(v, int) or isinstance(v, bool) or v < 1:
        raise CookbookError(f"{name} must be a positive integer, got {v!r}")


def split_layers(num_layers: int, chunks: int, first: int | None = None, last: int | None = None) -> tuple:
    """Layers per pipeline chunk (length ``chunks``), summing to ``num_layers``.

    ``first`` / ``last`` given: chunk 0 / chunk -1 hold that many and the others split the rest evenly (an error,
    naming the numbers, when they cannot). Neither given: as even as possible, the first chunks taking the remainder
    (cookbook.train_time's convention for a layout whose pp does not divide the layers)."""
    fixed = {0: first, chunks - 1: last} if chunks > 1 else {}
    fixed = {k: v for k, v in fixed.items() if v is not None}
    if chunks == 1 and (first is not None or last is not None):
        raise CookbookError("first_stage_layers / last_stage_layers need pp > 1")
    for k, v in fixed.items():
        name = "first_stage_layers" if k == 0 else "last_stage_layers"
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise CookbookError(f"{name} must be a positive integer, got {v!r}")
    rest, others = num_layers - sum(fixed.values()), chunks - len(fixed)
    if not fixed:
        q, r = divmod(num_layers, chunks)
        return tuple(q + (1 if i < r else 0) for i in range(chunks))
    if others == 0 and rest != 0 or others and (rest < others or rest % others):
        given = " + ".join(f"{v}" for v in fixed.values())
        raise CookbookError(f"num_layers ({num_layers}) - first/last stage layers ({given}) = {rest} cannot be "
                            f"split evenly over the other {others} stage(s); choose first_stage_layers / "
                            f"last_stage_layers so that {others} divides the rest")
    q = rest // others if others else 0
    return tuple(fixed.get(i, q) for i in range(chunks))


def balanced_split(num_layers: int, pp: int) -> tuple:
    """(first_stage_layers, last_stage_layers) for a pp that does not divide num_layers: the middle stages hold
    ceil(num_layers / pp) layers and the first and last share the rest, the first taking the odd one (the last
    also runs the lm_head). Llama 3 405B: (7, 7) for 126 layers on 16 stages. None when no such split exists."""
    q = -(-num_layers // pp)
    rest = num_layers - (pp - 2) * q
    last = rest // 2
    first = rest - last
    if pp < 2 or last < 1 or first > q:
        return None
    return first, last


@dataclass(frozen=True)
class ParallelLayout:
    """Parallel degrees and per-GPU batch settings. Validated on construction; ``check(model, seq_len)`` checks
    divisibility against a model."""

    tp: int = 1
    pp: int = 1
    dp: int = 1
    cp: int = 1
    ep: int = 1
    zero: int = 0
    fsdp: str = "none"
    shard_group: int = 0
    sequence_parallel: bool = False
    micro_batch: int = 1
    num_microbatches: int = 1
    virtual_stages: int = 1
    schedule: str = "1f1b"
    first_stage_layers: int | None = None
    last_stage_layers: int | None = None

    def __post_init__(self):
        for f in ("tp", "pp", "dp", "cp", "ep", "micro_batch", "num_microbatches", "virtual_stages"):
            _pos(f, getattr(self, f))
        if self.zero not in (0, 1, 2, 3):
            raise CookbookError(f"zero must be 0, 1, 2 or 3, got {self.zero!r}")
        if self.fsdp not in FSDP_MODES:
            raise CookbookError(f"fsdp must be one of {', '.join(FSDP_MODES)}; got {self.fsdp!r}")
        if self.fsdp != "none" and self.zero:
            raise CookbookError(f"give either zero={self.zero} or fsdp={self.fsdp!r}, not both "
                                f"(fsdp {self.fsdp} is ZeRO-{ZERO_OF_FSDP[self.fsdp]})")
        if self.schedule not in SCHEDULES:
            raise CookbookError(f"schedule must be one of {', '.join(SCHEDULES)}; got {self.schedule!r}")
        if self.virtual_stages > 1 and self.schedule != "interleaved":
            raise CookbookError(f"virtual_stages={self.virtual_stages} needs schedule='interleaved'")
        if self.schedule == "interleaved" and self.pp == 1:
            raise CookbookError("the interleaved schedule needs pp > 1; use schedule='1f1b' or raise pp")
        if (self.dp * self.cp) % self.ep:
            raise CookbookError(f"ep ({self.ep}) must divide dp*cp ({self.dp}*{self.cp} = {self.dp * self.cp}); "
                                "expert parallel ranks are taken from the data-parallel ranks")
        if self.fsdp == "hybrid_shard":
            g = self.shard_group or min(8, self.dp_group)
            if self.dp_group % g:
                raise CookbookError(f"hybrid_shard group ({g}) must divide dp*cp ({self.dp_group})")
        elif self.shard_group:
            raise CookbookError("shard_group is only used with fsdp='hybrid_shard'")
        for f in ("first_stage_layers", "last_stage_layers"):
            v = getattr(self, f)
            if v is not None:
                _pos(f, v)
                if self.pp == 1:
                    raise CookbookError(f"{f} = {v} needs pp > 1")
                if self.virtual_stages > 1:
                    raise CookbookError(f"{f} = {v}: uneven pipeline splits need virtual_stages = 1, "
                                        f"got {self.virtual_stages}")

    @property
    def uneven(self) -> bool:
        """Whether first_stage_layers or last_stage_layers is given."""
        return self.first_stage_layers is not None or self.last_stage_layers is not None

    def stage_layers(self, num_layers: int) -> tuple:
        """Layers per pipeline stage (length pp), from ``split_layers``; for an interleaved layout each stage's
        virtual_stages chunks together."""
        if self.uneven:
            return split_layers(num_layers, self.pp, self.first_stage_layers, self.last_stage_layers)
        return split_layers(num_layers, self.pp)

    def as_dict(self) -> dict:
        """All fields, JSON-able; ``ParallelLayout(**d)`` rebuilds it."""
        return asdict(self)

    @property
    def world_size(self) -> int:
        return self.tp * self.pp * self.dp * self.cp

    @property
    def dp_group(self) -> int:
        """Ranks holding the same model shard (gradients are reduced over them): DP x CP."""
        return self.dp * self.cp

    @property
    def zero_stage(self) -> int:
        """The ZeRO stage in effect (an FSDP mode maps to its stage)."""
        return ZERO_OF_FSDP.get(self.fsdp, self.zero)

    @property
    def shard_size(self) -> int:
        """Ranks that optimizer/gradient/weight shards are spread over (1 when nothing is sharded)."""
        if self.zero_stage == 0:
            return 1
        if self.fsdp == "hybrid_shard":
            return self.shard_group or min(8, self.dp_group)
        return self.dp_group

    @property
    def expert_shard_size(self) -> int:
        """Ranks the expert weights' ZeRO shards are spread over: the expert-data-parallel group."""
        if self.zero_stage == 0:
            return 1
        return max(1, self.shard_size // self.ep) if self.fsdp == "hybrid_shard" else self.dp_group // self.ep

    @property
    def global_batch(self) -> int:
        return self.micro_batch * self.num_microbatches * self.dp

    def check(self, model, seq_len: int | None = None, world_size: int | None = None) -> None:
        """Raise CookbookError naming the numbers when this layout cannot run ``model``."""
        if world_size is not None and self.world_size != world_size:
            raise CookbookError(f"tp*pp*dp*cp = {self.tp}*{self.pp}*{self.dp}*{self.cp} = {self.world_size} "
                                f"but the world size is {world_size}")
        h, k = model.num_heads, model.kv_heads
        if h % self.tp:
            raise CookbookError(f"num_heads ({h}) is not divisible by tp ({self.tp}); use a tp that divides {h}")
        if k % self.tp:
            raise CookbookError(f"num_kv_heads ({k}) is not divisible by tp ({self.tp}); "
                                f"use a tp that divides {k}")
        if model.ffn % self.tp:
            raise CookbookError(f"ffn_size ({model.ffn}) is not divisible by tp ({self.tp})")
        chunks = self.pp * self.virtual_stages
        if self.uneven:
            self.stage_layers(model.num_layers)
        elif model.num_layers % chunks:
            raise CookbookError(f"num_layers ({model.num_layers}) is not divisible by pp*virtual_stages "
                                f"({self.pp}*{self.virtual_stages} = {chunks}); "
                                "give first_stage_layers / last_stage_layers for an uneven split")
        if model.moe is not None and model.moe.num_experts % self.ep:
            raise CookbookError(f"num_experts ({model.moe.num_experts}) is not divisible by ep ({self.ep})")
        if model.moe is None and self.ep > 1:
            raise CookbookError(f"ep = {self.ep} but the model has no experts; set ep = 1")
        if seq_len is not None and seq_len % self.cp:
            raise CookbookError(f"seq_len ({seq_len}) is not divisible by cp ({self.cp})")
        if seq_len is not None and self.sequence_parallel and seq_len % self.tp:
            raise CookbookError(f"sequence parallel splits seq_len ({seq_len}) over tp ({self.tp}); "
                                "it is not divisible")

    def in_flight(self, stage: int = 0) -> float:
        """Micro-batches whose activations stage ``stage`` holds at its peak, in units of one micro-batch through
        all of that stage's layers.

        1F1B: min(pp - stage, m). Interleaved with v chunks per GPU: Megatron-LM's warm-up count
        2*(pp - stage - 1) + (v - 1)*pp, plus the one in steady state, in chunks of 1/v of the stage; for
        stage 0 this is pp + (pp - 1)/v = pp*(1 + (pp - 1)/(pp*v)), Korthikanti et al. 2022, section 4.2.3.
        Capped by the m*v chunks there are.
        """
        m, p, v = self.num_microbatches, self.pp, self.virtual_stages
        if self.schedule == "interleaved":
            return min(m * v, 2 * (p - stage - 1) + (v - 1) * p + 1) / v
        return float(min(p - stage, m))
