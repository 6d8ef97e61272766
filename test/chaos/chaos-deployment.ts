// The chaos test's deployment: its own Kafka broker and its own durable PostgreSQL (so it may crash
// and restart them without disturbing other suites), two edges on fixed ports (a restarted edge
// comes back where its clients are) and two replicas of each service, each replica reaching
// PostgreSQL through its own TcpRelay so one replica alone can be partitioned or slowed.
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import type { TransportAddress } from '#herald/sip';
import type { ClusterApp } from '../support/herald-cluster';
import { REPO_ROOT } from '../support/herald-process';
import { CLUSTER_SIDES, type ClusterSide, HeraldScaledCluster } from '../support/herald-scaled-cluster';
import { TcpRelay } from './tcp-relay';

const run = promisify(execFile);

export const SERVICES = ['auth', 'presence', 'im-router'] as const;
export type ServiceApp = (typeof SERVICES)[number];
export const APPS: readonly ClusterApp[] = ['sip-edge', ...SERVICES];

/** Kafka and PostgreSQL starts on a busy 2-core machine (a cold JVM). */
const INFRASTRUCTURE_TIMEOUT_MS = 240_000;

async function script(name: 'kafka.sh' | 'postgres.sh', ...args: string[]): Promise<string> {
  const { stdout } = await run('bash', [join(REPO_ROOT, 'scripts', name), ...args], {
    cwd: REPO_ROOT,
    timeout: INFRASTRUCTURE_TIMEOUT_MS,
  });
  return stdout.trim();
}

/**
 * The edges' ports are fixed for the run (a restarted edge comes back where its clients are), so
 * they are drawn below the kernel's ephemeral range (32768 and up): once, a port the kernel had
 * handed out and taken back was someone's client socket by the time the edge bound it.
 */
const FIXED_PORT_MIN = 20_000;
const FIXED_PORT_SPAN = 12_000;

function canBind(protocol: 'tcp' | 'udp', port: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (protocol === 'tcp') {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
      return;
    }
    const socket = createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

async function fixedPort(protocol: 'tcp' | 'udp', taken: Set<number>): Promise<number> {
  for (;;) {
    const port = FIXED_PORT_MIN + Math.floor(Math.random() * FIXED_PORT_SPAN);
    if (!taken.has(port) && (await canBind(protocol, port))) {
      taken.add(port);
      return port;
    }
  }
}

export interface ChaosDeploymentOptions {
  /** Environment of every Herald process (expiry, timeouts). */
  env: Record<string, string>;
}

export class ChaosDeployment {
  private constructor(
    private readonly kafkaState: string,
    private readonly postgresState: string,
    readonly cluster: HeraldScaledCluster,
    private readonly relays: ReadonlyMap<string, TcpRelay>,
  ) {}

  static async start(options: ChaosDeploymentOptions): Promise<ChaosDeployment> {
    const kafkaState = await mkdtemp(join(tmpdir(), 'herald-chaos-kafka-'));
    const postgresState = await mkdtemp(join(tmpdir(), 'herald-chaos-pg-'));
    const started = await Promise.allSettled([
      script('kafka.sh', 'start', kafkaState),
      // Durable: a PostgreSQL crash must not take back what a 200 OK promised.
      script('postgres.sh', 'start', postgresState, '--durable'),
    ]);
    const relays = new Map<string, TcpRelay>();
    const stopInfrastructure = () =>
      Promise.all([
        ...[...relays.values()].map((relay) => relay.stop()),
        script('kafka.sh', 'stop', kafkaState),
        script('postgres.sh', 'stop', postgresState),
      ]);
    try {
      const [kafkaOutput, databaseUrl] = started.map((result) => {
        if (result.status === 'rejected') throw result.reason;
        return result.value;
      }) as [string, string];
      const cluster = await ChaosDeployment.startCluster(options, kafkaOutput, databaseUrl, relays);
      return new ChaosDeployment(kafkaState, postgresState, cluster, relays);
    } catch (error) {
      // Nothing of a deployment that did not start may outlive the test.
      await stopInfrastructure();
      throw error;
    }
  }

  private static async startCluster(
    options: ChaosDeploymentOptions,
    kafkaOutput: string,
    databaseUrl: string,
    relays: Map<string, TcpRelay>,
  ): Promise<HeraldScaledCluster> {
    const kafkaBrokers = [kafkaOutput.split('\n')[0]!];
    const database = new URL(databaseUrl);
    const appEnv = new Map<ClusterSide, Partial<Record<ClusterApp, Record<string, string>>>>();
    const taken = new Set<number>();
    for (const side of CLUSTER_SIDES) {
      const env: Partial<Record<ClusterApp, Record<string, string>>> = {
        'sip-edge': {
          HERALD_SIP_UDP_PORT: String(await fixedPort('udp', taken)),
          HERALD_SIP_TCP_PORT: String(await fixedPort('tcp', taken)),
          HERALD_SIP_WS_PORT: String(await fixedPort('tcp', taken)),
        },
      };
      for (const app of SERVICES) {
        const relay = await TcpRelay.start({ host: database.hostname, port: Number(database.port) });
        relays.set(relayKey(side, app), relay);
        const viaRelay = new URL(databaseUrl);
        viaRelay.port = String(relay.port);
        env[app] = { DATABASE_URL: viaRelay.toString() };
      }
      appEnv.set(side, env);
    }
    return HeraldScaledCluster.start({
      env: options.env,
      appEnv: (side) => appEnv.get(side) ?? {},
      kafkaBrokers,
      databaseUrl,
    });
  }

  address(side: ClusterSide, protocol: 'udp' | 'tcp' | 'ws'): TransportAddress {
    return this.cluster.side(side).address(protocol);
  }

  relay(side: ClusterSide, app: ServiceApp): TcpRelay {
    const relay = this.relays.get(relayKey(side, app));
    if (relay === undefined) throw new Error(`no relay for ${app} of side ${side}`);
    return relay;
  }

  /** SIGKILL, then the same app again on the same settings, serving before this resolves. */
  async killAndRestart(side: ClusterSide, app: ClusterApp): Promise<void> {
    await this.cluster.kill(side, app);
    await this.cluster.side(side).startApp(app);
  }

  /** SIGSTOP now; SIGCONT after `ms` (a process the kernel or a hypervisor froze). */
  async freeze(side: ClusterSide, app: ClusterApp, ms: number): Promise<void> {
    const pid = this.cluster.side(side).processes.get(app)?.pid;
    if (pid === undefined) throw new Error(`${app} of side ${side} is not running`);
    process.kill(pid, 'SIGSTOP');
    await new Promise((resolve) => setTimeout(resolve, ms));
    process.kill(pid, 'SIGCONT');
  }

  crashRestartKafka(): Promise<string> {
    return script('kafka.sh', 'crash-restart', this.kafkaState);
  }

  crashRestartPostgres(): Promise<string> {
    return script('postgres.sh', 'crash-restart', this.postgresState);
  }

  /**
   * What the database holds of an IM (by its sender and command id): the message and every
   * delivery attempt, or whether im-router processed the command at all and, if it stored no
   * message, whether its stored result refused it (`not-logged-in` is stored as the command's one
   * result), for the report of a missing IM.
   */
  async imTrail(
    senderAor: string,
    commandId: string,
  ): Promise<{ processed: boolean; refused: boolean; story: string }> {
    const client = new Client({ connectionString: this.cluster.databaseUrl });
    await client.connect();
    try {
      const claims = await client.query<{ result: unknown }>(
        "SELECT result FROM processed_commands WHERE service = 'im-router' AND aor = $1 AND command_id = $2",
        [senderAor, commandId],
      );
      const claim = claims.rows[0];
      const messages = await client.query<{
        id: string;
        delivered_at: Date | null;
        stored_notified_at: Date | null;
      }>(
        'SELECT id, delivered_at, stored_notified_at FROM messages WHERE sender_aor = $1 AND command_id = $2',
        [senderAor, commandId],
      );
      const message = messages.rows[0];
      if (message === undefined) {
        return {
          processed: claim !== undefined,
          refused: isRefusal(claim?.result),
          story: `not stored; command ${claim === undefined ? 'never processed' : `processed: ${JSON.stringify(claim.result)}`}`,
        };
      }
      const attempts = await client.query<{
        device_id: string;
        attempted_at: Date;
        outcome: string | null;
        outcome_at: Date | null;
      }>(
        'SELECT device_id, attempted_at, outcome, outcome_at FROM message_deliveries WHERE message_key = $1 ORDER BY attempted_at',
        [message.id],
      );
      const iso = (at: Date | null) => at?.toISOString() ?? 'never';
      const story = [
        `stored, delivered ${iso(message.delivered_at)}, sender told stored ${iso(message.stored_notified_at)}`,
        ...attempts.rows.map(
          (row) =>
            `pushed to ${row.device_id} at ${iso(row.attempted_at)}: ${row.outcome ?? 'no outcome'} at ${iso(row.outcome_at)}`,
        ),
      ].join('; ');
      return { processed: true, refused: false, story };
    } finally {
      await client.end();
    }
  }

  /** Whether `service` processed `aor`'s command `commandId`: its one result is stored. */
  async resultStored(service: string, aor: string, commandId: string): Promise<boolean> {
    const client = new Client({ connectionString: this.cluster.databaseUrl });
    await client.connect();
    try {
      const claims = await client.query<{ result: unknown }>(
        'SELECT result FROM processed_commands WHERE service = $1 AND aor = $2 AND command_id = $3',
        [service, aor, commandId],
      );
      return claims.rows[0]?.result != null;
    } finally {
      await client.end();
    }
  }

  /** Resident memory of every running process, in MiB, by `side<n>-<app>`. */
  async residentMemoryMiB(): Promise<Map<string, number>> {
    const resident = new Map<string, number>();
    for (const side of CLUSTER_SIDES) {
      for (const [app, child] of this.cluster.side(side).processes) {
        if (!child.running || child.pid === undefined) continue;
        const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
        const kib = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]);
        resident.set(`side${side}-${app}`, kib / 1024);
      }
    }
    return resident;
  }

  /** Processes that are not running now (each should have been restarted). */
  deadProcesses(): string[] {
    return CLUSTER_SIDES.flatMap((side) =>
      APPS.filter((app) => this.cluster.side(side).processes.get(app)?.running !== true).map(
        (app) => `side${side}-${app}`,
      ),
    );
  }

  async stop(): Promise<void> {
    await this.cluster.stop();
    await Promise.all([...this.relays.values()].map((relay) => relay.stop()));
    await Promise.all([
      script('kafka.sh', 'stop', this.kafkaState),
      script('postgres.sh', 'stop', this.postgresState),
    ]);
  }
}

function relayKey(side: ClusterSide, app: ServiceApp): string {
  return `${side}/${app}`;
}

/** A stored im.send result that refused the command (`ok: false`). */
function isRefusal(result: unknown): boolean {
  return typeof result === 'object' && result !== null && (result as { ok?: unknown }).ok === false;
}
