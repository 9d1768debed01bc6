"""Every page's build-time numbers: all placeholders render, chapters agree with the package and with published truth."""

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from docs_src.render import PATTERN, DocsError, placeholders, render  # noqa: E402

from cookbook.gemm import layer_gemms, logits_gemm  # noqa: E402
from cookbook.params import attention_params, count_params  # noqa: E402
from cookbook.presets import get_preset  # noqa: E402

DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md"))
CHAPTERS = sorted((DOCS / "chapters").glob("*.md"))


def _page(rel: str) -> str:
    return render((DOCS / rel).read_text(encoding="utf-8"), rel)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_every_page_renders(page):
    text = page.read_text(encoding="utf-8")
    out = render(text, str(page))
    assert not PATTERN.search(out), "a placeholder survived rendering"


@pytest.mark.parametrize("page", CHAPTERS, ids=lambda p: p.name)
def test_chapters_compute_their_numbers_and_hard_code_none(page):
    text = page.read_text(encoding="utf-8")
    assert len(placeholders(text)) >= 5, "a chapter computes its numbers with {{ module.function() }}"
    prose = PATTERN.sub("", text)
    # computed numbers are printed with thousands separators; one typed into the prose would drift
    assert not re.findall(r"\b\d{1,3}(?:,\d{3})+\b", prose)


@pytest.mark.parametrize("page", CHAPTERS, ids=lambda p: p.name)
def test_chapters_are_in_the_nav(page):
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert f"chapters/{page.name}" in nav


def test_chapter_structure():
    for page in CHAPTERS:
        text = page.read_text(encoding="utf-8")
        for heading in ("## Takeaways", "## Worked problems"):
            assert heading in text, f"{page.name} lacks {heading}"
        assert "<summary>Answer</summary>" in text


def test_bad_placeholders_fail_loudly():
    for bad in ("{{ nosuch.f() }}", "{{ params.nosuch() }}", "{{ params.total(__import__('os')) }}",
                "{{ params._private() }}", "{{ params.total('no-such-preset') }}"):
        with pytest.raises(DocsError):
            render(bad)


# ---- the chapters' numbers against the package and against independent truth ------------------------------------
# Llama-3-8B: 8,030,261,248 parameters, Llama-2-7B 6,738,415,616, GPT-2 124,439,808: PyTorch counting the Hugging Face
# models on the meta device (shared/notes/calculators.md section 9.1) and the models' published sizes.
PUBLISHED = [("llama-3-8b", 8_030_261_248), ("llama-2-7b", 6_738_415_616), ("gpt2", 124_439_808)]


@pytest.mark.parametrize("preset,published", PUBLISHED)
def test_params_chapter_totals(preset, published):
    html = _page("chapters/params.md") + _page("index.md")
    assert count_params(get_preset(preset)).total == published
    if preset in ("llama-3-8b", "gpt2"):
        assert f"{published:,}" in html


def test_params_layer_table_splits_attention_exactly():
    m = get_preset("llama-3-8b")
    d, h, k, dh = m.hidden_size, m.num_heads, m.kv_heads, m.head_size
    assert d * h * dh + 2 * d * k * dh + h * dh * d == attention_params(m)
    page = _page("chapters/params.md")
    assert f"**{attention_params(m):,}**" in page
    # the tie saving is V * D, the MHA extra is L * 2 * D * (H - K) * d_h
    assert f"{m.vocab_rows * d:,}" in page
    assert f"{m.num_layers * 2 * d * (h - k) * dh:,}" in page


def test_gemm_chapter_numbers():
    page = _page("chapters/gemm.md")
    assert "124.1" in page  # the NVIDIA guide's 8192 x 128 x 8192 example
    m = get_preset("llama-3-8b")
    total = m.num_layers * sum(g.flops for g in layer_gemms(m, 1, 4096)) + logits_gemm(m, 1, 4096).flops
    assert f"{total:,}" in page
    assert "10944 = 171 x 64 + 0 (aligned)" in page


def test_flops_chapter_reproduces_narayanan_exactly():
    """Narayanan et al. 2021, section 5.1: 96 B S L D^2 (1 + S/6D + V/16LD) for GPT-3 175B, B=1, S=2048."""
    page = _page("chapters/flops.md")
    b, s, l, d, v = 1, 2048, 96, 12288, 50257
    paper = 96 * b * s * l * d * d + 16 * b * s * s * l * d + 6 * b * s * d * v  # the bracket multiplied out
    assert "| difference | 0 |" in page
    assert f"{paper:,}" in page


def test_memory_chapter_reproduces_zero_figure_1():
    """Rajbhandari et al. 2020, Figure 1: 7.5B parameters, N_d = 64: 120, 31.4, 16.6, 1.9 GB per GPU."""
    from docs_src.memory import state_bytes_per_param_sharded
    for zero, paper_gb in enumerate((120, 31.4, 16.6, 1.9)):
        ours = state_bytes_per_param_sharded("llama-3-8b", 64, zero) * 7.5
        assert round(ours, 1) == paper_gb
    page = _page("chapters/memory.md")
    assert "| ZeRO-3 | 0.2500 | 1.9 | 1.9 |" in page


def test_parallelism_chapter_numbers():
    page = _page("chapters/parallelism.md")
    assert "$2(n-1)/n = 7/4$" in page  # nccl-tests all-reduce factor on 8 ranks
    assert "a ratio of 1.5" in page  # ZeRO-3 vs DP, Rajbhandari et al. 2020 section 7.2
    assert "| 8 | 87.5 % |" in page  # bubble (p-1)/m = 7/8 for p = 8, m = 8 (Narayanan et al. 2021)


def test_benchmarks_chapter_conversions():
    page = _page("chapters/benchmarks.md")
    # nccl-tests: 1 GiB in 4 ms is 268 GB/s algbw; x 2(n-1)/n = 7/4 on 8 ranks -> 470 GB/s busbw
    assert "268 GB/s" in page and "470 GB/s" in page
    # ml-engineering's H100 MAMF 794.5 TFLOP/s over the 989.5 TFLOP/s dense bf16 datasheet peak
    assert "| 80.3 % |" in page


def test_inference_chapter_attention_intensity_is_h_over_k():
    """The derivation in the chapter: decode attention does 2H/(Kb) FLOPs per KV byte, H/K = 4 for Llama-3-8B."""
    page = _page("chapters/inference.md")
    row = next(line for line in page.splitlines() if line.startswith("| `attention` |"))
    assert row.split("|")[4].strip() == "4.0"


def test_flops_chapter_decode_sum_identity_holds():
    assert "for the prefill of 512 tokens: identical" in _page("chapters/flops.md")
