import type { RosterBuddyView, RosterEntry, RosterPair, RosterRepository, Transaction } from '#herald/domain';
import type { RowOf } from '../table';
import { entityManagerOf } from '../unit-of-work';
import type { PRESENCE_AGGREGATES, ROSTER_ENTRIES } from './presence.tables';

type RosterRow = RowOf<typeof ROSTER_ENTRIES, 'owner_aor' | 'buddy_aor' | 'name' | 'group' | 'state'>;

/** An entry with its buddy's aggregate. */
type RosterViewRow = RosterRow & RowOf<typeof PRESENCE_AGGREGATES, 'status' | 'note' | 'changed_at'>;

function entryOf(row: RosterRow): RosterEntry {
  return {
    ownerAor: row.owner_aor,
    buddyAor: row.buddy_aor,
    ...(row.name === null ? {} : { name: row.name }),
    ...(row.group === null ? {} : { group: row.group }),
    state: row.state,
  };
}

/** RosterRepository on `roster_entries`, inside the caller's transaction. */
export class SqlRosterRepository implements RosterRepository {
  async lockPair(tx: Transaction, a: string, b: string): Promise<RosterPair> {
    const manager = entityManagerOf(tx);
    // Rows may not exist yet (a first add), so lock the pair itself, the same key from either side.
    const pairKey = [a, b].sort().join(' ');
    await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [pairKey]);
    const rows: RosterRow[] = await manager.query(
      `SELECT owner_aor, buddy_aor, name, "group", state FROM roster_entries
       WHERE (owner_aor = $1 AND buddy_aor = $2) OR (owner_aor = $2 AND buddy_aor = $1)`,
      [a, b],
    );
    const forward = rows.find((r) => r.owner_aor === a);
    const reverse = rows.find((r) => r.owner_aor === b);
    return {
      ...(forward === undefined ? {} : { forward: entryOf(forward) }),
      ...(reverse === undefined ? {} : { reverse: entryOf(reverse) }),
    };
  }

  async save(tx: Transaction, entries: readonly RosterEntry[]): Promise<void> {
    await entityManagerOf(tx).query(
      `INSERT INTO roster_entries (owner_aor, buddy_aor, name, "group", state)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
       ON CONFLICT (owner_aor, buddy_aor)
       DO UPDATE SET name = EXCLUDED.name, "group" = EXCLUDED."group", state = EXCLUDED.state`,
      [
        entries.map((e) => e.ownerAor),
        entries.map((e) => e.buddyAor),
        entries.map((e) => e.name ?? null),
        entries.map((e) => e.group ?? null),
        entries.map((e) => e.state),
      ],
    );
  }

  async remove(tx: Transaction, pairs: ReadonlyArray<{ ownerAor: string; buddyAor: string }>): Promise<void> {
    await entityManagerOf(tx).query(
      `DELETE FROM roster_entries
       WHERE (owner_aor, buddy_aor) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
      [pairs.map((p) => p.ownerAor), pairs.map((p) => p.buddyAor)],
    );
  }

  async rosterOf(tx: Transaction, ownerAor: string): Promise<RosterBuddyView[]> {
    // Presence flows only between accepted buddies: pending entries show offline. A buddy without
    // an aggregate row never counted: offline since the epoch, not since now(), so that the push of
    // a first change committed after this read (stamped when it happened) is newer than this one.
    const rows: RosterViewRow[] = await entityManagerOf(tx).query(
      `SELECT r.owner_aor, r.buddy_aor, r.name, r."group", r.state,
              COALESCE(a.status, 'offline') AS status, a.note, COALESCE(a.changed_at, 'epoch') AS changed_at
       FROM roster_entries r
       LEFT JOIN presence_aggregates a ON r.state = 'both' AND a.aor = r.buddy_aor
       WHERE r.owner_aor = $1
       ORDER BY r.created_at, r.buddy_aor`,
      [ownerAor],
    );
    return rows.map((row) => ({
      ...entryOf(row),
      presence: {
        status: row.status,
        ...(row.note === null ? {} : { note: row.note }),
        at: row.changed_at,
      },
    }));
  }

  async lockWithBuddies(tx: Transaction, aor: string): Promise<void> {
    // One order for every such lock (AOR), so two buddies logging in at once do not deadlock. A
    // missing row is created as offline since the epoch (what rosterOf reads without one), so a
    // buddy's first change, whose row is not committed yet, is waited for like any other: the
    // insert waits on its key. DO UPDATE ... WHERE false locks an existing row without writing it.
    await entityManagerOf(tx).query(
      `INSERT INTO presence_aggregates (aor, status, changed_at)
       SELECT aor, 'offline', 'epoch' FROM (
         SELECT $1::text AS aor
         UNION SELECT buddy_aor FROM roster_entries WHERE owner_aor = $1 AND state = 'both'
       ) watched
       ORDER BY aor
       ON CONFLICT (aor) DO UPDATE SET aor = EXCLUDED.aor WHERE false`,
      [aor],
    );
  }

  async watchersOf(tx: Transaction, aor: string): Promise<string[]> {
    const rows: Array<{ owner_aor: string }> = await entityManagerOf(tx).query(
      `SELECT owner_aor FROM roster_entries WHERE buddy_aor = $1 AND state = 'both'`,
      [aor],
    );
    return rows.map((row) => row.owner_aor);
  }
}
