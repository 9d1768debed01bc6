"""The committed benchmark pages (docs/benchmarks/) must be what scripts/render_tables.py makes of results/.

Re-renders every table, CSV, JSON, BibTeX and plot-data file in memory and compares byte for byte; SVG plots only
need to exist (their data is the plot's CSV, compared exactly). Sealed record sets are checked against their
MANIFEST.json hashes while loading, so an edited record fails here too.
"""

from __future__ import annotations

import json
import shutil

from tables_helpers import DOCS, RESULTS  # noqa: I001
from benchtables import render_all
from benchtables.load import seal
from render_tables import drift

FIX = "run `python scripts/render_tables.py` and commit docs/benchmarks/"


def test_pages_match_records():
    problems = drift(render_all(RESULTS), DOCS)
    assert not problems, f"docs/benchmarks/ has drifted from results/ ({FIX}):\n" + "\n".join(problems[:20])


def test_published_set_exists_and_is_sealed():
    sealed = [p.parent.name for p in RESULTS.glob("*/MANIFEST.json")]
    assert sealed, "no sealed record set under results/: nothing is published"


def test_drift_is_detected(tmp_path):
    """A changed number in a (re-sealed) record set shows up as drift of the pages built from it."""
    results = tmp_path / "results"
    shutil.copytree(RESULTS, results)
    s = sorted(results.glob("*/MANIFEST.json"))[0].parent
    f = s / "gemm.jsonl"
    lines = f.read_text().splitlines()
    rec = json.loads(lines[0])
    rec["metrics"]["flop_per_s_best"] *= 2
    lines[0] = json.dumps(rec)
    f.write_text("\n".join(lines) + "\n")
    (s / "MANIFEST.json").write_text(json.dumps(seal(s)))
    problems = drift(render_all(results), DOCS)
    assert any(p.startswith("differs from its records: data/gemm-") for p in problems), problems


def test_cli_check_and_errors(tmp_path, capsys):
    from render_tables import main
    assert main(["--check"]) == 0
    assert main(["--results", str(tmp_path / "none"), "--check"]) == 2
    assert "does not exist" in capsys.readouterr().err
    out = tmp_path / "pages"
    assert main(["--out", str(out)]) == 0 and main(["--out", str(out), "--check"]) == 0
    (out / "index.md").write_text("edited by hand\n")
    (out / "data" / "stale.csv").write_text("x\n")
    assert main(["--out", str(out), "--check"]) == 1
    report = capsys.readouterr()
    assert "differs from its records: index.md" in report.out and "stale (no record produces it): data/stale.csv" \
        in report.out and "run `python scripts/render_tables.py`" in report.err
