"""FLOPs against the independent truth: PyTorch's FlopCounterMode running the real transformers model classes.

Full-size models run under FakeTensorMode (shapes only, no memory, no arithmetic). Pitfalls handled here:
- the CPU SDPA kernel counts 0 FLOPs: attention is set to ``eager`` (plain matmuls, full S x S, masks applied
  afterwards, i.e. our ``full`` convention);
- transformers 5 runs MoE experts through ``torch._grouped_mm``, which FlopCounterMode does not count; the
  ``batched_mm`` experts implementation (HF's own, data-independent: one bmm per routed token-expert pair) is
  counted, so the counter sees exactly the top-k experts each token is routed to. A real small model with the
  ``eager`` expert loop (data-dependent routing on real tensors) checks the same figure independently.
"""

from __future__ import annotations

import json
import pathlib
import warnings

import pytest

from cookbook import cli
from cookbook.flops import attention_pairs, decode_flops, forward_flops, inference_flops, training_flops
from cookbook.hf import SUPPORTED_MODEL_TYPES, from_hf_config

torch = pytest.importorskip("torch", reason="FlopCounterMode truth needs torch (requirements/test.txt)")
pytest.importorskip("transformers", reason="needs transformers (requirements/test.txt)")

from torch._subclasses.fake_tensor import FakeTensorMode  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402
from transformers import AutoModelForCausalLM  # noqa: E402

from hf_truth import hf_config  # noqa: E402

pytestmark = [pytest.mark.torch,
              pytest.mark.filterwarnings("ignore:`past_key_values` is deprecated:FutureWarning")]
CONFIGS = pathlib.Path(__file__).resolve().parent / "configs"
CONFIG_FILES = sorted(CONFIGS.glob("*.json"))


def _text(config: dict) -> dict:
    return config["text_config"] if isinstance(config.get("text_config"), dict) else config


def _model(config: dict, experts: str = "batched_mm"):
    cfg = hf_config(_text(config))
    cfg._attn_implementation = "eager"
    cfg._experts_implementation = experts
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return AutoModelForCausalLM.from_config(cfg)


def _count(fn) -> int:
    with FlopCounterMode(display=False) as fc:
        fn()
    return fc.get_total_flops()


def counted_forward(config: dict, batch: int, seq: int) -> int:
    with FakeTensorMode(allow_non_fake_inputs=True):
        m = _model(config)
        ids = torch.randint(0, 100, (batch, seq))
        return _count(lambda: m(ids))


def counted_train_step(config: dict, batch: int, seq: int) -> int:
    with FakeTensorMode(allow_non_fake_inputs=True):
        m = _model(config)
        ids = torch.randint(0, 100, (batch, seq))
        return _count(lambda: m(ids, labels=ids).loss.backward())


def _with_layers(config: dict, n: int) -> dict:
    """The same model with its first ``n`` layers (layer_types cut to match)."""
    c = dict(_text(config))
    key = "num_hidden_layers" if "num_hidden_layers" in c else "n_layer"
    c[key] = n
    if isinstance(c.get("layer_types"), list):
        c["layer_types"] = c["layer_types"][:n]
    return c


def test_every_model_type_has_a_config():
    types = {_text(json.loads(p.read_text()))["model_type"] for p in CONFIG_FILES}
    assert set(SUPPORTED_MODEL_TYPES) <= types, f"no tests/configs file for {set(SUPPORTED_MODEL_TYPES) - types}"


def _layers_times_width(config: dict) -> int:
    c = _text(config)
    width = c.get("hidden_size") or c.get("n_embd") or c.get("n_embed") or 0
    return c.get("num_hidden_layers", c.get("n_layer", 0)) * width ** 2


def _full_depth_files() -> set:
    """Per model_type, the config run at full depth (the cheapest under FakeTensorMode); the others run their
    first CAPPED_LAYERS layers at full width (per-layer FLOPs do not depend on depth), to keep the suite short."""
    best: dict = {}
    for p in CONFIG_FILES:
        c = json.loads(p.read_text())
        mt = _text(c)["model_type"]
        if mt not in best or _layers_times_width(c) < best[mt][0]:
            best[mt] = (_layers_times_width(c), p)
    return {p for _, p in best.values()}


FULL_DEPTH = _full_depth_files()
CAPPED_LAYERS = 8


@pytest.mark.parametrize("path", CONFIG_FILES, ids=lambda p: p.stem + ("" if p in FULL_DEPTH else "-8layers"))
def test_cli_forward_equals_flop_counter(path, tmp_path, capsys):
    """`cookbook flops --hf-config X.json --batch 1 --seq 2048 --attention full --json` forward == FlopCounterMode
    on the real model class at full width (MoE: the top-k routed experts per token)."""
    config = json.loads(path.read_text())
    if path not in FULL_DEPTH:
        c = _text(config)
        config = _with_layers(config, min(CAPPED_LAYERS, c.get("num_hidden_layers", c.get("n_layer", 99))))
        path = tmp_path / "config.json"
        path.write_text(json.dumps(config))
    assert cli.main(["flops", "--hf-config", str(path), "--batch", "1", "--seq", "2048", "--attention", "full",
                     "--json"]) == 0
    ours = json.loads(capsys.readouterr().out)["forward"]["total"]
    assert ours == counted_forward(config, 1, 2048)


# forward + backward = 3 x forward, against the counter running loss.backward() (first layers, full width)
TRAIN_CASES = [("llama-3-8b", 2, 2, 512), ("gpt2", 2, 2, 256), ("mixtral-8x7b", 2, 1, 256),
               ("deepseek-v3", 4, 1, 128), ("gemma-3-27b-wrapper", 6, 1, 256), ("opt-350m", 2, 2, 128),
               ("falcon-7b", 2, 1, 256), ("qwen1.5-moe-a2.7b", 2, 1, 128)]


@pytest.mark.parametrize("name,layers,batch,seq", TRAIN_CASES, ids=[c[0] for c in TRAIN_CASES])
def test_forward_backward_equals_flop_counter(name, layers, batch, seq):
    config = _with_layers(json.loads((CONFIGS / f"{name}.json").read_text()), layers)
    step = training_flops(from_hf_config(config), batch, seq, "full", "none")
    assert step.model == step.forward.total + step.backward == counted_train_step(config, batch, seq)


def _small_moe(model_type: str) -> dict:
    base = dict(model_type=model_type, vocab_size=256, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                num_key_value_heads=2, intermediate_size=96, max_position_embeddings=256)
    extra = {"mixtral": dict(num_local_experts=6, num_experts_per_tok=2),
             "qwen2_moe": dict(num_experts=6, num_experts_per_tok=2, moe_intermediate_size=32,
                               shared_expert_intermediate_size=48),
             "qwen3_moe": dict(num_experts=6, num_experts_per_tok=3, moe_intermediate_size=32, head_dim=16),
             "gpt_oss": dict(num_local_experts=6, num_experts_per_tok=2, head_dim=16, sliding_window=8),
             "deepseek_v3": dict(num_key_value_heads=4, n_routed_experts=8, num_experts_per_tok=2,
                                 moe_intermediate_size=32,
                                 n_shared_experts=1, first_k_dense_replace=1, n_group=2, topk_group=1,
                                 q_lora_rank=None, kv_lora_rank=32, qk_rope_head_dim=8, qk_nope_head_dim=16,
                                 v_head_dim=16)}[model_type]
    return dict(base, **extra)


@pytest.mark.parametrize("model_type", ["mixtral", "qwen2_moe", "qwen3_moe", "gpt_oss", "deepseek_v3"])
def test_moe_real_routing_small(model_type):
    """Real tensors, HF's eager expert loop (runs only experts that received tokens, on the tokens routed to
    them): the counted FLOPs equal ours for two different random weight draws (routing changes, the count not)."""
    config = _small_moe(model_type)
    ours = forward_flops(from_hf_config(config), 2, 40, "full").total
    counts = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        m = _model(config, experts="eager")
        ids = torch.randint(0, 256, (2, 40))
        with torch.no_grad():
            counts.append(_count(lambda: m(ids)))
    assert counts == [ours, ours]


# ---- causal convention: the pairs a mask lets through, counted from the masks the real models build --------
MASK_CASES = [("mistral", dict(sliding_window=16)), ("gemma3_text", dict(sliding_window=8)),
              ("gpt_oss", dict(sliding_window=8, num_local_experts=4, num_experts_per_tok=2)),
              ("llama", {}), ("qwen2", dict(use_sliding_window=True, sliding_window=8, max_window_layers=1))]


@pytest.mark.parametrize("model_type,extra", MASK_CASES, ids=[c[0] for c in MASK_CASES])
def test_causal_pairs_equal_visible_mask_entries(model_type, extra):
    """Our causal (query, key) pairs per layer == entries each layer's attention mask leaves visible."""
    config = dict(model_type=model_type, vocab_size=128, hidden_size=32, num_hidden_layers=3, num_attention_heads=2,
                  num_key_value_heads=1, head_dim=16, intermediate_size=64, max_position_embeddings=128, **extra)
    m = _model(config, experts="eager")
    seq, seen = 37, {}

    def hook(idx):
        def pre(module, args, kwargs):
            mask = kwargs["attention_mask"]
            seen[idx] = int((mask == 0).sum()) if mask.dtype != torch.bool else int(mask.sum())
        return pre

    layers = m.model.layers
    handles = [layer.self_attn.register_forward_pre_hook(hook(i), with_kwargs=True) for i, layer in enumerate(layers)]
    with torch.no_grad():
        m(torch.randint(0, 128, (1, seq)))
    for h in handles:
        h.remove()
    ours = from_hf_config(config)
    assert [attention_pairs(seq, ours.attention_window(i), "causal") for i in range(len(layers))] == \
        [seen[i] for i in range(len(layers))]


DECODE_CASES = ["llama-3-8b", "mistral-7b-v0.1", "gemma-3-27b-wrapper", "gpt-oss-20b", "deepseek-v3"]


@pytest.mark.parametrize("name", DECODE_CASES)
def test_decode_step_equals_flop_counter(name):
    """One decode step with a KV cache of C tokens == our causal decode (HF's sliding caches keep the window)."""
    raw = json.loads((CONFIGS / f"{name}.json").read_text())
    n = {"gemma-3-27b-wrapper": 6, "deepseek-v3": 4}.get(name, 2)  # a full pattern / past the dense layers
    config = _with_layers(raw, n)
    c = dict(config)
    if c.get("sliding_window") and c["model_type"] != "gpt_oss":  # gpt-oss-20b's window (128) is already short
        c["sliding_window"] = 64  # a window shorter than the context, so the band matters
    context, batch = 300, 2
    with FakeTensorMode(allow_non_fake_inputs=True):
        m = _model(c)
        ids = torch.randint(0, 100, (batch, context))
        cache = m(ids, use_cache=True).past_key_values
        counted = _count(lambda: m(ids[:, :1], past_key_values=cache, use_cache=True))
        last_only = _count(lambda: m(ids, logits_to_keep=1))
    ours = from_hf_config(c)
    assert decode_flops(ours, context, batch, "causal").total == counted
    assert forward_flops(ours, batch, context, "full", logits="last").total == last_only


@pytest.mark.parametrize("name", ["llama-3-8b", "deepseek-v3"])
def test_request_equals_flop_counter(name):
    """A request of P prompt and O output tokens: prefill (logits for every position, full S^2 in the eager
    kernel) then O-1 cached decode steps, counted end to end == inference_flops(attention='full') (no sliding
    windows here, so full and causal decode agree)."""
    config = _with_layers(json.loads((CONFIGS / f"{name}.json").read_text()), 4)
    prompt, output, batch = 200, 4, 2
    with FakeTensorMode(allow_non_fake_inputs=True):
        m = _model(config)
        ids = torch.randint(0, 100, (batch, prompt))

        def request():
            cache = m(ids, use_cache=True).past_key_values
            for _ in range(output - 1):
                cache = m(ids[:, :1], past_key_values=cache, use_cache=True).past_key_values

        counted = _count(request)
    assert inference_flops(from_hf_config(config), prompt, output, batch, "full").total == counted
