import type { ExpiredPublication, PublicationRepository, Transaction } from '#herald/domain';
import type { RowOf } from '../table';
import { entityManagerOf } from '../unit-of-work';
import type { PRESENCE_DEVICES } from './presence.tables';

/** The query selects rows with a publication, so their etag is set. */
type ExpiredRow = RowOf<typeof PRESENCE_DEVICES, 'aor' | 'device_id'> & { publication_etag: string };

/** PublicationRepository on the publication columns of `presence_devices`. */
export class SqlPublicationRepository implements PublicationRepository {
  async expired(tx: Transaction, now: Date, limit: number): Promise<ExpiredPublication[]> {
    const rows: ExpiredRow[] = await entityManagerOf(tx).query(
      `SELECT aor, device_id, publication_etag FROM presence_devices
       WHERE publication_expires_at <= $1 ORDER BY publication_expires_at LIMIT $2`,
      [now, limit],
    );
    return rows.map((row) => ({ aor: row.aor, deviceId: row.device_id, etag: row.publication_etag }));
  }
}
