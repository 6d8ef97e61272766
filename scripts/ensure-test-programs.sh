#!/usr/bin/env bash
# The programs the integration tests drive, from Debian's registry: the real SIP clients of the
# interop matrix (docs/interop.md) and the Chromium of the web app's test (test/web, through
# playwright-core: no browser download). Installs the packages whose program is missing, then
# fails unless every program is on PATH, naming the package, so a clean machine (CI runs as root)
# never skips a test. The npm clients (jssip, sip.js) are devDependencies, installed with the rest
# of node_modules.
set -euo pipefail

# package:program, one pair per program.
programs=(sip-tester:sipp sipsak:sipsak baresip-core:baresip linphone-cli:linphonec chromium:chromium)

missing_packages=()
for program in "${programs[@]}"; do
  command -v "${program#*:}" >/dev/null || missing_packages+=("${program%%:*}")
done

if [ "${#missing_packages[@]}" -gt 0 ]; then
  echo "ensure-test-programs: installing ${missing_packages[*]} (Debian packages)" >&2
  if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
  "${sudo[@]}" apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends \
    "${missing_packages[@]}" >&2
fi

still_missing=()
for program in "${programs[@]}"; do
  command -v "${program#*:}" >/dev/null || still_missing+=("${program#*:} (Debian package ${program%%:*})")
done
if [ "${#still_missing[@]}" -gt 0 ]; then
  printf 'ensure-test-programs: the integration tests need these programs, which are still missing:\n' >&2
  printf '  %s\n' "${still_missing[@]}" >&2
  exit 1
fi
