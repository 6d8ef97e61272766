import { BatchSweep, type SweepBatchTransaction } from './batch-sweep';
import { Transaction, type UnitOfWork } from './unit-of-work';

class FakeTransaction extends Transaction {}

describe('BatchSweep', () => {
  const transactions: string[] = [];
  const unitOfWork: UnitOfWork = {
    run: (work) => {
      transactions.push('transaction');
      return work(new FakeTransaction());
    },
    runSingleStatement: (work) => {
      transactions.push('single statement');
      return work(new FakeTransaction());
    },
  };

  beforeEach(() => {
    transactions.length = 0;
  });

  it.each<SweepBatchTransaction>(['transaction', 'single-statement'])(
    'runs %s batches of batchSize until one comes back short, each at the time it starts',
    async (mode) => {
      let due = 5;
      let clock = 0;
      const batches: Array<{ now: number; limit: number }> = [];
      const sweep = new BatchSweep(
        { unitOfWork, batchSize: 2, now: () => new Date((clock += 1000)) },
        mode,
        async (_tx, now, limit) => {
          batches.push({ now: now.getTime(), limit });
          const handled = Math.min(due, limit);
          due -= handled;
          return handled;
        },
      );

      expect(await sweep.sweep()).toBe(5);
      expect(batches).toEqual([
        { now: 1000, limit: 2 },
        { now: 2000, limit: 2 },
        { now: 3000, limit: 2 },
      ]);
      expect(transactions).toEqual(
        Array(3).fill(mode === 'transaction' ? 'transaction' : 'single statement'),
      );
    },
  );

  it('rejects with a failed batch and handles no further batch', async () => {
    let calls = 0;
    const sweep = new BatchSweep({ unitOfWork, batchSize: 2 }, 'transaction', async () => {
      calls += 1;
      if (calls === 2) throw new Error('deadlock detected');
      return 2;
    });

    await expect(sweep.sweep()).rejects.toThrow('deadlock detected');
    expect(calls).toBe(2);
  });
});
