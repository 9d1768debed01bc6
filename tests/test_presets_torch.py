"""Every preset against the real transformers class built from the same config dict (meta device)."""

from __future__ import annotations

import pytest

pytest.importorskip("torch", reason="torch is a test dependency (requirements/test.txt)")

from hf_truth import active_from_modules, causal_lm, numel  # noqa: E402

from cookbook.params import count_params  # noqa: E402
from cookbook.presets import PRESETS, get_preset  # noqa: E402

pytestmark = pytest.mark.torch


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_total_and_active_match_transformers(name):
    cfg, model = causal_lm(dict(PRESETS[name]["config"]))
    m = get_preset(name)
    counted = count_params(m)
    assert counted.total == numel(model)
    top_k = m.moe.top_k if m.moe else 0
    assert counted.active == active_from_modules(model, top_k)
