/** A record the domain publishes: an event or a push, serialized by its contract. */
export interface PublishedRecord {
  topic: string;
  /** Partition key: the AOR the record is about, so one user's records stay ordered. */
  key: string;
  value: Buffer;
  headers?: Record<string, string>;
}

/**
 * What the domain needs of the message bus: publishing. Resolves only once the records are
 * durably acknowledged (the bus adapter's guarantee), so a service answers after it.
 */
export interface EventPublisher {
  publish(records: ReadonlyArray<PublishedRecord>): Promise<void>;
}
