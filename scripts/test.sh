#!/usr/bin/env bash
# Run the whole test suite. Does all set-up on a fresh machine: test dependencies (pinned in requirements/),
# Debian Chromium for the browser tests and Node/npm for the pinned Pyodide runtime (apt, when missing), and a
# fresh build of the site (npm ci, the wheel, mkdocs build --strict). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v npm >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
python3 -m pip install --quiet --disable-pip-version-check -r requirements/test.txt
python3 -m pip install --quiet --disable-pip-version-check --no-deps -e .
bash scripts/build_site.sh
python3 -m pytest "$@"
