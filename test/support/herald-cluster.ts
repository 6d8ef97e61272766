import { randomUUID } from 'node:crypto';
import type { TransportAddress } from '#herald/sip';
import { migratedTestDatabase } from './database';
import { requireKafkaBrokers } from './env';
import { APP_MAINS, ensureBuilt, type HeraldApp } from './herald-build';
import { freeTcpPort } from './free-port';
import { HeraldProcess, HeraldProcessError } from './herald-process';
import {
  createAccountIn,
  type HeraldTarget,
  newNonceSecret,
  TEST_MIN_EXPIRES,
  TEST_T1_MS,
} from './herald-target';
import type { ClientProtocol } from './sip-client';

/** A cold Node + Nest + kafkajs start with a consumer group join, on a busy 2-core machine. */
const APP_READY_TIMEOUT_MS = 90_000;
const DOMAIN = 'herald.test';
const EDGE_LISTENING = 'SIP edge listening: ';

export type ClusterApp = Exclude<HeraldApp, 'herald'>;

/** How each app says it serves (its consumers have joined before these lines). */
const READY: Record<ClusterApp, (line: string) => true | undefined> = {
  'sip-edge': (line) => (line.includes(EDGE_LISTENING) ? true : undefined),
  auth: (line) => (line.includes('Nest application successfully started') ? true : undefined),
  presence: (line) => (line.includes('presence up') ? true : undefined),
  'im-router': (line) => (line.includes('im-router up') ? true : undefined),
};

export interface HeraldClusterOptions {
  /** Default: KAFKA_BROKERS of the test environment. */
  kafkaBrokers?: string[];
  /** Default: a fresh database on the test PostgreSQL (DATABASE_URL). */
  databaseUrl?: string;
  /** Extra environment for every app (e.g. HERALD_SIP_REGISTER_TIMEOUT_MS). */
  env?: Record<string, string>;
  /** HERALD_DOMAIN (default herald.test); sipsak needs one that resolves, e.g. localhost. */
  domain?: string;
  /** Extra environment of one app, over `env` (e.g. the edge's fixed ports, one replica's DATABASE_URL). */
  appEnv?: Partial<Record<ClusterApp, Record<string, string>>>;
  /** The edge's id (default: a fresh `e2e-…` one), e.g. planned ahead with the link's addresses. */
  edgeId?: string;
  /**
   * The edge link (architecture.md, Topics), on by default as a carrier runs it: the edge listens
   * on a free loopback port that its services are given. `kafka-only`: no link on either side.
   */
  edgeLink?: EdgeLinkPlan | 'kafka-only';
}

/** How a cluster's processes use the edge link. */
export interface EdgeLinkPlan {
  /** The edge's HERALD_EDGE_LINK_PORT (`off`: the edge has no link server). */
  edgePort: number | 'off';
  /** The services' HERALD_EDGE_LINK_ADDRESSES: every edge they may send to, `edgeId=host:port,…`. */
  addresses: string;
  /** HERALD_EDGE_LINK_TOKEN of both sides. */
  token: string;
}

/** A link for one edge: a free loopback port, its services told where it is. */
export async function edgeLinkPlanFor(edgeId: string, token = newNonceSecret()): Promise<EdgeLinkPlan> {
  const edgePort = await freeTcpPort();
  return { edgePort, addresses: `${edgeId}=127.0.0.1:${edgePort}`, token };
}

/** The variables of one app for a link plan (none for `kafka-only`). */
function edgeLinkEnv(app: ClusterApp, plan: EdgeLinkPlan | 'kafka-only'): Record<string, string> {
  if (plan === 'kafka-only') return app === 'sip-edge' ? { HERALD_EDGE_LINK_PORT: 'off' } : {};
  if (app === 'sip-edge') {
    return {
      HERALD_EDGE_LINK_PORT: String(plan.edgePort),
      HERALD_EDGE_LINK_HOST: '127.0.0.1',
      HERALD_EDGE_LINK_TOKEN: plan.token,
    };
  }
  return { HERALD_EDGE_LINK_ADDRESSES: plan.addresses, HERALD_EDGE_LINK_TOKEN: plan.token };
}

/** The edge's bound listeners, from its `SIP edge listening: {...}` log line (JSON, message in msg or message). */
function parseEdgeAddresses(line: string): Partial<Record<ClientProtocol, TransportAddress>> | undefined {
  if (!line.startsWith('{') || !line.includes(EDGE_LISTENING)) return undefined;
  const record = JSON.parse(line) as { msg?: string; message?: string };
  const text = record.msg ?? record.message ?? '';
  return JSON.parse(text.slice(text.indexOf(EDGE_LISTENING) + EDGE_LISTENING.length)) as Partial<
    Record<ClientProtocol, TransportAddress>
  >;
}

/**
 * sip-edge, auth, presence and im-router as separate Node processes from dist/, on Kafka and a
 * fresh PostgreSQL database (migrated here). The edge id is unique per cluster, so its outbound
 * topic and consumer group are its own; the services' groups are the fixed production names, so
 * clusters on one broker must run one at a time (jest --runInBand).
 */
export class HeraldCluster implements HeraldTarget {
  readonly name = 'separate apps on Kafka';
  readonly nonceSecret = newNonceSecret();
  /** HERALD_ADMIN_TOKEN of auth's admin API. */
  readonly adminToken = newNonceSecret();
  readonly t1Ms = TEST_T1_MS;
  readonly minExpires = TEST_MIN_EXPIRES;
  readonly processes = new Map<ClusterApp, HeraldProcess>();
  /** The processes each app had before its current one (killed, then started again), oldest first. */
  private readonly earlier = new Map<ClusterApp, HeraldProcess[]>();
  private edgeAddresses: Partial<Record<ClientProtocol, TransportAddress>> = {};
  private adminOrigin: string | undefined;

  private constructor(
    readonly kafkaBrokers: string[],
    readonly databaseUrl: string,
    private readonly extraEnv: Record<string, string>,
    readonly domain: string,
    private readonly appEnv: Partial<Record<ClusterApp, Record<string, string>>>,
    readonly edgeId: string,
    /** How the edge and the services use the edge link. */
    readonly edgeLink: EdgeLinkPlan | 'kafka-only',
  ) {}

  static async start(options: HeraldClusterOptions = {}): Promise<HeraldCluster> {
    ensureBuilt();
    const databaseUrl = await migratedTestDatabase(options.databaseUrl);
    const edgeId = options.edgeId ?? `e2e-${randomUUID().slice(0, 8)}`;
    const cluster = new HeraldCluster(
      options.kafkaBrokers ?? requireKafkaBrokers(),
      databaseUrl,
      options.env ?? {},
      options.domain ?? DOMAIN,
      options.appEnv ?? {},
      edgeId,
      options.edgeLink ?? (await edgeLinkPlanFor(edgeId)),
    );
    try {
      // Services first, so the edge's first event finds its consumers.
      await Promise.all((['auth', 'presence', 'im-router'] as const).map((app) => cluster.startApp(app)));
      await cluster.startApp('sip-edge');
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  edgeOperationsUrl(): string {
    return this.operationsUrl('sip-edge');
  }

  address(protocol: ClientProtocol): TransportAddress {
    const address = this.edgeAddresses[protocol];
    if (address === undefined) throw new HeraldProcessError(`the edge does not listen on ${protocol}`);
    return address;
  }

  /** Auth's admin API (HERALD_ADMIN_URL), once auth started. */
  get adminUrl(): string {
    if (this.adminOrigin === undefined) throw new HeraldProcessError('auth has not started');
    return this.adminOrigin;
  }

  createAccount(username: string, password: string): Promise<void> {
    return createAccountIn(this.databaseUrl, this.domain, username, password);
  }

  /** (Re)starts one app and waits until it serves. */
  async startApp(app: ClusterApp): Promise<HeraldProcess> {
    const started = new HeraldProcess(app, APP_MAINS[app], this.environment(app));
    const previous = this.processes.get(app);
    if (previous !== undefined) this.earlier.set(app, [...(this.earlier.get(app) ?? []), previous]);
    this.processes.set(app, started);
    await started.waitForLine(READY[app], APP_READY_TIMEOUT_MS, 'its ready line');
    if (app === 'auth') {
      this.adminOrigin = await started.waitForLine(
        (line) => /admin API on (http:\/\/[\d.:]+)\/admin/.exec(line)?.[1],
        APP_READY_TIMEOUT_MS,
        'its admin API',
      );
    }
    if (app === 'sip-edge') {
      this.edgeAddresses = await started.waitForLine(
        parseEdgeAddresses,
        APP_READY_TIMEOUT_MS,
        'its listeners',
      );
    }
    return started;
  }

  /** `http://127.0.0.1:<port>` of an app's health and metrics endpoints, from its `... up; health and metrics on` line. */
  operationsUrl(app: ClusterApp): string {
    const port = /health and metrics on http:\/\/[^:]+:(\d+)/.exec(this.processes.get(app)?.log ?? '')?.[1];
    if (port === undefined) throw new HeraldProcessError(`${app} did not say where it serves /metrics`);
    return `http://127.0.0.1:${port}`;
  }

  /** The whole output of `app`: of each process that ran it, in turn (a restart does not lose a log). */
  logOf(app: ClusterApp): string {
    const current = this.processes.get(app);
    return [...(this.earlier.get(app) ?? []), ...(current === undefined ? [] : [current])]
      .map((process) => process.log)
      .join('');
  }

  /** SIGKILL of one app (a crashed pod); `startApp` brings it back. */
  async kill(app: ClusterApp): Promise<void> {
    await this.processes.get(app)?.kill();
  }

  async stop(): Promise<void> {
    // The edge first, so nothing new arrives while the services drain.
    await this.processes.get('sip-edge')?.stop();
    await Promise.all([...this.processes.values()].map((process) => process.stop()));
  }

  /** Output of every app, for a failing test's report. */
  logs(): string {
    return [...this.processes.values()].map((process) => `--- ${process.name}\n${process.tail()}`).join('\n');
  }

  private environment(app: ClusterApp): Record<string, string> {
    const common = {
      KAFKA_BROKERS: this.kafkaBrokers.join(','),
      KAFKA_CLIENT_ID: `herald-${this.edgeId}`,
      HERALD_DOMAIN: this.domain,
      // Ephemeral ports for the admin and health endpoints, on loopback (HERALD_MODE unset).
      HERALD_HTTP_PORT: '0',
      HERALD_ADMIN_PORT: '0',
      HERALD_ADMIN_TOKEN: this.adminToken,
      HERALD_LOG_LEVEL: 'info',
      HERALD_MIN_EXPIRES: String(this.minExpires),
    };
    const own = this.appEnv[app] ?? {};
    const link = edgeLinkEnv(app, this.edgeLink);
    if (app !== 'sip-edge') {
      return { ...common, DATABASE_URL: this.databaseUrl, ...link, ...this.extraEnv, ...own };
    }
    return {
      ...common,
      ...link,
      HERALD_EDGE_ID: this.edgeId,
      HERALD_NONCE_SECRET: this.nonceSecret,
      HERALD_SIP_BIND: '127.0.0.1',
      HERALD_SIP_UDP_PORT: '0',
      HERALD_SIP_TCP_PORT: '0',
      HERALD_SIP_WS_PORT: '0',
      HERALD_SIP_T1_MS: String(this.t1Ms),
      ...this.extraEnv,
      ...own,
    };
  }
}
