#!/usr/bin/env bash
# The one test command (npm test): installs what the tests need, type-checks,
# then runs every test file under test/ with node's test runner.
#   --no-install   skip the install step (for a quick rerun)
#   any other args are test files or directories to run instead of all of test/
set -euo pipefail
cd "$(dirname "$0")/.."

install=1
targets=()
for a in "$@"; do
  case "$a" in
    --no-install) install=0 ;;
    *) targets+=("$a") ;;
  esac
done
[ "$install" -eq 1 ] && bash scripts/install-deps.sh
if [ "$install" -eq 1 ]; then
  # The rig's binaries (etcd, Kubernetes, kwok, the Pulumi CLI and kubernetes plugin, CoreDNS):
  # built from the Go module proxy the first time (~40 min on 2 cores), cached after that.
  echo "test: rig binaries"
  npx --no-install tsx rig/cli.ts build
fi

echo "test: tsc --noEmit"
npx --no-install tsc --noEmit -p .

[ "${#targets[@]}" -gt 0 ] || targets=(test)
mapfile -t files < <(find "${targets[@]}" -name '*.test.ts' | sort)
if [ "${#files[@]}" -eq 0 ]; then
  echo "test: no test files found in ${targets[*]}" >&2
  exit 1
fi
echo "test: ${#files[@]} test files"
exec node --import tsx --test --test-concurrency=2 --test-reporter=spec "${files[@]}"
