import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { HeraldState } from './bench-state';
import { HeraldBacklogReader, type IdleWaiter } from './herald-idle';
import {
  type HeraldMode,
  LaunchedHerald,
  provisionAccounts,
  REPO_ROOT,
  type SipAddress,
} from './herald-launch';
import { postmasterPid, type ProcessGroup } from './process-cpu';

const run = promisify(execFile);

/** The load generator's group: this process and its load processes (what no Herald group claimed). */
export const LOAD_GROUP = 'load generator';

/** A deployment a CPU benchmark measures (Herald, or Kamailio as the reference: lib/kamailio.ts). */
export interface MeasuredDeployment {
  /** Where the devices send SIP. */
  readonly udp: SipAddress;
  /** Its processes for CPU sampling, the load generator's last. */
  readonly groups: readonly ProcessGroup[];
  /** What tells when it has nothing left to do after a step. */
  openIdleWaiter(): Promise<IdleWaiter>;
  /** Stops everything it started and deletes its files. */
  stop(): Promise<void>;
}

/**
 * A whole Herald deployment started by a benchmark, with everything it needs: embedded (the Herald
 * process, which runs its own PostgreSQL) or on Kafka (a broker from scripts/kafka.sh, a durable
 * PostgreSQL from scripts/postgres.sh, the four apps). `groups` are its processes for CPU sampling.
 */
export class BenchDeployment implements MeasuredDeployment {
  private constructor(
    readonly herald: LaunchedHerald,
    readonly state: HeraldState,
    readonly groups: readonly ProcessGroup[],
    private readonly cleanups: (() => Promise<void>)[],
  ) {}

  /**
   * Starts the deployment in a fresh directory under /tmp and provisions `accounts` bench accounts;
   * `nodeArgs` go to every Herald process (e.g. --cpu-prof). Kafka mode runs the edge link unless
   * `edgeLink` is false (every record for the edge through Kafka: the A/B of --edge-link no).
   */
  static async start(
    mode: HeraldMode,
    accounts: number,
    nodeArgs: string[] = [],
    edgeLink = true,
  ): Promise<BenchDeployment> {
    const work = mkdtempSync(`/tmp/herald-bench-${mode}-`);
    // PostgreSQL runs as its own OS user when this runs as root: it must be able to enter `work`.
    chmodSync(work, 0o711);
    const cleanups: (() => Promise<void>)[] = [async () => rmSync(work, { recursive: true, force: true })];
    try {
      if (mode === 'embedded') {
        const dataDir = join(work, 'embedded');
        const herald = await LaunchedHerald.start({
          mode,
          dataDir,
          postgresPort: await freeTcpPort(),
          nodeArgs,
        });
        cleanups.push(() => herald.stop());
        const pids = herald.pids();
        const groups = [
          // Before the Herald process: the postmaster may be its child, and is counted apart.
          { name: 'postgres', rootPid: postmasterPid(join(dataDir, 'pg')) },
          { name: 'herald', rootPid: pids['herald'] ?? 0 },
          { name: LOAD_GROUP, rootPid: process.pid },
        ];
        return await BenchDeployment.provisioned(herald, groups, cleanups, accounts);
      }
      const kafkaDir = join(work, 'kafka');
      const postgresDir = join(work, 'postgres');
      const brokers = await script('kafka.sh', ['start', kafkaDir]);
      cleanups.push(async () => void (await script('kafka.sh', ['stop', kafkaDir])));
      // Durable like the embedded one: a 200 OK means stored (fsync and synchronous_commit on).
      const databaseUrl = await script('postgres.sh', ['start', postgresDir, '--durable']);
      cleanups.push(async () => void (await script('postgres.sh', ['stop', postgresDir])));
      // The idle wait (HeraldBacklogReader) reads the consumer lag from this broker.
      process.env['KAFKA_BROKERS'] = brokers;
      const herald = await LaunchedHerald.start({
        mode,
        kafkaBrokers: brokers,
        databaseUrl,
        nodeArgs,
        ...(edgeLink ? { edgeLinkPort: await freeTcpPort() } : {}),
      });
      cleanups.push(() => herald.stop());
      const pids = herald.pids();
      const groups = [
        { name: 'postgres', rootPid: postmasterPid(join(postgresDir, 'data')) },
        { name: 'broker', rootPid: brokerPid(kafkaDir) },
        ...(['sip-edge', 'auth', 'presence', 'im-router'] as const).map((name) => ({
          name,
          rootPid: pids[name] ?? 0,
        })),
        { name: LOAD_GROUP, rootPid: process.pid },
      ];
      return await BenchDeployment.provisioned(herald, groups, cleanups, accounts);
    } catch (error) {
      await runCleanups(cleanups);
      throw error;
    }
  }

  private static async provisioned(
    herald: LaunchedHerald,
    groups: ProcessGroup[],
    cleanups: (() => Promise<void>)[],
    accounts: number,
  ): Promise<BenchDeployment> {
    await provisionAccounts(herald.databaseUrl, accounts);
    const state: HeraldState = {
      udp: herald.udp,
      databaseUrl: herald.databaseUrl,
      pids: herald.pids(),
      mode: herald.mode,
    };
    return new BenchDeployment(herald, state, groups, cleanups);
  }

  get udp(): SipAddress {
    return this.state.udp;
  }

  openIdleWaiter(): Promise<IdleWaiter> {
    return HeraldBacklogReader.open(this.state);
  }

  /** Stops what start started, in reverse order (Herald, then PostgreSQL and the broker), and deletes its files. */
  stop(): Promise<void> {
    return runCleanups(this.cleanups);
  }
}

export async function runCleanups(cleanups: readonly (() => Promise<void>)[]): Promise<void> {
  for (const cleanup of [...cleanups].reverse()) await cleanup();
}

/** Runs scripts/<name> and returns the last line it printed (the address it started). */
export async function script(name: string, args: string[]): Promise<string> {
  const { stdout } = await run('bash', [join(REPO_ROOT, 'scripts', name), ...args], { cwd: REPO_ROOT });
  return stdout.trim().split('\n').at(-1) ?? '';
}

/** scripts/kafka.sh writes the broker JVM's pid into its state directory. */
function brokerPid(kafkaDir: string): number {
  return Number(readFileSync(join(kafkaDir, 'pid'), 'utf8').trim());
}

/** A TCP port nobody listens on right now on 127.0.0.1 (the embedded PostgreSQL's). */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
