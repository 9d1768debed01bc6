#!/usr/bin/env bash
# Build the site with its in-page calculators and serve it on http://127.0.0.1:${PORT:-8000}/ .
# Does all set-up on a fresh machine: Python packages, the pinned Pyodide runtime (npm), the cookbook wheel.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -r requirements/docs.txt
bash scripts/build_site.sh
echo "serving the site at http://127.0.0.1:${PORT:-8000}/ (Ctrl-C stops)"
exec python3 -m http.server --bind 127.0.0.1 --directory site "${PORT:-8000}"
