import type {
  AdministeredDevice,
  DeviceAdminRepository,
  DeviceCursor,
  DeviceSelection,
  Session,
  Transaction,
} from '#herald/domain';
import type { RowOf } from '../table';
import { entityManagerOf } from '../unit-of-work';
import type { REGISTRATIONS } from './auth.tables';
import { type RegistrationRow, toRegistration } from './registration-repository';
import { SESSION_COLUMNS, type SessionRow, toSession } from './session-repository';

/** A registration's row with its session's columns, null without a session (LEFT JOIN). */
type DeviceRow = RegistrationRow &
  RowOf<typeof REGISTRATIONS, 'registered_at'> & {
    [column in Exclude<keyof SessionRow, 'aor' | 'device_id'>]: SessionRow[column] | null;
  };

/** The operator's reads and removals of registrations and sessions, one statement each. */
export class SqlDeviceAdminRepository implements DeviceAdminRepository {
  async list(
    tx: Transaction,
    selection: DeviceSelection,
    page: { after?: DeviceCursor; limit: number; loggedInOnly: boolean },
  ): Promise<AdministeredDevice[]> {
    const [column, value] = 'aor' in selection ? ['r.aor', selection.aor] : ['r.edge_id', selection.edgeId];
    const rows: DeviceRow[] = await entityManagerOf(tx).query(
      `SELECT r.aor, r.device_id, r.contact, r.edge_id, r.flow_id, r.transport, r.source, r.call_id, r.cseq,
              r.expires_at, r.registered_at, s.carrier, s.status, s.note, s.device_name, s.device_agent, s.started_at
       FROM registrations r ${page.loggedInOnly ? 'JOIN' : 'LEFT JOIN'} sessions s USING (aor, device_id)
       WHERE ${column} = $1 AND ($2::text IS NULL OR (r.aor, r.device_id) > ($2::text, $3::text))
       ORDER BY r.aor, r.device_id
       LIMIT $4`,
      [value, page.after?.aor ?? null, page.after?.deviceId ?? null, page.limit],
    );
    return rows.map(toDevice);
  }

  async endSessions(tx: Transaction, aor: string, deviceIds?: readonly string[]): Promise<Session[]> {
    const rows: SessionRow[] = await entityManagerOf(tx).query(
      // Wrapped in a SELECT: TypeORM returns [rows, count] for a bare DELETE.
      `WITH ended AS (
         DELETE FROM sessions WHERE aor = $1 AND ($2::text[] IS NULL OR device_id = ANY($2::text[]))
         RETURNING ${SESSION_COLUMNS}
       )
       SELECT * FROM ended ORDER BY device_id`,
      [aor, deviceIds === undefined ? null : [...deviceIds]],
    );
    return rows.map(toSession);
  }
}

function toDevice(row: DeviceRow): AdministeredDevice {
  const device: AdministeredDevice = { ...toRegistration(row), registeredAt: row.registered_at };
  if (row.carrier === null || row.status === null || row.started_at === null) return device;
  const {
    carrier,
    status,
    note,
    device: client,
    startedAt,
  } = toSession({
    aor: row.aor,
    device_id: row.device_id,
    carrier: row.carrier,
    status: row.status,
    note: row.note,
    device_name: row.device_name,
    device_agent: row.device_agent,
    started_at: row.started_at,
  });
  const session = {
    carrier,
    status,
    ...(note === undefined ? {} : { note }),
    ...(client === undefined ? {} : { device: client }),
    startedAt,
  };
  return { ...device, session };
}
