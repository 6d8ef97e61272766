import {
  type CommandKey,
  type IdempotencyClaim,
  type IdempotencyStore,
  processOnce,
  type StoredResult,
} from './idempotency';
import { Transaction, type UnitOfWork } from './unit-of-work';

class FakeTransaction extends Transaction {
  readonly writes: string[] = [];
}

/** Applies a transaction's writes to `committed` only when the work resolves. */
class FakeUnitOfWork implements UnitOfWork {
  readonly committed: string[] = [];
  async run<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    const tx = new FakeTransaction();
    const result = await work(tx);
    this.committed.push(...tx.writes);
    return result;
  }
}

class MapIdempotencyStore implements IdempotencyStore {
  readonly rows = new Map<string, StoredResult | null>();
  async claim(_tx: Transaction, key: CommandKey): Promise<IdempotencyClaim> {
    const id = JSON.stringify(key);
    if (this.rows.has(id)) return { kind: 'duplicate', result: this.rows.get(id) };
    this.rows.set(id, null);
    return { kind: 'first' };
  }
  async storeResult(_tx: Transaction, key: CommandKey, result: StoredResult): Promise<void> {
    this.rows.set(JSON.stringify(key), result);
  }
}

describe('processOnce', () => {
  const key = { service: 'presence', aor: 'sip:alice@herald.example', commandId: 'c-1' };

  it('runs the effect the first time and returns the stored result to a duplicate', async () => {
    const unitOfWork = new FakeUnitOfWork();
    const store = new MapIdempotencyStore();
    const effect = async (tx: Transaction) => {
      (tx as FakeTransaction).writes.push('roster row');
      return { type: 'roster.add.result', re: 'c-1', ok: true };
    };

    const first = await processOnce(unitOfWork, store, key, effect);
    const second = await processOnce(unitOfWork, store, key, effect);

    expect(first).toEqual({ duplicate: false, result: { type: 'roster.add.result', re: 'c-1', ok: true } });
    expect(second).toEqual({
      duplicate: true,
      storedResult: { type: 'roster.add.result', re: 'c-1', ok: true },
    });
    expect(unitOfWork.committed).toEqual(['roster row']);
  });

  it('treats the same command id from another AOR or service as a different command', async () => {
    const unitOfWork = new FakeUnitOfWork();
    const store = new MapIdempotencyStore();
    const effect = async () => 'done';
    await processOnce(unitOfWork, store, key, effect);

    expect(
      (await processOnce(unitOfWork, store, { ...key, aor: 'sip:bob@herald.example' }, effect)).duplicate,
    ).toBe(false);
    expect((await processOnce(unitOfWork, store, { ...key, service: 'auth' }, effect)).duplicate).toBe(false);
  });
});
