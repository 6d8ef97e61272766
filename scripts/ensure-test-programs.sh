#!/usr/bin/env bash
# The real SIP clients of the interop matrix (docs/interop.md), from Debian's registry: installs
# the packages whose program is missing, then fails unless every program is on PATH, so a clean
# machine (CI runs as root) never skips a client test. The npm clients (jssip, sip.js) are
# devDependencies, installed with the rest of node_modules.
set -euo pipefail

# package:program, one pair per client.
clients=(sip-tester:sipp sipsak:sipsak baresip-core:baresip linphone-cli:linphonec)

missing_packages=()
for client in "${clients[@]}"; do
  command -v "${client#*:}" >/dev/null || missing_packages+=("${client%%:*}")
done

if [ "${#missing_packages[@]}" -gt 0 ]; then
  echo "ensure-sip-clients: installing ${missing_packages[*]} (Debian packages)" >&2
  if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
  "${sudo[@]}" apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends \
    "${missing_packages[@]}" >&2
fi

still_missing=()
for client in "${clients[@]}"; do
  command -v "${client#*:}" >/dev/null || still_missing+=("${client#*:} (Debian package ${client%%:*})")
done
if [ "${#still_missing[@]}" -gt 0 ]; then
  printf 'ensure-sip-clients: the interop tests need these SIP clients, which are still missing:\n' >&2
  printf '  %s\n' "${still_missing[@]}" >&2
  exit 1
fi
