#!/usr/bin/env bash
# Build the static site into site/: the cookbook wheel, the pinned Pyodide runtime, then mkdocs --strict.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf dist
python3 -m build --wheel --outdir dist . >/dev/null
export NO_MKDOCS_2_WARNING=1
python3 -m mkdocs build --strict --quiet
