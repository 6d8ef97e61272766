import { RetentionSweep } from './retention-sweep';
import { Transaction, type UnitOfWork } from './unit-of-work';

class FakeTransaction extends Transaction {}

describe('RetentionSweep', () => {
  const now = new Date('2026-01-02T03:00:00.000Z');
  const ago = (ms: number) => new Date(now.getTime() - ms);
  // Each batch is one DELETE: a BEGIN/COMMIT around it would be two round trips for nothing.
  const unitOfWork: UnitOfWork = {
    run: () => Promise.reject(new Error('a retention batch is one statement')),
    runSingleStatement: (work) => work(new FakeTransaction()),
  };

  /** Rows by creation time; deletes the oldest first, as the real stores do. */
  const rowsMadeAt = (createdAt: Date[]) => {
    const rows = { createdAt, calls: [] as Array<{ before: Date; limit: number }> };
    const deleteBefore = async (_tx: Transaction, before: Date, limit: number) => {
      rows.calls.push({ before, limit });
      const old = rows.createdAt.filter((at) => at < before).slice(0, limit);
      rows.createdAt = rows.createdAt.filter((at) => !old.includes(at));
      return old.length;
    };
    return { rows, deleteBefore };
  };

  it('deletes the rows older than the retention, one statement per batch, until a batch comes back short', async () => {
    const { rows, deleteBefore } = rowsMadeAt([ago(5000), ago(4000), ago(3000), ago(999), ago(10)]);
    const sweep = new RetentionSweep(
      { unitOfWork, retentionMs: 1000, batchSize: 2, now: () => now },
      deleteBefore,
    );

    expect(await sweep.sweep()).toBe(3);
    expect(rows.createdAt).toEqual([ago(999), ago(10)]);
    expect(rows.calls).toEqual([
      { before: ago(1000), limit: 2 },
      { before: ago(1000), limit: 2 },
    ]);
  });

  it('measures the retention from the time of each sweep', async () => {
    let clock = now;
    const { rows, deleteBefore } = rowsMadeAt([ago(1500)]);
    const sweep = new RetentionSweep(
      { unitOfWork, retentionMs: 2000, batchSize: 10, now: () => clock },
      deleteBefore,
    );

    expect(await sweep.sweep()).toBe(0);
    clock = new Date(now.getTime() + 1000);
    expect(await sweep.sweep()).toBe(1);
    expect(rows.createdAt).toEqual([]);
  });
});
