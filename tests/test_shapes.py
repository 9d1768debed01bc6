"""cookbook.shapes (the one list of weight matrices) against the real transformers model classes.

Truth: the parameters of ``AutoModelForCausalLM.from_config`` on the meta device (tests/configs/, every supported
model_type). A weight is a parameter with two or more dimensions whose name does not end in ``bias`` (fused
layouts such as GPT-2's c_attn, Falcon's query_key_value or transformers 5's 3-D expert tensors change the
names, not the element counts). Checked per layer: weight elements and bias elements against our matrices; outside
the layers: the embedding, position embedding, untied lm_head and OPT's projections. Norms are vectors, not
matrices (Cohere's per-head QK-norm weights are 2-D): parameters named like a norm (``norm``, ``ln_``,
``layernorm``) are left out of both checks. Gemma-3's multimodal wrapper: only the language model is compared
(the vision tower and projector are not part of the text model we describe).
"""

from __future__ import annotations

import re

import pytest

pytest.importorskip("torch", reason="torch is a test dependency (requirements/test.txt)")

from conftest import CONFIGS, load_config  # noqa: E402
from hf_truth import causal_lm  # noqa: E402

from cookbook.hf import from_hf_config  # noqa: E402
from cookbook.shapes import layer_matrices, outer_matrices  # noqa: E402

pytestmark = pytest.mark.torch

NAMES = sorted(p.stem for p in CONFIGS.glob("*.json"))
_LAYER = re.compile(r"\.(?:layers|h|blocks)\.(\d+)\.")
_NORM = re.compile(r"norm|\.ln_|\.ln\d", re.IGNORECASE)
_VISION = re.compile(r"vision_tower|multi_modal_projector")


def _truth(model) -> tuple[dict, dict, int]:
    """({layer: weight elements}, {layer: bias elements}, weight elements outside the layers); norms skipped."""
    weights: dict[int, int] = {}
    biases: dict[int, int] = {}
    outer = 0
    for name, p in model.named_parameters():
        if _VISION.search(name) or _NORM.search(name):
            continue
        hit = _LAYER.search(name)
        is_bias = name.endswith("bias")
        if hit is None:
            outer += p.numel() if p.dim() >= 2 and not is_bias else 0
            continue
        i = int(hit.group(1))
        if is_bias:
            biases[i] = biases.get(i, 0) + p.numel()
        elif p.dim() >= 2 and not is_bias:
            weights[i] = weights.get(i, 0) + p.numel()
    return weights, biases, outer


@pytest.mark.parametrize("name", NAMES)
def test_matrices_match_transformers(name):
    config = load_config(name)
    m = from_hf_config(config)
    _, model = causal_lm(config)
    weights, biases, outer = _truth(model)
    ours_w = {i: sum(x.weights * x.count for x in layer_matrices(m, i)) for i in range(m.num_layers)}
    ours_b = {i: sum(x.bias * x.count for x in layer_matrices(m, i)) for i in range(m.num_layers)}
    assert ours_w == weights
    assert {i: b for i, b in ours_b.items() if b} == biases
    assert sum(x.weights * x.count for x in outer_matrices(m) if not x.tied) == outer
