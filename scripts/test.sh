#!/usr/bin/env bash
# Run the whole test suite. Does all set-up on a fresh machine: test dependencies (torch CPU wheel pinned),
# Debian Chromium for the browser tests, the pinned Pyodide runtime, and a fresh build of the site.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -r requirements/test.txt
python3 -m pip install --quiet --disable-pip-version-check --no-deps -e .
bash scripts/build_site.sh
python3 -m pytest "$@"
