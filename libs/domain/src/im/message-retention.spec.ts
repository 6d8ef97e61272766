import { Transaction, type UnitOfWork } from '../shared';
import {
  MESSAGE_RETENTION_BATCH_SIZE,
  MessageRetention,
  type MessageRetentionStore,
} from './message-retention';

class FakeTransaction extends Transaction {}

describe('MessageRetention', () => {
  const now = new Date('2026-06-01T00:00:00.000Z');
  const unitOfWork: UnitOfWork = {
    run: () => Promise.reject(new Error('a retention batch is one statement')),
    runSingleStatement: (work) => work(new FakeTransaction()),
  };

  it('deletes messages delivered before now minus the retention, batch by batch, telling each batch', async () => {
    let remaining = MESSAGE_RETENTION_BATCH_SIZE + 3;
    const calls: Array<{ before: Date; limit: number }> = [];
    const store: MessageRetentionStore = {
      deleteDeliveredBefore: async (_tx, before, limit) => {
        calls.push({ before, limit });
        const deleted = Math.min(remaining, limit);
        remaining -= deleted;
        return deleted;
      },
    };
    const batches: number[] = [];
    const retention = new MessageRetention({
      unitOfWork,
      store,
      retentionMs: 7 * 24 * 60 * 60 * 1000,
      now: () => now,
      deleted: (count) => batches.push(count),
    });

    expect(await retention.sweep()).toBe(MESSAGE_RETENTION_BATCH_SIZE + 3);
    expect(batches).toEqual([MESSAGE_RETENTION_BATCH_SIZE, 3]);
    expect(calls).toEqual([
      { before: new Date('2026-05-25T00:00:00.000Z'), limit: MESSAGE_RETENTION_BATCH_SIZE },
      { before: new Date('2026-05-25T00:00:00.000Z'), limit: MESSAGE_RETENTION_BATCH_SIZE },
    ]);
  });
});
