import type { BusRecord } from '../event-bus';
import type { SqlClient } from './sql-client';

/** A record as the journal holds it: `id` orders all records, and is what groups commit. */
export interface JournalEntry extends BusRecord {
  id: bigint;
  partition: number;
}

/** A group's last handled journal id on one topic-partition. */
export interface GroupOffset {
  groupId: string;
  topic: string;
  partition: number;
  lastId: bigint;
}

/**
 * The SQL of the journaled bus, on the tables of the BusJournal migration (libs/persistence):
 * `bus_journal` (every published record) and `bus_group_offsets` (per group and topic-partition,
 * the last journal id its handler finished).
 */
export class JournalStore {
  constructor(private readonly sql: SqlClient) {}

  /** One multi-row INSERT; returns the ids in the order of `records`. */
  async append(records: ReadonlyArray<BusRecord & { partition: number }>): Promise<bigint[]> {
    // unnest keeps the parameter count fixed (5) whatever the number of rows, and yields the rows
    // in array order, so the sequence hands out ids in that order too.
    const result = await this.sql.query(
      `INSERT INTO bus_journal (topic, partition, key, value, headers)
       SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::bytea[], $5::jsonb[])
       RETURNING id`,
      [
        records.map((record) => record.topic),
        records.map((record) => record.partition),
        records.map((record) => record.key),
        records.map((record) => record.value),
        records.map((record) => JSON.stringify(record.headers)),
      ],
    );
    return result.rows.map((row) => BigInt(String(row['id'])));
  }

  /** Every retained record, in journal order. */
  async retained(): Promise<JournalEntry[]> {
    const result = await this.sql.query(
      'SELECT id, topic, partition, key, value, headers FROM bus_journal ORDER BY id',
      [],
    );
    return result.rows.map((row) => ({
      id: BigInt(String(row['id'])),
      topic: String(row['topic']),
      partition: Number(row['partition']),
      key: String(row['key']),
      value: row['value'] as Buffer,
      headers: row['headers'] as Record<string, string>,
    }));
  }

  /**
   * Makes `groupId` known on every partition of `topics` (so retention waits for it) starting
   * after `startAfterId` where it has no offset yet, and returns all its offsets.
   */
  async joinGroup(
    groupId: string,
    topics: ReadonlyArray<string>,
    partitionCount: number,
    startAfterId: bigint,
  ): Promise<GroupOffset[]> {
    await this.sql.query(
      `INSERT INTO bus_group_offsets (group_id, topic, partition, last_id)
       SELECT $1, topic, partition, $4::bigint
       FROM unnest($2::text[]) AS topic, generate_series(0, $3::int - 1) AS partition
       ON CONFLICT (group_id, topic, partition) DO NOTHING`,
      [groupId, topics, partitionCount, startAfterId.toString()],
    );
    const result = await this.sql.query(
      'SELECT topic, partition, last_id FROM bus_group_offsets WHERE group_id = $1',
      [groupId],
    );
    return result.rows.map((row) => ({
      groupId,
      topic: String(row['topic']),
      partition: Number(row['partition']),
      lastId: BigInt(String(row['last_id'])),
    }));
  }

  /** Upserts offsets, one row per (group, topic, partition) in `offsets`; never moves one back. */
  async commit(offsets: ReadonlyArray<GroupOffset>): Promise<void> {
    await this.sql.query(
      `INSERT INTO bus_group_offsets (group_id, topic, partition, last_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[])
       ON CONFLICT (group_id, topic, partition) DO UPDATE
         SET last_id = GREATEST(bus_group_offsets.last_id, EXCLUDED.last_id), updated_at = now()`,
      [
        offsets.map((offset) => offset.groupId),
        offsets.map((offset) => offset.topic),
        offsets.map((offset) => offset.partition),
        offsets.map((offset) => offset.lastId.toString()),
      ],
    );
  }

  /**
   * Forgets every group's position on `topics` (now live: never journaled), so their old records
   * count as unconsumed and the retention sweep deletes them after the retention age.
   */
  async forgetTopics(topics: ReadonlyArray<string>): Promise<void> {
    await this.sql.query('DELETE FROM bus_group_offsets WHERE topic = ANY($1::text[])', [topics]);
  }

  /** Every group the journal knows, with the topics it consumes. */
  async knownGroups(): Promise<Array<{ groupId: string; topics: string[] }>> {
    const result = await this.sql.query(
      'SELECT group_id, array_agg(DISTINCT topic) AS topics FROM bus_group_offsets GROUP BY group_id',
      [],
    );
    return result.rows.map((row) => ({
      groupId: String(row['group_id']),
      topics: (row['topics'] as unknown[]).map(String),
    }));
  }

  /** The lowest and highest id the journal holds, or undefined when it is empty. */
  async idRange(): Promise<{ firstId: bigint; lastId: bigint } | undefined> {
    const result = await this.sql.query(
      'SELECT min(id) AS first_id, max(id) AS last_id FROM bus_journal',
      [],
    );
    const row = result.rows[0];
    if (row?.['first_id'] == null) return undefined;
    return { firstId: BigInt(String(row['first_id'])), lastId: BigInt(String(row['last_id'])) };
  }

  /**
   * Deletes the records with ids from `fromId` through `throughId` that every group consuming
   * their topic has handled, or, on a topic no group consumes, that are older than
   * `unconsumedOlderThanMs` (Kafka's time retention). Returns how many were deleted and the
   * lowest id after `throughId` the journal holds (undefined: none), where the next range starts.
   */
  async deleteHandled(
    unconsumedOlderThanMs: number,
    fromId: bigint,
    throughId: bigint,
  ): Promise<{ deleted: number; nextId: bigint | undefined }> {
    // Every group has a row for each partition of its topics (joinGroup), so the lowest last_id
    // of a topic-partition is what all its groups handled. Computed once and hash-joined to an
    // id range of the primary key: as a correlated EXISTS under ORDER BY id LIMIT it was
    // aggregated again for every journal row (~70 µs a row deleted).
    const result = await this.sql.query(
      `WITH handled AS MATERIALIZED (
         SELECT topic, partition, min(last_id) AS through_id
         FROM bus_group_offsets GROUP BY topic, partition),
       deleted AS (
         DELETE FROM bus_journal WHERE id IN (
           SELECT record.id FROM bus_journal AS record
           LEFT JOIN handled ON handled.topic = record.topic AND handled.partition = record.partition
           WHERE record.id BETWEEN $2::bigint AND $3::bigint
             AND (handled.through_id >= record.id
               OR (record.published_at < now() - make_interval(secs => $1::double precision / 1000)
                 AND NOT EXISTS (SELECT 1 FROM bus_group_offsets AS consumer WHERE consumer.topic = record.topic))))
         RETURNING id)
       SELECT (SELECT count(*)::int FROM deleted) AS deleted,
         (SELECT min(id) FROM bus_journal WHERE id > $3::bigint) AS next_id`,
      [unconsumedOlderThanMs, fromId.toString(), throughId.toString()],
    );
    const row = result.rows[0];
    const nextId = row?.['next_id'];
    return {
      deleted: Number(row?.['deleted'] ?? 0),
      nextId: nextId == null ? undefined : BigInt(String(nextId)),
    };
  }
}
