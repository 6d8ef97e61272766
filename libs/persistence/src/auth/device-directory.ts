import type { Device, DeviceDirectory, DeviceLookupOptions } from '#herald/domain';
import type { DataSource } from 'typeorm';

interface DeviceRow {
  aor: string;
  device_id: string;
  edge_id: string;
  flow_id: string;
  contact: string;
  carrier: Device['carrier'] | null;
}

const DEVICE_SELECT = `
  SELECT r.aor, r.device_id, r.edge_id, r.flow_id, r.contact, s.carrier
  FROM registrations r LEFT JOIN sessions s ON s.aor = r.aor AND s.device_id = r.device_id`;

/** Plain SIP: registered and never sent `login` during this registration (protocol.md §7). */
const PLAIN_SIP = 's.aor IS NULL AND NOT r.json_client';

/**
 * The push DeviceDirectory over auth's registrations and sessions. Reads committed state outside
 * any transaction; a binding past its expiry is gone even before the sweeper removed it.
 */
export class SqlDeviceDirectory implements DeviceDirectory {
  constructor(private readonly dataSource: DataSource) {}

  async loggedInDevices(
    aors: readonly string[],
    options?: DeviceLookupOptions,
  ): Promise<ReadonlyMap<string, readonly Device[]>> {
    const byAor = new Map<string, Device[]>(aors.map((aor) => [aor, []]));
    if (aors.length === 0) {
      return byAor;
    }
    const rows: DeviceRow[] = await this.dataSource.query(
      `${DEVICE_SELECT}
       WHERE r.aor = ANY($1::text[]) AND r.expires_at > now()
         AND (s.aor IS NOT NULL OR ($2 AND ${PLAIN_SIP} AND r.registered_at <= now() - $3::int * interval '1 millisecond'))
       ORDER BY r.aor, r.device_id`,
      [aors, options?.includePlainSip === true, options?.plainSipLoginGraceMs ?? 0],
    );
    for (const row of rows) {
      byAor.get(row.aor)?.push(toDevice(row));
    }
    return byAor;
  }

  async device(aor: string, deviceId: string): Promise<Device | undefined> {
    const rows: DeviceRow[] = await this.dataSource.query(
      `${DEVICE_SELECT} WHERE r.aor = $1 AND r.device_id = $2 AND r.expires_at > now()
         AND (s.aor IS NOT NULL OR ${PLAIN_SIP})`,
      [aor, deviceId],
    );
    return rows.length > 0 ? toDevice(rows[0]) : undefined;
  }
}

function toDevice(row: DeviceRow): Device {
  return {
    aor: row.aor,
    deviceId: row.device_id,
    edgeId: row.edge_id,
    flowId: row.flow_id,
    contact: row.contact,
    carrier: row.carrier ?? 'PLAIN',
  };
}
