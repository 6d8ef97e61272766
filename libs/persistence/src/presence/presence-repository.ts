import type {
  AggregatePresence,
  DevicePresence,
  PresenceRepository,
  Publication,
  Transaction,
} from '#herald/domain';
import type { EntityManager } from 'typeorm';
import { columnList, type RowOf } from '../table';
import { entityManagerOf } from '../unit-of-work';
import { PRESENCE_AGGREGATES, PRESENCE_DEVICES } from './presence.tables';

type AggregateRow = RowOf<typeof PRESENCE_AGGREGATES, 'status' | 'note' | 'changed_at'>;

/** What a DevicePresence is read from. */
const DEVICE_FIELDS = [
  'device_id',
  'mode',
  'status',
  'note',
  'changed_at',
  'publication_etag',
  'publication_basic',
  'publication_note',
  'publication_expires_at',
] as const;

type DeviceRow = RowOf<typeof PRESENCE_DEVICES, (typeof DEVICE_FIELDS)[number]>;

const DEVICE_COLUMNS = columnList(PRESENCE_DEVICES, DEVICE_FIELDS);

/** ck_presence_devices_publication_whole: the etag, basic and expiry are set together. */
function publicationOf(row: DeviceRow): { publication?: Publication } {
  if (
    row.publication_etag === null ||
    row.publication_basic === null ||
    row.publication_expires_at === null
  ) {
    return {};
  }
  const { publication_etag: etag, publication_basic: basic, publication_expires_at: expiresAt } = row;
  const note = row.publication_note === null ? {} : { note: row.publication_note };
  return { publication: { etag, basic, ...note, expiresAt } };
}

function deviceOf(row: DeviceRow): DevicePresence {
  const base = { deviceId: row.device_id, changedAt: row.changed_at, ...publicationOf(row) };
  if (row.mode !== 'session') {
    return { ...base, mode: row.mode };
  }
  // ck_presence_devices_session_status guarantees a status on every session row.
  const status = row.status!;
  return { ...base, mode: 'session', status, ...(row.note === null ? {} : { note: row.note }) };
}

function aggregateOf(row: AggregateRow): AggregatePresence {
  return { status: row.status, ...(row.note === null ? {} : { note: row.note }), at: row.changed_at };
}

/** PresenceRepository on `presence_devices` and `presence_aggregates`, inside the caller's transaction. */
export class SqlPresenceRepository implements PresenceRepository {
  async lockAggregate(tx: Transaction, aor: string): Promise<AggregatePresence> {
    const manager = entityManagerOf(tx);
    const existing = await this.selectForUpdate(manager, aor);
    if (existing !== undefined) {
      return existing;
    }
    // First event of this user: create the row; DO UPDATE (not NOTHING) so a racing creator's row
    // is returned and locked too. Offline since the epoch (as rosterOf shows a user without a row):
    // any change stamped later wins over it, however late its event was read.
    const created: AggregateRow[] = await manager.query(
      `INSERT INTO presence_aggregates (aor, status, changed_at) VALUES ($1, 'offline', 'epoch')
       ON CONFLICT (aor) DO UPDATE SET aor = EXCLUDED.aor
       RETURNING status, note, changed_at`,
      [aor],
    );
    return aggregateOf(created[0]);
  }

  async saveAggregate(tx: Transaction, aor: string, aggregate: AggregatePresence): Promise<void> {
    await entityManagerOf(tx).query(
      `UPDATE presence_aggregates SET status = $2, note = $3, changed_at = $4 WHERE aor = $1`,
      [aor, aggregate.status, aggregate.note ?? null, aggregate.at],
    );
  }

  async devicesOf(tx: Transaction, aor: string): Promise<DevicePresence[]> {
    const rows: DeviceRow[] = await entityManagerOf(tx).query(
      `SELECT ${DEVICE_COLUMNS} FROM presence_devices WHERE aor = $1`,
      [aor],
    );
    return rows.map(deviceOf);
  }

  async saveDevice(tx: Transaction, aor: string, device: DevicePresence): Promise<void> {
    const session = device.mode === 'session' ? device : undefined;
    const { publication } = device;
    await entityManagerOf(tx).query(
      `INSERT INTO presence_devices (aor, device_id, mode, status, note, changed_at,
         publication_etag, publication_basic, publication_note, publication_expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (aor, device_id) DO UPDATE
       SET mode = EXCLUDED.mode, status = EXCLUDED.status, note = EXCLUDED.note, changed_at = EXCLUDED.changed_at,
         publication_etag = EXCLUDED.publication_etag, publication_basic = EXCLUDED.publication_basic,
         publication_note = EXCLUDED.publication_note, publication_expires_at = EXCLUDED.publication_expires_at`,
      [
        aor,
        device.deviceId,
        device.mode,
        session?.status ?? null,
        session?.note ?? null,
        device.changedAt,
        publication?.etag ?? null,
        publication?.basic ?? null,
        publication?.note ?? null,
        publication?.expiresAt ?? null,
      ],
    );
  }

  async forgetEndedDevices(tx: Transaction, before: Date, limit: number): Promise<number> {
    // Wrapped in a SELECT: TypeORM returns [rows, count] for a bare DELETE.
    const rows: Array<{ forgotten: number }> = await entityManagerOf(tx).query(
      `WITH forgotten AS (
         DELETE FROM presence_devices d USING (
           SELECT aor, device_id FROM presence_devices
           WHERE mode = 'ended' AND publication_etag IS NULL AND changed_at < $1
           LIMIT $2 FOR UPDATE SKIP LOCKED
         ) old
         WHERE d.aor = old.aor AND d.device_id = old.device_id
         RETURNING 1
       )
       SELECT count(*)::int AS forgotten FROM forgotten`,
      [before, limit],
    );
    return rows[0]?.forgotten ?? 0;
  }

  private async selectForUpdate(manager: EntityManager, aor: string): Promise<AggregatePresence | undefined> {
    const rows: AggregateRow[] = await manager.query(
      `SELECT status, note, changed_at FROM presence_aggregates WHERE aor = $1 FOR UPDATE`,
      [aor],
    );
    return rows[0] === undefined ? undefined : aggregateOf(rows[0]);
  }
}
