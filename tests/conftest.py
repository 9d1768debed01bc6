"""Shared test helpers. Keep this minimal and general: fixtures any test module may use."""

from __future__ import annotations

import json
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "tests" / "configs"


def load_config(name: str) -> dict:
    """A committed real-size Hugging Face config from tests/configs/ (``name`` without ``.json``)."""
    return json.loads((CONFIGS / f"{name}.json").read_text())


@pytest.fixture
def repo_root() -> pathlib.Path:
    return ROOT
