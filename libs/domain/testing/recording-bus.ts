import type { EventPublisher, PublishedRecord } from '../src/shared';

/**
 * The EventPublisher fake of the domain unit tests (not exported from the library): records every
 * publish call and can fail the next one.
 */
export class RecordingBus implements EventPublisher {
  /** Each publish call's records, in call order. */
  readonly publishCalls: Array<ReadonlyArray<PublishedRecord>> = [];
  /** Set to make the next publish reject with this error (a broker that is down). */
  failNext: Error | undefined;

  async publish(records: ReadonlyArray<PublishedRecord>): Promise<void> {
    const failure = this.failNext;
    if (failure !== undefined) {
      this.failNext = undefined;
      throw failure;
    }
    this.publishCalls.push(records);
  }

  /** Every published record, in publish order. */
  get records(): PublishedRecord[] {
    return this.publishCalls.flat();
  }

  /** Decoded events on `topic`. */
  events(topic: string): Array<Record<string, unknown>> {
    return this.records.filter((r) => r.topic === topic).map((r) => JSON.parse(r.value.toString('utf8')));
  }

  /** Forgets what was published so far. */
  clear(): void {
    this.publishCalls.length = 0;
  }
}
