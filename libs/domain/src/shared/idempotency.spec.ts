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
  runSingleStatement<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.run(work);
  }
}

class MapIdempotencyStore implements IdempotencyStore {
  readonly rows = new Map<string, StoredResult | null>();
  storeCalls = 0;
  async claim(_tx: Transaction, key: CommandKey, expectedResult?: StoredResult): Promise<IdempotencyClaim> {
    const id = JSON.stringify(key);
    if (this.rows.has(id)) return { kind: 'duplicate', result: this.rows.get(id) };
    this.rows.set(id, expectedResult ?? null);
    return { kind: 'first' };
  }
  async storeResult(_tx: Transaction, key: CommandKey, result: StoredResult): Promise<void> {
    this.storeCalls += 1;
    this.rows.set(JSON.stringify(key), result);
  }
  storeResultUnflushed(tx: Transaction, key: CommandKey, result: StoredResult): Promise<void> {
    return this.storeResult(tx, key, result);
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

  it('stores the expected result with the claim and writes again only when the effect differs', async () => {
    const unitOfWork = new FakeUnitOfWork();
    const store = new MapIdempotencyStore();
    const ok = { type: 'presence.set.result', re: 'c-1', ok: true };
    const failed = { type: 'presence.set.result', re: 'c-2', ok: false };

    await processOnce(unitOfWork, store, key, async () => ({ ...ok }), ok);
    expect(store.storeCalls).toBe(0);
    await processOnce(unitOfWork, store, { ...key, commandId: 'c-2' }, async () => failed, ok);
    expect(store.storeCalls).toBe(1);

    expect(await processOnce(unitOfWork, store, key, async () => failed, ok)).toEqual({
      duplicate: true,
      storedResult: ok,
    });
    expect(await processOnce(unitOfWork, store, { ...key, commandId: 'c-2' }, async () => ok, ok)).toEqual({
      duplicate: true,
      storedResult: failed,
    });
  });
});
