// Parses one typical message a fixed number of times, for counting machine instructions with
// `valgrind --tool=callgrind` (see bench/README.md). Instruction counts do not depend on the load
// of a shared machine, unlike rates; the difference between two runs with different counts,
// divided by the difference in parses, is the cost of one parse without start-up and warm-up.
import { parseMessage } from '#herald/sip';
import { SAMPLES } from './sip-parser-samples';

/** Enough parses for V8 to optimize the parser before the counted ones. */
const WARMUP_PARSES = 20_000;

function main(): void {
  const [sampleArg, countArg] = process.argv.slice(2);
  const sample = SAMPLES[Number(sampleArg)];
  const count = Number(countArg);
  if (sample === undefined || !Number.isInteger(count) || count < 0) {
    throw new Error('usage: sip-parser-instructions.js <sample index 0-2> <parses>');
  }
  const bytes = Buffer.from(sample[1]);
  for (let i = 0; i < WARMUP_PARSES; i++) parseMessage(bytes);
  for (let i = 0; i < count; i++) parseMessage(bytes);
}

main();
