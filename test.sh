#!/usr/bin/env bash
# The project's one test command: installs everything it needs, then runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")"
python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'
# Real agent clients for the end-to-end tests and the client matrix, pinned in tools/package.json (Claude Code builds
# under npm aliases, the Agent SDK). CI starts from a fresh clone: npm's own cache (~/.npm) keeps the tarballs, so a
# re-install is offline (--prefer-offline); it is skipped when tools/node_modules already matches package.json.
want="$(sha256sum tools/package.json | cut -d' ' -f1)"
if [ "$(cat tools/node_modules/.pichay-installed 2>/dev/null)" != "$want" ]; then
  (cd tools && npm install --prefer-offline --no-audit --no-fund --loglevel=error)
  echo "$want" > tools/node_modules/.pichay-installed
fi
export PATH="$PWD/tools/node_modules/.bin:$PATH"
# Headless Chromium (Debian's package) for the browser attack test on the control API.
if ! command -v chromium >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=600 chromium >/dev/null
fi
# Real traffic captures live beside the clone (never copied into the repo).
if [ -z "${PICHAY_CAPTURES:-}" ] && [ -d ../shared/captures ]; then
  export PICHAY_CAPTURES="$(cd ../shared/captures && pwd)"
fi
# The client matrix's findings per cell, for `python bench/client_matrix.py --from build/client-matrix.json`.
mkdir -p build
export PICHAY_MATRIX_JSON="${PICHAY_MATRIX_JSON:-$PWD/build/client-matrix.json}"
exec python3 -m pytest -q -p no:cacheprovider "$@"
