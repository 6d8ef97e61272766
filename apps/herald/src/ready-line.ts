/** The line the embedded default prints once it serves, followed by one JSON object (ReadyReport). */
export const READY_PREFIX = 'herald: ready ';

export interface ReadyReport {
  domain: string;
  /** Bound SIP listeners by transport. */
  sip: Partial<Record<'udp' | 'tcp' | 'tls' | 'ws' | 'wss', { address: string; port: number }>>;
  /** The embedded PostgreSQL (local only). */
  postgresUrl: string;
  /** The admin API's origin (`http://127.0.0.1:<HERALD_ADMIN_PORT>`), what HERALD_ADMIN_URL names. */
  adminUrl: string;
  /** The web app. */
  webUrl: string;
}
