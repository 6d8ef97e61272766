#!/usr/bin/env bash
# Instructions per REGISTER (401 + 200) and per IM (INFO + 200, three pushes answered, their
# outcomes) of the SIP edge alone, counted by callgrind (load-independent; bench/README.md "Edge
# hot path"): dist/bench/edge-instructions.js runs the edge and one client in one process, twice
# per operation with different counts; the difference divided by the difference in count removes
# Node start-up and the warm-up. The client's work (building requests, answering pushes) is in the
# figure too, the same for every version of the edge.
#   bench/edge-instructions.sh [compiled dir, default dist] [register|im ...]
#   COUNT=100 bench/edge-instructions.sh   (fewer counted operations: faster, a little noisier)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-node.sh
source bench/lib/common.sh
DIST=${1:-dist}
shift || true
if [ $# -gt 0 ]; then WHAT=("$@"); else WHAT=(register im); fi
FEW=0
MANY=${COUNT:-150}
for what in "${WHAT[@]}"; do
  few=$(callgrind_instructions "$DIST/bench/edge-instructions.js" "$what" "$FEW")
  many=$(callgrind_instructions "$DIST/bench/edge-instructions.js" "$what" "$MANY")
  echo "$what: $(((many - few) / (MANY - FEW))) instructions per operation (load $(cut -d' ' -f1-3 /proc/loadavg))"
done
