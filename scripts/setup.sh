#!/usr/bin/env bash
# One-time (idempotent) set-up: system packages, npm packages, build.
# Run by `npm run gate` and `npm test` before anything else, so a fresh machine needs nothing by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v redis-server >/dev/null 2>&1 || need_pkgs+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need_pkgs+=(redis-tools)
command -v redis-benchmark >/dev/null 2>&1 || need_pkgs+=(redis-tools)
command -v promtool >/dev/null 2>&1 || need_pkgs+=(prometheus)
# The persistence suite's partition check drops loopback traffic with iptables: root only (skipped otherwise).
if [ "$(id -u)" = "0" ]; then command -v iptables >/dev/null 2>&1 || need_pkgs+=(iptables); fi

if [ ${#need_pkgs[@]} -gt 0 ]; then
  # shellcheck disable=SC2207
  need_pkgs=($(printf '%s\n' "${need_pkgs[@]}" | sort -u))
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${need_pkgs[*]} with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # Debian's packages try to start their services; the harness starts its own processes.
    apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
  else
    echo "setup: missing system packages: ${need_pkgs[*]}" >&2
    echo "setup: install them (Debian/Ubuntu): sudo apt-get install -y ${need_pkgs[*]}" >&2
    exit 2
  fi
fi

# The packaged services must not hold the ports or data the harness uses.
for svc in redis-server prometheus; do
  if command -v service >/dev/null 2>&1 && pgrep -x "$svc" >/dev/null 2>&1 && [ -f "/etc/init.d/$svc" ] && [ "$(id -u)" = "0" ]; then
    service "$svc" stop >/dev/null 2>&1 || true
  fi
done

# npm packages: install when node_modules is missing or older than the lock file.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

# Build when any source is newer than the build.
if [ ! -f dist/cli.js ] || [ -n "$(find src package.json tsconfig.json -newer dist/cli.js -print -quit)" ]; then
  echo "setup: building (tsc)" >&2
  npx tsc -p tsconfig.json
fi
