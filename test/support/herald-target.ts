import { randomBytes } from 'node:crypto';
import type { TransportAddress } from '#herald/sip';
import { createDataSource } from '#herald/persistence';
import { createAccountService } from '#herald/auth-service';
import type { ClientProtocol } from './sip-client';

/** What an end-to-end scenario needs of a running Herald, whichever way it was started. */
export interface HeraldTarget {
  /** `separate apps on Kafka` or `embedded default`, for test names. */
  readonly name: string;
  readonly domain: string;
  /** The edge's HERALD_NONCE_SECRET (a stale-nonce test makes an old, genuine nonce). */
  readonly nonceSecret: string;
  /** The edge's RFC 3261 T1. */
  readonly t1Ms: number;
  /** HERALD_MIN_EXPIRES. */
  readonly minExpires: number;
  /** Where the edge listens for `protocol`. */
  address(protocol: ClientProtocol): TransportAddress;
  /** `http://127.0.0.1:<port>` of the edge's /metrics (and health). */
  edgeOperationsUrl(): string;
  /** Creates an account through auth's AccountService on the target's database. */
  createAccount(username: string, password: string): Promise<void>;
  stop(): Promise<void>;
}

/** Settings the tests give every target, so one scenario runs the same against each. */
export const TEST_T1_MS = 50;
export const TEST_MIN_EXPIRES = 60;

export function newNonceSecret(): string {
  return randomBytes(24).toString('base64url');
}

/** Creates an account with auth's own provisioning service, over a short-lived DataSource. */
export async function createAccountIn(
  databaseUrl: string,
  domain: string,
  username: string,
  password: string,
) {
  const dataSource = createDataSource({ url: databaseUrl, poolSize: 1, applicationName: 'herald-e2e' });
  await dataSource.initialize();
  try {
    await createAccountService(dataSource, domain).create({ username, password });
  } finally {
    await dataSource.destroy();
  }
}

/** The sum of a counter's series in the Prometheus scrape at `operationsUrl`/metrics. */
export async function scrapedCounter(operationsUrl: string, name: string): Promise<number> {
  const scrape = await (await fetch(`${operationsUrl}/metrics`)).text();
  let total = 0;
  for (const line of scrape.split('\n')) {
    if (line === name || line.startsWith(`${name} `) || line.startsWith(`${name}{`)) {
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}
