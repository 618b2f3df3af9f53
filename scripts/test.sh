#!/usr/bin/env bash
# The test command: type checks, unit tests (no server), integration tests (real local clusters).
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.test.json
bash scripts/promtool-tests.sh
npx vitest run "$@"
