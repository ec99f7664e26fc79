#!/usr/bin/env bash
# npm run synth: installs the npm packages if needed, then writes every
# generated artifact of a stack (default qa) under dist/<stack>/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --npm-only >&2
exec npx --no-install tsx scripts/synth.ts "$@"
