import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { type AuthServices, createAccountService, createAuthServices } from '#herald/auth-service';
import { type BusRecord, InProcessEventBus } from '#herald/bus';
import {
  edgeOutboundV1,
  isOutcomeWanted,
  type PushOutcomeV1,
  type PushRequestedV1,
  type RegisterRequestedV1,
} from '#herald/contracts';
import type { ImRouter } from '#herald/domain';
import { createImRouter } from '#herald/im-router-service';
import { createDataSource, runMigrations } from '#herald/persistence';
import { DataSource, type Logger } from 'typeorm';
import {
  answeredOutcome,
  commandReceived,
  type FixtureDevice,
  registerRequested,
} from '../libs/contracts/testing/edge-events';
import { postmasterPid, ProcessTreeCpu } from './lib/process-cpu';
import { REPO_ROOT } from './lib/herald-launch';
import { machineInfo } from './lib/results';

/**
 * The services' own cost per operation, without Kafka, the edge or sockets: im-router's and auth's
 * domain code and persistence adapters driven directly (as their consumers call them), on a durable
 * PostgreSQL. Per operation: the Node CPU of the service calls, the PostgreSQL CPU (its process
 * tree), the statements sent (BEGIN and COMMIT included) and the transactions PostgreSQL committed
 * (pg_stat_database.xact_commit). Statements and commits are load-independent; CPU is not.
 *   node dist/bench/service-cost.js --op im|register --ops 4000 --group 8
 * `--group` operations run concurrently each round (one group commit of G items under load).
 * IM: each of G senders sends one im.send; then the outcomes the edge reports (answered) are
 * settled: those of the pushes that want one (the IM delivery; a result or im.status push asks
 * for none), then those of the pushes the settle sent. `--pipelined`: the outcomes of a round are
 * settled at once with the next round's sends, as they reach im-router under steady load.
 */

const DOMAIN = 'bench.local';
const PASSWORD = 'service-cost-secret';
const run = promisify(execFile);
/** Beyond PostgreSQL's PGSTAT_IDLE_INTERVAL (10 s), after which idle backends report their counts. */
const STATS_REPORT_WAIT_MS = 11_000;

/** Counts the statements TypeORM sends (every hot statement goes through it). */
class StatementCounter implements Logger {
  statements = 0;
  logQuery(): void {
    this.statements += 1;
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

/** The in-process bus, keeping the pushes published for the edges and counting its publishes. */
class PushRecordingBus extends InProcessEventBus {
  pushes: PushRequestedV1[] = [];
  /** Publish calls so far: each is one produce (one broker round trip) on Kafka. */
  publishes = 0;

  override async publish(records: ReadonlyArray<Omit<BusRecord, 'headers'>>): Promise<void> {
    this.publishes += 1;
    await super.publish(records);
    for (const record of records) {
      if (record.topic.startsWith('edge.')) {
        const event = edgeOutboundV1.decode(record.value);
        if (event.type === 'push.requested') this.pushes.push(event);
      }
    }
  }

  take(): PushRequestedV1[] {
    const taken = this.pushes;
    this.pushes = [];
    return taken;
  }
}

/**
 * PostgreSQL's own time per statement kind (pg_stat_statements), when PG_SERVER_OPTIONS loaded it
 * (`-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_planning=on`).
 */
class StatementStats {
  private tablesBefore = new Map<string, number[]>();

  private constructor(private readonly dataSource: DataSource) {}

  static async ifLoaded(dataSource: DataSource): Promise<StatementStats | undefined> {
    const [{ loaded }]: Array<{ loaded: boolean }> = await dataSource.query(
      `SELECT 'pg_stat_statements' = ANY(string_to_array(current_setting('shared_preload_libraries'), ',')) AS loaded`,
    );
    if (!loaded) return undefined;
    await dataSource.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    return new StatementStats(dataSource);
  }

  async reset(): Promise<void> {
    await this.dataSource.query('SELECT pg_stat_statements_reset()');
    this.tablesBefore = await this.tableReads();
  }

  /** Per table: sequential scans, the rows they read, and the rows fetched through an index. */
  private async tableReads(): Promise<Map<string, number[]>> {
    const rows: Array<{ relname: string; seq_scan: string; seq_tup_read: string; idx_tup_fetch: string }> =
      await this.dataSource.query(
        `SELECT relname, seq_scan, seq_tup_read, coalesce(idx_tup_fetch, 0) AS idx_tup_fetch
         FROM pg_stat_user_tables`,
      );
    return new Map(
      rows.map((row) => [row.relname, [row.seq_scan, row.seq_tup_read, row.idx_tup_fetch].map(Number)]),
    );
  }

  /** One line per statement kind: calls, execution and planning ms per operation, and the text. */
  async report(ops: number): Promise<string> {
    const rows: Array<{ calls: string; exec: number; plan: number; plans: string; query: string }> =
      await this.dataSource.query(
        `SELECT calls, total_exec_time AS exec, total_plan_time AS plan, plans, query
         FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%'
         ORDER BY total_exec_time + total_plan_time DESC`,
      );
    const perOp = (value: number) => (value / ops).toFixed(4);
    // Backends report their table counts once idle for a while: the caller waited for that.
    const tables = [...(await this.tableReads())]
      .map(([table, counts]) => {
        const before = this.tablesBefore.get(table) ?? [0, 0, 0];
        return [table, ...counts.map((count, index) => count - before[index]!)] as const;
      })
      .filter(([, ...counts]) => counts.some((count) => count > 0));
    return [
      'table | seq scans/op | rows read by seq scans/op | rows fetched by index/op',
      ...tables.map(([table, ...counts]) => `${table} | ${counts.map(perOp).join(' | ')}`),
      'calls/op | exec ms/op | plan ms/op | plans | statement',
      ...rows.map(
        (row) =>
          `${perOp(Number(row.calls))} | ${perOp(row.exec)} | ${perOp(row.plan)} | ${row.plans} | ` +
          row.query.replace(/\s+/g, ' ').slice(0, 110),
      ),
    ].join('\n');
  }
}

interface Totals {
  nodeMs: number;
  statements: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      op: { type: 'string', default: 'im' },
      ops: { type: 'string', default: '4000' },
      group: { type: 'string', default: '8' },
      pipelined: { type: 'boolean', default: false },
    },
  });
  const op = values.op;
  const pipelined = values.pipelined === true;
  if (op !== 'im' && op !== 'register') throw new Error(`--op im|register, got ${op}`);
  const group = Number(values.group);
  const ops = Math.ceil(Number(values.ops) / group) * group;
  const work = mkdtempSync('/tmp/herald-service-cost-');
  chmodSync(work, 0o711);
  const pgDir = join(work, 'postgres');
  const url = (
    await run('bash', [join(REPO_ROOT, 'scripts/postgres.sh'), 'start', pgDir, '--durable'])
  ).stdout.trim();
  const counter = new StatementCounter();
  const dataSource = new DataSource({ ...createDataSource({ url }).options, logger: counter });
  const bus = new PushRecordingBus();
  try {
    await dataSource.initialize();
    await runMigrations(dataSource);
    const statementStats = await StatementStats.ifLoaded(dataSource);
    const auth = createAuthServices(bus, dataSource, {
      domain: DOMAIN,
      maxExpiresSeconds: 7200,
      sweepIntervalMs: 3_600_000,
      sweepBatchSize: 10,
      adminToken: 'unused',
    });
    const router = createImRouter({
      bus,
      dataSource,
      config: { domain: DOMAIN, plainDeviceLoginGraceMs: 5_000 },
    });
    const users = Array.from({ length: 2 * group }, (_, index) => `u${index}`);
    const accounts = createAccountService(dataSource, DOMAIN);
    for (const username of users) await accounts.create({ username, password: PASSWORD });
    for (const username of users) {
      await auth.registrar.register(registerRequest(username));
      await auth.commands.handle(
        command(username, { id: `login-${username}`, type: 'login', status: 'online' }),
      );
    }
    bus.take();
    const postgres = new ProcessTreeCpu([{ name: 'postgres', rootPid: postmasterPid(join(pgDir, 'data')) }]);
    const rounds = ops / group;
    const warmup = Math.max(5, Math.floor(rounds / 10));
    const totals: Totals = { nodeMs: 0, statements: 0 };
    let cpuBefore = postgres.sample();
    let commitsBefore = 0;
    let publishesBefore = 0;
    let pendingOutcomes: PushOutcomeV1[] = [];
    for (let round = -warmup; round < rounds; round += 1) {
      if (round === 0) {
        totals.nodeMs = 0;
        totals.statements = 0;
        commitsBefore = await committedTransactions(dataSource);
        publishesBefore = bus.publishes;
        await statementStats?.reset();
        cpuBefore = postgres.sample();
      }
      if (op === 'im' && pipelined) {
        pendingOutcomes = await imRoundPipelined(
          router,
          bus,
          group,
          round + warmup,
          pendingOutcomes,
          totals,
          counter,
        );
      } else if (op === 'im') await imRound(router, bus, group, round + warmup, totals, counter);
      else await registerRound(auth, users.slice(0, group), totals, counter);
    }
    // The last round's outcomes, settled alone.
    await measured(
      totals,
      counter,
      pendingOutcomes.map((outcome) => () => router.settle(outcome)),
    );
    const postgresMs = postgres.sample()['postgres']! - cpuBefore['postgres']!;
    // The read before is one more transaction.
    const commits = (await committedTransactions(dataSource)) - commitsBefore - 1;
    const perOp = (value: number) => (value / ops).toFixed(3);
    console.log(
      JSON.stringify({
        op,
        ops,
        group,
        pipelined,
        nodeMsPerOp: perOp(totals.nodeMs),
        postgresMsPerOp: perOp(postgresMs),
        statementsPerOp: perOp(totals.statements),
        commitsPerOp: perOp(commits),
        publishesPerOp: perOp(bus.publishes - publishesBefore),
        machine: machineInfo(),
      }),
    );
    if (statementStats !== undefined) console.log(await statementStats.report(ops));
  } finally {
    await bus.close();
    if (dataSource.isInitialized) await dataSource.destroy();
    await run('bash', [join(REPO_ROOT, 'scripts/postgres.sh'), 'stop', pgDir]);
    rmSync(work, { recursive: true, force: true });
  }
}

/** Runs `calls` concurrently, adding their Node CPU and statements to the totals. */
async function measured(
  totals: Totals,
  counter: StatementCounter,
  calls: Array<() => Promise<void>>,
): Promise<void> {
  const statements = counter.statements;
  const cpu = process.cpuUsage();
  await Promise.all(calls.map((call) => call()));
  const used = process.cpuUsage(cpu);
  totals.nodeMs += (used.user + used.system) / 1000;
  totals.statements += counter.statements - statements;
}

async function imRound(
  router: ImRouter,
  bus: PushRecordingBus,
  group: number,
  round: number,
  totals: Totals,
  counter: StatementCounter,
): Promise<void> {
  const sends = imSends(group, round);
  await measured(
    totals,
    counter,
    sends.map((send) => () => router.handleCommand(send)),
  );
  const firstOutcomes = bus.take().filter(isOutcomeWanted).map(answeredOutcome);
  await measured(
    totals,
    counter,
    firstOutcomes.map((outcome) => () => router.settle(outcome)),
  );
  const statusOutcomes = bus.take().filter(isOutcomeWanted).map(answeredOutcome);
  await measured(
    totals,
    counter,
    statusOutcomes.map((outcome) => () => router.settle(outcome)),
  );
  bus.take();
}

/** One im.send of each of the round's G senders, user uN to u(G+N). */
function imSends(group: number, round: number) {
  return Array.from({ length: group }, (_, index) =>
    command(`u${index}`, {
      id: `im-${round}-${index}`,
      type: 'im.send',
      to: aorOf(`u${group + index}`),
      text: `hi ${round}`,
    }),
  );
}

/** The round's sends and the previous round's outcomes at once; returns this round's outcomes. */
async function imRoundPipelined(
  router: ImRouter,
  bus: PushRecordingBus,
  group: number,
  round: number,
  previousOutcomes: readonly PushOutcomeV1[],
  totals: Totals,
  counter: StatementCounter,
): Promise<PushOutcomeV1[]> {
  const sends = imSends(group, round);
  await measured(totals, counter, [
    ...sends.map((send) => () => router.handleCommand(send)),
    ...previousOutcomes.map((outcome) => () => router.settle(outcome)),
  ]);
  // Outcomes of IM deliveries only: a result or im.status push asks for none.
  return bus.take().filter(isOutcomeWanted).map(answeredOutcome);
}

async function registerRound(
  auth: AuthServices,
  users: readonly string[],
  totals: Totals,
  counter: StatementCounter,
): Promise<void> {
  const requests = users.map(registerRequest);
  await measured(
    totals,
    counter,
    requests.map((request) => () => auth.registrar.register(request)),
  );
}

function aorOf(user: string): string {
  return `sip:${user}@${DOMAIN}`;
}

function deviceOf(user: string): string {
  return `<urn:uuid:00000000-0000-4000-8000-${createHash('sha256').update(user).digest('hex').slice(0, 12)}>`;
}

function portOf(user: string): number {
  return 5000 + Number(user.slice(1));
}

/** User `uN`'s one device, registered from its own UDP port 5000 + N. */
function deviceAt(user: string): FixtureDevice {
  const port = portOf(user);
  return {
    aor: aorOf(user),
    deviceId: deviceOf(user),
    contact: `sip:${user}@127.0.0.1:${port}`,
    flowId: `udp:5060:127.0.0.1:${port}`,
  };
}

function command(user: string, envelope: { id: string; type: string } & Record<string, unknown>) {
  return commandReceived(deviceAt(user), envelope);
}

/** A REGISTER refreshing user `uN`'s one binding. */
function registerRequest(user: string): RegisterRequestedV1 {
  const device = deviceAt(user);
  const contacts = [{ uri: device.contact, expires: 3600, instanceId: deviceOf(user) }];
  // From the device's own address: a new UDP binding from another device's address supersedes
  // that device's (Registrar.supersededBindings), which left one sender logged in, not all.
  return {
    ...registerRequested({ domain: DOMAIN, username: user, password: PASSWORD, contacts, expires: 3600 }),
    flowId: device.flowId,
    source: { address: '127.0.0.1', port: portOf(user) },
  };
}

/**
 * Transactions committed in the database so far. Backends report their counts when idle, at most
 * every PGSTAT_IDLE_INTERVAL (10 s): the read waits that long first, so every count is in.
 */
async function committedTransactions(dataSource: DataSource): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, STATS_REPORT_WAIT_MS));
  const [row]: Array<{ commits: string }> = await dataSource.query(
    `SELECT xact_commit AS commits FROM pg_stat_database WHERE datname = current_database()`,
  );
  return Number(row!.commits);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
