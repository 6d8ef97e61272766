import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase } from './database';
import { randomUUID } from 'node:crypto';
import { type ClusterApp, edgeLinkPlanFor, HeraldCluster } from './herald-cluster';
import { createAccountIn, newNonceSecret } from './herald-target';

/** Which half of the scaled deployment: each has one edge and one replica of every service. */
export type ClusterSide = 0 | 1;
export const CLUSTER_SIDES: readonly ClusterSide[] = [0, 1];

export interface HeraldScaledClusterOptions {
  /** Extra environment for every process of both sides (e.g. short expiry settings). */
  env?: Record<string, string>;
  /** Extra environment of one process of one side, over `env`. */
  appEnv?: (side: ClusterSide) => Partial<Record<ClusterApp, Record<string, string>>>;
  /** Default: KAFKA_BROKERS of the test environment. */
  kafkaBrokers?: string[];
  /** Default: a fresh database on the test PostgreSQL (DATABASE_URL). */
  databaseUrl?: string;
  /** `on` (default): every service replica may reach both edges over the edge link. */
  edgeLink?: 'on' | 'kafka-only';
}

/**
 * Two sip-edge processes and two replicas of auth, presence and im-router on one Kafka and one
 * fresh PostgreSQL database. Each side is a HeraldCluster on the same database: its edge has its
 * own id (own outbound topic), its services join the fixed production consumer groups, so the
 * two replicas of a service share the partitions. The edges share one nonce secret, as a
 * deployment's edges do.
 */
export class HeraldScaledCluster {
  private constructor(
    private readonly sides: readonly [HeraldCluster, HeraldCluster],
    readonly databaseUrl: string,
  ) {}

  static async start(options: HeraldScaledClusterOptions = {}): Promise<HeraldScaledCluster> {
    const databaseUrl = options.databaseUrl ?? (await createTestDatabase());
    const env = { HERALD_NONCE_SECRET: newNonceSecret(), ...options.env };
    const edgeIds = CLUSTER_SIDES.map(() => `e2e-${randomUUID().slice(0, 8)}`);
    // One token, and each side's services told where BOTH edges' links listen (a replica may push to either).
    const token = newNonceSecret();
    const plans = await Promise.all(edgeIds.map((edgeId) => edgeLinkPlanFor(edgeId, token)));
    const addresses = plans.map((plan) => plan.addresses).join(',');
    const started = await Promise.allSettled(
      CLUSTER_SIDES.map((side) =>
        HeraldCluster.start({
          databaseUrl,
          env,
          appEnv: options.appEnv?.(side) ?? {},
          edgeId: edgeIds[side]!,
          edgeLink: options.edgeLink === 'kafka-only' ? 'kafka-only' : { ...plans[side]!, addresses },
          ...(options.kafkaBrokers === undefined ? {} : { kafkaBrokers: options.kafkaBrokers }),
        }),
      ),
    );
    const up = started.flatMap((side) => (side.status === 'fulfilled' ? [side.value] : []));
    const failed = started.find((side) => side.status === 'rejected');
    if (failed !== undefined || up.length !== 2) {
      await Promise.all(up.map((side) => side.stop()));
      throw failed?.reason;
    }
    return new HeraldScaledCluster([up[0]!, up[1]!], databaseUrl);
  }

  side(side: ClusterSide): HeraldCluster {
    return this.sides[side];
  }

  get domain(): string {
    return this.sides[0].domain;
  }

  createAccount(username: string, password: string): Promise<void> {
    return createAccountIn(this.databaseUrl, this.domain, username, password);
  }

  /** SIGKILL of one process of one side (a crashed pod). */
  kill(side: ClusterSide, app: ClusterApp): Promise<void> {
    return this.sides[side].kill(app);
  }

  async stop(): Promise<void> {
    await Promise.all(this.sides.map((side) => side.stop()));
  }

  /**
   * Writes every process's whole output to `directory` (one file per side and app, with the output
   * of each process that app had after a restart, in turn); returns the paths.
   */
  writeLogs(directory: string): string[] {
    mkdirSync(directory, { recursive: true });
    return CLUSTER_SIDES.flatMap((side) =>
      [...this.sides[side].processes.keys()].map((app) => {
        const path = join(directory, `side${side}-${app}.log`);
        writeFileSync(path, this.sides[side].logOf(app));
        return path;
      }),
    );
  }
}
