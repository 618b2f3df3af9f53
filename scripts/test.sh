#!/usr/bin/env bash
# The test command: type checks and lint (ESLint type-aware + Prettier) side by side (each is one core's
# work), promtool rule tests, then vitest: unit tests (no server), integration tests (real local clusters).
set -euo pipefail
cd "$(dirname "$0")/.."
lint_log="$(mktemp)"
trap 'rm -f "$lint_log"' EXIT
npm run --silent lint >"$lint_log" 2>&1 &
lint_pid=$!
tsc_rc=0
npx tsc -p tsconfig.test.json || tsc_rc=$?
lint_rc=0
wait "$lint_pid" || lint_rc=$?
cat "$lint_log"
if [ "$tsc_rc" -ne 0 ] || [ "$lint_rc" -ne 0 ]; then
  echo "test: type check exit $tsc_rc, lint exit $lint_rc" >&2
  exit 1
fi
bash scripts/promtool-tests.sh
npx vitest run "$@"
