#!/usr/bin/env bash
# The project's one test command: installs everything it needs, then runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")"
python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'
# Real agent CLIs for the end-to-end tests (pinned in tools/package.json).
if [ ! -x tools/node_modules/.bin/claude ]; then
  (cd tools && npm install --no-audit --no-fund --loglevel=error)
fi
export PATH="$PWD/tools/node_modules/.bin:$PATH"
# Real traffic captures live beside the clone (never copied into the repo).
if [ -z "${PICHAY_CAPTURES:-}" ] && [ -d ../shared/captures ]; then
  export PICHAY_CAPTURES="$(cd ../shared/captures && pwd)"
fi
exec python3 -m pytest -q -p no:cacheprovider "$@"
