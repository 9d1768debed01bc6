#!/usr/bin/env bash
# Build the static site into site/: the cookbook wheel, the pinned browser runtime (npm ci in web/), then
# mkdocs build --strict, whose hook (hooks/cookbook_site.py) stages Pyodide, the wheels and KaTeX into site/.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! (cd web && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >"$log" 2>&1; then
  cat "$log" >&2; echo "error: npm ci in web/ failed (pinned Pyodide and KaTeX)" >&2; exit 1
fi
rm -rf dist
if ! python3 -m build --wheel --outdir dist . >"$log" 2>&1; then
  cat "$log" >&2; echo "error: building the cookbook wheel failed" >&2; exit 1
fi
rm -rf build
export NO_MKDOCS_2_WARNING=1
python3 -m mkdocs build --strict --quiet
