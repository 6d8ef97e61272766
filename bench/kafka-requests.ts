import { parseArgs } from 'node:util';
import type { CountedRequests } from './lib/kafka-request-counter';
import type { CpuStep } from './lib/cpu-report';
import { inStepWindow, readCounts, readSteps } from './lib/step-counts';

/** APIs listed in their own column; the rest are summed as "other". */
const COLUMNS = ['Produce', 'Fetch', 'OffsetCommit', 'Heartbeat', 'Metadata', 'ListOffsets'];

/**
 * Kafka requests per operation of each cpu-per-op step, per Herald process and API, from the files
 * the request counter preload wrote (bench/lib/kafka-request-counter.ts): the requests sent within
 * each step's CPU window (whole seconds) divided by its succeeded operations, and the average
 * response size of the produces and fetches. Processes without a Kafka request (the bench's own
 * helpers) are left out.
 *
 *   node dist/bench/kafka-requests.js --counts /tmp/counts --steps /tmp/counts/steps.jsonl
 */
function main(): void {
  const { values } = parseArgs({ options: { counts: { type: 'string' }, steps: { type: 'string' } } });
  if (values.counts === undefined || values.steps === undefined) {
    throw new Error('usage: kafka-requests --counts DIR --steps CPU_PER_OP_JSONL');
  }
  const counted = readCounts<CountedRequests>(values.counts);
  for (const step of readSteps(values.steps)) printStep(step, counted);
}

function printStep(step: CpuStep, counted: ReadonlyArray<CountedRequests>): void {
  const operations = Math.max(step.succeeded, 1);
  const perOp = (requests: number) => (requests / operations).toFixed(3);
  const totals = new Map<string, number>();
  const rows: string[] = [];
  for (const process of counted) {
    const byApi = new Map<string, number>();
    for (const [key, seconds] of Object.entries(process.perSecond)) {
      const api = key.slice(key.lastIndexOf(' ') + 1);
      const column = COLUMNS.includes(api) ? api : 'other';
      const inWindow = inStepWindow(step, process.startedAt, seconds);
      byApi.set(column, (byApi.get(column) ?? 0) + inWindow);
      totals.set(column, (totals.get(column) ?? 0) + inWindow);
    }
    rows.push(row(process.app, byApi, perOp));
  }
  console.log(
    `\n${step.op} at ${step.offeredPerSecond}/s (${step.succeeded} of ${step.sent} succeeded, window ` +
      `${step.windowSeconds.toFixed(1)} s, load ${step.load}, ${step.commit}): Kafka requests per operation`,
  );
  console.log(['process', ...COLUMNS, 'other', 'all'].join(' | '));
  for (const line of rows) console.log(line);
  console.log(row('all', totals, perOp));
  console.log(`response bytes per request (whole run): ${responseSizes(counted)}`);
  console.log(`records produced per operation, by topic: ${producedRecords(step, counted, perOp)}`);
}

/** Records produced within the step's window per operation, by topic, with their mean value bytes (whole run). */
function producedRecords(
  step: CpuStep,
  counted: ReadonlyArray<CountedRequests>,
  perOp: (records: number) => string,
): string {
  const records = new Map<string, number>();
  const bytes = new Map<string, { records: number; bytes: number }>();
  for (const process of counted) {
    for (const [topic, seconds] of Object.entries(process.producedRecords ?? {})) {
      records.set(topic, (records.get(topic) ?? 0) + inStepWindow(step, process.startedAt, seconds));
      const whole = bytes.get(topic) ?? { records: 0, bytes: 0 };
      whole.records += seconds.reduce((sum, count) => sum + count, 0);
      whole.bytes += process.producedValueBytes[topic] ?? 0;
      bytes.set(topic, whole);
    }
  }
  const total = [...records.values()].reduce((sum, count) => sum + count, 0);
  const each = [...records].map(([topic, count]) => {
    const whole = bytes.get(topic);
    const mean = whole === undefined || whole.records === 0 ? 0 : Math.round(whole.bytes / whole.records);
    return `${topic} ${perOp(count)} (${mean} B)`;
  });
  return `all ${perOp(total)}; ${each.join(', ')}`;
}

function row(name: string, byApi: ReadonlyMap<string, number>, perOp: (requests: number) => string): string {
  const all = [...byApi.values()].reduce((sum, requests) => sum + requests, 0);
  return [name, ...[...COLUMNS, 'other'].map((api) => perOp(byApi.get(api) ?? 0)), perOp(all)].join(' | ');
}

/** Average response bytes of each process's produces and fetches over its whole run. */
function responseSizes(counted: ReadonlyArray<CountedRequests>): string {
  const sizes: string[] = [];
  for (const process of counted) {
    for (const api of ['Produce', 'Fetch']) {
      let requests = 0;
      let bytes = 0;
      for (const [key, seconds] of Object.entries(process.perSecond)) {
        if (!key.endsWith(` ${api}`)) continue;
        requests += seconds.reduce((sum, count) => sum + count, 0);
        bytes += process.responseBytes[key] ?? 0;
      }
      if (requests > 0) sizes.push(`${process.app} ${api} ${Math.round(bytes / requests)}`);
    }
  }
  return sizes.join(', ');
}

main();
