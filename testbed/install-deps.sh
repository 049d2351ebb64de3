#!/usr/bin/env bash
# Installs, idempotently, the Debian 12 packages that building, testing and the lab need (as root).
# The list lives in testbed/apt-packages.txt, one package a line.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mapfile -t wanted < <(grep -v '^\s*#' "$here/apt-packages.txt" | awk 'NF {print $1}')
missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # Packages such as nginx start their service when installed; the benches and tests start their own instances on
  # loopback, so service starts are refused while installing (policy-rc.d, exit 101), unless a policy already exists.
  policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\n# metalcast install-deps: no service starts while installing\nexit 101\n' > "$policy"
    chmod 0755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  apt-get -o DPkg::Lock::Timeout=600 update -q
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
  if [ -n "$policy" ]; then
    rm -f "$policy"
    trap - EXIT
  fi
fi
echo "install-deps: all ${#wanted[@]} packages present" >&2
# The ephemeral environment's Java runtime is jlinked from a JDK 21+ (Temurin 25 on this machine kind).
if [ ! -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/jlink ]; then
  echo "install-deps: missing /usr/lib/jvm/temurin-25-jdk-amd64 (the lab jlinks the installer's runtime from it)" >&2
  exit 1
fi
