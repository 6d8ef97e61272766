import { ClaimRetention, type ClaimRetentionStore } from './claim-retention';
import { Transaction, type UnitOfWork } from './unit-of-work';

class FakeTransaction extends Transaction {}

const unitOfWork: UnitOfWork = {
  run: (work) => work(new FakeTransaction()),
  runSingleStatement: (work) => work(new FakeTransaction()),
};

/** Holds claim ages; deletes the oldest first, as the real store does. */
class AgedClaims implements ClaimRetentionStore {
  readonly calls: Array<{ service: string; before: Date; limit: number }> = [];
  constructor(public createdAt: Date[]) {}

  async deleteClaimsBefore(_tx: Transaction, service: string, before: Date, limit: number): Promise<number> {
    this.calls.push({ service, before, limit });
    const old = this.createdAt.filter((at) => at < before).slice(0, limit);
    this.createdAt = this.createdAt.filter((at) => !old.includes(at));
    return old.length;
  }
}

describe('ClaimRetention', () => {
  const now = new Date('2026-01-02T03:00:00.000Z');
  const ago = (ms: number) => new Date(now.getTime() - ms);

  it('deletes the claims older than the retention in batches until a batch comes back short', async () => {
    const claims = new AgedClaims([ago(5000), ago(4000), ago(3000), ago(2000), ago(500)]);
    const retention = new ClaimRetention({
      unitOfWork,
      store: claims,
      service: 'auth.register',
      retentionMs: 1000,
      batchSize: 2,
      now: () => now,
    });
    expect(await retention.sweep()).toBe(4);
    expect(claims.createdAt).toEqual([ago(500)]);
    expect(claims.calls).toEqual(
      [1, 2, 3].map(() => ({ service: 'auth.register', before: ago(1000), limit: 2 })),
    );
  });
});
