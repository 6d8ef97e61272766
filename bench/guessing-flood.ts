// Online password guessing against the embedded default (issue 14): the latency of a legitimate
// user's REGISTERs (challenge + credentials, from 127.0.0.3) alone, then while 127.0.0.2 sends
// wrong-password REGISTERs at --rate per second spread over --ports source ports; once with the
// edge's throttle on (the default) and once off. Prints one table; never gates CI.
//   node dist/bench/guessing-flood.js [--seconds 20] [--rate 400] [--ports 1000]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BenchDevice, BenchDeviceError } from './lib/bench-device';
import {
  BENCH_DOMAIN,
  benchPassword,
  benchUser,
  LaunchedHerald,
  provisionAccounts,
} from './lib/herald-launch';
import { msSince } from './lib/open-loop';
import { loadAverage, quantile } from './lib/results';

const LEGITIMATE_ADDRESS = '127.0.0.3';
const ATTACKER_ADDRESS = '127.0.0.2';
/** Accounts the attacker guesses (the legitimate user is the first). */
const ACCOUNTS = 50;
/** The legitimate user's pause between REGISTERs. */
const LEGITIMATE_PAUSE_MS = 50;
/** The attacker gives a guess up after this (a banned source gets no answer at all). */
const GUESS_TIMEOUT_MS = 2_000;
/** The attacker sends its guesses in batches this often. */
const ATTACK_TICK_MS = 10;

interface Phase {
  p50: number;
  p99: number;
  registers: number;
  failed: number;
}

interface Run {
  throttle: boolean;
  alone: Phase;
  flooded: Phase;
  guesses: Record<string, number>;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '20' },
      rate: { type: 'string', default: '400' },
      ports: { type: 'string', default: '1000' },
    },
  });
  const seconds = Number(values.seconds);
  const rate = Number(values.rate);
  const ports = Number(values.ports);
  const runs: Run[] = [];
  for (const [i, throttle] of [true, false].entries()) {
    runs.push(await runOnce(throttle, seconds, rate, ports, 55_500 + i));
  }
  console.log(
    `guessing flood: ${rate}/s wrong-password REGISTERs over ${ports} ports, ${seconds} s per phase`,
  );
  console.log(
    '| throttle | alone p50 / p99 ms | flooded p50 / p99 ms | p99 flooded / alone | legit failed | guesses |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const run of runs) {
    const ratio = run.flooded.p99 / run.alone.p99;
    const guesses = Object.entries(run.guesses)
      .map(([outcome, count]) => `${outcome} ${count}`)
      .join(', ');
    console.log(
      `| ${run.throttle ? 'on' : 'off'} | ${run.alone.p50.toFixed(1)} / ${run.alone.p99.toFixed(1)} | ` +
        `${run.flooded.p50.toFixed(1)} / ${run.flooded.p99.toFixed(1)} | ${ratio.toFixed(2)} | ` +
        `${run.alone.failed + run.flooded.failed} | ${guesses} |`,
    );
  }
  console.log(`load average ${loadAverage()}`);
}

async function runOnce(
  throttle: boolean,
  seconds: number,
  rate: number,
  ports: number,
  postgresPort: number,
): Promise<Run> {
  const dataDir = await mkdtemp(join(tmpdir(), 'herald-guessing-'));
  const herald = await LaunchedHerald.start({
    mode: 'embedded',
    dataDir,
    postgresPort,
    env: { HERALD_SIP_THROTTLE_ENABLED: String(throttle) },
  });
  try {
    await provisionAccounts(herald.databaseUrl, ACCOUNTS);
    const user = benchUser(1);
    const legitimate = await BenchDevice.open({
      user,
      password: benchPassword(user),
      domain: BENCH_DOMAIN,
      server: herald.udp,
      localAddress: LEGITIMATE_ADDRESS,
      retransmit: true,
    });
    try {
      const alone = await registerFor(legitimate, seconds);
      const attack = await startAttack(herald.udp, rate, ports);
      const flooded = await registerFor(legitimate, seconds);
      const guesses = await attack.stop();
      return { throttle, alone, flooded, guesses };
    } finally {
      await legitimate.close();
    }
  } finally {
    await herald.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** REGISTERs one after another (with a short pause) for `seconds`: their latencies. */
async function registerFor(device: BenchDevice, seconds: number): Promise<Phase> {
  const latencies: number[] = [];
  let failed = 0;
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    const start = process.hrtime.bigint();
    try {
      await device.register();
      latencies.push(msSince(start));
    } catch (error) {
      if (!(error instanceof BenchDeviceError)) throw error;
      failed += 1;
    }
    await new Promise((resolve) => setTimeout(resolve, LEGITIMATE_PAUSE_MS));
  }
  return {
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    registers: latencies.length,
    failed,
  };
}

/** Wrong-password REGISTERs for random accounts at `rate`/s, round robin over `ports` sockets. */
async function startAttack(
  server: { address: string; port: number },
  rate: number,
  ports: number,
): Promise<{ stop(): Promise<Record<string, number>> }> {
  const devices = await Promise.all(
    Array.from({ length: ports }, (_, i) => {
      const user = benchUser(1 + (i % ACCOUNTS));
      return BenchDevice.open({
        user,
        password: 'not-the-password',
        domain: BENCH_DOMAIN,
        server,
        localAddress: ATTACKER_ADDRESS,
        responseTimeoutMs: GUESS_TIMEOUT_MS,
      });
    }),
  );
  const outcomes: Record<string, number> = {};
  const inFlight = new Set<Promise<void>>();
  let next = 0;
  let sent = 0;
  const startedAt = Date.now();
  const guess = (device: BenchDevice): void => {
    const attempt = device.register().then(
      () => count('accepted'),
      (error: unknown) => count(error instanceof BenchDeviceError ? outcomeOf(error) : 'error'),
    );
    inFlight.add(attempt);
    void attempt.finally(() => inFlight.delete(attempt));
  };
  const count = (outcome: string): void => {
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  };
  const timer = setInterval(() => {
    const due = Math.floor(((Date.now() - startedAt) / 1000) * rate);
    for (; sent < due; sent++) guess(devices[next++ % devices.length]!);
  }, ATTACK_TICK_MS);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
      await Promise.all(devices.map((device) => device.close()));
      return outcomes;
    },
  };
}

/** 401 after credentials (auth refused), 503 (throttled at the edge), or no answer (banned). */
function outcomeOf(error: BenchDeviceError): string {
  if (error.code === 'BENCH_UNAVAILABLE') return '503';
  if (error.code === 'BENCH_TIMEOUT') return 'unanswered';
  return error.code === 'BENCH_REFUSED' ? 'refused' : error.code;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
