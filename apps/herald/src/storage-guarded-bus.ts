import {
  type BusRecord,
  BusUnavailableError,
  type EventBus,
  type PublishOptions,
  type Subscription,
  type SubscriptionHandle,
} from '#herald/bus';

/** How long a publish waits for PostgreSQL to answer before the edge says 503. */
export const STORAGE_PROBE_TIMEOUT_MS = 1_000;

/**
 * The embedded default's bus: the in-process bus keeps records in memory, so on its own it would
 * acknowledge a command while PostgreSQL, where every service stores its effects, is down. This
 * decorator acknowledges a publish only while the database answers, so the edge answers 503 with
 * Retry-After instead of a 200 for something no service can store (protocol.md §2).
 */
export class StorageGuardedBus implements EventBus {
  constructor(
    private readonly inner: EventBus,
    /** Resolves when the database answers (e.g. `SELECT 1`). */
    private readonly probeStorage: () => Promise<unknown>,
    private readonly probeTimeoutMs: number = STORAGE_PROBE_TIMEOUT_MS,
  ) {}

  async publish(records: ReadonlyArray<Omit<BusRecord, 'headers'> & PublishOptions>): Promise<void> {
    await this.requireStorage();
    await this.inner.publish(records);
  }

  subscribe(subscription: Subscription): Promise<SubscriptionHandle> {
    return this.inner.subscribe(subscription);
  }

  ensureTopics(topics: ReadonlyArray<string>): Promise<void> {
    return this.inner.ensureTopics(topics);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async requireStorage(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new BusUnavailableError(`storage did not answer within ${this.probeTimeoutMs} ms`)),
        this.probeTimeoutMs,
      );
    });
    try {
      await Promise.race([this.probeStorage(), timeout]);
    } catch (error) {
      if (error instanceof BusUnavailableError) throw error;
      throw new BusUnavailableError('storage unavailable', { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}
