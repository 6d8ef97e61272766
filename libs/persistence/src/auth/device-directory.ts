import type {
  Device,
  DeviceDirectory,
  DeviceLookupOptions,
  SendCheckLookup,
  SendersAndRecipients,
} from '#herald/domain';
import type { DataSource } from 'typeorm';
import {
  keySetStatement,
  type PreparedStatement,
  preparedStatement,
  queryKeySet,
  queryPrepared,
} from '../prepared-statement';
import { columnList, type RowOf } from '../table';
import { AUTH_DEVICES_V1 } from './auth.tables';

const DEVICE_FIELDS = ['aor', 'device_id', 'edge_id', 'flow_id', 'contact', 'carrier'] as const;

type DeviceRow = RowOf<typeof AUTH_DEVICES_V1, (typeof DEVICE_FIELDS)[number]>;

const DEVICE_SELECT = `SELECT ${columnList(AUTH_DEVICES_V1, DEVICE_FIELDS)} FROM auth_devices_v1`;

/** Plain SIP: registered and never sent `login` during this registration (protocol.md §7). */
const PLAIN_SIP = 'carrier IS NULL AND NOT json_client';

const LOGGED_IN_DEVICES = keySetStatement(
  'text',
  (aorMatch) => `${DEVICE_SELECT}
   WHERE aor ${aorMatch}
     AND (carrier IS NOT NULL OR ($2 AND ${PLAIN_SIP} AND registered_at <= now() - $3::int * interval '1 millisecond'))
   ORDER BY aor, device_id`,
);

const DEVICE = preparedStatement(
  `${DEVICE_SELECT} WHERE aor = $1 AND device_id = $2 AND (carrier IS NOT NULL OR ${PLAIN_SIP})`,
);

/**
 * The push DeviceDirectory over auth's read contract (auth_devices_v1: live bindings only, a
 * binding past its expiry is gone even before the sweeper removed it). Reads committed state
 * outside any transaction.
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
    const rows = await queryKeySet<DeviceRow>(this.dataSource.manager, LOGGED_IN_DEVICES, aors, [
      options?.includePlainSip === true,
      options?.plainSipLoginGraceMs ?? 0,
    ]);
    for (const row of rows) {
      byAor.get(row.aor)?.push(toDevice(row));
    }
    return byAor;
  }

  async device(aor: string, deviceId: string): Promise<Device | undefined> {
    const rows = await queryPrepared<DeviceRow>(this.dataSource.manager, DEVICE, [aor, deviceId]);
    return rows.length > 0 ? toDevice(rows[0]) : undefined;
  }
}

/**
 * The senders' devices (LOGGED_IN_DEVICES with plain devices and no grace) and the recipients'
 * accounts (SqlAccountDirectory.existing), one row each, told apart by `kind`. One sender and one
 * recipient (most groups at low load) as scalars, whose generic plan PostgreSQL keeps; arrays are
 * planned anew on each run, as the two lookups it replaces were (keySetStatement).
 */
function sendersAndRecipients(senderMatch: string, recipientMatch: string): PreparedStatement {
  return preparedStatement(
    `SELECT 'device' AS kind, ${columnList(AUTH_DEVICES_V1, DEVICE_FIELDS)} FROM auth_devices_v1
     WHERE aor ${senderMatch} AND (carrier IS NOT NULL OR (${PLAIN_SIP} AND registered_at <= now()))
     UNION ALL
     SELECT 'account', aor, NULL, NULL, NULL, NULL, NULL FROM auth_active_accounts_v1 WHERE aor ${recipientMatch}
     ORDER BY kind, aor, device_id`,
  );
}
const SENDER_AND_RECIPIENT = sendersAndRecipients('= $1', '= $2');
const SENDERS_AND_RECIPIENTS = sendersAndRecipients('= ANY($1::text[])', '= ANY($2::text[])');

/** SendCheckLookup over auth's read contract, outside any transaction (as SqlDeviceDirectory). */
export class SqlSendCheckLookup implements SendCheckLookup {
  constructor(private readonly dataSource: DataSource) {}

  async sendersAndRecipients(
    senderAors: readonly string[],
    recipientAors: readonly string[],
  ): Promise<SendersAndRecipients> {
    const one = senderAors.length === 1 && recipientAors.length === 1;
    const rows = await queryPrepared<DeviceRow & { kind: 'device' | 'account' }>(
      this.dataSource.manager,
      one ? SENDER_AND_RECIPIENT : SENDERS_AND_RECIPIENTS,
      one ? [senderAors[0], recipientAors[0]] : [senderAors, recipientAors],
    );
    const devices = new Map<string, Device[]>(senderAors.map((aor) => [aor, []]));
    const existing = new Set<string>();
    for (const row of rows) {
      if (row.kind === 'account') existing.add(row.aor);
      else devices.get(row.aor)?.push(toDevice(row));
    }
    return { devices, existing };
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
