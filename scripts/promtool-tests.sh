#!/usr/bin/env bash
# Alert rules: `promtool check rules` on every rule file in fixtures/prometheus (ours and the seed's as
# written), then `promtool test rules` on every tests/promtool/*.test.yml. Exits non-zero on any failure,
# and with 2 when promtool is missing (Debian: apt-get install prometheus).
set -uo pipefail
cd "$(dirname "$0")/.."

if ! command -v promtool >/dev/null 2>&1; then
  echo "promtool-tests: promtool not found (Debian: apt-get install prometheus)" >&2
  exit 2
fi

shopt -s nullglob
rules=(fixtures/prometheus/*.yml)
tests=(tests/promtool/*.test.yml)
if [ ${#rules[@]} -eq 0 ] || [ ${#tests[@]} -eq 0 ]; then
  echo "promtool-tests: no rule files (${#rules[@]}) or no tests (${#tests[@]}) found" >&2
  exit 1
fi

status=0
echo "promtool $(promtool --version 2>&1 | head -n1 | awk '{print $3}'): check rules ${rules[*]}"
promtool check rules "${rules[@]}" || status=1
for t in "${tests[@]}"; do
  promtool test rules "$t" || status=1
done
if [ $status -ne 0 ]; then
  echo "promtool-tests: FAILED" >&2
else
  echo "promtool-tests: ${#rules[@]} rule files checked, ${#tests[@]} test files passed"
fi
exit $status
