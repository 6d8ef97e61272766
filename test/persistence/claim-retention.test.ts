import { ClaimRetention, type CommandKey, REGISTER_CLAIM_RETENTION_MS } from '#herald/domain';
import { entityManagerOf, SqlIdempotencyStore, TypeOrmUnitOfWork } from '#herald/persistence';
import type { DataSource } from 'typeorm';
import { createMigratedDataSource } from '../support/database';

const ALICE = 'sip:alice@herald.example';
const HOUR_MS = 60 * 60 * 1000;

describe('idempotency claim retention (real PostgreSQL)', () => {
  let dataSource: DataSource;
  let unitOfWork: TypeOrmUnitOfWork;
  const store = new SqlIdempotencyStore();

  beforeAll(async () => {
    dataSource = await createMigratedDataSource();
    unitOfWork = new TypeOrmUnitOfWork(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  /** Claims `key` with `result`, made `ageMs` ago. */
  async function claimAged(key: CommandKey, result: object, ageMs: number): Promise<void> {
    await unitOfWork.run(async (tx) => {
      await store.claim(tx, key, result);
      await entityManagerOf(tx).query(
        `UPDATE processed_commands SET created_at = now() - make_interval(secs => $4)
         WHERE service = $1 AND aor = $2 AND command_id = $3`,
        [key.service, key.aor, key.commandId, ageMs / 1000],
      );
    });
  }

  async function commandIds(): Promise<string[]> {
    const rows: Array<{ command_id: string }> = await dataSource.query(
      `SELECT command_id FROM processed_commands ORDER BY command_id`,
    );
    return rows.map((row) => row.command_id);
  }

  it('deletes one service claims past the retention, in batches, keeping recent ones, other services and unpublished events', async () => {
    const register = (commandId: string): CommandKey => ({ service: 'auth.register', aor: ALICE, commandId });
    const published = { reply: { status: 200 }, events: [] };
    for (let index = 0; index < 5; index += 1) {
      await claimAged(register(`old-${index}`), published, 2 * HOUR_MS);
    }
    await claimAged(register('recent'), published, HOUR_MS / 2);
    await claimAged(
      register('old-unpublished'),
      { reply: { status: 200 }, events: [{ topic: 't', key: 'k', value: '{}' }] },
      2 * HOUR_MS,
    );
    await claimAged({ service: 'auth', aor: ALICE, commandId: 'old-command' }, published, 2 * HOUR_MS);

    const retention = new ClaimRetention({
      unitOfWork,
      store,
      service: 'auth.register',
      retentionMs: REGISTER_CLAIM_RETENTION_MS,
      batchSize: 2,
    });
    expect(await retention.sweep()).toBe(5);
    expect(await commandIds()).toEqual(['old-command', 'old-unpublished', 'recent']);
    expect(await retention.sweep()).toBe(0);
  });
});
