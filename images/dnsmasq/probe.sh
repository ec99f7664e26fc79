#!/bin/sh
# Liveness/readiness probe of the cDNS dnsmasq container.
#
# Proves that dnsmasq itself answers: asks it (not the pod's resolv.conf
# server) for the health record it owns, `cdns-health.<zone>` (lib/dns/names.ts),
# and passes only when an A record with the expected address comes back.
# NOERROR without data, NXDOMAIN, REFUSED or a timeout all fail: an exit code
# alone is not enough (`nslookup NAME` exits 0 on NOERROR with no data).
#
# Usage: cdns-probe [NAME [SERVER [PORT]]]
# Arguments win over the environment:
#   CDNS_PROBE_NAME     the health name (required, from the first zone)
#   CDNS_PROBE_SERVER   @default 127.0.0.1
#   CDNS_PROBE_PORT     @default 53
#   CDNS_PROBE_EXPECT   address the record must have, @default 127.0.0.1 (HEALTH_ADDRESS)
#   CDNS_PROBE_TIMEOUT  seconds dig waits, one try, @default 1 (keep the k8s probe timeout above it)
# Exit: 0 healthy, 1 unhealthy, 2 usage error.
set -u

name="${1:-${CDNS_PROBE_NAME:-}}"
server="${2:-${CDNS_PROBE_SERVER:-127.0.0.1}}"
port="${3:-${CDNS_PROBE_PORT:-53}}"
expect="${CDNS_PROBE_EXPECT:-127.0.0.1}"
timeout="${CDNS_PROBE_TIMEOUT:-1}"

if [ -z "$name" ]; then
  echo "cdns-probe: no name to ask (argument 1 or CDNS_PROBE_NAME)" >&2
  exit 2
fi

# +short prints only the answer data, one record per line; +tries=1 so a dead
# server fails within one timeout instead of three.
if ! answer=$(dig +short +time="$timeout" +tries=1 -p "$port" "@$server" "$name" A 2>&1); then
  echo "cdns-probe: no answer from $server:$port for $name: $(echo "$answer" | tr '\n' ' ')" >&2
  exit 1
fi

for record in $answer; do
  if [ "$record" = "$expect" ]; then
    exit 0
  fi
done
echo "cdns-probe: $server:$port answered $name with [$(echo "$answer" | tr '\n' ' ')], want $expect" >&2
exit 1
