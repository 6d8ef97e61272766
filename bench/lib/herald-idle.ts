import { logLevel, type Admin } from 'kafkajs';
import { createKafkaClient } from '#herald/bus';
import { Pool } from 'pg';
import { sleep, type HeraldState } from './bench-state';

/** How often the backlog is read while waiting. */
const IDLE_POLL_MS = 250;
/** Readings in a row that must show nothing pending: a record may be between publish and journal. */
const IDLE_READINGS_IN_A_ROW = 3;
/**
 * A push older than Timer F (32 s) and a margin without an outcome is not in flight any more: its
 * outcome was lost (e.g. an earlier Herald process stopped while pushing into the same database).
 */
const PUSH_IN_FLIGHT_HORIZON_S = 40;

/**
 * What Herald still has to do: records its consumers have not handled, pushes without an outcome,
 * new bindings not yet through the plain-device sweep.
 */
export interface HeraldBacklog {
  /** Records published but not yet handled (committed) by a consumer group of their topic. */
  busRecords: number;
  /** Pushes of IMs sent to a device in the last PUSH_IN_FLIGHT_HORIZON_S without an outcome yet. */
  pushesInFlight: number;
  /**
   * New bindings im-router has yet to serve as plain SIP devices once their login grace is over
   * (plain_device_queue): a set-up that registers devices faster than the sweep's batch a second
   * leaves them to be served in the measured window.
   */
  plainDevicesQueued: number;
}

export interface IdleWait {
  idle: boolean;
  waitedMs: number;
  /** The last reading (all zero when idle). */
  backlog: HeraldBacklog;
}

/** Tells when a measured deployment has nothing left to do after a step. */
export interface IdleWaiter {
  /** Waits until nothing is pending, at most `maxMs`; never throws for a busy deployment. */
  waitUntilIdle(maxMs: number): Promise<IdleWait>;
  close(): Promise<void>;
}

/**
 * Reads Herald's backlog from where its consumers keep their progress: the embedded bus's journal
 * and per-group offsets (`bus_journal`, `bus_group_offsets`) or, on Kafka, each group's committed
 * offsets against the log ends (a handler's offset is committed only after it finished, see
 * docs/architecture.md); pushes in flight from `message_deliveries`; new bindings waiting for the
 * plain-device sweep from `plain_device_queue`. These are the values the
 * herald_kafka_consumer_lag gauge reports too, read at the source so the embedded bus counts as well
 * and no app's HTTP port has to be known.
 */
export class HeraldBacklogReader implements IdleWaiter {
  private constructor(
    private readonly pool: Pool,
    private readonly admin: Admin | undefined,
  ) {}

  static async open(state: HeraldState): Promise<HeraldBacklogReader> {
    const pool = new Pool({
      connectionString: state.databaseUrl,
      max: 1,
      application_name: 'herald-bench-idle',
    });
    // Herald stopping its PostgreSQL ends the idle connection: said, not an unhandled 'error' crash.
    pool.on('error', (error) =>
      console.error(`herald-idle: idle database connection ended: ${error.message}`),
    );
    if (state.mode !== 'kafka') return new HeraldBacklogReader(pool, undefined);
    const brokers = process.env['KAFKA_BROKERS'];
    if (brokers === undefined) {
      await pool.end();
      throw new IdleWaitError('kafka mode needs KAFKA_BROKERS to read consumer lag');
    }
    const admin = createKafkaClient({
      clientId: 'herald-bench-idle',
      brokers: brokers.split(','),
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    return new HeraldBacklogReader(pool, admin);
  }

  async read(): Promise<HeraldBacklog> {
    const [busRecords, pushesInFlight, plainDevicesQueued] = await Promise.all([
      this.admin === undefined ? this.journalBacklog() : kafkaLag(this.admin),
      this.count(
        `SELECT count(*) AS n FROM message_deliveries
          WHERE outcome IS NULL AND attempted_at > now() - make_interval(secs => ${PUSH_IN_FLIGHT_HORIZON_S})`,
      ),
      this.count(`SELECT count(*) AS n FROM plain_device_queue`),
    ]);
    return { busRecords, pushesInFlight, plainDevicesQueued };
  }

  /**
   * Waits until IDLE_READINGS_IN_A_ROW readings show nothing pending, at most `maxMs`. Never throws for
   * a busy Herald: the caller reports a wait that ran out.
   */
  async waitUntilIdle(maxMs: number): Promise<IdleWait> {
    const started = Date.now();
    let quietReadings = 0;
    for (;;) {
      const backlog = await this.read();
      quietReadings =
        backlog.busRecords === 0 && backlog.pushesInFlight === 0 && backlog.plainDevicesQueued === 0
          ? quietReadings + 1
          : 0;
      const waitedMs = Date.now() - started;
      if (quietReadings >= IDLE_READINGS_IN_A_ROW) return { idle: true, waitedMs, backlog };
      if (waitedMs >= maxMs) return { idle: false, waitedMs, backlog };
      await sleep(IDLE_POLL_MS);
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.end(), this.admin?.disconnect()]);
  }

  /** Journal records after each consuming group's last handled id, per topic-partition. */
  private journalBacklog(): Promise<number> {
    return this.count(`
      SELECT count(*) AS n
        FROM bus_journal AS record
        JOIN (SELECT DISTINCT group_id, topic FROM bus_group_offsets) AS consumer USING (topic)
        LEFT JOIN bus_group_offsets AS done
          ON done.group_id = consumer.group_id AND done.topic = record.topic AND done.partition = record.partition
       WHERE record.id > COALESCE(done.last_id, 0)`);
  }

  private async count(sql: string): Promise<number> {
    const rows = (await this.pool.query<{ n: string }>(sql)).rows;
    return Number(rows[0]?.n ?? 0);
  }
}

export class IdleWaitError extends Error {
  readonly code = 'BENCH_IDLE_WAIT_FAILED';
}

/** Sum over every consumer group of (log end - committed offset) on each partition it consumes. */
async function kafkaLag(admin: Admin): Promise<number> {
  const { groups } = await admin.listGroups();
  const logEnds = new Map<string, Map<number, bigint>>();
  const logEnd = async (topic: string): Promise<Map<number, bigint>> => {
    let ends = logEnds.get(topic);
    if (ends === undefined) {
      const offsets = await admin.fetchTopicOffsets(topic);
      ends = new Map(offsets.map((entry) => [entry.partition, BigInt(entry.high)]));
      logEnds.set(topic, ends);
    }
    return ends;
  };
  let lag = 0n;
  for (const { groupId } of groups) {
    for (const { topic, partitions } of await admin.fetchOffsets({ groupId })) {
      const ends = await logEnd(topic);
      for (const { partition, offset } of partitions) {
        const end = ends.get(partition) ?? 0n;
        // -1: nothing committed yet on that partition, so everything in it is pending.
        const committed = BigInt(offset) < 0n ? 0n : BigInt(offset);
        if (end > committed) lag += end - committed;
      }
    }
  }
  return Number(lag);
}

/** One line for run details: "idle after 1.2 s" or what was still pending when the wait ran out. */
export function describeIdleWait(wait: IdleWait): string {
  const seconds = (wait.waitedMs / 1000).toFixed(1);
  return wait.idle
    ? `idle after ${seconds} s`
    : `NOT idle after ${seconds} s (${wait.backlog.busRecords} bus records, ${wait.backlog.pushesInFlight} pushes in flight, ` +
        `${wait.backlog.plainDevicesQueued} new bindings queued for the plain-device sweep)`;
}
