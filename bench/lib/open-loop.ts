import { sleep } from './bench-state';

/** Sends are due every 1/rate s; the scheduler wakes this often and sends what is due. */
const TICK_MS = 2;

/** An operation that did not complete, by kind (e.g. BENCH_TIMEOUT). */
export class OperationFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What one operation measured: latency in ms per named interval. */
export type OperationLatencies = Record<string, number>;

export interface OpenLoopStep {
  offeredPerSecond: number;
  sent: number;
  succeeded: number;
  /** Failed operations by error code. */
  failures: Record<string, number>;
  /** Latency samples (ms) of the succeeded operations, per named interval. */
  latenciesMs: Record<string, number[]>;
  /** Wall-clock seconds from the first send to the last. */
  sendSeconds: number;
  /** Succeeded operations per second of the send window. */
  achievedPerSecond: number;
}

/**
 * Open loop: operation i starts at start + i/rate whatever happened to the earlier ones (no
 * waiting for answers, the operations themselves never retransmit). Resolves once every operation
 * settled (succeeded or failed, each bounded by its own timeout).
 */
export async function runOpenLoop(
  rate: number,
  seconds: number,
  operation: (sequence: number) => Promise<OperationLatencies>,
): Promise<OpenLoopStep> {
  const total = Math.round(rate * seconds);
  const failures: Record<string, number> = {};
  const latenciesMs: Record<string, number[]> = {};
  const settled: Promise<void>[] = [];
  let succeeded = 0;
  const started = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
    for (; sent < due; sent++) {
      settled.push(
        operation(sent).then(
          (latencies) => {
            succeeded++;
            for (const [name, ms] of Object.entries(latencies)) (latenciesMs[name] ??= []).push(ms);
          },
          (error: unknown) => {
            const code = failureCode(error);
            // The first failure of each kind is shown, so a bench bug does not hide as a figure.
            if (failures[code] === undefined) console.error(`open-loop: first ${code}:`, String(error));
            failures[code] = (failures[code] ?? 0) + 1;
          },
        ),
      );
    }
    if (sent < total) await sleep(TICK_MS);
  }
  const sendSeconds = (performance.now() - started) / 1000;
  await Promise.all(settled);
  return {
    offeredPerSecond: rate,
    sent,
    succeeded,
    failures,
    latenciesMs,
    sendSeconds,
    achievedPerSecond: succeeded / Math.max(sendSeconds, 1 / rate),
  };
}

function failureCode(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.name : 'unknown';
}

/** Milliseconds since a process.hrtime.bigint() reading. */
export function msSince(start: bigint, end = process.hrtime.bigint()): number {
  return Number(end - start) / 1e6;
}
