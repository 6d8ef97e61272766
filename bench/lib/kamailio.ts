import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { LOOPBACK } from './bench-device';
import { sleep } from './bench-state';
import { LOAD_GROUP, type MeasuredDeployment, runCleanups, script } from './deployment';
import type { IdleWaiter } from './herald-idle';
import { AppProcess, BENCH_DOMAIN, LaunchError, REPO_ROOT, type SipAddress } from './herald-launch';
import { postmasterPid, type ProcessGroup } from './process-cpu';

export const KAMAILIO_CONFIG = join(REPO_ROOT, 'bench', 'kamailio', 'kamailio.cfg');
/** Kamailio's own PostgreSQL schema (Debian's kamailio-postgres-modules): `version`, then usrloc's tables. */
export const KAMAILIO_SCHEMA_FILES = ['standard-create.sql', 'usrloc-create.sql'].map(
  (file) => `/usr/share/kamailio/postgres/${file}`,
);
/** Shared and private memory (MB), as bench/run-all.sh gives it: usrloc keeps every contact in shared memory. */
const SHM_MB = 1024;
const PKG_MB = 32;
const READY_TIMEOUT_MS = 30_000;
const READY_PROBE_MS = 200;

export type KamailioTarget = 'kamailio' | 'kamailio-durable';

export interface KamailioLaunch {
  port: number;
  /** Its working and runtime directory (control FIFOs, pid). */
  runDir: string;
  /** The durable location table's database (usrloc db_mode=1); none: in memory only (db_mode=0). */
  usrlocDbUrl?: string;
  /** UDP worker processes (-n, over the cfg's children=2). */
  workers?: number;
}

/**
 * The command line of bench/kamailio/kamailio.cfg in the foreground (-DD: its main process stays
 * the parent of every worker, so its tree is all of Kamailio), logging to stderr (-E).
 */
export function kamailioArgs(launch: KamailioLaunch): string[] {
  const args = ['-f', KAMAILIO_CONFIG, '-l', `udp:${LOOPBACK}:${launch.port}`, '-m', String(SHM_MB)];
  args.push('-M', String(PKG_MB), '-DD', '-E', '-Y', launch.runDir, '-w', launch.runDir);
  if (launch.workers !== undefined) args.push('-n', String(launch.workers));
  if (launch.usrlocDbUrl === undefined) return args;
  // The URL becomes a quoted string of the config's preprocessor: a quote in it would end it early.
  if (launch.usrlocDbUrl.includes('"')) {
    throw new LaunchError(`usrloc database URL must not hold a double quote: ${launch.usrlocDbUrl}`);
  }
  return [...args, '-A', 'WITH_DURABLE_USRLOC', '-A', `USRLOC_DB_URL="${launch.usrlocDbUrl}"`];
}

/**
 * Kamailio as the reference deployment of a CPU benchmark: the in-memory registrar, or
 * `kamailio-durable` with its location table written through (before each 200) to a PostgreSQL
 * started by scripts/postgres.sh --durable (fsync on, like Herald's Kafka deployment).
 */
export class KamailioDeployment implements MeasuredDeployment {
  private constructor(
    readonly udp: SipAddress,
    readonly groups: readonly ProcessGroup[],
    private readonly cleanups: (() => Promise<void>)[],
  ) {}

  /** `workers`: UDP workers instead of the cfg's 2 (a durable one's workers each wait for their commit). */
  static async start(target: KamailioTarget, workers?: number): Promise<KamailioDeployment> {
    const work = mkdtempSync(`/tmp/herald-bench-${target}-`);
    // PostgreSQL runs as its own OS user when this runs as root: it must be able to enter `work`.
    chmodSync(work, 0o711);
    const cleanups: (() => Promise<void>)[] = [async () => rmSync(work, { recursive: true, force: true })];
    try {
      const groups: ProcessGroup[] = [];
      let usrlocDbUrl: string | undefined;
      if (target === 'kamailio-durable') {
        const postgresDir = join(work, 'postgres');
        usrlocDbUrl = await script('postgres.sh', ['start', postgresDir, '--durable']);
        cleanups.push(async () => void (await script('postgres.sh', ['stop', postgresDir])));
        await createUsrlocTables(usrlocDbUrl);
        groups.push({ name: 'postgres', rootPid: postmasterPid(join(postgresDir, 'data')) });
      }
      const udp = { address: LOOPBACK, port: await freeUdpPort() };
      const args = kamailioArgs({ port: udp.port, runDir: work, usrlocDbUrl, workers });
      const kamailio = new AppProcess('kamailio', 'kamailio', args);
      cleanups.push(() => kamailio.stop());
      await waitUntilAnswering(udp, kamailio);
      groups.push(
        { name: 'kamailio', rootPid: kamailio.child.pid ?? 0 },
        { name: LOAD_GROUP, rootPid: process.pid },
      );
      return new KamailioDeployment(udp, groups, cleanups);
    } catch (error) {
      await runCleanups(cleanups);
      throw error;
    }
  }

  /** Kamailio keeps no queue: it answers once its work is done (db_mode=1 writes before the 200). */
  openIdleWaiter(): Promise<IdleWaiter> {
    return Promise.resolve({
      waitUntilIdle: () =>
        Promise.resolve({
          idle: true,
          waitedMs: 0,
          backlog: { busRecords: 0, pushesInFlight: 0, plainDevicesQueued: 0 },
        }),
      close: () => Promise.resolve(),
    });
  }

  stop(): Promise<void> {
    return runCleanups(this.cleanups);
  }
}

/** Kamailio's `version` table and usrloc's `location` tables, from the SQL Debian ships. */
async function createUsrlocTables(databaseUrl: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (const file of KAMAILIO_SCHEMA_FILES) await client.query(readFileSync(file, 'utf8'));
  } finally {
    await client.end();
  }
}

/** A UDP port free right now on loopback (Kamailio binds it itself a moment later). */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  socket.bind(0, LOOPBACK);
  await once(socket, 'listening');
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** Sends OPTIONS until Kamailio answers anything (its workers listen), or fails with its output. */
async function waitUntilAnswering(server: SipAddress, kamailio: AppProcess): Promise<void> {
  const socket = createSocket('udp4');
  socket.bind(0, LOOPBACK);
  await once(socket, 'listening');
  const answered = once(socket, 'message');
  let isAnswered = false;
  void answered.then(() => (isAnswered = true));
  try {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (let probe = 1; !isAnswered; probe++) {
      if (!kamailio.isRunning || Date.now() > deadline) {
        throw new LaunchError(
          `kamailio did not answer on ${server.port}; its output:\n${kamailio.outputTail()}`,
        );
      }
      socket.send(optionsProbe(socket.address().port, probe), server.port, server.address);
      await Promise.race([answered, sleep(READY_PROBE_MS)]);
    }
  } finally {
    socket.close();
  }
}

function optionsProbe(localPort: number, probe: number): string {
  return [
    `OPTIONS sip:${BENCH_DOMAIN} SIP/2.0`,
    `Via: SIP/2.0/UDP ${LOOPBACK}:${localPort};branch=z9hG4bK-ready-${probe};rport`,
    'Max-Forwards: 70',
    `From: <sip:ready@${BENCH_DOMAIN}>;tag=ready`,
    `To: <sip:${BENCH_DOMAIN}>`,
    `Call-ID: ready-${process.pid}@bench`,
    `CSeq: ${probe} OPTIONS`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}
