#!/usr/bin/env bash
# Build the site with its in-page calculators and serve it on http://127.0.0.1:${PORT:-8000}/ .
# Does all set-up on a fresh machine: Python packages, Node/npm (Debian) for the pinned Pyodide and KaTeX, the
# cookbook wheel. Serving needs no network; the pages fetch nothing from outside this address.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-8000}"
if ! command -v npm >/dev/null; then
  echo "installing Node.js and npm (Debian packages)" >&2
  apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi
python3 -m pip install --quiet --disable-pip-version-check -r requirements/docs.txt
export COOKBOOK_SITE_URL="http://127.0.0.1:${PORT}/"
bash scripts/build_site.sh
echo "serving the site at http://127.0.0.1:${PORT}/ (Ctrl-C stops)"
exec python3 -m http.server --bind 127.0.0.1 --directory site "${PORT}"
