/** The `code` of the log line the embedded default (apps/herald) writes once it serves; its `ready` field is a ReadyReport (read by tests and the bench). */
export const READY_CODE = 'HERALD_READY';

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
  /** `http://127.0.0.1:<HERALD_HTTP_PORT>`: /health/live, /health/ready and /metrics. */
  operationsUrl: string;
}

/** The ReadyReport of the ready line, undefined for any other output line. */
export function readyReportOf(line: string): ReadyReport | undefined {
  if (!line.startsWith('{') || !line.includes(READY_CODE)) return undefined;
  const entry = JSON.parse(line) as { code?: string; ready?: ReadyReport };
  return entry.code === READY_CODE ? entry.ready : undefined;
}
