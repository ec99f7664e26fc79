#!/bin/sh
# Build-time guard: fails unless the dnsmasq in the image is at least the
# floor. dnsmasq before 2.88 keeps adding a --hostsdir file's records on every
# re-read (measured: 93 records for a 3-IP name after ~30 rewrites on 2.87;
# test/dnsmasq/rewrites.test.ts is the regression test).
#
# Usage: check-version.sh [MIN_VERSION [DNSMASQ_BINARY]]   @default 2.88 dnsmasq
set -eu
min="${1:-2.88}"
bin="${2:-dnsmasq}"

line=$("$bin" --version | head -n 1)
version=$(echo "$line" | sed -n 's/^Dnsmasq version \([0-9][0-9.]*\).*/\1/p')
if [ -z "$version" ]; then
  echo "check-version: cannot read a version from: $line" >&2
  exit 1
fi

# Compare dotted numbers field by field (no dpkg/sort -V needed, any base image).
IFS=. read -r have_major have_minor <<END
$version
END
IFS=. read -r min_major min_minor <<END
$min
END
have_minor=${have_minor%%.*}
min_minor=${min_minor%%.*}
if [ "$have_major" -gt "$min_major" ] || { [ "$have_major" -eq "$min_major" ] && [ "${have_minor:-0}" -ge "${min_minor:-0}" ]; }; then
  echo "check-version: dnsmasq $version >= $min"
  exit 0
fi
echo "check-version: dnsmasq $version is older than the required $min (2.88 fixed the duplicate --hostsdir records bug)" >&2
exit 1
