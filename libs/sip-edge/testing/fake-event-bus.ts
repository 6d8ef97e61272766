// A fake of the EventBus port for the edge's unit specs only (outside src/, so never built into dist);
// integration tests use the real adapters.
import {
  BusRecord,
  BusUnavailableError,
  EventBus,
  PublishOptions,
  Subscription,
  SubscriptionHandle,
} from '#herald/bus';

export class FakeEventBus implements EventBus {
  readonly published: BusRecord[] = [];
  subscription: Subscription | undefined;
  /** Every publish rejects with BusUnavailableError while true. */
  down = false;
  /** Publishes wait for `releaseAcks` while true (to observe what happens before the ack). */
  holdAcks = false;
  private held: (() => void)[] = [];

  async publish(records: ReadonlyArray<Omit<BusRecord, 'headers'> & PublishOptions>): Promise<void> {
    if (this.down) throw new BusUnavailableError('broker down');
    if (this.holdAcks) await new Promise<void>((resolve) => this.held.push(resolve));
    for (const record of records) this.published.push({ ...record, headers: record.headers ?? {} });
  }

  releaseAcks(): void {
    for (const release of this.held.splice(0)) release();
  }

  async subscribe(subscription: Subscription): Promise<SubscriptionHandle> {
    this.subscription = subscription;
    return { stop: async () => undefined };
  }

  async ensureTopics(): Promise<void> {}

  async close(): Promise<void> {}
}
