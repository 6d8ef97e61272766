import { parseArgs } from 'node:util';
import type { CpuStep } from './lib/cpu-report';
import type { CountedSockets } from './lib/socket-write-counter';
import { inStepWindow, readCounts, readSteps } from './lib/step-counts';

const PEERS = ['link', 'kafka', 'pg', 'other'] as const;
const FRAME_KINDS = ['hello', 'records', 'ack'] as const;

/**
 * Socket I/O per operation of each cpu-per-op step, per Herald process, from the files the socket
 * counter preload wrote (bench/lib/socket-write-counter.ts): TCP writes (system calls) by peer,
 * UDP datagrams sent and received, TCP reads by peer; then the edge link's frames each process
 * wrote by kind, the records they carried and their bytes. Counts within each step's CPU window
 * (whole seconds) divided by its succeeded operations; processes without any are left out.
 *
 *   node dist/bench/socket-writes.js --counts /tmp/counts --steps /tmp/counts/steps.jsonl
 */
function main(): void {
  const { values } = parseArgs({ options: { counts: { type: 'string' }, steps: { type: 'string' } } });
  if (values.counts === undefined || values.steps === undefined) {
    throw new Error('usage: socket-writes --counts DIR --steps CPU_PER_OP_JSONL');
  }
  const counted = readCounts<CountedSockets>(values.counts);
  for (const step of readSteps(values.steps)) printStep(step, counted);
}

function printStep(step: CpuStep, counted: ReadonlyArray<CountedSockets>): void {
  const operations = Math.max(step.succeeded, 1);
  const perOp = (count: number, digits = 3) => (count / operations).toFixed(digits);
  const inWindow = (process: CountedSockets, key: string) =>
    inStepWindow(step, process.startedAt, process.perSecond[key] ?? []);
  console.log(
    `\n${step.op} at ${step.offeredPerSecond}/s (${step.succeeded} of ${step.sent} succeeded, window ` +
      `${step.windowSeconds.toFixed(1)} s, load ${step.load}, ${step.commit}): socket I/O per operation`,
  );
  const writeColumns = [
    ...PEERS.map((peer) => `tcp-write ${peer}`),
    'udp-send',
    'writes',
    'udp-receive',
    ...PEERS.map((peer) => `tcp-read ${peer}`),
  ];
  console.log(['process', ...writeColumns.map((column) => column.replace('tcp-', ''))].join(' | '));
  const totals = new Map<string, number>();
  const active = counted.filter((process) =>
    Object.keys(process.perSecond).some((key) => inWindow(process, key) > 0),
  );
  for (const process of active) {
    const cells = writeColumns.map((column) => {
      const count =
        column === 'writes'
          ? [...PEERS.map((peer) => `tcp-write ${peer}`), 'udp-send'].reduce(
              (sum, key) => sum + inWindow(process, key),
              0,
            )
          : inWindow(process, column);
      totals.set(column, (totals.get(column) ?? 0) + count);
      return perOp(count);
    });
    console.log([process.app, ...cells].join(' | '));
  }
  console.log(['all', ...writeColumns.map((column) => perOp(totals.get(column) ?? 0))].join(' | '));
  console.log(
    `of which writev (chunks gathered in one call, a profile's \`writev\`): ${active
      .map((process) =>
        PEERS.map((peer) => [peer, inWindow(process, `tcp-writev ${peer}`)] as const)
          .filter(([, writes]) => writes > 0)
          .map(([peer, writes]) => `${process.app} ${peer} ${perOp(writes)}`)
          .join(', '),
      )
      .filter((text) => text !== '')
      .join('; ')}`,
  );
  console.log(
    `TCP bytes written per operation: ${active
      .map((process) =>
        PEERS.map((peer) => [peer, inWindow(process, `tcp-write-bytes ${peer}`)] as const)
          .filter(([, bytes]) => bytes > 0)
          .map(([peer, bytes]) => `${process.app} ${peer} ${perOp(bytes, 0)}`)
          .join(', '),
      )
      .filter((text) => text !== '')
      .join('; ')}`,
  );
  console.log(
    'edge link frames written per operation: process | hello | records | ack | records carried | bytes | frames per write',
  );
  for (const process of active) {
    const frames = FRAME_KINDS.map((kind) => inWindow(process, `link-frame ${kind}`));
    if (frames.every((count) => count === 0)) continue;
    const bytes = FRAME_KINDS.reduce((sum, kind) => sum + inWindow(process, `link-frame-bytes ${kind}`), 0);
    const records = inWindow(process, 'link-records');
    console.log(
      [
        process.app,
        ...frames.map((count) => perOp(count)),
        perOp(records),
        perOp(bytes, 0),
        (
          frames.reduce((sum, count) => sum + count, 0) / Math.max(inWindow(process, 'tcp-write link'), 1)
        ).toFixed(2),
      ].join(' | '),
    );
  }
}

main();
