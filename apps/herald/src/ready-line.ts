/** The line the embedded default prints once it serves, followed by one JSON object (ReadyReport). */
export const READY_PREFIX = 'herald: ready ';

export interface ReadyReport {
  domain: string;
  /** Bound SIP listeners by transport. */
  sip: Partial<Record<'udp' | 'tcp' | 'tls' | 'ws' | 'wss', { address: string; port: number }>>;
  /** The embedded PostgreSQL (local only). */
  postgresUrl: string;
  /** The web app. */
  webUrl: string;
}
