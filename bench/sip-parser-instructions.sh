#!/usr/bin/env bash
# Instructions per parse of each typical message, counted by callgrind (load-independent).
# Usage: bench/sip-parser-instructions.sh [compiled dir, default dist] [sample index ...]
#   PARSES=5000 bench/sip-parser-instructions.sh   (fewer counted parses: faster, a little noisier)
set -euo pipefail
DIST=${1:-dist}
shift || true
if [ $# -gt 0 ]; then SAMPLES=("$@"); else SAMPLES=(0 1 2); fi
# Two runs per message; their difference removes Node start-up and the warm-up parses.
FEW=0
MANY=${PARSES:-20000}
# --single-threaded: no concurrent compiler or GC threads, whose work would vary run to run.
# --smc-check: V8 writes machine code to the heap; valgrind must notice it.
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null --smc-check=all-non-file \
    node --single-threaded "$DIST/bench/sip-parser-instructions.js" "$1" "$2" 2>&1 |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
for sample in "${SAMPLES[@]}"; do
  few=$(count "$sample" "$FEW")
  many=$(count "$sample" "$MANY")
  echo "sample $sample: $(((many - few) / (MANY - FEW))) instructions per parse"
done
