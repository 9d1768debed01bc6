"""Golden-file tests of the pure table rendering (scripts/benchtables) on a fixture of real CPU records.

The fixture (tests/golden/results/) holds lines copied verbatim from results/cpu-epyc-2026-12-04/ plus one
skipped record; tests/golden/expected/ holds every text file render_all produces from it. After an intended
change to the rendering: ``UPDATE_GOLDEN=1 python -m pytest tests/test_tables_golden.py`` and review the diff.
"""

from __future__ import annotations

import os

import pytest

from tables_helpers import EXPECTED, FIXTURE  # noqa: I001
from benchtables import render_all

UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def rendered():
    return render_all(FIXTURE)


def _text(files):
    return {k: v for k, v in files.items() if not k.endswith(".svg")}


def test_update_golden_is_off_in_normal_runs(rendered):
    if UPDATE:
        for p in EXPECTED.rglob("*"):
            if p.is_file():
                p.unlink()
        for rel, data in _text(rendered).items():
            (EXPECTED / rel).parent.mkdir(parents=True, exist_ok=True)
            (EXPECTED / rel).write_bytes(data)
    assert not UPDATE, "golden files rewritten; review `git diff tests/golden` and run again without UPDATE_GOLDEN"


def test_same_set_of_files(rendered):
    expected = {str(p.relative_to(EXPECTED)) for p in EXPECTED.rglob("*") if p.is_file()}
    assert set(_text(rendered)) == expected


@pytest.mark.parametrize("rel", sorted(str(p.relative_to(EXPECTED)) for p in EXPECTED.rglob("*") if p.is_file()))
def test_file_matches_golden(rendered, rel):
    assert rendered[rel].decode() == (EXPECTED / rel).read_text(encoding="utf-8")


def test_every_plot_has_svg_and_data(rendered):
    svgs = {k[:-4] for k in rendered if k.endswith(".svg")}
    data = {k[:-4] for k in rendered if k.startswith("plots/") and k.endswith(".csv")}
    assert svgs == data and svgs
    for k in svgs:
        svg = rendered[k + ".svg"]
        assert svg.startswith(b"<?xml") and b"<svg" in svg and b"</svg>" in svg
