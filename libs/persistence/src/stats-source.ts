import type { DataSource } from 'typeorm';

/** Counts of what Herald holds, for the operator's summary (the admin API's `GET /admin/stats`). */
export interface StatsSummary {
  accounts: { total: number; disabled: number };
  registrations: { total: number; byTransport: Record<string, number> };
  sessions: number;
  rosters: { buddyPairs: number; pendingRequests: number };
  offlineMessages: number;
  presence: { publications: number; subscriptions: number };
}

interface SummaryRow {
  accounts: number;
  disabled_accounts: number;
  registrations: number;
  by_transport: Record<string, number> | null;
  sessions: number;
  buddy_pairs: number;
  pending_requests: number;
  offline_messages: number;
  publications: number;
  subscriptions: number;
}

/**
 * The operator's summary in one statement. Each count is a scan of its table (the pending IMs use
 * the partial index ix_messages_pending): fine for an operator's request, not for a hot path.
 */
export class SqlStatsSource {
  constructor(private readonly dataSource: DataSource) {}

  async summary(): Promise<StatsSummary> {
    const [row]: SummaryRow[] = await this.dataSource.query(
      `SELECT
         (SELECT count(*)::int FROM accounts) AS accounts,
         (SELECT count(*)::int FROM accounts WHERE disabled) AS disabled_accounts,
         (SELECT count(*)::int FROM registrations) AS registrations,
         (SELECT jsonb_object_agg(transport, n) FROM
           (SELECT transport, count(*)::int AS n FROM registrations GROUP BY transport) t) AS by_transport,
         (SELECT count(*)::int FROM sessions) AS sessions,
         -- Each accepted pair is two rows (one per owner); a request is one pending-out row.
         (SELECT count(*)::int / 2 FROM roster_entries WHERE state = 'both') AS buddy_pairs,
         (SELECT count(*)::int FROM roster_entries WHERE state = 'pending-out') AS pending_requests,
         (SELECT count(*)::int FROM messages WHERE delivered_at IS NULL) AS offline_messages,
         (SELECT count(*)::int FROM presence_devices WHERE publication_etag IS NOT NULL) AS publications,
         (SELECT count(*)::int FROM presence_subscriptions) AS subscriptions`,
    );
    if (row === undefined) throw new Error('the summary query returned no row');
    return {
      accounts: { total: row.accounts, disabled: row.disabled_accounts },
      registrations: { total: row.registrations, byTransport: row.by_transport ?? {} },
      sessions: row.sessions,
      rosters: { buddyPairs: row.buddy_pairs, pendingRequests: row.pending_requests },
      offlineMessages: row.offline_messages,
      presence: { publications: row.publications, subscriptions: row.subscriptions },
    };
  }
}
