import type { DeviceKey, DueDevice, PlainDeviceQueue, Transaction } from '#herald/domain';
import { entityManagerOf } from '../unit-of-work';

/** PlainDeviceQueue on `plain_device_queue`, inside the caller's transaction. */
export class SqlPlainDeviceQueue implements PlainDeviceQueue {
  async schedule(tx: Transaction, device: DeviceKey, dueAt: Date): Promise<void> {
    await entityManagerOf(tx).query(
      `INSERT INTO plain_device_queue (aor, device_id, due_at) VALUES ($1, $2, $3)
       ON CONFLICT (aor, device_id) DO UPDATE SET due_at = EXCLUDED.due_at`,
      [device.aor, device.deviceId, dueAt],
    );
  }

  async cancel(tx: Transaction, device: DeviceKey): Promise<void> {
    await entityManagerOf(tx).query(`DELETE FROM plain_device_queue WHERE aor = $1 AND device_id = $2`, [
      device.aor,
      device.deviceId,
    ]);
  }

  async takeDue(tx: Transaction, now: Date, limit: number): Promise<DueDevice[]> {
    // The DELETE sits in a CTE: TypeORM returns plain rows for a SELECT, [rows, count] for a DELETE.
    const rows: Array<{ aor: string; device_id: string; due_at: Date }> = await entityManagerOf(tx).query(
      `WITH due AS (
         SELECT aor, device_id FROM plain_device_queue
         WHERE due_at <= $1 ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED
       ), taken AS (
         DELETE FROM plain_device_queue q USING due
         WHERE q.aor = due.aor AND q.device_id = due.device_id
         RETURNING q.aor, q.device_id, q.due_at
       )
       SELECT aor, device_id, due_at FROM taken`,
      [now, limit],
    );
    return rows.map((row) => ({ aor: row.aor, deviceId: row.device_id, dueAt: row.due_at }));
  }

  async holdPlain(tx: Transaction, devices: readonly DeviceKey[]): Promise<DeviceKey[]> {
    // FOR SHARE locks the bindings (auth's read contract, auth_plain_devices_v1), in auth's lock
    // order (it locks registrations by aor, device_id). A login that marked a binding json_client
    // before commits first, and the row no longer qualifies.
    const rows: Array<{ aor: string; device_id: string }> = await entityManagerOf(tx).query(
      `SELECT aor, device_id FROM auth_plain_devices_v1
       WHERE (aor, device_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
       ORDER BY aor, device_id FOR SHARE`,
      [devices.map((device) => device.aor), devices.map((device) => device.deviceId)],
    );
    return rows.map((row) => ({ aor: row.aor, deviceId: row.device_id }));
  }
}
