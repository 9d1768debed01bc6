"""Shared by the table tests: import paths and the golden fixture (a sealed copy of real CPU records)."""

from __future__ import annotations

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
for _p in (ROOT, ROOT / "scripts"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

GOLDEN = ROOT / "tests" / "golden"
FIXTURE = GOLDEN / "results"          # results/<set>/ layout; records copied verbatim from results/cpu-epyc-*
EXPECTED = GOLDEN / "expected"        # what render_all(FIXTURE) must produce (SVG excluded: their data is the CSV)
DOCS = ROOT / "docs" / "benchmarks"
RESULTS = ROOT / "results"
