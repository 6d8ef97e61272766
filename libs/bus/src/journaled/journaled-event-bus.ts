import {
  BusUnavailableError,
  type BusRecord,
  type ConsumedRecord,
  type EventBus,
  type PublishOptions,
  type Subscription,
  type SubscriptionHandle,
} from '../event-bus';
import { componentLogger } from '#herald/observability';
import { publishTraced } from '../bus-tracing';
import type { HandlerRetryOptions } from '../handler-retry';
import { IN_PROCESS_PARTITIONS, InProcessEventBus, partitionForKey } from '../in-process-event-bus';
import { JournalOffsetCommits } from './journal-offset-commits';
import { JournalPosition, NOT_JOURNALED, UNJOURNALED_POSITION } from './journal-position';
import { type GroupOffset, type JournalEntry, JournalStore } from './journal-store';
export type { GroupOffset } from './journal-store';
import { PartitionLog } from '../partition-log';
import { partitionKey } from '../partition-key';
import { SerialBatcher } from '../serial-batcher';
import type { SqlClient } from './sql-client';

const journalLogger = componentLogger('BusJournal');

/**
 * How long a handled offset waits at most before it is stored, with every other offset handled
 * meanwhile (one statement): a restart replays at most this much more. (Kafka's consumers commit
 * less often, KAFKA_COMMIT_INTERVAL_MS: an OffsetCommit is a broker request, this an UPDATE.)
 */
export const JOURNAL_COMMIT_INTERVAL_MS = 100;
/**
 * Least time between the starts of two journal INSERTs while publishes keep coming: under load one
 * INSERT (one commit, one fsync) holds the records of every publish of the interval. A publish after
 * an idle moment is stored at once. Only a publish's resolution waits for it (the edge's 200 OK, a
 * live record behind a journaled one), not its records' consumers here, which have them already;
 * the Kafka deployment's produce interval (HERALD_KAFKA_PRODUCE_INTERVAL_MS) makes the same trade.
 */
export const JOURNAL_WRITE_INTERVAL_MS = 5;
/** How long a publish waits for the journal INSERT before it rejects (the edge answers 503). */
export const JOURNAL_PUBLISH_TIMEOUT_MS = 1_000;
/**
 * How long a publish of an awaited topic (isAwaitedTopic) waits for its records' handling before
 * it rejects (the edge answers 503; the record may still be handled, and the client's retry under
 * the same command id is then handled once): as long as a journal INSERT may take, so a command
 * meets a PostgreSQL outage with a 503 as soon as it did when it had a row of its own.
 */
export const JOURNAL_AWAITED_TIMEOUT_MS = 1_000;
/**
 * Records of a topic no group consumes are kept this long (then deleted by the sweep); records of a
 * consumed topic are deleted by the next sweep once every group consuming it handled them.
 */
export const JOURNAL_RETENTION_AGE_MS = 60 * 60 * 1_000;
/** How often the retention sweep runs. */
export const JOURNAL_RETENTION_SWEEP_INTERVAL_MS = 10 * 1_000;
/**
 * Journal ids (so at most that many rows) one DELETE of the sweep covers: short statements, the
 * sweep walks the journal's ids range by range.
 */
export const JOURNAL_RETENTION_DELETE_BATCH_ROWS = 2_000;

export interface JournaledEventBusOptions {
  sql: SqlClient;
  partitions?: number;
  handlerRetry?: HandlerRetryOptions;
  /** Records of one group member handled at the same time (distinct keys); see InProcessEventBus. */
  handlerConcurrency?: number;
  publishTimeoutMs?: number;
  /** See JOURNAL_WRITE_INTERVAL_MS; 0: an INSERT starts as soon as the previous one returned. */
  writeIntervalMs?: number;
  /** See JOURNAL_COMMIT_INTERVAL_MS. */
  commitIntervalMs?: number;
  retentionAgeMs?: number;
  retentionSweepIntervalMs?: number;
  retentionDeleteBatchRows?: number;
  /** Told when a retention sweep fails (it runs again at the next interval). Default: stderr. */
  onSweepError?: (error: unknown) => void;
  /**
   * Topics whose records are worth nothing after a restart of this process (e.g. a request the edge
   * holds open until a deadline, or a request to the edge's own flows, which die with it): they are
   * handed over in memory without being journaled, and their groups' positions are not stored.
   * Default: none.
   */
  isLiveTopic?: (topic: string) => boolean;
  /**
   * Topics whose handler stores its effect durably itself and claims the record's id (the
   * commands a service acts on): a record some group here consumes is handed over without being
   * journaled, and its publish resolves once every group consuming it handled it (its commit), as
   * the edge link's requests do in the Kafka deployment. A crash before then loses it with its
   * publish unanswered, so its sender retries. A record no group here consumes is handed over as
   * any such record (not stored, not awaited). Default: none.
   */
  isAwaitedTopic?: (topic: string) => boolean;
  /** See JOURNAL_AWAITED_TIMEOUT_MS. */
  awaitedTimeoutMs?: number;
  /**
   * Told when storing a group's offset failed: the group goes on, and its next stored offset
   * covers this one (a restart before then replays these records once more). Default: stderr.
   */
  onCommitError?: (error: unknown, offset: GroupOffset) => void;
}

/** The journal holds a record on another partition than its key maps to now. */
export class JournalPartitionsChangedError extends Error {
  readonly code = 'BUS_JOURNAL_PARTITIONS_CHANGED';
  constructor(message: string) {
    super(message);
    this.name = 'JournalPartitionsChangedError';
  }
}

/** A consumed record the bus never handed over (a bug: every one handed over has its position). */
export class JournalRecordUnknownError extends Error {
  readonly code = 'BUS_JOURNAL_RECORD_UNKNOWN';
  constructor(message: string) {
    super(message);
    this.name = 'JournalRecordUnknownError';
  }
}

type OutgoingRecord = Omit<BusRecord, 'headers'> & PublishOptions;

/** A record handed over whose INSERT is to come: the position it tells its id through. */
type StoredRecord = BusRecord & { partition: number; position: JournalPosition };

/** A record to hand over: its journal position, and whether its publish awaits its handling. */
type HandedOverRecord = BusRecord & { partition: number; position: JournalPosition; awaited?: boolean };

/** A publish waiting for its awaited record at `offset` of a partition to be handled by every group. */
interface HandlingWaiter {
  offset: number;
  handled: () => void;
}

/**
 * The in-process bus made durable for the embedded default: every publish goes to an
 * InProcessEventBus that dispatches it (same semantics: partitions by key, groups, retries) and,
 * for records some group consumes, into the PostgreSQL journal (one INSERT for the publishes
 * waiting) before it resolves (records of live topics, and of topics no group consumes, are not
 * stored). A group's handled position is committed to `bus_group_offsets` after its handler
 * resolved and the record's INSERT returned, so a restarted process replays, per group,
 * exactly the records after that position, before any new record. Only one process may run a
 * journaled bus on a database (the embedded default is one process).
 *
 * Consumed records carry the in-process offset (from 0 per topic-partition in this process); the
 * journal id stays internal.
 */
export class JournaledEventBus implements EventBus {
  private readonly store: JournalStore;
  private readonly inner: InProcessEventBus;
  private readonly partitionCount: number;
  private readonly publishTimeoutMs: number;
  private readonly retentionAgeMs: number;
  private readonly retentionSweepIntervalMs: number;
  private readonly retentionDeleteBatchRows: number;
  private readonly onSweepError: (error: unknown) => void;
  private readonly onCommitError: (error: unknown, offset: GroupOffset) => void;
  private readonly isLiveTopic: (topic: string) => boolean;
  private readonly isAwaitedTopic: (topic: string) => boolean;
  private readonly awaitedTimeoutMs: number;
  /** Per topic-partition, the publishes waiting for awaited records, in offset order. */
  private readonly handlingWaiters = new Map<string, HandlingWaiter[]>();
  private readonly writer: SerialBatcher<ReadonlyArray<StoredRecord>>;
  private readonly committer: JournalOffsetCommits;
  /** Journal position of each record the inner bus holds, per topic-partition, by in-process offset. */
  private readonly journalPositions = new Map<string, PartitionLog<JournalPosition>>();
  /** The durable offsets of the groups subscribed here, by `group/topic/partition`. */
  private readonly committed = new Map<string, bigint>();
  private lastJournalId = 0n;
  private started: Promise<void> | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  /** The sweep in progress: the next interval skips its turn rather than overlap it. */
  private sweeping: Promise<number> | undefined;
  private closed = false;

  constructor(options: JournaledEventBusOptions) {
    this.store = new JournalStore(options.sql);
    this.partitionCount = options.partitions ?? IN_PROCESS_PARTITIONS;
    this.inner = new InProcessEventBus({
      partitions: this.partitionCount,
      handlerRetry: options.handlerRetry,
      handlerConcurrency: options.handlerConcurrency,
      onCommitted: (groupId, record) => this.commitHandled(groupId, record),
      // Dropped = every group consuming the topic handled them: their awaited publishes resolve.
      onDropped: (topic, partition, startOffset) => {
        this.journalPositions.get(partitionKey(topic, partition))?.dropBefore(startOffset);
        this.releaseHandled(partitionKey(topic, partition), startOffset);
      },
    });
    this.publishTimeoutMs = options.publishTimeoutMs ?? JOURNAL_PUBLISH_TIMEOUT_MS;
    this.retentionAgeMs = options.retentionAgeMs ?? JOURNAL_RETENTION_AGE_MS;
    this.retentionSweepIntervalMs = options.retentionSweepIntervalMs ?? JOURNAL_RETENTION_SWEEP_INTERVAL_MS;
    this.retentionDeleteBatchRows = options.retentionDeleteBatchRows ?? JOURNAL_RETENTION_DELETE_BATCH_ROWS;
    this.onSweepError =
      options.onSweepError ??
      ((error) =>
        journalLogger.error(
          { code: 'BUS_JOURNAL_SWEEP_FAILED', err: error },
          'the journal retention sweep failed; the next one retries',
        ));
    this.onCommitError =
      options.onCommitError ??
      ((error, offset) =>
        journalLogger.error(
          {
            code: 'BUS_JOURNAL_COMMIT_FAILED',
            groupId: offset.groupId,
            topic: offset.topic,
            partition: offset.partition,
            offset: offset.lastId,
            err: error,
          },
          'storing a consumed offset failed',
        ));
    this.isLiveTopic = options.isLiveTopic ?? (() => false);
    this.isAwaitedTopic = options.isAwaitedTopic ?? (() => false);
    this.awaitedTimeoutMs = options.awaitedTimeoutMs ?? JOURNAL_AWAITED_TIMEOUT_MS;
    this.writer = new SerialBatcher((batches) => this.write(batches.flat()), {
      gatherTurn: true,
      minIntervalMs: options.writeIntervalMs ?? JOURNAL_WRITE_INTERVAL_MS,
    });
    this.committer = new JournalOffsetCommits(
      (offsets) => this.commitOffsets(offsets),
      options.commitIntervalMs ?? JOURNAL_COMMIT_INTERVAL_MS,
      this.onCommitError,
    );
  }

  /**
   * Loads the retained journal into the in-process bus (so every group's unhandled records come
   * before new ones) and starts the retention sweep. Publish and subscribe call it; it retries on
   * the next call when the database did not answer.
   */
  start(): Promise<void> {
    this.started ??= this.load().catch((error: unknown) => {
      this.started = undefined;
      throw error;
    });
    return this.started;
  }

  async publish(records: ReadonlyArray<OutgoingRecord>): Promise<void> {
    if (this.closed) {
      throw new BusUnavailableError('the journaled bus is closed');
    }
    await publishTraced('in-process', records, async (traced) => {
      const live = traced.filter((record) => this.isLiveTopic(record.topic));
      const journaled =
        live.length === 0 ? traced : traced.filter((record) => !this.isLiveTopic(record.topic));
      let awaitedHandling: Promise<void> | undefined;
      const storing =
        journaled.length === 0
          ? undefined
          : withTimeout(
              this.start().then(() => {
                const { stored, handled } = this.handOverThenStore(journaled);
                awaitedHandling = handled;
                return stored;
              }),
              this.publishTimeoutMs,
              'the bus journal',
            );
      // Awaited below; a rejection while the live records go out is not unhandled meanwhile.
      storing?.catch(() => undefined);
      if (live.length > 0) {
        // Loaded first: which topics a group consumes is known only then (a journal that never
        // answers rejects through `storing`'s timeout).
        await (storing === undefined ? this.start() : Promise.race([this.start(), storing]));
        // After the journaled records a group here consumes: what follows from them is never seen
        // first. Records no group here consumes (im.message-accepted) are not stored (see write), and
        // do not hold the live ones (an IM's push) back behind an INSERT in flight.
        if (storing !== undefined && journaled.some((record) => this.inner.isConsumed(record.topic))) {
          await storing;
        }
        await this.inner.publish(live);
      }
      await storing;
      if (awaitedHandling !== undefined) {
        await withTimeout(awaitedHandling, this.awaitedTimeoutMs, 'handling the awaited records');
      }
    });
  }

  async subscribe(subscription: Subscription): Promise<SubscriptionHandle> {
    if (this.closed) {
      throw new BusUnavailableError('the journaled bus is closed');
    }
    await this.start();
    const { groupId } = subscription;
    // A group that starts at the end skips what memory holds now with no journal row of its own:
    // records published while no group consumed their topic, which were never stored (see write).
    const startsAt =
      subscription.fromBeginning === false ? this.inner.endOffsets(subscription.topics) : undefined;
    // Known in memory at once, so no record it needs is dropped while it joins in the journal.
    this.inner.reserveGroup(groupId, subscription.topics);
    const startAfterId = subscription.fromBeginning === false ? this.lastJournalId : 0n;
    const journaledTopics = subscription.topics.filter((topic) => !this.isLiveTopic(topic));
    const offsets = await unavailableOnError(
      this.store.joinGroup(groupId, journaledTopics, this.partitionCount, startAfterId),
    );
    for (const offset of offsets) {
      this.committed.set(offsetKey(groupId, offset.topic, offset.partition), offset.lastId);
    }
    // The inner group walks its log from the start; what this group committed is skipped here.
    const { handler, handleRun } = subscription;
    return this.inner.subscribe({
      ...subscription,
      fromBeginning: true,
      handler: async (record) => {
        if (!this.isCommitted(groupId, record, startsAt)) await handler(record);
      },
      handleRun:
        handleRun &&
        (async (run) => {
          // The committed records are a prefix of the run: one partition, offset order.
          const uncommitted = run.filter((record) => !this.isCommitted(groupId, record, startsAt));
          if (uncommitted.length > 0) await handleRun(uncommitted);
        }),
    });
  }

  ensureTopics(topics: ReadonlyArray<string>): Promise<void> {
    return this.inner.ensureTopics(topics);
  }

  /** Stops consumers after their handler (and its offset commit), then waits for pending writes. */
  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    await this.inner.close();
    this.closed = true;
    // A sweep's failure goes to whoever started it (the interval reports it); close only waits.
    await Promise.allSettled([this.sweeping]);
    // The INSERTs first: a handled record's offset is known to the committer once its id is.
    await this.writer.idle();
    await this.committer.idle();
  }

  /**
   * Deletes the records every group consuming their topic handled (and those of topics no group
   * consumes older than the retention age), one batch at a time so no statement runs long.
   * Returns how many were deleted. A call while a sweep runs joins that sweep.
   */
  deleteConsumedRecords(): Promise<number> {
    this.sweeping ??= this.deleteInBatches().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  /** Records of `topic` the in-process bus holds in memory now. */
  retainedRecords(topic: string): number {
    return this.inner.retainedRecords(topic);
  }

  private async deleteInBatches(): Promise<number> {
    const range = await this.store.idRange();
    if (range === undefined) return 0;
    let deleted = 0;
    // Id ranges of a batch's size, skipping gaps: each statement scans at most that many rows of
    // the primary key. Records written after the sweep began wait for the next one.
    let fromId = range.firstId;
    for (;;) {
      const batch = await this.store.deleteHandled(
        this.retentionAgeMs,
        fromId,
        fromId + BigInt(this.retentionDeleteBatchRows) - 1n,
      );
      deleted += batch.deleted;
      if (batch.nextId === undefined || batch.nextId > range.lastId || this.closed) {
        return deleted;
      }
      fromId = batch.nextId;
    }
  }

  private async load(): Promise<void> {
    // Groups the journal knows hold their records in memory from the start, before they subscribe.
    const knownGroups = await unavailableOnError(this.store.knownGroups());
    // Positions on topics that were journaled by an older release and are live now.
    const nowLive = [...new Set(knownGroups.flatMap((group) => group.topics.filter(this.isLiveTopic)))];
    if (nowLive.length > 0) await unavailableOnError(this.store.forgetTopics(nowLive));
    for (const group of knownGroups) {
      this.inner.reserveGroup(
        group.groupId,
        group.topics.filter((topic) => !this.isLiveTopic(topic)),
      );
    }
    // A live topic's old records wait for no one now: the sweep deletes them after the retention age.
    const retained = (await unavailableOnError(this.store.retained())).filter(
      (entry) => !this.isLiveTopic(entry.topic),
    );
    for (const entry of retained) {
      const partition = partitionForKey(entry.key, this.partitionCount);
      if (partition !== entry.partition) {
        throw new JournalPartitionsChangedError(
          `journal record ${entry.id} of ${entry.topic} is on partition ${entry.partition}, its key now maps ` +
            `to ${partition}: the partition count changed while the journal held records`,
        );
      }
    }
    await this.handOverLoaded(retained);
    this.sweepTimer = setInterval(() => {
      this.deleteConsumedRecords().catch(this.onSweepError);
    }, this.retentionSweepIntervalMs);
    // The sweep never keeps the process alive on its own.
    this.sweepTimer.unref();
  }

  /**
   * Hands the records to the inner bus at once, then stores the ones some group consumes: one
   * INSERT for the records of every publish call waiting (the writer). Handed over first, so a
   * consumer here starts while the INSERT is in flight instead of after its fsync (an IM's push
   * does not wait for its command's INSERT); the publish still resolves only once they are stored.
   * A consumer may so act on a record a crash then loses with its INSERT: its publisher was not
   * answered, as when a Kafka producer dies before its acknowledgement, and retries under the same
   * ids (a client's command is handled once). Only the records of topics some group consumes are
   * stored: the journal exists to replay them to their groups after a crash. A record no group
   * consumes (im.message-accepted in the embedded default) would be replayed to no one, so it
   * costs no row and no fsync; it is handed over in its place in memory, where a group
   * subscribing later in this process still finds it.
   */
  private handOverThenStore(records: ReadonlyArray<BusRecord>): {
    stored: Promise<void>;
    handled: Promise<void> | undefined;
  } {
    const entries = records.map((record): HandedOverRecord => {
      const partition = partitionForKey(record.key, this.partitionCount);
      if (!this.inner.isConsumed(record.topic))
        return { ...record, partition, position: UNJOURNALED_POSITION };
      if (this.isAwaitedTopic(record.topic)) {
        return { ...record, partition, position: UNJOURNALED_POSITION, awaited: true };
      }
      return { ...record, partition, position: new JournalPosition(undefined) };
    });
    // Handed over and submitted in one go: publishes reach the writer in the order they were
    // handed over, so each topic-partition's in-process offsets follow journal id order.
    const { handingOver, handled } = this.handOver(entries);
    const stored = entries.filter((entry) => entry.position !== UNJOURNALED_POSITION);
    return {
      stored: Promise.all([handingOver, stored.length === 0 ? undefined : this.writer.submit(stored)]).then(
        () => undefined,
      ),
      handled,
    };
  }

  /** Resolves the publishes waiting for awaited records of the partition before `startOffset`. */
  private releaseHandled(key: string, startOffset: number): void {
    const waiters = this.handlingWaiters.get(key);
    if (waiters === undefined) return;
    let released = 0;
    while (released < waiters.length && waiters[released]!.offset < startOffset) {
      waiters[released]!.handled();
      released += 1;
    }
    if (released === waiters.length) this.handlingWaiters.delete(key);
    else if (released > 0) waiters.splice(0, released);
  }

  /** One INSERT for a batch of handed-over records; tells each its id (NOT_JOURNALED if it failed). */
  private async write(entries: ReadonlyArray<StoredRecord>): Promise<void> {
    let ids: bigint[];
    try {
      ids = await unavailableOnError(this.store.append(entries));
    } catch (error) {
      // Their groups store no position for them: it stays at each group's last stored record.
      for (const entry of entries) entry.position.settle(NOT_JOURNALED);
      throw error;
    }
    entries.forEach((entry, index) => entry.position.settle(ids[index]!));
    this.lastJournalId = ids.at(-1) ?? this.lastJournalId;
  }

  /** Hands the records loaded from the journal to the inner bus, in id order. */
  private handOverLoaded(retained: ReadonlyArray<JournalEntry>): Promise<void> {
    this.lastJournalId = retained.at(-1)?.id ?? this.lastJournalId;
    return this.handOver(retained.map((entry) => ({ ...entry, position: new JournalPosition(entry.id) })))
      .handingOver;
  }

  /**
   * Hands records to the inner bus, remembering each one's journal position by in-process offset.
   * Callers hand over in journal id order (load, then publishes in the writer's order).
   */
  private handOver(entries: ReadonlyArray<HandedOverRecord>): {
    handingOver: Promise<void>;
    handled: Promise<void> | undefined;
  } {
    let handled: Array<Promise<void>> | undefined;
    for (const entry of entries) {
      const key = partitionKey(entry.topic, entry.partition);
      let positions = this.journalPositions.get(key);
      if (positions === undefined) {
        positions = new PartitionLog();
        this.journalPositions.set(key, positions);
      }
      // The positions log mirrors the inner one: the same offset, waited for before it is handed over.
      const offset = positions.append(entry.position);
      if (entry.awaited === true) {
        let waiters = this.handlingWaiters.get(key);
        if (waiters === undefined) {
          waiters = [];
          this.handlingWaiters.set(key, waiters);
        }
        const waiting = waiters;
        (handled ??= []).push(new Promise<void>((resolve) => waiting.push({ offset, handled: resolve })));
      }
    }
    // The inner bus appends them before its publish returns a promise.
    const handingOver = this.inner.publish(
      entries.map((entry) => ({
        topic: entry.topic,
        key: entry.key,
        value: entry.value,
        headers: entry.headers,
      })),
    );
    return { handingOver, handled: handled && Promise.all(handled).then(() => undefined) };
  }

  /** The group committed `record` already (before a restart): it is skipped; the inner bus commits the rest. */
  private isCommitted(
    groupId: string,
    record: ConsumedRecord,
    startsAt?: ReadonlyMap<string, number>,
  ): boolean {
    if (this.isLiveTopic(record.topic)) return false;
    const id = this.journalPositionOf(record).id;
    // A record whose INSERT is in flight was published by this process: no group committed it yet,
    // unless it came before a group that starts at the end.
    if (id === undefined || id === NOT_JOURNALED) {
      const start = startsAt?.get(partitionKey(record.topic, record.partition));
      return start !== undefined && Number(record.offset) < start;
    }
    const committed = this.committed.get(offsetKey(groupId, record.topic, record.partition)) ?? 0n;
    return id <= committed;
  }

  /**
   * Stores the group's handled prefix (`record` and all before it) within the commit interval,
   * once the record's id is known (its INSERT may be in flight still). Reads the record's position
   * at once: the inner bus may drop the record when this returns.
   */
  private commitHandled(groupId: string, record: ConsumedRecord): void {
    if (this.isLiveTopic(record.topic)) return;
    const { topic, partition } = record;
    this.journalPositionOf(record).whenKnown((lastId) => {
      // Nothing to store: the position stays at the group's last journaled record before it.
      if (lastId !== NOT_JOURNALED) this.committer.handled({ groupId, topic, partition, lastId });
    });
  }

  private journalPositionOf(record: ConsumedRecord): JournalPosition {
    const position = this.journalPositions
      .get(partitionKey(record.topic, record.partition))
      ?.at(Number(record.offset));
    if (position === undefined) {
      throw new JournalRecordUnknownError(
        `no journal position for ${record.topic}[${record.partition}]@${record.offset}`,
      );
    }
    return position;
  }

  /** Stores offsets, at most one per group and topic-partition. */
  private async commitOffsets(offsets: ReadonlyArray<GroupOffset>): Promise<void> {
    await this.store.commit(offsets);
    for (const offset of offsets) {
      this.committed.set(offsetKey(offset.groupId, offset.topic, offset.partition), offset.lastId);
    }
  }
}

function offsetKey(groupId: string, topic: string, partition: number): string {
  return `${groupId}/${topic}/${partition}`;
}

async function unavailableOnError<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof BusUnavailableError || error instanceof JournalPartitionsChangedError) throw error;
    throw new BusUnavailableError(`the bus journal failed: ${String(error)}`, { cause: error });
  }
}

/**
 * Rejects with BusUnavailableError after `timeoutMs`. The work goes on: the records were handed
 * over already, and a journal INSERT that commits late still tells their groups' positions.
 */
async function withTimeout<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new BusUnavailableError(`${what} did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
