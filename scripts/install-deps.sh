#!/usr/bin/env bash
# Installs everything the tests need, and nothing twice: Debian packages for the
# real DNS servers and load balancer the tests run on loopback, npm packages, then
# podman for the runtime tests.
# Safe to run again; a second run only checks.
#   --npm-only   only the npm packages (for `npm run synth`, which needs no servers)
set -euo pipefail
cd "$(dirname "$0")/.."
npm_only=0
[ "${1:-}" = "--npm-only" ] && npm_only=1

# tool binary -> Debian package that provides it
declare -A TOOLS=(
  [/usr/sbin/dnsmasq]=dnsmasq-base
  [/usr/sbin/haproxy]=haproxy
  [/usr/sbin/named]=bind9
  [/usr/bin/named-checkconf]=bind9-utils
  [/usr/sbin/unbound]=unbound
  [/usr/sbin/unbound-checkconf]=unbound
  [/usr/bin/dnsperf]=dnsperf
  [/usr/bin/dig]=dnsutils
  [/usr/bin/cloud-init]=cloud-init
  [/usr/sbin/netplan]=netplan.io
)
missing=()
for bin in "${!TOOLS[@]}"; do
  [ -x "$bin" ] || missing+=("${TOOLS[$bin]}")
done
[ "$npm_only" -eq 1 ] && missing=()
if [ "${#missing[@]}" -gt 0 ]; then
  pkgs=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
  echo "install-deps: installing Debian packages: $pkgs"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  # The packages would start system services (named, unbound) on port 53; the
  # tests start their own instances, so keep the system ones stopped.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
  fi
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $pkgs
elif [ "$npm_only" -eq 0 ]; then
  echo "install-deps: Debian packages present"
fi

# npm ci only when the lock file changed since the last install.
stamp=node_modules/.install-stamp
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "install-deps: npm ci"
  npm ci --no-audit --no-fund
  echo "$want" > "$stamp"
else
  echo "install-deps: npm packages present"
fi

# podman and what it needs (test/runtime runs the real images), configured with its state in
# ~/.cache/rancher-cdns/podman; a no-op when present. The images themselves are built on first
# use by rig/images.ts (cached by content).
[ "$npm_only" -eq 1 ] || npx --no-install tsx rig/images.ts install
