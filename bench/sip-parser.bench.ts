// Throughput of the SIP message parser and serializer (not a test), in messages per CPU second on one
// core. See bench/README.md to run it.
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { createResponse, parseMessage, serializeMessage, SipMessage, SipParseError } from '#herald/sip';
import { INFO, SAMPLES } from './sip-parser-samples';

/** Each measurement runs this long after warm-up. */
const MEASURE_MS = 1_500;
const WARMUP_ITERATIONS = 20_000;
const BATCH = 1_000;
const CORPUS = resolve(__dirname, '../../../shared/corpora/sip-torture');

/** CPU microseconds this process has used; measuring CPU time, not wall time, keeps other load out. */
function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** Operations per second of CPU time on one core. */
function perSecond(run: () => void): number {
  for (let i = 0; i < WARMUP_ITERATIONS; i++) run();
  let count = 0;
  const start = cpuMicros();
  let elapsed = 0;
  while (elapsed < MEASURE_MS * 1_000) {
    for (let i = 0; i < BATCH; i++) run();
    count += BATCH;
    elapsed = cpuMicros() - start;
  }
  return Math.round((count * 1e6) / elapsed);
}

/** Every I-class torture message must still be rejected by the parser being measured. */
function checkRejections(): number {
  const invalid = readFileSync(join(CORPUS, 'manifest.tsv'), 'utf8')
    .split('\n')
    .filter((line) => line.split('\t')[1] === 'I')
    .map((line) => line.split('\t')[0]);
  for (const path of invalid) {
    try {
      parseMessage(readFileSync(join(CORPUS, path)));
    } catch (error) {
      if (error instanceof SipParseError) continue;
      throw error;
    }
    throw new Error(`invalid message accepted: ${path}`);
  }
  return invalid.length;
}

function machine(): string {
  const model =
    /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model;
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  return `${model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}, load average ${load}`;
}

function main(): void {
  console.log(`machine: ${machine()}`);
  console.log(`invalid torture messages rejected: ${checkRejections()}`);
  for (const [name, text] of SAMPLES) {
    const bytes = Buffer.from(text);
    const parsed: SipMessage = parseMessage(bytes);
    const parse = perSecond(() => parseMessage(bytes));
    const serialize = perSecond(() => serializeMessage(parsed));
    console.log(
      `${name.padEnd(26)} ${bytes.length} B  parse ${parse.toLocaleString('en')} msg/s  serialize ${serialize.toLocaleString('en')} msg/s`,
    );
  }
  const info = parseMessage(Buffer.from(INFO));
  if (info.kind !== 'request') throw new Error('INFO sample is not a request');
  const respond = perSecond(() => serializeMessage(createResponse(info, 200, { toTag: 'a1' })));
  console.log(
    `${'createResponse(INFO) 200'.padEnd(26)} build+serialize ${respond.toLocaleString('en')} msg/s`,
  );
}

main();
