#!/usr/bin/env python3
"""Regenerate every benchmark table, plot, CSV, JSON and BibTeX file under docs/benchmarks/ from results/.

    python scripts/render_tables.py [--results results] [--out docs/benchmarks] [--check]
    python scripts/render_tables.py --seal results/<set> [--note TEXT]   (publish a finished run: MANIFEST.json)

Writes what ``benchtables.render_all`` returns and deletes generated files that are no longer produced (files in
docs/benchmarks/data/ and plots/, and top-level pages carrying the generated-by mark). Hand-written pages (e.g.
compare.md) are left alone. ``--check`` writes nothing and exits 1 when the committed files differ.
Exit codes: 0 done (or no drift); 1 drift (--check); 2 records that cannot be rendered.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT, ROOT / "scripts"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from benchtables import TableError, render_all  # noqa: E402
from benchtables.load import seal, unsealed  # noqa: E402
from benchtables.render import GENERATED_DIRS, GENERATED_MARK  # noqa: E402


def generated_files(out: Path) -> set:
    """Relative paths of the files under ``out`` that the renderer owns."""
    found = {str(p.relative_to(out)) for d in GENERATED_DIRS for p in (out / d).rglob("*") if p.is_file()}
    found |= {p.name for p in out.glob("*.md") if p.read_text(encoding="utf-8").startswith(GENERATED_MARK)}
    return found


def drift(files: dict, out: Path) -> list[str]:
    """Differences between rendered ``files`` and ``out``: SVG plots only need to exist (their data is the CSV)."""
    problems = []
    for rel, data in sorted(files.items()):
        p = out / rel
        if not p.exists():
            problems.append(f"missing: {rel}")
        elif not rel.endswith(".svg") and p.read_bytes() != data:
            problems.append(f"differs from its records: {rel}")
    problems += [f"stale (no record produces it): {rel}" for rel in sorted(generated_files(out) - set(files))]
    return problems


def write(files: dict, out: Path) -> None:
    for rel in generated_files(out) - set(files):
        (out / rel).unlink()
    for rel, data in files.items():
        p = out / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if not p.exists() or p.read_bytes() != data:
            p.write_bytes(data)


def _seal(folder: Path, note: str) -> int:
    man = folder / "MANIFEST.json"
    if man.exists():
        print(f"render_tables: {man} exists: a sealed set is never re-sealed; put a new run in a new folder",
              file=sys.stderr)
        return 2
    try:
        content = seal(folder, note)
    except TableError as e:
        print(f"render_tables: {e}", file=sys.stderr)
        return 2
    man.write_text(json.dumps(content, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"sealed {folder} ({len(content['sha256'])} records files)", file=sys.stderr)
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", type=Path, default=ROOT / "results")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks")
    ap.add_argument("--check", action="store_true", help="compare only; exit 1 on drift")
    ap.add_argument("--seal", type=Path, default=None, help="write DIR/MANIFEST.json (SHA-256 of its records files)")
    ap.add_argument("--note", default="", help="with --seal: a note on the run (machine load, caveats)")
    args = ap.parse_args(argv)
    if args.seal:
        return _seal(args.seal, args.note)
    try:
        files = render_all(args.results)
    except TableError as e:
        print(f"render_tables: {e}", file=sys.stderr)
        return 2
    if args.check:
        problems = drift(files, args.out)
        for p in problems:
            print(p)
        if problems:
            print("docs/benchmarks/ does not match results/: run `python scripts/render_tables.py`", file=sys.stderr)
        return 1 if problems else 0
    write(files, args.out)
    print(f"{len(files)} files under {args.out}", file=sys.stderr)
    for name in unsealed(args.results):
        print(f"not published (no MANIFEST.json): {args.results / name}; seal it with --seal when it is final",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
