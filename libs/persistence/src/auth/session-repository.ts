import type { Session, SessionRepository, Transaction } from '#herald/domain';
import { columnList, type RowOf } from '../table';
import { entityManagerOf } from '../unit-of-work';
import { SESSIONS } from './auth.tables';

export type SessionRow = RowOf<typeof SESSIONS>;

/** Every column, in the order of save's parameters. */
export const SESSION_COLUMNS = columnList(SESSIONS, [
  'aor',
  'device_id',
  'carrier',
  'status',
  'note',
  'device_name',
  'device_agent',
  'started_at',
]);

/** SessionRepository on `sessions`, inside the caller's transaction. */
export class SqlSessionRepository implements SessionRepository {
  async find(tx: Transaction, aor: string, deviceId: string): Promise<Session | undefined> {
    const rows: SessionRow[] = await entityManagerOf(tx).query(
      `SELECT ${SESSION_COLUMNS} FROM sessions WHERE aor = $1 AND device_id = $2`,
      [aor, deviceId],
    );
    return rows.length > 0 ? toSession(rows[0]) : undefined;
  }

  async save(tx: Transaction, session: Session): Promise<void> {
    await entityManagerOf(tx).query(
      `WITH saved AS (
         INSERT INTO sessions (${SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (aor, device_id) DO UPDATE SET carrier = EXCLUDED.carrier, status = EXCLUDED.status,
           note = EXCLUDED.note, device_name = EXCLUDED.device_name, device_agent = EXCLUDED.device_agent,
           started_at = EXCLUDED.started_at
         RETURNING aor, device_id
       )
       UPDATE registrations r SET json_client = true FROM saved
       WHERE r.aor = saved.aor AND r.device_id = saved.device_id AND NOT r.json_client`,
      [
        session.aor,
        session.deviceId,
        session.carrier,
        session.status,
        session.note ?? null,
        session.device?.name ?? null,
        session.device?.agent ?? null,
        session.startedAt,
      ],
    );
  }

  async remove(tx: Transaction, aor: string, deviceId: string): Promise<Session | undefined> {
    const rows: SessionRow[] = await entityManagerOf(tx).query(
      // Wrapped in a SELECT: TypeORM returns [rows, count] for a bare DELETE.
      `WITH ended AS (DELETE FROM sessions WHERE aor = $1 AND device_id = $2 RETURNING ${SESSION_COLUMNS})
       SELECT * FROM ended`,
      [aor, deviceId],
    );
    return rows.length > 0 ? toSession(rows[0]) : undefined;
  }
}

export function toSession(row: SessionRow): Session {
  const device = {
    ...(row.device_name === null ? {} : { name: row.device_name }),
    ...(row.device_agent === null ? {} : { agent: row.device_agent }),
  };
  return {
    aor: row.aor,
    deviceId: row.device_id,
    carrier: row.carrier,
    status: row.status,
    ...(row.note === null ? {} : { note: row.note }),
    ...(Object.keys(device).length === 0 ? {} : { device }),
    startedAt: row.started_at,
  };
}
