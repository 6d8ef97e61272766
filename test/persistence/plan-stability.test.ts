// A prepared statement's generic plan is kept per connection until its tables' statistics change.
// On a new deployment the statistics are those of empty tables (an ANALYZE before the traffic, or
// autoanalyze's first pass over a few rows): a plan made then scans the whole table, and autoanalyze
// may be a minute (tens of thousands of IMs) away. What must hold on a real PostgreSQL: once the
// tables grew, a push outcome's settle reaches its delivery and message through the primary keys.
import { randomUUID } from 'node:crypto';
import type { CommandClaim, StoredMessage } from '#herald/domain';
import {
  createDataSource,
  SqlIdempotencyStore,
  SqlMessageStore,
  TypeOrmUnitOfWork,
} from '#herald/persistence';
import type { DataSource } from 'typeorm';
import { migratedTestDatabase } from '../support/database';

/** Messages stored, each pushed and answered, as the im-router does: the tables grow to this. */
const MESSAGES = 2_500;
/** Every third group carries three messages, so both outcome statements (one, several) are planned. */
const GROUP_OF_SEVERAL_EVERY = 3;
const SEVERAL = 3;
const GROWING_TABLES = ['messages', 'message_deliveries', 'processed_commands'];

interface PlanRow {
  'QUERY PLAN': string;
}

describe('plans of the hot statements as the tables grow (real PostgreSQL)', () => {
  let dataSource: DataSource;
  const messages = new SqlMessageStore();
  const claims = new SqlIdempotencyStore();

  beforeAll(async () => {
    // One connection: the statements' plans and the EXPLAINs below share its session.
    dataSource = createDataSource({ url: await migratedTestDatabase(), poolSize: 1 });
    await dataSource.initialize();
    // No autoanalyze during the test: it would re-plan the statements, as it does up to a minute
    // later in a deployment.
    for (const table of GROWING_TABLES) {
      await dataSource.query(`ALTER TABLE ${table} SET (autovacuum_enabled = false)`);
    }
    await dataSource.query(`VACUUM (ANALYZE) ${GROWING_TABLES.join(', ')}`);
  }, 120_000);

  afterAll(async () => {
    await dataSource?.destroy();
  });

  /** Stores a group of `size` messages, pushes each to a device, and settles its answer. */
  async function sendAndAnswer(unitOfWork: TypeOrmUnitOfWork, size: number): Promise<void> {
    const group: CommandClaim[] = Array.from({ length: size }, () => ({
      key: { service: 'im-router', aor: 'sip:alice@herald.example', commandId: randomUUID() },
    }));
    const stored = await unitOfWork.run(async (tx) => {
      const inserted = await messages.claimAndInsertAll(
        tx,
        group,
        group.map(({ key }, claim) => ({
          claim,
          message: {
            senderAor: key.aor,
            commandId: key.commandId,
            messageId: randomUUID(),
            recipientAor: 'sip:bob@herald.example',
            text: 'hello',
            sentAt: new Date(),
          },
        })),
      );
      const storedMessages = inserted.messages.map((entry) => entry!.message);
      await messages.recordAttempts(
        tx,
        storedMessages.map((message) => ({
          pushId: pushIdOf(message),
          messageKey: message.key,
          recipientAor: message.recipientAor,
          deviceId: 'phone',
          attemptedAt: new Date(),
        })),
      );
      await claims.storeResults(
        tx,
        group.map(({ key }) => ({ key, result: { stored: true } })),
      );
      return storedMessages;
    });
    const settled = await unitOfWork.run((tx) =>
      messages.recordOutcomes(
        tx,
        stored.map((message) => ({ pushId: pushIdOf(message), outcome: 'answered', at: new Date() })),
      ),
    );
    expect(settled.map((push) => push?.firstAnswer)).toEqual(stored.map(() => true));
  }

  /** The plan the connection now uses for each prepared outcome statement, with `pushIds`' values. */
  async function outcomePlans(pushIds: string[]): Promise<string[]> {
    // The latest preparation of each (one outcome, several): the one this connection now runs.
    const prepared: Array<{ name: string; statement: string }> = await dataSource.query(
      `SELECT DISTINCT ON (statement LIKE '%$1::text AS push_id%') name, statement
       FROM pg_prepared_statements
       WHERE statement LIKE '%UPDATE message_deliveries d SET outcome%'
       ORDER BY statement LIKE '%$1::text AS push_id%', prepare_time DESC`,
    );
    const plans: string[] = [];
    for (const { name, statement } of prepared) {
      const oneOutcome = statement.includes('$1::text AS push_id');
      // EXPLAIN EXECUTE takes no bind parameters: the push ids (uuid:phone, made here) are literals.
      const rows: PlanRow[] = await dataSource.query(
        oneOutcome
          ? `EXPLAIN EXECUTE "${name}"('${pushIds[0]}', 'answered', now())`
          : `EXPLAIN EXECUTE "${name}"(ARRAY['${pushIds[0]}', '${pushIds[1]}'], ARRAY['answered', 'answered'], ARRAY[now(), now()])`,
      );
      plans.push(rows.map((row) => row['QUERY PLAN']).join('\n'));
    }
    return plans;
  }

  it('settles push outcomes through the primary keys once the tables grew from empty statistics', async () => {
    const unitOfWork = new TypeOrmUnitOfWork(dataSource);
    for (let sent = 0, group = 0; sent < MESSAGES; group += 1) {
      const size = group % GROUP_OF_SEVERAL_EVERY === 0 ? SEVERAL : 1;
      await sendAndAnswer(unitOfWork, size);
      sent += size;
    }
    const [{ reltuples }]: Array<{ reltuples: number }> = await dataSource.query(
      `SELECT reltuples FROM pg_class WHERE relname = 'messages'`,
    );
    expect(reltuples).toBe(0);
    const pushIds: Array<{ push_id: string }> = await dataSource.query(
      `SELECT push_id FROM message_deliveries ORDER BY attempted_at DESC LIMIT 2`,
    );
    const plans = await outcomePlans(pushIds.map((row) => row.push_id));
    expect(plans).toHaveLength(2);
    for (const plan of plans) {
      expect(plan).toMatch(
        /Index Scan using pk_message_deliveries|Bitmap Index Scan on pk_message_deliveries/,
      );
      expect(plan).not.toMatch(/Seq Scan on (messages|message_deliveries)/);
    }
  }, 120_000);
});

function pushIdOf(message: StoredMessage): string {
  return `${message.key}:phone`;
}
