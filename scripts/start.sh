#!/usr/bin/env bash
# npm start: installs what is missing (npm and Debian packages, the rig's binaries the first
# time: ~40 min on 2 cores), then runs the product end to end on a loopback cluster
# (scripts/start.ts) and stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
exec npx --no-install tsx scripts/start.ts "$@"
