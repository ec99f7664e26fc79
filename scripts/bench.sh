#!/usr/bin/env bash
# npm run bench: installs what the bench needs when missing (dnsmasq, dnsperf,
# npm packages; a second run only checks), then runs bench/main.ts under tsx.
# Prints the table on stdout and writes dist/bench/results.json.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
for bin in /usr/sbin/dnsmasq /usr/bin/dnsperf; do
  [ -x "$bin" ] || { echo "bench: $bin missing after install-deps" >&2; exit 1; }
done
exec node --import tsx bench/main.ts "$@"
