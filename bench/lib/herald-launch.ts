import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { appendFileSync } from 'node:fs';
import { createDataSource, runMigrations } from '#herald/persistence';
import { createAccountService } from '#herald/auth-service';
import { readyReportOf } from '#herald/runtime';

/** dist/bench/lib -> the checkout's root. */
export const REPO_ROOT = join(__dirname, '..', '..', '..');
/** A cold Nest + kafkajs start with a consumer group join on a busy 2-core machine. */
const READY_TIMEOUT_MS = 180_000;
const STOP_GRACE_MS = 15_000;
export const BENCH_DOMAIN = 'herald.local';
/**
 * The 401's challenges, MD5 first: Debian's SIPp answers only the first challenge of a 401 and
 * hashes nothing but MD5 (HERALD_DIGEST_ALGORITHMS; the issue 11 fleet setting).
 */
export const BENCH_DIGEST_ALGORITHMS = ['MD5', 'SHA-256'] as const;

export type HeraldMode = 'embedded' | 'kafka';

export class LaunchError extends Error {
  readonly code = 'BENCH_LAUNCH_FAILED';
}

export interface SipAddress {
  address: string;
  port: number;
}

/** Herald's bound SIP listeners by transport (UDP always; TCP and WS when configured, as by default). */
export type SipListeners = { udp: SipAddress } & Partial<Record<'tcp' | 'tls' | 'ws' | 'wss', SipAddress>>;

/** Accounts are u000001, u000002, ... with password pw-<user> (the Kamailio side derives the same). */
export function benchUser(index: number): string {
  return `u${String(index).padStart(6, '0')}`;
}
export function benchPassword(user: string): string {
  return `pw-${user}`;
}

/** Settings that keep Herald's own protections out of the way of a single load generator. */
const BENCH_ENV = {
  HERALD_DOMAIN: BENCH_DOMAIN,
  HERALD_LOG_LEVEL: 'warn',
  // One sipp socket is one flow: the per-flow limiter (20/s by default) would cap every rate.
  HERALD_SIP_RATE_PER_SECOND: '1000000',
  HERALD_SIP_RATE_BURST: '1000000',
  // The load generator is one or a few source addresses: the per-source window (6,000 per minute by
  // default) would refuse it as one abusive source. It is still counted, so its cost is measured.
  HERALD_SIP_SOURCE_MAX_REQUESTS: '1000000000',
  HERALD_DIGEST_ALGORITHMS: BENCH_DIGEST_ALGORITHMS.join(','),
  HERALD_SIP_BIND: '127.0.0.1',
  HERALD_SIP_TCP_PORT: '0',
  HERALD_SIP_TLS_PORT: '0',
  HERALD_SIP_WS_PORT: '0',
  HERALD_SIP_WSS_PORT: '0',
  HERALD_HTTP_PORT: '0',
  // auth's (and the embedded default's) admin API: ephemeral too, so no fixed port can collide.
  HERALD_ADMIN_PORT: '0',
  // The embedded default's web app: ephemeral, so a bench never collides with `npm start` on 8088.
  HERALD_WEB_PORT: '0',
};

/** A process a benchmark started (a Herald app, Kamailio): its output's tail, stopped with SIGTERM. */
export class AppProcess {
  private output = '';
  private readonly exited: Promise<void>;
  private running = true;
  readonly child: ChildProcess;

  /** A Herald app: Node running `script` (relative to the checkout) with `env` added. */
  static node(name: string, script: string, env: Record<string, string>, nodeArgs: string[]): AppProcess {
    return new AppProcess(name, process.execPath, [...nodeArgs, join(REPO_ROOT, script)], env);
  }

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    env: Record<string, string> = {},
  ) {
    this.child = spawn(command, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // BENCH_APP_LOG_DIR: every line of every app into <dir>/<name>-<pid>.log too (what fell back, what failed).
    const logDir = process.env['BENCH_APP_LOG_DIR'];
    const logFile = logDir === undefined ? undefined : join(logDir, `${name}-${this.child.pid ?? 0}.log`);
    const keep = (chunk: Buffer) => {
      // Only the tail matters (ready lines, failures); bounded so a chatty app cannot grow it.
      this.output = (this.output + chunk.toString('utf8')).slice(-200_000);
      if (logFile !== undefined) appendFileSync(logFile, chunk);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) =>
      this.child.once('exit', () => {
        this.running = false;
        resolve();
      }),
    );
  }

  async waitFor<T>(parse: (line: string) => T | undefined): Promise<T> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      for (const line of this.output.split('\n')) {
        const found = parse(line);
        if (found !== undefined) return found;
      }
      if (!this.running) throw new LaunchError(`${this.name} exited:\n${this.outputTail()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new LaunchError(`${this.name} not ready in ${READY_TIMEOUT_MS} ms:\n${this.outputTail()}`);
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** The last lines it printed (stdout and stderr), for a launch failure's message. */
  outputTail(): string {
    return this.output.slice(-4000);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }
}

export interface LaunchOptions {
  mode: HeraldMode;
  /** Embedded: its data directory and PostgreSQL port. */
  dataDir?: string;
  postgresPort?: number;
  /** Kafka mode: the broker and an empty database (scripts/kafka.sh, scripts/postgres.sh). */
  kafkaBrokers?: string;
  databaseUrl?: string;
  sipUdpPort?: number;
  /** Extra node flags for the app processes (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Extra environment of the embedded process (e.g. HERALD_SIP_THROTTLE_ENABLED). */
  env?: Record<string, string>;
  /**
   * Kafka mode: the edge link's port on 127.0.0.1 (docs/architecture.md, Topics), given to the edge
   * and, as its address, to the services; absent: no link, every record through Kafka.
   */
  edgeLinkPort?: number;
}

/** The link's variables of each kafka-mode app: the edge listens, the services know where. */
function edgeLinkEnv(
  edgeId: string,
  port: number | undefined,
): { edge: Record<string, string>; services: Record<string, string> } {
  if (port === undefined) return { edge: { HERALD_EDGE_LINK_PORT: 'off' }, services: {} };
  const token = randomBytes(24).toString('base64url');
  return {
    edge: {
      HERALD_EDGE_LINK_PORT: String(port),
      HERALD_EDGE_LINK_HOST: '127.0.0.1',
      HERALD_EDGE_LINK_TOKEN: token,
    },
    services: { HERALD_EDGE_LINK_ADDRESSES: `${edgeId}=127.0.0.1:${port}`, HERALD_EDGE_LINK_TOKEN: token },
  };
}

/** A running Herald (embedded: one process; kafka: the four apps), its SIP listeners and database. */
export class LaunchedHerald {
  private constructor(
    readonly mode: HeraldMode,
    readonly sip: SipListeners,
    readonly databaseUrl: string,
    readonly processes: AppProcess[],
  ) {}

  get udp(): SipAddress {
    return this.sip.udp;
  }

  static async start(options: LaunchOptions): Promise<LaunchedHerald> {
    const udpPort = String(options.sipUdpPort ?? 0);
    const nodeArgs = options.nodeArgs ?? [];
    if (options.mode === 'embedded') {
      const app = AppProcess.node(
        'herald',
        'dist/apps/herald/src/main.js',
        {
          ...BENCH_ENV,
          HERALD_SIP_UDP_PORT: udpPort,
          HERALD_DATA_DIR: options.dataDir ?? '/tmp/herald-bench/embedded',
          HERALD_PG_PORT: String(options.postgresPort ?? 55433),
          HERALD_DEMO_ACCOUNTS: 'false',
          // The launcher waits for the HERALD_READY line, which is logged at info.
          HERALD_LOG_LEVEL: 'info',
          ...options.env,
        },
        nodeArgs,
      );
      const report = await app
        .waitFor((line) => {
          const ready = readyReportOf(line);
          const udp = ready?.sip.udp;
          return ready === undefined || udp === undefined
            ? undefined
            : { sip: { ...ready.sip, udp }, postgresUrl: ready.postgresUrl };
        })
        .catch(async (error: unknown) => {
          // A start that timed out leaves the process running: it must not outlive the launcher.
          await app.stop();
          throw error;
        });
      return new LaunchedHerald('embedded', report.sip, report.postgresUrl, [app]);
    }
    const brokers = options.kafkaBrokers;
    const databaseUrl = options.databaseUrl;
    if (brokers === undefined || databaseUrl === undefined) {
      throw new LaunchError('kafka mode needs kafkaBrokers and databaseUrl');
    }
    // runMigrations holds one connection for its advisory lock and migrates on another.
    const dataSource = createDataSource({ url: databaseUrl, poolSize: 2, applicationName: 'herald-bench' });
    await dataSource.initialize();
    try {
      await runMigrations(dataSource);
    } finally {
      await dataSource.destroy();
    }
    const edgeId = `bench-${randomBytes(4).toString('hex')}`;
    // info: the launcher waits for each app's ready line, which is logged at that level.
    const common = {
      ...BENCH_ENV,
      HERALD_LOG_LEVEL: 'info',
      KAFKA_BROKERS: brokers,
      KAFKA_CLIENT_ID: `herald-${edgeId}`,
    };
    const link = edgeLinkEnv(edgeId, options.edgeLinkPort);
    const services = (['auth', 'presence', 'im-router'] as const).map((name) =>
      AppProcess.node(
        name,
        `dist/apps/${name}/src/main.js`,
        { ...common, ...link.services, DATABASE_URL: databaseUrl },
        nodeArgs,
      ),
    );
    const ready: Record<(typeof services)[number]['name'], string> = {
      auth: 'Nest application successfully started',
      presence: 'presence up',
      'im-router': 'im-router up',
    };
    // A failed start stops what did start, so no app outlives the launcher.
    const started: AppProcess[] = [...services];
    try {
      await Promise.all(
        services.map((app) => app.waitFor((line) => (line.includes(ready[app.name]) ? true : undefined))),
      );
      const edge = AppProcess.node(
        'sip-edge',
        'dist/apps/sip-edge/src/main.js',
        {
          ...common,
          ...link.edge,
          HERALD_EDGE_ID: edgeId,
          HERALD_NONCE_SECRET: randomBytes(24).toString('base64url'),
          HERALD_SIP_UDP_PORT: udpPort,
        },
        nodeArgs,
      );
      started.push(edge);
      const listeners = await edge.waitFor((line) => {
        if (!line.startsWith('{') || !line.includes('SIP edge listening: ')) return undefined;
        const record = JSON.parse(line) as { msg: string };
        return JSON.parse(record.msg.slice(record.msg.indexOf('{'))) as SipListeners;
      });
      return new LaunchedHerald('kafka', listeners, databaseUrl, started);
    } catch (error) {
      await Promise.all(started.map((app) => app.stop()));
      throw error;
    }
  }

  /** Process ids by app name (RSS sampling). */
  pids(): Record<string, number> {
    return Object.fromEntries(this.processes.map((app) => [app.name, app.child.pid ?? 0]));
  }

  async stop(): Promise<void> {
    // The edge (last started) first, so nothing new arrives while the services drain.
    for (const app of [...this.processes].reverse()) await app.stop();
  }
}

/** Creates accounts u000001..u<count> with auth's own provisioning service (skips existing ones). */
export async function provisionAccounts(databaseUrl: string, count: number): Promise<void> {
  const dataSource = createDataSource({
    url: databaseUrl,
    poolSize: 4,
    applicationName: 'herald-bench-provision',
  });
  await dataSource.initialize();
  try {
    const accounts = createAccountService(dataSource, BENCH_DOMAIN);
    const existing = await dataSource.query<{ n: string }[]>('SELECT count(*) AS n FROM accounts');
    for (let index = Number(existing[0]?.n ?? 0) + 1; index <= count; index++) {
      const username = benchUser(index);
      await accounts.create({ username, password: benchPassword(username) });
    }
  } finally {
    await dataSource.destroy();
  }
}
