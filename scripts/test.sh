#!/usr/bin/env bash
# Run the test suite. Uses DATABASE_URL / REDIS_URL when set (CI sets both), otherwise SQLite
# and the filesystem broker under var/test. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
mkdir -p var
.venv/bin/pip install --quiet --disable-pip-version-check -e ".[dev]" >var/pip.log 2>&1 \
  || { cat var/pip.log; exit 1; }
# axe-core (the browser tests' accessibility checker) and oidc-provider (the single sign-on
# tests' OpenID provider) come from the npm registry, pinned by package-lock.json; without
# node those tests skip locally and fail in CI.
if { [ ! -f node_modules/axe-core/axe.min.js ] || [ ! -f node_modules/oidc-provider/package.json ]; } \
  && command -v npm >/dev/null; then
  npm ci --no-audit --no-fund >var/npm.log 2>&1 || { cat var/npm.log; exit 1; }
fi
export DATA_DIR="${DATA_DIR:-$PWD/var/test}"
exec .venv/bin/python -m pytest "$@"
