#!/usr/bin/env bash
# Instructions per parse of each typical message, counted by callgrind (load-independent).
# Usage: bench/sip-parser-instructions.sh [compiled dir, default dist] [sample index ...]
#   PARSES=5000 bench/sip-parser-instructions.sh   (fewer counted parses: faster, a little noisier)
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
DIST=${1:-dist}
shift || true
if [ $# -gt 0 ]; then SAMPLES=("$@"); else SAMPLES=(0 1 2); fi
# Two runs per message; their difference removes Node start-up and the warm-up parses.
FEW=0
MANY=${PARSES:-20000}
for sample in "${SAMPLES[@]}"; do
  few=$(callgrind_instructions "$DIST/bench/sip-parser-instructions.js" "$sample" "$FEW")
  many=$(callgrind_instructions "$DIST/bench/sip-parser-instructions.js" "$sample" "$MANY")
  echo "sample $sample: $(((many - few) / (MANY - FEW))) instructions per parse"
done
